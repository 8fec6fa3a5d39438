package planner

import (
	"context"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// A feature view's definition is analysed into a model: its sources, how
// they join on the entity key, its output columns and aggregates, with byte
// spans into the definition's text so that the SQL that evaluates it
// (featureview_sql.go) splices the user's own expressions. The same
// analysis checks a definition at CREATE and reads the stored one at every
// use, so what was accepted is what runs.

// fvSource is one relation a feature view reads.
type fvSource struct {
	alias    string // the name the definition uses for it
	qname    string // "schema.name"
	group    *catalog.Group
	view     *catalog.View
	model    *fvModel // of view, analysed when the source is a view
	keys     []string // entity key columns, in key order
	keyPos   []int    // the view key position each of keys holds
	cols     []string // visible columns, in order
	join     pg_query.JoinType
	using    []string // USING names of the join that adds it (nil: ON)
	hasAlias bool
	// nameStart and nameEnd span the relation name in the text.
	nameStart, nameEnd int
	timeType           string // DuckDB type of the event time
}

func (src *fvSource) hasCol(c string) bool { return slices.Contains(src.cols, c) }
func (src *fvSource) keyIndex(c string) int {
	return slices.Index(src.keys, c)
}

// fvTarget is one output column.
type fvTarget struct {
	name       string
	node       *pg_query.Node
	start, end int     // the expression, in the text
	aggs       []fvAgg // aggregate calls in it, in text order
	keyPos     int     // key position when it is a bare entity key reference, else -1
	star       bool    // `*` or `alias.*` (creation only: expanded away)
	starAlias  string
}

// fvAgg is one aggregate call of an aggregating view.
type fvAgg struct {
	fn               string // sum | count | avg | min | max
	star, distinct   bool
	start, end       int // the whole call
	argStart, argEnd int // its argument
}

// fvModel is an analysed definition.
type fvModel struct {
	s           *Session
	text        string
	offset      int // added to positions in errors; -1: no positions (stored definition)
	sel         *pg_query.SelectStmt
	toks        *fvToks
	sources     []*fvSource
	merged      map[string]fvMerged // USING-merged names
	targets     []fvTarget
	whereStart  int // -1 without WHERE
	whereEnd    int
	fromStart   int // the FROM keyword
	listStart   int // the first select-list item
	aggregating bool
	keyOut      []string // output column of each key position
	timeType    string
	depth       int
	windowUS    int64                // the window option, 0 for all history
	funcs       map[string][2]string // creation: DuckDB function type and stability by name
}

type fvMerged struct {
	pos   int // key position
	after int // visible from this source index on
}

const fvMaxDepth = 16

var fvAggregates = []string{"sum", "count", "avg", "min", "max"}

// errAt positions e at byte loc of the text (for a definition being created).
func (m *fvModel) errAt(e *pgerror.Error, loc int32) *pgerror.Error {
	if m.offset >= 0 && loc >= 0 && int(loc) <= len(m.text) {
		e.Position = len([]rune(m.text[:loc])) + 1 + m.offset
	}
	return e
}

func fvUnsupported(what string) *pgerror.Error {
	return pgerror.New(pgerror.FeatureNotSupported, "%s is not supported in a feature view", what)
}

// analyzeView analyses a definition. Creating, relations are found along
// search_path and functions are checked in DuckDB; a stored definition
// names its sources by schema. offset places error positions in the
// statement (-1: none).
func (s *Session) analyzeView(ctx context.Context, text string, offset, depth int, creating bool) (*fvModel, error) {
	if depth > fvMaxDepth {
		return nil, pgerror.New(pgerror.ProgramLimitExceeded, "feature views nested more than %d deep", fvMaxDepth)
	}
	tree, err := pg_query.Parse(text)
	if err != nil {
		return nil, pgerror.Wrap(err)
	}
	if len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetSelectStmt() == nil {
		return nil, pgerror.New(pgerror.SyntaxError, "a feature view is defined by one SELECT")
	}
	toks, err := scanView(text)
	if err != nil {
		return nil, err
	}
	m := &fvModel{s: s, text: text, offset: offset, sel: tree.Stmts[0].Stmt.GetSelectStmt(), toks: toks,
		merged: map[string]fvMerged{}, whereStart: -1, depth: depth}
	if creating {
		m.funcs = map[string][2]string{}
	}
	if err := m.checkShape(); err != nil {
		return nil, err
	}
	if err := m.readFrom(ctx, creating); err != nil {
		return nil, err
	}
	if err := m.readClauses(); err != nil {
		return nil, err
	}
	m.findAggregates()
	if err := m.readGroupBy(); err != nil {
		return nil, err
	}
	if err := m.readTargets(ctx); err != nil {
		return nil, err
	}
	if m.sel.WhereClause != nil {
		if err := m.checkExpr(ctx, m.sel.WhereClause, "WHERE"); err != nil {
			return nil, err
		}
	}
	if err := m.readKeys(); err != nil {
		return nil, err
	}
	return m, nil
}

// checkShape refuses the parts of SELECT whose meaning at a time is not
// one row per entity.
func (m *fvModel) checkShape() error {
	sel := m.sel
	switch {
	case sel.Op != pg_query.SetOperation_SETOP_NONE:
		return fvUnsupported(strings.TrimPrefix(sel.Op.String(), "SETOP_"))
	case sel.WithClause != nil:
		return fvUnsupported("WITH").WithHint("Define the common part as a feature view of its own and read it.")
	case len(sel.ValuesLists) > 0:
		return fvUnsupported("VALUES")
	case sel.IntoClause != nil:
		return fvUnsupported("SELECT INTO")
	case len(sel.DistinctClause) > 0:
		return fvUnsupported("DISTINCT").WithHint("A feature view has one row per entity; aggregate with GROUP BY the entity key instead.")
	case len(sel.SortClause) > 0:
		return fvUnsupported("ORDER BY").WithHint("Order the rows where the view is read.")
	case sel.LimitCount != nil || sel.LimitOffset != nil:
		return fvUnsupported("LIMIT and OFFSET")
	case len(sel.LockingClause) > 0:
		return fvUnsupported("FOR UPDATE")
	case len(sel.WindowClause) > 0:
		return fvUnsupported("WINDOW").WithHint("Use the window option: WITH (window = '30 days').")
	case sel.HavingClause != nil:
		return fvUnsupported("HAVING").WithHint("Filter on the aggregates where the view is read.")
	case len(sel.FromClause) == 0:
		return pgerror.New(pgerror.InvalidObjectDefinition, "a feature view must read feature groups or feature views in FROM")
	case len(sel.FromClause) > 1:
		return m.errAt(pgerror.New(pgerror.FeatureNotSupported, "the sources of a feature view must be joined with JOIN, not listed with commas").
			WithHint("Write FROM a JOIN b USING (key)."), fvLocation(sel.FromClause[1]))
	}
	return nil
}

func fvLocation(n *pg_query.Node) int32 {
	switch x := n.GetNode().(type) {
	case *pg_query.Node_RangeVar:
		return x.RangeVar.Location
	case *pg_query.Node_ColumnRef:
		return x.ColumnRef.Location
	case *pg_query.Node_FuncCall:
		return x.FuncCall.Location
	}
	return -1
}

// readFrom reads the sources and how they join: S0, then left-deep
// [INNER | LEFT] JOIN Si on the whole entity key.
func (m *fvModel) readFrom(ctx context.Context, creating bool) error {
	var chain []*pg_query.JoinExpr
	n := m.sel.FromClause[0]
	for {
		j := n.GetJoinExpr()
		if j == nil {
			break
		}
		chain = append([]*pg_query.JoinExpr{j}, chain...)
		n = j.Larg
	}
	first, err := m.source(ctx, n, creating)
	if err != nil {
		return err
	}
	first.keyPos = make([]int, len(first.keys))
	for i := range first.keyPos {
		first.keyPos[i] = i
	}
	m.sources = []*fvSource{first}
	m.timeType = first.timeType
	for _, j := range chain {
		switch {
		case j.Alias != nil:
			return fvUnsupported("an alias for a join")
		case j.IsNatural:
			return fvUnsupported("NATURAL JOIN").WithHint("Write JOIN ... USING (key).")
		case j.Jointype != pg_query.JoinType_JOIN_INNER && j.Jointype != pg_query.JoinType_JOIN_LEFT:
			return fvUnsupported(strings.TrimPrefix(j.Jointype.String(), "JOIN_") + " JOIN").
				WithHint("A feature view joins its first source with INNER or LEFT joins on the entity key.")
		case j.Quals == nil && len(j.UsingClause) == 0:
			return fvUnsupported("CROSS JOIN").WithHint("Join on the entity key: JOIN ... USING (key).")
		case j.JoinUsingAlias != nil:
			return fvUnsupported("USING ... AS alias")
		}
		src, err := m.source(ctx, j.Rarg, creating)
		if err != nil {
			return err
		}
		src.join = j.Jointype
		for _, o := range m.sources {
			if o.alias == src.alias {
				return m.errAt(pgerror.New("42712", `table name "%s" specified more than once`, src.alias), int32(src.nameStart))
			}
		}
		if src.timeType != m.timeType {
			return pgerror.New(pgerror.FeatureNotSupported, `the sources of a feature view must have event times of one type: "%s" has %s, "%s" has %s`,
				m.sources[0].alias, strings.ToLower(m.timeType), src.alias, strings.ToLower(src.timeType))
		}
		if len(src.keys) != len(first.keys) {
			return m.keyJoinError(src)
		}
		m.sources = append(m.sources, src)
		i := len(m.sources) - 1
		src.keyPos = make([]int, len(src.keys))
		for k := range src.keyPos {
			src.keyPos[k] = -1
		}
		if len(j.UsingClause) > 0 {
			err = m.readUsing(i, j)
		} else {
			err = m.readOn(i, j.Quals)
		}
		if err != nil {
			return err
		}
		seen := map[int]bool{}
		for _, p := range src.keyPos {
			if p < 0 || seen[p] {
				return m.keyJoinError(src)
			}
			seen[p] = true
		}
	}
	return nil
}

func (m *fvModel) keyJoinError(src *fvSource) *pgerror.Error {
	return m.errAt(pgerror.New(pgerror.FeatureNotSupported, `a feature view must join "%s" on its whole entity key (%s) to the entity key of "%s" (%s)`,
		src.alias, strings.Join(src.keys, ", "), m.sources[0].alias, strings.Join(m.sources[0].keys, ", ")).
		WithHint("Write JOIN ... USING (key), or ON with one equality per key column; filter in WHERE."), int32(src.nameStart))
}

// source resolves one FROM item.
func (m *fvModel) source(ctx context.Context, n *pg_query.Node, creating bool) (*fvSource, error) {
	rv := n.GetRangeVar()
	if rv == nil {
		what := "this FROM item"
		switch n.GetNode().(type) {
		case *pg_query.Node_RangeSubselect:
			what = "a subquery in FROM"
		case *pg_query.Node_RangeFunction:
			what = "a function in FROM"
		case *pg_query.Node_JoinExpr:
			what = "a parenthesised join"
		}
		return nil, fvUnsupported(what).WithHint("A feature view reads feature groups and feature views, joined one after another.")
	}
	if rv.Catalogname != "" {
		return nil, m.errAt(pgerror.New(pgerror.FeatureNotSupported, "cross-database references are not implemented"), rv.Location)
	}
	if rv.Alias != nil && len(rv.Alias.Colnames) > 0 {
		return nil, m.errAt(fvUnsupported("a column alias list"), rv.Location)
	}
	start, end := sql.RelationSpan(m.text, rv.Location)
	if start < 0 {
		return nil, pgerror.New(pgerror.InternalError, "could not locate %s in the feature view's definition", rv.Relname)
	}
	src := &fvSource{alias: rv.Relname, nameStart: start, nameEnd: end}
	if rv.Alias != nil {
		src.alias, src.hasAlias = rv.Alias.Aliasname, true
	}
	name := sql.QualifiedName{Schema: rv.Schemaname, Name: rv.Relname}
	var g *catalog.Group
	var v *catalog.View
	if creating {
		g, v = m.s.resolveRelation(name)
	} else if name.Schema != "" {
		g, v = m.s.p.catalog.Lookup(name.Schema, name.Name), m.s.p.catalog.LookupView(name.Schema, name.Name)
	}
	switch {
	case g != nil:
		src.group, src.qname = g, g.Schema+"."+g.Name
		src.keys = g.EntityKeys()
		for _, f := range g.Features {
			if f.Status != catalog.Retired {
				src.cols = append(src.cols, f.Name)
			}
		}
		src.timeType = strings.ToUpper(g.EventTime().DuckDBType)
	case v != nil:
		src.view, src.qname = v, v.QualifiedName()
		nested, err := m.s.analyzeView(ctx, v.Expanded, -1, m.depth+1, false)
		if err != nil {
			return nil, pgerror.New(pgerror.Wrap(err).Code, `feature view "%s": %s`, v.Name, pgerror.Wrap(err).Message)
		}
		nested.windowUS = v.WindowMicros
		src.model = nested
		src.keys = v.EntityKeys
		src.cols = v.Columns
		src.timeType = nested.timeType
	default:
		if creating && m.s.relationExists(ctx, name) {
			return nil, m.errAt(pgerror.New(pgerror.WrongObjectType, `"%s" is not a feature group or a feature view`, displayQualified(name)).
				WithHint("A feature view reads feature groups and other feature views: they have an entity key and an event time."), rv.Location)
		}
		return nil, m.errAt(pgerror.New(pgerror.UndefinedTable, `relation "%s" does not exist`, displayQualified(name)), rv.Location)
	}
	return src, nil
}

// readUsing maps the keys of source i joined USING (names).
func (m *fvModel) readUsing(i int, j *pg_query.JoinExpr) error {
	src := m.sources[i]
	for _, u := range j.UsingClause {
		name := u.GetString_().GetSval()
		if slices.Contains(src.using, name) {
			return pgerror.New(pgerror.DuplicateColumn, `column name "%s" appears more than once in USING clause`, name)
		}
		src.using = append(src.using, name)
		if !src.hasCol(name) {
			return pgerror.New(pgerror.UndefinedColumn, `column "%s" specified in USING clause does not exist in right table`, name)
		}
		k := src.keyIndex(name)
		if k < 0 {
			return m.keyJoinError(src)
		}
		pos, err := m.leftKey(i, name)
		if err != nil {
			return err
		}
		src.keyPos[k] = pos
		m.merged[name] = fvMerged{pos: pos, after: i}
	}
	return nil
}

// leftKey is the key position of the column name on the left of join i.
func (m *fvModel) leftKey(i int, name string) (int, error) {
	if mg, ok := m.merged[name]; ok && mg.after < i {
		return mg.pos, nil
	}
	found := -1
	for k := 0; k < i; k++ {
		if m.sources[k].hasCol(name) {
			if found >= 0 {
				return 0, pgerror.New(pgerror.AmbiguousColumn, `common column name "%s" appears more than once in left table`, name)
			}
			found = k
		}
	}
	if found < 0 {
		return 0, pgerror.New(pgerror.UndefinedColumn, `column "%s" specified in USING clause does not exist in left table`, name)
	}
	k := m.sources[found].keyIndex(name)
	if k < 0 {
		return 0, m.keyJoinError(m.sources[i])
	}
	if found > 0 && m.sources[found].join == pg_query.JoinType_JOIN_LEFT {
		return 0, m.leftJoinedKey(m.sources[i], m.sources[found], -1)
	}
	return m.sources[found].keyPos[k], nil
}

// leftJoinedKey refuses a join on the key of a LEFT-joined source: it is
// NULL where that source has no row, which the view's per-entity
// evaluation does not model.
func (m *fvModel) leftJoinedKey(src, left *fvSource, loc int32) *pgerror.Error {
	return m.errAt(pgerror.New(pgerror.FeatureNotSupported, `join "%s" on the entity key of "%s", not of the LEFT-joined "%s"`, src.alias, m.sources[0].alias, left.alias), loc)
}

// readOn maps the keys of source i joined ON key equalities.
func (m *fvModel) readOn(i int, quals *pg_query.Node) error {
	src := m.sources[i]
	var conj []*pg_query.Node
	var flatten func(n *pg_query.Node)
	flatten = func(n *pg_query.Node) {
		if b := n.GetBoolExpr(); b != nil && b.Boolop == pg_query.BoolExprType_AND_EXPR {
			for _, x := range b.Args {
				flatten(x)
			}
			return
		}
		conj = append(conj, n)
	}
	flatten(quals)
	onlyKeys := func(loc int32) error {
		return m.errAt(pgerror.New(pgerror.FeatureNotSupported, `the ON clause of a feature view may only equate the entity key of "%s" (%s) with the entity key of an earlier source`,
			src.alias, strings.Join(src.keys, ", ")).WithHint("Filter in WHERE instead."), loc)
	}
	for _, c := range conj {
		e := c.GetAExpr()
		if e == nil || e.Kind != pg_query.A_Expr_Kind_AEXPR_OP || len(e.Name) != 1 || e.Name[0].GetString_().GetSval() != "=" {
			return onlyKeys(fvExprLocation(c))
		}
		l, r := e.Lexpr.GetColumnRef(), e.Rexpr.GetColumnRef()
		if l == nil || r == nil {
			return onlyKeys(e.Location)
		}
		type side struct {
			src      int
			col      string
			pos      int
			location int32
		}
		var sides [2]side
		for x, cr := range []*pg_query.ColumnRef{l, r} {
			src, col, pos, err := m.colRef(cr, i)
			if err != nil {
				return err
			}
			sides[x] = side{src, col, pos, cr.Location}
		}
		a, b := sides[0], sides[1]
		if b.src == i {
			a, b = b, a
		}
		k := src.keyIndex(a.col)
		if a.src != i || b.src == i || k < 0 || b.pos < 0 || src.keyPos[k] >= 0 {
			return onlyKeys(e.Location)
		}
		if b.src > 0 && m.sources[b.src].join == pg_query.JoinType_JOIN_LEFT {
			return m.leftJoinedKey(src, m.sources[b.src], b.location)
		}
		src.keyPos[k] = b.pos
	}
	return nil
}

func fvExprLocation(n *pg_query.Node) int32 {
	switch x := n.GetNode().(type) {
	case *pg_query.Node_AExpr:
		return x.AExpr.Location
	case *pg_query.Node_BoolExpr:
		return x.BoolExpr.Location
	}
	return fvLocation(n)
}

// colRef resolves a column reference among sources 0..upto: the source
// (-1 for a USING-merged key), the column, and the key position it holds
// (-1 when it is not an entity key; a key of a LEFT-joined source counts,
// the caller decides whether it may stand for the view's key).
func (m *fvModel) colRef(cr *pg_query.ColumnRef, upto int) (int, string, int, error) {
	var parts []string
	for _, f := range cr.Fields {
		if s := f.GetString_(); s != nil {
			parts = append(parts, s.Sval)
		} else {
			return 0, "", 0, m.errAt(pgerror.New(pgerror.FeatureNotSupported, "* is only supported as a whole select-list item in a feature view"), cr.Location)
		}
	}
	switch len(parts) {
	case 1:
		name := parts[0]
		if mg, ok := m.merged[name]; ok && mg.after <= upto {
			return -1, name, mg.pos, nil
		}
		found := -1
		for k := 0; k <= upto && k < len(m.sources); k++ {
			if m.sources[k].hasCol(name) {
				if found >= 0 {
					return 0, "", 0, m.errAt(pgerror.New(pgerror.AmbiguousColumn, `column reference "%s" is ambiguous`, name), cr.Location)
				}
				found = k
			}
		}
		if found < 0 {
			return 0, "", 0, m.missingColumn(name, "", cr.Location)
		}
		return found, name, m.keyPosOf(found, name), nil
	case 2:
		for k := 0; k <= upto && k < len(m.sources); k++ {
			src := m.sources[k]
			if src.alias != parts[0] {
				continue
			}
			if !src.hasCol(parts[1]) {
				return 0, "", 0, m.missingColumn(parts[1], parts[0], cr.Location)
			}
			return k, parts[1], m.keyPosOf(k, parts[1]), nil
		}
		return 0, "", 0, m.errAt(pgerror.New(pgerror.UndefinedTable, `missing FROM-clause entry for table "%s"`, parts[0]), cr.Location)
	}
	return 0, "", 0, m.errAt(pgerror.New(pgerror.FeatureNotSupported, "qualify a column of a feature view's source with the source's name or alias only"), cr.Location)
}

// missingColumn reports an unknown column, naming a retired feature as such.
func (m *fvModel) missingColumn(name, qual string, loc int32) *pgerror.Error {
	for _, src := range m.sources {
		if qual != "" && src.alias != qual || src.group == nil {
			continue
		}
		if f := src.group.Feature(name); f != nil && f.Status == catalog.Retired {
			return m.errAt(pgerror.New(pgerror.ObjectNotInPrerequisiteState, `feature "%s.%s" is retired`, src.group.Name, name).
				WithHint("A retired feature can no longer be read; set its status back to active or deprecated to read it."), loc)
		}
	}
	if qual != "" {
		return m.errAt(pgerror.New(pgerror.UndefinedColumn, `column %s.%s does not exist`, qual, name), loc)
	}
	return m.errAt(pgerror.New(pgerror.UndefinedColumn, `column "%s" does not exist`, name), loc)
}

func (m *fvModel) keyPosOf(src int, col string) int {
	s := m.sources[src]
	if k := s.keyIndex(col); k >= 0 && s.keyPos != nil {
		return s.keyPos[k]
	}
	return -1
}

// readClauses finds the spans of the select list and WHERE in the text.
func (m *fvModel) readClauses() error {
	t := m.toks
	depth := 0
	from, where, group := -1, -1, -1
	for i := range t.toks {
		switch {
		case t.isPunct(i, '(') || t.isPunct(i, '['):
			depth++
		case t.isPunct(i, ')') || t.isPunct(i, ']'):
			depth--
		case depth != 0:
		case from < 0 && t.isWord(i, "from"):
			from = i
		case from >= 0 && where < 0 && t.isWord(i, "where"):
			where = i
		case from >= 0 && group < 0 && t.isWord(i, "group"):
			group = i
		}
	}
	if from < 0 || !t.isWord(0, "select") {
		return pgerror.New(pgerror.InternalError, "could not locate the clauses of the feature view's definition")
	}
	m.fromStart = int(t.toks[from].Start)
	if where >= 0 {
		end := len(m.text)
		if group > where {
			end = int(t.toks[group].Start)
		}
		m.whereStart, m.whereEnd = int(t.toks[where].End), end
	}
	// The select list: items between SELECT and FROM, split at commas.
	var pieces [][2]int
	start := 1
	if t.isWord(1, "all") {
		start = 2
	}
	m.listStart = int(t.toks[start].Start)
	depth = 0
	for i := start; i <= from; i++ {
		switch {
		case t.isPunct(i, '(') || t.isPunct(i, '['):
			depth++
		case t.isPunct(i, ')') || t.isPunct(i, ']'):
			depth--
		case depth == 0 && (t.isPunct(i, ',') || i == from):
			pieces = append(pieces, [2]int{start, i})
			start = i + 1
		}
	}
	if len(pieces) != len(m.sel.TargetList) {
		return pgerror.New(pgerror.InternalError, "could not locate the select list of the feature view's definition")
	}
	for i, n := range m.sel.TargetList {
		rt := n.GetResTarget()
		a, b := pieces[i][0], pieces[i][1]
		if rt.Name != "" && b-a >= 2 {
			b-- // the alias
			if t.isWord(b-1, "as") {
				b--
			}
		}
		if b <= a {
			return pgerror.New(pgerror.InternalError, "could not locate a select-list item of the feature view's definition")
		}
		m.targets = append(m.targets, fvTarget{name: rt.Name, node: rt.Val, start: int(t.toks[a].Start), end: int(t.toks[b-1].End), keyPos: -1})
	}
	return nil
}

// findAggregates finds the stars and aggregate calls of the select list:
// whether the view aggregates decides what the rest may contain.
func (m *fvModel) findAggregates() {
	for i := range m.targets {
		tg := &m.targets[i]
		if cr := tg.node.GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			tg.star = true
			if len(cr.Fields) == 2 {
				tg.starAlias = cr.Fields[0].GetString_().GetSval()
			} else if len(cr.Fields) > 2 {
				tg.starAlias = "\x00" // refused by readTargets
			}
			continue
		}
		if tg.aggs = m.aggregateCalls(tg.node); len(tg.aggs) > 0 {
			m.aggregating = true
		}
	}
}

