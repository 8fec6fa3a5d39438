package planner

import (
	"fmt"
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Point-in-time joins: `l [LEFT] JOIN g AS OF <time of l> d USING (key)`
// (or ON d.key = <expr> AND ...) becomes a DuckDB ASOF join:
//
//	l ASOF LEFT JOIN (<g's rows>) AS d ON d.key = l.key AND CAST(<time> AS et type) >= d.et
//
// DuckDB picks any one of several right rows with the same key and time, so
// the right side is made unique per (key, event time) first: the last write,
// the row whose next one in (key, event time, _fh_seq) order has another
// event time (lead() over a sort; on 10M mostly distinct (key, event time)
// it took ~30% less CPU than a hash aggregate of arg_max per feature, and
// columns the query does not read are not carried). Tie-breaking inside the
// ASOF ordering was measured and rejected: (event time, _fh_seq) does not
// fit one BIGINT, and an ASOF on a HUGEINT or STRUCT key was 2-4x slower.
//
// A ttl cannot be a second ASOF inequality, and the answer is exactly "the
// latest row <= t, none if it is older than t - ttl" (what AS OF t gives).
// For an inner join that is a filter joined right after the ASOF join. For
// a LEFT join the match must turn into NULLs instead, which the user's
// column references cannot be made to do; so a first ASOF join over the
// keys and event times alone (a narrow read) finds the matched event time,
// and the ASOF join that brings the features gets a NULL key — no match —
// when that time is older than t - ttl. (A NULL t is kept from matching
// through the key: DuckDB's ASOF operator would match it to the latest row.)
//
// A feature view's timeline (featureview_read.go) instead carries
// "tombstones", rows with NULL features where an entity stops having a row
// (p.ttl): the ASOF match is then the answer as is. Tombstones keep the key
// in hidden columns (the visible key is NULL, as for a missing entity); an
// inner join drops rows matched to a tombstone with a filter joined right
// after it.
//
// USING (key) is emulated: the ASOF join needs an ON clause, so the group's
// key columns are renamed to hidden names (an unqualified key then means
// the left one, as USING's merged column does), `d.key` is renamed back,
// and `*` / `d.*` are edited to show what PostgreSQL would show.

// pitJoin is one point-in-time join of the statement.
type pitJoin struct {
	masks map[string]string // features the role reads masked (masking.go)
	n     int               // 1-based, in AS OF order: names the hidden columns
	tree  int32             // pg_query's parse tree version, for deparsing
	a     sql.AsOf
	g     *catalog.Group
	alias string
	join  *pg_query.JoinExpr
	sel   *pg_query.SelectStmt // the SELECT whose FROM holds the join, nil for UPDATE/DELETE
	using bool
	inner bool
	// ttl: the right side holds tombstones (a feature view's timeline).
	ttl bool
	// expire is the group's ttl ("": none), applied after the ASOF match.
	expire string
	// keyExprs maps each entity key to the left-side expression it equals
	// (nil for USING).
	keyExprs map[string]*pg_query.Node
	// leftQual qualifies the left relation holding the USING keys, "" when
	// the left side is not one relation (then `*` keeps its order).
	leftQual string
	// rightOverride, when set, gives the right side instead of the group's
	// rows: a feature view standing where a group stands (featureview_read.go).
	rightOverride func(*pitJoin) string
}

func (p *pitJoin) hidden(what string) string { return fmt.Sprintf("__fh_pit%d_%s", p.n, what) }

// visibleKey is the name the right side shows an entity key under.
func (p *pitJoin) visibleKey(k string) string {
	if p.using {
		return p.hidden("col_" + k)
	}
	return k
}

// joinKey is the right-side column the ASOF join matches key k on.
func (p *pitJoin) joinKey(k string) string {
	if p.ttl {
		return p.hidden("key_" + k)
	}
	return p.visibleKey(k)
}

func (p *pitJoin) timeColumn() string {
	if p.ttl {
		return p.hidden("time")
	}
	return p.g.EventTime().Name
}

func (p *pitJoin) needsFilter() bool { return p.inner && (p.ttl || p.expire != "") }

// needsMatch reports whether a first ASOF join finds the matched event time
// (a LEFT join with a ttl).
func (p *pitJoin) needsMatch() bool { return !p.inner && p.expire != "" }

// matchAlias names the first ASOF join's relation.
func (p *pitJoin) matchAlias() string { return p.hidden("match") }

func (p *pitJoin) matchKey(k string) string { return p.hidden("mkey_" + k) }

// starHidden lists the right-side columns `d.*` must not show.
func (p *pitJoin) starHidden() []string {
	var out []string
	if p.ttl {
		for _, k := range p.g.EntityKeys() {
			out = append(out, p.joinKey(k))
		}
		out = append(out, p.timeColumn())
	}
	if p.ttl && p.inner {
		out = append(out, p.hidden("live"))
	}
	return out
}

// matchHidden lists the first ASOF join's columns, which `*` must not show.
func (p *pitJoin) matchHidden() []string {
	if !p.needsMatch() {
		return nil
	}
	var out []string
	for _, k := range p.g.EntityKeys() {
		out = append(out, p.matchKey(k))
	}
	return append(out, p.hidden("mtime"))
}

// fromSite is a relation named in a FROM list and where it stands.
type fromSite struct {
	join  *pg_query.JoinExpr // nil for an item of the FROM list itself
	right bool               // the relation is join.Rarg
	sel   *pg_query.SelectStmt
}

// fromSites indexes the FROM-clause relations of every query level by location.
func fromSites(tree proto.Message) map[int32]fromSite {
	out := map[int32]fromSite{}
	var item func(n *pg_query.Node, join *pg_query.JoinExpr, right bool, sel *pg_query.SelectStmt)
	item = func(n *pg_query.Node, join *pg_query.JoinExpr, right bool, sel *pg_query.SelectStmt) {
		switch x := n.GetNode().(type) {
		case *pg_query.Node_RangeVar:
			out[x.RangeVar.Location] = fromSite{join: join, right: right, sel: sel}
		case *pg_query.Node_JoinExpr:
			item(x.JoinExpr.Larg, x.JoinExpr, false, sel)
			item(x.JoinExpr.Rarg, x.JoinExpr, true, sel)
		}
	}
	sql.Walk(tree, func(m proto.Message) bool {
		switch x := m.(type) {
		case *pg_query.SelectStmt:
			for _, n := range x.FromClause {
				item(n, nil, false, x)
			}
		case *pg_query.UpdateStmt:
			for _, n := range x.FromClause {
				item(n, nil, false, nil)
			}
		case *pg_query.DeleteStmt:
			for _, n := range x.UsingClause {
				item(n, nil, false, nil)
			}
		}
		return true
	})
	return out
}

// pitError is an error about a point-in-time join, at its AS OF time.
func pitError(q *sql.Query, a sql.AsOf, code, format string, args ...any) *pgerror.Error {
	return pgerror.New(code, format, args...).WithPosition(a.ExprPosition + q.Offset)
}

// newPITJoin checks the join around `g AS OF <column expr>` and reads its keys.
func (s *Session) newPITJoin(q *sql.Query, sites map[int32]fromSite, a sql.AsOf, g *catalog.Group, n int) (*pitJoin, error) {
	site, ok := sites[int32(a.Start)]
	if !ok || site.join == nil || !site.right {
		return nil, pitError(q, a, pgerror.FeatureNotSupported, "AS OF a column of another relation is a point-in-time join: it must follow JOIN").
			WithHint("Write FROM labels l LEFT JOIN %s AS OF l.ts alias USING (key).", g.Name)
	}
	j := site.join
	rv := j.Rarg.GetRangeVar()
	p := &pitJoin{n: n, tree: q.Tree.Version, a: a, g: g, alias: g.Name, join: j, sel: site.sel, expire: g.TTL, keyExprs: map[string]*pg_query.Node{},
		masks: s.maskedFeatures(g)}
	if rv.Alias != nil {
		p.alias = rv.Alias.Aliasname
		if len(rv.Alias.Colnames) > 0 {
			return nil, pitError(q, a, pgerror.FeatureNotSupported, "column aliases are not supported on a point-in-time join")
		}
	}
	switch j.Jointype {
	case pg_query.JoinType_JOIN_INNER:
		p.inner = true
	case pg_query.JoinType_JOIN_LEFT:
	default:
		return nil, pitError(q, a, pgerror.FeatureNotSupported, "RIGHT and FULL point-in-time joins are not supported").
			WithHint("Put the rows that need features on the left and use LEFT JOIN.")
	}
	switch {
	case j.IsNatural || j.Quals == nil && len(j.UsingClause) == 0:
		return nil, pitError(q, a, pgerror.FeatureNotSupported, "a point-in-time join needs USING or ON on the entity key of \"%s\"", g.Name)
	case j.JoinUsingAlias != nil:
		return nil, pitError(q, a, pgerror.FeatureNotSupported, "USING ... AS alias is not supported on a point-in-time join")
	case len(j.UsingClause) > 0:
		p.using = true
		for _, u := range j.UsingClause {
			name := u.GetString_().GetSval()
			f := g.Feature(name)
			if f == nil || f.Status == catalog.Retired {
				return nil, pitError(q, a, pgerror.UndefinedColumn, `column "%s" specified in USING clause does not exist in right table`, name)
			}
			if !f.EntityKey {
				return nil, wholeKeyError(q, a, g)
			}
			if _, dup := p.keyExprs[name]; dup {
				return nil, pitError(q, a, pgerror.DuplicateColumn, `column name "%s" appears more than once in USING clause`, name)
			}
			p.keyExprs[name] = nil
		}
	default:
		if err := p.readOn(q, j.Quals); err != nil {
			return nil, err
		}
	}
	if len(p.keyExprs) != len(g.EntityKeys()) {
		return nil, wholeKeyError(q, a, g)
	}
	if err := p.checkTime(q, j.Larg); err != nil {
		return nil, err
	}
	return p, nil
}

func wholeKeyError(q *sql.Query, a sql.AsOf, g *catalog.Group) *pgerror.Error {
	return pitError(q, a, pgerror.FeatureNotSupported, "a point-in-time join must match the whole entity key of \"%s\" (%s)", g.Name, strings.Join(g.EntityKeys(), ", ")).
		WithHint("Write USING (%s), or ON with one equality per key column.", strings.Join(g.EntityKeys(), ", "))
}

// readOn accepts `d.key = <left expr>` conjuncts, one per entity key.
func (p *pitJoin) readOn(q *sql.Query, quals *pg_query.Node) error {
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
	notKey := func() error {
		return pitError(q, p.a, pgerror.FeatureNotSupported, "the ON clause of a point-in-time join may only equate the entity key of \"%s\" (%s) with expressions of earlier relations", p.g.Name, strings.Join(p.g.EntityKeys(), ", ")).
			WithHint("Filter in WHERE instead.")
	}
	for _, c := range conj {
		e := c.GetAExpr()
		if e == nil || e.Kind != pg_query.A_Expr_Kind_AEXPR_OP || len(e.Name) != 1 || e.Name[0].GetString_().GetSval() != "=" {
			return notKey()
		}
		key, other := p.keyRef(e.Lexpr), e.Rexpr
		if key == nil {
			key, other = p.keyRef(e.Rexpr), e.Lexpr
		}
		if key == nil || p.mentionsAlias(other) {
			return notKey()
		}
		name := key.Fields[len(key.Fields)-1].GetString_().GetSval()
		if _, dup := p.keyExprs[name]; dup {
			return notKey()
		}
		p.keyExprs[name] = other
	}
	return nil
}

// keyRef returns n when it is `alias.key` for an entity key.
func (p *pitJoin) keyRef(n *pg_query.Node) *pg_query.ColumnRef {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) != 2 || cr.Fields[0].GetString_().GetSval() != p.alias {
		return nil
	}
	if f := p.g.Feature(cr.Fields[1].GetString_().GetSval()); f != nil && f.EntityKey {
		return cr
	}
	return nil
}

