package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNodePostgresClient runs tests/clients/node/scenario.js with
// node-postgres (npm pg, pinned by package-lock.json; npm ci installs it
// when node_modules is missing): parameterised queries, typed results,
// an online lookup, a point-in-time join, named prepared statements.
func TestNodePostgresClient(t *testing.T) {
	for _, bin := range []string{"node", "npm"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is missing (install Node.js)", bin)
		}
	}
	dir := filepath.Join("clients", "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "pg")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	srv := StartServer(t)
	cmd := exec.Command("node", "scenario.js", fmt.Sprintf("postgres://featurehouse@127.0.0.1:%d/featurehouse", srv.Port))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "OK") {
		t.Fatalf("node scenario: %v\n%s\nserver log:\n%s", err, out, srv.Log())
	}
}