// readTargets checks the select list and names its columns.
func (m *fvModel) readTargets(ctx context.Context) error {
	last := len(m.sources) - 1
	for i := range m.targets {
		tg := &m.targets[i]
		if tg.star && tg.starAlias == "\x00" {
			return m.errAt(pgerror.New(pgerror.FeatureNotSupported, "qualify * with the source's name or alias only"), tg.node.GetColumnRef().Location)
		}
		if tg.star {
			continue
		}
		if err := m.checkExpr(ctx, tg.node, "select"); err != nil {
			return err
		}
		if tg.name == "" {
			tg.name, _ = figureColname(tg.node)
		}
		if cr := tg.node.GetColumnRef(); cr != nil {
			if src, _, pos, err := m.colRef(cr, last); err == nil && pos >= 0 && (src <= 0 || m.sources[src].join == pg_query.JoinType_JOIN_INNER) {
				tg.keyPos = pos
			}
		}
	}
	return nil
}

// checkExpr checks an expression of the select list or WHERE: columns of
// the sources, no subqueries, window functions or functions whose value
// depends on anything but the rows (now(), random()...), aggregates only in
// the select list and never nested.
func (m *fvModel) checkExpr(ctx context.Context, n *pg_query.Node, clause string) error {
	last := len(m.sources) - 1
	var err error
	var visit func(n proto.Message, inAgg bool) bool
	visit = func(msg proto.Message, inAgg bool) bool {
		if err != nil {
			return false
		}
		switch x := msg.(type) {
		case *pg_query.SubLink:
			err = m.errAt(fvUnsupported("a subquery"), x.Location)
		case *pg_query.SQLValueFunction:
			err = m.errAt(pgerror.New(pgerror.FeatureNotSupported, "a feature view cannot use %s: its rows depend on the AS OF time only",
				strings.TrimPrefix(x.Op.String(), "SVFOP_")).WithHint("Read the view AS OF the time you need."), x.Location)
		case *pg_query.GroupingFunc:
			err = m.errAt(fvUnsupported("GROUPING"), x.Location)
		case *pg_query.ColumnRef:
			if _, _, _, e := m.colRef(x, last); e != nil {
				err = e
			} else if !inAgg && m.aggregatingView() {
				if _, _, pos, _ := m.colRef(x, last); pos < 0 && clause == "select" {
					err = m.errAt(pgerror.New(pgerror.GroupingError, `column "%s" must appear in the GROUP BY clause or be used in an aggregate function`, columnRefText(x)), x.Location)
				}
			}
			return false
		case *pg_query.FuncCall:
			name := x.Funcname[len(x.Funcname)-1].GetString_().GetSval()
			if x.Over != nil {
				err = m.errAt(fvUnsupported("a window function"), x.Location).WithHint("Aggregate with GROUP BY the entity key, and the window option for a sliding window.")
				return false
			}
			if isFVAggregate(x) {
				switch {
				case clause != "select":
					err = m.errAt(pgerror.New(pgerror.GroupingError, "aggregate functions are not allowed in %s", clause), x.Location)
				case inAgg:
					err = m.errAt(pgerror.New(pgerror.GroupingError, "aggregate function calls cannot be nested"), x.Location)
				case x.AggFilter != nil:
					err = m.errAt(fvUnsupported("FILTER"), x.Location).WithHint("Aggregate a CASE expression instead.")
				case len(x.AggOrder) > 0 || x.AggWithinGroup:
					err = m.errAt(fvUnsupported("ORDER BY in an aggregate"), x.Location)
				case x.FuncVariadic:
					err = m.errAt(fvUnsupported("VARIADIC"), x.Location)
				case x.AggStar && name != "count":
					err = m.errAt(pgerror.New(pgerror.WrongObjectType, "%s(*) must be used to call a parameterless aggregate function", name), x.Location)
				case !x.AggStar && len(x.Args) != 1:
					err = m.errAt(pgerror.New(pgerror.UndefinedFunction, "function %s with %d arguments does not exist", name, len(x.Args)), x.Location)
				}
				if err != nil {
					return false
				}
				for _, a := range x.Args {
					sql.Walk(a, func(c proto.Message) bool { return visit(c, true) })
				}
				return false
			}
			if e := m.checkFunction(ctx, x, name); e != nil {
				err = e
				return false
			}
		}
		return true
	}
	sql.Walk(n, func(c proto.Message) bool { return visit(c, false) })
	return err
}