func (p *pitJoin) mentionsAlias(n proto.Message) bool {
	for _, cr := range sql.ColumnRefs(n) {
		if len(cr.Fields) >= 2 && cr.Fields[len(cr.Fields)-2].GetString_().GetSval() == p.alias {
			return true
		}
	}
	return false
}

// checkTime requires the AS OF time to name only relations left of the join.
func (p *pitJoin) checkTime(q *sql.Query, left *pg_query.Node) error {
	tree, err := pg_query.Parse("SELECT " + p.a.Expr)
	if err != nil {
		return pgerror.Wrap(err)
	}
	names := map[string]bool{}
	relationNames(left, names)
	for _, cr := range sql.ColumnRefs(tree) {
		var parts []string
		for _, f := range cr.Fields {
			if s := f.GetString_(); s != nil {
				parts = append(parts, s.Sval)
			}
		}
		switch {
		case len(parts) >= 2 && !names[parts[len(parts)-2]]:
			return pitError(q, p.a, pgerror.UndefinedTable, `invalid reference to FROM-clause entry for table "%s"`, parts[len(parts)-2]).
				WithHint("The AS OF time of a point-in-time join may only use relations before the JOIN.")
		case len(parts) == 1 && p.g.Feature(parts[0]) != nil:
			return pitError(q, p.a, pgerror.AmbiguousColumn, `column reference "%s" is ambiguous`, parts[0]).
				WithHint("Qualify it with the name of the relation before the JOIN.")
		}
	}
	return nil
}

