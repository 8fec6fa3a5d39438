package sql

import (
	"strings"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// constraintWords end a column's type and start its constraints. Words
// PostgreSQL would accept there but we do not (PRIMARY, COLLATE...) end the
// type too, so that the error points at them.
var constraintWords = []string{
	"entity", "event", "not", "null", "feature", "check", "default",
	"primary", "unique", "references", "collate", "constraint", "generated",
}

func isConstraintWord(t *token) bool {
	for _, w := range constraintWords {
		if t.isWord(w) {
			return true
		}
	}
	return false
}

// columnDef reads `name type [ENTITY KEY] [EVENT TIME] [NOT NULL] [NULL]
// [FEATURE TYPE word] [CHECK (expr)] [DEFAULT expr]`, constraints in any order.
func (c *cursor) columnDef() ColumnDef {
	col := ColumnDef{Name: c.colID()}
	i, j := c.exprUntil(isConstraintWord)
	col.Type = c.typeName(i, j)
	var nullTok, notNullTok, defaultTok, featureTypeTok *token
	for !c.atEnd() && !c.peek(0).isPunct(',') && !c.peek(0).isPunct(')') {
		t := c.peek(0)
		switch {
		case c.acceptWord("entity"):
			c.expectWord("key")
			col.EntityKey = true
		case c.acceptWord("event"):
			c.expectWord("time")
			col.EventTime = true
		case c.acceptWord("not"):
			c.expectWord("null")
			col.NotNull, notNullTok = true, t
		case c.acceptWord("null"):
			nullTok = t
		case c.acceptWord("feature"):
			c.expectWord("type")
			if featureTypeTok != nil {
				c.fail(pgerror.New(pgerror.SyntaxError, "multiple feature types specified for column \"%s\"", col.Name).
					WithPosition(charPos(c.text, t.start)))
			}
			w := c.peek(0)
			if !w.isLabel() {
				c.failHere()
			}
			c.i++
			col.FeatureType, featureTypeTok = identValue(w), w
		case c.acceptWord("check"):
			a, b := c.balanced()
			col.Checks = append(col.Checks, strings.TrimSpace(c.checkExpr(a, b)))
		case c.acceptWord("default"):
			if defaultTok != nil {
				c.fail(pgerror.New(pgerror.SyntaxError, "multiple default values specified for column \"%s\"", col.Name).
					WithPosition(charPos(c.text, t.start)))
			}
			defaultTok = t
			a, b := c.exprUntil(isConstraintWord)
			col.Default = c.checkExpr(a, b)
		default:
			c.failHere()
		}
	}
	if nullTok != nil && notNullTok != nil {
		c.fail(pgerror.New(pgerror.SyntaxError, "conflicting NULL/NOT NULL declarations for column \"%s\"", col.Name).
			WithPosition(charPos(c.text, max(nullTok.start, notNullTok.start))))
	}
	return col
}
