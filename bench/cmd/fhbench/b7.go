package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// B7: streaming inserts, one row per INSERT, 8 connections, into a feature
// group (offline only, and online as an extra row) and into an indexed
// PostgreSQL table; then a point-in-time read of the latest row of every
// entity, whose count must equal the number of distinct entities written.

const b7Conns = 8

const (
	b7FhGroup       = `CREATE FEATURE GROUP b7 (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, f1 DOUBLE PRECISION, f2 INTEGER, f3 TEXT) WITH (partition_by = 'none')`
	b7FhGroupOnline = `CREATE FEATURE GROUP b7 (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, f1 DOUBLE PRECISION, f2 INTEGER, f3 TEXT) WITH (partition_by = 'none', online = true)`
	b7PgTable       = `CREATE TABLE b7 (user_id text NOT NULL, event_time timestamptz NOT NULL, f1 double precision, f2 integer, f3 text)`
	b7PgIndex       = `CREATE INDEX b7_user_time ON b7 (user_id, event_time)`
	b7Insert        = `INSERT INTO b7 (user_id, event_time, f1, f2, f3) VALUES ($1, $2, $3, $4, $5)`
	b7FhRead        = `SELECT count(*) FROM (SELECT * FROM b7 AS OF now())`
	b7PgRead        = `SELECT count(*) FROM (SELECT DISTINCT ON (user_id) * FROM b7 ORDER BY user_id, event_time DESC) t`
	b7Reads         = 5 // timed point-in-time reads per run (the first is reported apart)
	b7FlushRows     = 25_000
)

const (
	peerB7Fh       = "featurehouse"
	peerB7FhOnline = "featurehouse-online"
	peerB7PG       = "postgresql"
)

var b7Peers = []string{peerB7Fh, peerB7FhOnline, peerB7PG}

func b7Label(p string) string {
	switch p {
	case peerB7Fh:
		return "featurehouse, feature group (offline)"
	case peerB7FhOnline:
		return "featurehouse, feature group WITH (online = true), embedded store"
	case peerB7PG:
		return "PostgreSQL 15, table + (user_id, event_time) index"
	}
	return p
}

// b7Run is one peer's figures in one repetition.
type b7Run struct {
	rows           int64   // timed inserts
	written        int64   // all inserts of the run (warm-up included)
	entities       int     // distinct entities written
	seconds        float64 // timed section
	p50, p99, mean time.Duration
	serverCPU      float64 // seconds in the timed section
	stored         int64   // count(*) after the inserts
	readCount      int64   // the point-in-time read's answer
	readFirst      float64 // seconds, first read
	readMedian     float64 // seconds, median of b7Reads reads
	inParquet      int64   // featurehouse: rows in Parquet files at the read (-1: not known)
}

func (r b7Run) rate() float64 { return float64(r.rows) / r.seconds }

type b7Report struct {
	entities int
	duration time.Duration
	rows     int64
	runs     map[string][]b7Run
}

// b7Row is the generator of one connection: the same rows in the same
// order for every peer in a repetition.
type b7Row struct {
	rng  *rand.Rand
	base time.Time // event times fall in the hour before base
	n    int       // entities
	seen []bool
	args [5]any
	f1   float64
	f3   string
}

func newB7Row(rep, conn uint64, base time.Time, entities int) *b7Row {
	return &b7Row{rng: rand.New(rand.NewPCG(700+rep, conn)), base: base, n: entities, seen: make([]bool, entities)}
}

var b7Keys, b7Cats []string

func b7Init(entities int) {
	if len(b7Keys) != entities {
		b7Keys = make([]string, entities)
		for i := range b7Keys {
			b7Keys[i] = fmt.Sprintf("u%07d", i)
		}
	}
	if b7Cats == nil {
		for i := range 200 {
			b7Cats = append(b7Cats, fmt.Sprintf("c%03d", i))
		}
	}
}

// next returns the arguments of the next INSERT (reused between calls).
func (g *b7Row) next() []any {
	k := g.rng.IntN(g.n)
	g.seen[k] = true
	g.args[0] = b7Keys[k]
	g.args[1] = g.base.Add(-time.Duration(1+g.rng.Int64N(3600e6)) * time.Microsecond)
	if g.rng.IntN(100) == 0 {
		g.args[2] = nil
	} else {
		g.f1 = g.rng.NormFloat64() * 100
		g.args[2] = g.f1
	}
	g.args[3] = int32(g.rng.IntN(1000))
	if g.rng.IntN(50) == 0 {
		g.args[4] = nil
	} else {
		g.args[4] = b7Cats[g.rng.IntN(len(b7Cats))]
	}
	return g.args[:]
}

