package types

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// sqlNames are the type names PostgreSQL's input errors use.
var sqlNames = map[uint32]string{
	OIDBool: "boolean", OIDInt2: "smallint", OIDInt4: "integer", OIDInt8: "bigint",
	OIDOID: "oid", OIDFloat4: "real", OIDFloat8: "double precision", OIDNumeric: "numeric",
	OIDTimestamp: "timestamp without time zone", OIDTimestamptz: "timestamp with time zone",
	OIDTime: "time without time zone", OIDTimetz: "time with time zone",
	OIDVarchar: "character varying", OIDBPChar: "character",
}

func sqlName(oid uint32) string {
	if n, ok := sqlNames[oid]; ok {
		return n
	}
	if s, ok := scalars[oid]; ok {
		return s.name
	}
	if _, ok := arrayElem[oid]; ok {
		return arrayName[oid]
	}
	return "oid " + strconv.FormatUint(uint64(oid), 10)
}

func invalidText(oid uint32, s string) *pgerror.Error {
	return pgerror.New(pgerror.InvalidTextRepresentation, "invalid input syntax for type %s: %q", sqlName(oid), s)
}

func outOfRange(oid uint32, s string) *pgerror.Error {
	return pgerror.New(pgerror.NumericValueOutOfRange, "value %q is out of range for type %s", s, sqlName(oid))
}

func invalidBinary(oid uint32) *pgerror.Error {
	return pgerror.New(pgerror.InvalidBinaryRepresentation, "incorrect binary data format for type %s", sqlName(oid))
}

// DecodeParam decodes a Bind parameter of PostgreSQL type oid, in format 0
// (text) or 1 (binary), into a value to bind to DuckDB through
// database/sql: string, int64, float32, float64, bool, []byte, time.Time
// (UTC) or duckdb.Interval. Arrays become a DuckDB list literal string
// ("[1, NULL, 3]") for DuckDB to cast.
// Values duckdb-go cannot bind directly, and text forms this package does
// not parse (time, timetz, numeric, dates in non-ISO styles, timestamptz
// without an explicit offset, which PostgreSQL reads in the session time
// zone), are returned as their text for DuckDB to cast to DuckDBName(oid).
// OID 0 (unspecified) keeps the text as a string. Errors are
// *pgerror.Error: 22P02 (invalid text), 22003 (out of range), 22P03
// (invalid binary representation), 22021 (invalid UTF-8), 0A000.
func DecodeParam(oid uint32, format int16, data []byte) (any, error) {
	switch format {
	case 0:
		return decodeText(oid, data)
	case 1:
		return decodeBinary(oid, data)
	}
	return nil, pgerror.New(pgerror.ProtocolViolation, "unsupported format code: %d", format)
}

func decodeText(oid uint32, data []byte) (any, error) {
	s := string(data)
	if elem, ok := arrayElem[oid]; ok {
		return decodeArrayText(oid, elem, s)
	}
	switch oid {
	case OIDBool:
		return parseBool(s)
	case OIDInt2:
		return parseInt(oid, s, math.MinInt16, math.MaxInt16)
	case OIDInt4:
		return parseInt(oid, s, math.MinInt32, math.MaxInt32)
	case OIDInt8:
		return parseInt(oid, s, math.MinInt64, math.MaxInt64)
	case OIDOID:
		return parseInt(oid, s, math.MinInt32, math.MaxUint32)
	case OIDFloat4:
		f, err := parseFloat(oid, s, 32)
		return float32(f), err
	case OIDFloat8:
		return parseFloat(oid, s, 64)
	case OIDNumeric:
		t := strings.TrimSpace(s)
		if !validNumeric(t) {
			return nil, invalidText(oid, s)
		}
		return t, nil
	case OIDBytea:
		return parseBytea(s)
	case OIDUUID:
		u, err := parseUUID(strings.TrimSpace(s))
		if err != nil {
			return nil, invalidText(oid, s)
		}
		return string(appendUUID(nil, u)), nil
	case OIDJSON, OIDJSONB:
		if !json.Valid(data) {
			return nil, invalidText(oid, s)
		}
		return s, nil
	case OIDDate:
		if t, ok := parseISODate(strings.TrimSpace(s)); ok {
			return t, nil
		}
		return s, nil
	case OIDTimestamp, OIDTimestamptz:
		if t, ok := parseISOTimestamp(strings.TrimSpace(s), oid == OIDTimestamptz); ok {
			return t, nil
		}
		return s, nil
	case OIDInterval:
		if iv, ok := parseInterval(s); ok {
			return iv, nil
		}
		return s, nil
	}
	return s, nil
}

