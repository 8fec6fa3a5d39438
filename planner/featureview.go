package planner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Feature views: CREATE / DROP FEATURE VIEW, the dependencies that DROP
// FEATURE GROUP respects, and the refusal of writes and plain DDL on them.
// Reading them is in featureview_read.go.

// fvDDL serialises feature-view DDL with DROP FEATURE GROUP, so that no
// view is created on a group while it is being dropped.
var fvDDL sync.Mutex

// resolveRelation finds a feature group or feature view along search_path
// (the first schema holding either wins, as for tables).
func (s *Session) resolveRelation(name sql.QualifiedName) (*catalog.Group, *catalog.View) {
	cat := s.p.catalog
	if name.Schema != "" {
		return cat.Lookup(name.Schema, name.Name), cat.LookupView(name.Schema, name.Name)
	}
	for _, sc := range s.searchPath() {
		if g := cat.Lookup(sc, name.Name); g != nil {
			return g, nil
		}
		if v := cat.LookupView(sc, name.Name); v != nil {
			return nil, v
		}
	}
	return nil, nil
}

// lookupFeatureView resolves a (possibly unqualified) feature view name.
func (s *Session) lookupFeatureView(name sql.QualifiedName) *catalog.View {
	_, v := s.resolveRelation(name)
	return v
}

// relationExists reports whether DuckDB has a table or view of that name
// on search_path (an ordinary relation, not a feature object).
func (s *Session) relationExists(ctx context.Context, name sql.QualifiedName) bool {
	schemas := []any{name.Schema}
	if name.Schema == "" {
		schemas = schemas[:0]
		for _, sc := range s.searchPath() {
			schemas = append(schemas, sc)
		}
	}
	if len(schemas) == 0 {
		return false
	}
	var one any
	q := "SELECT 1 FROM information_schema.tables WHERE table_name = ? AND table_schema IN (?" + strings.Repeat(", ?", len(schemas)-1) + ")"
	found, _ := s.conn.QueryRow(ctx, q, append([]any{name.Name}, schemas...), &one)
	return found
}

