package planner

import (
	"context"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// compactPlan is COMPACT g [, ...]: merge each group's small Parquet files
// now (duckdb.CompactGroup: per partition and schema, any two or more
// files smaller than --compact-file-mb), one row per group.
func (s *Session) compactPlan(stmt *sql.Compact) plan {
	cols := []types.Column{textColumn("feature_group"), int8Column("files_merged"), int8Column("files_written"), int8Column("rows")}
	return &rowsPlan{cols: cols, tag: "COMPACT", rows: func(ctx context.Context) ([][]any, error) {
		if s.inTxn() {
			return nil, pgerror.New(pgerror.ActiveSQLTransaction, "COMPACT cannot run inside a transaction block")
		}
		var groups []*catalog.Group
		for _, n := range stmt.Names {
			g, err := s.mustGroup(n)
			if err != nil {
				return nil, err
			}
			groups = append(groups, g)
		}
		var out [][]any
		for _, g := range groups {
			layout := g.Layout()
			res, err := s.p.engine.CompactGroup(ctx, &layout, 2, s.p.engine.Config().CompactFileBytes)
			if err != nil {
				return nil, err
			}
			name := g.Name
			if g.Schema != "public" {
				name = g.Schema + "." + g.Name
			}
			out = append(out, []any{name, int64(res.FilesMerged), int64(res.FilesWritten), res.Rows})
		}
		return out, nil
	}}
}
