package planner

import (
	"context"
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// endsTransaction: statements allowed in a failed transaction block.
func endsTransaction(parsed sql.Statement) bool {
	q, ok := parsed.(*sql.Query)
	if !ok || q.Tree == nil || len(q.Tree.Stmts) == 0 {
		return false
	}
	ts := q.Tree.Stmts[0].Stmt.GetTransactionStmt()
	if ts == nil {
		return false
	}
	switch ts.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT, pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK,
		pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return true
	}
	return false
}

// planQuery routes a statement of PostgreSQL's grammar.
func (s *Session) planQuery(ctx context.Context, q *sql.Query, paramTypes []uint32) (plan, error) {
	if q.Tree == nil || len(q.Tree.Stmts) == 0 {
		return &commandPlan{run: func(context.Context) (string, error) { return "", nil }, empty: true}, nil
	}
	if err := s.lockdown(q); err != nil { // lockdown.go
		return nil, err
	}
	if err := s.auditReadCheck(ctx, q); err != nil { // audit.go
		return nil, err
	}
	node := q.Tree.Stmts[0].Stmt
	if p := s.roleStatementPlan(node); p != nil {
		return p, nil
	}
	if err := s.protectAuthid(q.Tree); err != nil {
		return nil, err
	}
	switch n := node.Node.(type) {
	case *pg_query.Node_TransactionStmt:
		return s.transactionPlan(n.TransactionStmt)
	case *pg_query.Node_VariableSetStmt:
		return s.setPlan(n.VariableSetStmt), nil
	case *pg_query.Node_VariableShowStmt:
		return s.showPlan(n.VariableShowStmt.Name), nil
	case *pg_query.Node_InsertStmt:
		if g := s.lookupGroup(sql.QualifiedName{Schema: n.InsertStmt.Relation.Schemaname, Name: n.InsertStmt.Relation.Relname}); g != nil {
			visible := 0
			for _, f := range g.Features {
				if f.Status != catalog.Retired {
					visible++
				}
			}
			if err := insertArity(q, n.InsertStmt, visible); err != nil {
				return nil, err
			}
			return s.groupInsertPlan(ctx, q, n.InsertStmt, g, paramTypes)
		}

	case *pg_query.Node_DeleteStmt:
		rel := sql.QualifiedName{Schema: n.DeleteStmt.Relation.Schemaname, Name: n.DeleteStmt.Relation.Relname}
		if g := s.lookupGroup(rel); g != nil {
			return s.groupDeletePlan(ctx, q, n.DeleteStmt, g, paramTypes)
		}
		if q.Erase {
			return nil, pgerror.New(pgerror.UndefinedTable, `feature group "%s" does not exist`, displayQualified(rel)).
				WithHint("ERASE removes rows from feature groups and their snapshots; use DELETE for tables.")
		}
	case *pg_query.Node_VacuumStmt:
		if p, err := s.vacuumPlan(n.VacuumStmt); p != nil || err != nil {
			return p, err
		}
	case *pg_query.Node_TruncateStmt:
		if p, err := s.truncatePlan(n.TruncateStmt); p != nil || err != nil {
			return p, err
		}
	case *pg_query.Node_DeallocateStmt:
		return s.deallocatePlan(n.DeallocateStmt), nil
	case *pg_query.Node_RenameStmt:
		if vq := s.renameViewAsTable(ctx, q, n.RenameStmt); vq != nil {
			return s.duckdbPlan(ctx, vq, paramTypes)
		}
	case *pg_query.Node_GrantStmt:
		return s.grantPlan(q, n.GrantStmt), nil // grant.go
	case *pg_query.Node_AlterDefaultPrivilegesStmt:
		return s.defaultPrivilegesPlan(n.AlterDefaultPrivilegesStmt), nil // default_privileges.go
	case *pg_query.Node_DeclareCursorStmt:
		return s.declarePlan(ctx, q, n.DeclareCursorStmt)
	case *pg_query.Node_FetchStmt:
		return s.fetchPlan(n.FetchStmt), nil
	case *pg_query.Node_ClosePortalStmt:
		return s.closePlan(n.ClosePortalStmt.Portalname), nil
	case *pg_query.Node_CopyStmt:
		return s.copyPlan(ctx, q, n.CopyStmt)
	case *pg_query.Node_ExplainStmt:
		return s.explainPlan(ctx, q, n.ExplainStmt)
	case *pg_query.Node_DiscardStmt:
		return &commandPlan{run: func(ctx context.Context) (string, error) {
			if s.inBlock() {
				return "", pgerror.New(pgerror.ActiveSQLTransaction, "DISCARD ALL cannot run inside a transaction block")
			}
			for name := range defaultParams(s.p.cfg.ServerVersion, s.info.User) {
				if !readOnlyParams[name] && !isReportOnly(name) {
					_ = s.resetParam(ctx, name)
				}
			}
			// DISCARD ALL is also SET SESSION AUTHORIZATION DEFAULT.
			s.setReported("session_authorization", s.info.User)
			s.refreshSuperuser()
			return "DISCARD " + strings.TrimPrefix(n.DiscardStmt.Target.String(), "DISCARD_"), nil
		}}, nil
	case *pg_query.Node_CreatedbStmt, *pg_query.Node_DropdbStmt:
		return nil, pgerror.New(pgerror.FeatureNotSupported, "featurehouse has one database, %q", duckdb.DatabaseName)
	}
	if err := s.protectSystemObjects(node); err != nil {
		return nil, err
	}
	if l := s.onlineLookupPlan(q, paramTypes); l != nil {
		if err := s.checkFeatureStatus(q.Tree); err != nil {
			return nil, err
		}
		return l, nil
	}
	return s.duckdbPlan(ctx, q, paramTypes)
}

