package planner

import (
	"context"
	"math"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/online"
	"github.com/featurehouse/featurehouse/sql"
)

func TestValuesSource(t *testing.T) {
	g := &catalog.Group{Name: "g", Features: []*catalog.Feature{
		{Name: "id"}, {Name: "et"}, {Name: "v"}, {Name: "old", Status: catalog.Retired}, {Name: "tags"},
	}}
	for _, c := range []struct {
		in   string
		cols []string
		rows [][]string // nil: not taken
	}{
		{`INSERT INTO g (id, et, v) VALUES ($1, $2, $3)`, []string{"id", "et", "v"}, [][]string{{"$1", "$2", "$3"}}},
		{`INSERT INTO g VALUES (1, now(), 'a,b', ARRAY['x', 'y'])`, []string{"id", "et", "v", "tags"},
			[][]string{{"1", "now()", "'a,b'", "ARRAY['x', 'y']"}}},
		{`insert into g AS x (v, id) values ((1 + 2) * 3, /* (, */ coalesce($1, -1)), (f(1, (2)), 'it''s');`, []string{"v", "id"},
			[][]string{{"(1 + 2) * 3", "coalesce($1, -1)"}, {"f(1, (2))", "'it''s'"}}},
		{`INSERT INTO g (id, v) VALUES (1, '{1,2}'::int[])`, []string{"id", "v"}, [][]string{{"1", "'[1,2]'::int[]"}}},
		{`INSERT INTO g (id, v) VALUES (1, DEFAULT)`, nil, nil},
		{`INSERT INTO g (id, v) SELECT 1, 2`, nil, nil},
		{`INSERT INTO g (id, v) VALUES (1, 2) ORDER BY 1`, nil, nil},
		{`WITH w AS (SELECT 1) INSERT INTO g (id, v) VALUES (1, 2)`, nil, nil},
	} {
		parsed, err := sql.ParseOne(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		q := parsed.(*sql.Query)
		ins := q.Tree.Stmts[0].Stmt.GetInsertStmt()
		_, end := sql.RelationSpan(q.Text, ins.Relation.Location)
		edits := append(arrayCastEdits(q.Text, ins), edit{start: 0, end: end, text: "INSERT INTO stage"})
		v := newValuesSource(q.Text, ins, g, end, edits)
		if c.rows == nil {
			if v != nil {
				t.Errorf("%s: taken: %v", c.in, v.rows)
			}
			continue
		}
		if v == nil {
			t.Errorf("%s: not taken", c.in)
			continue
		}
		if !reflect.DeepEqual(v.cols, c.cols) || !reflect.DeepEqual(v.rows, c.rows) {
			t.Errorf("%s:\n got %v %q\nwant %v %q", c.in, v.cols, v.rows, c.cols, c.rows)
		}
	}
}

// latestEntries makes the records readEntries makes of the same rows.
func TestLatestEntriesAsReadEntries(t *testing.T) {
	ctx := context.Background()
	e, err := duckdb.Open(ctx, duckdb.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	conn, err := e.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	g := &catalog.Group{Name: "g", Features: []*catalog.Feature{
		{Name: "k", DuckDBType: "VARCHAR", EntityKey: true}, {Name: "n", DuckDBType: "INTEGER", EntityKey: true},
		{Name: "et", DuckDBType: "TIMESTAMPTZ", EventTime: true}, {Name: "x", DuckDBType: "DOUBLE"}, {Name: "s", DuckDBType: "VARCHAR"},
	}}
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 678901000, time.UTC)
	rows := [][]any{
		{"a", int32(1), t0, 1.5, "first"},
		{"a", int32(1), t0, 0.1, nil}, // same time, later: wins
		{"a", int32(2), t0.Add(-time.Hour), nil, "other key"},
		{"b", int32(1), t0.Add(time.Hour), math.Inf(-1), ""},
		{"b", int32(1), t0, 2.0, "older"},
	}
	const seq = 5 << 32
	got, ok := latestEntries(g, rows, seq)
	if !ok {
		t.Fatal("not taken")
	}
	src := `SELECT * FROM (VALUES
		('a', 1, TIMESTAMPTZ '2024-01-02 03:04:05.678901+00', 1.5::DOUBLE, 'first', 21474836480::BIGINT),
		('a', 1, TIMESTAMPTZ '2024-01-02 03:04:05.678901+00', 0.1::DOUBLE, NULL, 21474836481::BIGINT),
		('a', 2, TIMESTAMPTZ '2024-01-02 02:04:05.678901+00', NULL::DOUBLE, 'other key', 21474836482::BIGINT),
		('b', 1, TIMESTAMPTZ '2024-01-02 04:04:05.678901+00', '-inf'::DOUBLE, '', 21474836483::BIGINT),
		('b', 1, TIMESTAMPTZ '2024-01-02 03:04:05.678901+00', 2.0::DOUBLE, 'older', 21474836484::BIGINT)
	) AS t(k, n, et, x, s, _fh_seq)`
	var want []online.Entry
	if err := readEntries(ctx, conn, g, src, func(es []online.Entry) error { want = append(want, es...); return nil }); err != nil {
		t.Fatal(err)
	}
	sortEntries := func(es []online.Entry) {
		sort.Slice(es, func(i, j int) bool { return es[i].Key < es[j].Key })
	}
	sortEntries(got)
	sortEntries(want)
	if len(got) != 3 || !reflect.DeepEqual(got, want) {
		t.Fatalf("latestEntries %v\nreadEntries   %v", got, want)
	}
	g.TTL = "1 day"
	if _, ok := latestEntries(g, rows, seq); ok {
		t.Error("a group with a ttl taken")
	}
}
