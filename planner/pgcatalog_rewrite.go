package planner

import (
	"fmt"
	"regexp"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
)

// The rewrites below make the SQL PostgreSQL clients send about the catalog
// run on DuckDB, each where DuckDB reads the same text differently or not
// at all:
//   - pg_catalog relations and functions featurehouse provides -> its
//     catalog (pgcatalog.sql); other pg_catalog.f(...) -> f(...), DuckDB's
//     own function; pg_catalog.T in a cast -> T.
//   - x::regclass (regtype, regnamespace, regrole, regproc): a literal,
//     parameter or text is looked up and becomes the OID (the name again
//     where the value is shown), anything else (an OID) shows as the name:
//     DuckDB has no type that is both.
//   - OPERATOR(pg_catalog.~) -> ~; and a literal ~ (~*, !~) pattern matches
//     anywhere, as in PostgreSQL (DuckDB's ~ matches the whole string).
//   - LIKE patterns with a backslash get ESCAPE '\' (PostgreSQL's default
//     escape; DuckDB has none).
//   - COLLATE pg_catalog.default / "default" is dropped.
//   - FROM generate_series(...) s: the column is named s, as in PostgreSQL
//     (DuckDB makes s the row, a struct).
//   - '{...}' compared with a catalog array column becomes a DuckDB list.
//   - version() and current_user are featurehouse's, not DuckDB's.

var (
	// pgRelations and pgFunctions are the objects pgcatalog.sql creates,
	// minus its helpers (fh_*) and the reg* cast functions.
	pgRelations = map[string]bool{}
	pgFunctions = map[string]bool{}
)

func init() {
	re := regexp.MustCompile(`(?m)^CREATE OR REPLACE (TABLE|VIEW|MACRO) \{\{cat\}\}\.main\.(\w+)`)
	for _, m := range re.FindAllStringSubmatch(pgCatalogSQL, -1) {
		name := m[2]
		if strings.HasPrefix(name, "fh_") {
			continue
		}
		if m[1] == "MACRO" {
			if !strings.HasPrefix(name, "reg") {
				pgFunctions[name] = true
			}
		} else {
			pgRelations[name] = true
		}
	}
}

// regCasts are the reg* types a cast turns into a lookup (pgcatalog.sql's
// <type>_in / <type>_out).
var regCasts = map[string]string{
	"regclass": "regclass", "regtype": "regtype", "regnamespace": "regnamespace", "regrole": "regrole",
	"regproc": "regproc", "regprocedure": "regproc",
}

// castTypeNames are PostgreSQL type names DuckDB does not know.
var castTypeNames = map[string]string{"name": "VARCHAR", `"char"`: "VARCHAR", "xid": "BIGINT", "cid": "BIGINT"}

// arrayCatalogColumns are catalog columns holding arrays, which clients
// compare with '{...}' literals.
var arrayCatalogColumns = map[string]bool{
	"polroles": true, "relacl": true, "datacl": true, "nspacl": true, "proacl": true, "reloptions": true,
	"indkey": true, "conkey": true, "confkey": true, "stxkind": true, "proargtypes": true, "proargnames": true,
	"proargmodes": true, "attacl": true, "extconfig": true, "typacl": true,
}

// pgCatalogMarkers: a statement without any of these needs no rewrite here
// (lower case).
// backendPidCall matches pg_backend_pid() calls inside a rewritten span.
var backendPidCall = regexp.MustCompile(`(?i)(pg_catalog\s*\.\s*)?pg_backend_pid\s*\(\s*\)`)

var pgCatalogMarkers = []string{"pg_", "information_schema", "reg", "version", "format_type", "description", "privilege", "quote_ident",
	"array_", "~", "like", "collate", "operator", "generate_", "unnest", "user", "current_role", "::", "cast"}

// pgCatalogEdits returns the edits of text above, leaving alone what lies
// in the spans of others.
func (s *Session) pgCatalogEdits(text string, tree *pg_query.ParseResult, others []edit) []edit {
	if tree == nil || len(tree.Stmts) == 0 {
		return nil
	}
	lower := strings.ToLower(text)
	found := false
	for _, m := range pgCatalogMarkers {
		if strings.Contains(lower, m) {
			found = true
			break
		}
	}
	if !found {
		return nil
	}
	r := &pgRewriter{s: s, text: text, others: others}
	if !r.scan() {
		return nil
	}
	r.collectSkips(tree)
	sql.Walk(tree, func(m proto.Message) bool {
		switch n := m.(type) {
		case *pg_query.RangeVar:
			r.rangeVar(n)
		case *pg_query.FuncCall:
			r.funcCall(n)
		case *pg_query.TypeCast:
			r.typeCast(n)
		case *pg_query.A_Expr:
			r.aExpr(n)
		case *pg_query.CollateClause:
			r.collate(n)
		case *pg_query.RangeFunction:
			r.rangeFunction(n)
		case *pg_query.SQLValueFunction:
			r.sqlValueFunction(n)
		}
		return true
	})
	return r.edits
}

