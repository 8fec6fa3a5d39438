package tests

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// rowKey identifies a row of the crash group: writer and sequence number.
type rowKey struct{ w, n int }

// ackLog records, per row, whether its INSERT was attempted and whether it
// was acknowledged (the command completed successfully).
type ackLog struct {
	mu        sync.Mutex
	attempted map[rowKey]bool
	acked     map[rowKey]bool
}

func (l *ackLog) attempt(keys []rowKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.attempted[k] = true
	}
}

func (l *ackLog) ack(keys []rowKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.acked[k] = true
	}
}

// writeUntilError inserts rows for writer w, one per statement or in small
// batches, until a statement fails (the server was killed) or stop closes.
func writeUntilError(ctx context.Context, dsn string, w int, next *int, rng *rand.Rand, log *ackLog, stop <-chan struct{}) {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return
	}
	defer c.Close(context.Background())
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for {
		select {
		case <-stop:
			return
		default:
		}
		batch := 1
		if rng.Intn(2) == 0 {
			batch = 2 + rng.Intn(9)
		}
		keys := make([]rowKey, batch)
		values := make([]string, batch)
		for i := range keys {
			keys[i] = rowKey{w, *next}
			values[i] = fmt.Sprintf("(%d, %d, '%s', %d, 'w%d-n%d')", w, *next,
				base.Add(time.Duration(rng.Intn(90*24))*time.Hour).Format(time.RFC3339), *next%1000, w, *next)
			*next++
		}
		log.attempt(keys)
		var err error
		if batch == 1 && rng.Intn(2) == 0 {
			// extended protocol with parameters
			k := keys[0]
			_, err = c.Exec(ctx, `INSERT INTO crash (w, n, ts, v, s) VALUES ($1, $2, $3, $4, $5)`,
				k.w, k.n, base.Add(time.Duration(rng.Intn(90*24))*time.Hour), k.n%1000, fmt.Sprintf("w%d-n%d", k.w, k.n))
		} else {
			_, err = c.Exec(ctx, `INSERT INTO crash (w, n, ts, v, s) VALUES `+strings.Join(values, ", "))
		}
		if err != nil {
			return
		}
		log.ack(keys)
	}
}