// relationNames collects the names a FROM item makes visible.
func relationNames(n *pg_query.Node, out map[string]bool) {
	switch x := n.GetNode().(type) {
	case *pg_query.Node_RangeVar:
		if x.RangeVar.Alias != nil {
			out[x.RangeVar.Alias.Aliasname] = true
		} else {
			out[x.RangeVar.Relname] = true
		}
	case *pg_query.Node_RangeSubselect:
		if x.RangeSubselect.Alias != nil {
			out[x.RangeSubselect.Alias.Aliasname] = true
		}
	case *pg_query.Node_RangeFunction:
		if x.RangeFunction.Alias != nil {
			out[x.RangeFunction.Alias.Aliasname] = true
			return
		}
		for _, f := range x.RangeFunction.Functions {
			if l := f.GetList(); l != nil && len(l.Items) > 0 {
				if fc := l.Items[0].GetFuncCall(); fc != nil && len(fc.Funcname) > 0 {
					out[fc.Funcname[len(fc.Funcname)-1].GetString_().GetSval()] = true
				}
			}
		}
	case *pg_query.Node_RangeTableSample:
		relationNames(x.RangeTableSample.Relation, out)
	case *pg_query.Node_JoinExpr:
		if x.JoinExpr.Alias != nil {
			out[x.JoinExpr.Alias.Aliasname] = true
			return
		}
		relationNames(x.JoinExpr.Larg, out)
		relationNames(x.JoinExpr.Rarg, out)
	}
}

