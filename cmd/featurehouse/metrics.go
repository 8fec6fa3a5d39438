package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/planner"
)

// metrics are exported on /metrics.
type metrics struct {
	reg              *prometheus.Registry
	sessions         prometheus.Gauge
	statements       prometheus.Counter
	statementErrors  *prometheus.CounterVec
	statementSeconds prometheus.Histogram
}

func newMetrics(engine *duckdb.Engine) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "featurehouse_sessions", Help: "Open client sessions."}),
		statements: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "featurehouse_statements_total", Help: "Statements that completed successfully."}),
		statementErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "featurehouse_statement_errors_total", Help: "Statements that failed, by SQLSTATE."}, []string{"sqlstate"}),
		statementSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "featurehouse_statement_duration_seconds", Help: "Time to execute a statement (until its first row for queries).",
			Buckets: prometheus.ExponentialBuckets(0.00005, 4, 12)}),
	}
	reg.MustRegister(m.sessions, m.statements, m.statementErrors, m.statementSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(&storageCollector{engine: engine,
		files: prometheus.NewDesc("featurehouse_offline_files", "Live Parquet files per feature group.", []string{"schema", "group"}, nil),
		bytes: prometheus.NewDesc("featurehouse_offline_bytes", "Bytes of live Parquet files per feature group.", []string{"schema", "group"}, nil),
		rows:  prometheus.NewDesc("featurehouse_offline_rows", "Rows in live Parquet files per feature group.", []string{"schema", "group"}, nil),
	})
	return m
}

// storageCollector reads the Parquet manifest at scrape time.
type storageCollector struct {
	engine             *duckdb.Engine
	files, bytes, rows *prometheus.Desc
}

func (c *storageCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.files
	ch <- c.bytes
	ch <- c.rows
}

func (c *storageCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := c.engine.DB().QueryContext(ctx, `SELECT schema_name, group_name, count(*), sum(size_bytes), sum(row_count)
		FROM feature_store.files WHERE removed_version IS NULL GROUP BY ALL`)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var schema, group string
		var files, size, n float64
		if rows.Scan(&schema, &group, &files, &size, &n) != nil {
			return
		}
		ch <- prometheus.MustNewConstMetric(c.files, prometheus.GaugeValue, files, schema, group)
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, size, schema, group)
		ch <- prometheus.MustNewConstMetric(c.rows, prometheus.GaugeValue, n, schema, group)
	}
}

// servingStats exports the planner's serving statistics (the figures of
// feature_store.serving_statistics) at scrape time.
func (m *metrics) servingStats(p *planner.Planner) {
	labels := []string{"schema", "group", "route"}
	m.reg.MustRegister(&servingCollector{p: p,
		requests: prometheus.NewDesc("featurehouse_serving_requests_total", "Online lookups (route online or fallback) and online writes (route write).", labels, nil),
		keys:     prometheus.NewDesc("featurehouse_serving_keys_total", "Entities asked for by lookups.", labels, nil),
		found:    prometheus.NewDesc("featurehouse_serving_found_total", "Entities answered by lookups.", labels, nil),
		hits:     prometheus.NewDesc("featurehouse_serving_cache_hits_total", "Entities answered from the in-process cache.", labels, nil),
		errors:   prometheus.NewDesc("featurehouse_serving_errors_total", "Lookups or online writes that failed.", labels, nil),
		latency:  prometheus.NewDesc("featurehouse_serving_latency_seconds", "Latency of lookups and online writes.", labels, nil),
	})
}

type servingCollector struct {
	p                                            *planner.Planner
	requests, keys, found, hits, errors, latency *prometheus.Desc
}

func (c *servingCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.requests, c.keys, c.found, c.hits, c.errors, c.latency} {
		ch <- d
	}
}

func (c *servingCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.p.ServingStatistics() {
		lv := []string{s.Schema, s.Group, s.Route}
		ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(s.Requests), lv...)
		ch <- prometheus.MustNewConstMetric(c.keys, prometheus.CounterValue, float64(s.Keys), lv...)
		ch <- prometheus.MustNewConstMetric(c.found, prometheus.CounterValue, float64(s.Found), lv...)
		ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.CacheHits), lv...)
		ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(s.Errors), lv...)
		ch <- prometheus.MustNewConstSummary(c.latency, uint64(s.Requests), s.LatencySum.Seconds(),
			map[float64]float64{0.5: s.P50.Seconds(), 0.95: s.P95.Seconds(), 0.99: s.P99.Seconds()}, lv...)
	}
}