// aggregatingView: the definition has GROUP BY or aggregates.
func (m *fvModel) aggregatingView() bool { return len(m.sel.GroupClause) > 0 || m.aggregating }

func isFVAggregate(f *pg_query.FuncCall) bool {
	if len(f.Funcname) == 2 && f.Funcname[0].GetString_().GetSval() != "pg_catalog" || len(f.Funcname) > 2 {
		return false
	}
	return slices.Contains(fvAggregates, f.Funcname[len(f.Funcname)-1].GetString_().GetSval())
}

// checkFunction refuses, at creation, other aggregates and functions whose
// value is not a function of their arguments alone.
func (m *fvModel) checkFunction(ctx context.Context, f *pg_query.FuncCall, name string) error {
	if m.funcs == nil {
		return nil
	}
	info, ok := m.funcs[name]
	if !ok {
		var kind, stability any
		_, _ = m.s.conn.QueryRow(ctx, `SELECT max(function_type) FILTER (WHERE function_type = 'aggregate'),
			min(stability) FILTER (WHERE stability <> 'CONSISTENT') FROM duckdb_functions() WHERE function_name = ?`, []any{strings.ToLower(name)}, &kind, &stability)
		ks, _ := kind.(string)
		ss, _ := stability.(string)
		info = [2]string{ks, ss}
		m.funcs[name] = info
	}
	if info[0] == "aggregate" {
		return m.errAt(pgerror.New(pgerror.FeatureNotSupported, "aggregate function %s is not supported in a feature view", name).
			WithHint("Feature views support sum, count, avg, min, max and count(DISTINCT ...)."), f.Location)
	}
	if info[1] != "" {
		return m.errAt(pgerror.New(pgerror.FeatureNotSupported, "a feature view cannot call %s(): its rows depend on the AS OF time only", name).
			WithHint("Read the view AS OF the time you need."), f.Location)
	}
	return nil
}

