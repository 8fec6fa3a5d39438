package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

type options struct {
	scale    int64
	repeat   int
	work     string
	fhBin    string
	pgBinDir string
	repo     string
	only     string
	out      string
	pgSet    string
	// B1-B3
	entities int
	b1N, b3N int
	b2Dur    time.Duration
	// B7
	b7Dur      time.Duration
	b7Rows     int64
	b7Entities int
}

func runBench(ctx context.Context, args []string) error {
	var o options
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.Int64Var(&o.scale, "scale", 10_000_000, "rows in the CSV / table")
	fs.IntVar(&o.repeat, "repeat", 3, "repetitions of each measurement (peers interleaved, order rotated)")
	fs.StringVar(&o.work, "work", "/tmp/fhbench", "work directory (CSV, data directories, logs)")
	fs.StringVar(&o.fhBin, "featurehouse", "", "featurehouse binary")
	fs.StringVar(&o.pgBinDir, "pg-bin", "/usr/lib/postgresql/15/bin", "PostgreSQL 15 bin directory")
	fs.StringVar(&o.repo, "repo", ".", "featurehouse checkout (for the commit in the report)")
	fs.StringVar(&o.only, "only", "b1,b2,b3,b4,b5,b6,b7", "benchmarks to run (comma-separated)")
	fs.StringVar(&o.out, "out", "", "also write the report (markdown) here")
	fs.StringVar(&o.pgSet, "pg-settings", "shared_buffers=1GB,max_wal_size=4GB", "PostgreSQL settings (-c), comma-separated")
	fs.IntVar(&o.entities, "entities", 100_000, "B1-B3: entities in the online feature group")
	fs.IntVar(&o.b1N, "b1-requests", 20_000, "B1: timed lookups per peer and repetition")
	fs.DurationVar(&o.b2Dur, "b2-duration", 10*time.Second, "B2: timed duration per peer and repetition")
	fs.IntVar(&o.b3N, "b3-batches", 2_000, "B3: timed batches per peer and repetition")
	b4Flags(fs)
	fs.DurationVar(&o.b7Dur, "b7-duration", 20*time.Second, "B7: timed duration per peer and repetition")
	fs.Int64Var(&o.b7Rows, "b7-rows", 0, "B7: timed rows per peer and repetition instead of -b7-duration (0: duration)")
	fs.IntVar(&o.b7Entities, "b7-entities", 100_000, "B7: entities the rows are spread over")
	if err := fs.Parse(args); err != nil {
		return err
	}
	which := map[string]bool{}
	for _, b := range strings.Split(o.only, ",") {
		switch b = strings.TrimSpace(strings.ToLower(b)); b {
		case "b1", "b2", "b3", "b4", "b5", "b6", "b7":
			which[b] = true
		case "":
		default:
			return fmt.Errorf("-only: unknown benchmark %q (b1, b2, b3, b4, b5, b6, b7)", b)
		}
	}
	if o.fhBin == "" {
		return errors.New("-featurehouse BIN is required")
	}
	if o.repeat < 1 || o.scale < 1 || o.entities < 200 || o.b1N < 1 || o.b3N < 1 || o.b2Dur <= 0 || o.b7Dur <= 0 || o.b7Rows < 0 || o.b7Entities < 1 {
		return errors.New("-scale, -repeat, -b1-requests, -b2-duration, -b3-batches, -b7-duration and -b7-entities must be positive, -entities at least 200")
	}
	var err error
	if o.work, err = filepath.Abs(o.work); err != nil {
		return err
	}
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return err
	}
	_ = os.Chmod(o.work, 0o755) // PostgreSQL runs as postgres and needs to reach its directories
	self, err := os.Executable()
	if err != nil {
		return err
	}
	rep := &report{opts: o, started: time.Now().UTC(), which: which}
	rep.machine = machineInfo(o)
	runB5, runB6 := which["b5"], which["b6"]

	fh := &fhServer{bin: o.fhBin, dataDir: filepath.Join(o.work, "fh-data"), logPath: filepath.Join(o.work, "featurehouse.log")}
	_ = os.RemoveAll(fh.dataDir)
	_ = os.Remove(fh.logPath)
	pg := &pgServer{binDir: o.pgBinDir, dataDir: filepath.Join(o.work, "pg-data"), sockDir: filepath.Join(o.work, "pg-sock"),
		logPath: filepath.Join(o.work, "postgres.log")}
	for _, s := range strings.Split(o.pgSet, ",") {
		if s = strings.TrimSpace(s); s != "" {
			pg.settings = append(pg.settings, s)
		}
	}
	defer fh.stop()
	defer pg.stop()

	logf("starting PostgreSQL (%s)", o.pgBinDir)
	if err := pg.start(); err != nil {
		return err
	}
	if rep.machine.pgVersion, err = queryString(ctx, pg.url(), "SHOW server_version"); err != nil {
		return err
	}

	// B1-B3 first: they start their own featurehouse servers and stop them
	// before B5/B6's server starts.
	if which["b1"] || which["b2"] || which["b3"] {
		if err := benchOnline(ctx, rep, pg, which); err != nil {
			return err
		}
	}
	// B4 has its own featurehouse server, stopped before B5/B6's starts.
	if which["b4"] {
		if err := benchB4(ctx, rep, pg, self); err != nil {
			return fmt.Errorf("B4: %w", err)
		}
	}
	var csvPath string
	if runB5 || runB6 {
		csvPath = filepath.Join(o.work, fmt.Sprintf("b5-%d.csv", o.scale))
		t0 := time.Now()
		gen, err := ensureCSV(csvPath, o.scale)
		if err != nil {
			return fmt.Errorf("generating the CSV: %w", err)
		}
		st, err := os.Stat(csvPath)
		if err != nil {
			return err
		}
		rep.csvBytes = st.Size()
		logf("CSV %s: %d rows, %.0f MB (%s in %.1fs)", csvPath, o.scale, mb(st.Size()), map[bool]string{true: "generated", false: "reused"}[gen], time.Since(t0).Seconds())
		logf("starting featurehouse (%s)", o.fhBin)
		if err := fh.start(ctx); err != nil {
			return err
		}
	}
	if runB5 {
		if err := benchB5(ctx, rep, fh, pg, csvPath, self); err != nil {
			return fmt.Errorf("B5: %w", err)
		}
	} else if runB6 {
		// B6 needs the tables; load them once, untimed.
		if err := fhLoad(ctx, fh, csvPath, o.scale, nil); err != nil {
			return err
		}
		if err := pgLoad(ctx, pg, csvPath, o.scale, nil); err != nil {
			return err
		}
	}
	if runB6 {
		if err := benchB6(ctx, rep, fh, pg); err != nil {
			return fmt.Errorf("B6: %w", err)
		}
	}
	fh.stop()
	if which["b7"] {
		if err := benchB7(ctx, rep, pg); err != nil {
			return fmt.Errorf("B7: %w", err)
		}
	}
	pg.stop()
	rep.finished = time.Now().UTC()
	text := rep.markdown()
	fmt.Println()
	fmt.Print(text)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(text), 0o644); err != nil {
			return err
		}
		logf("report written to %s", o.out)
	}
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func queryString(ctx context.Context, url, q string) (string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var s string
	err = conn.QueryRow(ctx, q, pgx.QueryExecModeSimpleProtocol).Scan(&s)
	return s, err
}

