package planner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
)

// servingStatisticsColumns are the columns of feature_store.serving_statistics.
var servingStatisticsColumns = []struct{ name, typ string }{
	{"schema_name", "VARCHAR"}, {"group_name", "VARCHAR"}, {"route", "VARCHAR"}, {"store", "VARCHAR"},
	{"requests", "BIGINT"}, {"keys", "BIGINT"}, {"found", "BIGINT"}, {"cache_hits", "BIGINT"},
	{"cache_hit_rate", "DOUBLE"}, {"errors", "BIGINT"}, {"error_rate", "DOUBLE"},
	{"latency_p50_ms", "DOUBLE"}, {"latency_p95_ms", "DOUBLE"}, {"latency_p99_ms", "DOUBLE"},
	{"latency_avg_ms", "DOUBLE"},
}

// servingStatisticsSQL is the relation feature_store.serving_statistics
// reads: the in-memory figures as of the statement, as a VALUES list.
func (s *Session) servingStatisticsSQL() string {
	stats := s.p.ServingStatistics()
	store := ""
	if s.p.online != nil {
		store = s.p.online.store.Kind()
	}
	names := make([]string, len(servingStatisticsColumns))
	nulls := make([]string, len(servingStatisticsColumns))
	for i, c := range servingStatisticsColumns {
		names[i] = quoteIdent(c.name)
		nulls[i] = "CAST(NULL AS " + c.typ + ") AS " + quoteIdent(c.name)
	}
	if len(stats) == 0 {
		return "(SELECT " + strings.Join(nulls, ", ") + " WHERE false)"
	}
	ms := func(d float64) string { return strconv.FormatFloat(d, 'g', -1, 64) }
	rows := make([]string, len(stats))
	for i, st := range stats {
		rate := func(n int64, of int64) string {
			if of == 0 {
				return "CAST(NULL AS DOUBLE)"
			}
			return ms(float64(n) / float64(of))
		}
		avg := 0.0
		if st.Requests > 0 {
			avg = st.LatencySum.Seconds() * 1000 / float64(st.Requests)
		}
		rows[i] = fmt.Sprintf("(%s, %s, %s, %s, %d, %d, %d, %d, %s, %d, %s, %s, %s, %s, %s)",
			duckdb.QuoteString(st.Schema), duckdb.QuoteString(st.Group), duckdb.QuoteString(st.Route), duckdb.QuoteString(store),
			st.Requests, st.Keys, st.Found, st.CacheHits, rate(st.CacheHits, st.Keys), st.Errors, rate(st.Errors, st.Requests),
			ms(st.P50.Seconds()*1000), ms(st.P95.Seconds()*1000), ms(st.P99.Seconds()*1000), ms(avg))
	}
	casts := make([]string, len(servingStatisticsColumns))
	for i, c := range servingStatisticsColumns {
		casts[i] = "CAST(" + quoteIdent(c.name) + " AS " + c.typ + ") AS " + quoteIdent(c.name)
	}
	return "(SELECT " + strings.Join(casts, ", ") + " FROM (VALUES " + strings.Join(rows, ", ") + ") AS v(" + strings.Join(names, ", ") + "))"
}

// systemViewEdits replaces references to the in-memory system views
// (feature_store.serving_statistics) with their rows.
func (s *Session) systemViewEdits(q *sql.Query) []edit {
	edits := s.featureUsageEdits(q) // audit.go
	for _, rv := range sql.RangeVars(q.Tree) {
		if rv.Relname == "pg_cursors" && (rv.Schemaname == "" || rv.Schemaname == "pg_catalog") {
			if start, end := sql.RelationSpan(q.Text, rv.Location); start >= 0 {
				text := s.pgCursorsSQL() // cursor.go
				if rv.Alias == nil {
					text += " AS pg_cursors"
				}
				edits = append(edits, edit{start: start, end: end, text: text})
			}
			continue
		}
		if rv.Schemaname != "feature_store" || rv.Relname != "serving_statistics" {
			continue
		}
		start, end := sql.RelationSpan(q.Text, rv.Location)
		if start < 0 {
			continue
		}
		text := s.servingStatisticsSQL()
		if rv.Alias == nil {
			text += " AS serving_statistics"
		}
		edits = append(edits, edit{start: start, end: end, text: text})
	}
	return edits
}
