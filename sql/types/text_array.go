package types

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

func appendByteaText(buf []byte, v any) ([]byte, error) {
	var b []byte
	switch x := v.(type) {
	case []byte:
		b = x
	case string:
		b = []byte(x)
	default:
		return nil, errUnexpected(v)
	}
	buf = append(buf, '\\', 'x')
	return hex.AppendEncode(buf, b), nil
}

// uuidBytes returns the 16 bytes of a UUID as duckdb-go returns it
// ([]byte), or as duckdb.UUID, [16]byte or its text.
func uuidBytes(v any) ([16]byte, error) {
	var u [16]byte
	switch x := v.(type) {
	case []byte:
		if len(x) != 16 {
			return u, fmt.Errorf("UUID of %d bytes", len(x))
		}
		copy(u[:], x)
		return u, nil
	case [16]byte:
		return x, nil
	case duckdb.UUID:
		return [16]byte(x), nil
	case *duckdb.UUID:
		return [16]byte(*x), nil
	case string:
		return parseUUID(x)
	}
	return u, errUnexpected(v)
}

// parseUUID accepts PostgreSQL's uuid input forms: 32 hex digits, optionally
// in braces, with a hyphen allowed after any group of four digits.
func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	in := s
	if strings.HasPrefix(in, "{") && strings.HasSuffix(in, "}") {
		in = in[1 : len(in)-1]
	}
	n := 0
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c == '-' && n > 0 && n%4 == 0 && i+1 < len(in) && in[i-1] != '-' {
			continue
		}
		d, ok := hexDigit(c)
		if !ok || n >= 32 {
			return u, fmt.Errorf("invalid UUID %q", s)
		}
		u[n/2] |= d << (4 * (1 - n%2))
		n++
	}
	if n != 32 {
		return u, fmt.Errorf("invalid UUID %q", s)
	}
	return u, nil
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func appendUUID(buf []byte, u [16]byte) []byte {
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return append(buf, s[:]...)
}

// appendArrayText appends a one-dimensional array as PostgreSQL's
// array_out: {1,2,3}, {a,"b c",NULL,"x\"y"}.
func appendArrayText(buf []byte, t Type, v any, opt Options) ([]byte, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, errUnexpected(v)
	}
	buf = append(buf, '{')
	var elem []byte
	for i, e := range list {
		if i > 0 {
			buf = append(buf, ',')
		}
		if e == nil {
			buf = append(buf, "NULL"...)
			continue
		}
		var err error
		elem, err = appendText(elem[:0], *t.Elem, e, opt)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i+1, err)
		}
		buf = appendArrayElem(buf, elem)
	}
	return append(buf, '}'), nil
}

// appendArrayElem quotes an element when array_out would: when it is
// empty, is NULL in any case, or has a quote, backslash, brace, comma or
// white space.
func appendArrayElem(buf, e []byte) []byte {
	quote := len(e) == 0 || strings.EqualFold(string(e), "NULL")
	for _, c := range e {
		switch c {
		case '"', '\\', '{', '}', ',', ' ', '\t', '\n', '\r', '\v', '\f':
			quote = true
		}
	}
	if !quote {
		return append(buf, e...)
	}
	buf = append(buf, '"')
	for _, c := range e {
		if c == '"' || c == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, c)
	}
	return append(buf, '"')
}
