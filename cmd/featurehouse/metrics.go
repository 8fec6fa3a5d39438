package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/featurehouse/featurehouse/duckdb"
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
