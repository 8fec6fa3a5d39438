package types

import (
	"bytes"
	"math"
	"testing"
	"time"
)

// Encoder's direct paths must match AppendText / AppendBinary exactly.
func TestEncoderMatchesAppend(t *testing.T) {
	efd := 0
	la, _ := time.LoadLocation("America/Los_Angeles")
	opts := []Options{{}, {Location: la}, {ExtraFloatDigits: &efd}}
	cases := []struct {
		t    Type
		vals []any
	}{
		{Type{OID: OIDText, DuckDB: "VARCHAR"}, []any{"", "abc", []byte("x"), int32(3)}},
		{Type{OID: OIDVarchar, DuckDB: "VARCHAR"}, []any{"héllo"}},
		{Type{OID: OIDInt4, DuckDB: "INTEGER"}, []any{int32(0), int32(-5), int32(math.MaxInt32), int64(7), "bad"}},
		{Type{OID: OIDInt8, DuckDB: "BIGINT"}, []any{int64(math.MinInt64), int64(42), int32(1)}},
		{Type{OID: OIDFloat8, DuckDB: "DOUBLE"}, []any{0.0, math.Copysign(0, -1), 1.5, 1e20, 1e-7, math.NaN(), math.Inf(-1), float32(2.5)}},
		{Type{OID: OIDTimestamptz, DuckDB: "TIMESTAMP WITH TIME ZONE"}, []any{
			time.Date(2024, 3, 4, 5, 6, 7, 123000, time.UTC), time.Date(-44, 3, 15, 0, 0, 0, 0, time.UTC),
			time.UnixMicro(math.MaxInt64).UTC(), time.UnixMicro(-math.MaxInt64).UTC(), "bad"}},
		{Type{OID: OIDTimestamp, DuckDB: "TIMESTAMP"}, []any{time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC)}},
		{Type{OID: OIDTimestamp, DuckDB: "TIMESTAMP_S"}, []any{time.Unix(math.MaxInt64, 0).UTC(), time.Unix(5, 0).UTC()}},
	}
	for _, c := range cases {
		for _, bin := range []bool{false, true} {
			enc := Encoder(c.t, bin)
			for _, v := range c.vals {
				for _, opt := range opts {
					var want []byte
					var werr error
					if bin {
						want, werr = AppendBinary([]byte("p"), c.t, v, opt)
					} else {
						want, werr = AppendText([]byte("p"), c.t, v, opt)
					}
					got, err := enc([]byte("p"), v, opt)
					if (err != nil) != (werr != nil) || (err == nil && !bytes.Equal(got, want)) {
						t.Errorf("%s bin=%v %#v: got %q, %v; want %q, %v", c.t.DuckDB, bin, v, got, err, want, werr)
					}
				}
			}
		}
	}
}
