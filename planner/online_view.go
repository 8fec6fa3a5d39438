package planner

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/online"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// Online feature views. A view with online = true keeps, per entity, its
// current row in the online store: after every committed write to one of
// its source groups (all online themselves), the rows of the entities
// written are recomputed from the offline data with the same SQL that
// `v AS OF now()` runs, so the online answer is the offline answer. A
// record also carries the view's next change time for that entity (from
// the view's timeline: a row entering or leaving a window, a source row
// leaving its ttl, a future event taking effect); a lookup that finds a
// record past that time recomputes the entity before answering, so
// windowed aggregates are exact without a write. The records of a view
// are rebuilt in full on first use by this server (start), on REFRESH
// ONLINE of the view or a source group and after a TRUNCATE of a source.
//
// A record's row is [live, view columns...]: live is false for an entity
// that has no row now but will have one at the next change time.

// viewServing is what serving one online view needs.
type viewServing struct {
	v        *catalog.View
	m        *fvModel
	g        *catalog.Group // the view's columns as a pseudo group (lookup planning)
	keyTypes []string

	mu    sync.Mutex // one recompute at a time: read and write under it
	ns    string     // current namespace; "" until the first full build
	built bool
}

// viewLiveColumn is the hidden first column of a view's records.
const viewLiveColumn = "__fh_live"

// checkOnlineView is run at CREATE FEATURE VIEW ... WITH (online = true):
// its source groups must be online, with the view's entity key (same
// number of columns and types, in order), and times with time zone.
func (s *Session) checkOnlineView(v *catalog.View, m *fvModel) error {
	if !isTimestampTZ(m.timeType) {
		return pgerror.New(pgerror.FeatureNotSupported, "online feature views need TIMESTAMPTZ event times, not %s", m.timeType)
	}
	for _, qn := range v.SourceGroups {
		schema, name, _ := strings.Cut(qn, ".")
		g := s.p.catalog.Lookup(schema, name)
		if g == nil {
			return pgerror.New(pgerror.UndefinedTable, `feature group "%s" does not exist`, qn)
		}
		if !onlineEligible(g) {
			return pgerror.New(pgerror.FeatureNotSupported, `online feature view "%s" reads feature group "%s", which is not online`, v.Name, g.Name).
				WithHint("Set online = true on the source groups first (ALTER FEATURE GROUP ... SET (online = true)).")
		}
		if len(g.EntityKeys()) != len(v.EntityKeys) {
			return pgerror.New(pgerror.FeatureNotSupported, `online feature view "%s" must have the entity key of feature group "%s"`, v.Name, g.Name)
		}
	}
	return nil
}

// viewServingFor returns the serving state of an online view, made on
// first use (then its records are rebuilt in full).
func (s *Session) viewServingFor(ctx context.Context, v *catalog.View) (*viewServing, error) {
	o := s.p.online
	o.mu.Lock()
	if o.views == nil {
		o.views = map[int64]*viewServing{}
	}
	vs := o.views[v.ID]
	o.mu.Unlock()
	if vs != nil && vs.v == v {
		return vs, nil
	}
	m, err := s.viewModel(ctx, v)
	if err != nil {
		return nil, err
	}
	st, err := s.conn.Prepare(ctx, "SELECT * FROM ("+(&fvGen{}).direct(m, "now()")+") LIMIT 0")
	if err != nil {
		return nil, err
	}
	cols, ok := st.Columns()
	_ = st.Close()
	if !ok {
		return nil, pgerror.New(pgerror.InternalError, "could not describe feature view %s", v.Name)
	}
	g := &catalog.Group{ID: -v.ID, Schema: v.Schema, Name: v.Name, Online: true}
	g.Features = append(g.Features, &catalog.Feature{Name: viewLiveColumn, DuckDBType: "BOOLEAN", Status: catalog.Retired})
	vs = &viewServing{v: v, m: m, g: g}
	for _, c := range cols {
		key := slices.Contains(v.EntityKeys, c.Name)
		g.Features = append(g.Features, &catalog.Feature{Name: c.Name, DuckDBType: c.Type, EntityKey: key, Status: catalog.Active})
	}
	for _, k := range v.EntityKeys {
		for _, c := range cols {
			if c.Name == k {
				if !keyTypeSupported(c.Type) {
					return nil, pgerror.New(pgerror.FeatureNotSupported, "entity keys of type %s are not served online", c.Type)
				}
				vs.keyTypes = append(vs.keyTypes, c.Type)
			}
		}
	}
	o.mu.Lock()
	if cur := o.views[v.ID]; cur != nil && cur.v == v {
		vs = cur
	} else {
		o.views[v.ID] = vs
	}
	o.mu.Unlock()
	return vs, nil
}

// onlineViewsOf lists the online views reading group g.
func (s *Session) onlineViewsOf(g *catalog.Group) []*catalog.View {
	var out []*catalog.View
	qn := g.Schema + "." + g.Name
	for _, v := range s.p.catalog.Views() {
		if v.Online && slices.Contains(v.SourceGroups, qn) {
			out = append(out, v)
		}
	}
	return out
}

