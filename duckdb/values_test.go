package duckdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"
)

// newValuesEngine opens an engine with group g's storage created and
// registered, and a session connection.
func newValuesEngine(t *testing.T, gs ...*GroupLayout) (*Engine, *Conn) {
	t.Helper()
	ctx := context.Background()
	e, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	c, err := e.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	for _, g := range gs {
		if err := e.CreateGroupStorage(ctx, c, g); err != nil {
			t.Fatal(err)
		}
		e.RegisterGroup(*g)
	}
	return e, c
}

func b7Layout(id int64) *GroupLayout {
	return &GroupLayout{ID: id, Schema: "public", Name: fmt.Sprintf("g%d", id), EntityKeys: []string{"user_id"}, EventTime: "event_time", PartitionBy: "none",
		Columns: []ColumnLayout{{Name: "user_id", Type: "VARCHAR"}, {Name: "event_time", Type: "TIMESTAMPTZ"},
			{Name: "f1", Type: "DOUBLE"}, {Name: "f2", Type: "INTEGER"}, {Name: "f3", Type: "VARCHAR"}}}
}

// stored reads a group's unflushed rows, hidden columns included, by _fh_seq.
func stored(t *testing.T, c *Conn, g *GroupLayout) [][]any {
	t.Helper()
	rs, err := c.Query(context.Background(), g.unflushedSelect()+" ORDER BY "+SeqColumn)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out [][]any
	for {
		r, err := rs.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]any(nil), r...))
	}
}

var b7Cols = []string{"user_id", "event_time", "f1", "f2", "f3"}

func TestWriteValuesParameters(t *testing.T) {
	g := b7Layout(1)
	_, c := newValuesEngine(t, g)
	ctx := context.Background()
	var vs ValuesStmt
	defer vs.Close()
	et := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	rows := [][]string{{"$1", "$2", "$3", "$4", "$5"}}
	for i, args := range [][]any{
		{"u1", et, 1.5, int64(7), "a"},
		{"u2", nil, nil, int64(-8), nil}, // event time defaults to the statement's
	} {
		n, ok, err := c.WriteValues(ctx, g, &vs, rows, b7Cols, args, WriteOptions{StatementTime: now.Add(time.Duration(i) * time.Second)})
		if err != nil || !ok || n != 1 {
			t.Fatalf("write %d: n %d ok %v err %v", i, n, ok, err)
		}
	}
	if vs.stmt != nil {
		t.Fatal("parameters of the columns' types were evaluated by DuckDB")
	}
	got := stored(t, c, g)
	if len(got) != 2 {
		t.Fatalf("%d rows stored", len(got))
	}
	want := [][]any{
		{"u1", et.Truncate(time.Microsecond), 1.5, int32(7), "a"},
		{"u2", now.Add(time.Second), nil, int32(-8), nil},
	}
	for i, r := range got {
		if !reflect.DeepEqual(normalize(r[:5]), normalize(want[i])) {
			t.Errorf("row %d: %v, want %v", i, r[:5], want[i])
		}
		if w, _ := r[6].(time.Time); !w.Equal(now.Add(time.Duration(i) * time.Second)) {
			t.Errorf("row %d: written at %v", i, r[6])
		}
	}
	if s0, s1 := got[0][5].(int64), got[1][5].(int64); s1 <= s0 {
		t.Errorf("_fh_seq %d then %d", s0, s1)
	}
}

// normalize makes times comparable with reflect.DeepEqual.
func normalize(r []any) []any {
	out := make([]any, len(r))
	for i, v := range r {
		if tm, ok := v.(time.Time); ok {
			v = tm.UTC().Format(time.RFC3339Nano)
		}
		out[i] = v
	}
	return out
}

