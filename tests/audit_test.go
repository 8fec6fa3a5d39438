package tests

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestAuditLog: every statement is recorded in feature_store.audit_log
// with role, client, application_name, the features read and written,
// rows and outcome; only superusers read the log, no one writes it;
// feature_usage() counts reads, readers and dependents.
func TestAuditLog(t *testing.T) {
	srv := StartServer(t)
	ctx := context.Background()
	admin := srv.Connect(t)
	Exec(t, admin, `CREATE ROLE bob LOGIN`)
	Exec(t, admin, `CREATE FEATURE GROUP au (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, age INTEGER, country TEXT) WITH (online = true)`)
	Exec(t, admin, `CREATE FEATURE VIEW au_adults AS SELECT user_id, age FROM au WHERE age >= 18`)
	Exec(t, admin, `INSERT INTO au VALUES ('u1', '2024-01-01', 30, 'US'), ('u2', '2024-01-02', 40, 'UK')`)
	Exec(t, admin, `GRANT SELECT ON FEATURE GROUP au TO bob`)

	cfg, err := pgx.ParseConfig(strings.Replace(srv.DSN(), "featurehouse@", "bob@", 1) + "&application_name=notebook")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close(ctx)
	var age int
	if err := bob.QueryRow(ctx, `SELECT age FROM au AS OF now() WHERE user_id = $1`, "u1").Scan(&age); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Exec(ctx, `SELECT country, nope FROM au`); err == nil {
		t.Fatal("no error")
	}
	var pe *pgconn.PgError
	if _, err := bob.Exec(ctx, `SELECT * FROM feature_store.audit_log`); !errors.As(err, &pe) || pe.Code != "42501" {
		t.Errorf("bob reading the audit log: %v, want 42501", err)
	}
	if _, err := admin.Exec(ctx, `INSERT INTO feature_store.audit_log (role_name) VALUES ('x')`); err == nil {
		t.Error("a superuser wrote into the audit log")
	}
	got := QueryStrings(t, admin, `SELECT role_name, session_user_name, application_name, client_addr, command,
		array_to_string(features_read, ','), array_to_string(features_written, ','), COALESCE(CAST(row_count AS VARCHAR), '-'), outcome, COALESCE(sqlstate, '-'), statement, duration_ms >= 0
		FROM feature_store.audit_log ORDER BY executed_at`)
	var lines []string
	for _, r := range got {
		lines = append(lines, strings.Join(r, "|"))
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{
		"featurehouse|featurehouse|NULL|127.0.0.1|INSERT||au.user_id,au.event_time,au.age,au.country|2|ok|-|INSERT INTO au VALUES ('u1', '2024-01-01', 30, 'US'), ('u2', '2024-01-02', 40, 'UK')|t",
		"bob|bob|notebook|127.0.0.1|SELECT|au.age,au.user_id||1|ok|-|SELECT age FROM au AS OF now() WHERE user_id = $1|t",
		"bob|bob|notebook|127.0.0.1|NULL|au.country||-|error|42703|SELECT country, nope FROM au|t",
		"bob|bob|notebook|127.0.0.1|NULL|||-|error|42501|SELECT * FROM feature_store.audit_log|t",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("audit log lacks\n%s\nit holds:\n%s", want, all)
		}
	}
	usage := QueryStrings(t, bob, `SELECT feature, reads, distinct_readers, writes, array_to_string(dependents, ',') FROM feature_usage('au.age')`)
	if fmt.Sprint(usage) != "[[au.age 1 1 1 au_adults]]" {
		t.Errorf("feature_usage('au.age'): %v", usage)
	}
}

// TestAuditRedactLiterals: with --audit-redact-literals the statement is
// stored with its literals replaced by $n.
func TestAuditRedactLiterals(t *testing.T) {
	srv := StartServer(t, "--audit-redact-literals", "true")
	c := srv.Connect(t)
	Exec(t, c, `CREATE TABLE secrets (ssn TEXT)`)
	Exec(t, c, `INSERT INTO secrets VALUES ('123-45-6789')`)
	got := QueryStrings(t, c, `SELECT statement FROM feature_store.audit_log WHERE command = 'INSERT'`)
	if len(got) != 1 || strings.Contains(got[0][0], "123-45") || !strings.Contains(got[0][0], "$1") {
		t.Errorf("redacted statement: %v", got)
	}
}
