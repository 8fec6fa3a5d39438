package types

// PostgreSQL type OIDs (pg_type.oid) featurehouse uses.
const (
	OIDBool        uint32 = 16
	OIDBytea       uint32 = 17
	OIDChar        uint32 = 18
	OIDName        uint32 = 19
	OIDInt8        uint32 = 20
	OIDInt2        uint32 = 21
	OIDInt4        uint32 = 23
	OIDText        uint32 = 25
	OIDOID         uint32 = 26
	OIDJSON        uint32 = 114
	OIDFloat4      uint32 = 700
	OIDFloat8      uint32 = 701
	OIDUnknown     uint32 = 705
	OIDBPChar      uint32 = 1042
	OIDVarchar     uint32 = 1043
	OIDDate        uint32 = 1082
	OIDTime        uint32 = 1083
	OIDTimestamp   uint32 = 1114
	OIDTimestamptz uint32 = 1184
	OIDInterval    uint32 = 1186
	OIDTimetz      uint32 = 1266
	OIDNumeric     uint32 = 1700
	OIDUUID        uint32 = 2950
	OIDJSONB       uint32 = 3802

	OIDBoolArray        uint32 = 1000
	OIDByteaArray       uint32 = 1001
	OIDInt2Array        uint32 = 1005
	OIDInt4Array        uint32 = 1007
	OIDTextArray        uint32 = 1009
	OIDVarcharArray     uint32 = 1015
	OIDInt8Array        uint32 = 1016
	OIDFloat4Array      uint32 = 1021
	OIDFloat8Array      uint32 = 1022
	OIDTimestampArray   uint32 = 1115
	OIDDateArray        uint32 = 1182
	OIDTimeArray        uint32 = 1183
	OIDTimestamptzArray uint32 = 1185
	OIDIntervalArray    uint32 = 1187
	OIDNumericArray     uint32 = 1231
	OIDTimetzArray      uint32 = 1270
	OIDUUIDArray        uint32 = 2951
	OIDJSONArray        uint32 = 199
	OIDJSONBArray       uint32 = 3807
)

// scalar describes one base type: its PostgreSQL name and length, the
// DuckDB type a parameter of it is cast to, and its array type.
type scalar struct {
	name   string
	size   int16
	duckdb string
	array  uint32
}

var scalars = map[uint32]scalar{
	OIDBool:        {"bool", 1, "BOOLEAN", OIDBoolArray},
	OIDBytea:       {"bytea", -1, "BLOB", OIDByteaArray},
	OIDChar:        {"char", 1, "VARCHAR", 0},
	OIDName:        {"name", 64, "VARCHAR", 0},
	OIDInt8:        {"int8", 8, "BIGINT", OIDInt8Array},
	OIDInt2:        {"int2", 2, "SMALLINT", OIDInt2Array},
	OIDInt4:        {"int4", 4, "INTEGER", OIDInt4Array},
	OIDText:        {"text", -1, "VARCHAR", OIDTextArray},
	OIDOID:         {"oid", 4, "UINTEGER", 0},
	OIDJSON:        {"json", -1, "JSON", OIDJSONArray},
	OIDFloat4:      {"float4", 4, "FLOAT", OIDFloat4Array},
	OIDFloat8:      {"float8", 8, "DOUBLE", OIDFloat8Array},
	OIDUnknown:     {"unknown", -2, "VARCHAR", 0},
	OIDBPChar:      {"bpchar", -1, "VARCHAR", 0},
	OIDVarchar:     {"varchar", -1, "VARCHAR", OIDVarcharArray},
	OIDDate:        {"date", 4, "DATE", OIDDateArray},
	OIDTime:        {"time", 8, "TIME", OIDTimeArray},
	OIDTimestamp:   {"timestamp", 8, "TIMESTAMP", OIDTimestampArray},
	OIDTimestamptz: {"timestamptz", 8, "TIMESTAMPTZ", OIDTimestamptzArray},
	OIDInterval:    {"interval", 16, "INTERVAL", OIDIntervalArray},
	OIDTimetz:      {"timetz", 12, "TIMETZ", OIDTimetzArray},
	// A numeric parameter has no declared precision; DECIMAL(38,10) keeps
	// 28 integer and 10 fractional digits (DuckDB's bare DECIMAL is (18,3)).
	OIDNumeric: {"numeric", -1, "DECIMAL(38,10)", OIDNumericArray},
	OIDUUID:    {"uuid", 16, "UUID", OIDUUIDArray},
	OIDJSONB:   {"jsonb", -1, "JSON", OIDJSONBArray},
}

// arrayElem maps an array type OID to its element type OID.
var arrayElem = map[uint32]uint32{}

var arrayName = map[uint32]string{}

func init() {
	for oid, s := range scalars {
		if s.array != 0 {
			arrayElem[s.array] = oid
			arrayName[s.array] = "_" + s.name
		}
	}
}

// baseType returns the Type of a scalar OID with no modifier.
func baseType(oid uint32) Type {
	s := scalars[oid]
	return Type{OID: oid, Name: s.name, Size: s.size, Modifier: -1, DuckDB: s.duckdb}
}

// arrayOf returns the array Type whose elements are elem, or false when
// PostgreSQL has no array type featurehouse knows for elem.
func arrayOf(elem Type) (Type, bool) {
	s, ok := scalars[elem.OID]
	if !ok || s.array == 0 {
		return Type{}, false
	}
	e := elem
	return Type{
		OID:      s.array,
		Name:     arrayName[s.array],
		Size:     -1,
		Modifier: elem.Modifier,
		Elem:     &e,
		DuckDB:   elem.DuckDB + "[]",
	}, true
}

// ByOID returns the Type for a PostgreSQL OID (for declared parameter types)
// and whether it is known. Its DuckDB field is DuckDBName(oid).
func ByOID(oid uint32) (Type, bool) {
	if _, ok := scalars[oid]; ok {
		return baseType(oid), true
	}
	if elem, ok := arrayElem[oid]; ok {
		return arrayOf(baseType(elem))
	}
	return Type{}, false
}

// DuckDBName returns the DuckDB type to cast a parameter of this PostgreSQL
// type to ("INTEGER", "TIMESTAMPTZ", "FLOAT[]"...). It returns "" for OID 0
// (unspecified) and for OIDs it does not know: the caller then leaves the
// parameter uncast and DuckDB infers its type.
func DuckDBName(oid uint32) string {
	if s, ok := scalars[oid]; ok {
		return s.duckdb
	}
	if elem, ok := arrayElem[oid]; ok {
		return scalars[elem].duckdb + "[]"
	}
	return ""
}
