package sql

// RefreshOnline is REFRESH ONLINE [FEATURE GROUP] g: rebuild the group's
// online records from its offline data.
type RefreshOnline struct {
	Text string
	Name QualifiedName
}

// Precompute is PRECOMPUTE [FEATURE GROUP] g [WHERE cond]: load the current
// records of the group's entities (those matching cond, a condition on the
// group's columns) into the serving cache.
type Precompute struct {
	Text  string
	Name  QualifiedName
	Where string // condition text, "" for every entity
}

func (s *RefreshOnline) SQL() string { return s.Text }
func (s *Precompute) SQL() string    { return s.Text }

func (c *cursor) refreshOnline() Statement {
	c.expectWord("refresh")
	c.expectWord("online")
	if c.acceptWord("feature") {
		c.expectWord("group")
	}
	s := &RefreshOnline{Name: c.qualifiedName()}
	c.expectEnd()
	return s
}

func (c *cursor) precompute() Statement {
	c.expectWord("precompute")
	if c.acceptWord("feature") {
		c.expectWord("group")
	}
	s := &Precompute{Name: c.qualifiedName()}
	if c.acceptWord("where") {
		s.Where = c.checkExpr(c.i, len(c.toks))
		c.i = len(c.toks)
	}
	c.expectEnd()
	return s
}
