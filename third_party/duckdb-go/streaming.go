package duckdb

import (
	"context"

	"github.com/duckdb/duckdb-go/v2/mapping"
)

// featurehouse patch: opt-in streaming results.
//
// Upstream duckdb-go executes every query with duckdb_pending_prepared, which
// materialises the whole result before the first row is returned, so a 10M-row
// SELECT holds all of it in memory. A context made by WithStreamingResult asks
// for duckdb_pending_prepared_streaming instead: rows.Next then pulls one chunk
// at a time from the running query. A streaming result must be read to the end
// or closed before the connection runs another statement.

type streamingKey struct{}

// WithStreamingResult returns a context under which QueryContext streams.
func WithStreamingResult(ctx context.Context) context.Context {
	return context.WithValue(ctx, streamingKey{}, true)
}

func streamingRequested(ctx context.Context) bool {
	v, _ := ctx.Value(streamingKey{}).(bool)
	return v
}

// ColumnTypeName returns the DuckDB type name of result column n (0-based) of
// a prepared statement, spelled as rows.ColumnTypeDatabaseTypeName spells it.
// featurehouse patch: Describe needs result types before execution.
func (s *Stmt) ColumnTypeName(n int) (string, error) {
	if err := s.checkState(); err != nil {
		return "", err
	}
	count := mapping.PreparedStatementColumnCount(*s.preparedStmt)
	if n < 0 || n >= int(count) {
		return "", getError(errAPI, columnIndexError(n, uint64(count)))
	}
	lt := mapping.PreparedStatementColumnLogicalType(*s.preparedStmt, mapping.IdxT(n))
	defer mapping.DestroyLogicalType(&lt)
	return logicalTypeString(lt), nil
}

// ParamTypeName returns the DuckDB type name DuckDB inferred for parameter n
// (1-based), or "" when it could not infer one.
// featurehouse patch: ParameterDescription needs parameter types.
func (s *Stmt) ParamTypeName(n int) (string, error) {
	lt, err := s.paramLogicalType(n)
	if err != nil {
		return "", err
	}
	defer mapping.DestroyLogicalType(&lt)
	if mapping.GetTypeId(lt) == mapping.TypeInvalid {
		return "", nil
	}
	return logicalTypeString(lt), nil
}
