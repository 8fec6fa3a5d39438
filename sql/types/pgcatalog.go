package types

import "sort"

// CatalogType is one row of featurehouse's pg_catalog.pg_type, so that the
// catalog names the same OIDs RowDescription sends.
type CatalogType struct {
	OID  uint32
	Name string // typname ("int4", "_float4")
	// Display is format_type's name without modifiers ("integer",
	// "real[]", "character varying").
	Display    string
	Size       int16 // typlen
	Type       byte  // typtype: 'b' base, 'p' pseudo
	Category   byte  // typcategory
	Storage    byte  // typstorage: 'p' plain, 'x' extended, 'm' main
	Elem       uint32
	Array      uint32
	Collatable bool
}

// catalogInfo is what pg_type says of a base type beyond scalars.
type catalogInfo struct {
	display    string
	category   byte
	storage    byte
	collatable bool
}

var catalogInfos = map[uint32]catalogInfo{
	OIDBool:        {"boolean", 'B', 'p', false},
	OIDBytea:       {"bytea", 'U', 'x', false},
	OIDChar:        {`"char"`, 'Z', 'p', false},
	OIDName:        {"name", 'S', 'p', true},
	OIDInt8:        {"bigint", 'N', 'p', false},
	OIDInt2:        {"smallint", 'N', 'p', false},
	OIDInt4:        {"integer", 'N', 'p', false},
	OIDText:        {"text", 'S', 'x', true},
	OIDOID:         {"oid", 'N', 'p', false},
	OIDJSON:        {"json", 'U', 'x', false},
	OIDFloat4:      {"real", 'N', 'p', false},
	OIDFloat8:      {"double precision", 'N', 'p', false},
	OIDUnknown:     {"unknown", 'X', 'p', false},
	OIDBPChar:      {"character", 'S', 'x', true},
	OIDVarchar:     {"character varying", 'S', 'x', true},
	OIDDate:        {"date", 'D', 'p', false},
	OIDTime:        {"time without time zone", 'D', 'p', false},
	OIDTimestamp:   {"timestamp without time zone", 'D', 'p', false},
	OIDTimestamptz: {"timestamp with time zone", 'D', 'p', false},
	OIDInterval:    {"interval", 'T', 'p', false},
	OIDTimetz:      {"time with time zone", 'D', 'p', false},
	OIDNumeric:     {"numeric", 'N', 'm', false},
	OIDUUID:        {"uuid", 'U', 'p', false},
	OIDJSONB:       {"jsonb", 'U', 'x', false},
}

// catalogOnly are types catalog queries name (casts, pseudo-types) that no
// DuckDB value maps to.
var catalogOnly = []CatalogType{
	{OID: 24, Name: "regproc", Display: "regproc", Size: 4, Type: 'b', Category: 'N', Storage: 'p'},
	{OID: 2202, Name: "regprocedure", Display: "regprocedure", Size: 4, Type: 'b', Category: 'N', Storage: 'p'},
	{OID: 2205, Name: "regclass", Display: "regclass", Size: 4, Type: 'b', Category: 'N', Storage: 'p'},
	{OID: 2206, Name: "regtype", Display: "regtype", Size: 4, Type: 'b', Category: 'N', Storage: 'p'},
	{OID: 4089, Name: "regnamespace", Display: "regnamespace", Size: 4, Type: 'b', Category: 'N', Storage: 'p'},
	{OID: 4096, Name: "regrole", Display: "regrole", Size: 4, Type: 'b', Category: 'N', Storage: 'p'},
	{OID: 22, Name: "int2vector", Display: "int2vector", Size: -1, Type: 'b', Category: 'A', Storage: 'p', Elem: OIDInt2},
	{OID: 30, Name: "oidvector", Display: "oidvector", Size: -1, Type: 'b', Category: 'A', Storage: 'p', Elem: OIDOID},
	{OID: 28, Name: "xid", Display: "xid", Size: 4, Type: 'b', Category: 'U', Storage: 'p'},
	{OID: 194, Name: "pg_node_tree", Display: "pg_node_tree", Size: -1, Type: 'b', Category: 'Z', Storage: 'x', Collatable: true},
	{OID: 1033, Name: "aclitem", Display: "aclitem", Size: 12, Type: 'b', Category: 'U', Storage: 'p'},
	{OID: 2249, Name: "record", Display: "record", Size: -1, Type: 'p', Category: 'P', Storage: 'x'},
	{OID: 2275, Name: "cstring", Display: "cstring", Size: -2, Type: 'p', Category: 'P', Storage: 'p'},
	{OID: 2276, Name: "any", Display: `"any"`, Size: 4, Type: 'p', Category: 'P', Storage: 'p'},
	{OID: 2277, Name: "anyarray", Display: "anyarray", Size: -1, Type: 'p', Category: 'P', Storage: 'x'},
	{OID: 2278, Name: "void", Display: "void", Size: 4, Type: 'p', Category: 'P', Storage: 'p'},
	{OID: 2279, Name: "trigger", Display: "trigger", Size: 4, Type: 'p', Category: 'P', Storage: 'p'},
	{OID: 2283, Name: "anyelement", Display: "anyelement", Size: 4, Type: 'p', Category: 'P', Storage: 'p'},
}

// CatalogTypes lists the rows of pg_type: the base types featurehouse maps
// DuckDB values to, their array types, and the catalog-only types, ordered
// by OID.
func CatalogTypes() []CatalogType {
	var out []CatalogType
	for oid, s := range scalars {
		info := catalogInfos[oid]
		out = append(out, CatalogType{OID: oid, Name: s.name, Display: info.display, Size: s.size, Type: 'b',
			Category: info.category, Storage: info.storage, Array: s.array, Collatable: info.collatable})
		if s.array != 0 {
			out = append(out, CatalogType{OID: s.array, Name: arrayName[s.array], Display: info.display + "[]", Size: -1, Type: 'b',
				Category: 'A', Storage: 'x', Elem: oid, Collatable: info.collatable})
		}
	}
	out = append(out, catalogOnly...)
	sort.Slice(out, func(i, j int) bool { return out[i].OID < out[j].OID })
	return out
}

// DuckDBScalarOIDs maps DuckDB scalar type names, as duckdb_columns()
// spells them too ("TIMESTAMP WITH TIME ZONE"), to the OID FromDuckDB gives
// them.
func DuckDBScalarOIDs() map[string]uint32 {
	out := make(map[string]uint32, len(scalarOIDs)+2)
	for name, oid := range scalarOIDs {
		out[name] = oid
	}
	out["TIMESTAMP WITH TIME ZONE"] = scalarOIDs["TIMESTAMPTZ"]
	out["TIME WITH TIME ZONE"] = scalarOIDs["TIMETZ"]
	return out
}