// ---- B5 -----------------------------------------------------------------------

type b5Run struct {
	rows    int64
	seconds float64
	cpu     float64 // server CPU seconds (-1: not measured)
	peakKB  int64   // server peak RSS (VmHWM / maxrss), kB
}

const b5Group = `CREATE FEATURE GROUP b5 (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, f1 DOUBLE PRECISION, f2 INTEGER, f3 TEXT) WITH (partition_by = 'none')`
const b5Table = `CREATE TABLE b5 (user_id text NOT NULL, event_time timestamptz NOT NULL, f1 double precision, f2 integer, f3 text)`
const b5Index = `CREATE INDEX b5_user_time ON b5 (user_id, event_time)`
const b5Copy = `COPY b5 FROM STDIN WITH (FORMAT csv)`

var b5Peers = []string{"featurehouse", "postgresql", "duckdb-ctas", "duckdb-parquet"}

func benchB5(ctx context.Context, rep *report, fh *fhServer, pg *pgServer, csvPath, self string) error {
	o := rep.opts
	rep.b5 = map[string][]b5Run{}
	duckDir := filepath.Join(o.work, "duckdb")
	for r := 0; r < o.repeat; r++ {
		for i := range b5Peers {
			peer := b5Peers[(i+r)%len(b5Peers)]
			if err := ctx.Err(); err != nil {
				return err
			}
			syscall.Sync() // earlier peers' dirty pages are not this peer's cost
			var run b5Run
			var err error
			switch peer {
			case "featurehouse":
				err = fhLoad(ctx, fh, csvPath, o.scale, &run)
			case "postgresql":
				err = pgLoad(ctx, pg, csvPath, o.scale, &run)
			case "duckdb-ctas", "duckdb-parquet":
				err = duckLoad(ctx, self, csvPath, duckDir, strings.TrimPrefix(peer, "duckdb-"), o.scale, &run, rep)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", peer, err)
			}
			logf("B5 rep %d %-15s %8.2fs  %10.0f rows/s  server CPU %.1fs  peak RSS %.0f MB",
				r+1, peer, run.seconds, float64(run.rows)/run.seconds, run.cpu, float64(run.peakKB)/1024)
			rep.b5[peer] = append(rep.b5[peer], run)
		}
	}
	rep.fhParquetBytes = dirSize(filepath.Join(fh.dataDir, "offline"))
	if s, err := queryString(ctx, pg.url(), "SELECT pg_table_size('b5') || ' ' || pg_indexes_size('b5')"); err == nil {
		var t, i int64
		fmt.Sscan(s, &t, &i)
		rep.pgTableBytes, rep.pgIndexBytes = t, i
	}
	return nil
}

