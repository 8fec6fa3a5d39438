package sql

// CreateSnapshot is CREATE SNAPSHOT [IF NOT EXISTS] s OF g [WITH (...)]:
// pin the group's current rows and schema under the name s.
type CreateSnapshot struct {
	Text        string
	Name        string
	Group       QualifiedName
	IfNotExists bool
	Options     map[string]string
	OptionOrder []string
}

// DropSnapshot is DROP SNAPSHOT [IF EXISTS] s [, ...].
type DropSnapshot struct {
	Text     string
	Names    []string
	IfExists bool
}

func (s *CreateSnapshot) SQL() string { return s.Text }
func (s *DropSnapshot) SQL() string   { return s.Text }

func (c *cursor) createSnapshot() Statement {
	c.expectWord("create")
	c.expectWord("snapshot")
	s := &CreateSnapshot{}
	if c.peekWord("if") && c.peek(1).isWord("not") && c.peek(2).isWord("exists") {
		c.i += 3
		s.IfNotExists = true
	}
	s.Name = c.colID()
	c.expectWord("of")
	if c.acceptWord("feature") {
		c.expectWord("group")
	}
	s.Group = c.qualifiedName()
	if c.acceptWord("with") {
		s.Options, s.OptionOrder = c.options()
	}
	c.expectEnd()
	return s
}

func (c *cursor) dropSnapshot() Statement {
	c.expectWord("drop")
	c.expectWord("snapshot")
	s := &DropSnapshot{}
	if c.peekWord("if") && c.peek(1).isWord("exists") {
		c.i += 2
		s.IfExists = true
	}
	for {
		s.Names = append(s.Names, c.colID())
		if !c.acceptPunct(',') {
			break
		}
	}
	c.expectEnd()
	return s
}
