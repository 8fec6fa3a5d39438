package planner

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
)

// The SQL that evaluates a feature view.
//
// As of a constant time t (direct): the definition as written, each source
// replaced by its rows as of t — a group's latest row per entity within
// ttl (asOfKnownSQL), a view's own rows as of t — or, for an aggregating
// view, the group's events with event time <= t (and > t - window).
//
// For point-in-time joins (timeline): the view's value per entity as a
// step function of time, one row per entity and change point, with the
// hidden columns
//
//	__fh_k1..__fh_kn  the entity key, in the key order of the first source
//	__fh_t            the time from which the row holds (event time type)
//	__fh_live         false when the entity has no row from then on
//
// followed by the view's columns (NULL when not live). The value at t is
// the row with the greatest __fh_t <= t: one ASOF join per left relation,
// never a subquery per left row. Join views combine the timelines of their
// sources at every change point of any of them (each source PIT-joined
// separately, then the user's join, filter and projection applied per
// point); aggregating views compute running aggregates with window frames
// over each entity's events ordered by time (RANGE frames include every
// event at the same time, so ties are exact), with extra rows where an
// event leaves the window.

// fvGen generates the SQL of feature views.
type fvGen struct {
	knownAt string // KNOWN AT expression: only rows written by then ("" for all)
	n       int    // makes CTE names unique within one statement
}

func (g *fvGen) uniq(base string) string {
	g.n++
	return fmt.Sprintf("__fh_%s_%d", base, g.n)
}

func fvKey(pos int) string     { return fmt.Sprintf("__fh_k%d", pos+1) }
func fvViewKey(pos int) string { return fmt.Sprintf("__fh_vk%d", pos+1) }

func (g *fvGen) knownCond() string {
	if g.knownAt == "" {
		return ""
	}
	return duckdb.WrittenAtColumn + " <= CAST((" + g.knownAt + ") AS TIMESTAMPTZ)"
}

func fvAllRows(g *catalog.Group) string {
	l := g.Layout()
	return l.AllRowsView()
}

func isDateType(t string) bool { return strings.EqualFold(t, "DATE") }

// fvOrder maps an event time to an integer that orders it and in which a
// window is a fixed width: microseconds since the epoch, or days for DATE.
func fvOrder(timeType, x string) string {
	if isDateType(timeType) {
		return "(" + x + " - DATE '1970-01-01')"
	}
	return "epoch_us(" + x + ")"
}

// windowWidth is the window in fvOrder units. For DATE event times an event
// of day e is in (t - w, t] for day t exactly when t - e < ceil(w / 1 day).
func (m *fvModel) windowWidth() int64 {
	if isDateType(m.timeType) {
		const day = int64(86400_000_000)
		return (m.windowUS + day - 1) / day
	}
	return m.windowUS
}

// direct is the view's rows as of the constant time t (an SQL expression).
func (g *fvGen) direct(m *fvModel, t string) string {
	edits := make([]edit, 0, len(m.sources))
	for _, src := range m.sources {
		var rows string
		switch {
		case src.view != nil:
			rows = g.direct(src.model, t)
		case m.aggregatingView():
			rows = g.events(m, t)
		default:
			rows = asOfKnownSQL(src.group, t, g.knownAt)
		}
		text := "(" + rows + ")"
		if !src.hasAlias {
			text += " AS " + quoteIdent(src.alias)
		}
		edits = append(edits, edit{start: src.nameStart, end: src.nameEnd, text: text})
	}
	return applyEdits(m.text, edits)
}

