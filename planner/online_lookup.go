package planner

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// onlineLookup is `SELECT cols FROM g AS OF now() WHERE <whole entity key>`
// on an online group: answered from the online store in one round trip.
// It is planned once per prepared statement; executing it parses nothing.
type onlineLookup struct {
	s    *Session
	q    *sql.Query
	g    *catalog.Group
	proj []int   // record row index of each output column
	want [][]int // per record position, the output columns it fills
	cols []types.Column
	// keys: per entity key column (in key order) where its values come from.
	keys     [][]keySource
	keyTypes []string
	params   []uint32
	declared []uint32
	// offline is the DuckDB plan of the same statement, made when needed
	// (fallback, future event times, uncommitted writes of this session).
	offline plan
	// view is set for a lookup of an online feature view (g is then its
	// columns as a pseudo group).
	view *viewServing
	// masks: per output column, the masking function the role reads it
	// through (nil: no masking; masking.go).
	masks []func(any) any
}

// keySource is one value for a key column: a constant, a parameter, or a
// parameter holding an array of values (= ANY($n)).
type keySource struct {
	param   int // 1-based; 0 for a constant
	array   bool
	literal any
}

// isNowExpr reports the AS OF times the online store can answer.
func isNowExpr(expr string) bool {
	e := strings.ToLower(strings.Join(strings.Fields(expr), ""))
	switch e {
	case "now()", "current_timestamp", "latest", "transaction_timestamp()", "statement_timestamp()", "clock_timestamp()":
		return true
	}
	return false
}

// onlineLookupPlan returns the online plan of q, or nil when q is not a
// lookup the online store answers (it then runs on DuckDB).
func (s *Session) onlineLookupPlan(q *sql.Query, declared []uint32) *onlineLookup {
	o := s.p.online
	if o == nil || len(q.AsOf) != 1 || !isNowExpr(q.AsOf[0].Expr) || q.AsOf[0].KnownAt != "" || q.Tree == nil || len(q.Tree.Stmts) != 1 {
		return nil
	}
	sel := q.Tree.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || sel.Op != pg_query.SetOperation_SETOP_NONE || sel.WithClause != nil || len(sel.DistinctClause) > 0 ||
		sel.IntoClause != nil || len(sel.GroupClause) > 0 || sel.HavingClause != nil || len(sel.WindowClause) > 0 ||
		len(sel.SortClause) > 0 || sel.LimitCount != nil || sel.LimitOffset != nil || len(sel.LockingClause) > 0 ||
		len(sel.ValuesLists) > 0 || len(sel.FromClause) != 1 || sel.WhereClause == nil {
		return nil
	}
	rv := sel.FromClause[0].GetRangeVar()
	if rv == nil {
		return nil
	}
	var vs *viewServing
	g := s.lookupGroup(sql.QualifiedName{Schema: rv.Schemaname, Name: rv.Relname})
	if g == nil {
		v := s.lookupFeatureView(sql.QualifiedName{Schema: rv.Schemaname, Name: rv.Relname})
		if v == nil || !v.Online {
			return nil
		}
		var err error
		if vs, err = s.viewServingFor(context.Background(), v); err != nil {
			return nil
		}
		g = vs.g
	} else if !onlineEligible(g) || g.EventTime() == nil || !isTimestampTZ(g.EventTime().DuckDBType) {
		return nil
	}
	alias := g.Name
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
	}
	l := &onlineLookup{s: s, q: q, g: g, declared: declared, view: vs}
	if !l.project(sel.TargetList, alias) || !l.keyFilter(sel.WhereClause, alias) {
		return nil
	}
	l.want = make([][]int, len(g.Features))
	for i, f := range l.proj {
		l.want[f] = append(l.want[f], i)
	}
	if vs == nil {
		l.applyMasks() // masking.go
	}
	// Parameters: every $n must be a key source.
	n := 0
	for _, ks := range l.keys {
		for _, k := range ks {
			n = max(n, k.param)
		}
	}
	if len(paramRefs(q.Tree)) > 0 && n == 0 {
		return nil
	}
	l.params = make([]uint32, n)
	for i, ks := range l.keys {
		for _, k := range ks {
			if k.param == 0 {
				continue
			}
			t := l.keyTypes[i]
			if k.array {
				t += "[]"
			}
			l.params[k.param-1] = types.FromDuckDB(t).OID
		}
	}
	for i := range l.params {
		if i < len(declared) && declared[i] != 0 {
			l.params[i] = declared[i]
		}
		if l.params[i] == 0 {
			return nil // a parameter that is not a key value
		}
	}
	return l
}

