package duckdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"testing"
)

// TestPreparedNoRebind: a prepared statement executed with integer values
// of another width than its parameters' types (pgwire decodes int2/int4 as
// int64) runs the plan made at Prepare instead of planning again. A plan
// made again is seen through getvariable, which DuckDB reads when it binds.
func TestPreparedNoRebind(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	c, err := e.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// DuckDB never keeps the plan of a statement whose parameters filter a
	// table scan (it plans with the values); an INSERT ... VALUES it keeps.
	if _, err := c.Exec(ctx, "CREATE TABLE t (planned INTEGER, i INTEGER, s SMALLINT, b BIGINT, d DOUBLE)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "SET VARIABLE fh_planned = 0"); err != nil {
		t.Fatal(err)
	}
	st, err := c.Prepare(ctx, "INSERT INTO t VALUES (getvariable('fh_planned'), $1, $2, $3, $4)")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	execs := [][]any{
		{int64(1), int64(2), int64(3), int64(4)},                // int4, int2 as pgwire decodes them; an integer into DOUBLE
		{int64(70000), int16(-3), int32(1 << 20), float32(4.5)}, // float4 into DOUBLE
		{int32(9), int64(9), int64(1) << 40, float64(1e300)},
		{int64(-1 << 31), int64(-1 << 15), int64(-1 << 62), int64(1 << 53)},
	}
	for i, args := range execs {
		if _, err := c.Exec(ctx, "SET VARIABLE fh_planned = "+strconv.Itoa(i+1)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Exec(ctx, args); err != nil {
			t.Fatalf("execution %d: %v", i, err)
		}
	}
	// A value out of the parameter's range is still refused.
	if _, err := st.Exec(ctx, []any{int64(1) << 40, nil, nil, nil}); err == nil {
		t.Error("2^40 into an INTEGER column: no error")
	}
	rows, err := c.Query(ctx, "SELECT planned, i, s, b, d FROM t ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := []string{
		"0 1 2 3 4",
		"0 70000 -3 1048576 4.5",
		"0 9 9 1099511627776 1e+300",
		"0 -2147483648 -32768 -4611686018427387904 9.007199254740992e+15",
	}
	for i := 0; ; i++ {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			if i != len(want) {
				t.Errorf("%d rows, want %d", i, len(want))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(r...)
		if i < len(want) && got != want[i] {
			t.Errorf("row %d: %q, want %q (first column: the plan's getvariable; not 0: planned again)", i, got, want[i])
		}
	}
}
