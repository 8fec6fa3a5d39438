package sql

import pg_query "github.com/pganalyze/pg_query_go/v6"

// Statement is one parsed statement.
type Statement interface {
	// SQL is the statement's own text (without the trailing semicolon).
	SQL() string
}

// QualifiedName is an optionally schema-qualified name, already case-folded
// as PostgreSQL folds identifiers (unquoted → lower case).
type QualifiedName struct {
	Schema string // "" when not given
	Name   string
}

// TypeName is a SQL data type as written, normalised.
type TypeName struct {
	// Name is PostgreSQL's canonical name without modifiers or array bounds:
	// "integer", "bigint", "smallint", "real", "double precision", "numeric",
	// "boolean", "text", "character varying", "character", "bytea", "date",
	// "timestamp without time zone", "timestamp with time zone", "interval",
	// "uuid", "json", "jsonb", "time without time zone"... (as format_type shows).
	Name string
	// Modifiers are the typmods as written, e.g. numeric(10,2) → [10 2].
	Modifiers []int32
	// ArrayBounds has one entry per array dimension: -1 for `[]`, n for `[n]`.
	ArrayBounds []int32
	// Text is the type as the user wrote it (for messages).
	Text string
}

// ColumnDef is one column of CREATE FEATURE GROUP or ADD FEATURE.
type ColumnDef struct {
	Name        string
	Type        TypeName
	EntityKey   bool
	EventTime   bool
	NotNull     bool
	FeatureType string   // "" when not given; else lower-cased as written
	Checks      []string // CHECK expressions, SQL text as written (without CHECK and parens)
	Default     string   // DEFAULT expression text, "" when none
	Comment     string   // reserved
}

// CreateFeatureGroup is CREATE FEATURE GROUP.
type CreateFeatureGroup struct {
	Text        string
	Name        QualifiedName
	IfNotExists bool
	Columns     []ColumnDef
	// TableChecks are table-level CHECK (...) constraints, as SQL text.
	TableChecks []string
	// Options are the WITH (...) options: keys lower-cased, values as strings
	// (quotes removed; true/false/numbers as written).
	Options map[string]string
	// OptionOrder lists Options' keys in the order written.
	OptionOrder []string
}

// AlterFeatureGroup is ALTER FEATURE GROUP g ADD FEATURE ... | SET (...) | RENAME FEATURE a TO b.
type AlterFeatureGroup struct {
	Text                 string
	Name                 QualifiedName
	IfExists             bool
	AddFeature           *ColumnDef // ADD FEATURE [IF NOT EXISTS] col type ...
	AddIfNotExists       bool
	SetOptions           map[string]string // SET (k = v, ...)
	OptionOrder          []string
	RenameFrom, RenameTo string // RENAME FEATURE a TO b
}

// DropFeatureGroup is DROP FEATURE GROUP [IF EXISTS] g [, ...] [CASCADE | RESTRICT].
type DropFeatureGroup struct {
	Text     string
	Names    []QualifiedName
	IfExists bool
	Cascade  bool
}

// AlterFeature is ALTER FEATURE [schema.]group.feature SET STATUS s | SET DESCRIPTION 'd'
// | SET CHECK (expr) | DROP CHECK | SET DATA TYPE t.
type AlterFeature struct {
	Text        string
	Group       QualifiedName
	Feature     string
	Status      string  // lower-cased; "" unless SET STATUS
	Description *string // SET DESCRIPTION
	Check       *string // SET CHECK (expr): expression text
	DropCheck   bool
	DataType    *TypeName // SET DATA TYPE t
	// Mask is SET MASKED WITH (function = ...)'s function, "" for DROP
	// MASKED; nil when the statement does neither.
	Mask *string
}

// CommentOn is COMMENT ON FEATURE g.f IS '...' / COMMENT ON FEATURE GROUP g IS '...'.
// Comment is nil for IS NULL.
type CommentOn struct {
	Text    string
	Group   QualifiedName
	Feature string // "" for FEATURE GROUP
	Comment *string
}

// AsOf is one `relation AS OF <expr>` found in a FROM clause.
type AsOf struct {
	Relation QualifiedName
	// Expr is the time expression's SQL text (e.g. "TIMESTAMP '2024-03-15'",
	// "now()", "l.label_time"); "LATEST" is kept as the word LATEST.
	Expr string
	// Alias is the alias written after the expression ("" when none).
	Alias string
	// Start and End are byte offsets, in Query.Text, of the rewritten
	// relation reference `relation [AS] alias` that replaced the original
	// `relation AS OF expr [AS] alias`: Text[Start:End] is that reference.
	Start, End int
	// ExprPosition is the 1-based character position of Expr in the
	// original statement, for error messages.
	ExprPosition int
	// KnownAt is the SQL text of `KNOWN AT <expr>` ("" when absent): only
	// rows written by that time are visible. KnownAtPosition is its 1-based
	// character position in the original statement.
	KnownAt         string
	KnownAtPosition int
}

// VersionRef is one `relation VERSION 'snapshot' [[AS] alias]` in a FROM
// clause: the relation as it was pinned by the snapshot.
type VersionRef struct {
	Relation QualifiedName
	Snapshot string
	Alias    string
	// Start and End are byte offsets, in Query.Text, of the rewritten
	// reference `relation [alias]`, as for AsOf.
	Start, End int
	// Position is the 1-based character position of the snapshot's name in
	// the original statement.
	Position int
}

// Query is every statement in PostgreSQL's grammar (SELECT, INSERT, COPY,
// CREATE TABLE, BEGIN, SET, SHOW, EXPLAIN...), possibly with AS OF clauses.
type Query struct {
	// Original is the statement as the client wrote it.
	Original string
	// Text is Original with each `rel AS OF expr [AS] alias` replaced by
	// `rel alias` (alias defaulting to nothing), so pg_query parses it.
	Text string
	// Tree is pg_query's parse of Text (exactly one RawStmt).
	Tree *pg_query.ParseResult
	// AsOf lists the AS OF clauses in order of appearance.
	AsOf []AsOf
	// Versions lists the VERSION clauses in order of appearance.
	Versions []VersionRef
	// Erase is set for ERASE FROM g [WHERE ...], whose Text is the DELETE
	// it is spelled like: the rows go from the group and from every
	// snapshot of it, and the files that held them are deleted.
	Erase bool
	// GrantObject is "feature group" or "feature view" for GRANT/REVOKE
	// ... ON FEATURE GROUP/VIEW (Text says ON TABLE), "" otherwise.
	GrantObject string
	// Offset is the number of characters before Original in the text given
	// to Parse: a 1-based position within Original plus Offset is the
	// position PostgreSQL reports for the whole query string.
	Offset int
}

func (s *CreateFeatureGroup) SQL() string { return s.Text }
func (s *AlterFeatureGroup) SQL() string  { return s.Text }
func (s *DropFeatureGroup) SQL() string   { return s.Text }
func (s *AlterFeature) SQL() string       { return s.Text }
func (s *CommentOn) SQL() string          { return s.Text }
func (s *Query) SQL() string              { return s.Original }
