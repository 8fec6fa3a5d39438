package planner

import (
	"context"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
)

// PostgreSQL writes a one-dimensional array as '{1,2,3}', DuckDB a list as
// '[1,2,3]'; inside the brackets both use the same rules (double quotes,
// backslash escapes, unquoted NULL), so swapping the outer braces converts
// one into the other. These helpers apply that swap wherever text meets an
// array column: string literals in INSERT ... VALUES and casts, and the
// text of COPY fields.

// isListType reports a DuckDB LIST or ARRAY type name ("FLOAT[]", "FLOAT[4]").
func isListType(duckType string) bool { return strings.HasSuffix(duckType, "]") }

// pgArrayToList converts PostgreSQL's array text to DuckDB's list text; ok
// is false for text that is not in braces.
func pgArrayToList(s string) (string, bool) {
	t := strings.TrimSpace(s)
	if len(t) < 2 || t[0] != '{' || t[len(t)-1] != '}' {
		return s, false
	}
	return "[" + t[1:len(t)-1] + "]", true
}

// castText is the SQL casting the text expression expr to duckType, reading
// PostgreSQL's array syntax for list types.
func castText(expr, duckType string) string {
	return castTextWith("CAST", expr, duckType)
}

func castTextWith(fn, expr, duckType string) string {
	if isListType(duckType) {
		expr = `regexp_replace(` + expr + `, '^\s*\{(.*)\}\s*$', '[\1]', 's')`
	}
	return fn + "(" + expr + " AS " + duckType + ")"
}

// arrayCastEdits rewrites '{...}'::T[] (and CAST('{...}' AS T[])) literals
// anywhere in the statement to DuckDB's list text.
func arrayCastEdits(text string, node proto.Message) []edit {
	var edits []edit
	sql.Walk(node, func(m proto.Message) bool {
		tc, ok := m.(*pg_query.TypeCast)
		if !ok || tc.TypeName == nil || len(tc.TypeName.ArrayBounds) == 0 {
			return true
		}
		if e, ok := arrayLiteralEdit(text, tc.Arg); ok {
			edits = append(edits, e)
		}
		return true
	})
	return edits
}

// arrayLiteralEdit converts n when it is a string constant in braces.
func arrayLiteralEdit(text string, n *pg_query.Node) (edit, bool) {
	c := n.GetAConst()
	if c == nil || c.GetSval() == nil {
		return edit{}, false
	}
	list, ok := pgArrayToList(c.GetSval().Sval)
	if !ok {
		return edit{}, false
	}
	start, end := sql.TokenSpan(text, c.Location)
	if start < 0 {
		return edit{}, false
	}
	return edit{start: start, end: end, text: duckdb.QuoteString(list)}, true
}

// insertArrayEdits rewrites the string constants of INSERT ... VALUES that
// go into list columns. colType gives the DuckDB type of the i-th target
// column ("" when unknown).
func insertArrayEdits(text string, ins *pg_query.InsertStmt, colType func(i int) string) []edit {
	sel := ins.GetSelectStmt().GetSelectStmt()
	if sel == nil || len(sel.ValuesLists) == 0 {
		return nil
	}
	var edits []edit
	for _, row := range sel.ValuesLists {
		for i, v := range row.GetList().GetItems() {
			if !isListType(colType(i)) {
				continue
			}
			if e, ok := arrayLiteralEdit(text, v); ok {
				edits = append(edits, e)
			}
		}
	}
	return edits
}

// hasBraceLiteral reports a VALUES string constant in braces: only then is
// it worth looking up a plain table's column types.
func hasBraceLiteral(ins *pg_query.InsertStmt) bool {
	sel := ins.GetSelectStmt().GetSelectStmt()
	if sel == nil {
		return false
	}
	for _, row := range sel.ValuesLists {
		for _, v := range row.GetList().GetItems() {
			if c := v.GetAConst(); c != nil && c.GetSval() != nil {
				if _, ok := pgArrayToList(c.GetSval().Sval); ok {
					return true
				}
			}
		}
	}
	return false
}

// tableInsertArrayEdits looks up the target table's column types (through
// DuckDB, as the statement names it) and rewrites array literals for them.
func (s *Session) tableInsertArrayEdits(ctx context.Context, text string, ins *pg_query.InsertStmt) []edit {
	if ins.Relation == nil || !hasBraceLiteral(ins) {
		return nil
	}
	start, end := sql.RelationSpan(text, ins.Relation.Location)
	if start < 0 {
		return nil
	}
	stmt, err := s.conn.Prepare(ctx, "SELECT * FROM "+text[start:end]+" LIMIT 0")
	if err != nil {
		return nil
	}
	defer stmt.Close()
	cols, ok := stmt.Columns()
	if !ok {
		return nil
	}
	byName := map[string]string{}
	for _, c := range cols {
		byName[strings.ToLower(c.Name)] = c.Type
	}
	return insertArrayEdits(text, ins, func(i int) string {
		if len(ins.Cols) == 0 {
			if i < len(cols) {
				return cols[i].Type
			}
			return ""
		}
		if i < len(ins.Cols) {
			return byName[strings.ToLower(ins.Cols[i].GetResTarget().GetName())]
		}
		return ""
	})
}
