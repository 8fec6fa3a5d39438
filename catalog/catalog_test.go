package catalog

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

func openTest(t *testing.T, dir string) (*duckdb.Engine, *Catalog) {
	t.Helper()
	ctx := context.Background()
	eng, err := duckdb.Open(ctx, duckdb.Config{DataDir: dir, DirectWriteRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := Open(ctx, eng)
	if err != nil {
		t.Fatal(err)
	}
	return eng, cat
}

func queryAll(t *testing.T, c *duckdb.Conn, q string) [][]any {
	t.Helper()
	rows, err := c.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out [][]any
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]any(nil), r...))
	}
}

func demographics() NewGroup {
	return NewGroup{Schema: "public", Name: "demo", Features: []*Feature{
		{Name: "user_id", DataType: "text", DuckDBType: "VARCHAR", EntityKey: true, FeatureType: Text},
		{Name: "event_time", DataType: "timestamp with time zone", DuckDBType: "TIMESTAMPTZ", EventTime: true, FeatureType: Timestamp},
		{Name: "age", DataType: "integer", DuckDBType: "INTEGER", NotNull: true, Checks: []string{"age BETWEEN 0 AND 120"}, FeatureType: Numerical},
	}, Options: map[string]string{"partition_by": "month", "ttl": "30 days"}, OptionOrder: []string{"partition_by", "ttl"}}
}

func TestGroupLifecycleSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng, cat := openTest(t, dir)
	if _, err := cat.CreateGroup(ctx, demographics()); err != nil {
		t.Fatal(err)
	}
	g := cat.Lookup("public", "demo")
	if g == nil || g.TTL != "30 days" || g.PartitionBy != "month" {
		t.Fatalf("group not stored as created: %+v", g)
	}
	conn, err := eng.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	layout := g.Layout()
	insert := func(values string) error {
		stage, err := conn.CreateStage(ctx, &layout)
		if err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, "INSERT INTO "+stage+" VALUES "+values); err != nil {
			conn.DropStage(ctx, stage)
			return err
		}
		_, err = conn.CommitStage(ctx, &layout, stage, duckdb.WriteOptions{})
		return err
	}
	if err := insert("('u1', '2024-03-01', 25), ('u2', '2024-04-01', 30)"); err != nil {
		t.Fatal(err)
	}
	err = insert("('u3', '2024-03-01', 25), ('u4', '2024-04-01', 300)")
	if e, ok := pgerror.As(err); !ok || e.Code != pgerror.CheckViolation {
		t.Fatalf("want check violation, got %v", err)
	}
	err = insert("('u3', '2024-03-01', NULL)")
	if e, ok := pgerror.As(err); !ok || e.Code != pgerror.NotNullViolation {
		t.Fatalf("want not-null violation, got %v", err)
	}
	if n := queryAll(t, conn, "SELECT count(*) FROM demo")[0][0]; n != int64(2) {
		t.Fatalf("want 2 rows after failed writes, got %v", n)
	}
	if err := eng.FlushGroup(ctx, &layout, true); err != nil {
		t.Fatal(err)
	}
	files := queryAll(t, conn, "SELECT partition, row_count FROM feature_store.files ORDER BY partition")
	if len(files) != 2 || files[0][0] != "month=2024-03" {
		t.Fatalf("want two monthly files, got %v", files)
	}
	if err := insert("('u5', NULL, 40)"); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.AddFeature(ctx, "public", "demo", &Feature{Name: "income", DataType: "double precision", DuckDBType: "DOUBLE", FeatureType: Numerical}, false); err != nil {
		t.Fatal(err)
	}
	rows := queryAll(t, conn, "SELECT user_id, income FROM demo ORDER BY user_id")
	if len(rows) != 3 || rows[0][1] != nil {
		t.Fatalf("after ADD FEATURE: %v", rows)
	}
	conn.Close()
	if err := eng.Close(ctx); err != nil {
		t.Fatal(err)
	}
	eng, cat = openTest(t, dir)
	defer eng.Close(ctx)
	g = cat.Lookup("public", "demo")
	if g == nil || len(g.Features) != 4 {
		t.Fatalf("catalog not reloaded: %+v", g)
	}
	conn, _ = eng.Connect(ctx)
	defer conn.Close()
	if n := queryAll(t, conn, "SELECT count(*) FROM demo")[0][0]; n != int64(3) {
		t.Fatalf("want 3 rows after restart, got %v", n)
	}
	if _, err := cat.DropGroup(ctx, "public", "demo", false); err != nil {
		t.Fatal(err)
	}
	if n := queryAll(t, conn, "SELECT count(*) FROM feature_store.files")[0][0]; n != int64(0) {
		t.Fatalf("manifest rows left after drop: %v", n)
	}
}
