package types

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// appendDuckText appends DuckDB's text form of v (what CAST(v AS VARCHAR)
// gives in DuckDB) for the types PostgreSQL has no counterpart for: STRUCT
// {'a': 1, 'b': x}, MAP {k=1}, nested lists [[1, 2], [3]], UNION, BIT...
// Exact for the common cases; a query that needs DuckDB's exact text for
// every type can cast the column to VARCHAR, whose strings are sent as is.
func appendDuckText(buf []byte, duck string, v any, opt Options) ([]byte, error) {
	dt, err := parseDuckType(duck)
	if err != nil {
		dt = &duckType{kind: kScalar, name: "VARCHAR"}
	}
	return appendDuck(buf, dt, v, false, opt)
}

func appendDuck(buf []byte, dt *duckType, v any, nested bool, opt Options) ([]byte, error) {
	if v == nil {
		return append(buf, "NULL"...), nil
	}
	switch dt.kind {
	case kList, kArray:
		list, ok := v.([]any)
		if !ok {
			return nil, errUnexpected(v)
		}
		buf = append(buf, '[')
		for i, e := range list {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			var err error
			if buf, err = appendDuck(buf, dt.elem, e, true, opt); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case kStruct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errUnexpected(v)
		}
		buf = append(buf, '{')
		for i, f := range dt.fields {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = appendDuckQuoted(buf, f.name)
			buf = append(buf, ": "...)
			var err error
			if buf, err = appendDuck(buf, f.typ, m[f.name], true, opt); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case kMap:
		var keys, values []any
		switch m := v.(type) {
		case duckdb.OrderedMap:
			keys, values = m.Keys(), m.Values()
		case *duckdb.OrderedMap:
			keys, values = m.Keys(), m.Values()
		case duckdb.Map:
			for k, val := range m {
				keys = append(keys, k)
				values = append(values, val)
			}
		default:
			return nil, errUnexpected(v)
		}
		buf = append(buf, '{')
		for i := range keys {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			var err error
			if buf, err = appendDuck(buf, dt.key, keys[i], true, opt); err != nil {
				return nil, err
			}
			buf = append(buf, '=')
			if buf, err = appendDuck(buf, dt.value, values[i], true, opt); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case kUnion:
		u, ok := v.(duckdb.Union)
		if !ok {
			return nil, errUnexpected(v)
		}
		for _, f := range dt.fields {
			if f.name == u.Tag {
				return appendDuck(buf, f.typ, u.Value, nested, opt)
			}
		}
		return appendDuckScalar(buf, "", u.Value, nested, opt)
	case kDecimal:
		n, scale, ok := decimalParts(v)
		if !ok {
			return nil, errUnexpected(v)
		}
		return appendScaled(buf, n, scale), nil
	}
	return appendDuckScalar(buf, dt.name, v, nested, opt)
}

// appendDuckScalar appends DuckDB's text of a scalar; inside a nested value
// it is quoted when it has characters of the nested syntax (DuckDB does
// this for every type, e.g. '2024-03-01 12:34:56' in a list).
func appendDuckScalar(buf []byte, name string, v any, nested bool, opt Options) ([]byte, error) {
	if v == nil {
		return append(buf, "NULL"...), nil
	}
	s, err := appendDuckScalarText(nil, name, v, opt)
	if err != nil {
		return nil, err
	}
	if nested && duckNeedsQuotes(string(s)) {
		return appendDuckQuoted(buf, string(s)), nil
	}
	return append(buf, s...), nil
}

func appendDuckScalarText(buf []byte, name string, v any, opt Options) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return append(buf, x...), nil
	case bool:
		if x {
			return append(buf, "true"...), nil
		}
		return append(buf, "false"...), nil
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint, *big.Int:
		return appendIntText(buf, x)
	case float32:
		return appendFloat(buf, float64(x), 32), nil
	case float64:
		return appendFloat(buf, x, 64), nil
	case duckdb.Decimal:
		n, scale, _ := decimalParts(x)
		return appendScaled(buf, n, scale), nil
	case duckdb.Interval:
		return appendDuckInterval(buf, x), nil
	case []byte:
		if name == "UUID" && len(x) == 16 {
			return appendUUID(buf, [16]byte(x)), nil
		}
		for _, c := range x {
			if c >= 32 && c < 127 && c != '\\' && c != '\'' && c != '"' {
				buf = append(buf, c)
			} else {
				buf = append(buf, fmt.Sprintf(`\x%02X`, c)...)
			}
		}
		return buf, nil
	case time.Time:
		return appendDuckTime(buf, name, x, opt), nil
	case map[string]any, []any:
		// JSON values decoded by duckdb-go.
		return appendJSONValue(buf, x)
	}
	return append(buf, fmt.Sprint(v)...), nil
}