// fhLoad recreates feature group b5 and COPYs the CSV into it (run != nil: timed).
func fhLoad(ctx context.Context, fh *fhServer, csvPath string, want int64, run *b5Run) error {
	conn, err := pgx.Connect(ctx, fh.url())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, q := range []string{"DROP FEATURE GROUP IF EXISTS b5", b5Group} {
		if err := conn.PgConn().Exec(ctx, q).Close(); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	f, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	pid := fh.pid()
	_ = resetPeak(pid)
	cpu0, _ := procCPU(pid)
	smp := startSampler(pid, 50*time.Millisecond)
	start := time.Now()
	tag, err := conn.PgConn().CopyFrom(ctx, bufio.NewReaderSize(f, 1<<20), b5Copy)
	el := time.Since(start).Seconds()
	rss, _ := smp.finish()
	if err != nil {
		return err
	}
	if tag.RowsAffected() != want {
		return fmt.Errorf("COPY stored %d rows, want %d", tag.RowsAffected(), want)
	}
	if run != nil {
		cpu1, _ := procCPU(pid)
		run.rows, run.seconds, run.cpu = tag.RowsAffected(), el, cpu1-cpu0
		run.peakKB = rss
		if st, err := procStatus(pid); err == nil && st["VmHWM"] > rss {
			run.peakKB = st["VmHWM"]
		}
	}
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM b5").Scan(&n); err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("featurehouse has %d rows after COPY, want %d", n, want)
	}
	return nil
}