func columnRefText(cr *pg_query.ColumnRef) string {
	var parts []string
	for _, f := range cr.Fields {
		parts = append(parts, f.GetString_().GetSval())
	}
	return strings.Join(parts, ".")
}

// aggregateCalls lists the aggregate calls of an expression with their spans.
func (m *fvModel) aggregateCalls(n *pg_query.Node) []fvAgg {
	var out []fvAgg
	sql.Walk(n, func(msg proto.Message) bool {
		f, ok := msg.(*pg_query.FuncCall)
		if !ok || !isFVAggregate(f) {
			return true
		}
		a := fvAgg{fn: f.Funcname[len(f.Funcname)-1].GetString_().GetSval(), star: f.AggStar, distinct: f.AggDistinct, start: int(f.Location)}
		i := m.toks.index(a.start)
		for i >= 0 && i < len(m.toks.toks) && !m.toks.isPunct(i, '(') {
			i++
		}
		closing := m.toks.closeParen(i)
		if i < 0 || closing < 0 {
			return false
		}
		a.end = int(m.toks.toks[closing].End)
		first := i + 1
		if m.toks.isWord(first, "distinct") || m.toks.isWord(first, "all") {
			first++
		}
		a.argStart, a.argEnd = int(m.toks.toks[first].Start), int(m.toks.toks[closing].Start)
		out = append(out, a)
		return false
	})
	slices.SortFunc(out, func(a, b fvAgg) int { return a.start - b.start })
	return out
}