// The evaluation path stores what the stage path stores, for every type
// the direct path carries.
func TestWriteValuesMatchesStage(t *testing.T) {
	mk := func(id int64) *GroupLayout {
		return &GroupLayout{ID: id, Schema: "public", Name: fmt.Sprintf("t%d", id), EntityKeys: []string{"k"}, EventTime: "et", PartitionBy: "none",
			Columns: []ColumnLayout{{Name: "k", Type: "VARCHAR"}, {Name: "et", Type: "TIMESTAMPTZ"}, {Name: "b", Type: "BOOLEAN"},
				{Name: "s", Type: "SMALLINT"}, {Name: "i", Type: "INTEGER"}, {Name: "l", Type: "BIGINT"}, {Name: "f", Type: "FLOAT"},
				{Name: "d", Type: "DOUBLE"}, {Name: "dt", Type: "DATE"}, {Name: "ts", Type: "TIMESTAMP"}, {Name: "x", Type: "VARCHAR"}}}
	}
	direct, stage := mk(1), mk(2)
	_, c := newValuesEngine(t, direct, stage)
	ctx := context.Background()
	cols := []string{"k", "et", "b", "s", "i", "l", "f", "d", "dt", "ts"}
	rows := [][]string{
		{"'a'", "'2026-03-04 05:06:07.891234+02'", "true", "'12'", "$1", "$2", "$3", "$4", "'2026-03-04'", "'2026-03-04 05:06:07.5'"},
		{"upper('b')", "NULL", "$5", "-3", "2.5", "9007199254740993", "0.1", "1e300", "NULL", "$6"},
		{"'it''s'", "now()", "NULL", "NULL", "NULL", "NULL", "'NaN'", "'-inf'", "'0001-01-01'", "NULL"},
	}
	args := []any{int64(42), int64(-1 << 62), 3.4028234663852886e38, math.SmallestNonzeroFloat64, false, "1999-12-31 23:59:59.999999"}
	ts := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	var vs ValuesStmt
	defer vs.Close()
	if _, ok, err := c.WriteValues(ctx, direct, &vs, rows, cols, args, WriteOptions{StatementTime: ts}); err != nil || !ok {
		t.Fatalf("ok %v err %v", ok, err)
	}
	if vs.stmt == nil {
		t.Fatal("expressions were not evaluated by DuckDB")
	}
	st, err := c.CreateStage(ctx, stage)
	if err != nil {
		t.Fatal(err)
	}
	q := "INSERT INTO " + st + " (k, et, b, s, i, l, f, d, dt, ts) VALUES "
	for i, r := range rows {
		if i > 0 {
			q += ", "
		}
		q += "("
		for j, item := range r {
			if j > 0 {
				q += ", "
			}
			q += item
		}
		q += ")"
	}
	if _, err := c.Exec(ctx, q, args...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CommitStage(ctx, stage, st, WriteOptions{StatementTime: ts}); err != nil {
		t.Fatal(err)
	}
	a, b := stored(t, c, direct), stored(t, c, stage)
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("%d and %d rows", len(a), len(b))
	}
	for i := range a {
		// now() differs between the two statements; the rest must not.
		if i == 2 {
			a[i][1], b[i][1] = nil, nil
		}
		if x, y := fmt.Sprintf("%#v", normalize(a[i][:11])), fmt.Sprintf("%#v", normalize(b[i][:11])); x != y {
			t.Errorf("row %d:\ndirect %s\nstage  %s", i, x, y)
		}
	}
}

func TestWriteValuesRefusals(t *testing.T) {
	g := b7Layout(1)
	g.Columns[3].Checks = []Check{{Name: "g1_f2_check", Expr: `"f2" > 0`}}
	e, c := newValuesEngine(t, g)
	ctx := context.Background()
	var vs ValuesStmt
	defer vs.Close()
	et := time.Now()
	rows := [][]string{{"$1", "$2", "$3", "$4", "$5"}}
	for name, args := range map[string][]any{
		"CHECK":          {"u1", et, 1.0, int64(-1), "x"},
		"entity key":     {nil, et, 1.0, int64(1), "x"},
		"does not cast":  {"u1", "not a time", 1.0, int64(1), "x"},
		"out of range":   {"u1", et, 1.0, int64(1) << 40, "x"},
		"NUL in a value": {"u1", et, 1.0, int64(1), "a\x00b"},
	} {
		n, ok, err := c.WriteValues(ctx, g, &vs, rows, b7Cols, args, WriteOptions{})
		if err != nil || ok || n != 0 {
			t.Errorf("%s: n %d ok %v err %v, want the stage path", name, n, ok, err)
		}
	}
	// Not outside a transaction block; a layout other than the registered one.
	if _, ok, _ := c.WriteValues(ctx, g, &vs, rows, b7Cols, []any{"u1", et, 1.0, int64(1), "x"}, WriteOptions{InTransaction: true}); ok {
		t.Error("wrote inside a transaction block")
	}
	old := *g
	old.Columns = old.Columns[:4]
	if _, ok, _ := c.WriteValues(ctx, &old, &vs, rows, b7Cols[:4], []any{"u1", et, 1.0, int64(1)}, WriteOptions{}); ok {
		t.Error("wrote with a layout that is not the registered one")
	}
	if got := stored(t, c, g); len(got) != 0 {
		t.Fatalf("%d rows stored", len(got))
	}
	// After Close, writes take the stage path.
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.WriteValues(ctx, g, &vs, rows, b7Cols, []any{"u1", et, 1.0, int64(1), "x"}, WriteOptions{}); ok {
		t.Error("wrote after Close")
	}
}