// pgLoad recreates the indexed table b5 and COPYs the CSV into it.
func pgLoad(ctx context.Context, pg *pgServer, csvPath string, want int64, run *b5Run) error {
	conn, err := pgx.Connect(ctx, pg.url())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, q := range []string{"DROP TABLE IF EXISTS b5", b5Table, b5Index, "CHECKPOINT"} {
		if err := conn.PgConn().Exec(ctx, q).Close(); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	var backend int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return err
	}
	f, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	pm := pg.postmasterPID()
	cpu0 := treeCPU(pm)
	start := time.Now()
	tag, err := conn.PgConn().CopyFrom(ctx, bufio.NewReaderSize(f, 1<<20), b5Copy)
	el := time.Since(start).Seconds()
	if err != nil {
		return err
	}
	if tag.RowsAffected() != want {
		return fmt.Errorf("COPY stored %d rows, want %d", tag.RowsAffected(), want)
	}
	if run != nil {
		run.rows, run.seconds, run.cpu = tag.RowsAffected(), el, treeCPU(pm)-cpu0
		if st, err := procStatus(backend); err == nil {
			run.peakKB = st["VmHWM"]
		}
	}
	// Write the loaded pages out now (untimed) so they do not slow the next peer.
	for _, q := range []string{"VACUUM ANALYZE b5", "CHECKPOINT"} {
		if err := conn.PgConn().Exec(ctx, q).Close(); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// duckLoad runs the DuckDB peer in its own process.
func duckLoad(ctx context.Context, self, csvPath, dir, mode string, want int64, run *b5Run, rep *report) error {
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out := filepath.Join(dir, "t.duckdb")
	if mode == "parquet" {
		out = filepath.Join(dir, "t.parquet")
	}
	cmd := exec.CommandContext(ctx, self, "duckdb-load", "-csv", csvPath, "-mode", mode, "-out", out)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.Output()
	if err != nil {
		return err
	}
	var res duckdbResult
	if err := json.Unmarshal(stdout, &res); err != nil {
		return fmt.Errorf("duckdb-load output %q: %w", stdout, err)
	}
	if res.Rows != want {
		return fmt.Errorf("DuckDB loaded %d rows, want %d", res.Rows, want)
	}
	rep.machine.duckdbVersion = res.Version
	ps := cmd.ProcessState
	run.rows, run.seconds = res.Rows, res.Seconds
	run.cpu = (ps.UserTime() + ps.SystemTime()).Seconds()
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		run.peakKB = ru.Maxrss
	}
	if mode == "parquet" {
		if st, err := os.Stat(out); err == nil {
			rep.duckParquetBytes = st.Size()
		}
	}
	return nil
}

// ---- B6 -----------------------------------------------------------------------

type b6Run struct {
	rows, bytes    int64
	seconds, first float64 // total, time to first row
	cpu            float64 // server CPU seconds
	peakKB         int64   // server VmHWM during the query (featurehouse: peak reset before it)
	anonKB         int64   // largest sampled RssAnon (private memory)
}

var b6Peers = []string{"featurehouse", "postgresql"}
var b6Modes = []string{"binary", "text"}

const b6Query = "SELECT * FROM b5"

func benchB6(ctx context.Context, rep *report, fh *fhServer, pg *pgServer) error {
	o := rep.opts
	// A fresh featurehouse process on the same data directory, so its peak
	// memory is the result's and not the ingest's.
	logf("B6: restarting featurehouse on the same data directory")
	fh.stop()
	if err := fh.start(ctx); err != nil {
		return err
	}
	if st, err := procStatus(fh.pid()); err == nil {
		rep.fhIdleKB = st["VmRSS"]
	}
	rep.b6 = map[string][]b6Run{}
	for r := 0; r < o.repeat; r++ {
		for i := range b6Peers {
			peer := b6Peers[(i+r)%len(b6Peers)]
			for _, mode := range b6Modes {
				if err := ctx.Err(); err != nil {
					return err
				}
				var run b6Run
				var err error
				if peer == "featurehouse" {
					err = fhRead(ctx, fh, mode, o.scale, &run)
				} else {
					err = pgRead(ctx, pg, mode, o.scale, &run)
				}
				if err != nil {
					return fmt.Errorf("%s %s: %w", peer, mode, err)
				}
				logf("B6 rep %d %-12s %-6s %7.2fs  %10.0f rows/s  %6.1f MB/s  first row %.3fs  server CPU %.1fs  peak RSS %.0f MB (anon %.0f MB)",
					r+1, peer, mode, run.seconds, float64(run.rows)/run.seconds, mb(run.bytes)/run.seconds, run.first, run.cpu,
					float64(run.peakKB)/1024, float64(run.anonKB)/1024)
				key := peer + " " + mode
				rep.b6[key] = append(rep.b6[key], run)
			}
		}
	}
	return nil
}

// readAll runs the query and reads every row's raw values.
func readAll(ctx context.Context, conn *pgx.Conn, mode string, run *b6Run) error {
	var args []any
	if mode == "text" {
		args = append(args, pgx.QueryExecModeSimpleProtocol)
	}
	start := time.Now()
	rows, err := conn.Query(ctx, b6Query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if run.rows == 0 {
			run.first = time.Since(start).Seconds()
		}
		for _, v := range rows.RawValues() {
			run.bytes += int64(len(v))
		}
		run.rows++
	}
	rows.Close()
	run.seconds = time.Since(start).Seconds()
	if err := rows.Err(); err != nil {
		return err
	}
	if n := len(rows.FieldDescriptions()); n != 5 {
		return fmt.Errorf("%s returned %d columns, want 5", b6Query, n)
	}
	return nil
}

// readMain is B6's client alone, to profile a server with.
func readMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("read", flag.ContinueOnError)
	url := fs.String("url", "", "connection string")
	mode := fs.String("mode", "binary", "binary or text")
	if err := fs.Parse(args); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, *url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var run b6Run
	if err := readAll(ctx, conn, *mode, &run); err != nil {
		return err
	}
	fmt.Printf("%d rows, %.0f MB in %.2fs: %.0f rows/s, first row %.3fs\n", run.rows, mb(run.bytes), run.seconds, float64(run.rows)/run.seconds, run.first)
	return nil
}

