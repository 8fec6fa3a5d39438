package tests

import (
	"context"
	"fmt"
	"reflect"
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