// TestCrashSafety SIGKILLs the server at a random moment while several
// connections insert (single rows and small batches) and the flusher writes
// Parquet files (--flush-rows 50), three times in a row. After each restart:
// every acknowledged row is there exactly once, no row appears that was
// never written, every file in the manifest exists, is whole and holds the
// rows the manifest says, and no Parquet file under offline/ lacks a
// manifest row.
func TestCrashSafety(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	srv := StartServer(t, "--flush-rows", "50", "--flush-age", "300ms")
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP crash (
		w INTEGER ENTITY KEY, n INTEGER ENTITY KEY, ts TIMESTAMPTZ EVENT TIME,
		v INTEGER NOT NULL, s TEXT) WITH (partition_by = 'month')`)
	c.Close(context.Background())

	log := &ackLog{attempted: map[rowKey]bool{}, acked: map[rowKey]bool{}}
	const writers = 6
	next := make([]int, writers)
	for round := 1; round <= 3; round++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			wrng := rand.New(rand.NewSource(rng.Int63()))
			go func(w int) {
				defer wg.Done()
				writeUntilError(context.Background(), srv.DSN(), w, &next[w], wrng, log, stop)
			}(w)
		}
		time.Sleep(time.Duration(1500+rng.Intn(2500)) * time.Millisecond)
		srv.Kill()
		waitOrFail(t, &wg, 30*time.Second, "writers did not notice the killed server")
		close(stop)
		if round == 2 {
			plantGarbage(t, srv)
		}

		srv.Start()
		checkAfterCrash(t, srv, log, round)
		if t.Failed() {
			return
		}
	}
}

// plantGarbage leaves what a crash between a Parquet file's rename and its
// manifest commit would leave: an unreferenced copy of a real file (its rows
// must not show twice) and a torn file. The server must remove both at start.
func plantGarbage(t *testing.T, srv *Server) {
	t.Helper()
	var real string
	_ = filepath.Walk(filepath.Join(srv.DataDir, "offline"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasSuffix(p, ".parquet") && real == "" {
			real = p
		}
		return nil
	})
	if real == "" {
		t.Fatal("no Parquet file to copy: nothing was flushed")
	}
	b, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(real)
	if err := os.WriteFile(filepath.Join(dir, "9999999999999999999-1.parquet"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "9999999999999999999-2.parquet"), b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
}

func waitOrFail(t *testing.T, wg *sync.WaitGroup, d time.Duration, msg string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatal(msg)
	}
}

func checkAfterCrash(t *testing.T, srv *Server, log *ackLog, round int) {
	t.Helper()
	ctx := context.Background()
	c := srv.Connect(t)
	defer c.Close(ctx)

	rows, err := c.Query(ctx, `SELECT w, n, v, s FROM crash`)
	if err != nil {
		t.Fatalf("round %d: reading the group after restart: %v\n%s", round, err, srv.Log())
	}
	present := map[rowKey]int{}
	for rows.Next() {
		var w, n, v int32
		var s string
		if err := rows.Scan(&w, &n, &v, &s); err != nil {
			t.Fatal(err)
		}
		k := rowKey{int(w), int(n)}
		present[k]++
		if int(v) != k.n%1000 || s != fmt.Sprintf("w%d-n%d", k.w, k.n) {
			t.Errorf("round %d: row %v holds v=%d s=%q: torn or mixed up", round, k, v, s)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	log.mu.Lock()
	var missing, phantom, dup []rowKey
	for k := range log.acked {
		if present[k] == 0 {
			missing = append(missing, k)
		}
	}
	for k, cnt := range present {
		if !log.attempted[k] {
			phantom = append(phantom, k)
		}
		if cnt > 1 {
			dup = append(dup, k)
		}
	}
	nAcked, nAttempted := len(log.acked), len(log.attempted)
	log.mu.Unlock()
	t.Logf("round %d: %d rows acknowledged, %d attempted, %d present", round, nAcked, nAttempted, len(present))
	if nAcked < 100 {
		t.Errorf("round %d: only %d rows acknowledged before the kill: the test wrote too little to mean anything", round, nAcked)
	}
	sortKeys := func(ks []rowKey) []rowKey {
		sort.Slice(ks, func(i, j int) bool { return ks[i].w < ks[j].w || ks[i].w == ks[j].w && ks[i].n < ks[j].n })
		if len(ks) > 10 {
			ks = ks[:10]
		}
		return ks
	}
	if len(missing) > 0 {
		t.Errorf("round %d: %d acknowledged rows lost, e.g. %v", round, len(missing), sortKeys(missing))
	}
	if len(phantom) > 0 {
		t.Errorf("round %d: %d rows present that were never written, e.g. %v", round, len(phantom), sortKeys(phantom))
	}
	if len(dup) > 0 {
		t.Errorf("round %d: %d rows present more than once, e.g. %v", round, len(dup), sortKeys(dup))
	}
	total := 0
	for _, cnt := range present {
		total += cnt
	}
	var count int64
	if err := c.QueryRow(ctx, `SELECT count(*) FROM crash`).Scan(&count); err != nil {
		t.Fatalf("round %d: count(*): %v", round, err)
	}
	if int(count) != total {
		t.Errorf("round %d: count(*) = %d, SELECT returned %d rows", round, count, total)
	}
	checkManifest(t, srv, c, round)
}

// checkManifest compares feature_store.files with the Parquet files on disk.
func checkManifest(t *testing.T, srv *Server, c *pgx.Conn, round int) {
	t.Helper()
	ctx := context.Background()
	rows, err := c.Query(ctx, `SELECT path, row_count, size_bytes, removed_version IS NULL FROM feature_store.files WHERE group_name = 'crash'`)
	if err != nil {
		t.Fatal(err)
	}
	type file struct {
		path       string
		rows, size int64
		live       bool
	}
	var files []file
	inManifest := map[string]bool{}
	for rows.Next() {
		var f file
		if err := rows.Scan(&f.path, &f.rows, &f.size, &f.live); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		inManifest[filepath.Clean(f.path)] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, f := range files {
		if !f.live {
			continue
		}
		live++
		full := filepath.Join(srv.DataDir, f.path)
		st, err := os.Stat(full)
		if err != nil {
			t.Errorf("round %d: manifest names %s: %v", round, f.path, err)
			continue
		}
		if st.Size() != f.size {
			t.Errorf("round %d: %s is %d bytes, the manifest says %d", round, f.path, st.Size(), f.size)
		}
		var n int64
		if err := c.QueryRow(ctx, `SELECT count(*) FROM read_parquet('`+strings.ReplaceAll(full, "'", "''")+`')`).Scan(&n); err != nil {
			t.Errorf("round %d: reading %s: %v", round, f.path, err)
		} else if n != f.rows {
			t.Errorf("round %d: %s holds %d rows, the manifest says %d", round, f.path, n, f.rows)
		}
	}
	if round == 1 && live == 0 {
		t.Errorf("round %d: no Parquet file was written before the kill (--flush-rows 50): the test did not exercise flushing", round)
	}
	var onDisk int
	err = filepath.Walk(filepath.Join(srv.DataDir, "offline"), func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return nil
		}
		onDisk++
		rel, _ := filepath.Rel(srv.DataDir, p)
		if !inManifest[filepath.Clean(rel)] {
			t.Errorf("round %d: %s is on disk without a manifest row (garbage not removed at start)", round, rel)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	t.Logf("round %d: %d live files in the manifest, %d Parquet files on disk", round, live, onDisk)
}

