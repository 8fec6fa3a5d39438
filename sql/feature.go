package sql

import (
	"strings"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// featureStatuses are the values of SET STATUS, in lifecycle order.
var featureStatuses = []string{"draft", "active", "deprecated", "retired"}

// featureName reads [schema.]group.feature.
func (c *cursor) featureName() (QualifiedName, string) {
	parts, first := c.dottedName()
	switch len(parts) {
	case 1:
		c.fail(pgerror.New(pgerror.SyntaxError, "feature name \"%s\" must be qualified by its feature group", parts[0]).
			WithHint("Write group.feature, or schema.group.feature.").
			WithPosition(charPos(c.text, first.start)))
	case 2:
		return QualifiedName{Name: parts[0]}, parts[1]
	case 3:
		return QualifiedName{Schema: parts[0], Name: parts[1]}, parts[2]
	}
	c.fail(tooManyDots(c.text, parts, first))
	return QualifiedName{}, ""
}

// alterFeature: ALTER FEATURE [schema.]g.f SET STATUS s | SET DESCRIPTION 'd'
// | SET CHECK (expr) | DROP CHECK | SET DATA TYPE t (or TYPE t, as in
// PostgreSQL's ALTER COLUMN).
func (c *cursor) alterFeature() Statement {
	c.expectWord("alter")
	c.expectWord("feature")
	s := &AlterFeature{}
	s.Group, s.Feature = c.featureName()
	switch {
	case c.acceptWord("set"):
		switch {
		case c.acceptWord("status"):
			t := c.peek(0)
			if !t.isLabel() {
				c.failHere()
			}
			c.i++
			s.Status = identValue(t)
			if !isStatus(s.Status) {
				c.fail(pgerror.New(pgerror.InvalidParameterValue, "invalid feature status \"%s\"", s.Status).
					WithHint("Allowed values are %s.", strings.Join(featureStatuses, ", ")).
					WithPosition(charPos(c.text, t.start)))
			}
		case c.acceptWord("description"):
			d := c.stringLit()
			s.Description = &d
		case c.acceptWord("check"):
			a, b := c.balanced()
			e := trimSpace(c.checkExpr(a, b))
			s.Check = &e
		case c.acceptWord("data"):
			c.expectWord("type")
			s.DataType = c.restType()
		case c.acceptWord("masked"):
			// SET MASKED WITH (function = 'hash' | 'null' | 'partial')
			c.expectWord("with")
			start := c.peek(0).start
			opts, _ := c.options()
			fn, ok := opts["function"]
			if !ok || len(opts) != 1 {
				c.fail(pgerror.New(pgerror.SyntaxError, "SET MASKED WITH takes one option, function").
					WithHint("For example SET MASKED WITH (function = 'hash'); the functions are %s.", strings.Join(MaskFunctions, ", ")).
					WithPosition(charPos(c.text, start)))
			}
			fn = strings.ToLower(fn)
			if !isMaskFunction(fn) {
				c.fail(pgerror.New(pgerror.InvalidParameterValue, "invalid masking function \"%s\"", fn).
					WithHint("The functions are %s.", strings.Join(MaskFunctions, ", ")).
					WithPosition(charPos(c.text, start)))
			}
			s.Mask = &fn
		default:
			c.failHere()
		}
	case c.acceptWord("drop"):
		if c.acceptWord("masked") {
			none := ""
			s.Mask = &none
			break
		}
		c.expectWord("check")
		s.DropCheck = true
	case c.acceptWord("type"):
		s.DataType = c.restType()
	default:
		c.failHere()
	}
	c.expectEnd()
	return s
}

// restType reads a type that runs to the end of the statement.
func (c *cursor) restType() *TypeName {
	i := c.i
	c.i = len(c.toks)
	t := c.typeName(i, c.i)
	return &t
}

func isStatus(s string) bool {
	for _, v := range featureStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// commentOn: COMMENT ON FEATURE GROUP g IS 'text' | NULL and
// COMMENT ON FEATURE [schema.]g.f IS 'text' | NULL.
func (c *cursor) commentOn() Statement {
	c.expectWord("comment")
	c.expectWord("on")
	c.expectWord("feature")
	s := &CommentOn{}
	if c.acceptWord("group") {
		s.Group = c.qualifiedName()
	} else {
		s.Group, s.Feature = c.featureName()
	}
	c.expectWord("is")
	if !c.acceptWord("null") {
		v := c.stringLit()
		s.Comment = &v
	}
	c.expectEnd()
	return s
}

func trimSpace(s string) string { return strings.TrimSpace(s) }

// MaskFunctions are the masking functions of SET MASKED WITH (function = ...).
var MaskFunctions = []string{"hash", "null", "partial"}

func isMaskFunction(fn string) bool {
	for _, m := range MaskFunctions {
		if fn == m {
			return true
		}
	}
	return false
}