// project resolves the target list to record columns.
func (l *onlineLookup) project(targets []*pg_query.Node, alias string) bool {
	g := l.g
	add := func(f int, name string) bool {
		if g.Features[f].Status == catalog.Draft {
			return false // draft features are not served online
		}
		l.proj = append(l.proj, f)
		l.cols = append(l.cols, types.Column{Name: name, Type: types.FromDuckDB(g.Features[f].DuckDBType)})
		return true
	}
	for _, t := range targets {
		rt := t.GetResTarget()
		if rt == nil {
			return false
		}
		cr := rt.Val.GetColumnRef()
		if cr == nil {
			return false
		}
		fields := cr.Fields
		if len(fields) == 2 {
			q := fields[0].GetString_()
			if q == nil || (q.Sval != alias) {
				return false
			}
			fields = fields[1:]
		}
		if len(fields) != 1 {
			return false
		}
		if fields[0].GetAStar() != nil {
			for i, f := range g.Features {
				if f.Status == catalog.Retired {
					continue
				}
				if !add(i, f.Name) {
					return false
				}
			}
			continue
		}
		name := fields[0].GetString_()
		if name == nil {
			return false
		}
		idx := -1
		for i, f := range g.Features {
			if f.Name == name.Sval && f.Status != catalog.Retired {
				idx = i
			}
		}
		if idx < 0 {
			return false // DuckDB reports the unknown column
		}
		out := name.Sval
		if rt.Name != "" {
			out = rt.Name
		}
		if !add(idx, out) {
			return false
		}
	}
	return len(l.proj) > 0
}

// keyFilter checks that where is a conjunction covering each entity key
// column exactly once with =, IN or = ANY, and records the sources.
func (l *onlineLookup) keyFilter(where *pg_query.Node, alias string) bool {
	var conj []*pg_query.Node
	if be := where.GetBoolExpr(); be != nil {
		if be.Boolop != pg_query.BoolExprType_AND_EXPR {
			return false
		}
		conj = be.Args
	} else {
		conj = []*pg_query.Node{where}
	}
	keyIdx := map[string]int{}
	for _, f := range l.g.Features {
		if f.EntityKey {
			keyIdx[f.Name] = len(l.keyTypes)
			l.keyTypes = append(l.keyTypes, f.DuckDBType)
		}
	}
	l.keys = make([][]keySource, len(l.keyTypes))
	for _, c := range conj {
		ae := c.GetAExpr()
		if ae == nil || len(ae.Name) != 1 || ae.Name[0].GetString_() == nil || ae.Name[0].GetString_().Sval != "=" {
			return false
		}
		col, other := ae.Lexpr, ae.Rexpr
		if columnName(col, alias) == "" && ae.Kind == pg_query.A_Expr_Kind_AEXPR_OP {
			col, other = other, col
		}
		name := columnName(col, alias)
		i, ok := keyIdx[name]
		if !ok || l.keys[i] != nil {
			return false
		}
		var srcs []keySource
		switch ae.Kind {
		case pg_query.A_Expr_Kind_AEXPR_OP:
			src, ok := valueSource(other)
			if !ok {
				return false
			}
			srcs = []keySource{src}
		case pg_query.A_Expr_Kind_AEXPR_IN:
			list := other.GetList()
			if list == nil {
				return false
			}
			for _, item := range list.Items {
				src, ok := valueSource(item)
				if !ok {
					return false
				}
				srcs = append(srcs, src)
			}
		case pg_query.A_Expr_Kind_AEXPR_OP_ANY:
			if arr := unwrapCast(other).GetAArrayExpr(); arr != nil {
				for _, item := range arr.Elements {
					src, ok := valueSource(item)
					if !ok {
						return false
					}
					srcs = append(srcs, src)
				}
			} else if p := unwrapCast(other).GetParamRef(); p != nil {
				srcs = []keySource{{param: int(p.Number), array: true}}
			} else {
				return false
			}
		default:
			return false
		}
		l.keys[i] = srcs
	}
	for _, k := range l.keys {
		if k == nil {
			return false
		}
	}
	return true
}

// columnName is the column a ColumnRef names ("" if n is not one, or is
// qualified by something other than alias).
func columnName(n *pg_query.Node, alias string) string {
	cr := n.GetColumnRef()
	if cr == nil {
		return ""
	}
	f := cr.Fields
	if len(f) == 2 {
		if q := f[0].GetString_(); q == nil || q.Sval != alias {
			return ""
		}
		f = f[1:]
	}
	if len(f) != 1 || f[0].GetString_() == nil {
		return ""
	}
	return f[0].GetString_().Sval
}

func unwrapCast(n *pg_query.Node) *pg_query.Node {
	for n != nil && n.GetTypeCast() != nil {
		n = n.GetTypeCast().Arg
	}
	return n
}

