package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// The engine lockdown. DuckDB can read and write the server's files,
// attach databases, load extensions and change engine settings from SQL;
// PostgreSQL lets only superusers and members of pg_read_server_files /
// pg_write_server_files / pg_execute_server_program near the server's
// files. For any other role, what the user wrote is checked before any
// rewrite (featurehouse's own rewrites read Parquet with read_parquet) and
// before DuckDB sees it: DuckDB's file functions and COPY to or from a
// file or program are refused with 42501 unless the role has the matching
// predefined role; DuckDB's engine, secret and SQL-from-text functions
// (which no predefined role covers) and LOAD are refused to all but
// superusers. SET of DuckDB's settings is already refused for
// everyone (only PostgreSQL's session parameters are known), and DuckDB's
// own statements (ATTACH, INSTALL, PRAGMA, EXPORT DATABASE...) are not
// PostgreSQL syntax and fail to parse. Views run with their owner's
// rights, as in PostgreSQL.

// fileFunctions read the server's files: superusers and members of
// pg_read_server_files may call them, as PostgreSQL's pg_read_file (from
// duckdb_functions() of DuckDB 1.5; TestLockdownCoversDuckDBFunctions
// fails when a new one appears unclassified).
var fileFunctions = map[string]bool{
	"read_blob": true, "read_csv": true, "read_csv_auto": true, "read_duckdb": true, "read_json": true,
	"read_json_auto": true, "read_json_objects": true, "read_json_objects_auto": true, "read_ndjson": true,
	"read_ndjson_auto": true, "read_ndjson_objects": true, "read_parquet": true, "read_text": true,
	"parquet_scan": true, "parquet_metadata": true, "parquet_file_metadata": true, "parquet_full_metadata": true,
	"parquet_kv_metadata": true, "parquet_schema": true, "parquet_bloom_probe": true,
	"sniff_csv": true, "glob": true,
}

// superuserFunctions are for superusers only: SQL from text (it would
// escape every privilege check), engine switches, secrets, logs, settings,
// the environment, and fh_signal_backend (whose checks assume the
// planner's rewrite of pg_cancel_backend). No predefined role grants them.
var superuserFunctions = map[string]bool{
	"add_parquet_key": true, "copy_database": true, "import_database": true,
	"json_execute_serialized_sql": true, "query": true, "query_table": true, "arrow_scan": true, "arrow_scan_dumb": true,
	"duckdb_secrets": true, "which_secret": true, "duckdb_secret_types": true, "checkpoint": true, "force_checkpoint": true,
	"truncate_duckdb_logs": true, "duckdb_logs": true, "duckdb_logs_parsed": true, "duckdb_log_contexts": true,
	"duckdb_temporary_files": true, "duckdb_external_file_cache": true, "duckdb_settings": true,
	"getenv": true, "fh_signal_backend": true, "database_size": true, "storage_info": true, "write_log": true,
}

// filePrefixes and superuserPrefixes cover function families: file
// readers; engine switches (enable_*, disable_*, verify_*) and PRAGMA
// functions.
var (
	filePrefixes      = []string{"read_", "parquet_"}
	superuserPrefixes = []string{"enable_", "disable_", "verify_", "pragma_", "json_execute"}
)

// lockedFunction says who may call name: "" anyone, "pg_read_server_files"
// its members, "superuser" superusers only.
func lockedFunction(name string) string {
	name = strings.ToLower(name)
	if superuserFunctions[name] || hasAnyPrefix(name, superuserPrefixes) {
		return "superuser"
	}
	if fileFunctions[name] || hasAnyPrefix(name, filePrefixes) {
		return "pg_read_server_files"
	}
	return ""
}

func hasAnyPrefix(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// serverFiles reports whether the current role may use the server's files
// for reading, writing, or running programs (PostgreSQL's predefined roles).
func (s *Session) serverFiles(what string) bool {
	if s.isSuperuser() {
		return true
	}
	return s.p.catalog.IsMemberOf(s.currentRole(), what, true)
}

// lockdown refuses what q may not do for the current role.
func (s *Session) lockdown(q *sql.Query) error {
	if q == nil || q.Tree == nil || s.isSuperuser() {
		return nil
	}
	if err := s.lockdownTree(q.Tree); err != nil {
		return err
	}
	// AS OF and KNOWN AT times are cut out of the tree before it is
	// parsed; they are SQL too.
	for _, a := range q.AsOf {
		for _, expr := range []string{a.Expr, a.KnownAt} {
			if strings.TrimSpace(expr) == "" {
				continue
			}
			tree, err := pg_query.Parse("SELECT " + expr)
			if err != nil {
				continue // not SQL: DuckDB never sees it either
			}
			if err := s.lockdownTree(tree); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Session) lockdownTree(tree proto.Message) error {
	var err error
	sql.Walk(tree, func(m proto.Message) bool {
		if err != nil {
			return false
		}
		switch n := m.(type) {
		case *pg_query.FuncCall:
			names := funcNames(n)
			if len(names) == 0 {
				break
			}
			switch name := names[len(names)-1]; lockedFunction(name) {
			case "superuser":
				err = pgerror.New(pgerror.InsufficientPrivilege, "permission denied for function %s", name).
					WithHint("Only superusers may use DuckDB's engine, secret and SQL-from-text functions.")
			case "pg_read_server_files":
				if !s.serverFiles("pg_read_server_files") {
					err = pgerror.New(pgerror.InsufficientPrivilege, "permission denied for function %s", name).
						WithHint("Only superusers and members of pg_read_server_files may use DuckDB's file functions.")
				}
			}
		case *pg_query.CopyStmt:
			switch {
			case n.IsProgram:
				// Filename holds the command: only pg_execute_server_program counts.
				if !s.serverFiles("pg_execute_server_program") {
					err = pgerror.New(pgerror.InsufficientPrivilege, "must be superuser or have privileges of the pg_execute_server_program role to COPY to or from an external program").
						WithHint("Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone.")
				}
			case n.Filename != "" && n.IsFrom && !s.serverFiles("pg_read_server_files"):
				err = pgerror.New(pgerror.InsufficientPrivilege, "must be superuser or have privileges of the pg_read_server_files role to COPY from a file").
					WithHint("Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone.")
			case n.Filename != "" && !n.IsFrom && !s.serverFiles("pg_write_server_files"):
				err = pgerror.New(pgerror.InsufficientPrivilege, "must be superuser or have privileges of the pg_write_server_files role to COPY to a file").
					WithHint("Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone.")
			}
		case *pg_query.LoadStmt:
			err = pgerror.New(pgerror.InsufficientPrivilege, "permission denied to load library \"%s\"", n.Filename)
		}
		return err == nil
	})
	return err
}