// duckdbQuery is a statement DuckDB runs, with feature-group references and
// AS OF rewritten.
type duckdbQuery struct {
	s           *Session
	q           *sql.Query
	text        string // DuckDB SQL
	returnsRows bool
	tagVerb     string // for row-returning statements: "SELECT", "INSERT 0"...
	tag         func(n int64) string
	declared    []uint32
	names       []string // PostgreSQL's result column names
	volatile    bool     // re-rewrite at every execution (in-memory system views)

	stmt      *duckdb.Stmt
	params    []uint32
	cols      []types.Column
	described bool
}

func (s *Session) rewriteQuery(ctx context.Context, q *sql.Query) (string, error) {
	return s.rewriteQueryWith(ctx, q, nil)
}

// rewriteQueryWith rewrites q with extra edits of q.Text (parameter casts);
// an extra edit inside another edit's span (a parameter in an AS OF time)
// is dropped.
func (s *Session) rewriteQueryWith(ctx context.Context, q *sql.Query, extra []edit) (string, error) {
	if err := s.checkFeatureStatus(q.Tree); err != nil {
		return "", err
	}
	edits, err := s.asOfEdits(ctx, q)
	if err != nil {
		return "", err
	}
	settings, err := s.settingEdits(ctx, q, edits)
	if err != nil {
		return "", err
	}
	edits = append(edits, settings...)
	edits = append(edits, s.maskEdits(q, edits)...) // masking.go
	edits = append(edits, s.systemViewEdits(q)...)
	edits = append(edits, arrayCastEdits(q.Text, q.Tree)...)
	if ins := q.Tree.Stmts[0].Stmt.GetInsertStmt(); ins != nil {
		edits = append(edits, s.tableInsertArrayEdits(ctx, q.Text, ins)...)
	}
	edits = append(edits, s.pgCatalogEdits(q.Text, q.Tree, edits)...)
	for _, e := range extra {
		inside := false
		for _, o := range edits {
			if e.start < o.end && o.start < e.end {
				inside = true
				break
			}
		}
		if !inside {
			edits = append(edits, e)
		}
	}
	edits = append(edits, keywordEdits(q.Text, edits)...)
	return applyEdits(q.Text, edits), nil
}

func (s *Session) duckdbPlan(ctx context.Context, q *sql.Query, paramTypes []uint32) (plan, error) {
	text, err := s.rewriteQuery(ctx, q)
	if err != nil {
		return nil, err
	}
	node := q.Tree.Stmts[0].Stmt
	p := &duckdbQuery{s: s, q: q, text: text, declared: paramTypes, volatile: len(s.systemViewEdits(q)) > 0}
	p.returnsRows, p.tagVerb = returnsRows(node)
	p.tag = commandTag(node)
	p.names = resultNames(node)
	return p, nil
}

