package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/types"
)

// Masking: a feature set MASKED WITH (function = ...) is read through its
// masking function by every role that is not a superuser, not the
// group's owner (or a member of it) and holds no UNMASK privilege on the
// group or the feature. Offline, the group's rows are wrapped in
// SELECT * REPLACE (mask(f) AS f) wherever a statement reads them (plain
// reads, AS OF, point-in-time joins, snapshots, COPY); online, the
// lookup applies the same functions to the decoded values, so both
// answer the same. Views and feature views run with their owner's
// rights: one whose owner may not unmask a feature it reads is refused
// (privileges.go), so masking never depends on who reads a view.
//
//   hash     sha256 of the value's text, as lowercase hex (text result)
//   null     NULL of the feature's type
//   partial  text with all but its last 4 characters replaced by 'x'

// maskedFeatures maps the features of g the current role reads masked to
// their masking function (nil: none).
func (s *Session) maskedFeatures(g *catalog.Group) map[string]string {
	var out map[string]string
	checked := false
	role := s.currentRole()
	for _, f := range g.Features {
		if f.Mask == "" || f.Status == catalog.Retired {
			continue
		}
		if !checked {
			checked = true
			if s.roleIsSuper(role) || g.Owner != "" && s.p.catalog.IsMemberOf(role, g.Owner, true) {
				return nil
			}
		}
		if s.mayUnmask(role, g, f.Name) {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[f.Name] = f.Mask
	}
	return out
}

// mayUnmask: role holds UNMASK on the group or on the feature.
func (s *Session) mayUnmask(role string, g *catalog.Group, feature string) bool {
	pc := s.newPrivCheck(role, 0)
	return pc.relPriv(groupRelation(g), "UNMASK", feature)
}

// maskSQL is the masking function applied to column col of type duckType.
func maskSQL(fn, col, duckType string) string {
	switch fn {
	case "hash":
		return "sha256(CAST(" + col + " AS VARCHAR))"
	case "partial":
		return "CASE WHEN length(" + col + ") <= 4 THEN repeat('x', length(" + col + ")) ELSE repeat('x', length(" + col + ") - 4) || right(" + col + ", 4) END"
	}
	return "CAST(NULL AS " + duckType + ")"
}

// maskedRelationSQL wraps a relation holding g's columns (and maybe its
// hidden ones) so that the masked features read masked.
func maskedRelationSQL(g *catalog.Group, masks map[string]string, inner string) string {
	if len(masks) == 0 {
		return inner
	}
	var repl []string
	for _, f := range g.Features {
		if fn, ok := masks[f.Name]; ok {
			repl = append(repl, maskSQL(fn, quoteIdent(f.Name), f.DuckDBType)+" AS "+quoteIdent(f.Name))
		}
	}
	sort.Strings(repl)
	return "(SELECT * REPLACE (" + strings.Join(repl, ", ") + ") FROM " + inner + ")"
}

// maskEdits wraps the feature groups a statement reads by name (not the
// ones it writes, nor those AS OF and VERSION rewrite, which mask their
// own text) in their masked form.
func (s *Session) maskEdits(q *sql.Query, taken []edit) []edit {
	if q.Tree == nil || len(q.Tree.Stmts) == 0 || s.isSuperuser() {
		return nil // superusers read every feature unmasked: no walk
	}
	node := q.Tree.Stmts[0].Stmt
	if node.GetViewStmt() != nil {
		return nil // a view's owner may unmask what it reads (privileges.go)
	}
	targets := map[*pg_query.RangeVar]bool{}
	switch n := node.Node.(type) {
	case *pg_query.Node_InsertStmt:
		targets[n.InsertStmt.Relation] = true
	case *pg_query.Node_UpdateStmt:
		targets[n.UpdateStmt.Relation] = true
	case *pg_query.Node_DeleteStmt:
		targets[n.DeleteStmt.Relation] = true
	case *pg_query.Node_CopyStmt:
		targets[n.CopyStmt.Relation] = true
	}
	var edits []edit
	for _, rv := range sql.RangeVars(q.Tree) {
		if targets[rv] {
			continue
		}
		g := s.lookupGroup(sql.QualifiedName{Schema: rv.Schemaname, Name: rv.Relname})
		if g == nil {
			continue
		}
		masks := s.maskedFeatures(g)
		if len(masks) == 0 {
			continue
		}
		start, end := sql.RelationSpan(q.Text, rv.Location)
		if start < 0 {
			continue
		}
		inside := false
		for _, e := range taken {
			if start < e.end && e.start < end || start == e.start && end == e.end {
				inside = true
				break
			}
		}
		if inside {
			continue
		}
		text := maskedRelationSQL(g, masks, quoteIdent(g.Schema)+"."+quoteIdent(g.Name))
		if rv.Alias == nil {
			text += " AS " + quoteIdent(rv.Relname)
		}
		edits = append(edits, edit{start: start, end: end, text: text})
	}
	return edits
}

// onlineMask applies masks to an online lookup's output columns: the
// function per column (nil: none) and the column types it changes.
func (l *onlineLookup) applyMasks() {
	masks := l.s.maskedFeatures(l.g)
	if len(masks) == 0 {
		return
	}
	l.masks = make([]func(any) any, len(l.proj))
	for i, f := range l.proj {
		feat := l.g.Features[f]
		fn, ok := masks[feat.Name]
		if !ok {
			continue
		}
		l.masks[i] = maskValue(fn)
		if fn == "hash" {
			l.cols[i].Type = types.FromDuckDB("VARCHAR")
		}
	}
}

// maskValue is the Go twin of maskSQL, for online lookups.
func maskValue(fn string) func(any) any {
	switch fn {
	case "hash":
		return func(v any) any {
			if v == nil {
				return nil
			}
			sum := sha256.Sum256([]byte(fmt.Sprint(v)))
			return hex.EncodeToString(sum[:])
		}
	case "partial":
		return func(v any) any {
			str, ok := v.(string)
			if !ok {
				return nil
			}
			n := utf8.RuneCountInString(str)
			if n <= 4 {
				return strings.Repeat("x", n)
			}
			r := []rune(str)
			return strings.Repeat("x", n-4) + string(r[n-4:])
		}
	}
	return func(any) any { return nil }
}

// maskedSnapshot wraps a snapshot's view, whose columns are the group's
// at the snapshot (a feature since renamed or dropped is not masked by
// the group's current options unless it still has its name).
func (s *Session) maskedSnapshot(g *catalog.Group, cols []string, view string) string {
	masks := s.maskedFeatures(g)
	for name := range masks {
		if !contains(cols, name) {
			delete(masks, name)
		}
	}
	return maskedRelationSQL(g, masks, view)
}
