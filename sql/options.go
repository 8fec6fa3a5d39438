package sql

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// options reads `( key [= value] , ... )`. Keys are folded like identifiers;
// a string value loses its quotes; numbers are kept as written (with their
// sign); words (true, off, month...) are folded; a key without a value is
// "true", as in PostgreSQL's WITH (...) storage options.
func (c *cursor) options() (map[string]string, []string) {
	opts := map[string]string{}
	var order []string
	c.expectPunct('(')
	for {
		kt := c.peek(0)
		if !kt.isLabel() {
			c.failHere()
		}
		c.i++
		key := identValue(kt)
		if _, dup := opts[key]; dup {
			c.fail(pgerror.New(pgerror.SyntaxError, "option \"%s\" specified more than once", key).
				WithPosition(charPos(c.text, kt.start)))
		}
		val := "true"
		if c.acceptPunct('=') {
			val = c.optionValue()
		}
		opts[key] = val
		order = append(order, key)
		if !c.acceptPunct(',') {
			break
		}
	}
	c.expectPunct(')')
	return opts, order
}

func (c *cursor) optionValue() string {
	t := c.peek(0)
	switch {
	case t.isString():
		return c.stringLit()
	case t.isPunct('-') || t.isPunct('+'):
		n := c.peek(1)
		if !n.is(pg_query.Token_ICONST) && !n.is(pg_query.Token_FCONST) {
			c.i++
			c.failHere()
		}
		c.i += 2
		if t.isPunct('-') {
			return "-" + n.text
		}
		return n.text
	case t.is(pg_query.Token_ICONST) || t.is(pg_query.Token_FCONST):
		c.i++
		return t.text
	case t.isLabel():
		c.i++
		return identValue(t)
	}
	c.failHere()
	return ""
}
