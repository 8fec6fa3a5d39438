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

// TestEngineLockdown: an ordinary role can read and write feature groups
// and tables, but every DuckDB entry point to the server's files, engine
// settings and SQL-from-text is refused with 42501 before DuckDB runs it,
// in the simple and the extended protocol, nested in subqueries, CTEs,
// joins, function arguments, UNION branches, INSERT ... SELECT, CREATE
// TABLE AS, cursors and feature views; nothing is read (a secret file's
// marker never comes back) and nothing is written. A superuser may.
func TestEngineLockdown(t *testing.T) {
	srv := StartServer(t)
	admin := srv.Connect(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.csv")
	if err := os.WriteFile(secret, []byte("marker\nTOPSECRET-7731\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "written.csv")
	Exec(t, admin, `CREATE ROLE bob LOGIN`)
	Exec(t, admin, `CREATE FEATURE GROUP lg (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v INTEGER) WITH (online = true)`)
	Exec(t, admin, `INSERT INTO lg VALUES (1, '2024-01-01', 10)`)
	Exec(t, admin, `CREATE TABLE lt (id INTEGER)`)
	Exec(t, admin, `GRANT SELECT ON lg TO bob`)
	Exec(t, admin, `GRANT SELECT, INSERT ON lt TO bob`)
	Exec(t, admin, `GRANT CREATE ON SCHEMA public TO bob`)

	ctx := context.Background()
	cfg, err := pgx.ParseConfig(strings.Replace(srv.DSN(), "featurehouse@", "bob@", 1))
	if err != nil {
		t.Fatal(err)
	}
	bob, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect as bob: %v", err)
	}
	defer bob.Close(ctx)

	// What an ordinary role does keeps working (the group's own reads go
	// through read_parquet after the check).
	for _, q := range []string{
		`SELECT count(*) FROM lg`, `SELECT v FROM lg AS OF now() WHERE id = 1`,
		`SELECT * FROM lg AS OF TIMESTAMPTZ '2024-02-01'`, `INSERT INTO lt VALUES (1)`, `SELECT * FROM lt`,
		`SELECT count(*) FROM pg_catalog.pg_class`, `SELECT version()`,
	} {
		if _, err := bob.Exec(ctx, q); err != nil {
			t.Errorf("bob: %s: %v", q, err)
		}
	}

	s := "'" + secret + "'"
	o := "'" + out + "'"
	attacks := []string{
		`SELECT * FROM read_csv(` + s + `)`,
		`SELECT * FROM read_csv_auto(` + s + `)`,
		`SELECT * FROM read_text(` + s + `)`,
		`SELECT * FROM read_blob(` + s + `)`,
		`SELECT content FROM read_text(` + s + `)`,
		`SELECT * FROM read_json(` + s + `)`,
		`SELECT * FROM read_json_auto(` + s + `)`,
		`SELECT * FROM read_ndjson_objects(` + s + `)`,
		`SELECT * FROM read_parquet(` + s + `)`,
		`SELECT * FROM parquet_scan(` + s + `)`,
		`SELECT * FROM parquet_metadata(` + s + `)`,
		`SELECT * FROM parquet_schema(` + s + `)`,
		`SELECT * FROM sniff_csv(` + s + `)`,
		`SELECT * FROM glob('/etc/*')`,
		`SELECT * FROM read_duckdb(` + s + `)`,
		`SELECT * FROM query('SELECT * FROM read_text(` + strings.ReplaceAll(s, "'", "''") + `)')`,
		`SELECT * FROM query_table('lt')`,
		`SELECT getenv('HOME')`,
		`SELECT * FROM duckdb_secrets()`,
		`SELECT * FROM duckdb_settings()`,
		`SELECT * FROM which_secret('s3://x', 's3')`,
		`SELECT * FROM pragma_table_info('lt')`,
		`SELECT * FROM enable_logging()`,
		`SELECT * FROM disable_optimizer()`,
		`SELECT * FROM checkpoint()`,
		`SELECT * FROM force_checkpoint()`,
		`SELECT json_execute_serialized_sql('x')`,
		`SELECT * FROM lt WHERE id IN (SELECT length(content) FROM read_text(` + s + `))`,
		`WITH x AS (SELECT * FROM read_text(` + s + `)) SELECT * FROM x`,
		`SELECT * FROM lt, LATERAL (SELECT * FROM read_text(` + s + `)) r`,
		`SELECT upper((SELECT content FROM read_text(` + s + `)))`,
		`SELECT 1 UNION ALL SELECT length(content) FROM read_text(` + s + `)`,
		`SELECT * FROM lg JOIN read_csv(` + s + `) c ON true`,
		`INSERT INTO lt SELECT length(content) FROM read_text(` + s + `)`,
		`CREATE TABLE stolen AS SELECT * FROM read_text(` + s + `)`,
		`CREATE VIEW stolen_v AS SELECT * FROM read_text(` + s + `)`,
		`CREATE FEATURE VIEW stolen_fv AS SELECT id, v FROM lg WHERE v > (SELECT length(content) FROM read_text(` + s + `))`,
		`COPY lt FROM ` + s,
		`COPY lt TO ` + o,
		`COPY (SELECT 1) TO ` + o + ` (FORMAT csv)`,
		`COPY lt FROM PROGRAM 'cat /etc/passwd'`,
		`COPY lt TO PROGRAM 'tee /tmp/x'`,
		`LOAD 'httpfs'`,
		`SELECT pg_catalog.read_text(` + s + `)`,
		`SELECT * FROM "read_text"(` + s + `)`,
		`SELECT * FROM READ_TEXT(` + s + `)`,
		// AS OF and KNOWN AT times are cut out before pg_query parses.
		`SELECT * FROM lg AS OF (SELECT TIMESTAMPTZ '2024-02-01' + length(content) * INTERVAL '1 second' FROM read_text(` + s + `))`,
		`SELECT * FROM lg AS OF now() KNOWN AT (SELECT now() - length(content) * INTERVAL '1 second' FROM read_text(` + s + `))`,
		`SELECT l.id FROM lt l JOIN lg AS OF (SELECT max(TIMESTAMPTZ '2024-02-01') FROM read_text(` + s + `)) g USING (id)`,
	}
	ran := 0
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeDescribeExec} {
		for _, q := range attacks {
			ran++
			rows, err := bob.Query(ctx, q, mode)
			var got strings.Builder
			if err == nil {
				for rows.Next() {
					got.WriteString(fmt.Sprint(rows.RawValues()))
				}
				rows.Close()
				err = rows.Err()
			}
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "42501" {
				t.Errorf("bob (%v): %s: %v, want 42501", mode, q, err)
			}
			if strings.Contains(got.String(), "TOPSECRET") {
				t.Errorf("bob read the secret with %s", q)
			}
		}
	}
	// A cursor over a file read, from inside a transaction.
	Exec(t, bob, `BEGIN`)
	_, err = bob.Exec(ctx, `DECLARE c CURSOR FOR SELECT * FROM read_text(`+s+`)`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42501" {
		t.Errorf("DECLARE over read_text: %v, want 42501", err)
	}
	Exec(t, bob, `ROLLBACK`)
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written", out)
	}
	for _, rel := range []string{"stolen", "stolen_v", "stolen_fv"} {
		if got := QueryStrings(t, admin, `SELECT count(*) FROM duckdb_tables() WHERE table_name = '`+rel+`'`); got[0][0] != "0" {
			t.Errorf("%s was created", rel)
		}
	}
	t.Logf("%d attack statements refused", ran+1)

	// A superuser may.
	if got := QueryStrings(t, admin, `SELECT content LIKE '%TOPSECRET%' FROM read_text(`+s+`)`); got[0][0] != "t" {
		t.Errorf("superuser read_text: %v", got)
	}
	Exec(t, admin, `COPY lt TO `+o)
	if _, err := os.Stat(out); err != nil {
		t.Errorf("superuser COPY TO file: %v", err)
	}
}