// usingQualifier names the one relation at the bottom of a chain of USING
// point-in-time joins, "" when the left side is anything else.
func usingQualifier(n *pg_query.Node, pits map[*pg_query.JoinExpr]*pitJoin) string {
	for {
		switch x := n.GetNode().(type) {
		case *pg_query.Node_JoinExpr:
			if p := pits[x.JoinExpr]; p != nil && p.using && x.JoinExpr.Alias == nil {
				n = x.JoinExpr.Larg
				continue
			}
		case *pg_query.Node_RangeVar:
			if x.RangeVar.Alias != nil {
				return x.RangeVar.Alias.Aliasname
			}
			return x.RangeVar.Relname
		case *pg_query.Node_RangeSubselect:
			if x.RangeSubselect.Alias != nil {
				return x.RangeSubselect.Alias.Aliasname
			}
		case *pg_query.Node_RangeFunction:
			if x.RangeFunction.Alias != nil {
				return x.RangeFunction.Alias.Aliasname
			}
		}
		return ""
	}
}

// rightSQL is the group's side of the ASOF join: unique per (key, time).
func (p *pitJoin) rightSQL() string {
	if p.rightOverride != nil {
		return p.rightOverride(p)
	}
	g := p.g
	var cols, keys []string
	for _, f := range g.Features {
		switch {
		case f.Status == catalog.Retired:
		case f.EntityKey:
			cols = append(cols, quoteIdent(f.Name)+" AS "+quoteIdent(p.visibleKey(f.Name)))
			keys = append(keys, quoteIdent(f.Name))
		default:
			cols = append(cols, quoteIdent(f.Name))
		}
	}
	et := quoteIdent(g.EventTime().Name)
	layout := g.Layout()
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + maskedRelationSQL(g, p.masks, layout.AllRowsView()) + p.knownAtWhere() +
		" QUALIFY lead(" + et + ") OVER (PARTITION BY " + strings.Join(keys, ", ") + " ORDER BY " + et + ", " + duckdb.SeqColumn + ") IS DISTINCT FROM " + et
}

