package types

// scalarOIDs maps DuckDB scalar type names to the PostgreSQL type a client
// sees.
var scalarOIDs = map[string]uint32{
	"BOOLEAN":      OIDBool,
	"TINYINT":      OIDInt2,
	"SMALLINT":     OIDInt2,
	"UTINYINT":     OIDInt2,
	"INTEGER":      OIDInt4,
	"USMALLINT":    OIDInt4,
	"BIGINT":       OIDInt8,
	"UINTEGER":     OIDInt8,
	"UBIGINT":      OIDNumeric,
	"HUGEINT":      OIDNumeric,
	"UHUGEINT":     OIDNumeric,
	"BIGNUM":       OIDNumeric,
	"FLOAT":        OIDFloat4,
	"DOUBLE":       OIDFloat8,
	"VARCHAR":      OIDText,
	"BLOB":         OIDBytea,
	"DATE":         OIDDate,
	"TIME":         OIDTime,
	"TIME_NS":      OIDTime,
	"TIMETZ":       OIDTimetz,
	"TIMESTAMP":    OIDTimestamp,
	"TIMESTAMP_S":  OIDTimestamp,
	"TIMESTAMP_MS": OIDTimestamp,
	"TIMESTAMP_NS": OIDTimestamp,
	"TIMESTAMPTZ":  OIDTimestamptz,
	"INTERVAL":     OIDInterval,
	"UUID":         OIDUUID,
	"JSON":         OIDJSON,
}

// FromDuckDB maps a DuckDB type name as duckdb-go's
// rows.ColumnTypeDatabaseTypeName gives it ("INTEGER", "DECIMAL(18,3)",
// "TIMESTAMPTZ", "FLOAT[]", "FLOAT[8]", "STRUCT(...)", "ENUM", ...) to the
// PostgreSQL type a client sees. Types PostgreSQL has no counterpart for
// (STRUCT, MAP, UNION, BIT, nested lists, lists of such types, unparsable
// names) map to text (OID 25) and are sent as their DuckDB text form.
// The returned Type's DuckDB field is duckdbType unchanged.
func FromDuckDB(duckdbType string) Type {
	dt, err := parseDuckType(duckdbType)
	if err != nil {
		t := baseType(OIDText)
		t.DuckDB = duckdbType
		return t
	}
	t := fromParsed(dt)
	t.DuckDB = duckdbType
	return t
}

func fromParsed(dt *duckType) Type {
	switch dt.kind {
	case kScalar:
		if oid, ok := scalarOIDs[dt.name]; ok {
			t := baseType(oid)
			t.DuckDB = dt.name
			return t
		}
	case kDecimal:
		t := baseType(OIDNumeric)
		t.Modifier = int32(dt.width<<16|dt.scale) + 4
		t.DuckDB = dt.String()
		return t
	case kList, kArray:
		if dt.elem.kind == kScalar || dt.elem.kind == kDecimal {
			elem := fromParsed(dt.elem)
			if at, ok := arrayOf(elem); ok {
				at.DuckDB = dt.String()
				return at
			}
		}
	}
	t := baseType(OIDText)
	t.DuckDB = dt.String()
	return t
}
