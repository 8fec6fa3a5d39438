package planner

import (
	"regexp"
	"runtime"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

func TestPGCatalogEdits(t *testing.T) {
	s := &Session{p: &Planner{cfg: Config{ServerVersion: "15.0", Version: "1.2.3"}}, info: SessionInfo{User: "alice"}}
	cases := []struct{ in, want string }{
		// relations and functions featurehouse provides, qualified or not
		{`SELECT c.relname FROM pg_catalog.pg_class c WHERE pg_catalog.pg_table_is_visible(c.oid)`,
			`SELECT c.relname FROM fh_pg.main.pg_class c WHERE fh_pg.main.pg_table_is_visible(c.oid)`},
		{`SELECT format_type(atttypid, atttypmod) FROM pg_attribute`,
			`SELECT fh_pg.main.format_type(atttypid, atttypmod) FROM fh_pg.main.pg_attribute`},
		// a CTE or a user's schema named like a catalog relation is theirs
		{`WITH pg_class AS (SELECT 1) SELECT * FROM pg_class, public.pg_type`,
			`WITH pg_class AS (SELECT 1) SELECT * FROM pg_class, public.pg_type`},
		{`CREATE TABLE pg_type (a int)`, `CREATE TABLE pg_type (a int)`},
		// other pg_catalog functions and types are DuckDB's own
		{`SELECT pg_catalog.lower(x)::pg_catalog.text, NULL::pg_catalog.int2[] FROM t`,
			`SELECT lower(x)::text, NULL::int2[] FROM t`},
		{`SELECT x::name, y::"char" FROM t`, `SELECT x::VARCHAR, y::VARCHAR FROM t`},
		// reg* casts: a literal is looked up, anything else shown by name
		{`SELECT 'public.t'::regclass::oid`, `SELECT fh_pg.main.regclass_in('public.t')::oid`},
		{`SELECT 'public.t'::regclass, 't'::regclass::text, CAST('int4' AS regtype)`,
			`SELECT fh_pg.main.regclass_out(fh_pg.main.regclass_in('public.t')), fh_pg.main.regclass_out(fh_pg.main.regclass_in('t'))::text, fh_pg.main.regtype_out(fh_pg.main.regtype_in('int4'))`},
		{`SELECT c.oid::pg_catalog.regclass::pg_catalog.text FROM pg_class c`,
			`SELECT fh_pg.main.regclass_out(c.oid)::text FROM fh_pg.main.pg_class c`},
		{`SELECT (a.b)::regtype, CAST(x AS regnamespace), f(x)::regrole FROM t`,
			`SELECT fh_pg.main.regtype_out((a.b)), fh_pg.main.regnamespace_out(x), fh_pg.main.regrole_out(f(x)) FROM t`},
		{`SELECT a[1]::regtype, x::varchar(20)::regclass FROM t`,
			`SELECT fh_pg.main.regtype_out(a[1]), fh_pg.main.regclass_out(fh_pg.main.regclass_in(x::varchar(20))) FROM t`},
		{`SELECT pg_catalog.quote_ident(n)::regclass FROM t`,
			`SELECT fh_pg.main.regclass_out(fh_pg.main.quote_ident(n)) FROM t`},
		{`SELECT * FROM t WHERE attrelid = $1::regclass`,
			`SELECT * FROM t WHERE attrelid = fh_pg.main.regclass_in($1)`},
		{`SELECT * FROM t WHERE attrelid = $1::text::regclass AND x = relname::name::regclass`,
			`SELECT * FROM t WHERE attrelid = fh_pg.main.regclass_in($1::text) AND x = fh_pg.main.regclass_in(relname::VARCHAR)`},
		// PostgreSQL's ~ matches anywhere; DuckDB's matches the whole string
		{`SELECT 1 FROM t WHERE c.relname OPERATOR(pg_catalog.~) '^(g)$' COLLATE pg_catalog.default`,
			`SELECT 1 FROM t WHERE c.relname ~ '(?s).*(?:^(g)$).*' `},
		{`SELECT 1 FROM t WHERE n !~ '^pg_' AND m ~* 'AB'`,
			`SELECT 1 FROM t WHERE n !~ '(?s).*(?:^pg_).*' AND m ~ '(?is).*(?:AB).*'`},
		// LIKE's default escape is the backslash in PostgreSQL
		{`SELECT 1 FROM t WHERE n NOT LIKE E'pg\\_%' AND m LIKE 'a%'`,
			`SELECT 1 FROM t WHERE n NOT LIKE E'pg\\_%' ESCAPE '\' AND m LIKE 'a%'`},
		{`SELECT 1 FROM pg_policy WHERE polroles = '{0}'`, `SELECT 1 FROM fh_pg.main.pg_policy WHERE polroles = '[0]'`},
		// a scalar set function's column is named after its alias
		{`SELECT s FROM pg_catalog.generate_series(1, 3) s, unnest(a) AS x`,
			`SELECT s FROM generate_series(1, 3) s("s"), unnest(a) AS x("x")`},
		{`SELECT version(), pg_catalog.version(), current_user, session_user`,
			`SELECT 'PostgreSQL 15.0 (featurehouse 1.2.3) on ` + platform() + `, compiled by ` + runtime.Version() + `, 64-bit', ` +
				`'PostgreSQL 15.0 (featurehouse 1.2.3) on ` + platform() + `, compiled by ` + runtime.Version() + `, 64-bit', 'alice', 'alice'`},
		// nothing to do
		{`SELECT a FROM t WHERE b = 1`, `SELECT a FROM t WHERE b = 1`},
	}
	for _, c := range cases {
		tree, err := pg_query.Parse(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		got := applyEdits(c.in, s.pgCatalogEdits(c.in, tree, nil))
		if got != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.in, got, c.want)
		}
	}
}