// TestShutdownDuringLongQuery sends SIGTERM while a statement that would
// run for minutes and a short one are running: the short one completes
// with its answer, the long one is ended, new connections are refused, the
// server exits within its 30 s grace period (plus slack) after flushing,
// and restarts on the same data with every row.
func TestShutdownDuringLongQuery(t *testing.T) {
	srv := StartServer(t, "--flush-rows", "1000000", "--flush-age", "1h")
	c := srv.Connect(t)
	ctx := context.Background()
	Exec(t, c, `CREATE FEATURE GROUP sd (id INTEGER ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, v DOUBLE PRECISION)`)
	Exec(t, c, `INSERT INTO sd SELECT i::INTEGER, TIMESTAMPTZ '2024-01-01' + i * INTERVAL '1 minute', i / 2 FROM range(1000) t(i)`)
	Exec(t, c, `CREATE TABLE sd_plain AS SELECT range AS x FROM range(500)`)
	if got := QueryStrings(t, c, `SELECT count(*) FROM feature_store.files WHERE group_name = 'sd'`)[0][0]; got != "0" {
		t.Fatalf("expected the rows unflushed before shutdown, found %s files", got)
	}

	// A query of a few seconds: measured first, so the test knows it can
	// finish within the grace period on this machine.
	const shortSQL = `SELECT count(*) FROM range(%d) WHERE range %% 7 = 3`
	size := 50_000_000
	start := time.Now()
	var want int64
	if err := c.QueryRow(ctx, fmt.Sprintf(shortSQL, size)).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		size = int(float64(size) * float64(2*time.Second) / float64(d+1))
		if err := c.QueryRow(ctx, fmt.Sprintf(shortSQL, size)).Scan(&want); err != nil {
			t.Fatal(err)
		}
	}
	if want != int64((size-4)/7+1) {
		t.Fatalf("count = %d for size %d", want, size)
	}

	short := srv.Connect(t)
	long := srv.Connect(t)
	shortDone := make(chan error, 1)
	longDone := make(chan error, 1)
	longOK := false
	go func() {
		var n int64
		err := short.QueryRow(ctx, fmt.Sprintf(shortSQL, size)).Scan(&n)
		if err == nil && n != want {
			err = fmt.Errorf("count %d, want %d", n, want)
		}
		shortDone <- err
	}()
	go func() {
		var n int64
		err := long.QueryRow(ctx, `SELECT count(*) FROM range(1000000000000) WHERE range % 7 = 3`).Scan(&n)
		if err == nil {
			err = fmt.Errorf("returned %d", n)
			longOK = true
		}
		longDone <- err
	}()
	time.Sleep(300 * time.Millisecond)
	sigterm := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused once shutdown starts.
	time.Sleep(300 * time.Millisecond)
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	if nc, err := pgx.Connect(cctx, srv.DSN()); err == nil {
		var one int
		qerr := nc.QueryRow(cctx, `SELECT 1`).Scan(&one)
		nc.Close(ctx)
		if qerr == nil {
			t.Errorf("a new connection was accepted and served during shutdown")
		}
	}
	cancel()
	select {
	case err := <-shortDone:
		if err != nil {
			t.Errorf("the short query running at SIGTERM failed: %v (it had the grace period to finish)", err)
		}
	case <-time.After(40 * time.Second):
		t.Errorf("the short query did not end")
	}
	select {
	case err := <-longDone:
		if longOK {
			t.Errorf("the long query, running at SIGTERM, was not ended by the shutdown: %v", err)
		} else if code := sqlstate(err); code != "" && code != "57P01" && code != "57014" {
			t.Errorf("the long query ended with %v, want 57P01 (admin shutdown), 57014 or a closed connection", err)
		}
	case <-time.After(45 * time.Second):
		t.Errorf("the long query was not ended within the grace period")
	}
	select {
	case <-srv.done:
	case <-time.After(45 * time.Second):
		t.Fatalf("the server did not exit within 45s of SIGTERM (grace period 30s)\n%s", srv.Log())
	}
	exited := time.Since(sigterm)
	t.Logf("exited %v after SIGTERM", exited)
	if code := srv.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0\n%s", code, srv.Log())
	}

	srv.Start()
	c2 := srv.Connect(t)
	got := QueryStrings(t, c2, `SELECT count(*), sum(v), min(ts), max(ts) FROM sd`)
	wantRows := [][]string{{"1000", "249500", "2024-01-01 00:00:00+00", "2024-01-01 16:39:00+00"}}
	if fmt.Sprint(got) != fmt.Sprint(wantRows) {
		t.Errorf("after restart: %q, want %q", got, wantRows)
	}
	// Shutdown flushed the unflushed rows to Parquet.
	files := QueryStrings(t, c2, `SELECT count(*), coalesce(sum(row_count), 0) FROM feature_store.files WHERE group_name = 'sd' AND removed_version IS NULL`)
	if n, _ := strconv.Atoi(files[0][0]); n == 0 || files[0][1] != "1000" {
		t.Errorf("after a clean shutdown the manifest has %s files with %s rows, want the 1000 rows flushed to Parquet", files[0][0], files[0][1])
	}
	if got := QueryStrings(t, c2, `SELECT count(*), sum(x) FROM sd_plain`); fmt.Sprint(got) != "[[500 124750]]" {
		t.Errorf("plain table after restart: %q", got)
	}
	checkManifestGroup(t, srv, c2, "sd")
}