// matchSQL is the right side of the first ASOF join of a LEFT join with a
// ttl: only the keys and event times (ties need no breaking here: the
// matched event time is the same whichever row DuckDB picks).
func (p *pitJoin) matchSQL() string {
	var cols []string
	for _, k := range p.g.EntityKeys() {
		cols = append(cols, quoteIdent(k)+" AS "+quoteIdent(p.matchKey(k)))
	}
	cols = append(cols, quoteIdent(p.g.EventTime().Name)+" AS "+quoteIdent(p.hidden("mtime")))
	layout := p.g.Layout()
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + layout.AllRowsView() + p.knownAtWhere()
}

func (p *pitJoin) knownAtWhere() string {
	if p.a.KnownAt == "" {
		return ""
	}
	return " WHERE " + duckdb.WrittenAtColumn + " <= CAST((" + p.a.KnownAt + ") AS TIMESTAMPTZ)"
}

// onSQL is the ASOF join's condition and, for an inner join with a ttl or
// tombstones, the filter joined after it; for a LEFT join with a ttl, also
// the condition of the first ASOF join (matchOn). rename maps the keys of
// USING point-in-time joins to their hidden names, for the left expressions.
func (p *pitJoin) onSQL(rename func(*pg_query.ColumnRef)) (on, matchOn string, err error) {
	a := quoteIdent(p.alias) + "."
	m := quoteIdent(p.matchAlias()) + "."
	t := "CAST((" + p.a.Expr + ") AS " + p.g.EventTime().DuckDBType + ")"
	// Expired: the matched event time is older than t - ttl (as AS OF t).
	expired := func(et string) string {
		return et + " < " + t + " - INTERVAL " + duckdb.QuoteString(p.expire)
	}
	var conds, mconds []string
	for i, k := range p.g.EntityKeys() {
		var left string
		if e := p.keyExprs[k]; e != nil {
			if left, err = deparseExpr(e, rename, p.tree); err != nil {
				return "", "", err
			}
		}
		if p.using {
			left = quoteIdent(k)
			if p.leftQual != "" {
				left = quoteIdent(p.leftQual) + "." + left
			}
		}
		left = "(" + left + ")"
		if i == 0 {
			// DuckDB's ASOF operator matches a NULL time to the latest row
			// (NULLs sort last); a NULL key matches nothing.
			guard := t + " IS NULL"
			if p.needsMatch() {
				mconds = append(mconds, m+quoteIdent(p.matchKey(k))+" = CASE WHEN "+guard+" THEN NULL ELSE "+left+" END")
				guard = m + quoteIdent(p.hidden("mtime")) + " IS NULL OR " + expired(m+quoteIdent(p.hidden("mtime")))
			}
			left = "CASE WHEN " + guard + " THEN NULL ELSE " + left + " END"
		} else if p.needsMatch() {
			mconds = append(mconds, m+quoteIdent(p.matchKey(k))+" = "+left)
		}
		conds = append(conds, a+quoteIdent(p.joinKey(k))+" = "+left)
	}
	conds = append(conds, t+" >= "+a+quoteIdent(p.timeColumn()))
	on = "ON " + strings.Join(conds, " AND ")
	if p.needsMatch() {
		mconds = append(mconds, t+" >= "+m+quoteIdent(p.hidden("mtime")))
		matchOn = "ON " + strings.Join(mconds, " AND ")
	}
	if p.needsFilter() {
		cond := a + quoteIdent(p.hidden("live"))
		if !p.ttl {
			cond = "NOT (" + expired(a+quoteIdent(p.timeColumn())) + ")"
		}
		on += " JOIN (SELECT 1 AS " + quoteIdent(p.hidden("one")) + ") AS " + quoteIdent(p.hidden("filter")) + " ON " + cond
	}
	return on, matchOn, nil
}

