package types

import "time"

// Type is a PostgreSQL type as a client sees it.
type Type struct {
	OID      uint32 // pg_type.oid
	Name     string // PostgreSQL's name, e.g. "int4", "timestamptz", "_float4"
	Size     int16  // pg_type.typlen (-1 variable)
	Modifier int32  // atttypmod (-1 none; numeric: ((p<<16)|s)+4; varchar(n): n+4)
	// Elem is the element type of an array type (nil otherwise).
	Elem *Type
	// DuckDB is the DuckDB type name the values come from (e.g. "DECIMAL(18,3)").
	DuckDB string
}

// Column is one result column as RowDescription describes it.
type Column struct {
	Name     string
	Type     Type
	TableOID uint32 // 0 when not a plain table column
	AttrNum  int16  // 0 when not a plain table column
}

// Options are the session settings that change text output.
type Options struct {
	// Location is the session TimeZone; timestamptz text is shown in it.
	Location *time.Location
	// ExtraFloatDigits is the session's extra_float_digits; nil means
	// PostgreSQL's default 1 (shortest round-trip output). At 0 or below,
	// floats are shown with 15 (float8) or 6 (float4) plus it significant
	// digits, as PostgreSQL does.
	ExtraFloatDigits *int
}