// TestShutdownFlushes stops an idle server with SIGTERM: it exits promptly
// with status 0 after writing the unflushed rows to Parquet, as
// docs/operations.md says, and restarts with every row.
func TestShutdownFlushes(t *testing.T) {
	srv := StartServer(t, "--flush-rows", "1000000", "--flush-age", "1h")
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP fl (id INTEGER ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, v INTEGER) WITH (partition_by = 'day')`)
	Exec(t, c, `INSERT INTO fl SELECT i::INTEGER, TIMESTAMPTZ '2024-01-01' + i * INTERVAL '1 hour', i::INTEGER FROM range(100) t(i)`)
	c.Close(context.Background())
	start := time.Now()
	srv.Stop()
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("an idle server took %v to stop", d)
	}
	if code := srv.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	srv.Start()
	c = srv.Connect(t)
	if got := QueryStrings(t, c, `SELECT count(*), sum(v) FROM fl`); fmt.Sprint(got) != "[[100 4950]]" {
		t.Errorf("after restart: %q", got)
	}
	// 100 hourly rows from 2024-01-01 span 5 days: 5 day partitions.
	got := QueryStrings(t, c, `SELECT count(DISTINCT partition), coalesce(sum(row_count), 0) FROM feature_store.files WHERE group_name = 'fl' AND removed_version IS NULL`)
	if fmt.Sprint(got) != "[[5 100]]" {
		t.Errorf("files after a clean shutdown (partitions, rows): %q, want [[5 100]]: shutdown must flush\n%s", got, srv.Log())
	}
	checkManifestGroup(t, srv, c, "fl")
}

// checkManifestGroup checks that every live file of a group exists.
func checkManifestGroup(t *testing.T, srv *Server, c *pgx.Conn, group string) {
	t.Helper()
	for _, r := range QueryStrings(t, c, `SELECT path FROM feature_store.files WHERE removed_version IS NULL AND group_name = '`+group+`'`) {
		if _, err := os.Stat(filepath.Join(srv.DataDir, r[0])); err != nil {
			t.Errorf("manifest file %s: %v", r[0], err)
		}
	}
}
