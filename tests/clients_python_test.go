package tests

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pythonClients are the scenarios of tests/clients/python, each run with
// Debian's /usr/bin/python3 (the python3 on the PATH may be another build
// that cannot see Debian's python3-* packages) against the real binary.
var pythonClients = []struct {
	script string
	module string // the Debian package's module, checked first
	dsn    func(s *Server) string
}{
	{"psycopg2_scenario.py", "psycopg2", func(s *Server) string {
		return fmt.Sprintf("host=127.0.0.1 port=%d user=featurehouse dbname=featurehouse", s.Port)
	}},
	{"psycopg3_scenario.py", "psycopg", func(s *Server) string {
		return fmt.Sprintf("host=127.0.0.1 port=%d user=featurehouse dbname=featurehouse", s.Port)
	}},
	{"sqlalchemy_scenario.py", "sqlalchemy, pandas", func(s *Server) string {
		return fmt.Sprintf("postgresql://featurehouse@127.0.0.1:%d/featurehouse", s.Port)
	}},
	{"privileges_scenario.py", "psycopg2, pandas, sqlalchemy", func(s *Server) string {
		return fmt.Sprintf("host=127.0.0.1 port=%d user=featurehouse dbname=featurehouse", s.Port)
	}},
}

// TestPythonClients runs psycopg2 2.9, psycopg 3.1 and SQLAlchemy 1.4 +
// pandas 1.5 scenarios (feature group and table, writes, history, AS OF,
// point-in-time join, cursors, COPY, introspection); a missing client
// fails the test (make test installs them).
func TestPythonClients(t *testing.T) {
	py := "/usr/bin/python3"
	srv := StartServer(t)
	for _, c := range pythonClients {
		t.Run(strings.TrimSuffix(c.script, "_scenario.py"), func(t *testing.T) {
			if out, err := exec.Command(py, "-c", "import "+c.module).CombinedOutput(); err != nil {
				t.Fatalf("%s cannot import %s (run make test-deps as root): %v\n%s", py, c.module, err, out)
			}
			cmd := exec.Command(py, filepath.Join("clients", "python", c.script), c.dsn(srv))
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "OK") {
				t.Fatalf("%s: %v\n%s\nserver log:\n%s", c.script, err, out, srv.Log())
			}
		})
	}
}
