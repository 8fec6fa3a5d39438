//go:build !fhtypesready

package pgwire

// TEMPORARY stand-in for sql/types' codecs while that package is written;
// used until sql/types has its codecs (then typeglue.go replaces it).

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/featurehouse/featurehouse/sql/types"
)

func appendText(buf []byte, t types.Type, v any, opt types.Options) ([]byte, error) {
	switch x := v.(type) {
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case string:
		return append(buf, x...), nil
	case []byte:
		return append(buf, x...), nil
	case bool:
		if x {
			return append(buf, 't'), nil
		}
		return append(buf, 'f'), nil
	}
	return buf, fmt.Errorf("stub: cannot encode %T", v)
}

func appendBinary(buf []byte, t types.Type, v any, opt types.Options) ([]byte, error) {
	switch x := v.(type) {
	case int64:
		return binary.BigEndian.AppendUint64(buf, uint64(x)), nil
	case string:
		return append(buf, x...), nil
	}
	return buf, fmt.Errorf("stub: cannot encode %T", v)
}

func supportsBinary(t types.Type) bool { return t.OID == 20 || t.OID == 25 }

func decodeParam(oid uint32, format int16, data []byte) (any, error) {
	if format == 1 {
		if oid == 20 && len(data) == 8 {
			return int64(binary.BigEndian.Uint64(data)), nil
		}
		return nil, fmt.Errorf("stub: binary oid %d", oid)
	}
	if oid == 20 || oid == 23 {
		n, err := strconv.ParseInt(string(data), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid input syntax for type bigint: %q", data)
		}
		return n, nil
	}
	return string(data), nil
}
