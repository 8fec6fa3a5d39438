package tests

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const pgJDBCJar = "/usr/share/java/postgresql.jar" // Debian's libpostgresql-jdbc-java

// TestJDBCClient compiles tests/clients/java/JdbcScenario.java and runs
// it with pgJDBC 42.5 against the real binary: default connection
// settings, PreparedStatement with every type, DatabaseMetaData,
// CopyManager both ways and Statement.cancel().
func TestJDBCClient(t *testing.T) {
	for _, bin := range []string{"javac", "java"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is missing (run make test-deps as root)", bin)
		}
	}
	if out, err := exec.Command("test", "-f", pgJDBCJar).CombinedOutput(); err != nil {
		t.Fatalf("%s is missing (run make test-deps as root): %s", pgJDBCJar, out)
	}
	classes := t.TempDir()
	if out, err := exec.Command("javac", "-d", classes, "-cp", pgJDBCJar, filepath.Join("clients", "java", "JdbcScenario.java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	srv := StartServer(t)
	url := fmt.Sprintf("jdbc:postgresql://127.0.0.1:%d/featurehouse", srv.Port)
	out, err := exec.Command("java", "-cp", classes+":"+pgJDBCJar, "JdbcScenario", url).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "OK") {
		t.Fatalf("JdbcScenario: %v\n%s\nserver log:\n%s", err, out, srv.Log())
	}
}
