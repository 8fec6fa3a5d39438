package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// compactWrite stores 50 000 rows straight to Parquet (a write that large
// skips the unflushed table): one file per partition touched.
func compactWrite(t *testing.T, c *pgx.Conn, group string, batch int) {
	t.Helper()
	Exec(t, c, fmt.Sprintf(`INSERT INTO %s (id, et, v) SELECT i %% 1000, TIMESTAMPTZ '2024-01-01' + (i * 7 + %d) * INTERVAL '1 second', i + %d
		FROM generate_series(0, 49999) t(i)`, group, batch, batch*100000))
}

func liveFileCount(t *testing.T, c *pgx.Conn, group string) string {
	t.Helper()
	return QueryStrings(t, c, `SELECT count(*) FROM feature_store.files WHERE group_name = '`+group+`' AND removed_version IS NULL`)[0][0]
}

// compactAnswers are the answers compaction must not change: the whole
// history, AS OF a time, and a point-in-time join.
func compactAnswers(t *testing.T, c *pgx.Conn, group string) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT count(*), sum(v), sum(hash(id, et, v)) FROM ` + group,
		`SELECT count(*), sum(v), min(et), max(et) FROM ` + group + ` AS OF TIMESTAMPTZ '2024-01-02'`,
		`SELECT count(*), sum(g.v) FROM labels l LEFT JOIN ` + group + ` AS OF l.ts g USING (id)`,
	} {
		out = append(out, fmt.Sprint(QueryStrings(t, c, q)))
	}
	return out
}

// TestCompactMergesSmallFiles: COMPACT merges a group's small files per
// partition and per schema into one, every answer stays the same, a
// snapshot taken before keeps its files, and VACUUM deletes the merged
// ones once nothing needs them.
func TestCompactMergesSmallFiles(t *testing.T) {
	srv := StartServer(t, "--compact-min-files", "0")
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP cg (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v BIGINT)`)
	Exec(t, c, `CREATE TABLE labels AS SELECT i % 1200 AS id, TIMESTAMPTZ '2024-01-01' + i * INTERVAL '37 seconds' AS ts FROM range(20000) t(i)`)
	for b := 0; b < 3; b++ {
		compactWrite(t, c, "cg", b)
	}
	Exec(t, c, `ALTER FEATURE GROUP cg ADD FEATURE extra TEXT`) // later files have another column set
	for b := 3; b < 5; b++ {
		compactWrite(t, c, "cg", b)
	}
	if n := liveFileCount(t, c, "cg"); n != "5" {
		t.Fatalf("%s live files before COMPACT, want 5", n)
	}
	want := compactAnswers(t, c, "cg")
	Exec(t, c, `CREATE SNAPSHOT before_compact OF cg`)
	snap := QueryStrings(t, c, `SELECT count(*), sum(v) FROM cg VERSION 'before_compact'`)

	got := QueryStrings(t, c, `COMPACT cg`)
	if fmt.Sprint(got) != "[[cg 5 2 250000]]" {
		t.Errorf("COMPACT answered %v, want 5 files merged into 2 (one per column set)", got)
	}
	if n := liveFileCount(t, c, "cg"); n != "2" {
		t.Errorf("%s live files after COMPACT, want 2", n)
	}
	if a := compactAnswers(t, c, "cg"); !reflect.DeepEqual(a, want) {
		t.Errorf("answers changed by COMPACT:\n%v\nwant\n%v", a, want)
	}
	if got := QueryStrings(t, c, `COMPACT cg`); fmt.Sprint(got) != "[[cg 0 0 0]]" {
		t.Errorf("a second COMPACT: %v", got)
	}
	if got := QueryStrings(t, c, `VACUUM cg`); got[0][2] != "0" {
		t.Errorf("VACUUM deleted %s files the snapshot pins", got[0][2])
	}
	if got := QueryStrings(t, c, `SELECT count(*), sum(v) FROM cg VERSION 'before_compact'`); !reflect.DeepEqual(got, snap) {
		t.Errorf("snapshot after COMPACT and VACUUM: %v, want %v", got, snap)
	}
	Exec(t, c, `DROP SNAPSHOT before_compact`)
	if got := QueryStrings(t, c, `VACUUM cg`); got[0][2] != "5" {
		t.Errorf("VACUUM after DROP SNAPSHOT deleted %s files, want the 5 merged ones", got[0][2])
	}
	srv.Stop()
	srv.Start()
	c = srv.Connect(t)
	if a := compactAnswers(t, c, "cg"); !reflect.DeepEqual(a, want) {
		t.Errorf("answers after restart:\n%v\nwant\n%v", a, want)
	}
	fvCode(t, c, `COMPACT nothing`, "42P01")
	Exec(t, c, `BEGIN`)
	fvCode(t, c, `COMPACT cg`, "25001")
	Exec(t, c, `ROLLBACK`)
}