type pgRewriter struct {
	s      *Session
	text   string
	toks   []*pg_query.ScanToken // without comments
	byPos  map[int]int           // token start -> index in toks
	others []edit
	edits  []edit
	skip   map[*pg_query.RangeVar]bool // relations a statement creates or writes
	ctes   map[string]bool
	shown  map[*pg_query.TypeCast]bool // reg* casts whose value is shown, not compared
}

func (r *pgRewriter) scan() bool {
	res, err := pg_query.Scan(r.text)
	if err != nil {
		return false
	}
	r.byPos = map[int]int{}
	for _, t := range res.Tokens {
		if t.Token == pg_query.Token_SQL_COMMENT || t.Token == pg_query.Token_C_COMMENT {
			continue
		}
		r.byPos[int(t.Start)] = len(r.toks)
		r.toks = append(r.toks, t)
	}
	return true
}

// collectSkips notes the relations a statement defines or writes (they are
// the user's, even when named like a catalog relation) and the CTE names.
func (r *pgRewriter) collectSkips(tree *pg_query.ParseResult) {
	r.skip = map[*pg_query.RangeVar]bool{}
	r.ctes = map[string]bool{}
	r.shown = map[*pg_query.TypeCast]bool{}
	sql.Walk(tree, func(m proto.Message) bool {
		switch n := m.(type) {
		case *pg_query.SelectStmt:
			for _, t := range n.TargetList {
				if tc := t.GetResTarget().GetVal().GetTypeCast(); tc != nil {
					r.shown[tc] = true
				}
			}
		case *pg_query.TypeCast:
			if inner := n.Arg.GetTypeCast(); inner != nil && n.TypeName != nil && len(n.TypeName.Names) > 0 {
				switch n.TypeName.Names[len(n.TypeName.Names)-1].GetString_().GetSval() {
				case "text", "varchar", "name", "bpchar":
					r.shown[inner] = true
				}
			}
		case *pg_query.CommonTableExpr:
			r.ctes[n.Ctename] = true
		case *pg_query.InsertStmt:
			r.skip[n.Relation] = true
		case *pg_query.UpdateStmt:
			r.skip[n.Relation] = true
		case *pg_query.DeleteStmt:
			r.skip[n.Relation] = true
		case *pg_query.CreateStmt:
			r.skip[n.Relation] = true
		case *pg_query.IntoClause:
			r.skip[n.Rel] = true
		case *pg_query.ViewStmt:
			r.skip[n.View] = true
		case *pg_query.AlterTableStmt:
			r.skip[n.Relation] = true
		case *pg_query.RenameStmt:
			r.skip[n.Relation] = true
		case *pg_query.IndexStmt:
			r.skip[n.Relation] = true
		case *pg_query.CopyStmt:
			r.skip[n.Relation] = true
		case *pg_query.TruncateStmt:
			for _, rel := range n.Relations {
				r.skip[rel.GetRangeVar()] = true
			}
		}
		return true
	})
}

// add records e unless it overlaps another edit (an insertion, start ==
// end, overlaps what strictly contains its position).
func (r *pgRewriter) add(e edit) {
	overlaps := func(o edit) bool {
		if e.start == e.end {
			return o.start < e.start && e.start < o.end
		}
		if o.start == o.end {
			return e.start < o.start && o.start < e.end
		}
		return e.start < o.end && o.start < e.end
	}
	for _, o := range r.others {
		if overlaps(o) {
			return
		}
	}
	for _, o := range r.edits {
		if overlaps(o) {
			return
		}
	}
	r.edits = append(r.edits, e)
}

func (r *pgRewriter) tokText(i int) string {
	t := r.toks[i]
	return r.text[t.Start:t.End]
}

