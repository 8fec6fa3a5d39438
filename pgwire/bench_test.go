package pgwire

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/featurehouse/featurehouse/sql/types"
)

// discardConn is a net.Conn that swallows writes.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkDataRow measures the DataRow encoding path alone (5 columns).
func BenchmarkDataRow(b *testing.B) {
	w := newWriter(discardConn{}, nil)
	cols := []types.Column{{Name: "a", Type: int8Type}, {Name: "b", Type: textType}, {Name: "c", Type: int8Type},
		{Name: "d", Type: textType}, {Name: "e", Type: int8Type}}
	for _, binary := range []bool{false, true} {
		name := "text"
		codes := []int16{0}
		if binary {
			name, codes = "binary", []int16{1}
		}
		b.Run(name, func(b *testing.B) {
			enc, perr := newRowEncoder(cols, codes, types.Options{Location: time.UTC})
			if perr != nil {
				b.Fatal(perr)
			}
			row := []any{int64(123456789), "feature value", int64(-42), "another string value", int64(7)}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := w.dataRow(row, enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSelectToClient measures rows/s from the fake backend through the
// server to a pgconn client over loopback.
func BenchmarkSelectToClient(b *testing.B) {
	ts := startServer(b)
	c := pgconnect(b, ts, "")
	const n = 200000
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rr := c.ExecParams(context.Background(), "SELECT 200000", nil, nil, nil, nil)
		rows := 0
		for rr.NextRow() {
			rows++
		}
		if _, err := rr.Close(); err != nil || rows != n {
			b.Fatalf("%d rows, %v", rows, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
