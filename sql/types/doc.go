// Package types maps between DuckDB's types and PostgreSQL's: the OID, size
// and modifier a column is described with in RowDescription, PostgreSQL's
// text output format (byte-identical to PostgreSQL 15 with DateStyle ISO,
// IntervalStyle postgres, extra_float_digits 1) and binary format of each
// value as duckdb-go returns it, and the decoding of Bind parameters.
//
// It owns no state and must not import any featurehouse package except
// sql/pgerror.
package types