// readGroupBy: an aggregating view reads one feature group and groups by
// exactly its entity key.
func (m *fvModel) readGroupBy() error {
	if !m.aggregatingView() {
		return nil
	}
	src := m.sources[0]
	if len(m.sources) > 1 || src.group == nil {
		return pgerror.New(pgerror.FeatureNotSupported, "an aggregating feature view must read exactly one feature group").
			WithHint("Aggregate in a feature view of its own, then join it to others in another feature view.")
	}
	need := func() *pgerror.Error {
		return pgerror.New(pgerror.FeatureNotSupported, `an aggregating feature view must GROUP BY the entity key of "%s" (%s)`, src.alias, strings.Join(src.keys, ", ")).
			WithHint("Each entity's events are aggregated up to the AS OF time, so the view has one row per entity.")
	}
	seen := map[int]bool{}
	for _, n := range m.sel.GroupClause {
		cr := n.GetColumnRef()
		if cr == nil {
			return need()
		}
		_, _, pos, err := m.colRef(cr, 0)
		if err != nil {
			return err
		}
		if pos < 0 || seen[pos] {
			return need()
		}
		seen[pos] = true
	}
	if len(seen) != len(src.keys) {
		return need()
	}
	return nil
}

// readKeys requires every entity key position in the output.
func (m *fvModel) readKeys() error {
	m.keyOut = make([]string, len(m.sources[0].keys))
	for _, tg := range m.targets {
		if tg.keyPos >= 0 && m.keyOut[tg.keyPos] == "" {
			m.keyOut[tg.keyPos] = tg.name
		}
	}
	for p, name := range m.keyOut {
		if name != "" {
			continue
		}
		if m.hasStar() {
			return nil // checked again once * is expanded
		}
		k := m.sources[0].keys[p]
		return pgerror.New(pgerror.InvalidObjectDefinition, `a feature view must select the entity key "%s" of "%s"`, k, m.sources[0].alias).
			WithHint("Add %s.%s to the select list: a feature view is read per entity, like a feature group.", m.sources[0].alias, k)
	}
	return nil
}

