package sql

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// CreateFeatureView is CREATE FEATURE VIEW [IF NOT EXISTS] [schema.]v AS
// SELECT ... [WITH (options)]. The options may also stand before AS, as in
// PostgreSQL's CREATE VIEW v WITH (...) AS.
type CreateFeatureView struct {
	Text        string
	Name        QualifiedName
	IfNotExists bool
	// Query is the definition, parsed like any statement; it is a SELECT
	// without AS OF clauses (the time is given when the view is read).
	Query *Query
	// Options are the WITH (...) options, as for CREATE FEATURE GROUP.
	Options     map[string]string
	OptionOrder []string
}

// DropFeatureView is DROP FEATURE VIEW [IF EXISTS] v [, ...] [CASCADE | RESTRICT].
type DropFeatureView struct {
	Text     string
	Names    []QualifiedName
	IfExists bool
	Cascade  bool
}

func (s *CreateFeatureView) SQL() string { return s.Text }
func (s *DropFeatureView) SQL() string   { return s.Text }

func (c *cursor) createFeatureView() Statement {
	c.expectWord("create")
	c.expectWord("feature")
	c.expectWord("view")
	s := &CreateFeatureView{}
	if c.peekWord("if") && c.peek(1).isWord("not") {
		c.i++
		c.expectWord("not")
		c.expectWord("exists")
		s.IfNotExists = true
	}
	s.Name = c.qualifiedName()
	if c.acceptWord("with") {
		s.Options, s.OptionOrder = c.options()
	}
	if !c.peek(0).is(pg_query.Token_AS) {
		c.failHere()
	}
	c.i++
	first := c.i
	end := c.trailingOptions(first)
	if end == first {
		c.failHere()
	}
	sub := &cursor{text: c.text, toks: c.toks[first:end], term: c.after(end - 1)}
	s.Query = sub.query()
	if len(s.Query.AsOf) > 0 {
		a := s.Query.AsOf[0]
		c.fail(pgerror.New(pgerror.FeatureNotSupported, "a feature view definition cannot use AS OF").
			WithHint("The time is given when the view is read: SELECT ... FROM view AS OF t.").
			WithPosition(a.ExprPosition + s.Query.Offset))
	}
	if s.Query.Tree.Stmts[0].Stmt.GetSelectStmt() == nil {
		c.fail(syntaxError(c.text, &c.toks[first]))
	}
	c.i = end
	if c.acceptWord("with") {
		if s.Options != nil {
			c.fail(pgerror.New(pgerror.SyntaxError, "WITH options specified more than once").
				WithPosition(charPos(c.text, c.toks[c.i-1].start)))
		}
		s.Options, s.OptionOrder = c.options()
	}
	c.expectEnd()
	return s
}

// trailingOptions returns the index of the `WITH (` that ends the view's
// query (len(toks) when there is none). Inside a SELECT, WITH at depth 0
// only starts a CTE list, and then it is the query's first word and is
// followed by a name, never by a parenthesis.
func (c *cursor) trailingOptions(first int) int {
	depth := 0
	for i := first; i < len(c.toks); i++ {
		t := &c.toks[i]
		switch {
		case t.isPunct('(') || t.isPunct('['):
			depth++
		case t.isPunct(')') || t.isPunct(']'):
			depth--
		case depth == 0 && i > first && t.is(pg_query.Token_WITH) && i+1 < len(c.toks) && c.toks[i+1].isPunct('('):
			return i
		}
	}
	return len(c.toks)
}

func (c *cursor) dropFeatureView() Statement {
	c.expectWord("drop")
	c.expectWord("feature")
	c.expectWord("view")
	s := &DropFeatureView{}
	if c.peekWord("if") && c.peek(1).isWord("exists") {
		c.i += 2
		s.IfExists = true
	}
	for {
		s.Names = append(s.Names, c.qualifiedName())
		if !c.acceptPunct(',') {
			break
		}
	}
	if c.acceptWord("cascade") {
		s.Cascade = true
	} else {
		c.acceptWord("restrict")
	}
	c.expectEnd()
	return s
}