// lockdownAllowed are DuckDB functions whose names look like file, engine
// or SQL access but only read the catalog or compute on their arguments.
var lockdownAllowed = map[string]bool{
	"duckdb_columns": true, "duckdb_constraints": true, "duckdb_databases": true, "duckdb_dependencies": true,
	"duckdb_extensions": true, "duckdb_functions": true, "duckdb_indexes": true, "duckdb_keywords": true,
	"duckdb_schemas": true, "duckdb_sequences": true, "duckdb_tables": true, "duckdb_types": true, "duckdb_views": true,
	"duckdb_memory": true, "duckdb_optimizers": true, "duckdb_prepared_statements": true, "duckdb_variables": true,
	"duckdb_connection_count": true, "duckdb_approx_database_count": true, "duckdb_coordinate_systems": true,
	"duckdb_table_sample": true, "duckdb_profiling_settings": true,
	"current_query": true, "current_query_id": true, "json_serialize_sql": true, "json_deserialize_sql": true,
	"sql_auto_complete": true, "parse_filename": true, "extension_versions": true, "database_list": true,
	"show_databases": true, "show_tables": true, "show_tables_expanded": true, "show": true, "summary": true,
	"table_info": true, "seq_scan": true, "metadata_info": true, "functions": true, "collations": true,
	"check_peg_parser": true, "all_profiling_output": true,
	"current_catalog": true, "current_setting": true, "log": true, "log10": true, "log2": true,
	"parse_duckdb_log_message": true, "pg_conf_load_time": true,
}

// TestLockdownCoversDuckDBFunctions: every DuckDB function whose name
// suggests file, network, engine or SQL-from-text access is either
// refused to an ordinary role or listed above as harmless, so that a
// DuckDB upgrade adding one fails here until it is classified.
func TestLockdownCoversDuckDBFunctions(t *testing.T) {
	srv := StartServer(t)
	admin := srv.Connect(t)
	Exec(t, admin, `CREATE ROLE carol LOGIN`)
	names := QueryStrings(t, admin, `SELECT DISTINCT function_name FROM duckdb_functions()
		WHERE function_type IN ('table', 'table_macro', 'pragma')
		   OR regexp_matches(function_name, 'read|scan|glob|file|secret|query|sql|copy|import|export|checkpoint|attach|extension|env|log|setting|pragma|load|install')
		ORDER BY 1`)
	cfg, err := pgx.ParseConfig(strings.Replace(srv.DSN(), "featurehouse@", "carol@", 1))
	if err != nil {
		t.Fatal(err)
	}
	carol, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer carol.Close(context.Background())
	refused := 0
	for _, r := range names {
		name := r[0]
		if lockdownAllowed[name] || !regexpSuspicious(name) {
			continue
		}
		_, err := carol.Exec(context.Background(), `SELECT * FROM `+quoteIdentifier(name)+`()`, pgx.QueryExecModeSimpleProtocol)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("DuckDB function %s is neither refused to ordinary roles (got %v) nor listed as harmless", name, err)
			continue
		}
		refused++
	}
	t.Logf("%d DuckDB functions refused to ordinary roles", refused)
}

// regexpSuspicious keeps table functions and names of the access families
// (plain table functions such as range and generate_series are harmless).
func regexpSuspicious(name string) bool {
	for _, w := range []string{"read", "scan", "glob", "file", "secret", "query", "sql", "copy", "import", "export",
		"checkpoint", "attach", "extension", "env", "log", "setting", "pragma", "load", "install", "enable_", "disable_", "verify_"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

func quoteIdentifier(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
