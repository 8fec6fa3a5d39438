package sql

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// cursor walks one extension statement's tokens. Grammar errors are raised
// with fail (a panic carrying a *pgerror.Error) and turned back into a
// returned error by parseExtension, which keeps the grammar code linear.
type cursor struct {
	text string  // the whole text given to Parse
	toks []token // this statement's tokens
	term *token  // the ';' that ends the statement, nil at end of text
	i    int
}

type parseFailure struct{ err *pgerror.Error }

func (c *cursor) fail(err *pgerror.Error) { panic(parseFailure{err}) }

// peek returns the token n ahead (0: current), nil past the statement.
func (c *cursor) peek(n int) *token {
	if c.i+n < len(c.toks) {
		return &c.toks[c.i+n]
	}
	return nil
}

func (c *cursor) atEnd() bool { return c.i >= len(c.toks) }

func (c *cursor) next() *token {
	t := c.peek(0)
	if t == nil {
		c.failHere()
	}
	c.i++
	return t
}

// after returns the token following toks[i]: the next statement token, the
// terminating ';', or nil at end of text.
func (c *cursor) after(i int) *token {
	if i+1 < len(c.toks) {
		return &c.toks[i+1]
	}
	return c.term
}

// errAt is a syntax error at token t (nil: end of statement).
func (c *cursor) errAt(t *token) *pgerror.Error {
	if t == nil {
		t = c.term
	}
	if t == nil {
		return endOfInputError(c.text)
	}
	return syntaxError(c.text, t)
}

func (c *cursor) failHere() { c.fail(c.errAt(c.peek(0))) }

func (c *cursor) peekWord(w string) bool { return c.peek(0).isWord(w) }

func (c *cursor) acceptWord(w string) bool {
	if c.peekWord(w) {
		c.i++
		return true
	}
	return false
}

func (c *cursor) expectWord(w string) {
	if !c.acceptWord(w) {
		c.failHere()
	}
}

func (c *cursor) acceptPunct(p byte) bool {
	if c.peek(0).isPunct(p) {
		c.i++
		return true
	}
	return false
}

func (c *cursor) expectPunct(p byte) {
	if !c.acceptPunct(p) {
		c.failHere()
	}
}

func (c *cursor) expectEnd() {
	if !c.atEnd() {
		c.failHere()
	}
}

// colID reads a ColId (column or object name).
func (c *cursor) colID() string {
	t := c.peek(0)
	if !t.isColID() {
		c.failHere()
	}
	c.i++
	return identValue(t)
}

// dottedName reads ColId ('.' ColLabel)* and returns the parts and the
// first token.
func (c *cursor) dottedName() ([]string, *token) {
	first := c.peek(0)
	parts := []string{c.colID()}
	for c.peek(0).isPunct('.') {
		c.i++
		t := c.peek(0)
		if !t.isLabel() {
			c.failHere()
		}
		c.i++
		parts = append(parts, identValue(t))
	}
	return parts, first
}

// qualifiedName reads [schema.]name.
func (c *cursor) qualifiedName() QualifiedName {
	parts, first := c.dottedName()
	switch len(parts) {
	case 1:
		return QualifiedName{Name: parts[0]}
	case 2:
		return QualifiedName{Schema: parts[0], Name: parts[1]}
	}
	c.fail(tooManyDots(c.text, parts, first))
	return QualifiedName{}
}

func tooManyDots(text string, parts []string, at *token) *pgerror.Error {
	return pgerror.New(pgerror.SyntaxError, "improper qualified name (too many dotted names): %s", strings.Join(parts, ".")).
		WithPosition(charPos(text, at.start))
}

// stringLit reads a string literal and returns its value.
func (c *cursor) stringLit() string {
	t := c.peek(0)
	if !t.isString() {
		c.failHere()
	}
	v, ok := stringValue(t)
	if !ok {
		c.fail(syntaxError(c.text, t))
	}
	c.i++
	return v
}

// span returns the source text from token i up to (not including) token j.
func (c *cursor) span(i, j int) string {
	if j <= i {
		return ""
	}
	return c.text[c.toks[i].start:c.toks[j-1].end]
}

// balanced reads a parenthesised group and returns the indexes of its
// first inner token and of the closing ')'.
func (c *cursor) balanced() (int, int) {
	c.expectPunct('(')
	start, depth := c.i, 1
	for {
		t := c.peek(0)
		if t == nil {
			c.failHere()
		}
		switch {
		case t.isPunct('('):
			depth++
		case t.isPunct(')'):
			depth--
			if depth == 0 {
				end := c.i
				c.i++
				return start, end
			}
		}
		c.i++
	}
}

// exprUntil reads tokens up to (not including) the first token at
// parenthesis depth 0 for which stop is true, or the end of the statement.
func (c *cursor) exprUntil(stop func(t *token) bool) (int, int) {
	start, depth := c.i, 0
	for t := c.peek(0); t != nil; t = c.peek(0) {
		if depth == 0 && (t.isPunct(',') || t.isPunct(')') || stop(t)) {
			break
		}
		switch {
		case t.isPunct('(') || t.isPunct('['):
			depth++
		case t.isPunct(')') || t.isPunct(']'):
			depth--
		}
		c.i++
	}
	return start, c.i
}

// checkExpr verifies that toks[i:j] is one scalar expression, by parsing
// `SELECT <expr>`, and returns its text.
func (c *cursor) checkExpr(i, j int) string {
	if j <= i {
		c.fail(c.errAt(c.after(i - 1)))
	}
	text := c.span(i, j)
	if err := validateExpr(c.text, text, &c.toks[i], c.after(j-1)); err != nil {
		c.fail(err)
	}
	return text
}

// validateExpr checks that expr, which starts at token first of text,
// parses as a single scalar expression; next is the token after it, for
// errors at its end.
func validateExpr(text, expr string, first, next *token) *pgerror.Error {
	off := first.start
	const prefix = "SELECT "
	res, err := pg_query.Parse(prefix + expr + "\n")
	if err != nil {
		return fragmentError(text, err, prefix, expr, off, next)
	}
	if len(res.Stmts) == 1 {
		sel := res.Stmts[0].Stmt.GetSelectStmt()
		if sel != nil && len(sel.TargetList) == 1 && sel.IntoClause == nil &&
			len(sel.FromClause) == 0 && sel.WhereClause == nil && len(sel.GroupClause) == 0 &&
			sel.HavingClause == nil && len(sel.WindowClause) == 0 && len(sel.SortClause) == 0 &&
			sel.LimitCount == nil && sel.LimitOffset == nil && len(sel.LockingClause) == 0 &&
			sel.WithClause == nil && len(sel.DistinctClause) == 0 && sel.Op == pg_query.SetOperation_SETOP_NONE &&
			sel.TargetList[0].GetResTarget().GetName() == "" {
			return nil
		}
	}
	return syntaxError(text, first)
}
