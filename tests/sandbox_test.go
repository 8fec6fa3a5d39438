package tests

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestSandbox: with --sandbox, DuckDB refuses the superuser's reads and
// writes outside the data directory and --sandbox-allow (42501), while
// featurehouse's own storage keeps working through every path that
// writes or reads Parquet (inserts flushed to Parquet, COPY both ways,
// AS OF, snapshots, DELETE's copy-on-write, COMPACT, VACUUM, a restart)
// and COPY to or from a file or program inside the allowed directory.
func TestSandbox(t *testing.T) {
	allowed, outside := t.TempDir(), t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("TOPSECRET\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := StartServer(t, "--sandbox=true", "--sandbox-allow", allowed, "--flush-rows", "3")
	su := srv.Connect(t)
	ctx := context.Background()
	q := func(s string) string { return "'" + s + "'" }
	for _, bad := range []string{
		`SELECT content FROM read_text('/etc/hostname')`,
		`SELECT content FROM read_text(` + q(secret) + `)`,
		`SELECT count(*) FROM glob('/etc/*')`,
		`COPY (SELECT 1) TO ` + q(filepath.Join(outside, "out.csv")),
		`CREATE TABLE stolen AS SELECT * FROM read_text(` + q(secret) + `)`,
	} {
		_, err := su.Exec(ctx, bad, pgx.QueryExecModeSimpleProtocol)
		wantPgErr(t, err, "42501", "")
	}
	if _, err := os.Stat(filepath.Join(outside, "out.csv")); err == nil {
		t.Error("the superuser wrote outside the sandbox")
	}

	// Feature-store storage, all in the data directory.
	Exec(t, su, `CREATE FEATURE GROUP sg (k INTEGER ENTITY KEY, t TIMESTAMPTZ EVENT TIME, v INTEGER) WITH (online = true)`)
	for _, s := range []string{
		`INSERT INTO sg VALUES (1, '2024-01-01', 10), (2, '2024-01-01', 20), (3, '2024-01-01', 30), (4, '2024-01-01', 40)`,
		`INSERT INTO sg VALUES (1, '2024-02-01', 11), (2, '2024-02-01', 21), (3, '2024-02-01', 31)`,
		`CREATE SNAPSHOT s1 OF sg`,
		`DELETE FROM sg WHERE k = 4`,
		`COMPACT sg`,
		`VACUUM sg`,
	} {
		Exec(t, su, s)
	}
	if _, err := su.PgConn().CopyFrom(ctx, strings.NewReader("5\t2024-03-01 00:00:00+00\t50\n"), "COPY sg FROM STDIN"); err != nil {
		t.Fatalf("COPY FROM STDIN: %v", err)
	}
	var out strings.Builder
	if _, err := su.PgConn().CopyTo(ctx, &out, "COPY (SELECT k, v FROM sg ORDER BY k, v) TO STDOUT"); err != nil {
		t.Fatalf("COPY TO STDOUT: %v", err)
	}
	if got, want := out.String(), "1\t10\n1\t11\n2\t20\n2\t21\n3\t30\n3\t31\n5\t50\n"; got != want {
		t.Errorf("COPY TO STDOUT: %q, want %q", got, want)
	}
	check := func(sql, want string) {
		t.Helper()
		got := QueryStrings(t, su, sql)
		var parts []string
		for _, r := range got {
			parts = append(parts, strings.Join(r, ","))
		}
		if s := strings.Join(parts, ";"); s != want {
			t.Errorf("%s: %s, want %s", sql, s, want)
		}
	}
	check(`SELECT k, v FROM sg AS OF now() ORDER BY k`, "1,11;2,21;3,31;5,50")
	check(`SELECT k, v FROM sg AS OF TIMESTAMPTZ '2024-01-15' ORDER BY k`, "1,10;2,20;3,30")
	check(`SELECT count(*) FROM sg VERSION 's1'`, "7")
	// The rows above are in Parquet files (flush-rows 3), not only unflushed.
	check(`SELECT count(*) > 0 FROM feature_store.files WHERE group_name = 'sg' AND removed_version IS NULL`, "t")

	// COPY to and from a file and a program, inside the allowed directory.
	in := filepath.Join(allowed, "in.csv")
	Exec(t, su, `CREATE TABLE st (x INTEGER)`)
	Exec(t, su, `COPY (SELECT 7 AS x) TO `+q(in)+` (HEADER false)`)
	Exec(t, su, `COPY st FROM `+q(in)+` (HEADER false)`)
	Exec(t, su, `COPY st FROM PROGRAM 'echo 8' (HEADER false)`)
	Exec(t, su, `COPY (SELECT sum(x) FROM st) TO PROGRAM `+q("cat > "+filepath.Join(allowed, "sum.txt"))+` (HEADER false)`)
	if b, err := os.ReadFile(filepath.Join(allowed, "sum.txt")); err != nil || strings.TrimSpace(string(b)) != "15" {
		t.Errorf("COPY TO PROGRAM wrote %q, %v", b, err)
	}

	// After a restart: still sandboxed, the data still there.
	srv.Stop()
	srv.Start()
	su = srv.Connect(t)
	check(`SELECT k, v FROM sg AS OF now() ORDER BY k`, "1,11;2,21;3,31;5,50")
	_, err := su.Exec(ctx, `SELECT content FROM read_text('/etc/hostname')`)
	wantPgErr(t, err, "42501", "")
}
