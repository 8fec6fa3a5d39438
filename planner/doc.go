// Package planner decides what each statement is and where it runs: a
// catalog change (feature-group DDL), a write into a feature group (staged,
// checked, stored by package duckdb), a DuckDB query (with feature-group
// references and AS OF rewritten into SQL DuckDB runs), or the session layer
// (transactions, SET, SHOW). It owns per-session state: the session's DuckDB
// connection, parameters and transaction status. It is where access is
// decided: the engine lockdown (lockdown.go), privileges on every statement
// as written (privileges*.go, grant.go, owners.go), masking (masking.go)
// and the audit log (audit.go); nothing reaches DuckDB before them.
//
// It imports sql, catalog, duckdb and sql/types; it must not import pgwire
// (cmd adapts the planner to pgwire's Backend interface).
package planner