// parseBool accepts what PostgreSQL's boolin does: t, true, y, yes, on, 1
// and f, false, n, no, off, 0, any unambiguous prefix, any case, with
// surrounding white space.
func parseBool(s string) (any, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t != "" {
		switch {
		case strings.HasPrefix("true", t), strings.HasPrefix("yes", t), t == "1", len(t) >= 2 && strings.HasPrefix("on", t):
			return true, nil
		case strings.HasPrefix("false", t), strings.HasPrefix("no", t), t == "0", len(t) >= 2 && strings.HasPrefix("off", t):
			return false, nil
		}
	}
	return nil, invalidText(OIDBool, s)
}

func parseInt(oid uint32, s string, lo, hi int64) (any, error) {
	t := strings.TrimSpace(s)
	if t == "" || strings.ContainsAny(t, "_xXoObB") {
		return nil, invalidText(oid, s)
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return nil, outOfRange(oid, s)
		}
		return nil, invalidText(oid, s)
	}
	if n < lo || n > hi {
		return nil, outOfRange(oid, s)
	}
	return n, nil
}

func parseFloat(oid uint32, s string, bits int) (float64, error) {
	t := strings.TrimSpace(s)
	if t == "" || strings.ContainsAny(t, "_xXpP") {
		return 0, invalidText(oid, s)
	}
	f, err := strconv.ParseFloat(t, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, pgerror.New(pgerror.NumericValueOutOfRange, "%q is out of range for type %s", t, sqlName(oid))
		}
		return 0, invalidText(oid, s)
	}
	return f, nil
}

// validNumeric reports whether s is a numeric literal PostgreSQL accepts:
// [+-]digits[.digits][e[+-]digits], NaN, [+-]Infinity.
func validNumeric(s string) bool {
	l := strings.ToLower(s)
	switch strings.TrimLeft(l, "+-") {
	case "nan":
		return l == "nan"
	case "infinity", "inf":
		return len(l)-len(strings.TrimLeft(l, "+-")) <= 1
	}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// parseBytea decodes bytea's hex (\x0102) or escape (a\001\\) input.
func parseBytea(s string) (any, error) {
	if strings.HasPrefix(s, `\x`) {
		h := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, s[2:])
		if len(h)%2 != 0 {
			return nil, pgerror.New(pgerror.InvalidTextRepresentation, "invalid hexadecimal data: odd number of digits")
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, pgerror.New(pgerror.InvalidTextRepresentation, "invalid hexadecimal digit: %q", hexBad(h))
		}
		return b, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(s)+0 && isOct(s[i+1]) && s[i+1] <= '3' && isOct(s[i+2]) && isOct(s[i+3]):
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 3
		default:
			return nil, invalidText(OIDBytea, s)
		}
	}
	return out, nil
}

func isOct(c byte) bool { return c >= '0' && c <= '7' }

func hexBad(h string) string {
	for _, r := range h {
		if _, ok := hexDigit(byte(r)); !ok || r > 127 {
			return string(r)
		}
	}
	return ""
}

// parseISODate parses YYYY-MM-DD with an optional " BC" into a UTC
// time.Time.
func parseISODate(s string) (time.Time, bool) {
	bc := false
	if strings.HasSuffix(s, " BC") {
		bc, s = true, strings.TrimSuffix(s, " BC")
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, false
	}
	if bc {
		t = t.AddDate(1-2*t.Year(), 0, 0)
	}
	return t, true
}

