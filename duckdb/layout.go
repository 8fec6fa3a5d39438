package duckdb

import (
	"fmt"
	"path/filepath"
	"strings"
)

// InternalSchema holds what users never name: each group's unflushed table and
// the view over all of its rows (with the hidden columns).
const InternalSchema = "fh_internal"

// Hidden columns every stored row carries.
const (
	// SeqColumn orders writes: a later write has a greater value. AS OF breaks
	// event-time ties with it.
	SeqColumn = "_fh_seq"
	// WrittenAtColumn is when the row was written (for bitemporal reads).
	WrittenAtColumn = "_fh_written_at"
)

// GroupLayout is what the offline store needs to know of a feature group.
type GroupLayout struct {
	ID          int64
	Schema      string
	Name        string
	Columns     []ColumnLayout // in schema order
	EntityKeys  []string
	EventTime   string
	PartitionBy string // none | day | month | year
	TTL         string // DuckDB interval text, "" for none
	// TableChecks are table-level CHECK expressions.
	TableChecks []Check
}

// ColumnLayout is one column of a group.
type ColumnLayout struct {
	Name string
	// Stored is the column's physical name in the unflushed table and the
	// Parquet files ("" means Name). It never changes once data is written:
	// RENAME FEATURE changes Name only, and the views map Stored to Name,
	// so files written before a rename need no rewrite.
	Stored  string
	Type    string // DuckDB type
	NotNull bool
	Checks  []Check
	// Hidden columns (retired features) are stored but not in the public view.
	Hidden bool
}

// Check is a named CHECK constraint.
type Check struct {
	Name string
	Expr string
}

// Column returns the column named name.
func (g *GroupLayout) Column(name string) (ColumnLayout, bool) {
	for _, c := range g.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return ColumnLayout{}, false
}

// StoredName is the column's physical name.
func (c ColumnLayout) StoredName() string {
	if c.Stored == "" {
		return c.Name
	}
	return c.Stored
}

// storedName is the physical name of the column named name (name itself
// when there is none).
func (g *GroupLayout) storedName(name string) string {
	if c, ok := g.Column(name); ok {
		return c.StoredName()
	}
	return name
}

// QualifiedName is "schema"."name".
func (g *GroupLayout) QualifiedName() string {
	return QuoteIdent(g.Schema) + "." + QuoteIdent(g.Name)
}

// UnflushedTable is the table holding rows not yet in Parquet.
func (g *GroupLayout) UnflushedTable() string {
	return fmt.Sprintf("%s.unflushed_%d", InternalSchema, g.ID)
}

// AllRowsView is the view over every stored row with the hidden columns.
func (g *GroupLayout) AllRowsView() string {
	return fmt.Sprintf("%s.all_%d", InternalSchema, g.ID)
}

// offlineDir is where the group's Parquet files live, relative to DataDir.
func (g *GroupLayout) offlineDir() string {
	return filepath.Join("offline", safePathPart(g.Schema), fmt.Sprintf("%s_%d", safePathPart(g.Name), g.ID))
}

// partitionExpr is the SQL expression naming a row's partition directory.
func (g *GroupLayout) partitionExpr() string {
	et := QuoteIdent(g.EventTime)
	switch g.PartitionBy {
	case "day":
		return "strftime(CAST(" + et + " AS TIMESTAMP), 'day=%Y-%m-%d')"
	case "month":
		return "strftime(CAST(" + et + " AS TIMESTAMP), 'month=%Y-%m')"
	case "year":
		return "strftime(CAST(" + et + " AS TIMESTAMP), 'year=%Y')"
	default:
		return "'all'"
	}
}

func safePathPart(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "%%%02x", r)
		}
	}
	return b.String()
}

// storedColumnsDDL is the column list of the unflushed table.
func (g *GroupLayout) storedColumnsDDL() string {
	parts := make([]string, 0, len(g.Columns)+2)
	for _, c := range g.Columns {
		parts = append(parts, QuoteIdent(c.StoredName())+" "+c.Type)
	}
	parts = append(parts, SeqColumn+" BIGINT", WrittenAtColumn+" TIMESTAMPTZ")
	return strings.Join(parts, ", ")
}

// storedColumnNames lists the unflushed table's columns in stored-row order
// (the table's own order may differ after ADD FEATURE).
func (g *GroupLayout) storedColumnNames() string {
	parts := make([]string, 0, len(g.Columns)+2)
	for _, c := range g.Columns {
		parts = append(parts, QuoteIdent(c.StoredName()))
	}
	parts = append(parts, SeqColumn, WrittenAtColumn)
	return strings.Join(parts, ", ")
}

// unflushedSelect reads the unflushed table in stored-row order under the
// columns' current names, with the hidden columns.
func (g *GroupLayout) unflushedSelect() string {
	parts := make([]string, 0, len(g.Columns)+2)
	for _, c := range g.Columns {
		parts = append(parts, QuoteIdent(c.StoredName())+" AS "+QuoteIdent(c.Name))
	}
	parts = append(parts, SeqColumn, WrittenAtColumn)
	return "SELECT " + strings.Join(parts, ", ") + " FROM " + g.UnflushedTable()
}

// toStored renames the columns of selectSQL (current names, stored-row
// order, hidden columns) to their physical names, for writing Parquet.
func (g *GroupLayout) toStored(selectSQL string) string {
	parts := make([]string, 0, len(g.Columns)+2)
	for _, c := range g.Columns {
		parts = append(parts, QuoteIdent(c.Name)+" AS "+QuoteIdent(c.StoredName()))
	}
	parts = append(parts, SeqColumn, WrittenAtColumn)
	return "SELECT " + strings.Join(parts, ", ") + " FROM (" + selectSQL + ")"
}

// sameColumns reports whether g and o have the same columns by name, in
// the same order.
func (g *GroupLayout) sameColumns(o *GroupLayout) bool {
	if len(g.Columns) != len(o.Columns) {
		return false
	}
	for i := range g.Columns {
		if g.Columns[i].Name != o.Columns[i].Name {
			return false
		}
	}
	return true
}

// visibleColumns lists the columns of the public view.
func (g *GroupLayout) visibleColumns() []string {
	var out []string
	for _, c := range g.Columns {
		if !c.Hidden {
			out = append(out, QuoteIdent(c.Name))
		}
	}
	return out
}