func (m *fvModel) hasStar() bool {
	for _, tg := range m.targets {
		if tg.star {
			return true
		}
	}
	return false
}

// expand returns the definition as it is stored and evaluated: `*`
// expanded to the columns of the sources (keys merged by USING once and
// first, as PostgreSQL does), every output named explicitly, and every
// source named by schema and given an alias, so that the definition means
// the same whatever the reader's search_path.
func (m *fvModel) expand() (string, error) {
	type col struct{ name, expr string }
	merged := m.mergedRefEdits()
	driver := m.sources[0]
	// What `*` shows, simulating the joins.
	var all []col
	for c, src := range m.sources {
		own := func(name string) col { return col{name, quoteIdent(src.alias) + "." + quoteIdent(name)} }
		if c == 0 || len(src.using) == 0 {
			for _, n := range src.cols {
				all = append(all, own(n))
			}
			continue
		}
		var next []col
		for _, u := range src.using {
			next = append(next, col{u, quoteIdent(driver.alias) + "." + quoteIdent(driver.keys[m.merged[u].pos])})
		}
		for _, x := range all {
			if !slices.Contains(src.using, x.name) {
				next = append(next, x)
			}
		}
		for _, n := range src.cols {
			if !slices.Contains(src.using, n) {
				next = append(next, own(n))
			}
		}
		all = next
	}
	var items []col
	for _, tg := range m.targets {
		switch {
		case tg.star && tg.starAlias == "":
			items = append(items, all...)
		case tg.star:
			found := false
			for _, src := range m.sources {
				if src.alias == tg.starAlias {
					found = true
					for _, n := range src.cols {
						items = append(items, col{n, quoteIdent(src.alias) + "." + quoteIdent(n)})
					}
				}
			}
			if !found {
				return "", pgerror.New(pgerror.UndefinedTable, `missing FROM-clause entry for table "%s"`, tg.starAlias)
			}
		default:
			items = append(items, col{tg.name, spliceEdits(m.text, tg.start, tg.end, merged)})
		}
	}
	var names, list []string // names: to find duplicates
	for _, it := range items {
		if slices.Contains(names, it.name) {
			return "", pgerror.New(pgerror.DuplicateColumn, `column "%s" specified more than once`, it.name).
				WithHint("Give the columns distinct names with AS.")
		}
		if strings.HasPrefix(it.name, "__fh_") {
			return "", pgerror.New(pgerror.InvalidName, `column name "%s" is reserved: names starting with __fh_ are featurehouse's own`, it.name)
		}
		names = append(names, it.name)
		list = append(list, it.expr+" AS "+quoteIdent(it.name))
	}
	edits := []edit{{start: m.listStart, end: m.fromStart, text: strings.Join(list, ", ") + " "}}
	for _, e := range merged {
		if e.start >= m.fromStart {
			edits = append(edits, e)
		}
	}
	for _, src := range m.sources {
		schema, name := "", ""
		if src.group != nil {
			schema, name = src.group.Schema, src.group.Name
		} else {
			schema, name = src.view.Schema, src.view.Name
		}
		text := quoteIdent(schema) + "." + quoteIdent(name)
		if !src.hasAlias {
			text += " AS " + quoteIdent(src.alias)
		}
		edits = append(edits, edit{start: src.nameStart, end: src.nameEnd, text: text})
	}
	return applyEdits(m.text, edits), nil
}