// tokenAt returns the index of the token starting at pos, or -1.
func (r *pgRewriter) tokenAt(pos int32) int {
	if i, ok := r.byPos[int(pos)]; ok {
		return i
	}
	return -1
}

// identName is a name token's identifier: unquoted and case-folded, or
// the quoted text.
func identName(tok string) string {
	if strings.HasPrefix(tok, `"`) && strings.HasSuffix(tok, `"`) && len(tok) >= 2 {
		return strings.ReplaceAll(tok[1:len(tok)-1], `""`, `"`)
	}
	return strings.ToLower(tok)
}

func (r *pgRewriter) isName(i int) bool {
	t := r.toks[i]
	return t.Token == pg_query.Token_IDENT || t.KeywordKind != pg_query.KeywordKind_NO_KEYWORD
}

// dottedName reads name ('.' name)* from token i: the names and the index
// after the last one.
func (r *pgRewriter) dottedName(i int) ([]string, int) {
	if i < 0 || i >= len(r.toks) || !r.isName(i) {
		return nil, i
	}
	names := []string{identName(r.tokText(i))}
	j := i + 1
	for j+1 < len(r.toks) && r.tokText(j) == "." && r.isName(j+1) {
		names = append(names, identName(r.tokText(j+1)))
		j += 2
	}
	return names, j
}

func (r *pgRewriter) rangeVar(n *pg_query.RangeVar) {
	if n.Catalogname == duckdb.DatabaseName && (n.Schemaname == "information_schema" || n.Schemaname == "pg_catalog") {
		// "featurehouse".information_schema.columns (dbt): the database
		// name is ours; DuckDB keeps these schemas outside its catalogs.
		if n.Schemaname == "information_schema" || !pgRelations[n.Relname] {
			if start, end := sql.RelationSpan(r.text, n.Location); start >= 0 {
				text := n.Schemaname + "." + quoteIdent(n.Relname)
				if n.Schemaname == "information_schema" {
					if own, ok := r.infoSchemaView(n.Relname); ok {
						text = own
						if n.Alias == nil {
							text += " AS " + quoteIdent(n.Relname)
						}
					}
				}
				r.add(edit{start: start, end: end, text: text})
			}
			return
		}
		n = &pg_query.RangeVar{Schemaname: n.Schemaname, Relname: n.Relname, Location: n.Location}
	}
	if own, ok := r.infoSchemaView(n.Relname); ok && n.Schemaname == "information_schema" && n.Catalogname == "" && !r.skip[n] {
		if start, end := sql.RelationSpan(r.text, n.Location); start >= 0 {
			if n.Alias == nil {
				own += " AS " + quoteIdent(n.Relname)
			}
			r.add(edit{start: start, end: end, text: own})
		}
		return
	}
	if r.skip[n] || n.Catalogname != "" || !pgRelations[n.Relname] {
		return
	}
	if n.Schemaname != "pg_catalog" && (n.Schemaname != "" || r.ctes[n.Relname]) {
		return
	}
	start, end := sql.RelationSpan(r.text, n.Location)
	if start < 0 {
		return
	}
	r.add(edit{start: start, end: end, text: pgCatalogPrefix + n.Relname})
}

// privilegeFuncShortArity: the argument count of the privilege
// functions' forms without a role.
var privilegeFuncShortArity = map[string]int{"has_table_privilege": 2, "has_any_column_privilege": 2, "has_column_privilege": 3,
	"has_schema_privilege": 2, "has_database_privilege": 2, "pg_has_role": 2}

