package types

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
)

// EncodeFunc appends one non-NULL value of a column in its output format.
// It behaves exactly as AppendText (or AppendBinary) for the column's type.
type EncodeFunc func(buf []byte, v any, opt Options) ([]byte, error)

// Encoder returns the EncodeFunc for values of t in text (binary false) or
// binary format, resolved once per result column: the common scalar types
// get a direct path for the Go type duckdb-go returns for them, and any
// other value goes through AppendText / AppendBinary.
func Encoder(t Type, bin bool) EncodeFunc {
	generic := func(buf []byte, v any, opt Options) ([]byte, error) {
		if bin {
			return AppendBinary(buf, t, v, opt)
		}
		return AppendText(buf, t, v, opt)
	}
	if t.Elem != nil {
		return generic
	}
	switch t.OID {
	case OIDText, OIDVarchar, OIDBPChar, OIDName:
		// The text and binary formats are the string's bytes.
		return func(buf []byte, v any, opt Options) ([]byte, error) {
			if s, ok := v.(string); ok {
				return append(buf, s...), nil
			}
			return generic(buf, v, opt)
		}
	case OIDInt4:
		return func(buf []byte, v any, opt Options) ([]byte, error) {
			if n, ok := v.(int32); ok {
				if bin {
					return binary.BigEndian.AppendUint32(buf, uint32(n)), nil
				}
				return strconv.AppendInt(buf, int64(n), 10), nil
			}
			return generic(buf, v, opt)
		}
	case OIDInt8:
		return func(buf []byte, v any, opt Options) ([]byte, error) {
			if n, ok := v.(int64); ok {
				if bin {
					return binary.BigEndian.AppendUint64(buf, uint64(n)), nil
				}
				return strconv.AppendInt(buf, n, 10), nil
			}
			return generic(buf, v, opt)
		}
	case OIDFloat8:
		return func(buf []byte, v any, opt Options) ([]byte, error) {
			if f, ok := v.(float64); ok {
				if bin {
					return binary.BigEndian.AppendUint64(buf, math.Float64bits(f)), nil
				}
				if opt.ExtraFloatDigits == nil {
					return appendFloat(buf, f, 64), nil
				}
			}
			return generic(buf, v, opt)
		}
	case OIDTimestamp, OIDTimestamptz:
		// Microsecond timestamps only: other units spell infinity in
		// their own unit (see infinity).
		switch t.DuckDB {
		case "DATE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS":
			return generic
		}
		return func(buf []byte, v any, opt Options) ([]byte, error) {
			ts, ok := v.(time.Time)
			if !ok {
				return generic(buf, v, opt)
			}
			if !bin {
				return appendTimestampText(buf, t, ts, opt)
			}
			switch us := ts.UnixMicro(); us {
			case math.MaxInt64:
				return binary.BigEndian.AppendUint64(buf, math.MaxInt64), nil
			case -math.MaxInt64:
				return binary.BigEndian.AppendUint64(buf, 1<<63), nil
			default:
				return binary.BigEndian.AppendUint64(buf, uint64(us-pgEpochUnix*1000000)), nil
			}
		}
	}
	return generic
}
