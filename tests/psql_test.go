package tests

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected output of the psql scripts (testdata/psql/*.out)")

// repoRoot is the module root: psql runs there, so scripts name their data
// files as tests/testdata/psql/... (as the README's \copy does).
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtime.Caller failed")
	}
	return filepath.Dir(filepath.Dir(file))
}

// runPsql runs one script with psql against srv, echoing every statement
// (-a) and sending errors and notices to the same stream, and returns the
// output with what varies between runs (the port, the data directory)
// replaced by placeholders.
func runPsql(t *testing.T, srv *Server, script string) string {
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
	cmd := exec.Command(psql, "-X", "-a", "-v", "ON_ERROR_STOP=0",
		"-h", "127.0.0.1", "-p", strconv.Itoa(srv.Port),
		"-U", "featurehouse", "-d", "featurehouse", "-f", rel)
	cmd.Dir = root
	cmd.Env = append(cleanEnv(), "PGTZ=UTC", "LC_ALL=C", "PAGER=", "PSQL_PAGER=", "COLUMNS=200")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("psql: %v\n%s", err, out)
		}
		// ON_ERROR_STOP=0: a failing statement does not stop the script;
		// a non-zero exit (e.g. connection lost) shows in the output.
		out = append(out, []byte("psql exited with "+err.Error()+"\n")...)
	}
	s := string(out)
	s = strings.ReplaceAll(s, srv.DataDir, "$DATADIR")
	s = strings.ReplaceAll(s, strconv.Itoa(srv.Port), "$PORT")
	return s
}

// TestPsql runs every testdata/psql/*.sql script with psql against a fresh
// server and compares psql's output with the .out file next to it.
// `go test ./tests -run TestPsql -update` rewrites the .out files; review
// their diff by eye, since an expected output that records wrong behaviour
// is a defect.
func TestPsql(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join(repoRoot(t), "tests", "testdata", "psql", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatal("no psql scripts in testdata/psql")
	}
	for _, script := range scripts {
		script := script
		name := strings.TrimSuffix(filepath.Base(script), ".sql")
		t.Run(name, func(t *testing.T) {
			srv := StartServer(t)
			got := runPsql(t, srv, script)
			outFile := strings.TrimSuffix(script, ".sql") + ".out"
			if *update {
				if err := os.WriteFile(outFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(outFile)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("psql output of %s differs from %s (line numbers of the .out / of psql's output)\n%s",
					filepath.Base(script), filepath.Base(outFile), lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff is a small line-oriented diff (longest common subsequence), enough
// to show which statements' output changed.
func lineDiff(want, got string) string {
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else if lcs[i+1][j] >= lcs[i][j+1] {
				lcs[i][j] = lcs[i+1][j]
			} else {
				lcs[i][j] = lcs[i][j+1]
			}
		}
	}
	var sb strings.Builder
	sb.WriteString("--- want (.out)\n+++ got (psql)\n")
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			fmt.Fprintf(&sb, "+%4d| %s\n", j+1, b[j])
			j++
		default:
			fmt.Fprintf(&sb, "-%4d| %s\n", i+1, a[i])
			i++
		}
	}
	return sb.String()
}
