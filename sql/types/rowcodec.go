package types

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// The row codec packs a row of values, as duckdb-go returns them, into a
// compact self-describing byte string and back, for the online store. A
// decoded value is of the same Go type and value as the one encoded, so a
// row served from the online store is encoded for the client exactly like
// the same row read from DuckDB. Layout: per value a tag byte then its
// payload (varints for integers and lengths).

const (
	tagNull byte = iota
	tagFalse
	tagTrue
	tagInt8
	tagInt16
	tagInt32
	tagInt64
	tagUint8
	tagUint16
	tagUint32
	tagUint64
	tagFloat32
	tagFloat64
	tagString
	tagBytes
	tagTime
	tagInterval
	tagDecimal
	tagBigInt
	tagUUID
	tagList
	tagStruct
	tagMap
)

// AppendRow appends the encoding of vals to dst.
func AppendRow(dst []byte, vals []any) ([]byte, error) {
	dst = binary.AppendUvarint(dst, uint64(len(vals)))
	var err error
	for _, v := range vals {
		if dst, err = appendValue(dst, v); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, tagNull), nil
	case bool:
		if x {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case int8:
		return binary.AppendVarint(append(b, tagInt8), int64(x)), nil
	case int16:
		return binary.AppendVarint(append(b, tagInt16), int64(x)), nil
	case int32:
		return binary.AppendVarint(append(b, tagInt32), int64(x)), nil
	case int64:
		return binary.AppendVarint(append(b, tagInt64), x), nil
	case int:
		return binary.AppendVarint(append(b, tagInt64), int64(x)), nil
	case uint8:
		return binary.AppendUvarint(append(b, tagUint8), uint64(x)), nil
	case uint16:
		return binary.AppendUvarint(append(b, tagUint16), uint64(x)), nil
	case uint32:
		return binary.AppendUvarint(append(b, tagUint32), uint64(x)), nil
	case uint64:
		return binary.AppendUvarint(append(b, tagUint64), x), nil
	case float32:
		return binary.BigEndian.AppendUint32(append(b, tagFloat32), math.Float32bits(x)), nil
	case float64:
		return binary.BigEndian.AppendUint64(append(b, tagFloat64), math.Float64bits(x)), nil
	case string:
		b = binary.AppendUvarint(append(b, tagString), uint64(len(x)))
		return append(b, x...), nil
	case []byte:
		b = binary.AppendUvarint(append(b, tagBytes), uint64(len(x)))
		return append(b, x...), nil
	case time.Time:
		b = binary.AppendVarint(append(b, tagTime), x.Unix())
		b = binary.AppendUvarint(b, uint64(x.Nanosecond()))
		_, off := x.Zone()
		if x.Location() == time.UTC {
			off = math.MinInt32 // UTC itself, not a +00 fixed zone
		}
		return binary.AppendVarint(b, int64(off)), nil
	case duckdb.Interval:
		b = binary.AppendVarint(append(b, tagInterval), int64(x.Months))
		b = binary.AppendVarint(b, int64(x.Days))
		return binary.AppendVarint(b, x.Micros), nil
	case duckdb.Decimal:
		b = append(b, tagDecimal, x.Width, x.Scale)
		return appendBig(b, x.Value), nil
	case *big.Int:
		return appendBig(append(b, tagBigInt), x), nil
	case duckdb.UUID:
		return append(append(b, tagUUID), x[:]...), nil
	case *duckdb.UUID:
		return append(append(b, tagUUID), x[:]...), nil
	case []any:
		b = binary.AppendUvarint(append(b, tagList), uint64(len(x)))
		var err error
		for _, e := range x {
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return b, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = binary.AppendUvarint(append(b, tagStruct), uint64(len(x)))
		var err error
		for _, k := range keys {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			if b, err = appendValue(b, x[k]); err != nil {
				return nil, err
			}
		}
		return b, nil
	case duckdb.Map:
		b = binary.AppendUvarint(append(b, tagMap), uint64(len(x)))
		var err error
		for k, e := range x {
			if b, err = appendValue(b, k); err != nil {
				return nil, err
			}
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("row codec: values of Go type %T are not supported", v)
}

func appendBig(b []byte, x *big.Int) []byte {
	if x == nil {
		x = new(big.Int)
	}
	sign := byte(0)
	if x.Sign() < 0 {
		sign = 1
	}
	mag := x.Bytes()
	b = append(b, sign)
	b = binary.AppendUvarint(b, uint64(len(mag)))
	return append(b, mag...)
}

var errCorrupt = errors.New("row codec: corrupt record")

// DecodeRow decodes a row encoded by AppendRow into dst (reused when large
// enough). Strings and byte slices are copies: the result does not alias src.
func DecodeRow(dst []any, src []byte) ([]any, error) {
	n, k := binary.Uvarint(src)
	if k <= 0 || n > uint64(len(src)) {
		return nil, errCorrupt
	}
	src = src[k:]
	dst = dst[:0]
	for i := uint64(0); i < n; i++ {
		v, rest, err := decodeValue(src)
		if err != nil {
			return nil, err
		}
		dst = append(dst, v)
		src = rest
	}
	return dst, nil
}

func decodeValue(b []byte) (any, []byte, error) {
	if len(b) == 0 {
		return nil, nil, errCorrupt
	}
	tag, b := b[0], b[1:]
	varint := func() (int64, bool) {
		v, k := binary.Varint(b)
		if k <= 0 {
			return 0, false
		}
		b = b[k:]
		return v, true
	}
	uvarint := func() (uint64, bool) {
		v, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, false
		}
		b = b[k:]
		return v, true
	}
	take := func(n uint64) ([]byte, bool) {
		if n > uint64(len(b)) {
			return nil, false
		}
		p := b[:n]
		b = b[n:]
		return p, true
	}
	switch tag {
	case tagNull:
		return nil, b, nil
	case tagFalse:
		return false, b, nil
	case tagTrue:
		return true, b, nil
	case tagInt8, tagInt16, tagInt32, tagInt64:
		v, ok := varint()
		if !ok {
			return nil, nil, errCorrupt
		}
		switch tag {
		case tagInt8:
			return int8(v), b, nil
		case tagInt16:
			return int16(v), b, nil
		case tagInt32:
			return int32(v), b, nil
		}
		return v, b, nil
	case tagUint8, tagUint16, tagUint32, tagUint64:
		v, ok := uvarint()
		if !ok {
			return nil, nil, errCorrupt
		}
		switch tag {
		case tagUint8:
			return uint8(v), b, nil
		case tagUint16:
			return uint16(v), b, nil
		case tagUint32:
			return uint32(v), b, nil
		}
		return v, b, nil
	case tagFloat32:
		p, ok := take(4)
		if !ok {
			return nil, nil, errCorrupt
		}
		return math.Float32frombits(binary.BigEndian.Uint32(p)), b, nil
	case tagFloat64:
		p, ok := take(8)
		if !ok {
			return nil, nil, errCorrupt
		}
		return math.Float64frombits(binary.BigEndian.Uint64(p)), b, nil
	case tagString, tagBytes:
		n, ok := uvarint()
		if !ok {
			return nil, nil, errCorrupt
		}
		p, ok := take(n)
		if !ok {
			return nil, nil, errCorrupt
		}
		if tag == tagString {
			return string(p), b, nil
		}
		return append([]byte{}, p...), b, nil
	case tagTime:
		sec, ok1 := varint()
		nsec, ok2 := uvarint()
		off, ok3 := varint()
		if !ok1 || !ok2 || !ok3 {
			return nil, nil, errCorrupt
		}
		t := time.Unix(sec, int64(nsec))
		if off == math.MinInt32 {
			t = t.UTC()
		} else {
			t = t.In(time.FixedZone("", int(off)))
		}
		return t, b, nil
	case tagInterval:
		m, ok1 := varint()
		d, ok2 := varint()
		us, ok3 := varint()
		if !ok1 || !ok2 || !ok3 {
			return nil, nil, errCorrupt
		}
		return duckdb.Interval{Months: int32(m), Days: int32(d), Micros: us}, b, nil
	case tagDecimal:
		p, ok := take(2)
		if !ok {
			return nil, nil, errCorrupt
		}
		v, rest, err := decodeBig(b)
		if err != nil {
			return nil, nil, err
		}
		return duckdb.Decimal{Width: p[0], Scale: p[1], Value: v}, rest, nil
	case tagBigInt:
		v, rest, err := decodeBig(b)
		return v, rest, err
	case tagUUID:
		p, ok := take(16)
		if !ok {
			return nil, nil, errCorrupt
		}
		return duckdb.UUID(p), b, nil
	case tagList:
		n, ok := uvarint()
		if !ok || n > uint64(len(b)) {
			return nil, nil, errCorrupt
		}
		out := make([]any, n)
		for i := range out {
			v, rest, err := decodeValue(b)
			if err != nil {
				return nil, nil, err
			}
			out[i], b = v, rest
		}
		return out, b, nil
	case tagStruct:
		n, ok := uvarint()
		if !ok || n > uint64(len(b)) {
			return nil, nil, errCorrupt
		}
		out := make(map[string]any, n)
		for i := uint64(0); i < n; i++ {
			kl, ok := uvarint()
			if !ok {
				return nil, nil, errCorrupt
			}
			k, ok := take(kl)
			if !ok {
				return nil, nil, errCorrupt
			}
			v, rest, err := decodeValue(b)
			if err != nil {
				return nil, nil, err
			}
			out[string(k)], b = v, rest
		}
		return out, b, nil
	case tagMap:
		n, ok := uvarint()
		if !ok || n > uint64(len(b)) {
			return nil, nil, errCorrupt
		}
		out := make(duckdb.Map, n)
		for i := uint64(0); i < n; i++ {
			k, rest, err := decodeValue(b)
			if err != nil {
				return nil, nil, err
			}
			v, rest, err := decodeValue(rest)
			if err != nil {
				return nil, nil, err
			}
			out[k], b = v, rest
		}
		return out, b, nil
	}
	return nil, nil, errCorrupt
}

func decodeBig(b []byte) (*big.Int, []byte, error) {
	if len(b) < 1 {
		return nil, nil, errCorrupt
	}
	sign := b[0]
	n, k := binary.Uvarint(b[1:])
	if k <= 0 || n > uint64(len(b)-1-k) {
		return nil, nil, errCorrupt
	}
	start := 1 + k
	v := new(big.Int).SetBytes(b[start : start+int(n)])
	if sign == 1 {
		v.Neg(v)
	}
	return v, b[start+int(n):], nil
}

// DecodeRowSelect decodes from a row encoded by AppendRow only the values
// at the positions in want: out[want[p][k]] gets the value at position p
// for every k; the other values are skipped without being materialised.
// Positions past the row's end leave out untouched (nil for a fresh out).
func DecodeRowSelect(src []byte, want [][]int, out []any) error {
	n, k := binary.Uvarint(src)
	if k <= 0 || n > uint64(len(src)) {
		return errCorrupt
	}
	src = src[k:]
	for p := 0; p < int(n) && p < len(want); p++ {
		if len(want[p]) == 0 {
			rest, err := skipValue(src)
			if err != nil {
				return err
			}
			src = rest
			continue
		}
		v, rest, err := decodeValue(src)
		if err != nil {
			return err
		}
		for _, i := range want[p] {
			out[i] = v
		}
		src = rest
	}
	return nil
}

// skipValue steps over one encoded value.
func skipValue(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, errCorrupt
	}
	tag, b := b[0], b[1:]
	uv := func() (uint64, bool) {
		v, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, false
		}
		b = b[k:]
		return v, true
	}
	skip := func(n uint64) bool {
		if n > uint64(len(b)) {
			return false
		}
		b = b[n:]
		return true
	}
	switch tag {
	case tagNull, tagFalse, tagTrue:
		return b, nil
	case tagInt8, tagInt16, tagInt32, tagInt64:
		_, k := binary.Varint(b)
		if k <= 0 {
			return nil, errCorrupt
		}
		return b[k:], nil
	case tagUint8, tagUint16, tagUint32, tagUint64:
		if _, ok := uv(); !ok {
			return nil, errCorrupt
		}
		return b, nil
	case tagFloat32:
		if !skip(4) {
			return nil, errCorrupt
		}
		return b, nil
	case tagFloat64:
		if !skip(8) {
			return nil, errCorrupt
		}
		return b, nil
	case tagString, tagBytes:
		n, ok := uv()
		if !ok || !skip(n) {
			return nil, errCorrupt
		}
		return b, nil
	case tagUUID:
		if !skip(16) {
			return nil, errCorrupt
		}
		return b, nil
	case tagTime:
		for i := 0; i < 3; i++ {
			_, k := binary.Varint(b) // the nanoseconds uvarint has the same length rule
			if k <= 0 {
				return nil, errCorrupt
			}
			b = b[k:]
		}
		return b, nil
	case tagList:
		n, ok := uv()
		if !ok || n > uint64(len(b)) {
			return nil, errCorrupt
		}
		var err error
		for i := uint64(0); i < n; i++ {
			if b, err = skipValue(b); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	// Rarer types: decode and drop.
	_, rest, err := decodeValue(append([]byte{tag}, b...))
	if err != nil {
		return nil, err
	}
	return b[len(b)-len(rest):], nil
}
