package duckdb

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// TestSandbox: with Sandbox on, DuckDB itself, called directly as if the
// planner's lockdown were bypassed, refuses files outside the data
// directory and the allowed ones (reads, globs, COPY, ATTACH, a path
// climbing out with ..), extension loads, and any attempt to turn the
// sandbox off; files in the data directory and the allowed directory
// work, and so does the engine's own Parquet after a restart. Without
// Sandbox the same outside read works (so the refusals come from it).
func TestSandbox(t *testing.T) {
	ctx := context.Background()
	data, allowed, outside := t.TempDir(), t.TempDir(), t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("TOPSECRET\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(allowed, "in.csv"), []byte("a\n1\n2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	q := QuoteString
	first := func(c *Conn, sql string) (any, error) {
		rows, err := c.Query(ctx, sql)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return nil, TranslateError(err)
		}
		return r[0], nil
	}

	open := func(sandbox bool) (*Engine, *Conn) {
		t.Helper()
		e, err := Open(ctx, Config{DataDir: data, Sandbox: sandbox, SandboxAllow: []string{allowed}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return e, c
	}

	// Without the sandbox DuckDB reads anything the process may.
	e, c := open(false)
	if v, err := first(c, `SELECT content FROM read_text(`+q(secret)+`)`); err != nil || !strings.Contains(v.(string), "TOPSECRET") {
		t.Fatalf("without sandbox: %v %v", v, err)
	}
	c.Close()
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}

	e, c = open(true)
	inData := filepath.Join(data, "offline", "own.parquet")
	for _, ok := range []string{
		`COPY (SELECT 42 AS v) TO ` + q(inData) + ` (FORMAT parquet)`,
		`SELECT v FROM read_parquet(` + q(inData) + `)`,
		`SELECT count(*) FROM read_csv(` + q(filepath.Join(allowed, "in.csv")) + `)`,
		`COPY (SELECT 1 AS v) TO ` + q(filepath.Join(allowed, "out.csv")),
		`SELECT count(*) FROM glob(` + q(filepath.Join(allowed, "*")) + `)`,
		`ATTACH ':memory:' AS scratch`,
	} {
		if _, err := first(c, ok); err != nil {
			t.Errorf("sandbox refused %s: %v", ok, err)
		}
	}
	outFile := filepath.Join(outside, "written.csv")
	for _, bad := range []string{
		`SELECT content FROM read_text(` + q(secret) + `)`,
		`SELECT content FROM read_text('/etc/hostname')`,
		`SELECT content FROM read_text(` + q(filepath.Join(data, "..", filepath.Base(outside), "secret.txt")) + `)`,
		`SELECT content FROM read_text(` + q(strings.TrimSuffix(allowed, "/")+"x/secret.txt") + `)`,
		`SELECT * FROM read_csv(` + q(secret) + `)`,
		`SELECT count(*) FROM glob('/etc/*')`,
		`COPY (SELECT 1) TO ` + q(outFile),
		`ATTACH ` + q(filepath.Join(outside, "other.duckdb")) + ` AS other`,
		`LOAD httpfs`,
		`INSTALL httpfs`,
		`SET enable_external_access = true`,
		`SET allowed_directories = ['/']`,
		`SET allowed_paths = ['/etc/hostname']`,
		`RESET enable_external_access`,
	} {
		v, err := first(c, bad)
		if err == nil {
			t.Errorf("sandbox allowed %s (%v)", bad, v)
			continue
		}
		if s, ok := v.(string); ok && strings.Contains(s, "TOPSECRET") {
			t.Errorf("%s read the secret", bad)
		}
	}
	// A file read is a permission error, as the client sees it.
	_, err := first(c, `SELECT content FROM read_text(`+q(secret)+`)`)
	if pe, ok := pgerror.As(TranslateError(err)); !ok || pe.Code != pgerror.InsufficientPrivilege {
		t.Errorf("outside read: %v, want 42501", err)
	}
	if _, err := os.Stat(outFile); err == nil {
		t.Errorf("%s was written", outFile)
	}
	if v, err := first(c, `SELECT current_setting('enable_external_access')`); err != nil || v != false {
		t.Errorf("enable_external_access after the attempts: %v %v", v, err)
	}
	c.Close()
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Reopened (WAL, checkpoint, the database file): still sandboxed, own data readable.
	e, c = open(true)
	defer e.Close(ctx)
	defer c.Close()
	if v, err := first(c, `SELECT v FROM read_parquet(`+q(inData)+`)`); err != nil || v != int32(42) {
		t.Errorf("own Parquet after reopening: %v %v", v, err)
	}
	if _, err := first(c, `SELECT content FROM read_text(`+q(secret)+`)`); err == nil {
		t.Error("reopened engine is not sandboxed")
	}
}
