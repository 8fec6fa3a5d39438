package planner

import (
	"context"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Reading feature views. `v AS OF <constant>` is the view's rows as of
// that time; `JOIN v AS OF <column of an earlier relation>` is a
// point-in-time join whose right side is the view's timeline
// (featureview_sql.go), planned by pitjoin.go like a group's; a plain
// `FROM v` reads it AS OF now(), as an online lookup of a group would:
// a view has no history of its own to show.

// viewModel analyses a stored view for reading.
func (s *Session) viewModel(ctx context.Context, v *catalog.View) (*fvModel, error) {
	m, err := s.analyzeView(ctx, v.Expanded, -1, 0, false)
	if err != nil {
		e := pgerror.Wrap(err)
		return nil, pgerror.New(e.Code, `feature view "%s": %s`, v.Name, e.Message).WithHint("%s", e.Hint)
	}
	m.windowUS = v.WindowMicros
	return m, nil
}

// featureViewAsOf plans `v AS OF expr` for a feature view: an edit for a
// constant time, or a point-in-time join.
func (s *Session) featureViewAsOf(ctx context.Context, q *sql.Query, sites map[int32]fromSite, a sql.AsOf, v *catalog.View, n int) (*edit, *pitJoin, error) {
	m, err := s.viewModel(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	expr := strings.TrimSpace(a.Expr)
	if strings.EqualFold(expr, "latest") {
		expr = "now()"
	}
	if a.KnownAt != "" && refersToColumns(a.KnownAt) {
		return nil, nil, pgerror.New(pgerror.FeatureNotSupported, "KNOWN AT must be a constant time, not a column").
			WithPosition(a.KnownAtPosition + q.Offset)
	}
	if refersToColumns(expr) {
		p, err := s.newPITJoin(q, sites, a, viewAsGroup(v, m), n)
		if err != nil {
			return nil, nil, err
		}
		// The timeline marks where an entity stops having a row, as a
		// group's ttl does: the tombstone form of the join.
		p.ttl = true
		p.rightOverride = func(p *pitJoin) string { return viewPITRight(m, p) }
		return nil, p, nil
	}
	alias := a.Alias
	if alias == "" {
		alias = a.Relation.Name
	}
	g := &fvGen{knownAt: a.KnownAt}
	return &edit{start: a.Start, end: a.End, text: "(" + g.direct(m, expr) + ") AS " + quoteIdent(alias)}, nil, nil
}

// viewAsGroup describes a view's columns the way pitjoin.go reads a
// group's: its key columns, and an event time (hidden, never selected)
// that gives the type the join's time is cast to.
func viewAsGroup(v *catalog.View, m *fvModel) *catalog.Group {
	g := &catalog.Group{Schema: v.Schema, Name: v.Name}
	for _, tg := range m.targets {
		key := false
		for _, k := range m.keyOut {
			key = key || k == tg.name
		}
		g.Features = append(g.Features, &catalog.Feature{Name: tg.name, EntityKey: key, Status: catalog.Active})
	}
	g.Features = append(g.Features, &catalog.Feature{Name: "__fh_view_time", DuckDBType: m.timeType, EventTime: true, Status: catalog.Retired})
	return g
}

// viewPITRight is the right side of a point-in-time join against a view:
// its timeline under the column names pitjoin.go expects.
func viewPITRight(m *fvModel, p *pitJoin) string {
	g := &fvGen{knownAt: p.a.KnownAt}
	keyPos := map[string]int{}
	for pos, k := range m.keyOut {
		keyPos[k] = pos
	}
	var cols []string
	for _, tg := range m.targets {
		name := tg.name
		if _, ok := keyPos[name]; ok {
			name = p.visibleKey(name)
		}
		cols = append(cols, quoteIdent(tg.name)+" AS "+quoteIdent(name))
	}
	for pos, k := range m.keyOut {
		cols = append(cols, fvKey(pos)+" AS "+quoteIdent(p.joinKey(k)))
	}
	cols = append(cols, "__fh_t AS "+quoteIdent(p.timeColumn()))
	if p.needsFilter() {
		cols = append(cols, "__fh_live AS "+quoteIdent(p.hidden("live")))
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM (" + g.timeline(m) + ")"
}

// featureViewRefEdits replaces each plain reference to a feature view in a
// FROM clause (not followed by AS OF) with its rows as of now().
func (s *Session) featureViewRefEdits(ctx context.Context, q *sql.Query) ([]edit, error) {
	asOf := map[int]bool{}
	for _, a := range q.AsOf {
		asOf[a.Start] = true
	}
	ctes := map[string]bool{}
	var refs []*pg_query.RangeVar
	var item func(n *pg_query.Node)
	item = func(n *pg_query.Node) {
		switch x := n.GetNode().(type) {
		case *pg_query.Node_RangeVar:
			refs = append(refs, x.RangeVar)
		case *pg_query.Node_JoinExpr:
			item(x.JoinExpr.Larg)
			item(x.JoinExpr.Rarg)
		}
	}
	sql.Walk(q.Tree, func(m proto.Message) bool {
		switch x := m.(type) {
		case *pg_query.CommonTableExpr:
			ctes[x.Ctename] = true
		case *pg_query.SelectStmt:
			for _, n := range x.FromClause {
				item(n)
			}
		case *pg_query.UpdateStmt:
			for _, n := range x.FromClause {
				item(n)
			}
		case *pg_query.DeleteStmt:
			for _, n := range x.UsingClause {
				item(n)
			}
		}
		return true
	})
	var edits []edit
	for _, rv := range refs {
		if asOf[int(rv.Location)] || rv.Schemaname == "" && ctes[rv.Relname] || rv.Catalogname != "" {
			continue
		}
		v := s.lookupFeatureView(sql.QualifiedName{Schema: rv.Schemaname, Name: rv.Relname})
		if v == nil {
			continue
		}
		m, err := s.viewModel(ctx, v)
		if err != nil {
			return nil, err
		}
		start, end := sql.RelationSpan(q.Text, rv.Location)
		if start < 0 {
			return nil, pgerror.New(pgerror.InternalError, "could not locate feature view %s in the statement", v.Name)
		}
		text := "(" + (&fvGen{}).direct(m, "now()") + ")"
		if rv.Alias == nil {
			text += " AS " + quoteIdent(rv.Relname)
		}
		edits = append(edits, edit{start: start, end: end, text: text})
	}
	return edits, nil
}