// onlineViewsAfter brings the online views reading g up to date after a
// committed change of g: the entities keys (canonical), or all of them.
// A failure is reported as a WARNING: the view is rebuilt at its next use.
func (s *Session) onlineViewsAfter(ctx context.Context, g *catalog.Group, keys []string, all bool) {
	if s.p.online == nil || (!all && len(keys) == 0) {
		return
	}
	for _, v := range s.onlineViewsOf(g) {
		vs, err := s.viewServingFor(ctx, v)
		if err == nil {
			vs.mu.Lock()
			if all || !vs.built {
				err = s.rebuildView(ctx, vs)
			} else {
				_, err = s.recomputeView(ctx, vs, keys)
			}
			if err != nil {
				vs.built = false // rebuilt in full at the next use
			}
			vs.mu.Unlock()
		}
		if err != nil {
			s.p.log.Warn("online: feature view not updated", "view", v.QualifiedName(), "err", err)
			s.notify(&pgerror.Error{Severity: "WARNING", Code: pgerror.FDWUnableToEstablishConnection,
				Message: fmt.Sprintf("online feature view %s was not updated: %v", v.Name, err),
				Hint:    "It is rebuilt from the offline data at its next use."})
		}
	}
}

// viewRowsSQL is the view's current rows with each entity's next change
// time: the statement's own AS OF now() rows (present), full-joined with
// the first timeline point after now.
func viewRowsSQL(vs *viewServing, keys []string) string {
	m := vs.m
	g := &fvGen{}
	keyCols := make([]string, len(m.keyOut))
	nextKeys := make([]string, len(m.keyOut))
	for i, k := range m.keyOut {
		keyCols[i] = quoteIdent(k)
		nextKeys[i] = fvKey(i) + " AS " + quoteIdent(k)
	}
	var cols []string
	for _, f := range vs.g.Features[1:] {
		cols = append(cols, quoteIdent(f.Name))
	}
	q := "SELECT __fh_present IS NOT NULL AS __fh_present, epoch_us(__fh_next) AS __fh_next, " + strings.Join(cols, ", ") +
		" FROM (SELECT *, true AS __fh_present FROM (" + g.direct(m, "now()") + ")) AS __fh_cur" +
		" FULL JOIN (SELECT " + strings.Join(nextKeys, ", ") + ", min(__fh_t) AS __fh_next FROM (" + g.timeline(m) +
		") WHERE __fh_t > CAST(now() AS " + m.timeType + ") GROUP BY ALL) AS __fh_nx USING (" + strings.Join(keyCols, ", ") + ")"
	if keys != nil {
		// A superset for composite keys; the exact set is kept in Go.
		var conds []string
		for i := range m.keyOut {
			var lits []string
			seen := map[string]bool{}
			for _, k := range keys {
				parts := splitEntityKey(k, len(m.keyOut))
				if i < len(parts) && !seen[parts[i]] {
					seen[parts[i]] = true
					lits = append(lits, duckdb.QuoteString(parts[i]))
				}
			}
			if len(lits) == 0 {
				lits = append(lits, "NULL")
			}
			conds = append(conds, "CAST("+keyCols[i]+" AS VARCHAR) IN ("+strings.Join(lits, ", ")+")")
		}
		q = "SELECT * FROM (" + q + ") WHERE " + strings.Join(conds, " AND ")
	}
	return q
}

// viewEntries runs viewRowsSQL and makes the records (keys nil: all).
func (s *Session) viewEntries(ctx context.Context, vs *viewServing, keys []string) ([]online.Entry, error) {
	conn, err := s.p.engine.Connect(ctx) // committed data only
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rows, err := conn.Query(ctx, viewRowsSQL(vs, keys))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var want map[string]bool
	if keys != nil {
		want = make(map[string]bool, len(keys))
		for _, k := range keys {
			want[k] = true
		}
	}
	keyIdx := make([]int, 0, len(vs.keyTypes))
	for i, f := range vs.g.Features[1:] {
		if f.EntityKey {
			keyIdx = append(keyIdx, i)
		}
	}
	var out []online.Entry
	parts := make([]string, len(keyIdx))
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		present, _ := r[0].(bool)
		vals := r[2:]
		ok := true
		for j, i := range keyIdx {
			if parts[j], err = canonicalKeyPart(vs.keyTypes[j], vals[i]); err != nil || vals[i] == nil {
				ok = false
			}
		}
		if !ok {
			continue
		}
		key := entityKey(parts)
		if want != nil && !want[key] {
			continue
		}
		var exp *int64
		if n, isInt := r[1].(int64); isInt {
			exp = &n
		}
		row := append([]any{present}, vals...)
		rec, err := encodeRecord(0, 0, exp, row)
		if err != nil {
			return nil, err
		}
		out = append(out, online.Entry{Key: key, Value: rec})
	}
}