// mergedRefEdits qualify the bare references to USING-merged keys in the
// select list and WHERE with the first source (whose key they equal for
// INNER and LEFT joins), so that the expressions mean the same once the
// sources are joined on ON conditions (featureview_sql.go).
func (m *fvModel) mergedRefEdits() []edit {
	var out []edit
	driver := m.sources[0]
	nodes := []*pg_query.Node{m.sel.WhereClause}
	for _, tg := range m.targets {
		if !tg.star {
			nodes = append(nodes, tg.node)
		}
	}
	for _, n := range nodes {
		if n == nil {
			continue
		}
		for _, cr := range sql.ColumnRefs(n) {
			if len(cr.Fields) != 1 {
				continue
			}
			name := cr.Fields[0].GetString_().GetSval()
			mg, ok := m.merged[name]
			i := m.toks.index(int(cr.Location))
			if !ok || i < 0 {
				continue
			}
			out = append(out, edit{start: int(cr.Location), end: int(m.toks.toks[i].End),
				text: quoteIdent(driver.alias) + "." + quoteIdent(driver.keys[mg.pos])})
		}
	}
	return out
}

// spliceEdits is text[start:end] with the edits that fall inside it applied.
func spliceEdits(text string, start, end int, edits []edit) string {
	var in []edit
	for _, e := range edits {
		if e.start >= start && e.end <= end {
			in = append(in, edit{start: e.start - start, end: e.end - start, text: e.text})
		}
	}
	return applyEdits(text[start:end], in)
}

