// Package catalog owns featurehouse's feature objects — feature groups and
// their features, with types, constraints, options and status — and their
// persistence in the system tables feature_store.feature_groups and
// feature_store.features of the DuckDB database. Each change commits in one
// DuckDB transaction together with the storage it implies (tables, views),
// so the catalog and the data never disagree after a crash. It also keeps
// roles and memberships (roles.go), snapshots, and privileges, owners of
// ordinary relations and default privileges (privileges.go: the rows only;
// the rules that apply them are the planner's).
//
// It keeps an in-memory copy for name resolution, rebuilt at start. It must
// not import planner or pgwire, nor know SQL syntax: the planner translates
// statements into the calls below.
package catalog