// Concurrent writes are all stored, with distinct numbers, and a write
// that starts after another committed (by either path) numbers after it.
func TestWriteValuesConcurrentAndOrdered(t *testing.T) {
	g := b7Layout(1)
	e, c := newValuesEngine(t, g)
	ctx := context.Background()
	rows := [][]string{{"$1", "$2", "$3", "$4", "$5"}, {"$1", "$2", "$3", "$4", "$5"}}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wc, err := e.Connect(ctx)
			if err != nil {
				errs <- err
				return
			}
			defer wc.Close()
			var vs ValuesStmt
			defer vs.Close()
			for i := 0; i < 50; i++ {
				if _, ok, err := wc.WriteValues(ctx, g, &vs, rows, b7Cols, []any{fmt.Sprintf("u%d", w), time.Now(), float64(i), int64(i), "x"}, WriteOptions{}); err != nil || !ok {
					errs <- fmt.Errorf("ok %v err %v", ok, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := stored(t, c, g)
	if len(got) != 800 {
		t.Fatalf("%d rows stored, want 800", len(got))
	}
	seen := map[int64]bool{}
	for _, r := range got {
		s := r[5].(int64)
		if seen[s] {
			t.Fatalf("_fh_seq %d twice", s)
		}
		seen[s] = true
	}

	// Alternate the two paths; each write must number after the last.
	var vs ValuesStmt
	defer vs.Close()
	last := got[len(got)-1][5].(int64)
	for i := 0; i < 6; i++ {
		if i%2 == 0 {
			st, err := c.CreateStage(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Exec(ctx, "INSERT INTO "+st+" VALUES ('s', now(), 1, 1, 'x')"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.CommitStage(ctx, g, st, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		} else if _, ok, err := c.WriteValues(ctx, g, &vs, rows[:1], b7Cols, []any{"v", time.Now(), 1.0, int64(1), "x"}, WriteOptions{}); err != nil || !ok {
			t.Fatalf("ok %v err %v", ok, err)
		}
		all := stored(t, c, g)
		s := all[len(all)-1][5].(int64)
		if s <= last || all[len(all)-1][0] != map[bool]string{true: "s", false: "v"}[i%2 == 0] {
			t.Fatalf("write %d numbered %d after %d (%v)", i, s, last, all[len(all)-1])
		}
		last = s
	}
}

// WriteOptions.Stored gets a query returning exactly the stored rows.
func TestWriteValuesStored(t *testing.T) {
	g := b7Layout(1)
	_, c := newValuesEngine(t, g)
	ctx := context.Background()
	var vs ValuesStmt
	defer vs.Close()
	var q string
	opt := WriteOptions{Stored: func(_ context.Context, selectSQL string) { q = selectSQL }}
	rows := [][]string{{"$1", "$2", "$3", "$4", "$5"}, {"'u2'", "NULL", "0.1", "$4", "'it''s'"}}
	if _, ok, err := c.WriteValues(ctx, g, &vs, rows, b7Cols, []any{"u1", time.Now(), 1 / 3.0, int64(5), nil}, opt); err != nil || !ok {
		t.Fatalf("ok %v err %v", ok, err)
	}
	rs, err := c.Query(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var back [][]any
	for {
		r, err := rs.Next()
		if err != nil {
			break
		}
		back = append(back, append([]any(nil), r...))
	}
	rs.Close()
	want := stored(t, c, g)
	if fmt.Sprintf("%#v", normalizeAll(back)) != fmt.Sprintf("%#v", normalizeAll(want)) {
		t.Fatalf("Stored query returns\n%v\nstored\n%v", back, want)
	}
	if cols := rs.Columns(); len(cols) != 7 || cols[0].Name != "user_id" || cols[5].Name != SeqColumn {
		t.Fatalf("columns %v", cols)
	}
}

func normalizeAll(rs [][]any) [][]any {
	out := make([][]any, len(rs))
	for i, r := range rs {
		out[i] = normalize(r)
	}
	return out
}

func BenchmarkWriteValues(b *testing.B) {
	ctx := context.Background()
	e, err := Open(ctx, Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	c, _ := e.Connect(ctx)
	defer c.Close()
	g := b7Layout(1)
	if err := e.CreateGroupStorage(ctx, c, g); err != nil {
		b.Fatal(err)
	}
	e.RegisterGroup(*g)
	var vs ValuesStmt
	defer vs.Close()
	rows := [][]string{{"$1", "$2", "$3", "$4", "$5"}}
	b.RunParallel(func(pb *testing.PB) {
		wc, _ := e.Connect(ctx)
		defer wc.Close()
		var vs ValuesStmt
		defer vs.Close()
		for pb.Next() {
			if _, ok, err := wc.WriteValues(ctx, g, &vs, rows, b7Cols, []any{"u", time.Now(), 1.0, int64(1), "x"}, WriteOptions{}); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
}
