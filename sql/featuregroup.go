package sql

// createFeatureGroup: CREATE FEATURE GROUP [IF NOT EXISTS] [schema.]name
// ( coldef | CHECK (expr) , ... ) [WITH ( options )].
func (c *cursor) createFeatureGroup() Statement {
	c.expectWord("create")
	c.expectWord("feature")
	c.expectWord("group")
	s := &CreateFeatureGroup{}
	// IF is an unreserved keyword, so a group may be called "if".
	if c.peekWord("if") && c.peek(1).isWord("not") {
		c.i++
		c.expectWord("not")
		c.expectWord("exists")
		s.IfNotExists = true
	}
	s.Name = c.qualifiedName()
	c.expectPunct('(')
	if !c.acceptPunct(')') {
		for {
			if c.acceptWord("check") {
				a, b := c.balanced()
				s.TableChecks = append(s.TableChecks, trimSpace(c.checkExpr(a, b)))
			} else {
				s.Columns = append(s.Columns, c.columnDef())
			}
			if !c.acceptPunct(',') {
				break
			}
		}
		c.expectPunct(')')
	}
	if c.acceptWord("with") {
		s.Options, s.OptionOrder = c.options()
	}
	c.expectEnd()
	return s
}

// alterFeatureGroup: ALTER FEATURE GROUP [IF EXISTS] g
// ADD FEATURE [IF NOT EXISTS] coldef | SET ( options ) | RENAME FEATURE a TO b.
// COLUMN is accepted for FEATURE, as PostgreSQL users will type it.
func (c *cursor) alterFeatureGroup() Statement {
	c.expectWord("alter")
	c.expectWord("feature")
	c.expectWord("group")
	s := &AlterFeatureGroup{}
	if c.peekWord("if") && c.peek(1).isWord("exists") {
		c.i += 2
		s.IfExists = true
	}
	s.Name = c.qualifiedName()
	switch {
	case c.acceptWord("add"):
		if !c.acceptWord("feature") {
			c.expectWord("column")
		}
		if c.peekWord("if") && c.peek(1).isWord("not") {
			c.i++
			c.expectWord("not")
			c.expectWord("exists")
			s.AddIfNotExists = true
		}
		col := c.columnDef()
		s.AddFeature = &col
	case c.acceptWord("set"):
		s.SetOptions, s.OptionOrder = c.options()
	case c.acceptWord("rename"):
		if !c.acceptWord("feature") {
			c.expectWord("column")
		}
		s.RenameFrom = c.colID()
		c.expectWord("to")
		s.RenameTo = c.colID()
	default:
		c.failHere()
	}
	c.expectEnd()
	return s
}

// dropFeatureGroup: DROP FEATURE GROUP [IF EXISTS] g [, ...] [CASCADE | RESTRICT].
func (c *cursor) dropFeatureGroup() Statement {
	c.expectWord("drop")
	c.expectWord("feature")
	c.expectWord("group")
	s := &DropFeatureGroup{}
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