// deparseExpr prints an expression of the user's ON clause back as SQL,
// after renaming the column references that need it.
func deparseExpr(n *pg_query.Node, rename func(*pg_query.ColumnRef), version int32) (string, error) {
	n = proto.Clone(n).(*pg_query.Node)
	sql.Walk(n, func(m proto.Message) bool {
		if cr, ok := m.(*pg_query.ColumnRef); ok {
			rename(cr)
		}
		return true
	})
	sel := &pg_query.SelectStmt{TargetList: []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(n, 0)}}
	out, err := pg_query.Deparse(&pg_query.ParseResult{Version: version, Stmts: []*pg_query.RawStmt{{Stmt: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}}}}})
	if err != nil {
		return "", pgerror.Wrap(err)
	}
	return strings.TrimPrefix(out, "SELECT "), nil
}

// sqlTokens scans text for the edits that need token spans.
type sqlTokens struct {
	text string
	toks []*pg_query.ScanToken
}

func scanSQL(text string) (*sqlTokens, error) {
	res, err := pg_query.Scan(text)
	if err != nil {
		return nil, pgerror.Wrap(err)
	}
	return &sqlTokens{text: text, toks: res.Tokens}, nil
}

// at returns the index of the token starting at byte off, or -1.
func (t *sqlTokens) at(off int) int {
	i := sort.Search(len(t.toks), func(i int) bool { return int(t.toks[i].Start) >= off })
	if i < len(t.toks) && int(t.toks[i].Start) == off {
		return i
	}
	return -1
}

func (t *sqlTokens) word(i int, w string) bool {
	if i < 0 || i >= len(t.toks) || t.toks[i].KeywordKind == pg_query.KeywordKind_NO_KEYWORD {
		return false
	}
	tk := t.toks[i]
	return strings.EqualFold(t.text[tk.Start:tk.End], w)
}

func (t *sqlTokens) punct(i int, c byte) bool {
	return i >= 0 && i < len(t.toks) && t.toks[i].End-t.toks[i].Start == 1 && t.text[t.toks[i].Start] == c
}

// onEnd returns the index of the first token after the ON condition that
// starts at token i.
func (t *sqlTokens) onEnd(i int) int {
	stops := []string{"join", "inner", "cross", "natural", "on", "using", "where", "group", "having", "window",
		"order", "limit", "offset", "fetch", "for", "union", "except", "intersect", "returning", "qualify", "into"}
	depth := 0
	for ; i < len(t.toks); i++ {
		switch {
		case t.punct(i, '(') || t.punct(i, '['):
			depth++
		case t.punct(i, ')') || t.punct(i, ']'):
			if depth == 0 {
				return i
			}
			depth--
		case depth > 0:
		case t.punct(i, ',') || t.punct(i, ';'):
			return i
		case (t.word(i, "left") || t.word(i, "right") || t.word(i, "full")) && (t.word(i+1, "join") || t.word(i+1, "outer")):
			return i
		default:
			for _, w := range stops {
				if t.word(i, w) {
					return i
				}
			}
		}
	}
	return len(t.toks)
}