// TestCompactPartitions: files of different partitions are never merged.
func TestCompactPartitions(t *testing.T) {
	srv := StartServer(t, "--compact-min-files", "0")
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP pg (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v BIGINT) WITH (partition_by = 'day')`)
	for b := 0; b < 3; b++ {
		// Each write spans 2024-01-01 .. 2024-01-05: five files per write.
		compactWrite(t, c, "pg", b)
	}
	before := QueryStrings(t, c, `SELECT partition, count(*) FROM feature_store.files WHERE group_name = 'pg' AND removed_version IS NULL GROUP BY 1 ORDER BY 1`)
	Exec(t, c, `COMPACT FEATURE GROUP pg`)
	after := QueryStrings(t, c, `SELECT partition, count(*), sum(row_count) FROM feature_store.files WHERE group_name = 'pg' AND removed_version IS NULL GROUP BY 1 ORDER BY 1`)
	if len(after) != len(before) {
		t.Fatalf("partitions before %v, after %v", before, after)
	}
	for _, r := range after {
		if r[1] != "1" {
			t.Errorf("partition %s has %s files after COMPACT", r[0], r[1])
		}
	}
	if got := QueryStrings(t, c, `SELECT count(*) FROM pg`); got[0][0] != "150000" {
		t.Errorf("rows after COMPACT: %v", got)
	}
}

// TestCompactAutomaticUnderWrites: with --compact-min-files 3 the flusher
// merges small files by itself, while single-row inserts keep coming; no
// acknowledged row is lost or doubled.
func TestCompactAutomaticUnderWrites(t *testing.T) {
	srv := StartServer(t, "--compact-min-files", "3", "--flush-rows", "20", "--flush-age", "1s")
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP ag (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v BIGINT)`)
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			wc, err := pgx.Connect(context.Background(), srv.DSN())
			if err != nil {
				t.Error(err)
				return
			}
			defer wc.Close(context.Background())
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := w*1_000_000 + i
				if _, err := wc.Exec(context.Background(), `INSERT INTO ag VALUES ($1, now(), $2)`, id, int64(id)); err != nil {
					t.Errorf("insert %d: %v", id, err)
					return
				}
				acked.Add(1)
			}
		}(w)
	}
	// Wait until compaction has merged files at least once.
	deadline := time.Now().Add(60 * time.Second)
	for {
		n := QueryStrings(t, c, `SELECT count(*) FROM feature_store.files WHERE group_name = 'ag' AND removed_version IS NOT NULL`)[0][0]
		if n != "0" {
			break
		}
		if time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("no compaction within 60s:\n%s", srv.Log())
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	got := QueryStrings(t, c, `SELECT count(*), count(DISTINCT id) FROM ag`)
	if want := fmt.Sprint(acked.Load()); got[0][0] != want || got[0][1] != want {
		t.Errorf("rows %v after compaction under writes, want %s acknowledged", got, want)
	}
}