func fhRead(ctx context.Context, fh *fhServer, mode string, want int64, run *b6Run) error {
	conn, err := pgx.Connect(ctx, fh.url())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	pid := fh.pid()
	resetErr := resetPeak(pid)
	cpu0, _ := procCPU(pid)
	smp := startSampler(pid, 20*time.Millisecond)
	err = readAll(ctx, conn, mode, run)
	rss, anon := smp.finish()
	if err != nil {
		return err
	}
	cpu1, _ := procCPU(pid)
	run.cpu, run.peakKB, run.anonKB = cpu1-cpu0, rss, anon
	if st, err := procStatus(pid); err == nil && resetErr == nil && st["VmHWM"] > rss {
		run.peakKB = st["VmHWM"]
	}
	if run.rows != want {
		return fmt.Errorf("read %d rows, want %d", run.rows, want)
	}
	return nil
}

func pgRead(ctx context.Context, pg *pgServer, mode string, want int64, run *b6Run) error {
	conn, err := pgx.Connect(ctx, pg.url())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var backend int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return err
	}
	cpu0, _ := procCPU(backend)
	smp := startSampler(backend, 20*time.Millisecond)
	err = readAll(ctx, conn, mode, run)
	_, anon := smp.finish()
	if err != nil {
		return err
	}
	cpu1, _ := procCPU(backend)
	run.cpu, run.anonKB = cpu1-cpu0, anon
	if st, err := procStatus(backend); err == nil {
		run.peakKB = st["VmHWM"]
	}
	if run.rows != want {
		return fmt.Errorf("read %d rows, want %d", run.rows, want)
	}
	return nil
}

// ---- report -------------------------------------------------------------------

type machine struct {
	nproc                    int
	cpuModel, freeG, kernel  string
	goVersion, commit        string
	pgVersion, duckdbVersion string
}

type report struct {
	opts              options
	b4                *b4Report
	which             map[string]bool
	started, finished time.Time
	machine           machine
	csvBytes          int64
	b5                map[string][]b5Run
	b6                map[string][]b6Run
	fhParquetBytes    int64
	duckParquetBytes  int64
	pgTableBytes      int64
	pgIndexBytes      int64
	fhIdleKB          int64
	online            *onlineReport
	b7                *b7Report
}

