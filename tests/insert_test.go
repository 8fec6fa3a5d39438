package tests

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// INSERT ... VALUES outside a transaction block takes a shorter path than
// the staged write (duckdb.WriteValues); these tests hold it to the same
// results: the same errors (SQLSTATE, message, detail, position), nothing
// stored on failure, ties broken by the later write whichever path stored
// it, prepared statements surviving schema changes, and concurrent writers.

func pgErr(err error) string {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Sprintf("not a PgError: %v", err)
	}
	return fmt.Sprintf("%s %q detail %q hint %q where %q position %d", pe.Code, pe.Message, pe.Detail, pe.Hint, pe.Where, pe.Position)
}

// TestInsertErrorsAsStaged runs failing INSERTs in autocommit (the short
// path), in the extended and simple protocols, and inside a transaction
// block (always the stage), and wants the same constraint errors and
// nothing stored. A value that does not convert is located ("Failing row
// N, column c.") in a block too.
func TestInsertErrorsAsStaged(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	ctx := context.Background()
	Exec(t, c, `CREATE FEATURE GROUP ie (id TEXT ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v INTEGER CHECK (v > 0), w DOUBLE PRECISION NOT NULL, CHECK (v < w))`)
	Exec(t, c, `INSERT INTO ie VALUES ('ok', '2024-01-01', 1, 2)`)
	for _, tc := range []struct {
		sql  string
		args []any
		code string
	}{
		{`INSERT INTO ie VALUES ($1, $2, $3, $4)`, []any{"a", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), -1, 2.5}, "23514"},
		{`INSERT INTO ie (id, et, v, w) VALUES ($1, '2024-01-02'::timestamptz + interval '1 hour', $2, $3)`, []any{"a", 5, 1.5}, "23514"},
		{`INSERT INTO ie (id, v, w) VALUES ($1, $2, $3)`, []any{"a", 1, nil}, "23502"},
		{`INSERT INTO ie (id, v, w) VALUES ($1, $2, $3)`, []any{nil, 1, 2.0}, "23502"},
		{`INSERT INTO ie VALUES ('b', '2024-01-03', 1, 2), ('c', '2024-01-03', 0, 2)`, nil, "23514"},
	} {
		modes := []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol}
		var errs []string
		for _, inTxn := range []bool{false, true} {
			for _, mode := range modes {
				if inTxn {
					Exec(t, c, `BEGIN`)
				}
				_, err := c.Exec(ctx, tc.sql, append([]any{mode}, tc.args...)...)
				if inTxn {
					Exec(t, c, `ROLLBACK`)
				}
				if err == nil {
					t.Fatalf("%s %v: no error (in a transaction block: %v)", tc.sql, tc.args, inTxn)
				}
				errs = append(errs, pgErr(err))
			}
		}
		// The staged write in the same protocol is the reference.
		if errs[0] != errs[2] || errs[1] != errs[3] {
			t.Errorf("%s %v:\nautocommit extended %s\nin block   extended %s\nautocommit simple   %s\nin block   simple   %s", tc.sql, tc.args, errs[0], errs[2], errs[1], errs[3])
		}
		if tc.code != "" && !strings.HasPrefix(errs[0], tc.code+" ") {
			t.Errorf("%s: %s, want SQLSTATE %s", tc.sql, errs[0], tc.code)
		}
		wantText(t, c, `SELECT count(*) FROM ie`, "1")
	}
	for _, tc := range []struct{ sql, want string }{
		{`INSERT INTO ie VALUES ('b', '2024-01-03', 'x', 2)`, `22P02 "invalid input syntax for type integer: \"x\"" detail "Failing row 1, column v."`},
		{`INSERT INTO ie VALUES ('b', '2024-01-03', 1, 2), ('c', '2024-01-03', 99999999999, 2)`, `22003 "value \"99999999999\" is out of range for type integer" detail "Failing row 2, column v."`},
		{`INSERT INTO ie VALUES ('b', 'yesterday-ish', 1, 2)`, `22007 "invalid input syntax for type timestamp with time zone: \"yesterday-ish\"" detail "Failing row 1, column et."`},
	} {
		for _, inTxn := range []bool{false, true} {
			for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
				if inTxn {
					Exec(t, c, `BEGIN`)
				}
				_, err := c.Exec(ctx, tc.sql, mode)
				if inTxn {
					Exec(t, c, `ROLLBACK`)
				}
				if got := pgErr(err); !strings.HasPrefix(got, tc.want) {
					t.Errorf("%s (in a transaction block: %v):\n got %s\nwant %s", tc.sql, inTxn, got, tc.want)
				}
			}
		}
		wantText(t, c, `SELECT count(*) FROM ie`, "1")
	}
}

