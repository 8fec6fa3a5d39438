package duckdb

import (
	"math"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"
)

// DuckDB re-plans a prepared statement whenever a bound value's type differs
// from the type it inferred for the parameter (PreparedStatementData::
// RequireRebind), which costs as much as preparing it again. PostgreSQL
// clients send int2/int4 parameters, which sql/types decodes as int64, and
// DuckDB infers INTEGER for a parameter compared with an INTEGER column: so
// every execution was planned again. Stmt converts such values to the
// parameter's type when the conversion is exact (a value that does not fit
// keeps its type, and DuckDB reports or casts it as before). A NULL is
// still bound as DuckDB's untyped NULL (its C API has no typed NULL), so a
// NULL parameter re-plans; and DuckDB never keeps the plan of a statement
// whose parameters filter a table scan (it plans with the values, as
// PostgreSQL's custom plans do), whatever the values' types.

// paramKinds are the statement's inferred parameter types (TYPE_INVALID:
// unknown), read once.
func (s *Stmt) paramKinds() []duckdbdrv.Type {
	if s.kinds != nil {
		return s.kinds
	}
	n := s.s.NumInput()
	s.kinds = make([]duckdbdrv.Type, n)
	for i := range n {
		t, err := s.s.ParamType(i + 1)
		if err != nil {
			t = duckdbdrv.TYPE_INVALID
		}
		s.kinds[i] = t
	}
	return s.kinds
}

// bindArgs returns args with values converted to the parameters' types
// where that is exact; args itself when nothing needs converting.
func (s *Stmt) bindArgs(args []any) []any {
	kinds := s.paramKinds()
	var out []any
	for i, a := range args {
		if i >= len(kinds) || a == nil {
			continue
		}
		v, ok := convertParam(a, kinds[i])
		if !ok {
			continue
		}
		if out == nil {
			out = make([]any, len(args))
			copy(out, args)
		}
		out[i] = v
	}
	if out == nil {
		return args
	}
	return out
}

// convertParam converts v to the Go type duckdb-go binds as t, if exact.
func convertParam(v any, t duckdbdrv.Type) (any, bool) {
	var i int64
	switch x := v.(type) {
	case int64:
		i = x
	case int32:
		i = int64(x)
	case int16:
		i = int64(x)
	case int8:
		i = int64(x)
	case int:
		i = int64(x)
	case float32:
		if t == duckdbdrv.TYPE_DOUBLE {
			return float64(x), true
		}
		return nil, false
	default:
		return nil, false
	}
	switch t {
	case duckdbdrv.TYPE_TINYINT:
		if _, ok := v.(int8); !ok && i >= math.MinInt8 && i <= math.MaxInt8 {
			return int8(i), true
		}
	case duckdbdrv.TYPE_SMALLINT:
		if _, ok := v.(int16); !ok && i >= math.MinInt16 && i <= math.MaxInt16 {
			return int16(i), true
		}
	case duckdbdrv.TYPE_INTEGER:
		if _, ok := v.(int32); !ok && i >= math.MinInt32 && i <= math.MaxInt32 {
			return int32(i), true
		}
	case duckdbdrv.TYPE_BIGINT:
		if _, ok := v.(int64); !ok {
			return i, true
		}
	case duckdbdrv.TYPE_DOUBLE:
		if i >= -(1<<53) && i <= 1<<53 {
			return float64(i), true
		}
	}
	return nil, false
}