// returnsRows says whether a statement returns rows, and its tag verb.
func returnsRows(node *pg_query.Node) (bool, string) {
	switch n := node.Node.(type) {
	case *pg_query.Node_SelectStmt:
		return n.SelectStmt.IntoClause == nil, "SELECT"
	case *pg_query.Node_InsertStmt:
		return len(n.InsertStmt.ReturningList) > 0, "INSERT 0"
	case *pg_query.Node_UpdateStmt:
		return len(n.UpdateStmt.ReturningList) > 0, "UPDATE"
	case *pg_query.Node_DeleteStmt:
		return len(n.DeleteStmt.ReturningList) > 0, "DELETE"
	case *pg_query.Node_FetchStmt:
		return true, "FETCH"
	}
	return false, ""
}

// describe prepares the statement in DuckDB to learn parameter and result
// types. A parameter DuckDB cannot type is treated as text, as PostgreSQL
// treats an unknown-typed parameter.
func (p *duckdbQuery) describe(ctx context.Context) ([]uint32, []types.Column, error) {
	if p.described {
		return p.params, p.cols, nil
	}
	text := p.text
	if len(p.declared) > 0 {
		var err error
		if text, err = p.s.rewriteQueryWith(ctx, p.q, p.s.paramCastEdits(p.q, p.declared, nil)); err != nil {
			return nil, nil, err
		}
	}
	stmt, err := p.s.conn.Prepare(ctx, text)
	if err != nil {
		return nil, nil, decorateError(err, p.q)
	}
	n := stmt.NumParams()
	var untyped []int
	jsonParams := map[int]bool{}
	for i := 1; i <= n; i++ {
		if i <= len(p.declared) && p.declared[i-1] != 0 {
			continue
		}
		switch stmt.ParamType(i) {
		case "":
			untyped = append(untyped, i)
		case "JSON":
			// Bound as text, then parsed (see paramCastEdits).
			untyped = append(untyped, i)
			jsonParams[i] = true
		}
	}
	if len(untyped) > 0 {
		_ = stmt.Close()
		if text, err = p.s.rewriteQueryWith(ctx, p.q, p.s.paramCastEdits(p.q, p.declared, untyped)); err != nil {
			return nil, nil, err
		}
		if stmt, err = p.s.conn.Prepare(ctx, text); err != nil {
			return nil, nil, err
		}
	}
	p.params = make([]uint32, n)
	for i := 1; i <= n; i++ {
		if i <= len(p.declared) && p.declared[i-1] != 0 {
			p.params[i-1] = p.declared[i-1]
			continue
		}
		if jsonParams[i] {
			p.params[i-1] = types.OIDJSON
		} else if t := stmt.ParamType(i); t != "" {
			p.params[i-1] = types.FromDuckDB(t).OID
		} else {
			p.params[i-1] = 25
		}
	}
	if p.returnsRows {
		cols, ok := stmt.Columns()
		if !ok {
			_ = stmt.Close()
			return nil, nil, pgerror.New(pgerror.IndeterminateDatatype, "could not determine the result types of the statement").
				WithHint("Add explicit casts to the parameters.")
		}
		p.cols = renameColumns(columnsOf(cols), p.names)
	}
	p.stmt = stmt
	p.text = text
	p.described = true
	return p.params, p.cols, nil
}