func benchB7(ctx context.Context, rep *report, pg *pgServer) error {
	o := rep.opts
	b7Init(o.b7Entities)
	rep.b7 = &b7Report{entities: o.b7Entities, duration: o.b7Dur, rows: o.b7Rows, runs: map[string][]b7Run{}}
	// Flushes every 25k rows (default 100k) so that the read after a run
	// finds rows in Parquet files and unflushed ones.
	fh := &fhServer{bin: o.fhBin, dataDir: filepath.Join(o.work, "fh-b7"), logPath: filepath.Join(o.work, "featurehouse-b7.log"),
		args: []string{"--flush-rows", strconv.Itoa(b7FlushRows)}}
	_ = os.RemoveAll(fh.dataDir)
	_ = os.Remove(fh.logPath)
	logf("B7: starting featurehouse (%s)", o.fhBin)
	if err := fh.start(ctx); err != nil {
		return err
	}
	defer fh.stop()
	for r := 0; r < o.repeat; r++ {
		base := time.Now().UTC().Truncate(time.Second)
		for i := range b7Peers {
			p := b7Peers[(i+r)%len(b7Peers)]
			if err := ctx.Err(); err != nil {
				return err
			}
			syscall.Sync() // earlier peers' dirty pages are not this peer's cost
			var run b7Run
			var err error
			if p == peerB7PG {
				err = b7Once(ctx, pg.url(), p, uint64(r), base, o, func() float64 { return treeCPU(pg.postmasterPID()) }, &run)
			} else {
				err = b7Once(ctx, fh.url(), p, uint64(r), base, o, func() float64 { c, _ := procCPU(fh.pid()); return c }, &run)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			logf("B7 rep %d %-20s %7.0f rows/s  p50 %6.0fµs  p99 %6.0fµs  server CPU %.0fµs/row  read %.1f ms (first %.1f ms), %d entities%s",
				r+1, p, run.rate(), us(run.p50), us(run.p99), 1e6*run.serverCPU/float64(run.rows), 1e3*run.readMedian, 1e3*run.readFirst, run.readCount, parquetNote(run))
			rep.b7.runs[p] = append(rep.b7.runs[p], run)
		}
	}
	return execAll(ctx, pg.url(), "DROP TABLE IF EXISTS b7")
}

func parquetNote(r b7Run) string {
	if r.inParquet < 0 {
		return ""
	}
	return fmt.Sprintf(" (%d rows in Parquet, %d unflushed)", r.inParquet, r.stored-r.inParquet)
}

// b7Setup recreates the group or table.
func b7Setup(ctx context.Context, url, peer string) error {
	switch peer {
	case peerB7Fh:
		return execAll(ctx, url, "DROP FEATURE GROUP IF EXISTS b7", b7FhGroup)
	case peerB7FhOnline:
		return execAll(ctx, url, "DROP FEATURE GROUP IF EXISTS b7", b7FhGroupOnline)
	}
	return execAll(ctx, url, "DROP TABLE IF EXISTS b7", b7PgTable, b7PgIndex, "CHECKPOINT")
}

// b7Once runs one peer: setup, 1 s of warm-up, the timed inserts, then the
// checks and the point-in-time reads.
func b7Once(ctx context.Context, url, peer string, rep uint64, base time.Time, o options, serverCPU func() float64, run *b7Run) error {
	if err := b7Setup(ctx, url, peer); err != nil {
		return err
	}
	conns := make([]*pgx.Conn, b7Conns)
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close(context.Background())
			}
		}
	}()
	gens := make([]*b7Row, b7Conns)
	for i := range conns {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		conns[i] = c
		if _, err := c.Prepare(ctx, "b7ins", b7Insert); err != nil {
			return fmt.Errorf("PREPARE: %w", err)
		}
		gens[i] = newB7Row(rep, uint64(i), base, o.b7Entities)
	}
	counts := make([]int64, b7Conns)
	// phase runs every connection until the deadline (or its quota of rows).
	phase := func(deadline time.Time, quota []int64, lats [][]time.Duration) error {
		var wg sync.WaitGroup
		errs := make([]error, b7Conns)
		for i := range b7Conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, g := conns[i], gens[i]
				for n := int64(0); ; n++ {
					if quota != nil && n >= quota[i] || quota == nil && !time.Now().Before(deadline) {
						return
					}
					args := g.next()
					t := time.Now()
					if _, err := c.Exec(ctx, "b7ins", args...); err != nil {
						errs[i] = fmt.Errorf("INSERT %v: %w", args, err)
						return
					}
					if lats != nil {
						lats[i] = append(lats[i], time.Since(t))
					}
					counts[i]++
				}
			}()
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	// Warm-up: 1 s, or with a row count 100 rows per connection, so that
	// every peer then holds the same rows.
	var warmQuota []int64
	if o.b7Rows > 0 {
		warmQuota = make([]int64, b7Conns)
		for i := range warmQuota {
			warmQuota[i] = 100
		}
	}
	if err := phase(time.Now().Add(time.Second), warmQuota, nil); err != nil {
		return err
	}
	var warm int64
	for _, n := range counts {
		warm += n
	}
	var quota []int64
	if o.b7Rows > 0 {
		quota = make([]int64, b7Conns)
		for i := range quota {
			quota[i] = o.b7Rows / b7Conns
			if int64(i) < o.b7Rows%b7Conns {
				quota[i]++
			}
		}
	}
	lats := make([][]time.Duration, b7Conns)
	for i := range lats {
		lats[i] = make([]time.Duration, 0, 1<<15)
	}
	cpu0 := serverCPU()
	start := time.Now()
	if err := phase(start.Add(o.b7Dur), quota, lats); err != nil {
		return err
	}
	run.seconds = time.Since(start).Seconds()
	run.serverCPU = serverCPU() - cpu0
	all := make([]time.Duration, 0, 1<<18)
	for _, l := range lats {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return errors.New("no INSERT completed")
	}
	var lr latRun
	percentiles(all, &lr)
	run.rows, run.p50, run.p99, run.mean = int64(lr.n), lr.p50, lr.p99, lr.mean
	for _, n := range counts {
		run.written += n
	}
	if run.written != warm+run.rows {
		return fmt.Errorf("counted %d inserts, want %d", run.written, warm+run.rows)
	}
	seen := make([]bool, o.b7Entities)
	for _, g := range gens {
		for k, s := range g.seen {
			seen[k] = seen[k] || s
		}
	}
	for _, s := range seen {
		if s {
			run.entities++
		}
	}
	return b7Read(ctx, conns[0], peer, run)
}

