package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestListenNeedsAuthentication: a non-loopback listen address is refused
// while some rule trusts non-loopback clients, and allowed otherwise.
func TestListenNeedsAuthentication(t *testing.T) {
	dir := t.TempDir()
	n := 0
	rules := func(text string) string {
		n++
		p := filepath.Join(dir, strconv.Itoa(n)+".conf")
		if err := os.WriteFile(p, []byte(text+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := func(string) string { return "" }
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"--listen", "0.0.0.0:5433"}, false},
		{[]string{"--listen", "127.0.0.1:5433"}, true},
		{[]string{"--listen", "0.0.0.0:5433", "--auth", "scram-sha-256"}, true},
		{[]string{"--listen", "0.0.0.0:5433", "--hba-file", rules("host all all 10.0.0.0/8 trust")}, false},
		{[]string{"--listen", "0.0.0.0:5433", "--hba-file", rules("host all all 127.0.0.1/32 trust")}, false},
		{[]string{"--listen", "0.0.0.0:5433", "--hba-file", rules("host all all 127.0.0.1/32 trust\nhost all all 10.0.0.0/8 scram-sha-256")}, true},
		{[]string{"--listen", "0.0.0.0:5433", "--hba-file", rules("hostssl all all all password")}, true},
		{[]string{"--listen", "0.0.0.0:5433", "--auth", "scram-sha-256", "--http-listen", "0.0.0.0:9433"}, false},
		{[]string{"--auth", "ldap"}, false},
		{[]string{"--tls-cert", "x.pem"}, false},
		{[]string{"--max-connections", "-1"}, false},
		{[]string{"--auth-timeout", "0s"}, false},
	} {
		_, err := loadConfig(tc.args, env)
		if (err == nil) != tc.ok {
			t.Errorf("%v: ok=%v, got err %v", tc.args, tc.ok, err)
		}
	}
}

// TestSandboxConfig: --sandbox-allow is a comma-separated list and needs
// --sandbox; the environment sets both.
func TestSandboxConfig(t *testing.T) {
	none := func(string) string { return "" }
	c, err := loadConfig([]string{"--sandbox=true", "--sandbox-allow", "/srv/a, /srv/b"}, none)
	if err != nil || !c.Sandbox || len(c.SandboxAllow) != 2 || c.SandboxAllow[1] != "/srv/b" {
		t.Fatalf("flags: %+v %v", c, err)
	}
	if _, err := loadConfig([]string{"--sandbox-allow", "/srv/a"}, none); err == nil {
		t.Error("--sandbox-allow without --sandbox accepted")
	}
	if _, err := loadConfig([]string{"--sandbox", "maybe"}, none); err == nil {
		t.Error("--sandbox maybe accepted")
	}
	env := map[string]string{"FEATURE_STORE_SANDBOX": "true", "FEATURE_STORE_SANDBOX_ALLOW": "/srv/x"}
	c, err = loadConfig(nil, func(k string) string { return env[k] })
	if err != nil || !c.Sandbox || len(c.SandboxAllow) != 1 {
		t.Fatalf("environment: %+v %v", c, err)
	}
	if c, err := loadConfig(nil, none); err != nil || c.Sandbox {
		t.Fatalf("default: sandbox %v, %v", c.Sandbox, err)
	}
}