// events is the group's events an aggregating view aggregates as of t.
func (g *fvGen) events(m *fvModel, t string) string {
	src := m.sources[0]
	et := quoteIdent(src.group.EventTime().Name)
	tt := "CAST((" + t + ") AS " + m.timeType + ")"
	cols := make([]string, len(src.cols))
	for i, c := range src.cols {
		cols[i] = quoteIdent(c)
	}
	where := et + " <= " + tt
	if m.windowUS > 0 {
		where += fmt.Sprintf(" AND %s > %s - %d", fvOrder(m.timeType, et), fvOrder(m.timeType, tt), m.windowWidth())
	}
	if k := g.knownCond(); k != "" {
		where += " AND " + k
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + fvAllRows(src.group) + " WHERE " + where
}

// timeline is the view's value per entity over time (see above).
func (g *fvGen) timeline(m *fvModel) string {
	if m.aggregatingView() {
		return g.aggregateTimeline(m)
	}
	return g.joinTimeline(m)
}

// sourceTimeline is a source's timeline with its keys under the hidden
// names of the view's key positions.
func (g *fvGen) sourceTimeline(src *fvSource) string {
	if src.view != nil {
		cols := make([]string, 0, len(src.keys)+2+len(src.cols))
		for k := range src.keys {
			cols = append(cols, fvKey(k)+" AS "+fvKey(src.keyPos[k]))
		}
		cols = append(cols, "__fh_t", "__fh_live")
		for _, c := range src.cols {
			cols = append(cols, quoteIdent(c))
		}
		return "SELECT " + strings.Join(cols, ", ") + " FROM (" + g.timeline(src.model) + ")"
	}
	return g.groupTimeline(src)
}

// groupTimeline is a group's rows unique per (key, event time) — the last
// write wins a tie — and, with a ttl, rows marking where a row stops (and,
// at month ends, starts again) being within ttl, unless a newer row
// replaces it by then (ttlSQL): the same rule as `AS OF` on the group.
func (g *fvGen) groupTimeline(src *fvSource) string {
	grp := src.group
	all := fvAllRows(grp)
	et := grp.EventTime()
	etq := quoteIdent(et.Name)
	keys := make([]string, len(src.keys))
	hidden := make([]string, len(src.keys))
	for i, k := range src.keys {
		keys[i] = quoteIdent(k)
		hidden[i] = quoteIdent(k) + " AS " + fvKey(src.keyPos[i])
	}
	where := ""
	if k := g.knownCond(); k != "" {
		where = " WHERE " + k
	}
	if grp.TTL == "" {
		cols := append(append([]string(nil), hidden...), etq+" AS __fh_t", "true AS __fh_live")
		for _, c := range src.cols {
			f := grp.Feature(c)
			if f.EntityKey || f.EventTime {
				cols = append(cols, quoteIdent(c))
			} else {
				cols = append(cols, "arg_max_null("+quoteIdent(c)+", "+duckdb.SeqColumn+") AS "+quoteIdent(c))
			}
		}
		return "SELECT " + strings.Join(cols, ", ") + " FROM " + all + where + " GROUP BY " + strings.Join(keys, ", ") + ", " + etq
	}
	rows, extra := g.uniq("rows"), g.uniq("extra")
	edges := ttlSQL(etq, grp.TTL, et.DuckDBType)
	stored := make([]string, len(src.cols))
	var vis, nulls []string
	for i, c := range src.cols {
		stored[i] = quoteIdent(c)
		vis = append(vis, quoteIdent(c))
		nulls = append(nulls, "CAST(NULL AS "+grp.Feature(c).DuckDBType+") AS "+quoteIdent(c))
	}
	// A row from time `at` on, kept or not, unless a newer row replaces it by then.
	at := func(from, time string, live bool) string {
		cols := append(append([]string(nil), hidden...), time+" AS __fh_t", fmt.Sprintf("%v AS __fh_live", live))
		if live {
			cols = append(cols, vis...)
		} else {
			cols = append(cols, nulls...)
		}
		return "SELECT " + strings.Join(cols, ", ") + " FROM " + from + " WHERE __fh_next IS NULL OR __fh_next > " + time
	}
	out := "WITH " + rows + " AS MATERIALIZED (SELECT " + strings.Join(stored, ", ") +
		", lead(" + etq + ") OVER (PARTITION BY " + strings.Join(keys, ", ") + " ORDER BY " + etq + ", " + duckdb.SeqColumn + ") AS __fh_next" +
		", " + edges.expire + " AS __fh_exp, " + edges.rn + " AS __fh_rn, " + edges.dayStart + " AS __fh_ds, " + edges.tau + " AS __fh_tau" +
		" FROM " + all + where + " QUALIFY __fh_next IS NULL OR __fh_next > " + etq + ")"
	if !isDateType(et.DuckDBType) {
		out += ", " + extra + " AS (SELECT *, __fh_ds + to_days(CAST(__fh_d AS INTEGER)) AS __fh_rs FROM " +
			"(SELECT *, unnest(generate_series(1, __fh_rn)) AS __fh_d FROM " + rows + " WHERE __fh_rn > 0))"
	}
	out += " SELECT " + strings.Join(hidden, ", ") + ", " + etq + " AS __fh_t, true AS __fh_live, " + strings.Join(vis, ", ") + " FROM " + rows +
		" UNION ALL " + at(rows, "__fh_exp", false)
	if !isDateType(et.DuckDBType) {
		out += " UNION ALL " + at(extra, "__fh_rs", true) +
			" UNION ALL " + at(extra, "__fh_rs + __fh_tau + INTERVAL '1 microsecond'", false)
	}
	return out
}

// ttlEdges gives, as SQL over a row's event time et, where the row stops
// being within ttl — AS OF's test: a row is kept at t when t - ttl <= et.
// DuckDB subtracts an interval's months first (clamping the day to the
// month's last), then its days and microseconds. With M the ttl's months
// and e1 = et + (ttl without its months), a row is kept at t exactly when
// t - M months <= e1. Month clamping makes that non-monotonic in t: with
// e1 on the last day of its month, e1 + M months falls in a month with
// more days, whose extra days minus M months clamp back to e1's day, so
// the row is kept again on each of them up to e1's time of day. Hence:
//
//   - expire: the first instant after the main interval: 1µs after
//     e1 + M months, or, when adding M months clamped the day (e1 on the
//     31st, the month after has 30 days), the first instant of the next
//     month, every instant before it being kept;
//   - for timestamps, rn extra days (dayStart + 1..rn days), each kept from
//     its midnight to its time of day tau (inclusive);
//   - for dates (read at midnights), expire is the first day not kept,
//     extra days included.
//
// Exact for timestamp and date event times, and for timestamptz in a UTC
// session; in another TimeZone, day arithmetic across a daylight-saving
// change is ICU's and may differ by the hour.
type ttlEdges struct{ expire, rn, dayStart, tau string }

func ttlSQL(etq, ttl, timeType string) ttlEdges {
	iv := "INTERVAL " + duckdb.QuoteString(ttl)
	nMonths := "CAST(date_part('year', " + iv + ") * 12 + date_part('month', " + iv + ") AS INTEGER)"
	months := "to_months(" + nMonths + ")"
	at := etq
	if isDateType(timeType) {
		at = "CAST(" + etq + " AS TIMESTAMP)"
	}
	e1 := "(" + at + " + (" + iv + " - " + months + "))"
	cand := "(" + e1 + " + " + months + ")"
	clamped := "(" + cand + " - " + months + " <> " + e1 + ")"
	e := ttlEdges{
		expire: "(CASE WHEN " + clamped + " THEN date_trunc('month', " + cand + ") + INTERVAL '1 month' ELSE " + cand + " + INTERVAL '1 microsecond' END)",
		rn: "(CASE WHEN " + nMonths + " > 0 AND NOT " + clamped + " AND day(" + e1 + ") = day(last_day(" + e1 + "))" +
			" THEN greatest(day(last_day(" + cand + ")) - day(" + e1 + "), 0) ELSE 0 END)",
		dayStart: "date_trunc('day', " + cand + ")",
		tau:      "(" + e1 + " - date_trunc('day', " + e1 + "))",
	}
	if isDateType(timeType) {
		last := "(CASE WHEN " + e.rn + " > 0 THEN " + e.dayStart + " + to_days(CAST(" + e.rn + " AS INTEGER)) + " + e.tau +
			" + INTERVAL '1 microsecond' ELSE " + e.expire + " END)"
		// The first day whose midnight is at or after that instant.
		e.expire, e.rn = "(CAST("+last+" - INTERVAL '1 microsecond' AS DATE) + 1)", "0"
	}
	return e
}

// joinTimeline evaluates a join view at every change point of its sources.
func (g *fvGen) joinTimeline(m *fvModel) string {
	n := len(m.sources[0].keys)
	keyCols := func(qual string) []string {
		out := make([]string, n)
		for p := range out {
			out[p] = qual + fvKey(p)
		}
		return out
	}
	var ctes []string
	srcs := make([]string, len(m.sources))
	var union []string
	for i, src := range m.sources {
		srcs[i] = g.uniq("src")
		ctes = append(ctes, srcs[i]+" AS MATERIALIZED ("+g.sourceTimeline(src)+")")
		union = append(union, "SELECT "+strings.Join(keyCols(""), ", ")+", __fh_t FROM "+srcs[i])
	}
	pts := g.uniq("pts")
	ctes = append(ctes, pts+" AS MATERIALIZED (SELECT DISTINCT "+strings.Join(keyCols(""), ", ")+", __fh_t FROM ("+strings.Join(union, " UNION ALL ")+"))")
	// Each source as of every point: one ASOF join per source.
	at := make([]string, len(m.sources))
	for i, src := range m.sources {
		at[i] = g.uniq("at")
		cols := append(keyCols("p."), "p.__fh_t AS __fh_p")
		for _, c := range src.cols {
			cols = append(cols, "r."+quoteIdent(c))
		}
		var on []string
		for p := 0; p < n; p++ {
			on = append(on, "r."+fvKey(p)+" = p."+fvKey(p))
		}
		ctes = append(ctes, at[i]+" AS (SELECT "+strings.Join(cols, ", ")+" FROM "+pts+" AS p ASOF JOIN "+srcs[i]+
			" AS r ON "+strings.Join(on, " AND ")+" AND p.__fh_t >= r.__fh_t WHERE r.__fh_live)")
	}
	// The user's joins, filter and projection, per point. Every source
	// holds at most one row per (key, point), and every join is on the
	// whole key, so joining on (key, point) is the user's join at each point.
	first := quoteIdent(m.sources[0].alias) + "."
	from := at[0] + " AS " + quoteIdent(m.sources[0].alias)
	for i, src := range m.sources[1:] {
		a := quoteIdent(src.alias) + "."
		var on []string
		for p := 0; p < n; p++ {
			on = append(on, a+fvKey(p)+" = "+first+fvKey(p))
		}
		on = append(on, a+"__fh_p = "+first+"__fh_p")
		join := " JOIN "
		if src.join == pg_query.JoinType_JOIN_LEFT {
			join = " LEFT JOIN "
		}
		from += join + at[i+1] + " AS " + quoteIdent(src.alias) + " ON " + strings.Join(on, " AND ")
	}
	var proj []string
	for _, tg := range m.targets {
		proj = append(proj, m.text[tg.start:tg.end]+" AS "+quoteIdent(tg.name))
	}
	for p := 0; p < n; p++ {
		proj = append(proj, first+fvKey(p)+" AS "+fvViewKey(p))
	}
	proj = append(proj, first+"__fh_p AS __fh_vt")
	where := ""
	if m.whereStart >= 0 {
		where = " WHERE (" + m.text[m.whereStart:m.whereEnd] + ")"
	}
	vp := g.uniq("vp")
	ctes = append(ctes, vp+" AS (SELECT "+strings.Join(proj, ", ")+" FROM "+from+where+")")
	out := append(keyCols("p."), "p.__fh_t", "v.__fh_vt IS NOT NULL AS __fh_live")
	var on []string
	for p := 0; p < n; p++ {
		on = append(on, "v."+fvViewKey(p)+" = p."+fvKey(p))
	}
	for _, tg := range m.targets {
		out = append(out, "v."+quoteIdent(tg.name))
	}
	return "WITH " + strings.Join(ctes, ", ") + " SELECT " + strings.Join(out, ", ") + " FROM " + pts + " AS p LEFT JOIN " + vp +
		" AS v ON " + strings.Join(on, " AND ") + " AND v.__fh_vt = p.__fh_t"
}

// aggregateTimeline computes an aggregating view's running aggregates.
func (g *fvGen) aggregateTimeline(m *fvModel) string {
	src := m.sources[0]
	grp := src.group
	a := quoteIdent(src.alias)
	et := a + "." + quoteIdent(grp.EventTime().Name)
	keys := make([]string, len(src.keys))
	for i, k := range src.keys {
		keys[i] = quoteIdent(k)
	}
	ev, rows, win := g.uniq("ev"), g.uniq("rows"), g.uniq("win")

	evCols := make([]string, 0, len(keys)+8)
	for _, k := range keys {
		evCols = append(evCols, a+"."+k+" AS "+k)
	}
	evCols = append(evCols, et+" AS __fh_t", fvOrder(m.timeType, et)+" AS __fh_o", "true AS __fh_e")
	probe := append(append([]string(nil), keys...), "", "__fh_o + "+fmt.Sprint(m.windowWidth())+" AS __fh_o", "NULL AS __fh_e")
	if isDateType(m.timeType) {
		probe[len(keys)] = fmt.Sprintf("__fh_t + %d AS __fh_t", m.windowWidth())
	} else {
		probe[len(keys)] = fmt.Sprintf("__fh_t + to_microseconds(CAST(%d AS BIGINT)) AS __fh_t", m.windowWidth())
	}
	// Rows at the same time are peers: their RANGE frames, hence their
	// aggregates, are equal; the last peer is kept (found by lead() over
	// the same partition and order, so DuckDB sorts once).
	winCols := append(append([]string(nil), keys...), "__fh_t", "count(__fh_e) OVER __fh_w AS __fh_n")
	// Each aggregate's argument is computed on the events alone, so the
	// rows marking window exits (NULL arguments) count in no aggregate.
	j := 0
	replaced := make([]string, len(m.targets))
	for ti, tg := range m.targets {
		var b strings.Builder
		prev := tg.start
		for _, ag := range tg.aggs {
			j++
			x, acc := fmt.Sprintf("__fh_x%d", j), fmt.Sprintf("__fh_a%d", j)
			call := "count(__fh_e)"
			if !ag.star {
				evCols = append(evCols, "("+m.text[ag.argStart:ag.argEnd]+") AS "+x)
				probe = append(probe, "NULL AS "+x)
				d := ""
				if ag.distinct {
					d = "DISTINCT "
				}
				call = ag.fn + "(" + d + x + ")"
			}
			winCols = append(winCols, call+" OVER __fh_w AS "+acc)
			b.WriteString(m.text[prev:ag.start])
			b.WriteString(acc)
			prev = ag.end
		}
		b.WriteString(m.text[prev:tg.end])
		replaced[ti] = b.String()
	}
	where := "true"
	if m.whereStart >= 0 {
		where = "(" + m.text[m.whereStart:m.whereEnd] + ")"
	}
	if k := g.knownCond(); k != "" {
		where += " AND " + a + "." + k
	}
	rowsSQL := "SELECT * FROM " + ev
	frame := "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
	if m.windowUS > 0 {
		rowsSQL += " UNION ALL SELECT " + strings.Join(probe, ", ") + " FROM (SELECT DISTINCT " + strings.Join(keys, ", ") + ", __fh_t, __fh_o FROM " + ev + ")"
		frame = fmt.Sprintf("RANGE BETWEEN %d PRECEDING AND CURRENT ROW", m.windowWidth()-1)
	}
	final := make([]string, 0, len(keys)+2+len(m.targets))
	for i, k := range keys {
		final = append(final, k+" AS "+fvKey(src.keyPos[i]))
	}
	final = append(final, "__fh_t", "__fh_n > 0 AS __fh_live")
	for i, tg := range m.targets {
		final = append(final, "CASE WHEN __fh_n > 0 THEN ("+replaced[i]+") END AS "+quoteIdent(tg.name))
	}
	return "WITH " + ev + " AS (SELECT " + strings.Join(evCols, ", ") + " FROM " + fvAllRows(grp) + " AS " + a + " WHERE " + where + "), " +
		rows + " AS (" + rowsSQL + "), " +
		win + " AS (SELECT " + strings.Join(winCols, ", ") + " FROM " + rows +
		" WINDOW __fh_w AS (PARTITION BY " + strings.Join(keys, ", ") + " ORDER BY __fh_o " + frame + ")" +
		" QUALIFY lead(__fh_o) OVER (PARTITION BY " + strings.Join(keys, ", ") + " ORDER BY __fh_o) IS DISTINCT FROM __fh_o)" +
		" SELECT " + strings.Join(final, ", ") + " FROM " + win + " AS " + a
}
