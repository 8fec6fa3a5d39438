package types

import (
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

func TestFromDuckDB(t *testing.T) {
	for _, c := range []struct {
		duck     string
		oid      uint32
		name     string
		size     int16
		modifier int32
		elem     uint32
	}{
		{"BOOLEAN", OIDBool, "bool", 1, -1, 0},
		{"TINYINT", OIDInt2, "int2", 2, -1, 0},
		{"UTINYINT", OIDInt2, "int2", 2, -1, 0},
		{"USMALLINT", OIDInt4, "int4", 4, -1, 0},
		{"UINTEGER", OIDInt8, "int8", 8, -1, 0},
		{"UBIGINT", OIDNumeric, "numeric", -1, -1, 0},
		{"HUGEINT", OIDNumeric, "numeric", -1, -1, 0},
		{"DECIMAL(18,3)", OIDNumeric, "numeric", -1, 18<<16 | 3 + 4, 0},
		{"DECIMAL(38,0)", OIDNumeric, "numeric", -1, 38<<16 + 4, 0},
		{"FLOAT", OIDFloat4, "float4", 4, -1, 0},
		{"DOUBLE", OIDFloat8, "float8", 8, -1, 0},
		{"VARCHAR", OIDText, "text", -1, -1, 0},
		{"BLOB", OIDBytea, "bytea", -1, -1, 0},
		{"DATE", OIDDate, "date", 4, -1, 0},
		{"TIME", OIDTime, "time", 8, -1, 0},
		{"TIMETZ", OIDTimetz, "timetz", 12, -1, 0},
		{"TIMESTAMP", OIDTimestamp, "timestamp", 8, -1, 0},
		{"TIMESTAMP_NS", OIDTimestamp, "timestamp", 8, -1, 0},
		{"TIMESTAMPTZ", OIDTimestamptz, "timestamptz", 8, -1, 0},
		{"TIMESTAMP WITH TIME ZONE", OIDTimestamptz, "timestamptz", 8, -1, 0},
		{"INTERVAL", OIDInterval, "interval", 16, -1, 0},
		{"UUID", OIDUUID, "uuid", 16, -1, 0},
		{"JSON", OIDJSON, "json", -1, -1, 0},
		{"FLOAT[]", OIDFloat4Array, "_float4", -1, -1, OIDFloat4},
		{"FLOAT[8]", OIDFloat4Array, "_float4", -1, -1, OIDFloat4},
		{"VARCHAR[]", OIDTextArray, "_text", -1, -1, OIDText},
		{"DECIMAL(10,2)[]", OIDNumericArray, "_numeric", -1, 10<<16 | 2 + 4, OIDNumeric},
		{"TIMESTAMP_S[]", OIDTimestampArray, "_timestamp", -1, -1, OIDTimestamp},
		{"UBIGINT[]", OIDNumericArray, "_numeric", -1, -1, OIDNumeric},
		{"INTEGER[][]", OIDText, "text", -1, -1, 0},
		{`STRUCT("a" INTEGER, "b c" VARCHAR[])`, OIDText, "text", -1, -1, 0},
		{"STRUCT(a INTEGER)[]", OIDText, "text", -1, -1, 0},
		{"MAP(VARCHAR, INTEGER)", OIDText, "text", -1, -1, 0},
		{`UNION("k" INTEGER)`, OIDText, "text", -1, -1, 0},
		{"ENUM", OIDText, "text", -1, -1, 0},
		{"ENUM('a', 'b)')", OIDText, "text", -1, -1, 0},
		{"BIT", OIDText, "text", -1, -1, 0},
		{"NULL", OIDText, "text", -1, -1, 0},
		{"SQLNULL", OIDText, "text", -1, -1, 0},
		{"GEOMETRY", OIDText, "text", -1, -1, 0},
		{"((", OIDText, "text", -1, -1, 0},
	} {
		got := FromDuckDB(c.duck)
		if got.OID != c.oid || got.Name != c.name || got.Size != c.size || got.Modifier != c.modifier || got.DuckDB != c.duck {
			t.Errorf("FromDuckDB(%q) = %+v, want oid %d %s size %d mod %d", c.duck, got, c.oid, c.name, c.size, c.modifier)
		}
		if (got.Elem == nil) != (c.elem == 0) || got.Elem != nil && got.Elem.OID != c.elem {
			t.Errorf("FromDuckDB(%q).Elem = %+v, want %d", c.duck, got.Elem, c.elem)
		}
	}
}

func TestByOIDAndDuckDBName(t *testing.T) {
	for oid, want := range map[uint32]string{
		OIDBool: "BOOLEAN", OIDInt2: "SMALLINT", OIDInt4: "INTEGER", OIDInt8: "BIGINT",
		OIDFloat4: "FLOAT", OIDFloat8: "DOUBLE", OIDText: "VARCHAR", OIDVarchar: "VARCHAR",
		OIDBytea: "BLOB", OIDDate: "DATE", OIDTime: "TIME", OIDTimestamp: "TIMESTAMP",
		OIDTimestamptz: "TIMESTAMPTZ", OIDInterval: "INTERVAL", OIDUUID: "UUID",
		OIDJSON: "JSON", OIDJSONB: "JSON", OIDNumeric: "DECIMAL(38,10)",
		OIDFloat4Array: "FLOAT[]", OIDTextArray: "VARCHAR[]", OIDTimestamptzArray: "TIMESTAMPTZ[]",
		OIDJSONBArray: "JSON[]", 0: "", 99999: "",
	} {
		if got := DuckDBName(oid); got != want {
			t.Errorf("DuckDBName(%d) = %q, want %q", oid, got, want)
		}
		typ, ok := ByOID(oid)
		if ok != (want != "") {
			t.Errorf("ByOID(%d) ok = %v", oid, ok)
		}
		if ok && (typ.OID != oid || typ.DuckDB != want) {
			t.Errorf("ByOID(%d) = %+v", oid, typ)
		}
	}
	if typ, _ := ByOID(OIDInt4Array); typ.Name != "_int4" || typ.Elem == nil || typ.Elem.OID != OIDInt4 || typ.Size != -1 {
		t.Errorf("ByOID(_int4) = %+v", typ)
	}
}

func TestDecodeParamErrors(t *testing.T) {
	for _, c := range []struct {
		oid    uint32
		format int16
		data   string
		code   string
		msg    string
	}{
		{OIDInt4, 0, "abc", pgerror.InvalidTextRepresentation, `invalid input syntax for type integer: "abc"`},
		{OIDInt4, 0, "99999999999", pgerror.NumericValueOutOfRange, `value "99999999999" is out of range for type integer`},
		{OIDInt2, 0, "40000", pgerror.NumericValueOutOfRange, `value "40000" is out of range for type smallint`},
		{OIDInt8, 0, "1.5", pgerror.InvalidTextRepresentation, `invalid input syntax for type bigint: "1.5"`},
		{OIDBool, 0, "maybe", pgerror.InvalidTextRepresentation, `invalid input syntax for type boolean: "maybe"`},
		{OIDFloat8, 0, "x", pgerror.InvalidTextRepresentation, `invalid input syntax for type double precision: "x"`},
		{OIDNumeric, 0, "1.2.3", pgerror.InvalidTextRepresentation, `invalid input syntax for type numeric: "1.2.3"`},
		{OIDUUID, 0, "nope", pgerror.InvalidTextRepresentation, `invalid input syntax for type uuid: "nope"`},
		{OIDJSON, 0, "{", pgerror.InvalidTextRepresentation, `invalid input syntax for type json: "{"`},
		{OIDBytea, 0, `\x0`, pgerror.InvalidTextRepresentation, "invalid hexadecimal data: odd number of digits"},
		{OIDInt4Array, 0, "1,2", pgerror.InvalidTextRepresentation, `malformed array literal: "1,2"`},
		{OIDInt4Array, 0, "{1,x}", pgerror.InvalidTextRepresentation, `invalid input syntax for type integer: "x"`},
		{OIDInt4, 1, "\x00\x00\x01", pgerror.InvalidBinaryRepresentation, "incorrect binary data format for type integer"},
		{OIDText, 1, "\xff", pgerror.CharacterNotInRepertoire, `invalid byte sequence for encoding "UTF8"`},
		{OIDInt4, 2, "1", pgerror.ProtocolViolation, "unsupported format code: 2"},
	} {
		_, err := DecodeParam(c.oid, c.format, []byte(c.data))
		e, ok := pgerror.As(err)
		if !ok || e.Code != c.code || e.Message != c.msg {
			t.Errorf("DecodeParam(%d, %d, %q) = %v, want %s %s", c.oid, c.format, c.data, err, c.code, c.msg)
		}
	}
}

func TestDecodeParamValues(t *testing.T) {
	for _, c := range []struct {
		oid  uint32
		data string
		want any
	}{
		{0, "anything", "anything"},
		{OIDBool, " YES ", true},
		{OIDBool, "of", false},
		{OIDInt8, " -42 ", int64(-42)},
		{OIDFloat8, "-Infinity", nil},
		{OIDNumeric, " 1.50 ", "1.50"},
		{OIDUUID, "{A0EEBC999C0B4EF8BB6D6BB9BD380A11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{OIDInterval, "@ 1 day 2 hours ago", duckdb.Interval{Days: -1, Micros: -7200000000}},
		{OIDInterval, "P1D", "P1D"},
		{OIDDate, "March 1, 2024", "March 1, 2024"},
		{OIDTimestamptz, "2024-03-01 12:00:00", "2024-03-01 12:00:00"},
	} {
		got, err := DecodeParam(c.oid, 0, []byte(c.data))
		if err != nil {
			t.Errorf("DecodeParam(%d, %q): %v", c.oid, c.data, err)
			continue
		}
		if c.want != nil && got != c.want {
			t.Errorf("DecodeParam(%d, %q) = %#v, want %#v", c.oid, c.data, got, c.want)
		}
	}
	b, err := DecodeParam(OIDBytea, 0, []byte(`a\\b\001`))
	if err != nil || string(b.([]byte)) != "a\\b\x01" {
		t.Errorf("escape bytea = %q, %v", b, err)
	}
	arr, err := DecodeParam(OIDTextArray, 0, []byte(`{a,"b c",NULL,"NULL","x\"y","",x'y}`))
	if want := `[a, b c, NULL, 'NULL', 'x"y', '', 'x\'y']`; err != nil || arr != want {
		t.Errorf("text array = %#v, %v; want %s", arr, err, want)
	}
}

func TestAppendUnexpectedValue(t *testing.T) {
	for _, typ := range []Type{FromDuckDB("INTEGER"), FromDuckDB("DATE"), FromDuckDB("INTEGER[]"), FromDuckDB("UUID"), FromDuckDB("INTERVAL")} {
		if _, err := AppendText(nil, typ, struct{}{}, Options{}); err == nil {
			t.Errorf("AppendText(%s, struct{}{}) did not fail", typ.Name)
		}
		if _, err := AppendBinary(nil, typ, struct{}{}, Options{}); err == nil {
			t.Errorf("AppendBinary(%s, struct{}{}) did not fail", typ.Name)
		}
	}
	if _, err := AppendBinary(nil, FromDuckDB("SMALLINT"), int64(70000), Options{}); err == nil {
		t.Error("AppendBinary(int2, 70000) did not fail")
	}
}
