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
	Name    string
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
		parts = append(parts, QuoteIdent(c.Name)+" "+c.Type)
	}
	parts = append(parts, SeqColumn+" BIGINT", WrittenAtColumn+" TIMESTAMPTZ")
	return strings.Join(parts, ", ")
}

// storedColumnNames lists the unflushed table's columns in stored-row order
// (the table's own order may differ after ADD FEATURE).
func (g *GroupLayout) storedColumnNames() string {
	parts := make([]string, 0, len(g.Columns)+2)
	for _, c := range g.Columns {
		parts = append(parts, QuoteIdent(c.Name))
	}
	parts = append(parts, SeqColumn, WrittenAtColumn)
	return strings.Join(parts, ", ")
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
