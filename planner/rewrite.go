package planner

import (
	"context"
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// edit replaces text[start:end].
type edit struct {
	start, end int
	text       string
}

func applyEdits(text string, edits []edit) string {
	// Back to front; at the same start, a replacement before an insertion
	// (start == end), so that the insertion ends up in front of it.
	sort.Slice(edits, func(i, j int) bool {
		if edits[i].start != edits[j].start {
			return edits[i].start > edits[j].start
		}
		return edits[i].end > edits[j].end
	})
	for _, e := range edits {
		text = text[:e.start] + e.text + text[e.end:]
	}
	return text
}

// referencedGroups resolves the statement's relations that are feature groups.
func (s *Session) referencedGroups(node proto.Message) map[*catalog.Group][]string {
	out := map[*catalog.Group][]string{}
	for _, rv := range sql.RangeVars(node) {
		g := s.lookupGroup(sql.QualifiedName{Schema: rv.Schemaname, Name: rv.Relname})
		if g == nil || rv.Catalogname != "" && rv.Catalogname != duckdb.DatabaseName {
			continue
		}
		alias := rv.Relname
		if rv.Alias != nil && rv.Alias.Aliasname != "" {
			alias = rv.Alias.Aliasname
		}
		out[g] = append(out[g], alias)
	}
	return out
}

// checkFeatureStatus applies the status rules: naming a retired feature is
// an error; reading a deprecated one sends a NOTICE.
func (s *Session) checkFeatureStatus(node proto.Message) error {
	groups := s.referencedGroups(node)
	if len(groups) == 0 {
		return nil
	}
	var notices []string
	seen := map[string]bool{}
	for _, cr := range sql.ColumnRefs(node) {
		qualifier, name, star := columnRefParts(cr)
		for g, aliases := range groups {
			if qualifier != "" && !contains(aliases, qualifier) && qualifier != g.Name {
				continue
			}
			for _, f := range g.Features {
				if star && f.Status == catalog.Deprecated || !star && f.Name == name && f.Status == catalog.Deprecated {
					if !seen[g.Name+"."+f.Name] {
						seen[g.Name+"."+f.Name] = true
						notices = append(notices, g.Name+"."+f.Name)
					}
				}
				if !star && f.Name == name && f.Status == catalog.Retired {
					return pgerror.New(pgerror.ObjectNotInPrerequisiteState, `feature "%s.%s" is retired`, g.Name, f.Name).
						WithHint("A retired feature can no longer be read; set its status back to active or deprecated to read it.")
				}
			}
		}
	}
	sort.Strings(notices)
	for _, n := range notices {
		s.notify(&pgerror.Error{Severity: "NOTICE", Code: pgerror.DeprecatedFeature, Message: `feature "` + n + `" is deprecated`})
	}
	return nil
}

// columnRefParts splits a column reference: the relation it is qualified
// with ("" when none; the last name before the column), the column ("" for
// `*`) and whether it is `*` or `rel.*`.
func columnRefParts(cr *pg_query.ColumnRef) (qual, col string, star bool) {
	for i, f := range cr.Fields {
		switch n := f.Node.(type) {
		case *pg_query.Node_String_:
			if i == len(cr.Fields)-1 {
				col = n.String_.Sval
			} else {
				qual = n.String_.Sval
			}
		case *pg_query.Node_AStar:
			star = true
		}
	}
	return qual, col, star
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// asOfEdits turns each `g AS OF t` into the latest row per entity with
// event time <= t (and within ttl), ties broken by the later write, and
// each `JOIN g AS OF <column of an earlier relation>` into a point-in-time
// join (pitjoin.go). KNOWN AT t2 hides rows written after t2.
func (s *Session) asOfEdits(ctx context.Context, q *sql.Query) ([]edit, error) {
	var edits []edit
	var pits []*pitJoin
	var sites map[int32]fromSite
	for i, a := range q.AsOf {
		if v := s.lookupFeatureView(a.Relation); v != nil { // featureview_read.go
			if sites == nil {
				sites = fromSites(q.Tree)
			}
			e, p, err := s.featureViewAsOf(ctx, q, sites, a, v, i+1)
			if err != nil {
				return nil, err
			}
			if p != nil {
				pits = append(pits, p)
			} else {
				edits = append(edits, *e)
			}
			continue
		}
		g := s.lookupGroup(a.Relation)
		if g == nil {
			return nil, pgerror.New(pgerror.UndefinedTable, `feature group "%s" does not exist`, displayQualified(a.Relation)).
				WithHint("AS OF reads feature groups and feature views only.")
		}
		expr := strings.TrimSpace(a.Expr)
		if strings.EqualFold(expr, "latest") {
			expr = "now()"
		}
		if a.KnownAt != "" && refersToColumns(a.KnownAt) {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "KNOWN AT must be a constant time, not a column").
				WithPosition(a.KnownAtPosition + q.Offset)
		}
		if refersToColumns(expr) {
			if sites == nil {
				sites = fromSites(q.Tree)
			}
			p, err := s.newPITJoin(q, sites, a, g, i+1)
			if err != nil {
				return nil, err
			}
			pits = append(pits, p)
			continue
		}
		alias := a.Alias
		if alias == "" {
			alias = a.Relation.Name
		}
		layout := g.Layout()
		from := maskedRelationSQL(g, s.maskedFeatures(g), layout.AllRowsView()) // masking.go
		edits = append(edits, edit{start: a.Start, end: a.End, text: "(" + asOfRowsSQL(g, from, expr, a.KnownAt) + ") AS " + quoteIdent(alias)})
	}
	if len(pits) > 0 {
		pe, err := pitEdits(q, pits)
		if err != nil {
			return nil, err
		}
		edits = append(edits, pe...)
	}
	fv, err := s.featureViewRefEdits(ctx, q)
	if err != nil {
		return nil, err
	}
	ve, err := s.versionEdits(ctx, q) // snapshot.go
	if err != nil {
		return nil, err
	}
	return append(append(edits, fv...), ve...), nil
}

// asOfSQL is the latest row per entity as of expr.
func asOfSQL(g *catalog.Group, expr string) string { return asOfKnownSQL(g, expr, "") }

// asOfKnownSQL is the latest row per entity as of expr among the rows
// written by knownAt ("": all rows).
func asOfKnownSQL(g *catalog.Group, expr, knownAt string) string {
	layout := g.Layout()
	return asOfRowsSQL(g, layout.AllRowsView(), expr, knownAt)
}

// asOfRowsSQL is asOfKnownSQL over from, a relation with the group's
// columns and hidden columns (its all-rows view, or that view masked).
func asOfRowsSQL(g *catalog.Group, from, expr, knownAt string) string {
	et := g.EventTime()
	etq := quoteIdent(et.Name)
	t := "CAST((" + expr + ") AS " + et.DuckDBType + ")"
	var cols []string
	for _, f := range g.Features {
		if f.Status != catalog.Retired {
			cols = append(cols, quoteIdent(f.Name))
		}
	}
	keys := make([]string, 0, 2)
	for _, k := range g.EntityKeys() {
		keys = append(keys, quoteIdent(k))
	}
	where := etq + " <= " + t
	if g.TTL != "" {
		where += " AND " + etq + " >= " + t + " - INTERVAL " + duckdb.QuoteString(g.TTL)
	}
	if knownAt != "" {
		where += " AND " + duckdb.WrittenAtColumn + " <= CAST((" + knownAt + ") AS TIMESTAMPTZ)"
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + from + " WHERE " + where +
		" QUALIFY row_number() OVER (PARTITION BY " + strings.Join(keys, ", ") + " ORDER BY " + etq + " DESC, " + duckdb.SeqColumn + " DESC) = 1"
}

// refersToColumns reports whether an expression names a column (then it is
// not a constant time).
func refersToColumns(expr string) bool {
	tree, err := pg_query.Parse("SELECT " + expr)
	if err != nil {
		return false
	}
	return len(sql.ColumnRefs(tree)) > 0
}

// protectSystemObjects refuses writes and DDL on featurehouse's own tables
// and on feature groups through plain SQL.
func (s *Session) protectSystemObjects(node *pg_query.Node) error {
	var target *pg_query.RangeVar
	what := ""
	switch n := node.Node.(type) {
	case *pg_query.Node_InsertStmt:
		target, what = n.InsertStmt.Relation, "INSERT"
	case *pg_query.Node_UpdateStmt:
		target, what = n.UpdateStmt.Relation, "UPDATE"
	case *pg_query.Node_DeleteStmt:
		target, what = n.DeleteStmt.Relation, "DELETE"
	case *pg_query.Node_AlterTableStmt:
		target, what = n.AlterTableStmt.Relation, "ALTER"
	case *pg_query.Node_RenameStmt:
		target, what = n.RenameStmt.Relation, "ALTER"
	case *pg_query.Node_TruncateStmt:
		for _, r := range n.TruncateStmt.Relations {
			if rv := r.GetRangeVar(); rv != nil {
				if err := s.protectTarget(rv, "TRUNCATE"); err != nil {
					return err
				}
			}
		}
	case *pg_query.Node_DropStmt:
		for _, obj := range n.DropStmt.Objects {
			names := listNames(obj)
			if len(names) == 0 {
				continue
			}
			rv := rangeVarOf(names)
			if n.DropStmt.RemoveType == pg_query.ObjectType_OBJECT_SCHEMA {
				if isSystemSchema(names[len(names)-1]) {
					return pgerror.New(pgerror.InsufficientPrivilege, `permission denied for schema %s`, names[len(names)-1])
				}
				continue
			}
			if err := s.protectTarget(rv, "DROP"); err != nil {
				return err
			}
		}
	case *pg_query.Node_ViewStmt:
		if n.ViewStmt.Replace {
			target, what = n.ViewStmt.View, "CREATE OR REPLACE VIEW"
		}
	}
	if target != nil {
		return s.protectTarget(target, what)
	}
	return nil
}

func (s *Session) protectTarget(rv *pg_query.RangeVar, what string) error {
	if isSystemSchema(rv.Schemaname) {
		return pgerror.New(pgerror.InsufficientPrivilege, `permission denied for table %s`, rv.Relname).
			WithDetail("Tables in schema %s are maintained by featurehouse.", rv.Schemaname)
	}
	if g := s.lookupGroup(sql.QualifiedName{Schema: rv.Schemaname, Name: rv.Relname}); g != nil {
		hint := ""
		switch what {
		case "DROP":
			hint = "Use DROP FEATURE GROUP."
		case "ALTER":
			hint = "Use ALTER FEATURE GROUP or ALTER FEATURE."
		case "UPDATE":
			hint = "Feature history is append-only: INSERT a newer row instead."
		}
		// DELETE and TRUNCATE on groups are planned before (planner/delete.go).
		e := pgerror.New(pgerror.WrongObjectType, `"%s" is a feature group`, g.Name)
		if hint != "" {
			e.Hint = hint
		}
		return e
	}
	return nil
}

func isSystemSchema(schema string) bool {
	return schema == "feature_store" || schema == duckdb.InternalSchema
}

// rangeVarOf is the relation a dotted name list names ([schema.]name).
func rangeVarOf(names []string) *pg_query.RangeVar {
	rv := &pg_query.RangeVar{Relname: names[len(names)-1]}
	if len(names) > 1 {
		rv.Schemaname = names[len(names)-2]
	}
	return rv
}

func listNames(n *pg_query.Node) []string {
	var out []string
	if l := n.GetList(); l != nil {
		for _, it := range l.Items {
			if s := it.GetString_(); s != nil {
				out = append(out, s.Sval)
			}
		}
	}
	return out
}

// paramRefs lists the $n parameter references of a tree.
func paramRefs(node proto.Message) []*pg_query.ParamRef {
	var out []*pg_query.ParamRef
	sql.Walk(node, func(m proto.Message) bool {
		if pr, ok := m.(*pg_query.ParamRef); ok {
			out = append(out, pr)
		}
		return true
	})
	return out
}
