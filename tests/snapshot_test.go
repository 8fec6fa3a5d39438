package tests

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// snapshotState is what a snapshot returns: its columns with their types
// (as the client is told) and its rows as text, in order.
func snapshotState(t *testing.T, c *pgx.Conn, query string) string {
	t.Helper()
	rows, err := c.Query(context.Background(), query, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var b strings.Builder
	for _, f := range rows.FieldDescriptions() {
		fmt.Fprintf(&b, "%s:%d ", f.Name, f.DataTypeOID)
	}
	b.WriteString("\n")
	for rows.Next() {
		for _, v := range rows.RawValues() {
			if v == nil {
				b.WriteString("NULL|")
			} else {
				b.WriteString(string(v) + "|")
			}
		}
		b.WriteString("\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return b.String()
}

// TestSnapshotImmutable takes a snapshot of a group whose rows are partly
// in Parquet and partly unflushed, then changes the group in every way
// there is; after each change (and a restart) the snapshot returns the
// same columns, types and rows.
func TestSnapshotImmutable(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP sg (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, age INTEGER, country TEXT) WITH (online = true)`)
	Exec(t, c, `INSERT INTO sg VALUES ('u1', '2024-01-01', 20, 'US'), ('u2', '2024-01-02', 30, 'UK')`)
	srv.Stop() // a clean stop flushes: these rows are Parquet now
	srv.Start()
	c = srv.Connect(t)
	Exec(t, c, `INSERT INTO sg VALUES ('u3', '2024-01-03', 40, 'CA'), ('u1', '2024-01-04', 21, NULL)`) // unflushed
	Exec(t, c, `CREATE SNAPSHOT base OF sg WITH (description = 'before everything')`)
	const q = `SELECT * FROM sg VERSION 'base' ORDER BY user_id, event_time`
	want := snapshotState(t, c, q)
	if !strings.Contains(want, "u3|") || strings.Count(want, "\n") != 5 {
		t.Fatalf("snapshot right after CREATE SNAPSHOT:\n%s", want)
	}
	if got := QueryStrings(t, c, `SELECT snapshot_name, group_name, row_count, description, columns FROM feature_store.snapshots`); fmt.Sprint(got) !=
		"[[base sg 4 before everything {user_id,event_time,age,country}]]" {
		t.Errorf("feature_store.snapshots: %v", got)
	}
	changes := []string{
		`INSERT INTO sg VALUES ('u4', '2024-02-01', 50, 'FR'), ('u1', '2024-02-02', 22, 'US')`,
		`DELETE FROM sg WHERE user_id = 'u2'`, // a Parquet row
		`DELETE FROM sg WHERE user_id = 'u3'`, // an unflushed row
		`restart`,                             // flushes the unflushed rows
		`COMPACT sg`,                          // merges the two files
		`ALTER FEATURE GROUP sg ADD FEATURE income DOUBLE PRECISION`,
		`ALTER FEATURE sg.age SET DATA TYPE BIGINT`,
		`ALTER FEATURE GROUP sg RENAME FEATURE country TO nation`,
		`ALTER FEATURE sg.age SET CHECK (age >= 0)`,
		`ALTER FEATURE sg.nation SET STATUS retired`,
		`TRUNCATE sg`,
		`VACUUM sg`,
		`INSERT INTO sg (user_id, event_time, age, income) VALUES ('u9', '2024-03-01', 1, 2.5)`,
		`restart`,
		`VACUUM`,
	}
	for _, ch := range changes {
		if ch == "restart" {
			srv.Stop()
			srv.Start()
			c = srv.Connect(t)
		} else {
			Exec(t, c, ch)
		}
		if got := snapshotState(t, c, q); got != want {
			t.Fatalf("after %s the snapshot returns\n%s\nwant\n%s", ch, got, want)
		}
	}
	// Joins, aliases, extended protocol and a second snapshot of the changed group.
	Exec(t, c, `CREATE SNAPSHOT later OF sg`)
	var n int
	if err := c.QueryRow(context.Background(), `SELECT count(*) FROM sg VERSION 'base' b JOIN sg VERSION 'later' AS l USING (user_id) WHERE b.age < $1`, 100).Scan(&n); err != nil || n != 0 {
		t.Errorf("join of two snapshots: %d, %v (want 0: u9 is only in the later one)", n, err)
	}
	if got := QueryStrings(t, c, `SELECT user_id, age, income FROM sg VERSION 'later'`); fmt.Sprint(got) != "[[u9 1 2.5]]" {
		t.Errorf("snapshot later: %v", got)
	}
	Exec(t, c, `DROP SNAPSHOT later`)
	if got := snapshotState(t, c, q); got != want {
		t.Fatalf("after dropping another snapshot:\n%s\nwant\n%s", got, want)
	}
}

// TestEraseFromSnapshots: ERASE removes an entity from the group's Parquet
// files, its unflushed rows, the online store and every snapshot, records
// the erasure on the snapshots, and leaves no file on disk holding it.
func TestEraseFromSnapshots(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP eg (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, score DOUBLE PRECISION) WITH (online = true)`)
	Exec(t, c, `INSERT INTO eg VALUES ('gone', '2024-01-01', 1), ('kept', '2024-01-01', 2)`)
	srv.Stop()
	srv.Start()
	c = srv.Connect(t)
	Exec(t, c, `INSERT INTO eg VALUES ('gone', '2024-01-02', 3), ('kept', '2024-01-02', 4)`) // unflushed
	Exec(t, c, `CREATE SNAPSHOT e1 OF eg`)
	Exec(t, c, `DELETE FROM eg WHERE user_id = 'kept' AND score = 2`)
	Exec(t, c, `CREATE SNAPSHOT e2 OF eg`)
	Exec(t, c, `INSERT INTO eg VALUES ('gone', '2024-01-03', 5)`)

	// A plain DELETE leaves the snapshots as they were.
	Exec(t, c, `DELETE FROM eg WHERE user_id = 'gone' AND score = 5`)
	if got := QueryStrings(t, c, `SELECT count(*) FROM eg VERSION 'e1' WHERE user_id = 'gone'`); got[0][0] != "2" {
		t.Fatalf("snapshot e1 after DELETE: %v rows of the entity, want 2", got)
	}
	Exec(t, c, `INSERT INTO eg VALUES ('gone', '2024-01-04', 6)`)

	tag, err := c.Exec(context.Background(), `ERASE FROM eg WHERE user_id = $1`, "gone")
	if err != nil {
		t.Fatal(err)
	}
	// 3 current rows (2 flushed/unflushed of January 1-2 and the 4th) + 2 in e1 + 2 in e2.
	if tag.String() != "ERASE 7" {
		t.Errorf("ERASE tag %q, want ERASE 7", tag)
	}
	for _, q := range []string{
		`SELECT count(*) FROM eg WHERE user_id = 'gone'`,
		`SELECT count(*) FROM eg VERSION 'e1' WHERE user_id = 'gone'`,
		`SELECT count(*) FROM eg VERSION 'e2' WHERE user_id = 'gone'`,
		`SELECT count(*) FROM eg AS OF now() WHERE user_id = 'gone'`,
		`SELECT count(*) FROM eg AS OF TIMESTAMP '2030-01-01' KNOWN AT TIMESTAMP '2030-01-01' WHERE user_id = 'gone'`,
	} {
		if got := QueryStrings(t, c, q); got[0][0] != "0" {
			t.Errorf("%s: %v after ERASE", q, got)
		}
	}
	if got := QueryStrings(t, c, `SELECT score FROM eg AS OF now() WHERE user_id = 'kept'`); fmt.Sprint(got) != "[[4]]" {
		t.Errorf("online lookup of the other entity: %v", got)
	}
	if got := QueryStrings(t, c, `SELECT user_id, score FROM eg VERSION 'e1' ORDER BY score`); fmt.Sprint(got) != "[[kept 2] [kept 4]]" {
		t.Errorf("snapshot e1 after ERASE: %v", got)
	}
	got := QueryStrings(t, c, `SELECT snapshot_name, row_count, len(erasures), erasures[1] LIKE '%ERASE FROM eg WHERE user_id = $1 (2 rows)' FROM feature_store.snapshots ORDER BY 1`)
	if fmt.Sprint(got) != "[[e1 2 1 t] [e2 1 1 t]]" {
		t.Errorf("erasures recorded: %v", got)
	}
	// No file on disk holds the entity any more, and a restart (which
	// collects unreferenced files) keeps the snapshots whole.
	glob := filepath.Join(srv.DataDir, "offline", "**", "*.parquet")
	if got := QueryStrings(t, c, `SELECT count(*) FROM read_parquet('`+glob+`', union_by_name = true) WHERE user_id = 'gone'`); got[0][0] != "0" {
		t.Errorf("%s rows of the erased entity remain in Parquet files on disk", got[0][0])
	}
	srv.Stop()
	srv.Start()
	c = srv.Connect(t)
	if got := QueryStrings(t, c, `SELECT count(*) FROM read_parquet('`+glob+`', union_by_name = true) WHERE user_id = 'gone'`); got[0][0] != "0" {
		t.Errorf("after a restart, %s rows of the erased entity are in Parquet files", got[0][0])
	}
	if got := QueryStrings(t, c, `SELECT user_id, score FROM eg VERSION 'e2' ORDER BY score`); fmt.Sprint(got) != "[[kept 4]]" {
		t.Errorf("snapshot e2 after restart: %v", got)
	}
}

// TestVacuumRetention: VACUUM deletes history past the group's retention
// (Parquet and unflushed), keeps what a snapshot pins, deletes files no
// one needs, and DRY RUN reports the same without changing anything.
func TestVacuumRetention(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP vg (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v INTEGER) WITH (retention = '30 days', online = true)`)
	// Parquet: ids 1-3 old, 4 recent; unflushed: 5 old, 6 recent, 1 recent.
	Exec(t, c, `INSERT INTO vg VALUES (1, now() - INTERVAL '40 days', 1), (2, now() - INTERVAL '31 days', 2),
		(3, now() - INTERVAL '30 days' - INTERVAL '1 minute', 3), (4, now() - INTERVAL '29 days', 4)`)
	srv.Stop()
	srv.Start()
	c = srv.Connect(t)
	Exec(t, c, `INSERT INTO vg VALUES (5, now() - INTERVAL '35 days', 5), (6, now() - INTERVAL '1 day', 6), (1, now() - INTERVAL '1 hour', 7)`)
	Exec(t, c, `CREATE SNAPSHOT pin OF vg`)
	before := QueryStrings(t, c, `SELECT id, v FROM vg ORDER BY v`)
	files := QueryStrings(t, c, `SELECT count(*) FROM feature_store.files WHERE group_name = 'vg'`)

	dry := QueryStrings(t, c, `VACUUM (DRY RUN) vg`)
	if len(dry) != 1 || dry[0][0] != "vg" || dry[0][1] != "4" {
		t.Fatalf("VACUUM (DRY RUN): %v, want 4 rows past retention", dry)
	}
	if got := QueryStrings(t, c, `SELECT id, v FROM vg ORDER BY v`); !reflect.DeepEqual(got, before) {
		t.Fatalf("DRY RUN changed the rows: %v, was %v", got, before)
	}
	if got := QueryStrings(t, c, `SELECT count(*) FROM feature_store.files WHERE group_name = 'vg'`); !reflect.DeepEqual(got, files) {
		t.Fatalf("DRY RUN changed the manifest: %v files, was %v", got, files)
	}

	res := QueryStrings(t, c, `VACUUM vg`)
	if !reflect.DeepEqual(res, dry) {
		t.Errorf("VACUUM answered %v, DRY RUN %v", res, dry)
	}
	if got := QueryStrings(t, c, `SELECT id, v FROM vg ORDER BY v`); fmt.Sprint(got) != "[[4 4] [6 6] [1 7]]" {
		t.Errorf("after VACUUM: %v", got)
	}
	if got := QueryStrings(t, c, `SELECT id, v FROM vg AS OF now() WHERE id IN (1, 2, 5) ORDER BY id`); fmt.Sprint(got) != "[[1 7]]" {
		t.Errorf("online after VACUUM: %v", got)
	}
	if got := QueryStrings(t, c, `SELECT count(*) FROM vg VERSION 'pin'`); got[0][0] != "7" {
		t.Errorf("the snapshot lost rows to VACUUM: %v", got)
	}
	// The Parquet file the retention rewrote is pinned by the snapshot: it
	// stays. Once the snapshot goes, the next VACUUM deletes it.
	Exec(t, c, `DROP SNAPSHOT pin`)
	res = QueryStrings(t, c, `VACUUM vg`)
	if res[0][1] != "0" || res[0][2] != "1" || res[0][3] == "0" {
		t.Errorf("VACUUM after DROP SNAPSHOT: %v, want 0 rows and 1 file deleted with its bytes", res)
	}
	if got := QueryStrings(t, c, `SELECT count(*) FROM feature_store.files WHERE group_name = 'vg' AND removed_version IS NOT NULL`); got[0][0] != "0" {
		t.Errorf("%v removed files left in the manifest", got)
	}
	// Without retention, only unneeded files go.
	Exec(t, c, `CREATE FEATURE GROUP keep (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME)`)
	Exec(t, c, `INSERT INTO keep VALUES (1, now() - INTERVAL '10 years')`)
	if got := QueryStrings(t, c, `VACUUM keep, vg`); fmt.Sprint(got) != "[[keep 0 0 0 0] [vg 0 0 0 0]]" {
		t.Errorf("VACUUM keep, vg: %v", got)
	}
}

// TestSnapshotErrors: the errors of snapshot statements, ERASE and VACUUM.
func TestSnapshotErrors(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP xg (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v INTEGER)`)
	Exec(t, c, `CREATE FEATURE GROUP yg (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v INTEGER)`)
	Exec(t, c, `CREATE TABLE plain (id INTEGER)`)
	Exec(t, c, `CREATE SNAPSHOT sx OF xg`)
	fvCode(t, c, `SELECT * FROM xg VERSION 'nope'`, "42704")
	fvCode(t, c, `SELECT * FROM yg VERSION 'sx'`, "42704")
	fvCode(t, c, `SELECT * FROM plain VERSION 'sx'`, "42P01")
	fvCode(t, c, `SELECT * FROM xg VERSION 'sx' AS OF now()`, "0A000")
	fvCode(t, c, `CREATE SNAPSHOT sx OF yg`, "42710")
	fvCode(t, c, `CREATE SNAPSHOT s9 OF nothing`, "42P01")
	fvCode(t, c, `CREATE SNAPSHOT s9 OF xg WITH (color = 'red')`, "22023")
	fvCode(t, c, `DROP SNAPSHOT nope`, "42704")
	fvCode(t, c, `DROP FEATURE GROUP xg`, "2BP01")
	fvCode(t, c, `ERASE FROM plain WHERE id = 1`, "42P01")
	fvCode(t, c, `ERASE FROM xg WHERE nocolumn = 1`, "42703")
	Exec(t, c, `BEGIN`)
	fvCode(t, c, `VACUUM xg`, "25001")
	Exec(t, c, `ROLLBACK`)
	Exec(t, c, `BEGIN`)
	fvCode(t, c, `ERASE FROM xg WHERE id = 1`, "25001")
	Exec(t, c, `ROLLBACK`)
	Exec(t, c, `BEGIN`)
	fvCode(t, c, `CREATE SNAPSHOT s9 OF xg`, "25001")
	Exec(t, c, `ROLLBACK`)
	if got := QueryStrings(t, c, `SELECT snapshot_name FROM feature_store.snapshots`); fmt.Sprint(got) != "[[sx]]" {
		t.Errorf("snapshots after the failed statements: %v", got)
	}
	Exec(t, c, `CREATE SNAPSHOT IF NOT EXISTS sx OF xg`)
	Exec(t, c, `DROP SNAPSHOT IF EXISTS nope`)
	Exec(t, c, `DROP FEATURE GROUP xg CASCADE`)
	if got := QueryStrings(t, c, `SELECT count(*) FROM feature_store.snapshots`); got[0][0] != "0" {
		t.Errorf("DROP FEATURE GROUP CASCADE left %v snapshots", got)
	}
	Exec(t, c, `VACUUM plain`) // an ordinary table: DuckDB's VACUUM
}