// fvToks are the tokens of a definition.
type fvToks struct {
	text string
	toks []*pg_query.ScanToken
}

func scanView(text string) (*fvToks, error) {
	res, err := pg_query.Scan(text)
	if err != nil {
		return nil, pgerror.Wrap(err)
	}
	t := &fvToks{text: text}
	for _, tk := range res.Tokens {
		if tk.Token != pg_query.Token_SQL_COMMENT && tk.Token != pg_query.Token_C_COMMENT {
			t.toks = append(t.toks, tk)
		}
	}
	return t, nil
}

// index is the token starting at byte off, or -1.
func (t *fvToks) index(off int) int {
	i, ok := slices.BinarySearchFunc(t.toks, off, func(tk *pg_query.ScanToken, off int) int { return int(tk.Start) - off })
	if !ok {
		return -1
	}
	return i
}

func (t *fvToks) isWord(i int, w string) bool {
	if i < 0 || i >= len(t.toks) || t.toks[i].KeywordKind == pg_query.KeywordKind_NO_KEYWORD {
		return false
	}
	return strings.EqualFold(t.text[t.toks[i].Start:t.toks[i].End], w)
}

func (t *fvToks) isPunct(i int, c byte) bool {
	return i >= 0 && i < len(t.toks) && t.toks[i].End-t.toks[i].Start == 1 && t.text[t.toks[i].Start] == c
}

// closeParen returns the index of the ')' matching the '(' at i, or -1.
func (t *fvToks) closeParen(i int) int {
	if !t.isPunct(i, '(') {
		return -1
	}
	depth := 0
	for ; i < len(t.toks); i++ {
		switch {
		case t.isPunct(i, '('):
			depth++
		case t.isPunct(i, ')'):
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
