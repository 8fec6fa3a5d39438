package catalog

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Schema evolution: SET DATA TYPE, SET CHECK / DROP CHECK and RENAME
// FEATURE. None of them rewrites a Parquet file: a file keeps the physical
// names and types it was written with (the manifest lists its physical
// columns), and the group's views map and cast them to the current schema.

// OnlineRebuild writes the online records of g, read from its offline data
// as g now is, into the namespace of the given generation.
type OnlineRebuild func(ctx context.Context, g *Group, generation int64) error

// OnlineSwitch is the online side of a schema change that rebuilt a group's
// records.
type OnlineSwitch struct {
	Rebuilt bool
	// OldGeneration is the generation the new records replaced: its
	// records can be dropped.
	OldGeneration int64
	// Err is why the rebuild failed; the group is then marked pending and
	// the online store catches up by itself.
	Err error
}

// errUnchanged rolls back a change that turns out to change nothing.
var errUnchanged = errors.New("unchanged")

// SetFeatureType changes a feature's type to a widening of it (dataType as
// format_type shows it, duckType DuckDB's). The unflushed rows are
// converted; Parquet files are cast when read. When rebuild is given and the
// group is online, its records are rebuilt with the new type before the new
// type is visible, so that no lookup decodes an old record under the new
// type. It reports false when the type is already dataType.
func (c *Catalog) SetFeatureType(ctx context.Context, schema, name, feature, dataType, duckType string, rebuild OnlineRebuild) (bool, OnlineSwitch, error) {
	var sw OnlineSwitch
	var online bool
	err := c.alterThen(ctx, schema, name, func(conn *duckdb.Conn, g *Group) error {
		f, err := featureOf(g, feature)
		if err != nil {
			return err
		}
		if f.DataType == dataType && f.DuckDBType == duckType {
			return errUnchanged
		}
		if v := c.viewUsing(g, f.Name); v != "" {
			return pgerror.New(pgerror.FeatureNotSupported, `cannot change the type of feature "%s.%s": feature view "%s" uses it`, g.Name, f.Name, v).
				WithHint("Drop the feature view, change the type, and create the view again (a view's columns keep the types they were created with, as in PostgreSQL).")
		}
		from, to := parseDataType(f.DataType), parseDataType(dataType)
		switch {
		case f.EventTime:
			return pgerror.New(pgerror.FeatureNotSupported, `cannot change the type of event time "%s.%s" from %s to %s: the event time orders each entity's history, and AS OF, ttl and partitioning depend on its type`,
				g.Name, f.Name, f.DataType, dataType)
		case f.EntityKey:
			if why := keyWidening(from, to); why != "" {
				return pgerror.New(pgerror.FeatureNotSupported, `cannot change the type of entity key "%s.%s" from %s to %s: %s`, g.Name, f.Name, f.DataType, dataType, why)
			}
		default:
			if why := widening(from, to); why != "" {
				return pgerror.New(pgerror.DatatypeMismatch, `cannot change the type of feature "%s.%s" from %s to %s: %s`, g.Name, f.Name, f.DataType, dataType, why).
					WithHint("%s", widenHint)
			}
		}
		f.DataType, f.DuckDBType, f.UpdatedAt = dataType, duckType, g.UpdatedAt
		layout := g.Layout()
		col, _ := layout.Column(f.Name)
		// First in the transaction: rows of writes still uncommitted
		// cannot commit in the old type (see duckdb.FenceWrites).
		if err := c.engine.AlterColumnType(ctx, conn, &layout, col); err != nil {
			return err
		}
		if err := bindChecks(ctx, conn, g); err != nil {
			return err
		}
		online = rebuild != nil && g.Online
		if online {
			// Should the server stop before the records are rebuilt, they
			// are rebuilt when it starts.
			st := c.OnlineState(g.ID)
			return storeOnlineState(ctx, conn, g.ID, OnlineState{Generation: st.Generation, Pending: true})
		}
		return nil
	}, func(ctx context.Context, conn *duckdb.Conn, g *Group) func() {
		if !online {
			return nil
		}
		st := c.OnlineState(g.ID)
		next := OnlineState{Generation: st.Generation + 1}
		err := rebuild(ctx, g, next.Generation)
		if err == nil {
			err = storeOnlineState(ctx, conn, g.ID, next)
		}
		if err != nil {
			sw.Err = err
			next = OnlineState{Generation: st.Generation, Pending: true}
		} else {
			sw.Rebuilt, sw.OldGeneration = true, st.Generation
		}
		return func() { c.online[g.ID] = next }
	})
	if errors.Is(err, errUnchanged) {
		return false, sw, nil
	}
	return err == nil, sw, err
}

