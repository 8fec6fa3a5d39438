package catalog

import (
	"fmt"
	"strings"
	"time"

	"github.com/featurehouse/featurehouse/duckdb"
)

// Feature types.
const (
	Numerical   = "numerical"
	Categorical = "categorical"
	Binary      = "binary"
	Text        = "text"
	Timestamp   = "timestamp"
	Embedding   = "embedding"
)

// FeatureTypes lists the valid feature types.
var FeatureTypes = []string{Numerical, Categorical, Binary, Text, Timestamp, Embedding}

// Statuses.
const (
	Draft      = "draft"
	Active     = "active"
	Deprecated = "deprecated"
	Retired    = "retired"
)

// Statuses lists the valid feature statuses.
var Statuses = []string{Draft, Active, Deprecated, Retired}

// Group is a feature group.
type Group struct {
	ID          int64
	Schema      string
	Name        string
	Description string
	Owner       string
	Online      bool
	TTL         string // interval text as given ("30 days"), "" for none
	Retention   string
	PartitionBy string // none | day | month | year
	Tags        []string
	TableChecks []string
	Features    []*Feature
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Feature is a column of a group.
type Feature struct {
	Name string
	// Column is the feature's physical column in the group's unflushed
	// table and Parquet files. It is set once, when the feature is created
	// (its name then, made unique if a renamed feature holds that name),
	// and never changes: RENAME FEATURE changes Name only.
	Column      string
	Position    int
	DataType    string // PostgreSQL type as shown by format_type ("integer", "real[]")
	DuckDBType  string
	FeatureType string
	EntityKey   bool
	EventTime   bool
	NotNull     bool
	Checks      []string
	Description string
	Status      string
	// Mask is the masking function ("hash", "null", "partial"; "" for
	// none) readers without UNMASK see the feature through.
	Mask      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// storedColumn is the feature's physical column.
func (f *Feature) storedColumn() string {
	if f.Column == "" {
		return f.Name
	}
	return f.Column
}

// Feature returns the feature named name.
func (g *Group) Feature(name string) *Feature {
	for _, f := range g.Features {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// EntityKeys lists the entity key columns in order.
func (g *Group) EntityKeys() []string {
	var out []string
	for _, f := range g.Features {
		if f.EntityKey {
			out = append(out, f.Name)
		}
	}
	return out
}

// EventTime is the event time column.
func (g *Group) EventTime() *Feature {
	for _, f := range g.Features {
		if f.EventTime {
			return f
		}
	}
	return nil
}

// QualifiedName is schema.name for messages.
func (g *Group) QualifiedName() string { return g.Schema + "." + g.Name }

// Clone returns a deep copy, for changes that may fail.
func (g *Group) Clone() *Group {
	c := *g
	c.Tags = append([]string(nil), g.Tags...)
	c.TableChecks = append([]string(nil), g.TableChecks...)
	c.Features = make([]*Feature, len(g.Features))
	for i, f := range g.Features {
		fc := *f
		fc.Checks = append([]string(nil), f.Checks...)
		c.Features[i] = &fc
	}
	return &c
}

// Layout is what the offline store needs of the group.
func (g *Group) Layout() duckdb.GroupLayout {
	l := duckdb.GroupLayout{
		ID: g.ID, Schema: g.Schema, Name: g.Name,
		EntityKeys: g.EntityKeys(), PartitionBy: g.PartitionBy, TTL: g.TTL,
	}
	if et := g.EventTime(); et != nil {
		l.EventTime = et.Name
	}
	for _, f := range g.Features {
		col := duckdb.ColumnLayout{Name: f.Name, Stored: f.Column, Type: f.DuckDBType, NotNull: f.NotNull, Hidden: f.Status == Retired}
		for i, chk := range f.Checks {
			col.Checks = append(col.Checks, duckdb.Check{Name: checkName(g.Name, f.Name, i), Expr: chk})
		}
		l.Columns = append(l.Columns, col)
	}
	for i, chk := range g.TableChecks {
		l.TableChecks = append(l.TableChecks, duckdb.Check{Name: checkName(g.Name, "", i), Expr: chk})
	}
	return l
}

// checkName follows PostgreSQL's naming of unnamed CHECK constraints:
// <table>_<column>_check, then _check1, _check2...
func checkName(table, column string, i int) string {
	base := table + "_check"
	if column != "" {
		base = table + "_" + column + "_check"
	}
	if i == 0 {
		return base
	}
	return fmt.Sprintf("%s%d", base, i)
}

// InferFeatureType infers a feature type from a PostgreSQL type.
func InferFeatureType(pgType string, arrayDims []int32) string {
	if len(arrayDims) > 0 {
		base := strings.TrimSuffix(pgType, "[]")
		if len(arrayDims) == 1 && arrayDims[0] > 0 && (base == "real" || base == "double precision" || base == "numeric") {
			return Embedding
		}
		if base == "real" || base == "double precision" {
			return Embedding
		}
		return Text
	}
	switch pgType {
	case "smallint", "integer", "bigint", "real", "double precision", "numeric", "decimal":
		return Numerical
	case "boolean":
		return Binary
	case "date", "timestamp without time zone", "timestamp with time zone", "time without time zone", "time with time zone", "interval":
		return Timestamp
	default:
		return Text
	}
}