// pitEdits rewrites the statement's point-in-time joins into ASOF joins.
func pitEdits(q *sql.Query, pits []*pitJoin) ([]edit, error) {
	t, err := scanSQL(q.Text)
	if err != nil {
		return nil, err
	}
	lost := func() error {
		return pgerror.New(pgerror.InternalError, "could not locate the point-in-time join in the statement")
	}
	byJoin := map[*pg_query.JoinExpr]*pitJoin{}
	usingByAlias := map[string]*pitJoin{}
	for _, p := range pits {
		byJoin[p.join] = p
		if p.using {
			usingByAlias[p.alias] = p
		}
	}
	// A USING join's `d.key` is the hidden column (NULL in tombstones).
	renamed := func(cr *pg_query.ColumnRef) (*pitJoin, string) {
		if len(cr.Fields) != 2 {
			return nil, ""
		}
		p := usingByAlias[cr.Fields[0].GetString_().GetSval()]
		key := cr.Fields[1].GetString_().GetSval()
		if p == nil {
			return nil, ""
		}
		if f := p.g.Feature(key); f == nil || !f.EntityKey {
			return nil, ""
		}
		return p, key
	}
	rename := func(cr *pg_query.ColumnRef) {
		if p, key := renamed(cr); p != nil {
			cr.Fields[1] = pg_query.MakeStrNode(p.visibleKey(key))
		}
	}
	var edits []edit
	var spans [][2]int // ON / USING clauses regenerated whole
	for _, p := range pits {
		if p.using {
			p.leftQual = usingQualifier(p.join.Larg, byJoin)
		}
		i := t.at(p.a.Start)
		k := i - 1
		if t.word(k, "only") {
			k--
		}
		if i < 0 || !t.word(k, "join") {
			return nil, lost()
		}
		for t.word(k-1, "outer") || t.word(k-1, "left") || t.word(k-1, "inner") {
			k--
		}
		join := "ASOF LEFT JOIN "
		if p.inner {
			join = "ASOF JOIN "
		}
		on, matchOn, err := p.onSQL(rename)
		if err != nil {
			return nil, err
		}
		if p.needsMatch() {
			join = "ASOF LEFT JOIN (" + p.matchSQL() + ") AS " + quoteIdent(p.matchAlias()) + " " + matchOn + " " + join
		}
		edits = append(edits, edit{start: int(t.toks[k].Start), end: p.a.End,
			text: join + "(" + p.rightSQL() + ") AS " + quoteIdent(p.alias)})

		qs := sort.Search(len(t.toks), func(i int) bool { return int(t.toks[i].Start) >= p.a.End })
		qe := -1
		switch {
		case p.using && t.word(qs, "using") && t.punct(qs+1, '('):
			for j := qs + 2; j < len(t.toks); j++ {
				if t.punct(j, ')') {
					qe = j
					break
				}
			}
		case !p.using && t.word(qs, "on"):
			qe = t.onEnd(qs+1) - 1
		}
		if qe <= qs {
			return nil, lost()
		}
		start, end := int(t.toks[qs].Start), int(t.toks[qe].End)
		edits = append(edits, edit{start: start, end: end, text: on})
		spans = append(spans, [2]int{start, end})
	}

	inSpan := func(off int) bool {
		for _, sp := range spans {
			if off >= sp[0] && off < sp[1] {
				return true
			}
		}
		return false
	}
	bare := map[*pg_query.ColumnRef]bool{} // a select-list item without AS
	var sels []*pg_query.SelectStmt
	sql.Walk(q.Tree, func(m proto.Message) bool {
		if sel, ok := m.(*pg_query.SelectStmt); ok {
			sels = append(sels, sel)
			for _, n := range sel.TargetList {
				if rt := n.GetResTarget(); rt != nil && rt.Name == "" {
					if cr := rt.Val.GetColumnRef(); cr != nil {
						bare[cr] = true
					}
				}
			}
		}
		return true
	})
	for _, cr := range sql.ColumnRefs(q.Tree) {
		p, key := renamed(cr)
		if p == nil || inSpan(int(cr.Location)) {
			continue
		}
		i := t.at(int(cr.Location))
		if i < 0 || !t.punct(i+1, '.') || i+2 >= len(t.toks) {
			return nil, lost()
		}
		text := quoteIdent(p.visibleKey(key))
		if bare[cr] {
			text += " AS " + quoteIdent(key)
		}
		edits = append(edits, edit{start: int(t.toks[i+2].Start), end: int(t.toks[i+2].End), text: text})
	}

	byAlias := map[string]*pitJoin{}
	for _, p := range pits {
		byAlias[p.alias] = p
	}
	// `(l JOIN g AS OF ... d USING (k)) AS j`: j.* hides the same columns.
	joinAliases := map[string][]*pitJoin{}
	var under func(n *pg_query.Node, alias string)
	under = func(n *pg_query.Node, alias string) {
		if j := n.GetJoinExpr(); j != nil {
			if p := byJoin[j]; p != nil {
				joinAliases[alias] = append(joinAliases[alias], p)
			}
			under(j.Larg, alias)
			under(j.Rarg, alias)
		}
	}
	sql.Walk(q.Tree, func(m proto.Message) bool {
		if j, ok := m.(*pg_query.JoinExpr); ok && j.Alias != nil {
			under(&pg_query.Node{Node: &pg_query.Node_JoinExpr{JoinExpr: j}}, j.Alias.Aliasname)
		}
		return true
	})
	for _, sel := range sels {
		var mine []*pitJoin
		for _, p := range pits {
			if p.sel == sel {
				mine = append(mine, p)
			}
		}
		for _, n := range sel.TargetList {
			cr := n.GetResTarget().GetVal().GetColumnRef()
			if cr == nil || len(cr.Fields) == 0 || cr.Fields[len(cr.Fields)-1].GetAStar() == nil {
				continue
			}
			i := t.at(int(cr.Location))
			switch len(cr.Fields) {
			case 1:
				if text := starSQL(mine, byJoin); text != "" && t.punct(i, '*') {
					edits = append(edits, edit{start: int(t.toks[i].Start), end: int(t.toks[i].End), text: text})
				}
			case 2:
				name := cr.Fields[0].GetString_().GetSval()
				if i < 0 || !t.punct(i+2, '*') {
					continue
				}
				text := ""
				if p := byAlias[name]; p != nil {
					text = p.qualifiedStarSQL()
				} else if under := joinAliases[name]; len(under) > 0 {
					if text = starSQL(under, nil); text != "" {
						text = quoteIdent(name) + "." + text
					}
				}
				if text != "" {
					edits = append(edits, edit{start: int(t.toks[i].Start), end: int(t.toks[i+2].End), text: text})
				}
			}
		}
	}
	return edits, nil
}

