package sql

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// canonicalTypes maps PostgreSQL's internal type names to the names
// format_type shows.
var canonicalTypes = map[string]string{
	"int4":        "integer",
	"int8":        "bigint",
	"int2":        "smallint",
	"float4":      "real",
	"float8":      "double precision",
	"bool":        "boolean",
	"varchar":     "character varying",
	"timestamptz": "timestamp with time zone",
	"timestamp":   "timestamp without time zone",
	"time":        "time without time zone",
	"timetz":      "time with time zone",
	"varbit":      "bit varying",
	"decimal":     "numeric",
	"char":        `"char"`,
}

// typeName parses the type written as toks[i:j]. PostgreSQL's grammar does
// the work: the tokens are parsed as the column type of a CREATE TABLE.
func (c *cursor) typeName(i, j int) TypeName {
	if j <= i {
		c.failHere()
	}
	text := c.span(i, j)
	const prefix = "CREATE TABLE t (c "
	res, err := pg_query.Parse(prefix + text + "\n)")
	if err != nil {
		c.fail(fragmentError(c.text, err, prefix, text, c.toks[i].start, c.after(j-1)))
	}
	var tn *pg_query.TypeName
	if len(res.Stmts) == 1 {
		if cs := res.Stmts[0].Stmt.GetCreateStmt(); cs != nil && len(cs.TableElts) == 1 {
			if cd := cs.TableElts[0].GetColumnDef(); cd != nil && len(cd.Constraints) == 0 && cd.CollClause == nil {
				tn = cd.TypeName
			}
		}
	}
	if tn == nil || tn.Setof || tn.PctType {
		c.fail(syntaxError(c.text, &c.toks[i]))
	}
	out := TypeName{Text: text}
	var names []string
	for _, n := range tn.Names {
		names = append(names, n.GetString_().GetSval())
	}
	if len(names) == 2 && names[0] == "pg_catalog" {
		names = names[1:]
	}
	name := strings.Join(names, ".")
	if canon, ok := canonicalTypes[name]; ok {
		name = canon
	}
	for _, m := range tn.Typmods {
		ac := m.GetAConst()
		if ac == nil || ac.GetIval() == nil {
			c.fail(pgerror.New(pgerror.InvalidParameterValue, "type modifiers must be simple constants or identifiers").
				WithPosition(charPos(c.text, c.toks[i].start)))
		}
		out.Modifiers = append(out.Modifiers, ac.GetIval().Ival)
	}
	if name == "bpchar" && len(out.Modifiers) > 0 {
		name = "character" // CHAR(n); a bare bpchar stays bpchar, as format_type shows it
	}
	out.Name = name
	for _, b := range tn.ArrayBounds {
		out.ArrayBounds = append(out.ArrayBounds, b.GetInteger().GetIval())
	}
	return out
}