func machineInfo(o options) machine {
	m := machine{nproc: runtime.NumCPU(), goVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpuModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.Command("nproc").Output(); err == nil {
		fmt.Sscan(string(out), &m.nproc)
	}
	if out, err := exec.Command("free", "-g").Output(); err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "Mem:") {
				m.freeG = strings.Join(strings.Fields(l), " ")
			}
		}
	}
	if out, err := exec.Command("uname", "-r").Output(); err == nil {
		m.kernel = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "-C", o.repo, "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.commit = strings.TrimSpace(string(out))
		if out, err := exec.Command("git", "-C", o.repo, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(out))) > 0 {
			m.commit += " (with uncommitted changes)"
		}
	}
	return m
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func fmtRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.0fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}

func (r *report) markdown() string {
	var b strings.Builder
	m := r.machine
	fmt.Fprintf(&b, "### fhbench run, %s (%.0f min)\n\n", r.started.Format("2006-01-02 15:04 UTC"), r.finished.Sub(r.started).Minutes())
	fmt.Fprintf(&b, "- machine: nproc %d, %s; free -g: `%s`; kernel %s\n", m.nproc, m.cpuModel, m.freeG, m.kernel)
	build := ""
	if gf := os.Getenv("GOFLAGS"); gf != "" {
		build = ", GOFLAGS=" + gf
	}
	redisV := ""
	if r.online != nil && r.online.redisVersion != "" {
		redisV = ", Redis " + r.online.redisVersion + " (no persistence), go-redis v9"
	}
	duck := ""
	if m.duckdbVersion != "" {
		duck = ", DuckDB " + m.duckdbVersion
	}
	fmt.Fprintf(&b, "- featurehouse %s (%s%s)%s, PostgreSQL %s (settings: %s)%s; client pgx v5, on the same cores\n", m.commit, m.goVersion, build, duck, m.pgVersion, r.opts.pgSet, redisV)
	if r.which["b5"] || r.which["b6"] {
		fmt.Fprintf(&b, "- B5/B6: scale %d rows, %d repetitions per figure (peers interleaved, order rotated); CSV %.0f MB\n", r.opts.scale, r.opts.repeat, mb(r.csvBytes))
	}
	b.WriteString("\n")
	if r.online != nil {
		r.online.markdown(&b, r.opts.repeat)
	}
	if r.b4 != nil {
		r.b4.markdown(&b)
	}
	if r.b5 != nil {
		b.WriteString("#### B5 bulk ingest: COPY FROM STDIN (CSV) of the same file\n\n")
		b.WriteString("| peer | rows/s (median) | seconds, each run | server CPU s (median) | server peak RSS MB (max) | featurehouse ÷ peer |\n|---|---:|---|---:|---:|---:|\n")
		fhRate := 0.0
		rates := map[string]float64{}
		for _, p := range b5Peers {
			var rs []float64
			for _, x := range r.b5[p] {
				rs = append(rs, float64(x.rows)/x.seconds)
			}
			rates[p] = median(rs)
			if p == "featurehouse" {
				fhRate = rates[p]
			}
		}
		for _, p := range b5Peers {
			runs := r.b5[p]
			var cs []float64
			var secs []string
			var peak int64
			for _, x := range runs {
				cs = append(cs, x.cpu)
				secs = append(secs, fmt.Sprintf("%.1f", x.seconds))
				peak = max(peak, x.peakKB)
			}
			ratio := "—"
			if p != "featurehouse" && rates[p] > 0 {
				ratio = fmt.Sprintf("%.2fx", fhRate/rates[p])
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %.1f | %.0f | %s |\n", b5Label(p), fmtRate(rates[p]), strings.Join(secs, ", "), median(cs), float64(peak)/1024, ratio)
		}
		ratio := fhRate / rates["postgresql"]
		verdict := "met"
		if ratio < 2 {
			verdict = "NOT met"
		}
		fmt.Fprintf(&b, "\nAim: featurehouse ≥ 2x PostgreSQL's rows/s — %.2fx, %s. featurehouse reaches %.0f%% of DuckDB reading the CSV into a table and %.0f%% of DuckDB writing it to Parquet.\n",
			ratio, verdict, 100*fhRate/rates["duckdb-ctas"], 100*fhRate/rates["duckdb-parquet"])
		fmt.Fprintf(&b, "Stored: featurehouse Parquet %.0f MB; DuckDB Parquet %.0f MB; PostgreSQL table %.0f MB + index %.0f MB.\n\n",
			mb(r.fhParquetBytes), mb(r.duckParquetBytes), mb(r.pgTableBytes), mb(r.pgIndexBytes))
	}
	if r.b6 != nil {
		fmt.Fprintf(&b, "#### B6 large result: `%s` (%d rows × 5 columns) read by pgx, every row's raw values\n\n", b6Query, r.opts.scale)
		b.WriteString("| peer, format | rows/s (median) | MB/s (median) | seconds, each run | first row s (median) | server CPU s (median) | server peak RSS MB (max) | peak private (RssAnon) MB | featurehouse ÷ peer |\n|---|---:|---:|---|---:|---:|---:|---:|---:|\n")
		rates := map[string]float64{}
		for _, k := range b6Keys() {
			var rs []float64
			for _, x := range r.b6[k] {
				rs = append(rs, float64(x.rows)/x.seconds)
			}
			rates[k] = median(rs)
		}
		var fhPeak int64
		for _, k := range b6Keys() {
			var rs, bs, fs, cs []float64
			var secs []string
			var peak, anon int64
			for _, x := range r.b6[k] {
				bs = append(bs, mb(x.bytes)/x.seconds)
				fs = append(fs, x.first)
				cs = append(cs, x.cpu)
				secs = append(secs, fmt.Sprintf("%.1f", x.seconds))
				peak, anon = max(peak, x.peakKB), max(anon, x.anonKB)
				rs = append(rs, float64(x.rows)/x.seconds)
			}
			peer, mode, _ := strings.Cut(k, " ")
			ratio := "—"
			if peer == "postgresql" {
				ratio = fmt.Sprintf("%.2fx", rates["featurehouse "+mode]/rates[k])
			} else {
				fhPeak = max(fhPeak, peak)
			}
			fmt.Fprintf(&b, "| %s, %s | %s | %.0f | %s | %.3f | %.1f | %.0f | %.0f | %s |\n", peer, b6ModeLabel(mode), fmtRate(median(rs)), median(bs),
				strings.Join(secs, ", "), median(fs), median(cs), float64(peak)/1024, float64(anon)/1024, ratio)
		}
		bin := rates["featurehouse binary"] / rates["postgresql binary"]
		txt := rates["featurehouse text"] / rates["postgresql text"]
		speed := "met"
		if bin < 1 || txt < 1 {
			speed = "NOT met"
		}
		memv := "met"
		if float64(fhPeak)/1024 >= 300 {
			memv = "NOT met"
		}
		fmt.Fprintf(&b, "\nAim: at least as fast as PostgreSQL — binary %.2fx, text %.2fx: %s. featurehouse peak RSS under 300 MB — %.0f MB (idle after restart: %.0f MB): %s.\n",
			bin, txt, speed, float64(fhPeak)/1024, float64(r.fhIdleKB)/1024, memv)
		b.WriteString("featurehouse's peak is its whole process's VmHWM, reset before each query (idle server included); PostgreSQL's is the backend's VmHWM, which counts the shared buffers it touched.\n\n")
	}
	if r.b7 != nil {
		r.b7.markdown(&b, r.opts.repeat)
	}
	return b.String()
}

func b6Keys() []string {
	var ks []string
	for _, p := range b6Peers {
		for _, m := range b6Modes {
			ks = append(ks, p+" "+m)
		}
	}
	return ks
}

func b6ModeLabel(m string) string {
	if m == "binary" {
		return "binary (extended protocol)"
	}
	return "text (simple protocol)"
}

func b5Label(p string) string {
	switch p {
	case "featurehouse":
		return "featurehouse: COPY into feature group (→ Parquet)"
	case "postgresql":
		return "PostgreSQL 15: COPY into table + (user_id, event_time) index"
	case "duckdb-ctas":
		return "DuckDB (limit): CREATE TABLE AS read_csv, file DB, CHECKPOINT"
	case "duckdb-parquet":
		return "DuckDB (limit): COPY read_csv TO Parquet (zstd)"
	}
	return p
}