// infoSchemaView is featurehouse's own relation for an information_schema
// view DuckDB lacks or answers differently: columns with PostgreSQL's type
// names, and the privilege views for the current role.
func (r *pgRewriter) infoSchemaView(name string) (string, bool) {
	role := duckdb.QuoteString(r.s.currentRole())
	// As PostgreSQL's, columns and tables show only what the role holds a
	// privilege on (or owns); relations privileges do not apply to
	// (catalogs, temporary tables) stay.
	visible := func(kind, column, privs string) string {
		if r.s.isSuperuser() {
			return ""
		}
		rel := `'"' || replace(table_schema, '"', '""') || '"."' || replace(table_name, '"', '""') || '"'`
		return " WHERE fh_privilege(" + role + ", '" + kind + "', " + rel + ", " + column + ", '" + privs + "') IS NOT false"
	}
	switch name {
	case "columns":
		if w := visible("column", "column_name", "SELECT, INSERT, UPDATE, REFERENCES"); w != "" {
			return "(SELECT * FROM " + pgCatalogPrefix + "fh_is_columns" + w + ")", true
		}
		return pgCatalogPrefix + "fh_is_columns", true
	case "tables", "views":
		// featurehouse's storage and catalog emulation are not user
		// relations; a feature group is a table (DuckDB has it as a view).
		where := " WHERE table_catalog IN ('" + duckdb.DatabaseName + "', 'temp') AND table_schema <> '" + duckdb.InternalSchema + "'"
		if w := visible("any_column", "''", "SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"); w != "" {
			where += " AND" + strings.TrimPrefix(w, " WHERE")
		}
		groups := "(SELECT 1 FROM " + duckdb.DatabaseName + ".feature_store.feature_groups g WHERE g.schema_name = table_schema AND g.group_name = table_name)"
		if name == "views" {
			return "(SELECT * FROM information_schema.views" + where + " AND NOT EXISTS " + groups + ")", true
		}
		return "(SELECT * REPLACE (CASE WHEN table_type = 'VIEW' AND EXISTS " + groups +
			" THEN 'BASE TABLE' ELSE table_type END AS table_type) FROM information_schema.tables" + where + ")", true
	case "table_privileges":
		return pgCatalogPrefix + "fh_is_table_privileges(" + role + ", true)", true
	case "role_table_grants":
		return pgCatalogPrefix + "fh_is_table_privileges(" + role + ", false)", true
	case "column_privileges":
		return pgCatalogPrefix + "fh_is_column_privileges(" + role + ", true)", true
	case "role_column_grants":
		return pgCatalogPrefix + "fh_is_column_privileges(" + role + ", false)", true
	}
	return "", false
}

func funcNames(fc *pg_query.FuncCall) []string {
	out := make([]string, 0, len(fc.Funcname))
	for _, n := range fc.Funcname {
		out = append(out, n.GetString_().GetSval())
	}
	return out
}

func (r *pgRewriter) funcCall(fc *pg_query.FuncCall) {
	if fc.Funcformat != pg_query.CoercionForm_COERCE_EXPLICIT_CALL {
		return // EXTRACT(...), SUBSTRING(x FROM y): PostgreSQL's names, not in the text
	}
	names := funcNames(fc)
	if len(names) == 2 && names[0] == "information_schema" && names[1] == "_pg_expandarray" {
		names = []string{"pg_catalog", names[1]} // PostgreSQL's helper lives in information_schema
	}
	if len(names) == 0 || len(names) > 2 || len(names) == 2 && names[0] != "pg_catalog" {
		return
	}
	i := r.tokenAt(fc.Location)
	written, after := r.dottedName(i)
	if len(written) != len(names) || after >= len(r.toks) || r.tokText(after) != "(" {
		return
	}
	name := names[len(names)-1]
	start, end := int(fc.Location), int(r.toks[after-1].End)
	switch {
	case (name == "pg_cancel_backend" || name == "pg_terminate_backend") && len(fc.Args) >= 1:
		// fh_signal_backend (duckdb/signal.go) cancels or ends the
		// connection; pg_terminate_backend's timeout is not waited for.
		if close := callEnd(r.text, start); close > 0 {
			argEnd := close - 1
			if len(fc.Args) == 2 {
				argEnd = int(nodeLocation(fc.Args[1]))
				for argEnd > 0 && r.text[argEnd-1] != ',' {
					argEnd--
				}
				argEnd--
			}
			open := int(r.toks[after].End)
			if argEnd > open {
				// The argument keeps its own text; pg_backend_pid() in it
				// (dbt: pg_terminate_backend(pg_backend_pid())) is this
				// session's pid, as the inner call's own rewrite would give.
				arg := backendPidCall.ReplaceAllString(r.text[open:argEnd], fmt.Sprint(r.s.info.ProcessID))
				// The caller's pid: the check of who may signal whom is made
				// when it runs, for the session's role then (signal.go).
				r.add(edit{start: start, end: close, text: fmt.Sprintf("fh_signal_backend(CAST((%s) AS BIGINT), %t, %d)",
					arg, name == "pg_terminate_backend", r.s.info.ProcessID)})
			}
		}
	case name == "pg_backend_pid" && len(fc.Args) == 0:
		if close := callEnd(r.text, start); close > 0 {
			r.add(edit{start: start, end: close, text: fmt.Sprintf("CAST(%d AS INTEGER)", r.s.info.ProcessID)})
		}
	case name == "version" && len(fc.Args) == 0 && !fc.AggStar:
		if close := callEnd(r.text, start); close > 0 {
			r.add(edit{start: start, end: close, text: duckdb.QuoteString(r.s.p.versionString())})
		}
	case pgFunctions[name]:
		r.add(edit{start: start, end: end, text: pgCatalogPrefix + name})
		if n, ok := privilegeFuncShortArity[name]; ok && len(fc.Args) == n {
			// The form without a role asks for the current one.
			open := int(r.toks[after].End)
			r.add(edit{start: open, end: open, text: duckdb.QuoteString(r.s.currentRole()) + ", "})
		}
	case name == "json_build_object" || name == "jsonb_build_object":
		// DuckDB's json_object takes the same key, value, ... arguments.
		r.add(edit{start: start, end: end, text: "json_object"})
	case len(names) == 2:
		r.add(edit{start: start, end: end, text: r.tokText(after - 1)})
	}
}

