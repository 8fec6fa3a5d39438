package types

import (
	"math"
	"math/big"
	"strconv"

	"github.com/duckdb/duckdb-go/v2"
)

// appendIntText appends any Go integer (or *big.Int) in decimal.
func appendIntText(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case int8:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case int:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case uint8:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(buf, x, 10), nil
	case uint:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case *big.Int:
		return x.Append(buf, 10), nil
	}
	return nil, errUnexpected(v)
}

// appendFloatText appends f as PostgreSQL's float4out/float8out do with
// extra_float_digits 1: the shortest string that reads back to the same
// value, in fixed notation when the decimal exponent is in [-4, 15) for
// float8 and [-4, 6) for float4, else as d.ddde±XX.
func appendFloatText(buf []byte, v any, bits int, opt Options) ([]byte, error) {
	var f float64
	switch x := v.(type) {
	case float32:
		f = float64(x)
	case float64:
		f = x
	default:
		return nil, errUnexpected(v)
	}
	if efd := opt.ExtraFloatDigits; efd != nil && *efd <= 0 && !math.IsNaN(f) && !math.IsInf(f, 0) {
		// PostgreSQL's %.*g with DBL_DIG/FLT_DIG + extra_float_digits.
		prec := 15 + *efd
		if bits == 32 {
			prec = 6 + *efd
			f = float64(float32(f))
		}
		if prec < 1 {
			prec = 1
		}
		return strconv.AppendFloat(buf, f, 'g', prec, bits), nil
	}
	return appendFloat(buf, f, bits), nil
}

func appendFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	if bits == 32 {
		f = float64(float32(f))
		if math.IsInf(f, 0) { // overflowed float4: as strconv prints it
			return strconv.AppendFloat(buf, f, 'f', -1, bits)
		}
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, bits)
	// e is [-]d[.ddd]e±XX: the shortest digits that read back to f, the
	// same digits 'f' with precision -1 would print.
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	ei := len(e) - 1
	for e[ei] != 'e' {
		ei--
	}
	exp := 0
	for _, c := range e[ei+2:] {
		exp = exp*10 + int(c-'0')
	}
	if e[ei+1] == '-' {
		exp = -exp
	}
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if exp < -4 || exp >= limit {
		if neg {
			buf = append(buf, '-')
		}
		return append(buf, e...)
	}
	// Fixed notation from the digits of e.
	var dbuf [24]byte
	digits := append(dbuf[:0], e[0])
	if ei > 1 {
		digits = append(digits, e[2:ei]...)
	}
	if neg {
		buf = append(buf, '-')
	}
	if exp < 0 {
		buf = append(buf, '0', '.')
		for i := -1; i > exp; i-- {
			buf = append(buf, '0')
		}
		return append(buf, digits...)
	}
	if len(digits) <= exp+1 {
		buf = append(buf, digits...)
		for i := len(digits); i < exp+1; i++ {
			buf = append(buf, '0')
		}
		return buf
	}
	buf = append(buf, digits[:exp+1]...)
	buf = append(buf, '.')
	return append(buf, digits[exp+1:]...)
}

// decimalParts returns the unscaled integer and the scale of a numeric
// value as duckdb-go returns it.
func decimalParts(v any) (*big.Int, int, bool) {
	switch x := v.(type) {
	case duckdb.Decimal:
		if x.Value == nil {
			return new(big.Int), int(x.Scale), true
		}
		return x.Value, int(x.Scale), true
	case *duckdb.Decimal:
		return decimalParts(*x)
	case *big.Int:
		return x, 0, true
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		b, _ := appendIntText(nil, x)
		n, ok := new(big.Int).SetString(string(b), 10)
		return n, 0, ok
	}
	return nil, 0, false
}

// appendNumericText appends a numeric with exactly its scale ("1.50").
func appendNumericText(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case float64: // DuckDB DOUBLE results sent as numeric (e.g. NaN)
		if math.IsNaN(x) {
			return append(buf, "NaN"...), nil
		}
		return appendFloat(buf, x, 64), nil
	case string:
		return append(buf, x...), nil
	}
	n, scale, ok := decimalParts(v)
	if !ok {
		return nil, errUnexpected(v)
	}
	return appendScaled(buf, n, scale), nil
}

func appendScaled(buf []byte, n *big.Int, scale int) []byte {
	if n.Sign() < 0 {
		buf = append(buf, '-')
	}
	digits := new(big.Int).Abs(n).String()
	if scale <= 0 {
		return append(buf, digits...)
	}
	for len(digits) <= scale {
		digits = "0" + digits
	}
	cut := len(digits) - scale
	buf = append(buf, digits[:cut]...)
	buf = append(buf, '.')
	return append(buf, digits[cut:]...)
}
