package types

import (
	"math"
	"math/rand"
	"strconv"
	"testing"
	"time"
)

// oldAppendFloat is the former two-pass appendFloat, kept as the oracle.
func oldAppendFloat(buf []byte, f float64, bits int) []byte {
	if bits == 32 {
		f = float64(float32(f))
	}
	e := strconv.AppendFloat(nil, f, 'e', -1, bits)
	exp := 0
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] == 'e' {
			exp, _ = strconv.Atoi(string(e[i+1:]))
			break
		}
	}
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if exp >= -4 && exp < limit {
		return strconv.AppendFloat(buf, f, 'f', -1, bits)
	}
	return append(buf, e...)
}

func TestAppendFloatMatchesTwoPassFormat(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-4, 1e-5, 9.99e-5, 1e14, 1e15, 123456789012345, 1e6, 1e5, 99999.5, math.MaxFloat64, math.SmallestNonzeroFloat64, 1e300, -1e-300, 100, 1234.5}
	for i := 0; i < 400000; i++ {
		switch i % 4 {
		case 0:
			vals = append(vals, math.Float64frombits(r.Uint64()))
		case 1:
			vals = append(vals, r.NormFloat64()*math.Pow(10, float64(r.Intn(40)-20)))
		case 2:
			vals = append(vals, float64(r.Intn(1000000))/math.Pow(10, float64(r.Intn(10))))
		default:
			vals = append(vals, float64(r.Int63n(1<<53))*math.Pow(10, float64(r.Intn(10)-5)))
		}
	}
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		for _, bits := range []int{32, 64} {
			a := string(appendFloat([]byte("x"), v, bits))
			b := string(oldAppendFloat([]byte("x"), v, bits))
			if a != b {
				t.Fatalf("%v/%d: new %q old %q", v, bits, a, b)
			}
		}
	}
	for _, x := range []int64{0, 1, 9, 10, 99, 100, 12345, -5, -123} {
		for w := 0; w < 6; w++ {
			var s string
			n := x
			if n < 0 {
				s = "-"
				n = -n
			}
			d := strconv.FormatInt(n, 10)
			for len(d) < w {
				d = "0" + d
			}
			if got := string(appendPad(nil, x, w)); got != s+d {
				t.Fatalf("pad %d %d: %q", x, w, got)
			}
		}
	}
}

func TestAppendTextNoAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	ts := time.Date(2024, 3, 4, 5, 6, 7, 123000, time.UTC)
	var v any = ts
	var fv any = 3.25
	tt := Type{OID: OIDTimestamptz, DuckDB: "TIMESTAMP WITH TIME ZONE"}
	ft := Type{OID: OIDFloat8, DuckDB: "DOUBLE"}
	opt := Options{Location: time.UTC}
	n := testing.AllocsPerRun(1000, func() {
		buf, _ = AppendText(buf[:0], tt, v, opt)
		buf, _ = AppendText(buf[:0], ft, fv, opt)
	})
	t.Logf("allocs %v %s", n, buf)
	if n != 0 {
		t.Fatal(n)
	}
}
