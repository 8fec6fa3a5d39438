package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// quietFlush keeps rows unflushed until the server stops (a clean stop
// flushes them), so a test decides what is Parquet and what is not.
var quietFlush = []string{"--flush-rows", "1000000", "--flush-age", "1h"}

// delGroupDDL is a group partitioned by month: a direct write of 60 000
// rows (>= 50 000 goes straight to Parquet) makes one file per month.
const delGroupDDL = `CREATE FEATURE GROUP dg (
	id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v INTEGER, s TEXT
) WITH (partition_by = 'month')`

// fillParquet writes ids 0..59999 straight to Parquet: January, February
// and March 2024 (one file each), v = id.
func fillParquet(t *testing.T, c *pgx.Conn) {
	t.Helper()
	Exec(t, c, `INSERT INTO dg SELECT i, TIMESTAMPTZ '2024-01-01' + (i % 3) * INTERVAL '1 month' + (i / 3) * INTERVAL '1 second', i, 'p'
		FROM generate_series(0, 59999) t(i)`)
	if got := QueryStrings(t, c, `SELECT count(*), sum(row_count) FROM feature_store.files WHERE group_name = 'dg' AND removed_version IS NULL`); got[0][0] != "3" || got[0][1] != "60000" {
		t.Fatalf("after the direct write: files, rows = %v, want 3 files with 60000 rows", got)
	}
}

// liveFiles lists the group's live manifest rows (path, partition, rows).
func liveFiles(t *testing.T, c *pgx.Conn, group string) []string {
	t.Helper()
	var out []string
	for _, r := range QueryStrings(t, c, `SELECT path, partition, row_count FROM feature_store.files
		WHERE group_name = '`+group+`' AND removed_version IS NULL ORDER BY path`) {
		out = append(out, strings.Join(r, " "))
	}
	return out
}

// allFiles lists every manifest row of the group, removed or not.
func allFiles(t *testing.T, c *pgx.Conn, group string) []string {
	t.Helper()
	var out []string
	for _, r := range QueryStrings(t, c, `SELECT path, partition, row_count, added_version, COALESCE(CAST(removed_version AS VARCHAR), '-')
		FROM feature_store.files WHERE group_name = '`+group+`' ORDER BY file_id`) {
		out = append(out, strings.Join(r, " "))
	}
	return out
}