// valueSource reads a constant or $n (optionally cast).
func valueSource(n *pg_query.Node) (keySource, bool) {
	n = unwrapCast(n)
	if p := n.GetParamRef(); p != nil {
		return keySource{param: int(p.Number)}, true
	}
	c := n.GetAConst()
	if c == nil || c.Isnull {
		return keySource{}, false
	}
	switch {
	case c.GetSval() != nil:
		return keySource{literal: c.GetSval().Sval}, true
	case c.GetIval() != nil:
		return keySource{literal: int64(c.GetIval().Ival)}, true
	case c.GetFval() != nil:
		return keySource{literal: c.GetFval().Fval}, true
	}
	return keySource{}, false
}

func (l *onlineLookup) describe(ctx context.Context) ([]uint32, []types.Column, error) {
	return l.params, l.cols, nil
}

func (l *onlineLookup) close() {
	if l.offline != nil {
		l.offline.close()
	}
}

// keyValues expands the sources into the canonical keys asked for, in
// order, without duplicates.
func (l *onlineLookup) keyValues(args []any) ([]string, error) {
	// The common case, one key column = one value: no product, no set.
	if len(l.keys) == 1 && len(l.keys[0]) == 1 && !l.keys[0][0].array {
		src := l.keys[0][0]
		v := src.literal
		if src.param > 0 {
			if src.param > len(args) {
				return nil, pgerror.New(pgerror.ProtocolViolation, "bind message supplies %d parameters, but prepared statement requires %d", len(args), len(l.params))
			}
			v = args[src.param-1]
		}
		if v == nil {
			return nil, nil
		}
		k, err := canonicalKeyPart(l.keyTypes[0], v)
		if err != nil {
			return nil, pgerror.New(pgerror.InvalidTextRepresentation, "invalid input syntax for type %s: %q",
				pgTypeDisplay(types.FromDuckDB(l.keyTypes[0])), fmt.Sprint(v))
		}
		return []string{k}, nil
	}
	per := make([][]string, len(l.keys))
	for i, srcs := range l.keys {
		for _, src := range srcs {
			var vals []any
			switch {
			case src.param == 0:
				vals = []any{src.literal}
			case src.param > len(args):
				return nil, pgerror.New(pgerror.ProtocolViolation, "bind message supplies %d parameters, but prepared statement requires %d", len(args), len(l.params))
			case src.array:
				vals = toSlice(args[src.param-1])
			default:
				vals = []any{args[src.param-1]}
			}
			for _, v := range vals {
				if v == nil {
					continue // = NULL matches nothing
				}
				k, err := canonicalKeyPart(l.keyTypes[i], v)
				if err != nil {
					return nil, pgerror.New(pgerror.InvalidTextRepresentation, "invalid input syntax for type %s: %q",
						pgTypeDisplay(types.FromDuckDB(l.keyTypes[i])), fmt.Sprint(v))
				}
				per[i] = append(per[i], k)
			}
		}
	}
	// Cartesian product over the key columns (one column: the list).
	out := []string{}
	seen := map[string]bool{}
	parts := make([]string, len(per))
	var walk func(int)
	walk = func(i int) {
		if i == len(per) {
			k := entityKey(parts)
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
			return
		}
		for _, v := range per[i] {
			parts[i] = v
			walk(i + 1)
		}
	}
	walk(0)
	return out, nil
}