// starSQL is what `*` becomes in a SELECT holding point-in-time joins: the
// hidden columns left out and, as USING does, the key first when it is
// (byJoin nil: never).
func starSQL(pits []*pitJoin, byJoin map[*pg_query.JoinExpr]*pitJoin) string {
	var first, hide []string
	seen := map[string]bool{}
	for _, p := range pits {
		hide = append(hide, quoteAll(p.starHidden())...)
		hide = append(hide, quoteAll(p.matchHidden())...)
		if p.needsFilter() {
			hide = append(hide, quoteIdent(p.hidden("one")))
		}
		if !p.using {
			continue
		}
		keysFirst := byJoin != nil && p.keysFirst(byJoin)
		for _, k := range p.g.EntityKeys() {
			hide = append(hide, quoteIdent(p.visibleKey(k)))
			if keysFirst && !seen[k] {
				seen[k] = true
				left := quoteIdent(p.leftQual) + "." + quoteIdent(k)
				first = append(first, left+" AS "+quoteIdent(k))
				hide = append(hide, left)
			}
		}
	}
	if len(hide) == 0 {
		return ""
	}
	return strings.Join(append(first, "* EXCLUDE ("+strings.Join(hide, ", ")+")"), ", ")
}

// keysFirst reports whether PostgreSQL's `*` would start with this USING
// join's keys: its join is reached from the only FROM item through left
// sides of joins that merge no columns of their own (ON joins, and USING
// point-in-time joins, whose group keys are hidden).
func (p *pitJoin) keysFirst(byJoin map[*pg_query.JoinExpr]*pitJoin) bool {
	if p.leftQual == "" || p.sel == nil || len(p.sel.FromClause) != 1 {
		return false
	}
	for n := p.sel.FromClause[0]; ; {
		j := n.GetJoinExpr()
		if j == nil || j.Alias != nil {
			return false
		}
		if j == p.join {
			return true
		}
		if o := byJoin[j]; o == nil && (j.IsNatural || len(j.UsingClause) > 0) {
			return false
		}
		n = j.Larg
	}
}

// qualifiedStarSQL is what `d.*` becomes: the group's columns as
// PostgreSQL shows them.
func (p *pitJoin) qualifiedStarSQL() string {
	hide := quoteAll(p.starHidden())
	var ren []string
	if p.using {
		for _, k := range p.g.EntityKeys() {
			ren = append(ren, quoteIdent(p.visibleKey(k))+" AS "+quoteIdent(k))
		}
	}
	if len(hide) == 0 && len(ren) == 0 {
		return ""
	}
	out := quoteIdent(p.alias) + ".*"
	if len(hide) > 0 {
		out += " EXCLUDE (" + strings.Join(hide, ", ") + ")"
	}
	if len(ren) > 0 {
		out += " RENAME (" + strings.Join(ren, ", ") + ")"
	}
	return out
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = quoteIdent(n)
	}
	return out
}
