package tests

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var recordPG = flag.Bool("record-pg15", false,
	"record testdata/psql_pg15/describe.pg15.out from a real PostgreSQL 15 (/usr/lib/postgresql/15/bin, run as the postgres user when root)")

// describeDiffs are the lines of psql's \d output where featurehouse
// cannot print what PostgreSQL prints for the equivalent table, each with
// the reason. Every other line must be the same.
var describeDiffs = []struct{ pg, fh, why string }{
	{
		pg:  `    "demographics_age_check" CHECK (age >= 0 AND age <= 120)`,
		fh:  `    "demographics_age_check" CHECK (age BETWEEN 0 AND 120)`,
		why: "PostgreSQL prints a CHECK as it analysed it (BETWEEN expanded); featurehouse keeps the expression as written",
	},
	{
		pg:  `    "txn_amount_check" CHECK (amount >= 0::numeric)`,
		fh:  `    "txn_amount_check" CHECK (amount >= 0)`,
		why: "PostgreSQL shows the implicit cast of 0 to the column's type; featurehouse keeps the expression as written",
	},
	{
		pg: `    "txn_kind_check" CHECK (kind = ANY (ARRAY['a'::text, 'b'::text]))`,
		fh: `    "txn_check" CHECK (kind IN ('a', 'b'))`,
		why: "PostgreSQL names a table CHECK on one column after the column and prints IN as = ANY (ARRAY[...]); " +
			"featurehouse names table CHECKs <group>_check and keeps the expression as written",
	},
}

// TestPsqlDescribeMatchesPostgres runs the same psql meta-commands against
// featurehouse (feature groups) and compares their output with what a real
// PostgreSQL 15 printed for tables with the same columns, NOT NULL, CHECKs
// and comments (testdata/psql_pg15/describe.pg15.out, recorded with
// -record-pg15). Lines listed in describeDiffs may differ as listed.
func TestPsqlDescribeMatchesPostgres(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "tests", "testdata", "psql_pg15")
	fixture := filepath.Join(dir, "describe.pg15.out")
	if *recordPG {
		out := recordPostgres15(t, filepath.Join(dir, "setup_pg.sql"), filepath.Join(dir, "describe.sql"))
		if err := os.WriteFile(fixture, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s", fixture)
	}
	want, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatalf("%v (run with -record-pg15 where PostgreSQL 15 is installed)", err)
	}
	srv := StartServer(t)
	if out := runPsqlScript(t, "127.0.0.1", srv.Port, filepath.Join(dir, "setup_fh.sql")); strings.Contains(out, "ERROR") {
		t.Fatalf("setup failed:\n%s", out)
	}
	got := runPsqlScript(t, "127.0.0.1", srv.Port, filepath.Join(dir, "describe.sql"))

	wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
	if len(wl) != len(gl) {
		t.Fatalf("featurehouse printed %d lines, PostgreSQL %d:\n%s", len(gl), len(wl), lineDiff(string(want), got))
	}
	used := map[int]bool{}
	for i := range wl {
		if wl[i] == gl[i] {
			continue
		}
		known := false
		for k, d := range describeDiffs {
			if wl[i] == d.pg && gl[i] == d.fh {
				known, used[k] = true, true
				break
			}
		}
		if !known {
			t.Errorf("line %d differs from PostgreSQL 15's\n pg: %q\n fh: %q", i+1, wl[i], gl[i])
		}
	}
	for k, d := range describeDiffs {
		if !used[k] {
			t.Errorf("known difference no longer seen (remove it from describeDiffs): %q", d.pg)
		}
	}
}

// runPsqlScript runs a script with psql as TestPsql does, against any
// server, as user and database featurehouse.
func runPsqlScript(t *testing.T, host string, port int, script string) string {
	t.Helper()
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatalf("psql is not installed (make test installs postgresql-client): %v", err)
	}
	root := repoRoot(t)
	rel, err := filepath.Rel(root, script)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(psql, "-X", "-a", "-v", "ON_ERROR_STOP=0", "-h", host, "-p", strconv.Itoa(port),
		"-U", "featurehouse", "-d", "featurehouse", "-f", rel)
	cmd.Dir = root
	cmd.Env = append(cleanEnv(), "PGTZ=UTC", "LC_ALL=C", "PAGER=", "PSQL_PAGER=", "COLUMNS=200")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql %s: %v\n%s", rel, err, out)
	}
	return string(out)
}