// paramCastEdits wraps parameters in casts (edits of q.Text): declared
// types, and for the untyped ones VARCHAR, or an array of the compared
// column's type for `col = ANY($n)`.
func (s *Session) paramCastEdits(q *sql.Query, declared []uint32, untyped []int) []edit {
	want := map[int32]string{}
	for i, oid := range declared {
		if oid != 0 {
			if name := types.DuckDBName(oid); name != "" {
				want[int32(i+1)] = name
			}
		}
	}
	if len(untyped) > 0 {
		anyTypes := s.anyParamTypes(q)
		for _, n := range untyped {
			if t, ok := anyTypes[int32(n)]; ok {
				want[int32(n)] = t
			} else {
				want[int32(n)] = "VARCHAR"
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	var edits []edit
	for _, pr := range paramRefs(q.Tree) {
		t, ok := want[pr.Number]
		if !ok {
			continue
		}
		ref := fmt.Sprintf("$%d", pr.Number)
		start := int(pr.Location)
		if start < 0 || start+len(ref) > len(q.Text) || q.Text[start:start+len(ref)] != ref {
			continue
		}
		cast := "CAST(" + ref + " AS " + t + ")"
		if strings.EqualFold(t, "JSON") {
			// A JSON parameter is bound as text and parsed: the driver would
			// bind the text itself as one JSON string.
			cast = "CAST(CAST(" + ref + " AS VARCHAR) AS JSON)"
		}
		edits = append(edits, edit{start: start, end: start + len(ref), text: cast})
	}
	return edits
}

// anyParamTypes types the parameters of `col = ANY($n)`: an array of the
// column's type when col is a feature of a group the statement reads,
// else of VARCHAR.
func (s *Session) anyParamTypes(q *sql.Query) map[int32]string {
	out := map[int32]string{}
	groups := s.referencedGroups(q.Tree)
	sql.Walk(q.Tree, func(m proto.Message) bool {
		ae, ok := m.(*pg_query.A_Expr)
		if !ok || ae.Kind != pg_query.A_Expr_Kind_AEXPR_OP_ANY {
			return true
		}
		pr := ae.Rexpr.GetParamRef()
		if pr == nil {
			return true
		}
		t := "VARCHAR"
		if cr := ae.Lexpr.GetColumnRef(); cr != nil && len(cr.Fields) > 0 {
			if name := cr.Fields[len(cr.Fields)-1].GetString_(); name != nil {
				for g := range groups {
					if f := g.Feature(name.Sval); f != nil {
						t = f.DuckDBType
					}
				}
			}
		}
		out[pr.Number] = t + "[]"
		return true
	})
	return out
}

func (p *duckdbQuery) execute(ctx context.Context, args []any) (any, error) {
	res, err := p.run(ctx, args)
	if err != nil {
		return nil, decorateError(err, p.q)
	}
	return res, nil
}

func (p *duckdbQuery) run(ctx context.Context, args []any) (any, error) {
	if p.volatile {
		// The text embeds figures of the moment (serving statistics): redo
		// it for every execution instead of reusing the prepared statement.
		if p.stmt != nil {
			p.stmt.Close()
			p.stmt = nil
		}
		var err error
		if p.text, err = p.s.rewriteQueryWith(ctx, p.q, p.s.paramCastEdits(p.q, p.declared, nil)); err != nil {
			return nil, err
		}
	}
	if p.returnsRows {
		return p.runRows(ctx, args)
	}
	owners := p.s.planOwnership(ctx, p.q) // owners.go
	var n int64
	var err error
	if p.stmt != nil {
		n, err = p.stmt.Exec(ctx, args)
	} else {
		n, err = p.s.conn.Exec(ctx, p.text, args...)
	}
	if err != nil {
		return nil, err
	}
	if err := p.s.applyOwnership(ctx, owners); err != nil {
		return nil, err
	}
	if ctas := p.q.Tree.Stmts[0].Stmt.GetCreateTableAsStmt(); ctas != nil && ctas.Into != nil && ctas.Into.Rel != nil && !ctas.Into.SkipData {
		// DuckDB reports no row count for CREATE TABLE AS; PostgreSQL's tag has it.
		n = p.s.countRows(ctx, ctas.Into.Rel)
	}
	return &CommandResult{Tag: p.tag(n)}, nil
}

func (p *duckdbQuery) runRows(ctx context.Context, args []any) (any, error) {
	if p.stmt != nil {
		rows, err := p.stmt.Query(duckdb.WithBorrowedValues(ctx), args) // values valid until the next Next: pgwire encodes each row at once
		if err != nil {
			return nil, err
		}
		return &RowResult{cols: p.cols, rows: rows, tagVerb: p.tagVerb}, nil
	}
	rows, err := p.s.conn.Query(duckdb.WithBorrowedValues(ctx), p.text, args...) // values valid until the next Next
	if err != nil {
		return nil, err
	}
	return &RowResult{cols: renameColumns(columnsOf(rows.Columns()), p.names), rows: rows, tagVerb: p.tagVerb}, nil
}

func (s *Session) countRows(ctx context.Context, rv *pg_query.RangeVar) int64 {
	name := quoteIdent(rv.Relname)
	if rv.Schemaname != "" {
		name = quoteIdent(rv.Schemaname) + "." + name
	}
	var v any
	if _, err := s.conn.QueryRow(ctx, "SELECT count(*) FROM "+name, nil, &v); err != nil {
		return 0
	}
	n, _ := v.(int64)
	return n
}

func (p *duckdbQuery) close() {
	if p.stmt != nil {
		_ = p.stmt.Close()
		p.stmt = nil
	}
}

// commandTag is PostgreSQL's CommandComplete tag for a statement.
func commandTag(node *pg_query.Node) func(int64) string {
	fixed := func(s string) func(int64) string { return func(int64) string { return s } }
	switch n := node.Node.(type) {
	case *pg_query.Node_InsertStmt:
		return func(c int64) string { return fmt.Sprintf("INSERT 0 %d", c) }
	case *pg_query.Node_UpdateStmt:
		return func(c int64) string { return fmt.Sprintf("UPDATE %d", c) }
	case *pg_query.Node_DeleteStmt:
		return func(c int64) string { return fmt.Sprintf("DELETE %d", c) }
	case *pg_query.Node_MergeStmt:
		return func(c int64) string { return fmt.Sprintf("MERGE %d", c) }
	case *pg_query.Node_SelectStmt, *pg_query.Node_CreateTableAsStmt:
		if ctas := node.GetCreateTableAsStmt(); ctas != nil && ctas.Objtype == pg_query.ObjectType_OBJECT_MATVIEW {
			return func(c int64) string { return fmt.Sprintf("SELECT %d", c) }
		}
		return func(c int64) string { return fmt.Sprintf("SELECT %d", c) }
	case *pg_query.Node_CreateStmt:
		return fixed("CREATE TABLE")
	case *pg_query.Node_ViewStmt:
		return fixed("CREATE VIEW")
	case *pg_query.Node_CreateSchemaStmt:
		return fixed("CREATE SCHEMA")
	case *pg_query.Node_IndexStmt:
		return fixed("CREATE INDEX")
	case *pg_query.Node_CreateSeqStmt:
		return fixed("CREATE SEQUENCE")
	case *pg_query.Node_CreateFunctionStmt:
		return fixed("CREATE FUNCTION")
	case *pg_query.Node_CreateEnumStmt, *pg_query.Node_CompositeTypeStmt:
		return fixed("CREATE TYPE")
	case *pg_query.Node_AlterTableStmt:
		if n.AlterTableStmt.Objtype == pg_query.ObjectType_OBJECT_VIEW {
			return fixed("ALTER VIEW")
		}
		return fixed("ALTER TABLE")
	case *pg_query.Node_RenameStmt:
		if n.RenameStmt.RenameType == pg_query.ObjectType_OBJECT_VIEW || n.RenameStmt.RelationType == pg_query.ObjectType_OBJECT_VIEW {
			return fixed("ALTER VIEW")
		}
		return fixed("ALTER TABLE")
	case *pg_query.Node_DropStmt:
		return fixed("DROP " + objectTypeWord(n.DropStmt.RemoveType))
	case *pg_query.Node_TruncateStmt:
		return fixed("TRUNCATE TABLE")
	case *pg_query.Node_CommentStmt:
		return fixed("COMMENT")
	case *pg_query.Node_CopyStmt:
		return func(c int64) string { return fmt.Sprintf("COPY %d", c) }
	case *pg_query.Node_VacuumStmt:
		if n.VacuumStmt.IsVacuumcmd {
			return fixed("VACUUM")
		}
		return fixed("ANALYZE")
	case *pg_query.Node_CheckPointStmt:
		return fixed("CHECKPOINT")
	case *pg_query.Node_DeallocateStmt:
		return fixed("DEALLOCATE")
	case *pg_query.Node_DiscardStmt:
		return fixed("DISCARD ALL")
	case *pg_query.Node_GrantStmt:
		if n.GrantStmt.IsGrant {
			return fixed("GRANT")
		}
		return fixed("REVOKE")
	case *pg_query.Node_PrepareStmt:
		return fixed("PREPARE")
	case *pg_query.Node_ExecuteStmt:
		return fixed("EXECUTE")
	case *pg_query.Node_CallStmt:
		return fixed("CALL")
	}
	return fixed("OK")
}

func objectTypeWord(t pg_query.ObjectType) string {
	w := strings.TrimPrefix(t.String(), "OBJECT_")
	switch w {
	case "MATVIEW":
		return "MATERIALIZED VIEW"
	case "FOREIGN_TABLE":
		return "FOREIGN TABLE"
	}
	return strings.ReplaceAll(w, "_", " ")
}
