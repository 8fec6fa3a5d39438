package duckdb

import "context"

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