// typeCast strips pg_catalog. from the type name, maps the names DuckDB
// lacks, and turns reg* casts into lookups.
func (r *pgRewriter) typeCast(tc *pg_query.TypeCast) {
	tn := tc.TypeName
	if tn == nil {
		return
	}
	i := r.tokenAt(tn.Location)
	written, after := r.dottedName(i)
	if len(written) == 0 || len(written) > 2 || len(written) == 2 && written[0] != "pg_catalog" {
		return
	}
	base := written[len(written)-1]
	baseTok := r.tokText(after - 1)
	typeStart, typeEnd := int(tn.Location), int(r.toks[after-1].End)
	fn, isReg := regCasts[base]
	if !isReg || len(tn.ArrayBounds) > 0 {
		if dt, ok := castTypeNames[strings.ToLower(baseTok)]; ok && len(tn.Typmods) == 0 {
			r.add(edit{start: typeStart, end: typeEnd, text: dt})
		} else if len(written) == 2 {
			r.add(edit{start: typeStart, end: int(r.toks[after-1].Start), text: ""})
		}
		return
	}
	// A literal or parameter names the object: its OID, unless the value
	// is shown (a select-list item, cast to text), then its name as
	// PostgreSQL prints it. Anything else (an OID column) shows as the name.
	call, closing := pgCatalogPrefix+fn+"_out(", ")"
	if namesObject(tc.Arg) {
		if r.shown[tc] {
			call, closing = call+pgCatalogPrefix+fn+"_in(", "))"
		} else {
			call = pgCatalogPrefix + fn + "_in("
		}
	}
	castAt := r.tokenAt(tc.Location)
	if castAt < 0 {
		return
	}
	switch strings.ToLower(r.tokText(castAt)) {
	case "::":
		argStart := r.operandStart(castAt)
		if argStart < 0 {
			return
		}
		r.add(edit{start: argStart, end: argStart, text: call})
		r.add(edit{start: int(tc.Location), end: typeEnd, text: closing})
	case "cast":
		// CAST ( arg AS type ): the function takes CAST's parentheses.
		if castAt+1 >= len(r.toks) || r.tokText(castAt+1) != "(" {
			return
		}
		asTok := r.tokenBefore(typeStart)
		if asTok < 0 || !strings.EqualFold(r.tokText(asTok), "as") {
			return
		}
		r.add(edit{start: int(tc.Location), end: int(r.toks[castAt+1].End), text: call})
		r.add(edit{start: int(r.toks[asTok-1].End), end: typeEnd, text: closing[1:]})
	}
}

// namesObject: a reg* cast of a string literal, a parameter or text looks
// the name up; of anything else (an OID column) it shows the name.
func namesObject(n *pg_query.Node) bool {
	if c := n.GetAConst(); c != nil && c.GetSval() != nil || n.GetParamRef() != nil {
		return true
	}
	if tc := n.GetTypeCast(); tc != nil && tc.TypeName != nil && len(tc.TypeName.Names) > 0 {
		switch tc.TypeName.Names[len(tc.TypeName.Names)-1].GetString_().GetSval() {
		case "text", "varchar", "name", "bpchar":
			return true
		}
	}
	return false
}

// tokenBefore is the index of the token just before position pos.
func (r *pgRewriter) tokenBefore(pos int) int {
	i := r.tokenAt(int32(pos))
	if i <= 0 {
		return -1
	}
	return i - 1
}