func storeOnlineState(ctx context.Context, conn *duckdb.Conn, groupID int64, st OnlineState) error {
	_, err := conn.Exec(ctx, `INSERT OR REPLACE INTO feature_store.online_state (group_id, generation, pending, updated_at) VALUES (?, ?, ?, now())`,
		groupID, st.Generation, st.Pending)
	return err
}

// SetFeatureCheck replaces a feature's CHECK constraints with expr, which
// may reference that feature only. Every stored row (Parquet and
// unflushed) is checked first: the change is refused with the number of
// rows that violate it.
func (c *Catalog) SetFeatureCheck(ctx context.Context, schema, name, feature, expr string) error {
	return c.alter(ctx, schema, name, func(conn *duckdb.Conn, g *Group) error {
		f, err := featureOf(g, feature)
		if err != nil {
			return err
		}
		if err := checkReferences(g, f, expr); err != nil {
			return err
		}
		layout := g.Layout()
		// First in the transaction, so that its snapshot misses no row that
		// could still commit.
		if err := c.engine.FenceWrites(ctx, conn, &layout); err != nil {
			return err
		}
		q := "SELECT count(*) FROM (SELECT CAST(NULL AS " + f.DuckDBType + ") AS " + duckdb.QuoteIdent(f.Name) + ") WHERE CAST((" + expr + ") AS BOOLEAN)"
		if _, err := conn.Exec(ctx, q); err != nil {
			e := pgerror.Wrap(err)
			if strings.Contains(e.Message, "aggregates") {
				return pgerror.New(pgerror.GroupingError, "aggregate functions are not allowed in check constraints")
			}
			return pgerror.New(e.Code, "invalid CHECK constraint (%s): %s", expr, e.Message)
		}
		if err := checkStored(ctx, conn, g, f, 0, expr); err != nil {
			return err
		}
		f.Checks, f.UpdatedAt = []string{expr}, g.UpdatedAt
		return nil
	})
}

// checkStored refuses the i-th CHECK expr of feature f when stored rows
// of g (all of them, through g's all-rows view as conn sees it) break it,
// with their number.
func checkStored(ctx context.Context, conn *duckdb.Conn, g *Group, f *Feature, i int, expr string) error {
	layout := g.Layout()
	var n, first any
	// A CHECK is violated by a row for which it is false (not NULL), as
	// on writes (duckdb's constraints).
	q := "SELECT count(*), CAST(arg_min(" + duckdb.QuoteIdent(f.Name) + ", " + duckdb.SeqColumn + ") AS VARCHAR) FROM " +
		layout.AllRowsView() + " WHERE NOT (" + expr + ")"
	if _, err := conn.QueryRow(ctx, q, nil, &n, &first); err != nil {
		return err
	}
	bad, _ := n.(int64)
	if bad == 0 {
		return nil
	}
	rows := "rows"
	if bad == 1 {
		rows = "row"
	}
	e := pgerror.New(pgerror.CheckViolation, `check constraint "%s" of feature "%s.%s" is violated by %d stored %s`,
		checkName(g.Name, f.Name, i), g.Name, f.Name, bad, rows)
	value := "NULL"
	if s, ok := first.(string); ok {
		value = s
	}
	return e.WithDetail("The first violating row written has %s = %s.", f.Name, value).
		WithHint("Correct or delete those rows (DELETE FROM %s WHERE NOT (%s)), or choose a CHECK they meet.", g.Name, expr)
}

// DropFeatureCheck removes a feature's CHECK constraints (none: nothing to
// do, as PostgreSQL's DROP NOT NULL on a nullable column).
func (c *Catalog) DropFeatureCheck(ctx context.Context, schema, name, feature string) error {
	return c.alter(ctx, schema, name, func(_ *duckdb.Conn, g *Group) error {
		f, err := featureOf(g, feature)
		if err != nil {
			return err
		}
		f.Checks, f.UpdatedAt = nil, g.UpdatedAt
		return nil
	})
}

