package types

import (
	"encoding/json"
	"fmt"

	"github.com/duckdb/duckdb-go/v2"
)

// AppendText appends PostgreSQL 15's text output of v for type t (DateStyle
// ISO, MDY; IntervalStyle postgres; extra_float_digits 1). v is what
// duckdb-go returned for a column of t.DuckDB; nil never reaches here (NULL
// is handled by the caller). A value of an unexpected Go type is an error,
// never a panic.
func AppendText(buf []byte, t Type, v any, opt Options) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = buf, fmt.Errorf("text output of %T as %s: panic: %v", v, t.Name, r)
		}
	}()
	out, err = appendText(buf, t, v, opt)
	if err != nil {
		return buf, fmt.Errorf("text output of %T as %s (DuckDB %s): %w", v, t.Name, t.DuckDB, err)
	}
	return out, nil
}

func appendText(buf []byte, t Type, v any, opt Options) ([]byte, error) {
	if t.Elem != nil {
		return appendArrayText(buf, t, v, opt)
	}
	switch t.OID {
	case OIDBool:
		b, ok := v.(bool)
		if !ok {
			return nil, errUnexpected(v)
		}
		if b {
			return append(buf, 't'), nil
		}
		return append(buf, 'f'), nil
	case OIDInt2, OIDInt4, OIDInt8, OIDOID:
		return appendIntText(buf, v)
	case OIDFloat4:
		return appendFloatText(buf, v, 32, opt)
	case OIDFloat8:
		return appendFloatText(buf, v, 64, opt)
	case OIDNumeric:
		return appendNumericText(buf, v)
	case OIDBytea:
		return appendByteaText(buf, v)
	case OIDUUID:
		u, err := uuidBytes(v)
		if err != nil {
			return nil, err
		}
		return appendUUID(buf, u), nil
	case OIDDate:
		return appendDateText(buf, t, v)
	case OIDTime, OIDTimetz:
		return appendTimeText(buf, t, v)
	case OIDTimestamp, OIDTimestamptz:
		return appendTimestampText(buf, t, v, opt)
	case OIDInterval:
		iv, ok := v.(duckdb.Interval)
		if !ok {
			return nil, errUnexpected(v)
		}
		return appendIntervalText(buf, iv), nil
	case OIDJSON, OIDJSONB:
		return appendJSONText(buf, v)
	}
	switch x := v.(type) {
	case string:
		return append(buf, x...), nil
	case []byte:
		return append(buf, x...), nil
	}
	// Text fallback: DuckDB's own text form of the value.
	return appendDuckText(buf, t.DuckDB, v, opt)
}

func errUnexpected(v any) error {
	return fmt.Errorf("unexpected value type %T", v)
}

// appendJSONText appends a JSON value. duckdb-go returns JSON columns
// decoded (map[string]any, []any, float64, string, bool), so every value,
// a string included, is re-encoded: the original spacing and key order are
// lost (keys come out sorted), and numbers went through float64. Only a
// []byte is taken as JSON text already and sent as is.
func appendJSONText(buf []byte, v any) ([]byte, error) {
	if b, ok := v.([]byte); ok {
		return append(buf, b...), nil
	}
	return appendJSONValue(buf, v)
}

func appendJSONValue(buf []byte, v any) ([]byte, error) {
	var w jsonBuf
	enc := json.NewEncoder(&w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	b := w.b
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return append(buf, b...), nil
}

type jsonBuf struct{ b []byte }

func (w *jsonBuf) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}
