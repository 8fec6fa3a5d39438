package tests

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"
)

// refRow is one written row, in write order.
type refRow struct {
	k1    int
	k2    string
	et    time.Time
	v     *float64
	s     *string
	order int // global write order: later writes win ties
}

// TestAsOfMatchesNaiveReference writes random rows (ties on event time
// within and across statements, late events, NULL features, a composite
// key) split across Parquet files and unflushed rows, then checks
// `AS OF t` against a row-by-row reference for many t, including t on
// event times and exactly on ttl edges.
func TestAsOfMatchesNaiveReference(t *testing.T) {
	srv := StartServer(t, "--flush-rows", "40", "--flush-age", "1h")
	c := srv.Connect(t)
	ctx := context.Background()
	const ttl = 10 * 24 * time.Hour
	Exec(t, c, `CREATE FEATURE GROUP pit (
		k1 INTEGER ENTITY KEY, k2 TEXT ENTITY KEY, et TIMESTAMPTZ EVENT TIME,
		v DOUBLE PRECISION, s TEXT) WITH (ttl = '10 days')`)

	rng := rand.New(rand.NewSource(42))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var written []refRow
	order := 0
	for stmt := 0; stmt < 60; stmt++ {
		n := 1 + rng.Intn(5)
		var values []string
		for i := 0; i < n; i++ {
			r := refRow{k1: rng.Intn(4), k2: []string{"a", "b", "c"}[rng.Intn(3)],
				et: base.Add(time.Duration(rng.Intn(40)) * 24 * time.Hour / 2), order: order}
			order++
			if rng.Intn(5) > 0 {
				f := float64(rng.Intn(1000)) / 4
				r.v = &f
			}
			if rng.Intn(4) > 0 {
				str := fmt.Sprintf("s%d", rng.Intn(100))
				r.s = &str
			}
			written = append(written, r)
			values = append(values, fmt.Sprintf("(%d, '%s', '%s', %s, %s)", r.k1, r.k2, r.et.Format(time.RFC3339), sqlFloat(r.v), sqlText(r.s)))
		}
		Exec(t, c, "INSERT INTO pit (k1, k2, et, v, s) VALUES "+strings.Join(values, ", "))
	}
	// The flusher runs in the background: wait until part of the history is
	// Parquet, so both storage paths are read.
	deadline := time.Now().Add(30 * time.Second)
	for QueryStrings(t, c, "SELECT count(*) FROM feature_store.files WHERE group_name = 'pit'")[0][0] == "0" {
		if time.Now().After(deadline) {
			t.Fatalf("expected rows flushed to Parquet (flush-rows 40) within 30s, got no files")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A few more writes stay unflushed.
	for i := 0; i < 3; i++ {
		r := refRow{k1: i, k2: "a", et: base.Add(time.Duration(i) * 24 * time.Hour), order: order}
		order++
		f := float64(i)
		r.v = &f
		written = append(written, r)
		Exec(t, c, fmt.Sprintf("INSERT INTO pit (k1, k2, et, v, s) VALUES (%d, 'a', '%s', %v, NULL)", r.k1, r.et.Format(time.RFC3339), f))
	}

	// Times to check: random, every event time, and just inside/outside each ttl edge.
	var times []time.Time
	for i := 0; i < 20; i++ {
		times = append(times, base.Add(time.Duration(rng.Intn(50*24))*time.Hour-48*time.Hour))
	}
	for i := 0; i < len(written); i += 7 {
		et := written[i].et
		times = append(times, et, et.Add(ttl), et.Add(ttl).Add(time.Microsecond))
	}
	for _, at := range times {
		want := naiveAsOf(written, at, ttl)
		got := QueryStrings(t, c, fmt.Sprintf(`SELECT k1, k2, et, v, s FROM pit AS OF TIMESTAMPTZ '%s' ORDER BY k1, k2`, at.Format(time.RFC3339Nano)))
		if !equalRows(got, want) {
			t.Fatalf("AS OF %s:\n got %v\nwant %v", at.Format(time.RFC3339Nano), got, want)
		}
	}
	_ = ctx
}

// naiveAsOf is the definition: per entity, among rows with
// t - ttl <= event time <= t, the greatest event time, ties to the later write.
func naiveAsOf(rows []refRow, at time.Time, ttl time.Duration) [][]string {
	best := map[string]refRow{}
	for _, r := range rows {
		if r.et.After(at) || r.et.Before(at.Add(-ttl)) {
			continue
		}
		key := fmt.Sprintf("%d|%s", r.k1, r.k2)
		b, ok := best[key]
		if !ok || r.et.After(b.et) || r.et.Equal(b.et) && r.order > b.order {
			best[key] = r
		}
	}
	var out [][]string
	for _, r := range best {
		out = append(out, []string{fmt.Sprint(r.k1), r.k2, r.et.UTC().Format("2006-01-02 15:04:05") + "+00", textFloat(r.v), textOr(r.s)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}

func equalRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") {
			return false
		}
	}
	return true
}

func sqlFloat(v *float64) string {
	if v == nil {
		return "NULL"
	}
	return fmt.Sprint(*v)
}

func sqlText(s *string) string {
	if s == nil {
		return "NULL"
	}
	return "'" + *s + "'"
}

func textFloat(v *float64) string {
	if v == nil {
		return "NULL"
	}
	return fmt.Sprint(*v)
}

func textOr(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}