func (s *Session) createFeatureView(ctx context.Context, stmt *sql.CreateFeatureView) (string, error) {
	schema, err := s.creationSchema(ctx, stmt.Name)
	if err != nil {
		return "", err
	}
	fvDDL.Lock()
	defer fvDDL.Unlock()
	cat := s.p.catalog
	exists := cat.Lookup(schema, stmt.Name.Name) != nil || cat.LookupView(schema, stmt.Name.Name) != nil ||
		s.relationExists(ctx, sql.QualifiedName{Schema: schema, Name: stmt.Name.Name})
	if exists {
		if stmt.IfNotExists {
			s.notify(&pgerror.Error{Severity: "NOTICE", Code: pgerror.DuplicateTable,
				Message: fmt.Sprintf(`relation "%s" already exists, skipping`, stmt.Name.Name)})
			return "CREATE FEATURE VIEW", nil
		}
		return "", pgerror.New(pgerror.DuplicateTable, `relation "%s" already exists`, stmt.Name.Name)
	}
	if err := s.lockdown(stmt.Query); err != nil {
		return "", err
	}
	v := &catalog.View{Schema: schema, Name: stmt.Name.Name, Definition: strings.TrimSpace(stmt.Query.Original), Owner: s.currentRole()}
	if err := s.viewOptions(ctx, v, stmt.Options, stmt.OptionOrder); err != nil {
		return "", err
	}
	m, err := s.analyzeView(ctx, stmt.Query.Text, stmt.Query.Offset, 0, true)
	if err != nil {
		return "", err
	}
	expanded, err := m.expand()
	if err != nil {
		return "", err
	}
	// Analysed again as stored: what is accepted is what every read runs.
	stored, err := s.analyzeView(ctx, expanded, -1, 0, false)
	if err != nil {
		return "", err
	}
	stored.windowUS = v.WindowMicros
	if err := stored.readKeys(); err != nil {
		return "", err
	}
	if v.Window != "" && !stored.aggregatingView() {
		return "", pgerror.New(pgerror.InvalidParameterValue, `option "window" applies to aggregating feature views only`).
			WithHint("A view without GROUP BY reads its sources' latest rows; a group's ttl limits how old they may be.")
	}
	v.Expanded = expanded
	v.Kind = catalog.JoinView
	if stored.aggregatingView() {
		v.Kind = catalog.AggregateView
	}
	for _, tg := range stored.targets {
		v.Columns = append(v.Columns, tg.name)
	}
	v.EntityKeys = stored.keyOut
	v.Sources, v.SourceGroups = nil, nil
	for _, src := range stored.sources {
		if !slices.Contains(v.Sources, src.qname) {
			v.Sources = append(v.Sources, src.qname)
		}
		groups := []string{src.qname}
		if src.view != nil {
			groups = src.view.SourceGroups
		}
		for _, g := range groups {
			if !slices.Contains(v.SourceGroups, g) {
				v.SourceGroups = append(v.SourceGroups, g)
			}
		}
	}
	if v.Online {
		if s.p.online == nil {
			return "", pgerror.New(pgerror.FeatureNotSupported, "online feature views need an online store")
		}
		if err := s.checkOnlineView(v, stored); err != nil {
			return "", err
		}
	}
	// Both ways of evaluating the view must bind in DuckDB.
	gen := &fvGen{}
	direct := gen.direct(stored, "now()")
	for _, q := range []string{direct, gen.timeline(stored)} {
		st, err := s.conn.Prepare(ctx, q)
		if err != nil {
			e := pgerror.Wrap(err)
			e.Position = 0
			return "", e
		}
		_ = st.Close()
	}
	created, err := cat.CreateView(ctx, v, direct, stmt.IfNotExists)
	if err != nil {
		return "", err
	}
	if !created {
		s.notify(&pgerror.Error{Severity: "NOTICE", Code: pgerror.DuplicateTable,
			Message: fmt.Sprintf(`relation "%s" already exists, skipping`, stmt.Name.Name)})
	} else if err := s.applyDefaultPrivileges(ctx, v.Schema, v.Name, v.Owner); err != nil { // default_privileges.go
		return "", err
	}
	return "CREATE FEATURE VIEW", nil
}

// viewOptions applies CREATE FEATURE VIEW's WITH (...) options.
func (s *Session) viewOptions(ctx context.Context, v *catalog.View, opts map[string]string, order []string) error {
	for _, k := range order {
		val := opts[k]
		switch k {
		case "description":
			v.Description = val
		case "owner":
			v.Owner = val
		case "tags":
			v.Tags = nil
			for _, t := range strings.Split(val, ",") {
				if t = strings.TrimSpace(t); t != "" {
					v.Tags = append(v.Tags, t)
				}
			}
		case "online":
			switch strings.ToLower(val) {
			case "false", "off", "no", "0", "f", "n":
				v.Online = false
			case "true", "on", "yes", "1", "t", "y":
				v.Online = true
			default:
				return pgerror.New(pgerror.InvalidParameterValue, `invalid value for boolean option "online": %s`, val)
			}
		case "window":
			if val == "" || strings.EqualFold(val, "none") {
				v.Window, v.WindowMicros = "", 0
				continue
			}
			us, err := s.windowMicros(ctx, val)
			if err != nil {
				return err
			}
			v.Window, v.WindowMicros = val, us
		default:
			return pgerror.New(pgerror.InvalidParameterValue, `unrecognized parameter "%s"`, k).
				WithHint("Valid options are description, owner, tags, window and online.")
		}
	}
	return nil
}