// TestCompactCrash kills the server (SIGKILL) while COMPACT runs, at a
// different moment each round: after the restart every answer is the one
// before, the group's live files are either the old ones or the merged one
// (never both, never a torn file), every file the manifest names exists
// with its row count, no unreferenced Parquet file is left, and COMPACT
// then completes.
func TestCompactCrash(t *testing.T) {
	srv := StartServer(t, "--compact-min-files", "0")
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP kg (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v BIGINT)`)
	Exec(t, c, `CREATE TABLE labels AS SELECT i % 1200 AS id, TIMESTAMPTZ '2024-01-01' + i * INTERVAL '37 seconds' AS ts FROM range(20000) t(i)`)
	const files = 10
	for b := 0; b < files; b++ {
		compactWrite(t, c, "kg", b)
	}
	want := compactAnswers(t, c, "kg")
	// How long one COMPACT of these files takes, on a copy.
	Exec(t, c, `CREATE FEATURE GROUP kg_probe (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v BIGINT)`)
	for b := 0; b < files; b++ {
		compactWrite(t, c, "kg_probe", b)
	}
	start := time.Now()
	Exec(t, c, `COMPACT kg_probe`)
	took := time.Since(start)
	t.Logf("COMPACT of %d files took %v", files, took)

	merged := 0
	for round, frac := range []float64{0.1, 0.4, 0.7, 0.95} {
		done := make(chan error, 1)
		go func() {
			cc, err := pgx.Connect(context.Background(), srv.DSN())
			if err != nil {
				done <- err
				return
			}
			defer cc.Close(context.Background())
			_, err = cc.Exec(context.Background(), `COMPACT kg`)
			done <- err
		}()
		time.Sleep(time.Duration(float64(took) * frac))
		srv.Kill()
		err := <-done
		srv.Start()
		c = srv.Connect(t)
		if a := compactAnswers(t, c, "kg"); !reflect.DeepEqual(a, want) {
			t.Fatalf("round %d (kill at %.0f%%): answers after the crash:\n%v\nwant\n%v", round, frac*100, a, want)
		}
		live := liveFileCount(t, c, "kg")
		switch {
		case live == "1" && err == nil:
			t.Logf("round %d: COMPACT finished before the kill", round)
			merged++
		case live == "1":
			t.Logf("round %d: COMPACT committed, the kill came before its answer", round)
			merged++
		case live == fmt.Sprint(files):
			t.Logf("round %d: killed mid-compaction (%v): the old files stand", round, err)
		default:
			t.Fatalf("round %d: %s live files after the crash, want %d or 1", round, live, files)
		}
		checkCompactManifest(t, srv, c, "kg")
		if merged > 0 {
			break
		}
	}
	if got := QueryStrings(t, c, `COMPACT kg`); merged == 0 && fmt.Sprint(got) != fmt.Sprintf("[[kg %d 1 %d]]", files, files*50000) {
		t.Errorf("COMPACT after the crashes: %v", got)
	}
	if n := liveFileCount(t, c, "kg"); n != "1" {
		t.Errorf("%s live files after the last COMPACT, want 1", n)
	}
	if a := compactAnswers(t, c, "kg"); !reflect.DeepEqual(a, want) {
		t.Errorf("answers after the last COMPACT:\n%v\nwant\n%v", a, want)
	}
	checkCompactManifest(t, srv, c, "kg")
}

// checkCompactManifest: every file of the group the manifest names (live
// or kept for older versions) is on disk and holds its row count, and every
// Parquet file under the group's directory is in the manifest.
func checkCompactManifest(t *testing.T, srv *Server, c *pgx.Conn, group string) {
	t.Helper()
	inManifest := map[string]bool{}
	dir := ""
	for _, r := range QueryStrings(t, c, `SELECT path, row_count FROM feature_store.files WHERE group_name = '`+group+`'`) {
		inManifest[filepath.Clean(r[0])] = true
		dir = filepath.Dir(r[0])
		full := filepath.Join(srv.DataDir, r[0])
		got := QueryStrings(t, c, `SELECT count(*) FROM read_parquet('`+strings.ReplaceAll(full, "'", "''")+`')`)
		if got[0][0] != r[1] {
			t.Errorf("%s holds %s rows, the manifest says %s", r[0], got[0][0], r[1])
		}
	}
	if dir == "" {
		t.Fatal("no files in the manifest")
	}
	entries, err := os.ReadDir(filepath.Join(srv.DataDir, dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		rel := filepath.Join(dir, e.Name())
		if strings.HasSuffix(e.Name(), ".parquet") && !inManifest[rel] {
			t.Errorf("%s is on disk without a manifest row", rel)
		}
	}
}

// TestCompactConcurrent: while COMPACT runs, readers see every row exactly
// once (the answer before or after the concurrent DELETE, never a mix of
// old and merged files), and a DELETE, an ADD FEATURE and inserts run
// before or after it, each applied once.
func TestCompactConcurrent(t *testing.T) {
	srv := StartServer(t, "--compact-min-files", "0")
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP cc (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v BIGINT)`)
	for b := 0; b < 8; b++ {
		compactWrite(t, c, "cc", b)
	}
	const q = `SELECT count(*), sum(v) FROM cc WHERE id <> 1000000`
	before := fmt.Sprint(QueryStrings(t, c, q))
	after := fmt.Sprint(QueryStrings(t, c, `SELECT count(*), sum(v) FROM cc WHERE id <> 7 AND id <> 1000000`))
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads atomic.Int64
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc, err := pgx.Connect(ctx, srv.DSN())
			if err != nil {
				t.Error(err)
				return
			}
			defer rc.Close(ctx)
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n, s int64
				if err := rc.QueryRow(ctx, q).Scan(&n, &s); err != nil {
					t.Errorf("read during COMPACT: %v", err)
					return
				}
				if got := fmt.Sprintf("[[%d %d]]", n, s); got != before && got != after {
					t.Errorf("read during COMPACT: %s, want %s or %s", got, before, after)
					return
				}
				reads.Add(1)
			}
		}()
	}
	writers := []string{
		`DELETE FROM cc WHERE id = 7`,
		`ALTER FEATURE GROUP cc ADD FEATURE extra TEXT`,
		`INSERT INTO cc (id, et, v) VALUES (1000000, '2024-06-01', 1)`,
	}
	errs := make(chan error, len(writers)+1)
	var wwg sync.WaitGroup
	for i, w := range append([]string{`COMPACT cc`}, writers...) {
		wwg.Add(1)
		go func() {
			defer wwg.Done()
			time.Sleep(time.Duration(i) * 100 * time.Millisecond)
			wc, err := pgx.Connect(ctx, srv.DSN())
			if err != nil {
				errs <- err
				return
			}
			defer wc.Close(ctx)
			if _, err := wc.Exec(ctx, w); err != nil {
				errs <- fmt.Errorf("%s: %w", w, err)
			}
		}()
	}
	wwg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d reads during COMPACT", reads.Load())
	if got := fmt.Sprint(QueryStrings(t, c, q)); got != after {
		t.Errorf("after COMPACT and DELETE: %s, want %s", got, after)
	}
	if got := QueryStrings(t, c, `SELECT count(*), count(extra) FROM cc WHERE id = 1000000`); fmt.Sprint(got) != "[[1 0]]" {
		t.Errorf("the row inserted during COMPACT: %v", got)
	}
	// Compacting again merges what is left; the answers stay.
	Exec(t, c, `COMPACT cc`)
	if got := fmt.Sprint(QueryStrings(t, c, q)); got != after {
		t.Errorf("after a second COMPACT: %s, want %s", got, after)
	}
	srv.Stop()
	srv.Start()
	c = srv.Connect(t)
	if got := fmt.Sprint(QueryStrings(t, c, q)); got != after {
		t.Errorf("after a restart: %s, want %s", got, after)
	}
	checkCompactManifest(t, srv, c, "cc")
}

// TestCompactAutomaticTiered: automatic compaction merges files of about
// the same size, so a stream of small flushes rewrites each row a few
// times (once per size tier), not at every merge: the rows written to
// Parquet in all (every file, merged away or live) stay within a small
// multiple of the rows stored, and few files are left.
func TestCompactAutomaticTiered(t *testing.T) {
	srv := StartServer(t, "--compact-min-files", "3", "--flush-rows", "20", "--flush-age", "1h")
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP tg (id INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v BIGINT)`)
	const batches = 60
	for b := 0; b < batches; b++ {
		Exec(t, c, fmt.Sprintf(`INSERT INTO tg SELECT i, TIMESTAMPTZ '2024-01-01' + i * INTERVAL '1 second', i FROM range(%d, %d) t(i)`, b*20, b*20+20))
		// Wait for the flush the 20 rows trigger, so that each is a file.
		deadline := time.Now().Add(10 * time.Second)
		for QueryStrings(t, c, `SELECT coalesce(sum(row_count), 0) FROM feature_store.files WHERE group_name = 'tg' AND removed_version IS NULL`)[0][0] != fmt.Sprint(b*20+20) {
			if time.Now().After(deadline) {
				t.Fatalf("batch %d not flushed within 10s:\n%s", b, srv.Log())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	time.Sleep(time.Second) // the last merge
	got := QueryStrings(t, c, `SELECT sum(row_count), count(*) FILTER (WHERE removed_version IS NULL) FROM feature_store.files WHERE group_name = 'tg'`)[0]
	var written, live int
	fmt.Sscan(got[0], &written)
	fmt.Sscan(got[1], &live)
	amp := float64(written) / (batches * 20)
	t.Logf("%d flushes of 20 rows: %d rows written to Parquet in all (%.1fx), %d live files", batches, written, amp, live)
	if amp > 6 {
		t.Errorf("rows written %.1fx the rows stored, want at most 6x (log3 of 60 flushes plus the flush itself)", amp)
	}
	if live > 12 {
		t.Errorf("%d live files after %d flushes, want fewer than 3 per size tier", live, batches)
	}
	if got := QueryStrings(t, c, `SELECT count(*), count(DISTINCT id), sum(v) FROM tg`); fmt.Sprint(got) != fmt.Sprintf("[[%d %d %d]]", batches*20, batches*20, (batches*20-1)*batches*20/2) {
		t.Errorf("rows after compaction: %v", got)
	}
}
