// Package sql is featurehouse's SQL dialect: PostgreSQL's grammar (through
// pg_query_go, the PostgreSQL 17 parser) plus the feature-store extensions
// (CREATE/ALTER/DROP FEATURE GROUP, ALTER FEATURE, COMMENT ON FEATURE [GROUP],
// FROM g AS OF <expr>). Extensions are recognised in pg_query's token stream
// before parsing, never from a parse error: `FROM t AS OF (ts)` parses as an
// alias `of(ts)`.
//
// It turns text into the statement model below and nothing more: it does not
// resolve names, know the catalog, or run anything. It imports only pg_query
// (with its protobuf runtime, for Walk) and sql/pgerror.
//
// Files: parse.go (Parse, ParseOne, dispatch), split.go (statements),
// tokens.go and cursor.go (tokens and the recursive-descent helpers),
// featuregroup.go, feature.go, coldef.go, typename.go, options.go (the
// extension grammar), asof.go (AS OF rewrite), errors.go (PostgreSQL-shaped
// errors and character positions), walk.go (helpers over pg_query trees).
package sql