// checkReferences makes sure a feature's CHECK expression references that
// feature only (optionally qualified by the group's name) and holds no
// subquery, as PostgreSQL refuses one in a CHECK.
func checkReferences(g *Group, f *Feature, expr string) error {
	tree, err := pg_query.Parse("SELECT " + expr)
	if err != nil {
		return pgerror.New(pgerror.SyntaxError, "invalid CHECK constraint (%s): %v", expr, err)
	}
	var sub bool
	sql.Walk(tree, func(m proto.Message) bool {
		if _, ok := m.(*pg_query.SubLink); ok {
			sub = true
		}
		return true
	})
	if sub {
		return pgerror.New(pgerror.FeatureNotSupported, "cannot use subquery in check constraint")
	}
	for _, cr := range sql.ColumnRefs(tree) {
		name, qual, ok := refName(cr)
		if ok && name == f.Name && (qual == "" || qual == g.Name) {
			continue
		}
		what := name
		if !ok {
			what = "*"
		}
		return pgerror.New(pgerror.InvalidTableDefinition, `the CHECK constraint of feature "%s.%s" may only reference "%s", not "%s"`, g.Name, f.Name, f.Name, what).
			WithHint("A constraint over several features belongs to the feature group (CHECK in CREATE FEATURE GROUP).")
	}
	return nil
}

// refName is a column reference's column and qualifier ("" when none); ok
// is false for a * or a reference of more than two parts.
func refName(cr *pg_query.ColumnRef) (name, qual string, ok bool) {
	var parts []string
	for _, f := range cr.Fields {
		s := f.GetString_()
		if s == nil {
			return "", "", false
		}
		parts = append(parts, s.Sval)
	}
	switch len(parts) {
	case 1:
		return parts[0], "", true
	case 2:
		return parts[1], parts[0], true
	}
	return "", "", false
}

// bindChecks makes sure every CHECK of g binds against its columns (after
// a type change, or with an added feature's).
func bindChecks(ctx context.Context, conn *duckdb.Conn, g *Group) error {
	var checks []string
	for _, f := range g.Features {
		checks = append(checks, f.Checks...)
	}
	checks = append(checks, g.TableChecks...)
	if len(checks) == 0 {
		return nil
	}
	cols := make([]string, len(g.Features))
	for i, f := range g.Features {
		cols[i] = "CAST(NULL AS " + f.DuckDBType + ") AS " + duckdb.QuoteIdent(f.Name)
	}
	for _, chk := range checks {
		q := "SELECT count(*) FROM (SELECT " + strings.Join(cols, ", ") + ") WHERE NOT (" + chk + ")"
		if _, err := conn.Exec(ctx, q); err != nil {
			e := pgerror.Wrap(err)
			return pgerror.New(e.Code, "invalid CHECK constraint (%s): %s", chk, e.Message)
		}
	}
	return nil
}

// RenameFeature renames a feature (entity keys and the event time too).
// Its physical column keeps its name, so no stored row changes; the views
// read it under the new name, and CHECK constraints that reference it are
// rewritten to the new name.
func (c *Catalog) RenameFeature(ctx context.Context, schema, name, from, to string) error {
	err := c.alter(ctx, schema, name, func(conn *duckdb.Conn, g *Group) error {
		f, err := featureOf(g, from)
		if err != nil {
			return err
		}
		if g.Feature(to) != nil {
			return pgerror.New(pgerror.DuplicateColumn, `column "%s" of feature group "%s" already exists`, to, g.Name)
		}
		if reservedColumn(to) {
			return pgerror.New(pgerror.DuplicateColumn, `column name "%s" conflicts with a system column name`, to)
		}
		// A feature view's stored definition names the group's columns.
		if vs := c.DependentViews(g.Schema, g.Name); len(vs) > 0 {
			return pgerror.New(pgerror.DependentObjectsStillExist, `cannot rename feature "%s.%s" because feature view "%s" depends on feature group "%s"`,
				g.Name, from, vs[0].Name, g.Name).
				WithHint("Drop the feature view (DROP FEATURE VIEW %s), rename the feature, and create the view again.", vs[0].Name)
		}
		for _, x := range g.Features {
			for i, chk := range x.Checks {
				if x.Checks[i], err = renameInExpr(g, chk, from, to); err != nil {
					return err
				}
			}
		}
		for i, chk := range g.TableChecks {
			if g.TableChecks[i], err = renameInExpr(g, chk, from, to); err != nil {
				return err
			}
		}
		f.Name, f.UpdatedAt = to, g.UpdatedAt
		if err := RenameColumn(ctx, conn, g.Schema, g.Name, from, to); err != nil {
			return err
		}
		layout := g.Layout()
		return c.engine.RefreshViews(ctx, conn, &layout)
	})
	if err != nil {
		return err
	}
	return c.ReloadPrivileges(ctx)
}