// TestPGCatalogEditsKeepOthers: a span another rewrite replaces (AS OF,
// current_setting) is left to it.
func TestPGCatalogEditsKeepOthers(t *testing.T) {
	s := &Session{p: &Planner{}}
	in := `SELECT pg_catalog.format_type(23, -1), pg_catalog.format_type(25, -1)`
	tree, err := pg_query.Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	first := strings.Index(in, "pg_catalog.format_type")
	other := edit{start: first, end: strings.Index(in, ",")}
	edits := s.pgCatalogEdits(in, tree, []edit{other})
	if len(edits) != 1 || edits[0].start <= other.end {
		t.Fatalf("edits %+v overlap %+v", edits, other)
	}
}

func TestPGCatalogVersionParses(t *testing.T) {
	p := &Planner{cfg: Config{ServerVersion: "15.0", Version: "0.1.0"}}
	v := p.versionString()
	if !strings.HasPrefix(v, "PostgreSQL 15.0 (featurehouse 0.1.0) on ") {
		t.Fatalf("version() = %q", v)
	}
	// SQLAlchemy's PostgreSQL dialect reads the server version so.
	m := regexp.MustCompile(`PostgreSQL (\d+)\.?(\d+)?(?:\.(\d+))?(?:\.\d+)?(?:devel|beta)?`).FindStringSubmatch(v)
	if m == nil || m[1] != "15" || m[2] != "0" {
		t.Fatalf("SQLAlchemy's regex reads %q as %q", v, m)
	}
}

func TestPGCatalogStatementsFilled(t *testing.T) {
	stmts := pgCatalogStatements("root")
	if len(stmts) < 50 {
		t.Fatalf("only %d statements", len(stmts))
	}
	for _, st := range stmts {
		if strings.Contains(st, "{{") {
			t.Fatalf("placeholder left in:\n%s", st)
		}
	}
	for _, name := range []string{"pg_class", "pg_attribute", "pg_namespace", "pg_type", "pg_constraint", "pg_description", "pg_roles"} {
		if !pgRelations[name] {
			t.Errorf("relation %s not routed", name)
		}
	}
	for _, name := range []string{"format_type", "pg_get_userbyid", "pg_table_is_visible", "obj_description", "has_table_privilege"} {
		if !pgFunctions[name] {
			t.Errorf("function %s not routed", name)
		}
	}
	if pgFunctions["regclass_in"] || pgRelations["fh_relations"] || pgFunctions["fh_viewdef"] {
		t.Error("helpers must not be routed from client SQL")
	}
}
