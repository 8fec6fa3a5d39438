package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// VACUUM [ (DRY RUN) ] [g, ...] on feature groups: deletes the history
// older than each group's retention (its `retention` option, else the
// server's --retention-days), then the files that no version and no
// snapshot needs any more, and answers a row per group with what it
// deleted and freed. DRY RUN does the same work in a transaction that it
// rolls back, so its figures are exact and nothing changes. VACUUM of
// ordinary tables only is DuckDB's.

var errDryRun = errors.New("dry run")

func (s *Session) vacuumPlan(vs *pg_query.VacuumStmt) (plan, error) {
	if !vs.IsVacuumcmd {
		return nil, nil
	}
	dry := false
	for _, o := range vs.Options {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "dry_run":
			dry = defBool(d)
		case "dry":
			if a := d.Arg.GetString_(); a != nil && strings.EqualFold(a.Sval, "run") {
				dry = true
			} else if tn := d.Arg.GetTypeName(); tn != nil {
				dry = true
			} else {
				return nil, pgerror.New(pgerror.SyntaxError, `unrecognized VACUUM option "dry"`).WithHint("Write VACUUM (DRY RUN) g.")
			}
		case "full", "verbose", "analyze", "freeze", "skip_locked", "index_cleanup", "truncate", "parallel",
			"process_toast", "process_main", "disable_page_skipping", "skip_database_stats", "only_database_stats", "buffer_usage_limit":
			// PostgreSQL's own options: nothing to do on Parquet.
		default:
			return nil, pgerror.New(pgerror.SyntaxError, `unrecognized VACUUM option "%s"`, d.Defname)
		}
	}
	var groups []*catalog.Group
	named := 0
	for _, r := range vs.Rels {
		vr := r.GetVacuumRelation()
		if vr == nil || vr.Relation == nil {
			continue
		}
		named++
		if g := s.lookupGroup(sql.QualifiedName{Schema: vr.Relation.Schemaname, Name: vr.Relation.Relname}); g != nil {
			groups = append(groups, g)
		}
	}
	if named > 0 && len(groups) == 0 {
		if dry {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "VACUUM (DRY RUN) applies to feature groups only")
		}
		return nil, nil // tables: DuckDB's VACUUM
	}
	all := named == 0
	cols := []types.Column{textColumn("feature_group"), int8Column("rows_deleted"), int8Column("files_deleted"),
		int8Column("bytes_freed"), int8Column("files_written")}
	return &rowsPlan{cols: cols, tag: "VACUUM", rows: func(ctx context.Context) ([][]any, error) {
		if s.inTxn() {
			return nil, pgerror.New(pgerror.ActiveSQLTransaction, "VACUUM cannot run inside a transaction block")
		}
		if all {
			groups = s.p.catalog.Groups()
		}
		var out [][]any
		for _, g := range groups {
			row, err := s.vacuumGroup(ctx, g, dry)
			if err != nil {
				return nil, err
			}
			out = append(out, row)
		}
		return out, nil
	}}, nil
}

func defBool(d *pg_query.DefElem) bool {
	if d.Arg == nil {
		return true
	}
	if b := d.Arg.GetBoolean(); b != nil {
		return b.Boolval
	}
	if st := d.Arg.GetString_(); st != nil {
		v := strings.ToLower(st.Sval)
		return v == "true" || v == "on" || v == "1" || v == "yes"
	}
	if i := d.Arg.GetInteger(); i != nil {
		return i.Ival != 0
	}
	return true
}

func int8Column(name string) types.Column {
	return types.Column{Name: name, Type: types.FromDuckDB("BIGINT")}
}

// retentionOf is the group's retention interval ("" to keep everything).
func (s *Session) retentionOf(g *catalog.Group) string {
	if g.Retention != "" {
		return g.Retention
	}
	return s.p.cfg.DefaultRetention
}

func (s *Session) vacuumGroup(ctx context.Context, g *catalog.Group, dry bool) ([]any, error) {
	ch, err := s.conn.BeginGroupChange(ctx, []int64{g.ID}, false)
	if err != nil {
		return nil, err
	}
	if cur := s.p.catalog.Lookup(g.Schema, g.Name); cur != nil && cur.ID == g.ID {
		g = cur
	}
	layout := g.Layout()
	var res duckdb.DeleteResult
	var garbage duckdb.Garbage
	err = func() error {
		if ret := s.retentionOf(g); ret != "" {
			et := quoteIdent(g.EventTime().Name)
			keys := make([]string, 0, 2)
			for _, k := range g.EntityKeys() {
				keys = append(keys, "a."+quoteIdent(k))
			}
			match := func(source string) string {
				return "SELECT a." + duckdb.FileColumn + ", a." + duckdb.SeqColumn + ", " + strings.Join(keys, ", ") +
					" FROM " + source + " AS a WHERE a." + et + " < now() - CAST(? AS INTERVAL)"
			}
			var err error
			if res, err = ch.Delete(ctx, &layout, match, []any{ret}); err != nil {
				return fmt.Errorf("retention of %s: %w", g.Name, err)
			}
		}
		var err error
		garbage, err = ch.DropGarbage(ctx, &layout)
		if err == nil && dry {
			return errDryRun
		}
		return err
	}()
	if err := ch.Finish(ctx, err); err != nil && !errors.Is(err, errDryRun) {
		return nil, err
	}
	if !dry {
		s.p.engine.RemoveFiles(garbage.Paths())
		if res.Rows > 0 {
			if err := statementError(s.onlineAfterDelete(ctx, g, res.Keys)); err != nil {
				return nil, err
			}
		}
	}
	name := g.Name
	if g.Schema != "public" {
		name = g.Schema + "." + g.Name
	}
	return []any{name, res.Rows, garbage.Files, garbage.Bytes - res.WrittenBytes, int64(res.Rewritten)}, nil
}