// TestInsertTiesAndSchemaChanges: the later of two rows of an entity at
// the same event time wins whichever path wrote each; a prepared INSERT
// keeps working across ADD FEATURE and SET DATA TYPE.
func TestInsertTiesAndSchemaChanges(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	ctx := context.Background()
	Exec(t, c, `CREATE FEATURE GROUP it (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v INTEGER) WITH (online = true)`)
	et := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	ins := `INSERT INTO it (id, et, v) VALUES ($1, $2, $3)`
	copyRow := func(v int) {
		t.Helper()
		if _, err := c.CopyFrom(ctx, pgx.Identifier{"it"}, []string{"id", "et", "v"}, pgx.CopyFromRows([][]any{{int32(1), et, int32(v)}})); err != nil {
			t.Fatal(err)
		}
	}
	latest := func(want string) {
		t.Helper()
		wantText(t, c, `SELECT v FROM it AS OF TIMESTAMPTZ '2024-06-01' WHERE id = 1`, want)
		wantLookup(t, c, `SELECT v FROM it AS OF now() WHERE id = $1`, want, 1)
	}
	Exec(t, c, ins, 1, et, 10)
	latest("10")
	Exec(t, c, ins, 1, et, 11)
	latest("11")
	copyRow(12)
	latest("12")
	Exec(t, c, ins, 1, et, 13)
	latest("13")
	Exec(t, c, `BEGIN`)
	Exec(t, c, ins, 1, et, 14)
	Exec(t, c, `COMMIT`)
	latest("14")
	Exec(t, c, ins, 1, et, 15)
	latest("15")

	Exec(t, c, `ALTER FEATURE GROUP it ADD FEATURE w DOUBLE PRECISION`)
	Exec(t, c, ins, 2, et, 20)
	wantText(t, c, `SELECT v, w FROM it WHERE id = 2`, "20 NULL")
	Exec(t, c, `ALTER FEATURE it.v SET DATA TYPE BIGINT`)
	// A new statement: pgx keeps the parameter types it was told at Parse.
	Exec(t, c, ins+" ", 3, et, int64(1)<<40)
	wantText(t, c, `SELECT v FROM it WHERE id = 3`, "1099511627776")
	wantLookup(t, c, `SELECT v FROM it AS OF now() WHERE id = $1 `, "1099511627776", 3)
	Exec(t, c, `INSERT INTO it (id, et, v, w) VALUES ($1, $2, $3, $4)`, 4, et, 4, 0.25)
	wantLookup(t, c, `SELECT v, w FROM it AS OF now() WHERE id = $1`, "4 0.25", 4)
	wantText(t, c, `SELECT count(*) FROM it`, "9")
}

// TestInsertConcurrentStreams: 8 connections inserting one row per
// statement into an online group: every row is stored, and the latest row
// of each entity is served offline and online.
func TestInsertConcurrentStreams(t *testing.T) {
	srv := StartServer(t, "--flush-rows", "500", "--flush-age", "1s")
	c := srv.Connect(t)
	ctx := context.Background()
	Exec(t, c, `CREATE FEATURE GROUP cs (id TEXT ENTITY KEY, et TIMESTAMPTZ EVENT TIME, n INTEGER, x DOUBLE PRECISION) WITH (online = true)`)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const writers, each = 8, 300
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wc := srv.Connect(t)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				// Entity w*10 + i%10; event times grow with i, so the row
				// with the greatest i of an entity is its latest.
				if _, err := wc.Exec(ctx, `INSERT INTO cs (id, et, n, x) VALUES ($1, $2, $3, $4)`,
					fmt.Sprintf("e%03d", w*10+i%10), base.Add(time.Duration(i)*time.Second), i, float64(w)+0.5); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	wantText(t, c, `SELECT count(*), count(DISTINCT id) FROM cs`, fmt.Sprintf("%d %d", writers*each, writers*10))
	wantText(t, c, `SELECT count(*) FROM (SELECT * FROM cs AS OF now())`, fmt.Sprint(writers*10))
	wantText(t, c, `SELECT min(n), max(n) FROM cs AS OF now()`, fmt.Sprintf("%d %d", each-10, each-1))
	for _, id := range []string{"e000", "e079"} {
		got := lookupRows(t, c, `SELECT n, x FROM cs AS OF now() WHERE id = $1`, id)
		off := rowsText(t, c, `SELECT n, x FROM cs AS OF now() + interval '0 s' WHERE id = $1`, id)
		if strings.Join(got, "|") != off {
			t.Errorf("%s: online %q, offline %q", id, got, off)
		}
	}
}