// parquetOnDisk lists the Parquet files under the data directory.
func parquetOnDisk(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(filepath.Join(dir, "offline"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func one(t *testing.T, c *pgx.Conn, q string) string {
	t.Helper()
	rows := QueryStrings(t, c, q)
	if len(rows) != 1 || len(rows[0]) != 1 {
		t.Fatalf("%s: got %v, want one value", q, rows)
	}
	return rows[0][0]
}

func execTag(t *testing.T, c *pgx.Conn, q string, args ...any) string {
	t.Helper()
	tag, err := c.Exec(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return tag.String()
}

func sameList(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

// TestTruncateFeatureGroup: TRUNCATE removes Parquet and unflushed history
// (files leave the manifest but stay on disk), alone, as TRUNCATE TABLE,
// schema-qualified and mixed with ordinary tables; writes and a restart
// afterwards behave.
func TestTruncateFeatureGroup(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	Exec(t, c, delGroupDDL)
	fillParquet(t, c)
	Exec(t, c, `INSERT INTO dg VALUES (1, '2024-04-01', 1, 'u'), (70000, '2024-04-02', 2, 'u')`)
	onDisk := parquetOnDisk(t, srv.DataDir)

	if tag := execTag(t, c, "TRUNCATE dg"); tag != "TRUNCATE TABLE" {
		t.Errorf("tag %q, want TRUNCATE TABLE", tag)
	}
	if n := one(t, c, "SELECT count(*) FROM dg"); n != "0" {
		t.Errorf("after TRUNCATE: %s rows, want 0", n)
	}
	if n := one(t, c, "SELECT count(*) FROM dg AS OF TIMESTAMP '2030-01-01'"); n != "0" {
		t.Errorf("AS OF after TRUNCATE: %s rows, want 0", n)
	}
	if live := liveFiles(t, c, "dg"); len(live) != 0 {
		t.Errorf("live files after TRUNCATE: %v", live)
	}
	if n := one(t, c, "SELECT count(*) FROM feature_store.files WHERE group_name = 'dg' AND removed_version IS NOT NULL"); n != "3" {
		t.Errorf("removed files in the manifest: %s, want 3 (kept for versions a snapshot may pin)", n)
	}
	if got := parquetOnDisk(t, srv.DataDir); !sameList(got, onDisk) {
		t.Errorf("files on disk changed by TRUNCATE: %v, want %v (a vacuum deletes them)", got, onDisk)
	}

	// Writes afterwards, then TRUNCATE TABLE and a restart.
	Exec(t, c, `INSERT INTO dg VALUES (5, '2024-05-01', 5, 'after')`)
	if got := QueryStrings(t, c, "SELECT id, v, s FROM dg"); len(got) != 1 || got[0][0] != "5" {
		t.Errorf("after TRUNCATE and INSERT: %v", got)
	}
	if tag := execTag(t, c, "TRUNCATE TABLE dg"); tag != "TRUNCATE TABLE" {
		t.Errorf("tag %q, want TRUNCATE TABLE", tag)
	}
	Exec(t, c, `INSERT INTO dg VALUES (6, '2024-05-01', 6, 'kept')`)

	// Several relations: a group in a schema, an ordinary table, the group again.
	Exec(t, c, "CREATE SCHEMA ml")
	Exec(t, c, "CREATE FEATURE GROUP ml.g2 (k TEXT ENTITY KEY, et TIMESTAMPTZ EVENT TIME, x DOUBLE PRECISION)")
	Exec(t, c, "INSERT INTO ml.g2 VALUES ('a', '2024-01-01', 1), ('b', '2024-01-02', 2)")
	Exec(t, c, "CREATE TABLE plain (a INTEGER)")
	Exec(t, c, "CREATE TABLE plain2 (a INTEGER)")
	Exec(t, c, "INSERT INTO plain VALUES (1), (2)")
	Exec(t, c, "INSERT INTO plain2 VALUES (3)")
	if tag := execTag(t, c, "TRUNCATE ml.g2, plain, ONLY plain2, ml.g2 RESTART IDENTITY CASCADE"); tag != "TRUNCATE TABLE" {
		t.Errorf("tag %q, want TRUNCATE TABLE", tag)
	}
	if got := QueryStrings(t, c, "SELECT (SELECT count(*) FROM ml.g2), (SELECT count(*) FROM plain), (SELECT count(*) FROM plain2), (SELECT count(*) FROM dg)"); fmt.Sprint(got) != "[[0 0 0 1]]" {
		t.Errorf("counts after TRUNCATE ml.g2, plain, plain2: %v, want [[0 0 0 1]]", got)
	}
	// One missing relation: nothing is truncated.
	Exec(t, c, "INSERT INTO plain VALUES (1)")
	_, err := c.Exec(context.Background(), "TRUNCATE plain, dg, nosuch")
	if sqlstate(err) != "42P01" {
		t.Errorf("TRUNCATE with a missing relation: %v, want 42P01", err)
	}
	if got := QueryStrings(t, c, "SELECT (SELECT count(*) FROM plain), (SELECT count(*) FROM dg)"); fmt.Sprint(got) != "[[1 1]]" {
		t.Errorf("after a failed TRUNCATE: %v, want [[1 1]] (nothing truncated)", got)
	}
	// The system tables stay protected.
	if _, err := c.Exec(context.Background(), "TRUNCATE dg, feature_store.files"); sqlstate(err) != "42501" {
		t.Errorf("TRUNCATE feature_store.files: %v, want 42501", err)
	}

	srv.Stop()
	srv.Start()
	c = srv.Connect(t)
	if got := QueryStrings(t, c, "SELECT id, v, s FROM dg"); fmt.Sprint(got) != "[[6 6 kept]]" {
		t.Errorf("after restart: %v, want [[6 6 kept]]", got)
	}
	if n := one(t, c, "SELECT count(*) FROM ml.g2"); n != "0" {
		t.Errorf("ml.g2 after restart: %s rows, want 0", n)
	}
	checkManifestGroup(t, srv, c, "dg")
}

// TestTruncateInTransaction: TRUNCATE + INSERT in one transaction is the
// overwrite mode: atomic, and ROLLBACK restores everything.
func TestTruncateInTransaction(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	ctx := context.Background()
	Exec(t, c, delGroupDDL)
	fillParquet(t, c)
	Exec(t, c, `INSERT INTO dg VALUES (100000, '2024-04-01', 1, 'u')`)
	before := allFiles(t, c, "dg")
	sum := one(t, c, "SELECT sum(v) FROM dg")

	// Another session sees the old data until COMMIT.
	other := srv.Connect(t)
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "TRUNCATE dg"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO dg VALUES (1, '2024-06-01', 11, 'new'), (2, '2024-06-01', 12, 'new')"); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM dg").Scan(&n); err != nil || n != 2 {
		t.Errorf("inside the transaction: %d rows (%v), want 2", n, err)
	}
	if got := one(t, other, "SELECT sum(v) FROM dg"); got != sum {
		t.Errorf("another session during the transaction: sum %s, want %s", got, sum)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := one(t, c, "SELECT sum(v) FROM dg"); got != sum {
		t.Errorf("after ROLLBACK: sum %s, want %s", got, sum)
	}
	if got := allFiles(t, c, "dg"); !sameList(got, before) {
		t.Errorf("manifest after ROLLBACK:\n%v\nwant\n%v", got, before)
	}

	// The same as one simple-query message, committed.
	Exec(t, c, "BEGIN; TRUNCATE dg; INSERT INTO dg VALUES (1, '2024-06-01', 11, 'new'), (2, '2024-06-01', 12, 'new'); COMMIT")
	if got := QueryStrings(t, other, "SELECT id, v, s FROM dg ORDER BY id"); fmt.Sprint(got) != "[[1 11 new] [2 12 new]]" {
		t.Errorf("after the committed overwrite: %v", got)
	}
	// Flushed and restarted, the overwrite stays.
	srv.Stop()
	srv.Start()
	c = srv.Connect(t)
	if got := QueryStrings(t, c, "SELECT id, v, s FROM dg ORDER BY id"); fmt.Sprint(got) != "[[1 11 new] [2 12 new]]" {
		t.Errorf("after restart: %v", got)
	}
	checkManifestGroup(t, srv, c, "dg")
}

// TestDeleteCopyOnWrite deletes unflushed rows only, rows of one Parquet
// file only, rows of both, and nothing: only files holding matching rows
// are rewritten, in one new manifest version.
func TestDeleteCopyOnWrite(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	Exec(t, c, delGroupDDL)
	fillParquet(t, c)
	Exec(t, c, `INSERT INTO dg VALUES (100000, '2024-04-01', -1, 'u'), (100001, '2024-04-02', -2, 'u'), (3, '2024-04-03', -3, 'u')`)
	total := 60003

	count := func() int {
		var n int
		if err := c.QueryRow(context.Background(), "SELECT count(*) FROM dg").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// No match: DELETE 0, nothing rewritten.
	before := allFiles(t, c, "dg")
	if tag := execTag(t, c, "DELETE FROM dg WHERE v = 1234567"); tag != "DELETE 0" {
		t.Errorf("tag %q, want DELETE 0", tag)
	}
	if got := allFiles(t, c, "dg"); !sameList(got, before) {
		t.Errorf("a DELETE matching nothing changed the manifest:\n%v\nwant\n%v", got, before)
	}

	// Unflushed rows only: the files stay.
	if tag := execTag(t, c, "DELETE FROM dg WHERE id >= 100000"); tag != "DELETE 2" {
		t.Errorf("tag %q, want DELETE 2", tag)
	}
	total -= 2
	if got := allFiles(t, c, "dg"); !sameList(got, before) {
		t.Errorf("a DELETE of unflushed rows changed the manifest:\n%v\nwant\n%v", got, before)
	}
	if n := count(); n != total {
		t.Errorf("%d rows, want %d", n, total)
	}

	// Rows of the February file only (id % 3 = 1): one file replaced.
	liveBefore := liveFiles(t, c, "dg")
	if tag := execTag(t, c, "DELETE FROM dg WHERE id % 3 = 1 AND id < 3000"); tag != "DELETE 1000" {
		t.Errorf("tag %q, want DELETE 1000", tag)
	}
	total -= 1000
	liveAfter := liveFiles(t, c, "dg")
	kept, gone := diffLists(liveBefore, liveAfter)
	if len(kept) != 2 || len(gone) != 1 || !strings.Contains(gone[0], "month=2024-02 20000") {
		t.Errorf("files before %v, after %v: want only the February file replaced", liveBefore, liveAfter)
	}
	if !containsPrefix(liveAfter, "month=2024-02 19000") {
		t.Errorf("live files %v: want a February file with 19000 rows", liveAfter)
	}
	if got := one(t, c, "SELECT count(DISTINCT added_version) FROM feature_store.files WHERE group_name = 'dg' AND removed_version = (SELECT max(removed_version) FROM feature_store.files WHERE group_name = 'dg')"); got != "1" {
		t.Errorf("the replaced file's removed_version is not one version: %s", got)
	}
	if n := count(); n != total {
		t.Errorf("%d rows, want %d", n, total)
	}
	if n := one(t, c, "SELECT count(*) FROM dg WHERE id % 3 = 1 AND id < 3000"); n != "0" {
		t.Errorf("deleted rows still read: %s", n)
	}

	// Both: id 3 has a Parquet row (January) and an unflushed one.
	if tag := execTag(t, c, "DELETE FROM dg WHERE id = 3"); tag != "DELETE 2" {
		t.Errorf("tag %q, want DELETE 2", tag)
	}
	total -= 2
	if n := count(); n != total {
		t.Errorf("%d rows, want %d", n, total)
	}
	// Every row of a file: the file goes, none replaces it.
	Exec(t, c, "INSERT INTO dg VALUES (200000, '2024-09-01', 1, 'sep')")
	total++
	srv.Stop() // flushes the September row to its own file
	srv.Start()
	c = srv.Connect(t)
	liveBefore = liveFiles(t, c, "dg")
	if tag := execTag(t, c, "DELETE FROM dg WHERE s = 'sep'"); tag != "DELETE 1" {
		t.Errorf("tag %q, want DELETE 1", tag)
	}
	total -= 1
	liveAfter = liveFiles(t, c, "dg")
	if _, gone := diffLists(liveBefore, liveAfter); len(liveAfter) != len(liveBefore)-1 || len(gone) != 1 || !strings.Contains(gone[0], "month=2024-09") {
		t.Errorf("files before %v, after %v: want the September file gone and nothing added", liveBefore, liveAfter)
	}

	// No WHERE: everything.
	if tag := execTag(t, c, "DELETE FROM dg"); tag != fmt.Sprintf("DELETE %d", total) {
		t.Errorf("tag %q, want DELETE %d", tag, total)
	}
	if n := count(); n != 0 {
		t.Errorf("%d rows after DELETE without WHERE, want 0", n)
	}
	srv.Stop()
	srv.Start()
	c = srv.Connect(t)
	if n := count(); n != 0 {
		t.Errorf("%d rows after restart, want 0", n)
	}
	checkManifestGroup(t, srv, c, "dg")
}

// diffLists returns the entries of a also in b, and those only in a.
func diffLists(a, b []string) (kept, gone []string) {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	for _, x := range a {
		if in[x] {
			kept = append(kept, x)
		} else {
			gone = append(gone, x)
		}
	}
	return kept, gone
}

// containsPrefix: some "path partition rows" entry ends with suffix.
func containsPrefix(list []string, suffix string) bool {
	for _, x := range list {
		if strings.HasSuffix(x, suffix) {
			return true
		}
	}
	return false
}

// TestDeleteAsOfAndRestart: after deleting an entity's latest row, AS OF
// returns its previous remaining row, from Parquet and unflushed rows
// alike, and again after a restart.
func TestDeleteAsOfAndRestart(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP hist (user_id TEXT ENTITY KEY, et TIMESTAMPTZ EVENT TIME, age INTEGER, country TEXT)`)
	Exec(t, c, `INSERT INTO hist VALUES ('u1', '2024-01-01', 20, 'US'), ('u1', '2024-02-01', 21, 'FR'), ('u2', '2024-01-15', 30, 'DE')`)
	srv.Stop() // to Parquet
	srv.Start()
	c = srv.Connect(t)
	Exec(t, c, `INSERT INTO hist VALUES ('u1', '2024-03-01', 22, 'IT'), ('u2', '2024-03-01', 31, 'ES')`)
	asOf := func() string {
		return fmt.Sprint(QueryStrings(t, c, "SELECT user_id, age, country FROM hist AS OF TIMESTAMP '2024-06-01' ORDER BY user_id"))
	}
	if got := asOf(); got != "[[u1 22 IT] [u2 31 ES]]" {
		t.Fatalf("AS OF before DELETE: %s", got)
	}
	// u1's latest is unflushed, its previous is in Parquet.
	if tag := execTag(t, c, "DELETE FROM hist WHERE user_id = 'u1' AND et >= '2024-02-01'"); tag != "DELETE 2" {
		t.Errorf("tag %q, want DELETE 2", tag)
	}
	// u2's latest is unflushed; deleting it leaves the Parquet row.
	if tag := execTag(t, c, "DELETE FROM hist WHERE user_id = 'u2' AND country = 'ES'"); tag != "DELETE 1" {
		t.Errorf("tag %q, want DELETE 1", tag)
	}
	want := "[[u1 20 US] [u2 30 DE]]"
	if got := asOf(); got != want {
		t.Errorf("AS OF after DELETE: %s, want %s", got, want)
	}
	if got := fmt.Sprint(QueryStrings(t, c, "SELECT age FROM hist AS OF TIMESTAMP '2024-02-15' WHERE user_id = 'u1'")); got != "[[20]]" {
		t.Errorf("AS OF 2024-02-15 for u1: %s, want [[20]]", got)
	}
	srv.Stop()
	srv.Start()
	c = srv.Connect(t)
	if got := asOf(); got != want {
		t.Errorf("AS OF after restart: %s, want %s", got, want)
	}
	if got := one(t, c, "SELECT count(*) FROM hist"); got != "2" {
		t.Errorf("rows after restart: %s, want 2", got)
	}
	// Later writes (INSERT, COPY) and a flush work as before.
	Exec(t, c, `INSERT INTO hist VALUES ('u1', '2024-04-01', 23, 'NL')`)
	n, err := c.CopyFrom(context.Background(), pgx.Identifier{"hist"}, []string{"user_id", "et", "age", "country"},
		pgx.CopyFromRows([][]any{{"u3", time.Date(2024, 4, 2, 0, 0, 0, 0, time.UTC), int32(50), "PT"}}))
	if err != nil || n != 1 {
		t.Fatalf("COPY after DELETE: %d rows, %v", n, err)
	}
	srv.Stop()
	srv.Start()
	c = srv.Connect(t)
	if got := asOf(); got != "[[u1 23 NL] [u2 30 DE] [u3 50 PT]]" {
		t.Errorf("AS OF after a later INSERT, COPY and flush: %s", got)
	}
	checkManifestGroup(t, srv, c, "hist")
}

// TestDeleteForms: USING, subqueries over other groups and tables, AS OF
// in a subquery, a WITH clause, extended-protocol parameters (also
// = ANY($1)), RETURNING refused.
func TestDeleteForms(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	ctx := context.Background()
	Exec(t, c, `CREATE FEATURE GROUP f (k INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v INTEGER)`)
	Exec(t, c, `CREATE FEATURE GROUP other (k INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, flag BOOLEAN)`)
	Exec(t, c, `INSERT INTO f SELECT i, TIMESTAMPTZ '2024-01-01' + i * INTERVAL '1 hour', i * 10 FROM generate_series(1, 20) t(i)`)
	Exec(t, c, `INSERT INTO other VALUES (1, '2024-01-01', true), (2, '2024-01-01', false), (2, '2024-02-01', true)`)
	Exec(t, c, `CREATE TABLE banned (k INTEGER)`)
	Exec(t, c, `INSERT INTO banned VALUES (3), (4), (4)`)
	keys := func() string {
		var ks []string
		for _, r := range QueryStrings(t, c, "SELECT k FROM f ORDER BY k") {
			ks = append(ks, r[0])
		}
		return strings.Join(ks, ",")
	}
	// USING an ordinary table with a duplicate row: each row counts once.
	if tag := execTag(t, c, "DELETE FROM f AS x USING banned b WHERE x.k = b.k"); tag != "DELETE 2" {
		t.Errorf("USING: tag %q, want DELETE 2", tag)
	}
	// A subquery with AS OF over another group: keys whose latest flag is true.
	if tag := execTag(t, c, "DELETE FROM f WHERE k IN (SELECT k FROM other AS OF TIMESTAMP '2024-03-01' WHERE flag)"); tag != "DELETE 2" {
		t.Errorf("subquery with AS OF: tag %q, want DELETE 2", tag)
	}
	if tag := execTag(t, c, "WITH big AS (SELECT 18 AS lim) DELETE FROM f WHERE k > (SELECT lim FROM big)"); tag != "DELETE 2" {
		t.Errorf("WITH: tag %q, want DELETE 2", tag)
	}
	// A schema-qualified target named so in the condition, as PostgreSQL allows.
	if tag := execTag(t, c, "DELETE FROM public.f WHERE public.f.k = 19 OR f.k = 20"); tag != "DELETE 0" {
		t.Errorf("schema-qualified column: tag %q, want DELETE 0 (19 and 20 went with WITH)", tag)
	}
	if got := keys(); got != "5,6,7,8,9,10,11,12,13,14,15,16,17,18" {
		t.Errorf("keys left: %s", got)
	}
	// Extended protocol: parameters, typed by the columns they meet.
	if tag := execTag(t, c, "DELETE FROM f WHERE k = $1 AND et < $2", 5, time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)); tag != "DELETE 1" {
		t.Errorf("$1, $2: tag %q, want DELETE 1", tag)
	}
	if tag := execTag(t, c, "DELETE FROM f WHERE k = ANY($1)", []int32{6, 7, 99}); tag != "DELETE 2" {
		t.Errorf("= ANY($1): tag %q, want DELETE 2", tag)
	}
	// A prepared DELETE runs again with other values.
	if _, err := c.Prepare(ctx, "delk", "DELETE FROM f WHERE v = $1"); err != nil {
		t.Fatal(err)
	}
	for i, v := range []int{80, 90, 90} {
		want := []string{"DELETE 1", "DELETE 1", "DELETE 0"}[i]
		if tag := execTag(t, c, "delk", v); tag != want {
			t.Errorf("prepared with %d: tag %q, want %q", v, tag, want)
		}
	}
	if got := keys(); got != "10,11,12,13,14,15,16,17,18" {
		t.Errorf("keys left: %s", got)
	}
	_, err := c.Exec(ctx, "DELETE FROM f WHERE k = 10 RETURNING *")
	if sqlstate(err) != "0A000" {
		t.Errorf("RETURNING: %v, want 0A000", err)
	}
	_, err = c.Exec(ctx, "DELETE FROM f AS OF TIMESTAMP '2024-01-01' WHERE k = 10")
	if err == nil {
		t.Errorf("DELETE FROM g AS OF: no error")
	}
	if got := keys(); got != "10,11,12,13,14,15,16,17,18" {
		t.Errorf("keys left after refused statements: %s", got)
	}
	// Ordinary tables still delete as DuckDB does.
	if tag := execTag(t, c, "DELETE FROM banned WHERE k = 4"); tag != "DELETE 2" {
		t.Errorf("ordinary table: tag %q, want DELETE 2", tag)
	}
	// Deleting from a system table stays refused.
	if _, err := c.Exec(ctx, "DELETE FROM feature_store.files"); sqlstate(err) != "42501" {
		t.Errorf("DELETE FROM feature_store.files: %v, want 42501", err)
	}
}

// TestDeleteFailedStoresNothing: a DELETE whose condition fails (a bad
// cast at run time, an unknown column) returns its SQLSTATE and changes
// nothing, in Parquet or unflushed; in a transaction block it aborts the
// block.
func TestDeleteFailedStoresNothing(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	ctx := context.Background()
	Exec(t, c, delGroupDDL)
	fillParquet(t, c)
	Exec(t, c, `INSERT INTO dg VALUES (100000, '2024-04-01', 1, 'x'), (100001, '2024-04-01', 2, '7')`)
	before := allFiles(t, c, "dg")
	sum := one(t, c, "SELECT sum(v) FROM dg")
	onDisk := parquetOnDisk(t, srv.DataDir)
	for q, code := range map[string]string{
		"DELETE FROM dg WHERE CAST(s AS INTEGER) = 7": "22P02", // 'p' and 'x' do not cast
		"DELETE FROM dg WHERE nosuch = 1":             "42703",
		"DELETE FROM dg USING nosuch WHERE true":      "42P01",
	} {
		_, err := c.Exec(ctx, q)
		if sqlstate(err) != code {
			t.Errorf("%s: %v, want SQLSTATE %s", q, err, code)
		}
	}
	if got := allFiles(t, c, "dg"); !sameList(got, before) {
		t.Errorf("manifest changed by failed DELETEs:\n%v\nwant\n%v", got, before)
	}
	if got := one(t, c, "SELECT sum(v) FROM dg"); got != sum {
		t.Errorf("sum %s after failed DELETEs, want %s", got, sum)
	}
	if got := parquetOnDisk(t, srv.DataDir); !sameList(got, onDisk) {
		t.Errorf("files on disk after failed DELETEs: %v, want %v", got, onDisk)
	}
	if left, _ := filepath.Glob(filepath.Join(srv.DataDir, "tmp", "*.parquet")); len(left) > 0 {
		t.Errorf("tmp/ after failed DELETEs: %v", left)
	}

	// In a block: the failure aborts it; ROLLBACK keeps everything.
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM dg WHERE id < 10"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM dg WHERE CAST(s AS INTEGER) = 7"); sqlstate(err) != "22P02" {
		t.Errorf("in a block: %v, want 22P02", err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1"); sqlstate(err) != "25P02" {
		t.Errorf("after the failure in a block: %v, want 25P02", err)
	}
	_ = tx.Rollback(ctx)
	if got := one(t, c, "SELECT sum(v) FROM dg"); got != sum {
		t.Errorf("sum %s after the rolled back block, want %s", got, sum)
	}
	if got := allFiles(t, c, "dg"); !sameList(got, before) {
		t.Errorf("manifest after the rolled back block:\n%v\nwant\n%v", got, before)
	}
}

// TestDeleteInTransaction: a DELETE inside a block is seen by the block
// only, ROLLBACK restores rows and manifest (the rewritten files become
// garbage collected at the next start), COMMIT keeps it.
func TestDeleteInTransaction(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	other := srv.Connect(t)
	ctx := context.Background()
	Exec(t, c, delGroupDDL)
	fillParquet(t, c)
	Exec(t, c, `INSERT INTO dg VALUES (100000, '2024-04-01', 1, 'u'), (0, '2024-04-02', 2, 'u')`)
	before := allFiles(t, c, "dg")
	sum := one(t, c, "SELECT sum(v) FROM dg")

	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := tx.Exec(ctx, "DELETE FROM dg WHERE id IN (0, 1, 100000)")
	if err != nil || tag.String() != "DELETE 4" {
		t.Fatalf("DELETE in a block: %v %v, want DELETE 4", tag, err)
	}
	var n int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM dg WHERE id IN (0, 1, 100000)").Scan(&n); err != nil || n != 0 {
		t.Errorf("inside the block: %d rows (%v), want 0", n, err)
	}
	if got := one(t, other, "SELECT count(*) FROM dg WHERE id IN (0, 1, 100000)"); got != "4" {
		t.Errorf("another session during the block: %s rows, want 4", got)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := one(t, c, "SELECT sum(v) FROM dg"); got != sum {
		t.Errorf("sum after ROLLBACK %s, want %s", got, sum)
	}
	if got := allFiles(t, c, "dg"); !sameList(got, before) {
		t.Errorf("manifest after ROLLBACK:\n%v\nwant\n%v", got, before)
	}

	Exec(t, c, "BEGIN; DELETE FROM dg WHERE id IN (0, 1, 100000); INSERT INTO dg VALUES (0, '2024-05-01', 5, 'again'); COMMIT")
	if got := fmt.Sprint(QueryStrings(t, other, "SELECT id, v, s FROM dg WHERE id IN (0, 1, 100000)")); got != "[[0 5 again]]" {
		t.Errorf("after COMMIT: %s", got)
	}
	committed := liveFiles(t, c, "dg")

	// Files of the rolled back DELETE are garbage: the next start removes them.
	srv.Stop()
	srv.Start()
	c = srv.Connect(t)
	if got := fmt.Sprint(QueryStrings(t, c, "SELECT id, v, s FROM dg WHERE id IN (0, 1, 100000)")); got != "[[0 5 again]]" {
		t.Errorf("after restart: %s", got)
	}
	var known []string
	for _, r := range QueryStrings(t, c, "SELECT path FROM feature_store.files WHERE group_name = 'dg' ORDER BY path") {
		known = append(known, r[0])
	}
	if got := parquetOnDisk(t, srv.DataDir); !sameList(got, known) {
		t.Errorf("files on disk after restart:\n%v\nmanifest:\n%v", got, known)
	}
	if len(liveFiles(t, c, "dg")) < len(committed) {
		t.Errorf("live files after restart %v, before %v", liveFiles(t, c, "dg"), committed)
	}
}

// TestDeleteConcurrentFlush writes rows while the flusher moves them to
// Parquet every few statements and another session deletes some of them
// (autocommit and in blocks): a deleted row never comes back, and no row
// is lost or duplicated. A block may fail with 40001 when a flush
// committed after its snapshot; it then changes nothing.
func TestDeleteConcurrentFlush(t *testing.T) {
	srv := StartServer(t, "--flush-rows", "30", "--flush-age", "100ms")
	writer := srv.Connect(t)
	deleter := srv.Connect(t)
	ctx := context.Background()
	Exec(t, writer, `CREATE FEATURE GROUP cf (k INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, n INTEGER)`)

	const batches, perBatch = 120, 10
	var written atomic.Int64 // rows with n <= written are committed
	var wg sync.WaitGroup
	wg.Add(1)
	errc := make(chan error, 2)
	go func() {
		defer wg.Done()
		for b := 0; b < batches; b++ {
			var vals []string
			for i := 1; i <= perBatch; i++ {
				n := b*perBatch + i
				vals = append(vals, fmt.Sprintf("(%d, TIMESTAMPTZ '2024-01-01' + INTERVAL '%d second', %d)", n%17, n, n))
			}
			if _, err := writer.Exec(ctx, "INSERT INTO cf VALUES "+strings.Join(vals, ", ")); err != nil {
				errc <- fmt.Errorf("insert: %w", err)
				return
			}
			written.Store(int64((b + 1) * perBatch))
		}
	}()
	var deletedUpTo int64 // rows with n % 3 = 0 and n <= deletedUpTo are deleted
	conflicts := 0
	for i := 0; written.Load() < batches*perBatch; i++ {
		m := written.Load()
		q := fmt.Sprintf("DELETE FROM cf WHERE n %% 3 = 0 AND n <= %d", m)
		var err error
		if i%2 == 0 {
			_, err = deleter.Exec(ctx, q)
		} else {
			err = pgx.BeginFunc(ctx, deleter, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, "SELECT count(*) FROM cf"); err != nil {
					return err
				}
				time.Sleep(20 * time.Millisecond) // let a flush commit after the snapshot
				_, err := tx.Exec(ctx, q)
				return err
			})
		}
		switch {
		case err == nil:
			deletedUpTo = m
		case sqlstate(err) == "40001":
			conflicts++
		default:
			t.Fatalf("%s: %v", q, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	t.Logf("deleted up to %d, %d conflicts, %s files", deletedUpTo, conflicts,
		one(t, deleter, "SELECT count(*) FROM feature_store.files WHERE group_name = 'cf'"))

	check := func(when string, c *pgx.Conn) {
		t.Helper()
		counts := map[int64]int{}
		rows, err := c.Query(ctx, "SELECT n FROM cf")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n int64
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			counts[n]++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		bad := 0
		for n := int64(1); n <= batches*perBatch; n++ {
			want := 1
			if n%3 == 0 && n <= deletedUpTo {
				want = 0
			}
			if counts[n] != want && bad < 10 {
				bad++
				t.Errorf("%s: row n=%d read %d times, want %d", when, n, counts[n], want)
			}
		}
	}
	check("after the writes", deleter)
	srv.Stop()
	srv.Start()
	c := srv.Connect(t)
	check("after restart", c)
	if got := one(t, c, "SELECT count(*) FROM cf WHERE n % 3 = 0 AND n <= "+fmt.Sprint(deletedUpTo)); got != "0" {
		t.Errorf("deleted rows read after restart: %s", got)
	}
	checkManifestGroup(t, srv, c, "cf")
}

// TestDeleteOnline: DELETE and TRUNCATE on an online group reach the
// online store: AS OF now() lookups by key (served online) answer as the
// offline store does.
func TestDeleteOnline(t *testing.T) {
	srv := StartServer(t, quietFlush...)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP og (user_id TEXT ENTITY KEY, et TIMESTAMPTZ EVENT TIME, age INTEGER) WITH (online = true)`)
	Exec(t, c, `INSERT INTO og VALUES ('u1', '2024-01-01', 20), ('u1', '2024-02-01', 21), ('u2', '2024-01-01', 30)`)
	lookup := func() string {
		return fmt.Sprint(lookupRows(t, c, "SELECT user_id, age FROM og AS OF now() WHERE user_id = ANY($1)", []string{"u1", "u2"}))
	}
	if got := lookup(); got != "[u1 21 u2 30]" {
		t.Fatalf("before DELETE: %s", got)
	}
	Exec(t, c, "DELETE FROM og WHERE user_id = 'u1' AND age = 21")
	if got := lookup(); got != "[u1 20 u2 30]" {
		t.Errorf("after DELETE of u1's latest: %s, want [u1 20 u2 30]", got)
	}
	Exec(t, c, "DELETE FROM og WHERE user_id = 'u2'")
	if got := lookup(); got != "[u1 20]" {
		t.Errorf("after DELETE of u2: %s, want [u1 20]", got)
	}
	Exec(t, c, "BEGIN; TRUNCATE og; INSERT INTO og VALUES ('u2', '2024-03-01', 33); COMMIT")
	if got := lookup(); got != "[u2 33]" {
		t.Errorf("after TRUNCATE + INSERT: %s, want [u2 33]", got)
	}
}