func toSlice(v any) []any {
	if s, ok := v.([]any); ok {
		return s
	}
	if s, ok := v.(string); ok {
		// Array parameters arrive as DuckDB list text (sql/types.DecodeParam).
		if items, err := types.SplitDuckList(s); err == nil {
			return items
		}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return []any{v}
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out
}

// counted is a store that says how many keys it answered from its cache.
type counted interface {
	GetCounted(ctx context.Context, ns string, keys []string) ([][]byte, int, error)
}

func (l *onlineLookup) execute(ctx context.Context, args []any) (any, error) {
	if l.view != nil {
		return l.lookupView(ctx, args) // online_view.go
	}
	o := l.s.p.online
	if l.s.hasPendingOnline(l.g.ID) {
		return l.runOffline(ctx, args) // this transaction's own writes are not online yet
	}
	keys, err := l.keyValues(args)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var recs [][]byte
	hits := 0
	if len(keys) > 0 {
		if c, ok := o.store.(counted); ok {
			recs, hits, err = c.GetCounted(ctx, o.namespace(l.g), keys)
		} else {
			recs, err = o.store.Get(ctx, o.namespace(l.g), keys)
		}
	}
	if err != nil {
		o.stats.observe(l.g, RouteOnline, time.Since(start), len(keys), 0, 0, err)
		if ctx.Err() != nil {
			return nil, pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
		}
		if o.fallback {
			fs := time.Now()
			res, ferr := l.runOffline(ctx, args)
			o.stats.observe(l.g, RouteFallback, time.Since(fs), len(keys), 0, 0, ferr)
			return res, ferr
		}
		return nil, unavailable(err)
	}
	nowUS := time.Now().UnixMicro()
	rows := make([][]any, 0, len(recs))
	for _, b := range recs {
		if b == nil {
			continue
		}
		r, err := recordHead(b)
		if err != nil {
			return nil, pgerror.New(pgerror.DataCorrupted, "online record of feature group \"%s\": %v", l.g.Name, err)
		}
		if r.etMicros > nowUS {
			// The latest event is in the future: the answer as of now is an
			// older row, which only the offline data has.
			return l.runOffline(ctx, args)
		}
		if r.expireMicros != minInt64 && nowUS > r.expireMicros {
			continue
		}
		// Only the selected features are decoded; one added after the
		// record was written reads NULL.
		out := make([]any, len(l.proj))
		if err := types.DecodeRowSelect(b[recordHeader:], l.want, out); err != nil {
			return nil, pgerror.New(pgerror.DataCorrupted, "online record of feature group \"%s\": %v", l.g.Name, err)
		}
		for i, m := range l.masks {
			if m != nil {
				out[i] = m(out[i])
			}
		}
		rows = append(rows, out)
	}
	o.stats.observe(l.g, RouteOnline, time.Since(start), len(keys), len(rows), hits, nil)
	return newStaticRows(l.cols, rows, fmt.Sprintf("SELECT %d", len(rows))), nil
}

const minInt64 = -1 << 63

// runOffline answers the statement from DuckDB.
func (l *onlineLookup) runOffline(ctx context.Context, args []any) (any, error) {
	if l.offline == nil {
		// The parameters are typed as the online plan described them.
		p, err := l.s.duckdbPlan(ctx, l.q, l.params)
		if err != nil {
			return nil, err
		}
		if _, _, err := p.describe(ctx); err != nil {
			p.close()
			return nil, err
		}
		l.offline = p
	}
	return l.offline.execute(ctx, args)
}

// hasPendingOnline reports uncommitted online changes of this session's
// transaction to the group.
func (s *Session) hasPendingOnline(groupID int64) bool {
	for _, op := range s.pendingOnline {
		if op.g.ID == groupID {
			return true
		}
	}
	for _, g := range s.onlineMissed {
		if g.ID == groupID {
			return true
		}
	}
	return false
}

// explain describes the online route as EXPLAIN rows.
func (l *onlineLookup) explain() [][]any {
	o := l.s.p.online
	trips := "1"
	if n := o.store.Nodes(); n > 1 {
		trips = fmt.Sprintf("1 per node involved (at most %d, in parallel)", n)
	}
	var keyDesc []string
	i := 0
	for _, f := range l.g.Features {
		if !f.EntityKey {
			continue
		}
		srcs := l.keys[i]
		i++
		switch {
		case len(srcs) == 1 && srcs[0].array:
			keyDesc = append(keyDesc, fmt.Sprintf("%s = ANY($%d)", f.Name, srcs[0].param))
		case len(srcs) == 1 && srcs[0].param > 0:
			keyDesc = append(keyDesc, fmt.Sprintf("%s = $%d", f.Name, srcs[0].param))
		case len(srcs) == 1:
			lit := fmt.Sprint(srcs[0].literal)
			if _, isText := srcs[0].literal.(string); isText {
				lit = duckdb.QuoteString(lit)
			}
			keyDesc = append(keyDesc, fmt.Sprintf("%s = %s", f.Name, lit))
		default:
			keyDesc = append(keyDesc, fmt.Sprintf("%s IN (%d values)", f.Name, len(srcs)))
		}
	}
	what, ns := "", ""
	if l.view != nil {
		what, ns = "feature view ", l.view.ns
		if ns == "" {
			ns = "built at first use"
		}
	} else {
		ns = o.namespace(l.g)
	}
	names := make([]string, len(l.cols))
	for i, c := range l.cols {
		names[i] = c.Name
	}
	fallback := "none (lookups fail with SQLSTATE HV00N while the store is unreachable)"
	if o.fallback {
		fallback = "DuckDB when the store is unreachable"
	}
	return [][]any{
		{"Route: online store (" + o.store.Kind() + ")"},
		{"Online Lookup on " + what + l.g.QualifiedName() + " (namespace " + ns + ")"},
		{"  Entity key: " + strings.Join(keyDesc, " AND ")},
		{"  Round trips: " + trips},
		{"  Output: " + strings.Join(names, ", ")},
		{"  Fallback: " + fallback},
	}
}

func isTimestampTZ(duckType string) bool {
	return duckType == "TIMESTAMPTZ" || duckType == "TIMESTAMP WITH TIME ZONE"
}