// parseISOTimestamp parses YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]] with an
// optional UTC offset and " BC". For timestamptz the offset is required
// (without it PostgreSQL uses the session time zone, which DuckDB applies
// when it casts the text); for timestamp an offset is ignored, as in
// PostgreSQL. The result is in UTC.
func parseISOTimestamp(s string, tz bool) (time.Time, bool) {
	bc := false
	if strings.HasSuffix(s, " BC") {
		bc, s = true, strings.TrimSuffix(s, " BC")
	}
	if len(s) < 16 || (s[10] != ' ' && s[10] != 'T') {
		return time.Time{}, false
	}
	date, rest := s[:10], s[11:]
	end := strings.IndexAny(rest, "+-Z")
	clock, zone := rest, ""
	if end >= 0 {
		clock, zone = rest[:end], rest[end:]
	}
	clock = strings.TrimSpace(clock)
	layout := "2006-01-02 15:04"
	if len(clock) > 5 {
		layout += ":05"
	}
	if len(clock) > 8 && clock[8] == '.' {
		layout += ".999999999"
	}
	t, err := time.Parse(layout, date+" "+clock)
	if err != nil {
		return time.Time{}, false
	}
	if zone == "" {
		if tz {
			return time.Time{}, false
		}
	} else if tz {
		off, ok := parseOffset(zone)
		if !ok {
			return time.Time{}, false
		}
		t = t.Add(-time.Duration(off) * time.Second)
	} else if _, ok := parseOffset(zone); !ok {
		return time.Time{}, false
	}
	if bc {
		t = t.AddDate(1-2*t.Year(), 0, 0)
	}
	return t.UTC(), true
}