// operandStart finds where the operand of the postfix cast at token i
// starts: a literal, parameter or dotted name, a parenthesised expression
// or call, with subscripts and earlier casts (x::text::regclass).
func (r *pgRewriter) operandStart(i int) int {
	j := i - 1
	for j >= 0 {
		switch r.tokText(j) {
		case ")", "]":
			open := map[string]string{")": "(", "]": "["}[r.tokText(j)]
			closeTok, depth := r.tokText(j), 0
			for ; j >= 0; j-- {
				switch r.tokText(j) {
				case closeTok:
					depth++
				case open:
					depth--
				}
				if depth == 0 {
					break
				}
			}
			if j < 0 {
				return -1
			}
			if open == "[" {
				j-- // the subscripted expression
				continue
			}
			if j > 0 && r.isName(j-1) && r.toks[j-1].KeywordKind != pg_query.KeywordKind_RESERVED_KEYWORD {
				j-- // a call: its name
			}
		}
		for j >= 2 && r.tokText(j-1) == "." && r.isName(j-2) {
			j -= 2
		}
		if j >= 2 && r.tokText(j-1) == "::" {
			j -= 2 // the operand of the cast before
			continue
		}
		return int(r.toks[j].Start)
	}
	return -1
}

var regexOps = map[string]bool{"~": true, "!~": true, "~*": true, "!~*": true}

func (r *pgRewriter) aExpr(ae *pg_query.A_Expr) {
	var names []string
	for _, n := range ae.Name {
		names = append(names, n.GetString_().GetSval())
	}
	if len(names) == 0 || len(names) > 2 || len(names) == 2 && names[0] != "pg_catalog" {
		return
	}
	op := names[len(names)-1]
	switch ae.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		if regexOps[op] {
			r.regexMatch(ae, op, len(ae.Name) == 2)
		} else if op == "=" || op == "<>" {
			r.arrayLiteral(ae.Lexpr, ae.Rexpr)
			r.arrayLiteral(ae.Rexpr, ae.Lexpr)
		}
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY:
		// x = ANY(array_column) is a subquery to DuckDB, which refuses it
		// in an outer join's condition (SQLAlchemy's get_indexes joins
		// pg_attribute ON a.attnum = ANY(ix.indkey)): list_contains says
		// the same for the catalog's arrays, which hold no NULLs.
		if op == "=" && ae.Rexpr.GetColumnRef() != nil {
			r.anyToListContains(ae)
		}
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		c, start, end := r.stringConst(ae.Rexpr)
		if c != nil && strings.Contains(c.GetSval().Sval, `\`) {
			r.add(edit{start: start, end: end, text: r.text[start:end] + ` ESCAPE '\'`})
		}
	}
}

// stringConst is n (or the expression n collates) when it is a string
// literal, with the literal's span.
func (r *pgRewriter) stringConst(n *pg_query.Node) (*pg_query.A_Const, int, int) {
	if cc := n.GetCollateClause(); cc != nil {
		n = cc.Arg
	}
	c := n.GetAConst()
	if c == nil || c.GetSval() == nil {
		return nil, -1, -1
	}
	start, end := sql.TokenSpan(r.text, c.Location)
	if start < 0 {
		return nil, -1, -1
	}
	return c, start, end
}

// regexMatch writes OPERATOR(pg_catalog.op) as op, and makes a literal
// pattern match anywhere (case-insensitively for ~*, which DuckDB lacks).
func (r *pgRewriter) regexMatch(ae *pg_query.A_Expr, op string, qualified bool) {
	i := r.tokenAt(ae.Location)
	if i < 0 {
		return
	}
	c, start, end := r.stringConst(ae.Rexpr)
	newOp := op
	flags := "(?s)"
	if strings.HasSuffix(op, "*") {
		if c == nil {
			return
		}
		newOp = strings.TrimSuffix(op, "*")
		flags = "(?is)"
	}
	opEnd := int(r.toks[i].End)
	if qualified {
		if !strings.EqualFold(r.tokText(i), "operator") {
			return
		}
		k := i
		for k < len(r.toks) && r.tokText(k) != ")" {
			k++
		}
		if k == len(r.toks) {
			return
		}
		opEnd = int(r.toks[k].End)
	}
	if qualified || newOp != op {
		r.add(edit{start: int(ae.Location), end: opEnd, text: newOp})
	}
	if c != nil {
		r.add(edit{start: start, end: end, text: duckdb.QuoteString(flags + ".*(?:" + c.GetSval().Sval + ").*")})
	}
}

