package planner

import (
	"context"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Privileges, checked as PostgreSQL's executor checks them: for every
// relation a statement reads or writes, the current role needs the
// privilege on the relation, or on each column it uses; USAGE on the
// relation's schema; ownership for DDL. Superusers and owners (and
// members of the owner) pass. A view or feature view is checked for the
// reader, and its definition with its owner's rights. The check walks
// the statement as written, before any rewrite, and runs when the
// statement executes (prepared statements are checked again after SET
// ROLE or a GRANT/REVOKE).

// relation is a table-like object a statement names.
type relation struct {
	kind         relKind
	schema, name string
	owner        string
	group        *catalog.Group
	view         *catalog.View
	definition   string // a plain view's CREATE VIEW, as its owner wrote it
	cols         []string
	colsLoaded   bool
	loc          int32 // where the statement names it (-1: unknown)
}

type relKind int

const (
	relTable relKind = iota
	relView
	relGroup
	relFeatureView
)

func groupRelation(g *catalog.Group) *relation {
	return &relation{kind: relGroup, schema: g.Schema, name: g.Name, owner: g.Owner, group: g, loc: -1}
}

func viewRelation(v *catalog.View) *relation {
	return &relation{kind: relFeatureView, schema: v.Schema, name: v.Name, owner: v.Owner, view: v, loc: -1}
}

func (r *relation) what() string {
	switch r.kind {
	case relView:
		return "view"
	case relGroup:
		return "feature group"
	case relFeatureView:
		return "feature view"
	}
	return "table"
}

func (r *relation) display() string { return r.name }

// duckRel is an ordinary DuckDB table or view.
type duckRel struct {
	schema, name string
	view         bool
	temp         bool
}

// privCheck is one statement's check, for one role.
type privCheck struct {
	s      *Session
	role   string
	depth  int
	duck   []duckRel // loaded on first need
	ducked bool
	// needs: per relation (by schema.name), privilege → columns ("" for
	// the relation itself, "*" for every column).
	rels  map[string]*relation
	needs map[string]map[string]map[string]bool
	order []string
	// text and offset place error positions (text "" : none).
	text   string
	offset int
	// forView: the statement is a view's definition, checked for its
	// owner, who must also be able to unmask the masked features it
	// reads (a view shows them to everyone it is granted to).
	forView bool
}

func (s *Session) newPrivCheck(role string, depth int) *privCheck {
	return &privCheck{s: s, role: role, depth: depth, rels: map[string]*relation{}, needs: map[string]map[string]map[string]bool{}}
}

// roleIsSuper reports whether role is a superuser.
func (s *Session) roleIsSuper(role string) bool {
	r := s.p.catalog.Role(role)
	return r != nil && r.Super
}

// authorize checks what q needs of the current role.
func (s *Session) authorize(ctx context.Context, q *sql.Query) error {
	role := s.currentRole()
	if q == nil || q.Tree == nil || len(q.Tree.Stmts) == 0 || s.roleIsSuper(role) {
		return nil
	}
	pc := s.newPrivCheck(role, 0)
	if len(q.AsOf) == 0 && len(q.Versions) == 0 && !q.Erase {
		pc.text, pc.offset = q.Text, q.Offset // Text is then Original
	}
	if err := pc.query(ctx, q); err != nil {
		return err
	}
	return pc.finish(ctx)
}

// position is the 1-based character position PostgreSQL reports for a
// parse location (0: none).
func (pc *privCheck) position(loc int32) int {
	if pc.text == "" || loc < 0 || int(loc) > len(pc.text) {
		return 0
	}
	return utf8.RuneCountInString(pc.text[:loc]) + 1 + pc.offset
}

// query checks a parsed statement: its tree and the AS OF times, which
// are not in the tree.
func (pc *privCheck) query(ctx context.Context, q *sql.Query) error {
	if err := pc.stmt(ctx, q.Tree.Stmts[0].Stmt, nil, q); err != nil {
		return err
	}
	for _, a := range q.AsOf {
		for _, expr := range []string{a.Expr, a.KnownAt} {
			if expr == "" || strings.EqualFold(strings.TrimSpace(expr), "latest") {
				continue
			}
			tree, err := pg_query.Parse("SELECT " + expr)
			if err != nil || len(tree.Stmts) != 1 {
				continue
			}
			if err := pc.stmt(ctx, tree.Stmts[0].Stmt, nil, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// scope is one SELECT level's FROM items.
type scope struct {
	parent *scope
	items  []scopeItem
	ctes   map[string]bool
}

type scopeItem struct {
	alias string
	rel   *relation // nil: a subquery, CTE or function
}

func (sc *scope) isCTE(name string) bool {
	for x := sc; x != nil; x = x.parent {
		if x.ctes[name] {
			return true
		}
	}
	return false
}

// stmt checks one statement node in scope sc.
func (pc *privCheck) stmt(ctx context.Context, node *pg_query.Node, sc *scope, q *sql.Query) error {
	if node == nil {
		return nil
	}
	switch n := node.Node.(type) {
	case *pg_query.Node_SelectStmt:
		return pc.selectStmt(ctx, n.SelectStmt, sc)
	case *pg_query.Node_InsertStmt:
		return pc.insertStmt(ctx, n.InsertStmt, sc)
	case *pg_query.Node_UpdateStmt:
		return pc.updateStmt(ctx, n.UpdateStmt, sc)
	case *pg_query.Node_DeleteStmt:
		st := n.DeleteStmt
		inner, rel, err := pc.dmlTarget(ctx, st.WithClause, st.Relation, sc)
		if err != nil || rel == nil {
			return err
		}
		priv := "DELETE"
		if q != nil && q.Erase {
			// ERASE removes history from snapshots too: the owner's call.
			if err := pc.mustOwn(rel); err != nil {
				return err
			}
		}
		pc.need(rel, priv, "")
		pc.addItem(inner, st.Relation, rel)
		for _, u := range st.UsingClause {
			if err := pc.fromItem(ctx, u, inner); err != nil {
				return err
			}
		}
		return pc.exprs(ctx, inner, st.WhereClause, listNode(st.ReturningList))
	case *pg_query.Node_TruncateStmt:
		for _, r := range n.TruncateStmt.Relations {
			if rv := r.GetRangeVar(); rv != nil {
				rel, err := pc.resolve(ctx, rv)
				if err != nil {
					return err
				}
				if rel != nil {
					pc.need(rel, "TRUNCATE", "")
				}
			}
		}
		return nil
	case *pg_query.Node_CopyStmt:
		st := n.CopyStmt
		if st.Query != nil {
			return pc.stmt(ctx, st.Query, sc, nil)
		}
		rel, err := pc.resolve(ctx, st.Relation)
		if err != nil || rel == nil {
			return err
		}
		priv := "SELECT"
		if st.IsFrom {
			priv = "INSERT"
		}
		if len(st.Attlist) == 0 {
			pc.need(rel, priv, "*")
		}
		for _, a := range st.Attlist {
			pc.need(rel, priv, a.GetString_().GetSval())
		}
		return nil
	case *pg_query.Node_ExplainStmt:
		return pc.stmt(ctx, n.ExplainStmt.Query, sc, q)
	case *pg_query.Node_DeclareCursorStmt:
		return pc.stmt(ctx, n.DeclareCursorStmt.Query, sc, q)
	case *pg_query.Node_PrepareStmt:
		return pc.stmt(ctx, n.PrepareStmt.Query, sc, q)
	case *pg_query.Node_CreateTableAsStmt:
		st := n.CreateTableAsStmt
		if st.Into != nil && st.Into.Rel != nil {
			if err := pc.mayCreateIn(st.Into.Rel); err != nil {
				return err
			}
		}
		return pc.stmt(ctx, st.Query, sc, q)
	case *pg_query.Node_ViewStmt:
		pc.forView = true
		if err := pc.mayCreateIn(n.ViewStmt.View); err != nil {
			return err
		}
		if n.ViewStmt.Replace {
			if rel, err := pc.resolve(ctx, n.ViewStmt.View); err == nil && rel != nil {
				if err := pc.mustOwn(rel); err != nil {
					return err
				}
			}
		}
		// The view's query must be readable by its owner (the creator).
		return pc.stmt(ctx, n.ViewStmt.Query, sc, nil)
	case *pg_query.Node_CreateStmt:
		return pc.mayCreateIn(n.CreateStmt.Relation)
	case *pg_query.Node_CreateSeqStmt:
		return pc.mayCreateIn(n.CreateSeqStmt.Sequence)
	case *pg_query.Node_CreateSchemaStmt:
		if !pc.hasObjPriv(catalog.ObjDatabase, "", duckdb.DatabaseName, pc.s.p.catalog.BootstrapRole(), "CREATE") {
			return pgerror.New(pgerror.InsufficientPrivilege, "permission denied for database %s", duckdb.DatabaseName)
		}
		return nil
	case *pg_query.Node_CreateFunctionStmt:
		return pgerror.New(pgerror.InsufficientPrivilege, "permission denied for language sql")
	case *pg_query.Node_IndexStmt:
		return pc.ownRangeVar(ctx, n.IndexStmt.Relation)
	case *pg_query.Node_AlterTableStmt:
		return pc.ownRangeVar(ctx, n.AlterTableStmt.Relation)
	case *pg_query.Node_RenameStmt:
		st := n.RenameStmt
		if st.RenameType == pg_query.ObjectType_OBJECT_SCHEMA {
			return pc.mustOwnSchema(st.Subname)
		}
		return pc.ownRangeVar(ctx, st.Relation)
	case *pg_query.Node_AlterObjectSchemaStmt:
		return pc.ownRangeVar(ctx, n.AlterObjectSchemaStmt.Relation)
	case *pg_query.Node_DropStmt:
		for _, obj := range n.DropStmt.Objects {
			names := listNames(obj)
			if n.DropStmt.RemoveType == pg_query.ObjectType_OBJECT_SCHEMA {
				if s := obj.GetString_(); s != nil {
					names = []string{s.Sval}
				}
				if len(names) > 0 {
					if err := pc.mustOwnSchema(names[len(names)-1]); err != nil {
						return err
					}
				}
				continue
			}
			if len(names) == 0 {
				continue
			}
			rv := rangeVarOf(names)
			if err := pc.ownRangeVar(ctx, rv); err != nil {
				return err
			}
		}
		return nil
	case *pg_query.Node_CommentStmt:
		if l := n.CommentStmt.Object.GetList(); l != nil {
			names := listNames(n.CommentStmt.Object)
			switch n.CommentStmt.Objtype {
			case pg_query.ObjectType_OBJECT_COLUMN:
				names = names[:max(len(names)-1, 0)]
			case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW:
			default:
				return nil
			}
			if len(names) > 0 {
				rv := rangeVarOf(names)
				return pc.ownRangeVar(ctx, rv)
			}
		}
		return nil
	case *pg_query.Node_VacuumStmt:
		for _, r := range n.VacuumStmt.Rels {
			if vr := r.GetVacuumRelation(); vr != nil && vr.Relation != nil {
				if err := pc.ownRangeVar(ctx, vr.Relation); err != nil {
					return err
				}
			}
		}
		return nil
	case *pg_query.Node_ExecuteStmt:
		// EXECUTE runs a PREPARE'd query: checked for the role running it.
		prep, ok := pc.s.sqlPrepared[n.ExecuteStmt.Name]
		if !ok {
			return nil
		}
		if prep.role != pc.role {
			// Its plan (masking) was made for another role.
			return pgerror.New(pgerror.InsufficientPrivilege, `prepared statement "%s" was prepared as role "%s"`, n.ExecuteStmt.Name, prep.role).
				WithHint("PREPARE it again as role \"%s\".", pc.role)
		}
		return pc.stmt(ctx, prep.query, sc, nil)
	case *pg_query.Node_CheckPointStmt:
		return pgerror.New(pgerror.InsufficientPrivilege, "must be superuser or have privileges of pg_checkpoint to do CHECKPOINT")
	case *pg_query.Node_GrantStmt, *pg_query.Node_GrantRoleStmt, *pg_query.Node_TransactionStmt,
		*pg_query.Node_VariableSetStmt, *pg_query.Node_VariableShowStmt, *pg_query.Node_FetchStmt,
		*pg_query.Node_ClosePortalStmt, *pg_query.Node_DeallocateStmt, *pg_query.Node_DiscardStmt,
		*pg_query.Node_CreateRoleStmt, *pg_query.Node_AlterRoleStmt, *pg_query.Node_DropRoleStmt,
		*pg_query.Node_LoadStmt:
		return nil
	}
	// Anything else that names a relation (LOCK, ALTER ... OWNER...) is
	// its owner's.
	for _, rv := range sql.RangeVars(node) {
		if err := pc.ownRangeVar(ctx, rv); err != nil {
			return err
		}
	}
	return nil
}

func listNode(items []*pg_query.Node) *pg_query.Node {
	if len(items) == 0 {
		return nil
	}
	return &pg_query.Node{Node: &pg_query.Node_List{List: &pg_query.List{Items: items}}}
}

func (pc *privCheck) with(ctx context.Context, wc *pg_query.WithClause, sc *scope) error {
	if wc == nil {
		return nil
	}
	if sc.ctes == nil {
		sc.ctes = map[string]bool{}
	}
	for _, c := range wc.Ctes {
		if cte := c.GetCommonTableExpr(); cte != nil {
			sc.ctes[cte.Ctename] = true
		}
	}
	for _, c := range wc.Ctes {
		if cte := c.GetCommonTableExpr(); cte != nil {
			if err := pc.stmt(ctx, cte.Ctequery, sc, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (pc *privCheck) selectStmt(ctx context.Context, sel *pg_query.SelectStmt, parent *scope) error {
	if sel == nil {
		return nil
	}
	sc := &scope{parent: parent}
	if err := pc.with(ctx, sel.WithClause, sc); err != nil {
		return err
	}
	if sel.Op != pg_query.SetOperation_SETOP_NONE {
		if err := pc.selectStmt(ctx, sel.Larg, sc); err != nil {
			return err
		}
		return pc.selectStmt(ctx, sel.Rarg, sc)
	}
	if sel.IntoClause != nil && sel.IntoClause.Rel != nil {
		if err := pc.mayCreateIn(sel.IntoClause.Rel); err != nil {
			return err
		}
	}
	var deferred []*pg_query.Node
	for _, f := range sel.FromClause {
		if err := pc.fromItemDeferred(ctx, f, sc, &deferred); err != nil {
			return err
		}
	}
	nodes := append(deferred, listNode(sel.TargetList), sel.WhereClause, listNode(sel.GroupClause), sel.HavingClause,
		listNode(sel.WindowClause), listNode(sel.SortClause), sel.LimitCount, sel.LimitOffset, listNode(sel.DistinctClause))
	for _, v := range sel.ValuesLists {
		nodes = append(nodes, v)
	}
	return pc.exprs(ctx, sc, nodes...)
}

func (pc *privCheck) fromItem(ctx context.Context, n *pg_query.Node, sc *scope) error {
	var deferred []*pg_query.Node
	if err := pc.fromItemDeferred(ctx, n, sc, &deferred); err != nil {
		return err
	}
	return pc.exprs(ctx, sc, deferred...)
}

// fromItemDeferred adds a FROM item to sc; its join conditions are left
// in deferred, to be checked once every item is in scope.
func (pc *privCheck) fromItemDeferred(ctx context.Context, n *pg_query.Node, sc *scope, deferred *[]*pg_query.Node) error {
	switch f := n.Node.(type) {
	case *pg_query.Node_RangeVar:
		rv := f.RangeVar
		if rv.Schemaname == "" && rv.Catalogname == "" && sc.isCTE(rv.Relname) {
			sc.items = append(sc.items, scopeItem{alias: aliasOf(rv)})
			return nil
		}
		rel, err := pc.resolve(ctx, rv)
		if err != nil {
			return err
		}
		if rel != nil {
			pc.need(rel, "SELECT", "")
		}
		pc.addItem(sc, rv, rel)
	case *pg_query.Node_RangeSubselect:
		if err := pc.stmt(ctx, f.RangeSubselect.Subquery, sc, nil); err != nil {
			return err
		}
		alias := ""
		if f.RangeSubselect.Alias != nil {
			alias = f.RangeSubselect.Alias.Aliasname
		}
		sc.items = append(sc.items, scopeItem{alias: alias})
	case *pg_query.Node_JoinExpr:
		j := f.JoinExpr
		if err := pc.fromItemDeferred(ctx, j.Larg, sc, deferred); err != nil {
			return err
		}
		if err := pc.fromItemDeferred(ctx, j.Rarg, sc, deferred); err != nil {
			return err
		}
		if j.Quals != nil {
			*deferred = append(*deferred, j.Quals)
		}
		for _, u := range j.UsingClause {
			// USING (c) reads c of both sides, as an unqualified name.
			name := u.GetString_().GetSval()
			*deferred = append(*deferred, &pg_query.Node{Node: &pg_query.Node_ColumnRef{ColumnRef: &pg_query.ColumnRef{
				Fields: []*pg_query.Node{{Node: &pg_query.Node_String_{String_: &pg_query.String{Sval: name}}}}}}})
		}
		if j.Alias != nil {
			sc.items = append(sc.items, scopeItem{alias: j.Alias.Aliasname})
		}
	case *pg_query.Node_RangeFunction:
		if err := pc.featureFunctions(ctx, f.RangeFunction); err != nil {
			return err
		}
		*deferred = append(*deferred, listNode(f.RangeFunction.Functions))
		alias := ""
		if f.RangeFunction.Alias != nil {
			alias = f.RangeFunction.Alias.Aliasname
		}
		sc.items = append(sc.items, scopeItem{alias: alias})
	case *pg_query.Node_RangeTableSample:
		return pc.fromItemDeferred(ctx, f.RangeTableSample.Relation, sc, deferred)
	default:
		*deferred = append(*deferred, n)
	}
	return nil
}

func aliasOf(rv *pg_query.RangeVar) string {
	if rv.Alias != nil && rv.Alias.Aliasname != "" {
		return rv.Alias.Aliasname
	}
	return rv.Relname
}

func (pc *privCheck) addItem(sc *scope, rv *pg_query.RangeVar, rel *relation) {
	sc.items = append(sc.items, scopeItem{alias: aliasOf(rv), rel: rel})
}

// exprs checks expressions: their column references in sc and their
// subqueries.
func (pc *privCheck) exprs(ctx context.Context, sc *scope, nodes ...*pg_query.Node) error {
	var err error
	for _, n := range nodes {
		if n == nil {
			continue
		}
		sql.Walk(n, func(m proto.Message) bool {
			if err != nil {
				return false
			}
			switch x := m.(type) {
			case *pg_query.SelectStmt:
				err = pc.selectStmt(ctx, x, sc)
				return false
			case *pg_query.InsertStmt:
				err = pc.insertStmt(ctx, x, sc)
				return false
			case *pg_query.UpdateStmt:
				err = pc.updateStmt(ctx, x, sc)
				return false
			case *pg_query.DeleteStmt:
				err = pc.stmt(ctx, &pg_query.Node{Node: &pg_query.Node_DeleteStmt{DeleteStmt: x}}, sc, nil)
				return false
			case *pg_query.ColumnRef:
				err = pc.columnRef(ctx, x, sc)
				return false
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// columnRef records the columns a reference reads.
func (pc *privCheck) columnRef(ctx context.Context, cr *pg_query.ColumnRef, sc *scope) error {
	qual, col, star := columnRefParts(cr) // rewrite.go
	if star && qual == "" {
		if sc != nil {
			for _, it := range sc.items {
				if it.rel != nil {
					pc.need(it.rel, "SELECT", "*")
				}
			}
		}
		return nil
	}
	if star {
		col = "*"
	}
	if qual != "" {
		for x := sc; x != nil; x = x.parent {
			for _, it := range x.items {
				if it.alias == qual {
					if it.rel != nil {
						pc.need(it.rel, "SELECT", col)
					}
					return nil
				}
			}
		}
		return nil
	}
	if col == "" {
		return nil
	}
	// Unqualified: the innermost level whose relations have the column;
	// a level with subqueries or functions (columns unknown here) does
	// not stop the search, so a name may count against an outer
	// relation too: it may refuse what PostgreSQL allows, never the
	// reverse.
	for x := sc; x != nil; x = x.parent {
		found, unknown := false, false
		for _, it := range x.items {
			if it.rel == nil {
				unknown = true
				continue
			}
			cols, err := pc.columns(ctx, it.rel)
			if err != nil {
				return err
			}
			if contains(cols, col) {
				pc.need(it.rel, "SELECT", col)
				found = true
			}
		}
		if found && !unknown {
			return nil
		}
	}
	return nil
}

// dmlTarget opens an INSERT, UPDATE or DELETE's scope (its WITH
// clause) and resolves the relation it writes.
func (pc *privCheck) dmlTarget(ctx context.Context, with *pg_query.WithClause, rv *pg_query.RangeVar, sc *scope) (*scope, *relation, error) {
	inner := &scope{parent: sc}
	if err := pc.with(ctx, with, inner); err != nil {
		return nil, nil, err
	}
	rel, err := pc.resolve(ctx, rv)
	return inner, rel, err
}

func (pc *privCheck) insertStmt(ctx context.Context, st *pg_query.InsertStmt, sc *scope) error {
	inner, rel, err := pc.dmlTarget(ctx, st.WithClause, st.Relation, sc)
	if err != nil {
		return err
	}
	if rel != nil {
		if len(st.Cols) == 0 {
			pc.need(rel, "INSERT", "*")
		}
		for _, c := range st.Cols {
			if rt := c.GetResTarget(); rt != nil {
				pc.need(rel, "INSERT", rt.Name)
			}
		}
		if oc := st.OnConflictClause; oc != nil && oc.Action == pg_query.OnConflictAction_ONCONFLICT_UPDATE {
			for _, t := range oc.TargetList {
				if rt := t.GetResTarget(); rt != nil {
					pc.need(rel, "UPDATE", rt.Name)
				}
			}
		}
	}
	if err := pc.stmt(ctx, st.SelectStmt, inner, nil); err != nil {
		return err
	}
	tsc := &scope{parent: inner}
	if rel != nil {
		pc.addItem(tsc, st.Relation, rel)
	}
	var on []*pg_query.Node
	if oc := st.OnConflictClause; oc != nil {
		on = append(on, listNode(oc.TargetList), oc.WhereClause)
	}
	return pc.exprs(ctx, tsc, append(on, listNode(st.ReturningList))...)
}

func (pc *privCheck) updateStmt(ctx context.Context, st *pg_query.UpdateStmt, sc *scope) error {
	inner, rel, err := pc.dmlTarget(ctx, st.WithClause, st.Relation, sc)
	if err != nil {
		return err
	}
	if rel != nil {
		for _, t := range st.TargetList {
			if rt := t.GetResTarget(); rt != nil {
				pc.need(rel, "UPDATE", rt.Name)
			}
		}
		pc.addItem(inner, st.Relation, rel)
	}
	var deferred []*pg_query.Node
	for _, f := range st.FromClause {
		if err := pc.fromItemDeferred(ctx, f, inner, &deferred); err != nil {
			return err
		}
	}
	var vals []*pg_query.Node
	for _, t := range st.TargetList {
		if rt := t.GetResTarget(); rt != nil {
			vals = append(vals, rt.Val)
		}
	}
	return pc.exprs(ctx, inner, append(append(deferred, vals...), st.WhereClause, listNode(st.ReturningList))...)
}

func (pc *privCheck) need(rel *relation, priv, col string) {
	k := rel.schema + "." + rel.name
	if _, ok := pc.rels[k]; !ok {
		pc.rels[k] = rel
		pc.order = append(pc.order, k)
	}
	m := pc.needs[k]
	if m == nil {
		m = map[string]map[string]bool{}
		pc.needs[k] = m
	}
	if m[priv] == nil {
		m[priv] = map[string]bool{}
	}
	if col != "" {
		m[priv][col] = true
	}
}

// resolve finds the relation a RangeVar names (nil: not one privileges
// apply to, or none: DuckDB reports a missing one).
func (pc *privCheck) resolve(ctx context.Context, rv *pg_query.RangeVar) (*relation, error) {
	if rv == nil {
		return nil, nil
	}
	if rv.Catalogname != "" && rv.Catalogname != duckdb.DatabaseName {
		return nil, nil // temp, system and the pg_catalog emulation
	}
	switch rv.Schemaname {
	case "pg_catalog", "information_schema", "feature_store":
		return nil, nil
	case duckdb.InternalSchema:
		return nil, pgerror.New(pgerror.InsufficientPrivilege, "permission denied for schema %s", rv.Schemaname).
			WithDetail("Schema %s holds featurehouse's storage; read feature groups by name.", rv.Schemaname)
	}
	qn := sql.QualifiedName{Schema: rv.Schemaname, Name: rv.Relname}
	if g := pc.s.lookupGroup(qn); g != nil {
		return &relation{kind: relGroup, schema: g.Schema, name: g.Name, owner: g.Owner, group: g, loc: rv.Location}, nil
	}
	if v := pc.s.lookupFeatureView(qn); v != nil {
		return &relation{kind: relFeatureView, schema: v.Schema, name: v.Name, owner: v.Owner, view: v, loc: rv.Location}, nil
	}
	if rv.Schemaname == "" && pgRelations[rv.Relname] {
		return nil, nil
	}
	d, err := pc.duckRelation(ctx, rv.Schemaname, rv.Relname)
	if err != nil || d == nil || d.temp {
		return nil, err
	}
	rel := &relation{kind: relTable, schema: d.schema, name: d.name, owner: pc.s.p.catalog.BootstrapRole(), loc: rv.Location}
	if d.view {
		rel.kind = relView
	}
	if o, ok := pc.s.p.catalog.RecordedOwner(catalog.ObjRelation, d.schema, d.name); ok {
		rel.owner, rel.definition = o.Owner, o.Definition
	}
	return rel, nil
}

// duckRelation finds an ordinary table or view on search_path (temp
// first, as DuckDB looks).
func (pc *privCheck) duckRelation(ctx context.Context, schema, name string) (*duckRel, error) {
	if err := pc.loadDuck(ctx); err != nil {
		return nil, err
	}
	find := func(sc string, temp bool) *duckRel {
		for i := range pc.duck {
			d := &pc.duck[i]
			if d.name == name && d.temp == temp && (temp || d.schema == sc) {
				return d
			}
		}
		return nil
	}
	if schema != "" {
		return find(schema, false), nil
	}
	if d := find("", true); d != nil {
		return d, nil
	}
	for _, sc := range pc.s.searchPath() {
		if d := find(sc, false); d != nil {
			return d, nil
		}
	}
	return nil, nil
}

// loadDuck lists DuckDB's ordinary tables and views once per check.
func (pc *privCheck) loadDuck(ctx context.Context) error {
	if pc.ducked {
		return nil
	}
	rows, err := pc.s.conn.QueryAll(ctx, `SELECT schema_name, table_name, false, temporary FROM duckdb_tables() WHERE database_name IN ('featurehouse', 'temp')
		UNION ALL SELECT schema_name, view_name, true, temporary FROM duckdb_views() WHERE NOT internal AND database_name IN ('featurehouse', 'temp')`)
	if err != nil {
		return err
	}
	for _, r := range rows {
		pc.duck = append(pc.duck, duckRel{schema: r[0].(string), name: r[1].(string), view: r[2].(bool), temp: r[3].(bool)})
	}
	pc.ducked = true
	return nil
}

// columns lists a relation's columns.
func (pc *privCheck) columns(ctx context.Context, rel *relation) ([]string, error) {
	if rel.colsLoaded {
		return rel.cols, nil
	}
	rel.colsLoaded = true
	switch rel.kind {
	case relGroup:
		for _, f := range rel.group.Features {
			if f.Status != catalog.Retired {
				rel.cols = append(rel.cols, f.Name)
			}
		}
		return rel.cols, nil
	case relFeatureView:
		rel.cols = rel.view.Columns
		return rel.cols, nil
	}
	rows, err := pc.s.conn.QueryAll(ctx, `SELECT column_name FROM duckdb_columns() WHERE database_name = 'featurehouse' AND schema_name = ? AND table_name = ? ORDER BY column_index`,
		rel.schema, rel.name)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		rel.cols = append(rel.cols, r[0].(string))
	}
	return rel.cols, nil
}

// finish evaluates what was collected: schema usage, privileges on
// relations or on each column, then views with their owners' rights.
func (pc *privCheck) finish(ctx context.Context) error {
	for _, k := range pc.order {
		rel := pc.rels[k]
		if err := pc.mayUseSchema(rel.schema); err != nil {
			if e, ok := err.(*pgerror.Error); ok && rel.loc >= 0 {
				if p := pc.position(rel.loc); p > 0 {
					e.Position = p
				}
			}
			return err
		}
		for _, priv := range []string{"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"} {
			cols, ok := pc.needs[k][priv]
			if !ok {
				continue
			}
			if err := pc.check(ctx, rel, priv, cols); err != nil {
				return err
			}
		}
		if cols, reads := pc.needs[k]["SELECT"]; reads && (pc.forView || pc.depth > 0) && rel.kind == relGroup {
			if err := pc.viewUnmasks(ctx, rel, cols); err != nil {
				return err
			}
		}
		if _, reads := pc.needs[k]["SELECT"]; reads && pc.depth < 8 {
			if err := pc.viewOwnerRights(ctx, rel); err != nil {
				return err
			}
		}
	}
	return nil
}

func denied(rel *relation) error {
	return pgerror.New(pgerror.InsufficientPrivilege, "permission denied for %s %s", rel.what(), rel.display())
}

// check: priv on the relation, or on every column in cols (none: any).
func (pc *privCheck) check(ctx context.Context, rel *relation, priv string, cols map[string]bool) error {
	if pc.relPriv(rel, priv, "") {
		return nil
	}
	if priv == "DELETE" || priv == "TRUNCATE" || !pc.anyColumnPriv(rel, priv) {
		return denied(rel)
	}
	for col := range cols {
		if col == "*" {
			all, err := pc.columns(ctx, rel)
			if err != nil {
				return err
			}
			for _, c := range all {
				if !pc.relPriv(rel, priv, c) {
					return denied(rel)
				}
			}
			continue
		}
		if !pc.relPriv(rel, priv, col) {
			return denied(rel)
		}
	}
	return nil
}

// holds reports whether role has the rights of grantee (PUBLIC: anyone).
func (pc *privCheck) holds(grantee string) bool {
	return grantee == catalog.Public || pc.s.p.catalog.IsMemberOf(pc.role, grantee, true)
}

// relPriv: role has priv on rel (column "" : on the whole relation).
func (pc *privCheck) relPriv(rel *relation, priv, column string) bool {
	if pc.s.roleIsSuper(pc.role) || rel.owner != "" && pc.holds(rel.owner) {
		return true
	}
	for _, g := range pc.s.p.catalog.Grants(catalog.ObjRelation, rel.schema, rel.name) {
		if g.Privilege == priv && (g.Column == "" || g.Column == column) && pc.holds(g.Grantee) {
			return true
		}
	}
	return false
}

func (pc *privCheck) anyColumnPriv(rel *relation, priv string) bool {
	for _, g := range pc.s.p.catalog.Grants(catalog.ObjRelation, rel.schema, rel.name) {
		if g.Privilege == priv && pc.holds(g.Grantee) {
			return true
		}
	}
	return false
}

// hasObjPriv: priv on a schema or the database, whose owner is owner.
func (pc *privCheck) hasObjPriv(typ, schema, name, owner, priv string) bool {
	if pc.s.roleIsSuper(pc.role) || owner != "" && pc.holds(owner) {
		return true
	}
	for _, g := range pc.s.p.catalog.Grants(typ, schema, name) {
		if g.Privilege == priv && pc.holds(g.Grantee) {
			return true
		}
	}
	return false
}

// schemaOwner is a schema's recorded owner, else the bootstrap superuser.
func (s *Session) schemaOwner(schema string) string {
	if o, ok := s.p.catalog.RecordedOwner(catalog.ObjSchema, schema, ""); ok {
		return o.Owner
	}
	return s.p.catalog.BootstrapRole()
}

// publicSchemaDefault: PUBLIC may use schema public (PostgreSQL 15 gives
// USAGE, not CREATE) and featurehouse's catalog schemas.
func publicSchemaDefault(schema, priv string) bool {
	switch schema {
	case "public":
		return priv == "USAGE"
	case "feature_store", "pg_catalog", "information_schema":
		return priv == "USAGE"
	}
	return false
}

func (pc *privCheck) mayUseSchema(schema string) error {
	if publicSchemaDefault(schema, "USAGE") || pc.hasObjPriv(catalog.ObjSchema, schema, "", pc.s.schemaOwner(schema), "USAGE") {
		return nil
	}
	return pgerror.New(pgerror.InsufficientPrivilege, "permission denied for schema %s", schema)
}

// mayCreateIn: CREATE on the schema a new relation goes to.
func (pc *privCheck) mayCreateIn(rv *pg_query.RangeVar) error {
	if rv == nil || rv.Relpersistence == "t" || rv.Catalogname == "temp" || rv.Schemaname == "pg_temp" {
		return nil // temporary objects: PUBLIC has TEMPORARY
	}
	err := pc.s.mayCreateInSchema(pc.role, pc.schemaFor(rv.Schemaname))
	if e, ok := err.(*pgerror.Error); ok {
		if p := pc.position(rv.Location); p > 0 {
			e.Position = p
		}
	}
	return err
}

func (pc *privCheck) schemaFor(schema string) string {
	if schema != "" {
		return schema
	}
	if sp := pc.s.searchPath(); len(sp) > 0 {
		return sp[0]
	}
	return "public"
}

// mayCreateInSchema: role may create objects in schema.
func (s *Session) mayCreateInSchema(role, schema string) error {
	if s.roleIsSuper(role) {
		return nil
	}
	if schema == "feature_store" || schema == duckdb.InternalSchema {
		return pgerror.New(pgerror.InsufficientPrivilege, "permission denied for schema %s", schema)
	}
	pc := s.newPrivCheck(role, 0)
	if publicSchemaDefault(schema, "CREATE") || pc.hasObjPriv(catalog.ObjSchema, schema, "", s.schemaOwner(schema), "CREATE") {
		return nil
	}
	return pgerror.New(pgerror.InsufficientPrivilege, "permission denied for schema %s", schema)
}

func (pc *privCheck) mustOwn(rel *relation) error {
	if pc.s.roleIsSuper(pc.role) || rel.owner != "" && pc.s.p.catalog.IsMemberOf(pc.role, rel.owner, true) {
		return nil
	}
	kind := rel.what()
	return pgerror.New(pgerror.InsufficientPrivilege, "must be owner of %s %s", kind, rel.display())
}

func (pc *privCheck) mustOwnSchema(schema string) error {
	if pc.s.roleIsSuper(pc.role) || pc.s.p.catalog.IsMemberOf(pc.role, pc.s.schemaOwner(schema), true) {
		return nil
	}
	return pgerror.New(pgerror.InsufficientPrivilege, "must be owner of schema %s", schema)
}

func (pc *privCheck) ownRangeVar(ctx context.Context, rv *pg_query.RangeVar) error {
	rel, err := pc.resolve(ctx, rv)
	if err != nil || rel == nil {
		return err
	}
	return pc.mustOwn(rel)
}

// viewOwnerRights checks a view's definition as its owner, as PostgreSQL
// runs views.
func (pc *privCheck) viewOwnerRights(ctx context.Context, rel *relation) error {
	var text string
	switch rel.kind {
	case relFeatureView:
		text = rel.view.Definition
	case relView:
		text = rel.definition
	default:
		return nil
	}
	if text == "" || rel.owner == "" || pc.s.roleIsSuper(rel.owner) {
		return nil
	}
	parsed, err := sql.ParseOne(text)
	if err != nil {
		return nil // the definition was checked when it was made
	}
	q, ok := parsed.(*sql.Query)
	if !ok || q.Tree == nil || len(q.Tree.Stmts) == 0 {
		return nil
	}
	if vs := q.Tree.Stmts[0].Stmt.GetViewStmt(); vs != nil {
		q = &sql.Query{Tree: &pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: vs.Query}}}, AsOf: q.AsOf}
	}
	inner := pc.s.newPrivCheck(rel.owner, pc.depth+1)
	inner.forView = true
	if err := inner.query(ctx, q); err != nil {
		return err
	}
	return inner.finish(ctx)
}

// viewUnmasks: a view's owner must be able to unmask the masked features
// the view reads (every column when it reads them all, or when the
// columns it reads are not known).
func (pc *privCheck) viewUnmasks(ctx context.Context, rel *relation, cols map[string]bool) error {
	g := rel.group
	if pc.s.roleIsSuper(pc.role) || g.Owner != "" && pc.s.p.catalog.IsMemberOf(pc.role, g.Owner, true) {
		return nil
	}
	for _, f := range g.Features {
		if f.Mask == "" || f.Status == catalog.Retired {
			continue
		}
		if len(cols) > 0 && !cols["*"] && !cols[f.Name] {
			continue
		}
		if !pc.s.mayUnmask(pc.role, g, f.Name) {
			return pgerror.New(pgerror.InsufficientPrivilege, `permission denied to read masked feature "%s.%s" in a view`, g.Name, f.Name).
				WithDetail("A view runs with its owner's rights; role \"%s\" reads \"%s\" masked.", pc.role, f.Name).
				WithHint("GRANT UNMASK (%s) ON %s TO %s, or leave the feature out of the view.", f.Name, g.Name, pc.role)
		}
	}
	return nil
}

// featureFunctions: feature_usage('g.f') tells who read a feature, from
// the audit log: it needs SELECT on the feature.
func (pc *privCheck) featureFunctions(ctx context.Context, rf *pg_query.RangeFunction) error {
	for _, fn := range rf.Functions {
		items := fn.GetList().GetItems()
		if len(items) == 0 {
			continue
		}
		fc := items[0].GetFuncCall()
		if fc == nil || len(fc.Args) != 1 {
			continue
		}
		names := funcNames(fc)
		if len(names) == 0 || names[len(names)-1] != "feature_usage" {
			continue
		}
		c := fc.Args[0].GetAConst()
		if c == nil || c.GetSval() == nil {
			continue
		}
		parts := strings.Split(c.GetSval().Sval, ".")
		if len(parts) < 2 {
			continue
		}
		rv := &pg_query.RangeVar{Relname: parts[len(parts)-2], Location: -1}
		if len(parts) > 2 {
			rv.Schemaname = parts[len(parts)-3]
		}
		rel, err := pc.resolve(ctx, rv)
		if err != nil {
			return err
		}
		if rel != nil {
			pc.need(rel, "SELECT", parts[len(parts)-1])
		}
	}
	return nil
}