// recordPostgres15 starts a throwaway PostgreSQL 15 on a loopback port with
// its own socket directory (initdb refuses root: then as the postgres user),
// creates role and database featurehouse, runs setup and returns the output
// of script.
func recordPostgres15(t *testing.T, setup, script string) string {
	t.Helper()
	bin := "/usr/lib/postgresql/15/bin"
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		t.Fatalf("PostgreSQL 15 server binaries not found in %s: %v", bin, err)
	}
	base, err := os.MkdirTemp("", "fh-pg15-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	data, sock := filepath.Join(base, "data"), filepath.Join(base, "sock")
	for _, d := range []string{data, sock} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	asPostgres := os.Geteuid() == 0
	if asPostgres {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs a postgres user (initdb refuses root): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, d := range []string{base, data, sock} {
			if err := os.Chown(d, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	run := func(prog string, args ...string) {
		t.Helper()
		full := append([]string{filepath.Join(bin, prog)}, args...)
		var cmd *exec.Cmd
		if asPostgres {
			q := make([]string, len(full))
			for i, a := range full {
				q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
			}
			cmd = exec.Command("su", "postgres", "-s", "/bin/sh", "-c", strings.Join(q, " "))
		} else {
			cmd = exec.Command(full[0], full[1:]...)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", prog, err, out)
		}
	}
	run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync")
	port := freePort(t)
	run("pg_ctl", "-D", data, "-l", filepath.Join(base, "log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, sock), "start")
	t.Cleanup(func() { run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop") })
	psql := exec.Command("psql", "-X", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", "-d", "postgres",
		"-v", "ON_ERROR_STOP=1", "-c", "CREATE ROLE featurehouse SUPERUSER LOGIN", "-c", "CREATE DATABASE featurehouse OWNER featurehouse")
	psql.Env = cleanEnv()
	if out, err := psql.CombinedOutput(); err != nil {
		t.Fatalf("creating role and database: %v\n%s", err, out)
	}
	if out := runPsqlScript(t, "127.0.0.1", port, setup); strings.Contains(out, "ERROR") {
		t.Fatalf("setup on PostgreSQL failed:\n%s", out)
	}
	return runPsqlScript(t, "127.0.0.1", port, script)
}

// TestCatalogQueriesWithParameters: catalog queries as drivers send them,
// prepared with parameters (extended protocol), typed and described.
func TestCatalogQueriesWithParameters(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP g (k BIGINT ENTITY KEY, t TIMESTAMPTZ EVENT TIME, v NUMERIC(12,4) NOT NULL, e REAL[4])`)
	Exec(t, c, `COMMENT ON FEATURE g.v IS 'the value'`)
	got := QueryStrings(t, c, `SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
		pg_catalog.col_description(a.attrelid, a.attnum), c.oid::pg_catalog.regclass::text
		FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
		WHERE c.relname = $1 AND a.attnum > $2 AND NOT a.attisdropped ORDER BY a.attnum`, "g", 0)
	want := [][]string{
		{"k", "bigint", "t", "NULL", "g"},
		{"t", "timestamp with time zone", "f", "NULL", "g"},
		{"v", "numeric(12,4)", "t", "the value", "g"},
		{"e", "real[]", "f", "NULL", "g"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("columns of g:\n got %v\nwant %v", got, want)
	}
	got = QueryStrings(t, c, `SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attnum > 0`, "public.g")
	if fmt.Sprint(got) != "[[4]]" {
		t.Fatalf("attributes of $1::regclass: %v", got)
	}
	_, err := c.Exec(context.Background(), `SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass`, "nosuch")
	if err == nil || !strings.Contains(err.Error(), `relation "nosuch" does not exist`) || sqlstate(err) != "42P01" {
		t.Fatalf("unknown relation: %v", err)
	}
	_, err = c.Exec(context.Background(), `SELECT $1::regtype::oid`, "nosuch")
	if err == nil || sqlstate(err) != "42704" {
		t.Fatalf("unknown type: %v", err)
	}
	got = QueryStrings(t, c, `SELECT $1::regclass, $2::regtype::oid`, `"public".G`, "real[]")
	if fmt.Sprint(got) != "[[g 1021]]" {
		t.Fatalf("$1::regclass shown, $2::regtype::oid: %v", got)
	}
}