// windowMicros checks a window option: a positive interval of fixed length
// (days of 24 hours, hours, minutes, seconds: a month has no fixed length,
// and the window edge t - window must be exact).
func (s *Session) windowMicros(ctx context.Context, val string) (int64, error) {
	var months, us any
	// Without months, a naive TIMESTAMP plus the interval is exact.
	_, err := s.conn.QueryRow(ctx, `SELECT date_part('year', i) * 12 + date_part('month', i),
		epoch_us(TIMESTAMP '2000-01-01' + i) - epoch_us(TIMESTAMP '2000-01-01')
		FROM (SELECT CAST(? AS INTERVAL) AS i)`, []any{val}, &months, &us)
	if err != nil {
		return 0, pgerror.New(pgerror.InvalidParameterValue, `invalid value for option "window": "%s"`, val).
			WithHint("Give an interval such as '30 days' or '12 hours'.")
	}
	if m, _ := months.(int64); m != 0 {
		return 0, pgerror.New(pgerror.FeatureNotSupported, `option "window" must be a fixed length, not "%s"`, val).
			WithHint("Give it in days, hours, minutes or seconds: months and years have no fixed length.")
	}
	n, _ := us.(int64)
	if n <= 0 {
		return 0, pgerror.New(pgerror.InvalidParameterValue, `option "window" must be a positive interval: "%s"`, val)
	}
	return n, nil
}

func (s *Session) dropFeatureView(ctx context.Context, stmt *sql.DropFeatureView) (string, error) {
	fvDDL.Lock()
	defer fvDDL.Unlock()
	var targets []*catalog.View
	for _, n := range stmt.Names {
		g, v := s.resolveRelation(n)
		switch {
		case v != nil:
			if !slices.Contains(targets, v) {
				targets = append(targets, v)
			}
		case g != nil:
			return "", pgerror.New(pgerror.WrongObjectType, `"%s" is not a feature view`, displayQualified(n)).
				WithHint("Use DROP FEATURE GROUP to remove a feature group.")
		case stmt.IfExists:
			s.notify(pgerror.Notice(`feature view "%s" does not exist, skipping`, displayQualified(n)))
		default:
			return "", pgerror.New(pgerror.UndefinedTable, `feature view "%s" does not exist`, displayQualified(n))
		}
	}
	if len(targets) == 0 {
		return "DROP FEATURE VIEW", nil
	}
	var objs []fvObject
	for _, v := range targets {
		objs = append(objs, fvObject{"feature view", v.Schema, v.Name})
	}
	deps, err := s.dependents(objs, stmt.Cascade, targets)
	if err != nil {
		return "", err
	}
	if err := s.p.catalog.DropViews(ctx, append(targets, deps...)); err != nil {
		return "", err
	}
	for _, v := range append(targets, deps...) {
		if v.Online {
			s.dropOnlineView(v)
		}
	}
	return "DROP FEATURE VIEW", nil
}

// dropGroupViews runs before DROP FEATURE GROUP: the feature views reading
// the groups (directly or through other views) make it fail, or with
// CASCADE are dropped first. The caller holds fvDDL until the groups are
// dropped.
func (s *Session) dropGroupViews(ctx context.Context, stmt *sql.DropFeatureGroup) error {
	var objs []fvObject
	for _, n := range stmt.Names {
		g := s.lookupGroup(n)
		if g == nil && !stmt.IfExists {
			// Checked before any view goes: the statement fails as a whole.
			return pgerror.New(pgerror.UndefinedTable, `feature group "%s" does not exist`, displayQualified(n))
		}
		if g != nil {
			objs = append(objs, fvObject{"feature group", g.Schema, g.Name})
		}
	}
	deps, err := s.dependents(objs, stmt.Cascade, nil)
	if err != nil || len(deps) == 0 {
		return err
	}
	return s.p.catalog.DropViews(ctx, deps)
}

type fvObject struct{ kind, schema, name string }

// String names the object as PostgreSQL's messages do: schema-qualified
// unless it is in public.
func (o fvObject) String() string {
	if o.schema == "public" {
		return o.kind + " " + o.name
	}
	return o.kind + " " + o.schema + "." + o.name
}