// parseOffset parses Z, ±HH, ±HHMM, ±HH:MM, ±HH:MM:SS into seconds east.
func parseOffset(z string) (int, bool) {
	if z == "Z" {
		return 0, true
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	parts := strings.Split(z[1:], ":")
	if len(parts) == 1 && len(parts[0]) == 4 {
		parts = []string{parts[0][:2], parts[0][2:]}
	}
	if len(parts) > 3 {
		return 0, false
	}
	secs := 0
	for i, p := range parts {
		if len(p) == 0 || len(p) > 2 {
			return 0, false
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return 0, false
		}
		secs += n * []int{3600, 60, 1}[i]
	}
	return sign * secs, true
}

// intervalUnits maps PostgreSQL's interval unit words to months, days or
// microseconds per unit.
var intervalUnits = map[string][3]int64{
	"year": {12, 0, 0}, "years": {12, 0, 0}, "y": {12, 0, 0},
	"mon": {1, 0, 0}, "mons": {1, 0, 0}, "month": {1, 0, 0}, "months": {1, 0, 0},
	"week": {0, 7, 0}, "weeks": {0, 7, 0}, "w": {0, 7, 0},
	"day": {0, 1, 0}, "days": {0, 1, 0}, "d": {0, 1, 0},
	"hour": {0, 0, 3600e6}, "hours": {0, 0, 3600e6}, "h": {0, 0, 3600e6},
	"min": {0, 0, 60e6}, "mins": {0, 0, 60e6}, "minute": {0, 0, 60e6}, "minutes": {0, 0, 60e6}, "m": {0, 0, 60e6},
	"sec": {0, 0, 1e6}, "secs": {0, 0, 1e6}, "second": {0, 0, 1e6}, "seconds": {0, 0, 1e6}, "s": {0, 0, 1e6},
	"millisecond": {0, 0, 1e3}, "milliseconds": {0, 0, 1e3}, "ms": {0, 0, 1e3},
	"microsecond": {0, 0, 1}, "microseconds": {0, 0, 1}, "us": {0, 0, 1},
}

// parseInterval parses the postgres interval style ("1 year 2 mons -3 days
// +04:05:06.5", "@ 1 day ago") with integer quantities; anything else is
// left for DuckDB to cast.
func parseInterval(s string) (duckdb.Interval, bool) {
	var iv duckdb.Interval
	f := strings.Fields(strings.ToLower(s))
	if len(f) > 0 && f[0] == "@" {
		f = f[1:]
	}
	ago := false
	if len(f) > 0 && f[len(f)-1] == "ago" {
		ago, f = true, f[:len(f)-1]
	}
	if len(f) == 0 {
		return iv, false
	}
	for i := 0; i < len(f); i++ {
		w := f[i]
		if strings.Contains(w, ":") {
			us, ok := parseClock(w)
			if !ok {
				return iv, false
			}
			iv.Micros += us
			continue
		}
		n, err := strconv.ParseInt(w, 10, 32)
		if err != nil || i+1 >= len(f) {
			return iv, false
		}
		u, ok := intervalUnits[f[i+1]]
		if !ok {
			return iv, false
		}
		i++
		iv.Months += int32(n * u[0])
		iv.Days += int32(n * u[1])
		iv.Micros += n * u[2]
	}
	if ago {
		iv = duckdb.Interval{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}
	}
	return iv, true
}

// parseClock parses [+-]HH:MM[:SS[.ffffff]] into microseconds.
func parseClock(w string) (int64, bool) {
	sign := int64(1)
	switch w[0] {
	case '-':
		sign, w = -1, w[1:]
	case '+':
		w = w[1:]
	}
	parts := strings.Split(w, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || m < 0 || m > 59 || h < 0 {
		return 0, false
	}
	us := (h*60 + m) * 60e6
	if len(parts) == 3 {
		sec, frac, _ := strings.Cut(parts[2], ".")
		sv, err := strconv.ParseInt(sec, 10, 64)
		if err != nil || sv < 0 || sv > 59 || len(frac) > 6 {
			return 0, false
		}
		us += sv * 1e6
		if frac != "" {
			fv, err := strconv.ParseInt((frac + "00000")[:6], 10, 64)
			if err != nil || fv < 0 {
				return 0, false
			}
			us += fv
		}
	}
	return sign * us, true
}

// decodeArrayText parses a one-dimensional array literal {a,"b c",NULL}
// and decodes each element as a text parameter of the element type.
func decodeArrayText(oid, elem uint32, s string) (any, error) {
	t := strings.TrimSpace(s)
	if len(t) < 2 || t[0] != '{' || t[len(t)-1] != '}' {
		return nil, pgerror.New(pgerror.InvalidTextRepresentation, "malformed array literal: %q", s).
			WithDetail(`Array value must start with "{" or dimension information.`)
	}
	body := t[1 : len(t)-1]
	out := []any{}
	if strings.TrimSpace(body) == "" {
		return duckList(elem, out)
	}
	i := 0
	for {
		for i < len(body) && body[i] == ' ' {
			i++
		}
		var b strings.Builder
		quoted := false
		if i < len(body) && body[i] == '"' {
			quoted = true
			i++
			for i < len(body) && body[i] != '"' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				b.WriteByte(body[i])
				i++
			}
			if i >= len(body) {
				return nil, pgerror.New(pgerror.InvalidTextRepresentation, "malformed array literal: %q", s)
			}
			i++
		} else {
			for i < len(body) && body[i] != ',' {
				if body[i] == '{' || body[i] == '"' {
					return nil, pgerror.New(pgerror.FeatureNotSupported, "multidimensional arrays are not supported: %q", s)
				}
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				b.WriteByte(body[i])
				i++
			}
		}
		e := b.String()
		if !quoted {
			e = strings.TrimSpace(e)
		}
		if !quoted && strings.EqualFold(e, "NULL") {
			out = append(out, nil)
		} else {
			v, err := decodeText(elem, []byte(e))
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		for i < len(body) && body[i] == ' ' {
			i++
		}
		if i >= len(body) {
			return duckList(elem, out)
		}
		if body[i] != ',' {
			return nil, pgerror.New(pgerror.InvalidTextRepresentation, "malformed array literal: %q", s)
		}
		i++
	}
}

func decodeBinary(oid uint32, data []byte) (any, error) {
	if elem, ok := arrayElem[oid]; ok {
		return decodeArrayBinary(oid, elem, data)
	}
	need := func(n int) error {
		if len(data) != n {
			return invalidBinary(oid)
		}
		return nil
	}
	be := binary.BigEndian
	switch oid {
	case 0, OIDUnknown, OIDText, OIDVarchar, OIDBPChar, OIDName, OIDChar, OIDJSON:
		if !utf8.Valid(data) {
			return nil, pgerror.New(pgerror.CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\"")
		}
		return string(data), nil
	case OIDJSONB:
		if len(data) < 1 || data[0] != 1 {
			return nil, pgerror.New(pgerror.InvalidBinaryRepresentation, "unsupported jsonb version number %d", firstByte(data))
		}
		return decodeText(OIDJSON, data[1:])
	case OIDBool:
		if err := need(1); err != nil {
			return nil, err
		}
		return data[0] != 0, nil
	case OIDInt2:
		if err := need(2); err != nil {
			return nil, err
		}
		return int64(int16(be.Uint16(data))), nil
	case OIDInt4:
		if err := need(4); err != nil {
			return nil, err
		}
		return int64(int32(be.Uint32(data))), nil
	case OIDOID:
		if err := need(4); err != nil {
			return nil, err
		}
		return int64(be.Uint32(data)), nil
	case OIDInt8:
		if err := need(8); err != nil {
			return nil, err
		}
		return int64(be.Uint64(data)), nil
	case OIDFloat4:
		if err := need(4); err != nil {
			return nil, err
		}
		return math.Float32frombits(be.Uint32(data)), nil
	case OIDFloat8:
		if err := need(8); err != nil {
			return nil, err
		}
		return math.Float64frombits(be.Uint64(data)), nil
	case OIDBytea:
		return append([]byte{}, data...), nil
	case OIDUUID:
		if err := need(16); err != nil {
			return nil, err
		}
		return string(appendUUID(nil, [16]byte(data))), nil
	case OIDNumeric:
		return decodeNumericBinary(data)
	case OIDDate:
		if err := need(4); err != nil {
			return nil, err
		}
		d := int32(be.Uint32(data))
		switch d {
		case math.MaxInt32:
			return "infinity", nil
		case math.MinInt32:
			return "-infinity", nil
		}
		return time.Unix(pgEpochUnix+int64(d)*86400, 0).UTC(), nil
	case OIDTimestamp, OIDTimestamptz:
		if err := need(8); err != nil {
			return nil, err
		}
		us := int64(be.Uint64(data))
		switch us {
		case math.MaxInt64:
			return "infinity", nil
		case math.MinInt64:
			return "-infinity", nil
		}
		return time.UnixMicro(us + pgEpochUnix*1000000).UTC(), nil
	case OIDTime, OIDTimetz:
		if oid == OIDTime {
			if err := need(8); err != nil {
				return nil, err
			}
		} else if err := need(12); err != nil {
			return nil, err
		}
		us := int64(be.Uint64(data))
		if us < 0 || us > 86400e6 {
			return nil, pgerror.New(pgerror.InvalidBinaryRepresentation, "time out of range")
		}
		b := appendClock(nil, us/3600e6, us/60e6%60, us/1e6%60, us%1e6)
		if oid == OIDTimetz {
			b = appendZone(b, -int(int32(be.Uint32(data[8:]))))
		}
		return string(b), nil
	case OIDInterval:
		if err := need(16); err != nil {
			return nil, err
		}
		return duckdb.Interval{
			Micros: int64(be.Uint64(data)),
			Days:   int32(be.Uint32(data[8:])),
			Months: int32(be.Uint32(data[12:])),
		}, nil
	}
	return nil, pgerror.New(pgerror.FeatureNotSupported, "binary format for parameters of type %s is not supported", sqlName(oid))
}

func firstByte(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}

// decodeNumericBinary turns numeric_send's format into its decimal text.
func decodeNumericBinary(data []byte) (any, error) {
	be := binary.BigEndian
	if len(data) < 8 {
		return nil, invalidBinary(OIDNumeric)
	}
	ndigits := int(be.Uint16(data))
	weight := int(int16(be.Uint16(data[2:])))
	sign := be.Uint16(data[4:])
	dscale := int(be.Uint16(data[6:]))
	if len(data) != 8+2*ndigits || dscale > 0x3FFF {
		return nil, invalidBinary(OIDNumeric)
	}
	switch sign {
	case numericNaN:
		return "NaN", nil
	case numericPInf:
		return "Infinity", nil
	case numericNInf:
		return "-Infinity", nil
	case numericPos, numericNeg:
	default:
		return nil, pgerror.New(pgerror.InvalidBinaryRepresentation, "invalid sign in external \"numeric\" value")
	}
	digits := make([]int, ndigits)
	for i := range digits {
		d := int(be.Uint16(data[8+2*i:]))
		if d > 9999 {
			return nil, pgerror.New(pgerror.InvalidBinaryRepresentation, "invalid digit in external \"numeric\" value")
		}
		digits[i] = d
	}
	var b strings.Builder
	if sign == numericNeg && ndigits > 0 {
		b.WriteByte('-')
	}
	// Integer part: base-10000 digits at weights weight..0.
	if weight < 0 {
		b.WriteByte('0')
	} else {
		for w := 0; w <= weight; w++ {
			d := 0
			if w < ndigits {
				d = digits[w]
			}
			if w == 0 {
				b.WriteString(strconv.Itoa(d))
			} else {
				b.WriteString(pad4(d))
			}
		}
	}
	if dscale > 0 {
		var f strings.Builder
		for w := weight + 1; f.Len() < dscale; w++ {
			d := 0
			if w >= 0 && w < ndigits {
				d = digits[w]
			}
			f.WriteString(pad4(d))
		}
		b.WriteByte('.')
		b.WriteString(f.String()[:dscale])
	}
	return b.String(), nil
}

func pad4(d int) string {
	s := strconv.Itoa(d)
	return strings.Repeat("0", 4-len(s)) + s
}

// decodeArrayBinary parses array_send's format (one dimension or empty).
func decodeArrayBinary(oid, elem uint32, data []byte) (any, error) {
	be := binary.BigEndian
	if len(data) < 12 {
		return nil, invalidBinary(oid)
	}
	ndim := int32(be.Uint32(data))
	elemOID := be.Uint32(data[8:])
	if elemOID != elem {
		return nil, pgerror.New(pgerror.DatatypeMismatch, "binary data has array element type %d instead of expected %d", elemOID, elem)
	}
	data = data[12:]
	out := []any{}
	switch {
	case ndim == 0:
		return duckList(elem, out)
	case ndim != 1:
		return nil, pgerror.New(pgerror.FeatureNotSupported, "arrays of %d dimensions are not supported", ndim)
	}
	if len(data) < 8 {
		return nil, invalidBinary(oid)
	}
	n := int(int32(be.Uint32(data)))
	data = data[8:]
	for i := 0; i < n; i++ {
		if len(data) < 4 {
			return nil, invalidBinary(oid)
		}
		l := int32(be.Uint32(data))
		data = data[4:]
		if l == -1 {
			out = append(out, nil)
			continue
		}
		if l < 0 || int(l) > len(data) {
			return nil, invalidBinary(oid)
		}
		v, err := decodeBinary(elem, data[:l])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		data = data[l:]
	}
	if len(data) != 0 {
		return nil, invalidBinary(oid)
	}
	return duckList(elem, out)
}

// duckList renders decoded array elements as a DuckDB list literal
// ("[1, NULL, 'a,b']"), which DuckDB casts to DuckDBName of the array type.
// duckdb-go can bind []any only when every element has exactly the Go
// type of the parameter's DuckDB element type (it panics otherwise), which
// a PostgreSQL parameter type does not determine.
func duckList(elem uint32, values []any) (any, error) {
	name := DuckDBName(elem)
	buf := []byte{'['}
	for i, v := range values {
		if i > 0 {
			buf = append(buf, ", "...)
		}
		if t, ok := v.(time.Time); ok && elem == OIDTimestamptz {
			v = t.UTC()
			name = "TIMESTAMPTZ"
		}
		var err error
		buf, err = appendDuckScalar(buf, name, v, true, Options{Location: time.UTC})
		if err != nil {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "array element %d: %v", i+1, err)
		}
	}
	return string(append(buf, ']')), nil
}
