package pgwire

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const psqlPath = "/usr/bin/psql"

// runPsql runs the PostgreSQL 15 psql client against ts. psql is a test
// dependency (Debian postgresql-client): missing, the test fails.
func runPsql(t *testing.T, ts *testServer, stdin string, args ...string) (string, string, error) {
	t.Helper()
	if _, err := os.Stat(psqlPath); err != nil {
		t.Fatalf("psql is required (apt-get install postgresql-client): %v", err)
	}
	host, port, _ := net.SplitHostPort(ts.addr)
	cmd := exec.Command(psqlPath, append([]string{"-X", "-h", host, "-p", port, "-U", "x", "-d", "y", "-A", "-t"}, args...)...)
	// Default sslmode (prefer): psql sends SSLRequest and accepts 'N'.
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5", "PGSSLMODE=prefer", "PGAPPNAME=psqltest", "PGPASSWORD=")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func TestPsql(t *testing.T) {
	ts := startServer(t)

	out, stderr, err := runPsql(t, ts, "", "-c", "SELECT 2")
	if err != nil || out != "1|row 1\n2|row 2\n" {
		t.Fatalf("psql SELECT: out %q stderr %q err %v", out, stderr, err)
	}

	out, stderr, err = runPsql(t, ts, "", "-c", "SELECT 1; SYNTAX")
	if err == nil || !strings.Contains(stderr, `ERROR:  syntax error at or near "SYNTAX"`) ||
		!strings.Contains(stderr, "LINE 1: SELECT 1; SYNTAX\n                  ^") {
		t.Fatalf("psql syntax error: out %q stderr %q err %v", out, stderr, err)
	}

	out, stderr, err = runPsql(t, ts, "", "-c", "NOTICE")
	if err != nil || !strings.Contains(stderr, "NOTICE:  hello from notice") || !strings.Contains(stderr, "WARNING:  careful") {
		t.Fatalf("psql notice: out %q stderr %q err %v", out, stderr, err)
	}

	out, stderr, err = runPsql(t, ts, "1\ta\n2\tb\n\\.\n", "-c", "COPYIN")
	if err != nil || strings.TrimSpace(out) != "COPY 2" {
		t.Fatalf("psql COPY: out %q stderr %q err %v", out, stderr, err)
	}
	if copied, _ := ts.b.copyState(); copied != "1\ta\n2\tb\n" {
		t.Fatalf("copied %q", copied)
	}

	ts.b.mu.Lock()
	info := ts.b.infos[0]
	ts.b.mu.Unlock()
	if info.User != "x" || info.Database != "y" || info.Params["application_name"] != "psqltest" {
		t.Fatalf("startup info %+v", info)
	}
}
