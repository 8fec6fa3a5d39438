package sql

// Compact is COMPACT [FEATURE GROUP] g [, ...]: merge the groups' small
// Parquet files now.
type Compact struct {
	Text  string
	Names []QualifiedName
}

func (s *Compact) SQL() string { return s.Text }

func (c *cursor) compact() Statement {
	c.expectWord("compact")
	if c.acceptWord("feature") {
		c.expectWord("group")
	}
	s := &Compact{}
	for {
		s.Names = append(s.Names, c.qualifiedName())
		if !c.acceptPunct(',') {
			break
		}
	}
	c.expectEnd()
	return s
}
