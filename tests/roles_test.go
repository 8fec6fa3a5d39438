package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// roleDiffs are the lines of roles.sql where featurehouse may print what
// PostgreSQL 15 does not, each with the reason.
var roleDiffs = []struct{ pg, fh, why string }{} // none: every line matches

// TestRolesMatchPostgres runs role statements, \du, pg_roles,
// pg_auth_members, pg_authid, SET ROLE and SET SESSION AUTHORIZATION
// through psql and compares the output with what PostgreSQL 15 printed
// (testdata/psql_pg15/roles.pg15.out, recorded with -record-pg15).
func TestRolesMatchPostgres(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "tests", "testdata", "psql_pg15")
	script := filepath.Join(dir, "roles.sql")
	fixture := filepath.Join(dir, "roles.pg15.out")
	empty := filepath.Join(t.TempDir(), "empty.sql")
	if err := os.WriteFile(empty, []byte("SELECT 1;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if *recordPG {
		out := recordPostgres15(t, empty, script)
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
	got := runPsqlScript(t, "127.0.0.1", srv.Port, script)
	wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
	if len(wl) != len(gl) {
		t.Fatalf("featurehouse printed %d lines, PostgreSQL %d:\n%s", len(gl), len(wl), lineDiff(string(want), got))
	}
	for i := range wl {
		if wl[i] == gl[i] {
			continue
		}
		known := false
		for _, d := range roleDiffs {
			if wl[i] == d.pg && gl[i] == d.fh {
				known = true
			}
		}
		if !known {
			t.Errorf("line %d differs from PostgreSQL 15's\n pg: %q\n fh: %q", i+1, wl[i], gl[i])
		}
	}
}