// b7Read checks the stored rows and times the point-in-time reads.
func b7Read(ctx context.Context, conn *pgx.Conn, peer string, run *b7Run) error {
	run.inParquet = -1
	if peer != peerB7PG {
		// How much of the data the flusher has moved to Parquet by now.
		q := "SELECT CAST(coalesce(sum(row_count), 0) AS BIGINT) FROM feature_store.files WHERE group_name = 'b7' AND removed_version IS NULL"
		if err := conn.QueryRow(ctx, q).Scan(&run.inParquet); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	q := b7PgRead
	if peer != peerB7PG {
		q = b7FhRead
	}
	var secs []float64
	for i := range b7Reads {
		var n int64
		t := time.Now()
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		secs = append(secs, time.Since(t).Seconds())
		if i == 0 {
			run.readFirst, run.readCount = secs[0], n
		} else if n != run.readCount {
			return fmt.Errorf("%s answered %d, then %d", q, run.readCount, n)
		}
	}
	run.readMedian = median(secs)
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM b7").Scan(&run.stored); err != nil {
		return err
	}
	if run.stored != run.written {
		return fmt.Errorf("%d rows stored, %d inserted", run.stored, run.written)
	}
	if run.readCount != int64(run.entities) {
		return fmt.Errorf("the point-in-time read counted %d entities, %d were written", run.readCount, run.entities)
	}
	return nil
}