// dependents lists the feature views that depend on objs, transitively,
// except those being dropped anyway. Without CASCADE any of them is
// PostgreSQL's 2BP01; with it, a NOTICE names what the drop cascades to.
func (s *Session) dependents(objs []fvObject, cascade bool, dropping []*catalog.View) ([]*catalog.View, error) {
	var out []*catalog.View
	var lines []string
	var root *fvObject // the first object named that others depend on
	queue := append([]fvObject(nil), objs...)
	seen := map[string]bool{}
	for i := 0; len(queue) > 0; i++ {
		o := queue[0]
		queue = queue[1:]
		for _, v := range s.p.catalog.DependentViews(o.schema, o.name) {
			if slices.Contains(dropping, v) {
				continue
			}
			obj := fvObject{"feature view", v.Schema, v.Name}
			lines = append(lines, obj.String()+" depends on "+o.String())
			if root == nil && i < len(objs) {
				root = &objs[i]
			}
			if seen[v.QualifiedName()] {
				continue
			}
			seen[v.QualifiedName()] = true
			out = append(out, v)
			queue = append(queue, obj)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	if !cascade {
		return nil, pgerror.New(pgerror.DependentObjectsStillExist, "cannot drop %s because other objects depend on it", *root).
			WithDetail("%s", strings.Join(lines, "\n")).
			WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
	}
	if len(out) == 1 {
		s.notify(pgerror.Notice("drop cascades to %s", fvObject{"feature view", out[0].Schema, out[0].Name}))
	} else {
		var detail []string
		for _, v := range out {
			detail = append(detail, "drop cascades to "+fvObject{"feature view", v.Schema, v.Name}.String())
		}
		s.notify(pgerror.Notice("drop cascades to %d other objects", len(out)).WithDetail("%s", strings.Join(detail, "\n")))
	}
	return out, nil
}

// protectFeatureViews refuses writes and plain DDL on feature views: they
// are computed from their sources and dropped with DROP FEATURE VIEW.
func (s *Session) protectFeatureViews(q *sql.Query) error {
	if q.Tree == nil || len(q.Tree.Stmts) == 0 {
		return nil
	}
	var targets []*pg_query.RangeVar
	verb := "write to"
	switch n := q.Tree.Stmts[0].Stmt.Node.(type) {
	case *pg_query.Node_InsertStmt:
		targets = append(targets, n.InsertStmt.Relation)
	case *pg_query.Node_UpdateStmt:
		targets = append(targets, n.UpdateStmt.Relation)
	case *pg_query.Node_DeleteStmt:
		targets = append(targets, n.DeleteStmt.Relation)
	case *pg_query.Node_MergeStmt:
		targets = append(targets, n.MergeStmt.Relation)
	case *pg_query.Node_CopyStmt:
		if n.CopyStmt.IsFrom {
			targets = append(targets, n.CopyStmt.Relation)
		}
	case *pg_query.Node_TruncateStmt:
		for _, r := range n.TruncateStmt.Relations {
			targets = append(targets, r.GetRangeVar())
		}
	case *pg_query.Node_AlterTableStmt:
		targets, verb = append(targets, n.AlterTableStmt.Relation), "alter"
	case *pg_query.Node_RenameStmt:
		targets, verb = append(targets, n.RenameStmt.Relation), "alter"
	case *pg_query.Node_ViewStmt:
		if n.ViewStmt.Replace {
			targets, verb = append(targets, n.ViewStmt.View), "replace"
		}
	case *pg_query.Node_DropStmt:
		switch n.DropStmt.RemoveType {
		case pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_MATVIEW:
			for _, obj := range n.DropStmt.Objects {
				names := listNames(obj)
				if len(names) == 0 {
					continue
				}
				rv := rangeVarOf(names)
				targets = append(targets, rv)
			}
			verb = "drop"
		}
	}
	for _, rv := range targets {
		if rv == nil {
			continue
		}
		v := s.lookupFeatureView(sql.QualifiedName{Schema: rv.Schemaname, Name: rv.Relname})
		if v == nil {
			continue
		}
		e := pgerror.New(pgerror.WrongObjectType, `"%s" is a feature view`, v.Name)
		switch verb {
		case "drop":
			e.Hint = "Use DROP FEATURE VIEW."
		case "write to":
			e.Hint = "A feature view is computed from its sources: write to the feature groups it reads."
		default:
			e.Hint = "Drop the feature view and create it again."
		}
		return e
	}
	return nil
}
