package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// startTLSServer starts featurehouse with a certificate from a test CA and
// rules that admit TLS connections only (so every connection that gets in
// is encrypted, whatever the client reports), and a second server without
// TLS. It returns both, the CA, and a CA that did not sign the certificate.
func startTLSServer(t *testing.T) (tlsSrv, plain *Server, ca, otherCA string) {
	t.Helper()
	dir := t.TempDir()
	ca, cert, key := writeCerts(t, dir)
	otherCA, _, _ = writeCerts(t, t.TempDir())
	hba := filepath.Join(dir, "hba.conf")
	rules := "hostssl all all 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 reject\n"
	if err := os.WriteFile(hba, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	tlsSrv = StartServer(t, "--hba-file", hba, "--tls-cert", cert, "--tls-key", key, "--superuser-password", "s3cret")
	return tlsSrv, StartServer(t), ca, otherCA
}

// TestTLSClients: pgJDBC (ssl=true with NonValidatingFactory, and
// sslmode=verify-full with the test CA) and psycopg2 (sslmode=require and
// verify-full) connect over TLS, authenticate with SCRAM, write and read;
// each checks on the client side that its socket is TLS (pgJDBC's
// SSLSocket, libpq's PQsslInUse); verify-full with the wrong CA, a plain
// connection (refused by the hostssl rules) and sslmode=require against a
// server without TLS fail.
func TestTLSClients(t *testing.T) {
	for _, bin := range []string{"javac", "java"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is missing (run make test-deps as root)", bin)
		}
	}
	if _, err := os.Stat(pgJDBCJar); err != nil {
		t.Fatalf("%s is missing (run make test-deps as root): %v", pgJDBCJar, err)
	}
	py := "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import psycopg2").CombinedOutput(); err != nil {
		t.Fatalf("%s cannot import psycopg2 (run make test-deps as root): %v\n%s", py, err, out)
	}
	srv, plain, ca, otherCA := startTLSServer(t)
	args := []string{strconv.Itoa(srv.Port), "s3cret", ca, otherCA, strconv.Itoa(plain.Port)}

	t.Run("pgjdbc", func(t *testing.T) {
		classes := t.TempDir()
		if out, err := exec.Command("javac", "-d", classes, "-cp", pgJDBCJar, filepath.Join("clients", "java", "JdbcTls.java")).CombinedOutput(); err != nil {
			t.Fatalf("javac: %v\n%s", err, out)
		}
		out, err := exec.Command("java", append([]string{"-cp", classes + ":" + pgJDBCJar, "JdbcTls"}, args...)...).CombinedOutput()
		if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "OK") {
			t.Fatalf("JdbcTls: %v\n%s\nserver log:\n%s", err, out, srv.Log())
		}
		t.Logf("%s", out)
	})
	t.Run("psycopg2", func(t *testing.T) {
		cmd := exec.Command(py, append([]string{filepath.Join("clients", "python", "psycopg2_tls.py")}, args...)...)
		cmd.Env = cleanEnv()
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "OK") {
			t.Fatalf("psycopg2_tls.py: %v\n%s\nserver log:\n%s", err, out, srv.Log())
		}
		t.Logf("%s", out)
	})
}