// duckNeedsQuotes reports whether DuckDB quotes a string inside a nested
// value: when it is empty, NULL in any case, has leading or trailing
// space, or has one of the characters of the nested syntax.
func duckNeedsQuotes(s string) bool {
	if s == "" || strings.EqualFold(s, "NULL") {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return true
	}
	return strings.ContainsAny(s, `[]{}(),'":=`)
}

func appendDuckQuoted(buf []byte, s string) []byte {
	buf = append(buf, '\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			buf = append(buf, '\\')
		}
		buf = append(buf, s[i])
	}
	return append(buf, '\'')
}

func appendDuckTime(buf []byte, name string, t time.Time, opt Options) []byte {
	if s := infinity(name, t); s != 0 && name != "TIME" && name != "TIMETZ" {
		return appendInfinity(buf, s)
	}
	clock := func(buf []byte) []byte {
		return appendClock(buf, int64(t.Hour()), int64(t.Minute()), int64(t.Second()), int64(t.Nanosecond()/1000))
	}
	switch name {
	case "TIME":
		return clock(buf)
	case "TIMETZ":
		_, off := t.Zone()
		return appendZone(clock(buf), off)
	}
	if name == "TIMESTAMPTZ" {
		loc := opt.Location
		if loc == nil {
			loc = time.UTC
		}
		t = t.In(loc)
	}
	buf, bc := appendYMD(buf, t)
	if name != "DATE" {
		buf = append(buf, ' ')
		buf = clock(buf)
		if name == "TIMESTAMPTZ" {
			_, off := t.Zone()
			buf = appendZone(buf, off)
		}
	}
	if bc {
		buf = append(buf, " (BC)"...)
	}
	return buf
}

// appendDuckInterval appends DuckDB's interval text: "1 year 2 months 3
// days 04:05:06.5".
func appendDuckInterval(buf []byte, iv duckdb.Interval) []byte {
	start := len(buf)
	part := func(n int64, unit string) {
		if n == 0 {
			return
		}
		if len(buf) > start {
			buf = append(buf, ' ')
		}
		buf = append(buf, fmt.Sprintf("%d %s", n, unit)...)
		if n != 1 && n != -1 {
			buf = append(buf, 's')
		}
	}
	part(int64(iv.Months/12), "year")
	part(int64(iv.Months%12), "month")
	part(int64(iv.Days), "day")
	if iv.Micros != 0 || len(buf) == start {
		if len(buf) > start {
			buf = append(buf, ' ')
		}
		m := iv.Micros
		if m < 0 {
			buf = append(buf, '-')
			m = -m
		}
		buf = appendClock(buf, m/3600000000, m/60000000%60, m/1000000%60, m%1000000)
	}
	return buf
}

// SplitDuckList splits the DuckDB list text DecodeParam makes of an array
// parameter ("[a, 'b, c', NULL]") into its elements' texts, nil for NULL.
func SplitDuckList(s string) ([]any, error) {
	t := strings.TrimSpace(s)
	if len(t) < 2 || t[0] != '[' || t[len(t)-1] != ']' {
		return nil, fmt.Errorf("not a list: %q", s)
	}
	body := t[1 : len(t)-1]
	out := []any{}
	if strings.TrimSpace(body) == "" {
		return out, nil
	}
	i := 0
	for {
		for i < len(body) && body[i] == ' ' {
			i++
		}
		var b strings.Builder
		quoted := false
		if i < len(body) && body[i] == '\'' {
			quoted = true
			i++
			for i < len(body) && body[i] != '\'' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				b.WriteByte(body[i])
				i++
			}
			if i >= len(body) {
				return nil, fmt.Errorf("unterminated quote in list %q", s)
			}
			i++
		} else {
			for i < len(body) && body[i] != ',' {
				b.WriteByte(body[i])
				i++
			}
		}
		e := b.String()
		if !quoted {
			e = strings.TrimSpace(e)
		}
		if !quoted && e == "NULL" {
			out = append(out, nil)
		} else {
			out = append(out, e)
		}
		for i < len(body) && body[i] == ' ' {
			i++
		}
		if i >= len(body) {
			return out, nil
		}
		if body[i] != ',' {
			return nil, fmt.Errorf("malformed list %q", s)
		}
		i++
	}
}
