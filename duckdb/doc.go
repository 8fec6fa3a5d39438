// Package duckdb is featurehouse's offline engine: the embedded DuckDB
// database (system tables, ordinary user tables, each feature group's
// unflushed rows), the Parquet layout and its manifest (feature_store.files),
// the write path into feature groups (staging, constraint checks, unflushed
// table or direct Parquet), the flusher that turns unflushed rows into
// Parquet, and streaming query results.
//
// Files become visible only when their manifest row commits: written to a
// temporary name, fsynced, renamed, then committed with the view that reads
// them. Files without a manifest row are garbage, removed at start.
//
// Config.Sandbox (--sandbox, sandbox.go) turns DuckDB's external access off
// with only the data directory (and chosen directories) allowed. It is off
// by default because DuckDB's setting is database-wide, not per
// connection: on, it also denies superusers and the pg_*_server_files
// roles the files outside those directories, which PostgreSQL's model
// grants them; the planner's lockdown alone guards ordinary roles.
//
// It knows feature groups only through GroupLayout, which the catalog fills;
// it must not import catalog, planner or pgwire.
package duckdb
