package tests

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// Prepared statements across catalog changes, as PostgreSQL's plan cache
// behaves: a statement prepared before a change is planned again at its
// next execution; when its result columns are no longer those it was
// described with, the execution fails with 0A000 "cached plan must not
// change result type" (the client must prepare it again, as pgx does by
// itself for its statement cache), never with an internal error or values
// of the old types.
func TestPreparedAfterSetDataType(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	ctx := context.Background()
	Exec(t, c, `CREATE FEATURE GROUP pv (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v INTEGER, s TEXT) WITH (online = true)`)
	Exec(t, c, `INSERT INTO pv VALUES (1, '2024-01-01', 5, 'a'), (2, '2024-01-02', 7, 'b')`)

	stmts := map[string]string{
		"lookup":  `SELECT v FROM pv AS OF now() WHERE id = $1`,
		"offline": `SELECT id, v FROM pv WHERE id = $1`,
		"count":   `SELECT count(*) FROM pv WHERE v > $1`,
		"lookupS": `SELECT s FROM pv AS OF now() WHERE id = $1`,
		"insert":  `INSERT INTO pv (id, et, v, s) VALUES ($1, $2, $3, $4)`,
	}
	for name, q := range stmts {
		if _, err := c.Prepare(ctx, name, q); err != nil {
			t.Fatalf("prepare %s: %v", name, err)
		}
	}
	var v int32
	if err := c.QueryRow(ctx, "lookup", 1).Scan(&v); err != nil || v != 5 {
		t.Fatalf("lookup before: %v %v", v, err)
	}
	var id int32
	if err := c.QueryRow(ctx, "offline", 2).Scan(&id, &v); err != nil || v != 7 {
		t.Fatalf("offline before: %v %v", v, err)
	}

	Exec(t, c, `ALTER FEATURE pv.v SET DATA TYPE BIGINT`)
	Exec(t, c, `INSERT INTO pv VALUES (3, '2024-01-03', 5000000000, 'c')`)

	// The result type changed: PostgreSQL's error, every time until the
	// statement is prepared again.
	for _, name := range []string{"lookup", "offline", "lookup", "offline"} {
		var v64 int64
		err := c.QueryRow(ctx, name, 3).Scan(&id, &v64)
		if name == "lookup" {
			err = c.QueryRow(ctx, name, 3).Scan(&v64)
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "0A000" || pe.Message != "cached plan must not change result type" {
			t.Errorf("%s after SET DATA TYPE: got %v (%d), want 0A000 cached plan must not change result type", name, err, v64)
		}
	}
	// Statements whose result did not change are planned again silently and
	// see the new type.
	var n int64
	if err := c.QueryRow(ctx, "count", 6).Scan(&n); err != nil || n != 2 {
		t.Errorf("count after SET DATA TYPE: %d %v, want 2", n, err)
	}
	var s string
	if err := c.QueryRow(ctx, "lookupS", 3).Scan(&s); err != nil || s != "c" {
		t.Errorf("lookupS after SET DATA TYPE: %q %v", s, err)
	}
	if _, err := c.Exec(ctx, "insert", 4, "2024-01-04T00:00:00Z", 3, "d"); err != nil {
		t.Errorf("insert after SET DATA TYPE: %v", err)
	}
	// Prepared again, they answer with the new type.
	for _, name := range []string{"lookup", "offline"} {
		if err := c.Deallocate(ctx, name); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Prepare(ctx, name, stmts[name]); err != nil {
			t.Fatal(err)
		}
	}
	var v64 int64
	if err := c.QueryRow(ctx, "lookup", 3).Scan(&v64); err != nil || v64 != 5000000000 {
		t.Errorf("lookup prepared again: %d %v", v64, err)
	}
	if err := c.QueryRow(ctx, "offline", 3).Scan(&id, &v64); err != nil || v64 != 5000000000 {
		t.Errorf("offline prepared again: %d %v", v64, err)
	}
	// pgx's own statement cache: the first query fails, pgx forgets the
	// statement, the next one is prepared again.
	q := `SELECT v FROM pv AS OF now() WHERE id = $1`
	Exec(t, c, `ALTER FEATURE GROUP pv ADD FEATURE w INTEGER`)
	if err := c.QueryRow(ctx, q, 3).Scan(&v64); err != nil || v64 != 5000000000 {
		t.Errorf("cached lookup after ADD FEATURE: %d %v", v64, err)
	}
	Exec(t, c, `ALTER FEATURE GROUP pv RENAME FEATURE w TO w2`)
	if err := c.QueryRow(ctx, q, 3).Scan(&v64); err != nil || v64 != 5000000000 {
		t.Errorf("cached lookup after RENAME FEATURE: %d %v", v64, err)
	}
}