// arrayLiteral rewrites lit when it is a '{...}' literal compared with a
// catalog array column.
func (r *pgRewriter) arrayLiteral(col, lit *pg_query.Node) {
	cr := col.GetColumnRef()
	if cr == nil || len(cr.Fields) == 0 || !arrayCatalogColumns[cr.Fields[len(cr.Fields)-1].GetString_().GetSval()] {
		return
	}
	if e, ok := arrayLiteralEdit(r.text, lit); ok {
		r.add(e)
	}
}

// collate drops COLLATE pg_catalog.default (DuckDB's default collation is
// the same) and the qualifier of other collations.
func (r *pgRewriter) collate(cc *pg_query.CollateClause) {
	i := r.tokenAt(cc.Location)
	if i < 0 || !strings.EqualFold(r.tokText(i), "collate") {
		return
	}
	written, after := r.dottedName(i + 1)
	if len(written) == 0 {
		return
	}
	if written[len(written)-1] == "default" {
		r.add(edit{start: int(cc.Location), end: int(r.toks[after-1].End), text: ""})
	} else if len(written) == 2 && written[0] == "pg_catalog" {
		r.add(edit{start: int(r.toks[i+1].Start), end: int(r.toks[after-1].Start), text: ""})
	}
}

// scalarSetFunctions return one unnamed column, which PostgreSQL names
// after the FROM item's alias.
var scalarSetFunctions = map[string]bool{"generate_series": true, "unnest": true, "generate_subscripts": true}

func (r *pgRewriter) rangeFunction(rf *pg_query.RangeFunction) {
	if rf.Alias == nil || len(rf.Alias.Colnames) > 0 || rf.Ordinality || rf.IsRowsfrom || len(rf.Functions) != 1 {
		return
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 {
		return
	}
	fc := items[0].GetFuncCall()
	if fc == nil {
		return
	}
	names := funcNames(fc)
	if len(names) == 0 || !scalarSetFunctions[names[len(names)-1]] || names[len(names)-1] == "unnest" && len(fc.Args) != 1 {
		return
	}
	end := callEnd(r.text, int(fc.Location))
	i := r.tokenAt(int32(end))
	if i < 0 {
		for k, t := range r.toks {
			if int(t.Start) >= end {
				i = k
				break
			}
		}
	}
	if i < 0 {
		return
	}
	if strings.EqualFold(r.tokText(i), "as") {
		i++
	}
	if i >= len(r.toks) || !r.isName(i) || identName(r.tokText(i)) != rf.Alias.Aliasname {
		return
	}
	r.add(edit{start: int(r.toks[i].End), end: int(r.toks[i].End), text: "(" + quoteIdent(rf.Alias.Aliasname) + ")"})
}

// sqlValueFunction answers current_user and the like with the session's
// role (DuckDB's is "duckdb").
func (r *pgRewriter) sqlValueFunction(f *pg_query.SQLValueFunction) {
	switch f.Op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE,
		pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER, pg_query.SQLValueFunctionOp_SVFOP_USER:
	default:
		return
	}
	i := r.tokenAt(f.Location)
	if i < 0 {
		return
	}
	user := r.s.currentRole()
	if f.Op == pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER {
		user = r.s.sessionUser()
	}
	r.add(edit{start: int(r.toks[i].Start), end: int(r.toks[i].End), text: duckdb.QuoteString(user)})
}

// anyToListContains rewrites `l = ANY(r)` (r a column) as list_contains(r, l).
func (r *pgRewriter) anyToListContains(ae *pg_query.A_Expr) {
	ls, rs := nodeLocation(ae.Lexpr), nodeLocation(ae.Rexpr)
	i := r.tokenAt(ae.Location)
	if ls < 0 || rs < 0 || i < 0 || i+2 >= len(r.toks) || !strings.EqualFold(r.tokText(i+1), "any") || r.tokText(i+2) != "(" {
		return
	}
	end := callEnd(r.text, int(r.toks[i+1].Start))
	if end <= int(rs) {
		return
	}
	left := strings.TrimSpace(r.text[ls:r.toks[i].Start])
	right := strings.TrimSpace(r.text[rs : end-1])
	r.add(edit{start: int(ls), end: end, text: "list_contains(" + right + ", " + left + ")"})
}