// viewUsing names a feature view reading g whose definition references a
// column called column ("" when none). The test is by name only (the name
// may be another source's column): it may refuse a change a view does not
// need, never allow one it does.
func (c *Catalog) viewUsing(g *Group, column string) string {
	for _, v := range c.DependentViews(g.Schema, g.Name) {
		tree, err := pg_query.Parse(v.Expanded)
		if err != nil {
			return v.Name
		}
		for _, cr := range sql.ColumnRefs(tree) {
			if len(cr.Fields) == 0 {
				continue
			}
			if s := cr.Fields[len(cr.Fields)-1].GetString_(); s != nil && s.Sval == column {
				return v.Name
			}
			if cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
				return v.Name
			}
		}
	}
	return ""
}

// reservedColumn reports the names of the hidden columns of stored rows.
func reservedColumn(name string) bool {
	switch name {
	case duckdb.SeqColumn, duckdb.WrittenAtColumn, duckdb.FileColumn:
		return true
	}
	return false
}

// renameInExpr rewrites the references to column from (unqualified or
// qualified by the group's name) in a CHECK expression to column to,
// leaving the rest of its text as written.
func renameInExpr(g *Group, expr, from, to string) (string, error) {
	const prefix = "SELECT "
	text := prefix + expr
	tree, err := pg_query.Parse(text)
	if err != nil {
		return "", pgerror.New(pgerror.FeatureNotSupported, `cannot rename "%s": the CHECK constraint (%s) that references it cannot be rewritten: %v`, from, expr, err)
	}
	refs := sql.ColumnRefs(tree)
	out := text
	// Back to front, so earlier offsets stay valid.
	for i := len(refs) - 1; i >= 0; i-- {
		cr := refs[i]
		name, qual, ok := refName(cr)
		if !ok || name != from || (qual != "" && qual != g.Name) {
			continue
		}
		start, end := sql.RelationSpan(text, cr.Location)
		if start < 0 {
			return "", pgerror.New(pgerror.FeatureNotSupported, `cannot rename "%s": the CHECK constraint (%s) that references it cannot be rewritten`, from, expr)
		}
		repl := quoteName(to)
		if qual != "" {
			repl = quoteName(qual) + "." + repl
		}
		out = out[:start] + repl + out[end:]
	}
	return strings.TrimPrefix(out, prefix), nil
}

var rePlainName = regexp.MustCompile(`^[a-z_][a-z0-9_$]*$`)

// quoteName writes an identifier as PostgreSQL needs it: bare when it is a
// lower-case name that is no keyword, quoted otherwise.
func quoteName(s string) string {
	if rePlainName.MatchString(s) {
		if res, err := pg_query.Scan(s); err == nil && len(res.Tokens) == 1 && res.Tokens[0].KeywordKind == pg_query.KeywordKind_NO_KEYWORD {
			return s
		}
	}
	return duckdb.QuoteIdent(s)
}

// uniqueColumn is a physical column name for a new feature: its name,
// unless a renamed feature's column has it.
func uniqueColumn(g *Group, name string) string {
	taken := map[string]bool{}
	for _, f := range g.Features {
		taken[f.storedColumn()] = true
	}
	col := name
	for i := 2; taken[col]; i++ {
		col = fmt.Sprintf("%s_%d", name, i)
	}
	return col
}
