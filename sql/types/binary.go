package types

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// PostgreSQL's epoch (2000-01-01) in Unix seconds.
const pgEpochUnix = 946684800

// SupportsBinary reports whether AppendBinary handles t: every type
// FromDuckDB and ByOID return (text-mapped DuckDB types are sent in text's
// binary format, which is their text). Unknown OIDs are not supported.
func SupportsBinary(t Type) bool {
	if t.Elem != nil {
		_, ok := scalars[t.Elem.OID]
		return ok && arrayElem[t.OID] == t.Elem.OID
	}
	_, ok := scalars[t.OID]
	return ok && t.OID != OIDUnknown
}

// AppendBinary appends PostgreSQL's binary send format of v for t (v as
// duckdb-go returned it for a column of t.DuckDB; never nil).
func AppendBinary(buf []byte, t Type, v any, opt Options) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = buf, fmt.Errorf("binary output of %T as %s: panic: %v", v, t.Name, r)
		}
	}()
	out, err = appendBinary(buf, t, v, opt)
	if err != nil {
		return buf, fmt.Errorf("binary output of %T as %s (DuckDB %s): %w", v, t.Name, t.DuckDB, err)
	}
	return out, nil
}

func appendBinary(buf []byte, t Type, v any, opt Options) ([]byte, error) {
	if t.Elem != nil {
		return appendArrayBinary(buf, t, v, opt)
	}
	switch t.OID {
	case OIDBool:
		b, ok := v.(bool)
		if !ok {
			return nil, errUnexpected(v)
		}
		if b {
			return append(buf, 1), nil
		}
		return append(buf, 0), nil
	case OIDInt2:
		n, err := toInt64(v, math.MinInt16, math.MaxInt16)
		return binary.BigEndian.AppendUint16(buf, uint16(n)), err
	case OIDInt4:
		n, err := toInt64(v, math.MinInt32, math.MaxInt32)
		return binary.BigEndian.AppendUint32(buf, uint32(n)), err
	case OIDOID:
		n, err := toInt64(v, 0, math.MaxUint32)
		return binary.BigEndian.AppendUint32(buf, uint32(n)), err
	case OIDInt8:
		n, err := toInt64(v, math.MinInt64, math.MaxInt64)
		return binary.BigEndian.AppendUint64(buf, uint64(n)), err
	case OIDFloat4:
		switch x := v.(type) {
		case float32:
			return binary.BigEndian.AppendUint32(buf, math.Float32bits(x)), nil
		case float64:
			return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(x))), nil
		}
		return nil, errUnexpected(v)
	case OIDFloat8:
		switch x := v.(type) {
		case float32:
			return binary.BigEndian.AppendUint64(buf, math.Float64bits(float64(x))), nil
		case float64:
			return binary.BigEndian.AppendUint64(buf, math.Float64bits(x)), nil
		}
		return nil, errUnexpected(v)
	case OIDNumeric:
		return appendNumericBinary(buf, v)
	case OIDBytea:
		switch x := v.(type) {
		case []byte:
			return append(buf, x...), nil
		case string:
			return append(buf, x...), nil
		}
		return nil, errUnexpected(v)
	case OIDUUID:
		u, err := uuidBytes(v)
		if err != nil {
			return nil, err
		}
		return append(buf, u[:]...), nil
	case OIDDate:
		d, ok := v.(time.Time)
		if !ok {
			return nil, errUnexpected(v)
		}
		switch infinity("DATE", d) {
		case 1:
			return binary.BigEndian.AppendUint32(buf, math.MaxInt32), nil
		case -1:
			return binary.BigEndian.AppendUint32(buf, 1<<31), nil
		}
		days := floorDiv(d.Unix()-pgEpochUnix, 86400)
		return binary.BigEndian.AppendUint32(buf, uint32(int32(days))), nil
	case OIDTimestamp, OIDTimestamptz:
		ts, ok := v.(time.Time)
		if !ok {
			return nil, errUnexpected(v)
		}
		switch infinity(t.DuckDB, ts) {
		case 1:
			return binary.BigEndian.AppendUint64(buf, math.MaxInt64), nil
		case -1:
			return binary.BigEndian.AppendUint64(buf, 1<<63), nil
		}
		us := ts.Unix()*1000000 + int64(ts.Nanosecond()/1000) - pgEpochUnix*1000000
		return binary.BigEndian.AppendUint64(buf, uint64(us)), nil
	case OIDTime, OIDTimetz:
		ts, ok := v.(time.Time)
		if !ok {
			return nil, errUnexpected(v)
		}
		us := ((int64(ts.Hour())*60+int64(ts.Minute()))*60+int64(ts.Second()))*1000000 + int64(ts.Nanosecond()/1000)
		buf = binary.BigEndian.AppendUint64(buf, uint64(us))
		if t.OID == OIDTimetz {
			_, off := ts.Zone()
			buf = binary.BigEndian.AppendUint32(buf, uint32(int32(-off)))
		}
		return buf, nil
	case OIDInterval:
		iv, ok := v.(duckdb.Interval)
		if !ok {
			return nil, errUnexpected(v)
		}
		buf = binary.BigEndian.AppendUint64(buf, uint64(iv.Micros))
		buf = binary.BigEndian.AppendUint32(buf, uint32(iv.Days))
		return binary.BigEndian.AppendUint32(buf, uint32(iv.Months)), nil
	case OIDJSONB:
		buf = append(buf, 1) // jsonb binary format version
		return appendJSONText(buf, v)
	}
	// text, varchar, json, ...: the binary format is the text.
	return appendText(buf, t, v, opt)
}

// toInt64 converts any Go integer to int64, checking [lo, hi].
func toInt64(v any, lo, hi int64) (int64, error) {
	var n int64
	switch x := v.(type) {
	case int8:
		n = int64(x)
	case int16:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case int:
		n = int64(x)
	case uint8:
		n = int64(x)
	case uint16:
		n = int64(x)
	case uint32:
		n = int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("%d out of range", x)
		}
		n = int64(x)
	case *big.Int:
		if !x.IsInt64() {
			return 0, fmt.Errorf("%s out of range", x)
		}
		n = x.Int64()
	default:
		return 0, errUnexpected(v)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d out of range [%d, %d]", n, lo, hi)
	}
	return n, nil
}

// appendArrayBinary appends a one-dimensional array as PostgreSQL's
// array_send: ndim, has-null flag, element OID, then per dimension its
// length and lower bound (1), then each element as int32 length (-1 for
// NULL) and bytes. An empty array has no dimensions.
func appendArrayBinary(buf []byte, t Type, v any, opt Options) ([]byte, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, errUnexpected(v)
	}
	hasNull := uint32(0)
	for _, e := range list {
		if e == nil {
			hasNull = 1
			break
		}
	}
	ndim := uint32(1)
	if len(list) == 0 {
		ndim = 0
	}
	buf = binary.BigEndian.AppendUint32(buf, ndim)
	buf = binary.BigEndian.AppendUint32(buf, hasNull)
	buf = binary.BigEndian.AppendUint32(buf, t.Elem.OID)
	if ndim == 1 {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(list)))
		buf = binary.BigEndian.AppendUint32(buf, 1)
	}
	for i, e := range list {
		if e == nil {
			buf = binary.BigEndian.AppendUint32(buf, math.MaxUint32)
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		var err error
		buf, err = appendBinary(buf, *t.Elem, e, opt)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i+1, err)
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf, nil
}