// recomputeView replaces the records of keys with their current rows
// (none: the record goes) and returns the new records by key. The caller
// holds vs.mu.
func (s *Session) recomputeView(ctx context.Context, vs *viewServing, keys []string) (map[string][]byte, error) {
	entries, err := s.viewEntries(ctx, vs, keys)
	if err != nil {
		return nil, err
	}
	got := make(map[string][]byte, len(entries))
	for _, e := range entries {
		got[e.Key] = e.Value
	}
	for _, k := range keys {
		if _, ok := got[k]; !ok {
			entries = append(entries, online.Entry{Key: k})
		}
	}
	for i := 0; i < len(entries); i += recordBatch {
		if err := s.p.online.store.Replace(ctx, vs.ns, entries[i:min(i+recordBatch, len(entries))]); err != nil {
			return nil, err
		}
	}
	return got, nil
}

// rebuildView writes every record of the view into a new namespace and
// switches to it. The caller holds vs.mu.
func (s *Session) rebuildView(ctx context.Context, vs *viewServing) error {
	entries, err := s.viewEntries(ctx, vs, nil)
	if err != nil {
		return err
	}
	store := s.p.online.store
	ns := fmt.Sprintf("v%d.%d", vs.v.ID, time.Now().UnixNano())
	for i := 0; i < len(entries); i += recordBatch {
		if err := store.Replace(ctx, ns, entries[i:min(i+recordBatch, len(entries))]); err != nil {
			_ = store.DropNamespace(context.WithoutCancel(ctx), ns)
			return err
		}
	}
	old := vs.ns
	vs.ns, vs.built = ns, true
	if old != "" {
		_ = store.DropNamespace(context.WithoutCancel(ctx), old)
	}
	return nil
}

// dropOnlineView forgets a dropped view's records.
func (s *Session) dropOnlineView(v *catalog.View) {
	o := s.p.online
	if o == nil {
		return
	}
	o.mu.Lock()
	vs := o.views[v.ID]
	delete(o.views, v.ID)
	o.mu.Unlock()
	if vs != nil && vs.ns != "" {
		_ = o.store.DropNamespace(context.Background(), vs.ns)
	}
}

// lookupView answers an online lookup of a view (onlineLookup.execute).
func (l *onlineLookup) lookupView(ctx context.Context, args []any) (any, error) {
	s, vs, o := l.s, l.view, l.s.p.online
	for _, qn := range vs.v.SourceGroups {
		schema, name, _ := strings.Cut(qn, ".")
		if g := s.p.catalog.Lookup(schema, name); g != nil && s.hasPendingOnline(g.ID) {
			return l.runOffline(ctx, args)
		}
	}
	keys, err := l.keyValues(args)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if !vs.built {
		if err := s.rebuildView(ctx, vs); err != nil {
			return nil, unavailable(err)
		}
	}
	var recs [][]byte
	if len(keys) > 0 {
		if recs, err = o.store.Get(ctx, vs.ns, keys); err != nil {
			o.stats.observe(l.g, RouteOnline, time.Since(start), len(keys), 0, 0, err)
			if o.fallback {
				return l.runOffline(ctx, args)
			}
			return nil, unavailable(err)
		}
	}
	nowUS := time.Now().UnixMicro()
	var stale []string
	for i, b := range recs {
		if b == nil {
			continue
		}
		r, err := recordHead(b)
		if err != nil {
			return nil, pgerror.New(pgerror.DataCorrupted, "online record of feature view \"%s\": %v", vs.v.Name, err)
		}
		if r.expireMicros != minInt64 && nowUS >= r.expireMicros {
			stale = append(stale, keys[i])
		}
	}
	if len(stale) > 0 {
		fresh, err := s.recomputeView(ctx, vs, stale)
		if err != nil {
			return nil, unavailable(err)
		}
		for i, k := range keys {
			if slices.Contains(stale, k) {
				recs[i] = fresh[k]
			}
		}
	}
	rows := make([][]any, 0, len(recs))
	for _, b := range recs {
		if b == nil {
			continue
		}
		row, err := types.DecodeRow(nil, b[recordHeader:])
		if err != nil || len(row) == 0 {
			return nil, pgerror.New(pgerror.DataCorrupted, "online record of feature view \"%s\": %v", vs.v.Name, err)
		}
		if live, _ := row[0].(bool); !live {
			continue
		}
		out := make([]any, len(l.proj))
		for i, f := range l.proj {
			if f < len(row) {
				out[i] = row[f]
			}
		}
		rows = append(rows, out)
	}
	o.stats.observe(l.g, RouteOnline, time.Since(start), len(keys), len(rows), 0, nil)
	return newStaticRows(l.cols, rows, fmt.Sprintf("SELECT %d", len(rows))), nil
}

// splitEntityKey is entityKey's inverse for n parts.
func splitEntityKey(k string, n int) []string {
	if n == 1 {
		return []string{k}
	}
	b := []byte(k)
	out := make([]string, 0, n)
	for len(b) > 0 {
		l, w := binary.Uvarint(b)
		if w <= 0 || int(l) > len(b)-w {
			return out
		}
		out = append(out, string(b[w:w+int(l)]))
		b = b[w+int(l):]
	}
	return out
}