func (br *b7Report) markdown(b *strings.Builder, repeat int) {
	what := fmt.Sprintf("%s per run", br.duration)
	if br.rows > 0 {
		what = fmt.Sprintf("%d rows per run", br.rows)
	}
	fmt.Fprintf(b, "#### B7 streaming inserts: 1 row per INSERT, %d connections, %s\n\n", b7Conns, what)
	fmt.Fprintf(b, "`%s`, prepared once per connection (pgx), autocommit, after an untimed warm-up (1 s; with a row count, 100 rows per connection); rows: a random entity of %d, an event time in the hour before the repetition started, f1 normal(0, 100) (1%% NULL), f2 0..999, f3 one of 200 categories (2%% NULL); the same rows in the same order for every peer of a repetition. featurehouse (`serve --flush-rows %d`, other settings default): `%s` (and the same `WITH (partition_by = 'none', online = true)`, memory store); PostgreSQL: `%s` + `%s`, fsync and synchronous_commit on. %d repetition(s), peers interleaved (order rotated).\n\n",
		b7Insert, br.entities, b7FlushRows, b7FhGroup, b7PgTable, b7PgIndex, repeat)
	b.WriteString("| peer | rows/s (median) | rows/s, each run | p50 µs (median) | p99 µs (median) | mean µs (median) | server CPU µs/row | rows/s ÷ PostgreSQL's |\n|---|---:|---|---:|---:|---:|---:|---:|\n")
	rates := map[string]float64{}
	for _, p := range b7Peers {
		rates[p] = b7Median(br.runs[p], func(r b7Run) float64 { return r.rate() })
	}
	for _, p := range b7Peers {
		runs := br.runs[p]
		each := ""
		for i, r := range runs {
			if i > 0 {
				each += ", "
			}
			each += fmt.Sprintf("%.0f", r.rate())
		}
		fmt.Fprintf(b, "| %s | %.0f | %s | %.0f | %.0f | %.0f | %.0f | %.2fx |\n", b7Label(p), rates[p], each,
			b7Median(runs, func(r b7Run) float64 { return us(r.p50) }), b7Median(runs, func(r b7Run) float64 { return us(r.p99) }),
			b7Median(runs, func(r b7Run) float64 { return us(r.mean) }), b7Median(runs, func(r b7Run) float64 { return 1e6 * r.serverCPU / float64(r.rows) }),
			rates[p]/rates[peerB7PG])
	}
	sameData := " Each peer read the rows it stored in its run: with a fixed duration, not the same number (`-b7-rows` gives every peer the same rows)."
	if br.rows > 0 {
		sameData = " Every peer stored the same rows (a fixed row count)."
	}
	fmt.Fprintf(b, "\nThen the point-in-time read, on one of the connections right after its run: featurehouse `%s`, PostgreSQL `%s`; %d reads, the first reported apart. Every answer equalled the number of distinct entities written, and `count(*)` the number of INSERTs (checked; the run fails otherwise).%s\n\n", b7FhRead, b7PgRead, b7Reads, sameData)
	b.WriteString("| peer | rows stored (median) | entities (median) | first read ms (median) | read ms (median) | rows in Parquet at the read, each run | read ms ÷ PostgreSQL's |\n|---|---:|---:|---:|---:|---|---:|\n")
	pgRead := b7Median(br.runs[peerB7PG], func(r b7Run) float64 { return r.readMedian })
	for _, p := range b7Peers {
		runs := br.runs[p]
		parquet := "—"
		if p != peerB7PG {
			parquet = ""
			for i, r := range runs {
				if i > 0 {
					parquet += ", "
				}
				parquet += fmt.Sprintf("%d of %d", r.inParquet, r.stored)
			}
		}
		rd := b7Median(runs, func(r b7Run) float64 { return r.readMedian })
		fmt.Fprintf(b, "| %s | %.0f | %.0f | %.1f | %.1f | %s | %.2fx |\n", b7Label(p),
			b7Median(runs, func(r b7Run) float64 { return float64(r.stored) }), b7Median(runs, func(r b7Run) float64 { return float64(r.entities) }),
			1e3*b7Median(runs, func(r b7Run) float64 { return r.readFirst }), 1e3*rd, parquet, rd/pgRead)
	}
	ratio := rates[peerB7Fh] / rates[peerB7PG]
	fmt.Fprintf(b, "\nAim: featurehouse's rows/s at least PostgreSQL's — %.2fx, %s (with the online store: %.2fx).\n\n", ratio, verdict(ratio >= 1), rates[peerB7FhOnline]/rates[peerB7PG])
}

func b7Median(runs []b7Run, f func(b7Run) float64) float64 {
	var xs []float64
	for _, r := range runs {
		xs = append(xs, f(r))
	}
	return median(xs)
}

// insertMain is B7's client alone against a server (featurehouse or, with
// -pg, PostgreSQL) that it sets up itself, e.g. to run under perf.
func insertMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("insert", flag.ContinueOnError)
	url := fs.String("url", "", "connection string")
	dur := fs.Duration("duration", 20*time.Second, "timed duration")
	rows := fs.Int64("rows", 0, "timed rows instead of a duration (0: use -duration)")
	entities := fs.Int("entities", 100_000, "entities")
	pg := fs.Bool("pg", false, "the server is PostgreSQL")
	online := fs.Bool("online", false, "featurehouse: the group is online")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b7Init(*entities)
	peer := peerB7Fh
	switch {
	case *pg:
		peer = peerB7PG
	case *online:
		peer = peerB7FhOnline
	}
	var run b7Run
	o := options{b7Dur: *dur, b7Rows: *rows, b7Entities: *entities}
	if err := b7Once(ctx, *url, peer, 0, time.Now().UTC(), o, func() float64 { return 0 }, &run); err != nil {
		return err
	}
	fmt.Printf("%d rows in %.2fs: %.0f rows/s, p50 %.0fµs p99 %.0fµs mean %.0fµs; read %.1f ms (first %.1f ms): %d entities%s\n",
		run.rows, run.seconds, run.rate(), us(run.p50), us(run.p99), us(run.mean), 1e3*run.readMedian, 1e3*run.readFirst, run.readCount, parquetNote(run))
	return nil
}
