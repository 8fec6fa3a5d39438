package tests

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestPredefinedRolesServerFiles: pg_read_server_files, pg_write_server_files
// and pg_execute_server_program exist from the start and each lets a role
// do what PostgreSQL lets it do and nothing more: bob is refused (42501,
// nothing read or written), granted one role he may do its statements and
// still not the others', revoked he is refused again. Membership counts
// through an inheriting role, not through NOINHERIT. DuckDB's engine and
// SQL-from-text functions stay for superusers only.
func TestPredefinedRolesServerFiles(t *testing.T) {
	srv := StartServer(t)
	admin := srv.Connect(t)
	ctx := context.Background()
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(secret, []byte("TOPSECRET-4471\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	q := func(s string) string { return "'" + s + "'" }
	written := filepath.Join(dir, "written.csv")
	piped := filepath.Join(dir, "piped.csv")
	Exec(t, admin, `CREATE ROLE bob LOGIN`)
	cfg, err := pgx.ParseConfig(strings.Replace(srv.DSN(), "featurehouse@", "bob@", 1))
	if err != nil {
		t.Fatal(err)
	}
	bob, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect as bob: %v", err)
	}
	defer bob.Close(ctx)
	Exec(t, bob, `CREATE TEMP TABLE mine (x TEXT)`)

	// Each predefined role's statements, and what shows that one ran.
	type stmt struct {
		sql   string
		check func() error // after it succeeded
	}
	fileHas := func(path, want string) func() error {
		return func() error {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if !strings.Contains(string(b), want) {
				return fmt.Errorf("%s holds %q, want %q", path, b, want)
			}
			return os.Remove(path)
		}
	}
	mineHasSecret := func() error {
		var n int
		if err := bob.QueryRow(ctx, `SELECT count(*) FROM mine WHERE x LIKE 'TOPSECRET%'`, pgx.QueryExecModeSimpleProtocol).Scan(&n); err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("mine holds %d secret rows, want 1", n)
		}
		_, err := bob.Exec(ctx, `DELETE FROM mine`, pgx.QueryExecModeSimpleProtocol)
		return err
	}
	roles := []struct {
		name  string
		stmts []stmt
	}{
		{"pg_read_server_files", []stmt{
			{`SELECT content FROM read_text(` + q(secret) + `)`, nil},
			{`SELECT count(*) FROM mine WHERE x IN (SELECT trim(content) FROM read_text(` + q(secret) + `))`, nil},
			{`COPY mine FROM ` + q(secret) + ` (HEADER false)`, mineHasSecret},
		}},
		{"pg_write_server_files", []stmt{
			{`COPY (SELECT 'written-' || 7 AS x) TO ` + q(written), fileHas(written, "written-7")},
		}},
		{"pg_execute_server_program", []stmt{
			{`COPY mine FROM PROGRAM ` + q("cat "+secret) + ` (HEADER false)`, mineHasSecret},
			{`COPY (SELECT 'piped-' || 9 AS x) TO PROGRAM ` + q("cat > "+piped), fileHas(piped, "piped-9")},
		}},
	}
	modes := []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeDescribeExec}
	run := func(sql string, mode pgx.QueryExecMode) (string, error) {
		rows, err := bob.Query(ctx, sql, mode)
		if err != nil {
			return "", err
		}
		var got strings.Builder
		for rows.Next() {
			got.WriteString(fmt.Sprint(rows.Values()))
		}
		rows.Close()
		return got.String(), rows.Err()
	}
	// expect checks every role's statements: allowed for the roles in
	// granted, refused with 42501 and without effect for the others.
	expect := func(phase string, granted map[string]bool) {
		t.Helper()
		for _, r := range roles {
			for _, st := range r.stmts {
				for _, mode := range modes {
					got, err := run(st.sql, mode)
					if granted[r.name] {
						if err != nil {
							t.Errorf("%s: bob (%v): %s: %v", phase, mode, st.sql, err)
						} else if st.check != nil {
							if err := st.check(); err != nil {
								t.Errorf("%s: bob (%v): %s: %v", phase, mode, st.sql, err)
							}
						}
						continue
					}
					var pe *pgconn.PgError
					if !errors.As(err, &pe) || pe.Code != "42501" {
						t.Errorf("%s: bob (%v): %s: %v, want 42501", phase, mode, st.sql, err)
					}
					if strings.Contains(got, "TOPSECRET") {
						t.Errorf("%s: bob read the secret with %s", phase, st.sql)
					}
				}
			}
		}
		for _, p := range []string{written, piped} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s: %s was written", phase, p)
				_ = os.Remove(p)
			}
		}
		if got := QueryStrings(t, bob, `SELECT count(*) FROM mine`); got[0][0] != "0" {
			t.Errorf("%s: mine holds %s rows", phase, got[0][0])
			Exec(t, bob, `DELETE FROM mine`)
		}
	}

	expect("before any grant", nil)
	for _, r := range roles {
		Exec(t, admin, `GRANT `+r.name+` TO bob`)
		expect("granted "+r.name, map[string]bool{r.name: true})
		Exec(t, admin, `REVOKE `+r.name+` FROM bob`)
		expect("revoked "+r.name, nil)
	}

	// Through a role that has them: inherited, unless bob is NOINHERIT.
	Exec(t, admin, `CREATE ROLE file_admins NOLOGIN`)
	Exec(t, admin, `GRANT pg_read_server_files, pg_write_server_files, pg_execute_server_program TO file_admins`)
	Exec(t, admin, `GRANT file_admins TO bob`)
	all := map[string]bool{"pg_read_server_files": true, "pg_write_server_files": true, "pg_execute_server_program": true}
	expect("member of file_admins", all)
	// Engine, secret and SQL-from-text functions: no predefined role
	// grants them.
	for _, sql := range []string{`SELECT getenv('HOME')`, `SELECT * FROM query('SELECT 1')`, `SELECT * FROM duckdb_settings()`,
		`SELECT * FROM duckdb_secrets()`, `SELECT fh_signal_backend(1, false, 1)`, `SELECT * FROM enable_logging()`,
		`SELECT json_execute_serialized_sql('x')`, `SELECT * FROM checkpoint()`} {
		for _, mode := range modes {
			_, err := run(sql, mode)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "42501" {
				t.Errorf("bob with every file role (%v): %s: %v, want 42501", mode, sql, err)
			}
		}
	}
	Exec(t, admin, `ALTER ROLE bob NOINHERIT`)
	expect("NOINHERIT member of file_admins", nil)
	Exec(t, admin, `ALTER ROLE bob INHERIT`)
	Exec(t, admin, `REVOKE file_admins FROM bob`)
	expect("no longer a member of file_admins", nil)

	// COPY PROGRAM reports a failing command as PostgreSQL does.
	_, err = admin.Exec(ctx, `COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; exit 3'`)
	wantPgErr(t, err, "38000", `program "cat >/dev/null; exit 3" failed`)
}
