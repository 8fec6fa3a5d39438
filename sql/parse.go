package sql

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Parse splits text into statements and parses each one. The whole text is
// checked before anything may run: on any error it returns no statements
// and a *pgerror.Error whose Position counts characters from the start of
// text, as PostgreSQL reports it for a multi-statement query string. Empty
// statements are dropped; empty text gives no statements and no error.
func Parse(text string) (stmts []Statement, err error) {
	defer func() {
		if r := recover(); r != nil {
			stmts, err = nil, internalError(r)
		}
	}()
	if perr := checkEncoding(text); perr != nil {
		return nil, perr
	}
	toks, scanErr := scanTokens(text)
	ranges := splitTokens(toks)
	if scanErr != nil && len(ranges) > 0 && ranges[len(ranges)-1].term < 0 {
		// The statement that the lexical error cut short is not checked.
		ranges = ranges[:len(ranges)-1]
	}
	for _, r := range ranges {
		c := &cursor{text: text, toks: toks[r.from:r.to]}
		if r.term >= 0 {
			c.term = &toks[r.term]
		}
		st, perr := parseStatement(c)
		if perr != nil {
			return nil, perr
		}
		stmts = append(stmts, st)
	}
	if scanErr != nil {
		return nil, scanErr
	}
	return stmts, nil
}

// ParseOne parses text that must hold at most one statement, as a Parse
// message of the extended protocol does. Empty text gives (nil, nil).
func ParseOne(text string) (Statement, error) {
	stmts, err := Parse(text)
	if err != nil {
		return nil, err
	}
	switch len(stmts) {
	case 0:
		return nil, nil
	case 1:
		return stmts[0], nil
	}
	return nil, pgerror.New(pgerror.SyntaxError, "cannot insert multiple commands into a prepared statement")
}

// extensions maps the leading words of a feature-store statement to its
// grammar. The words are matched on tokens, never after a parse error.
var extensions = []struct {
	words []string
	parse func(*cursor) Statement
}{
	{[]string{"create", "feature", "group"}, (*cursor).createFeatureGroup},
	{[]string{"alter", "feature", "group"}, (*cursor).alterFeatureGroup},
	{[]string{"drop", "feature", "group"}, (*cursor).dropFeatureGroup},
	{[]string{"create", "feature", "view"}, (*cursor).createFeatureView},
	{[]string{"drop", "feature", "view"}, (*cursor).dropFeatureView},
	{[]string{"alter", "feature"}, (*cursor).alterFeature},
	{[]string{"comment", "on", "feature"}, (*cursor).commentOn},
	{[]string{"refresh", "online"}, (*cursor).refreshOnline},
	{[]string{"precompute"}, (*cursor).precompute},
	{[]string{"create", "snapshot"}, (*cursor).createSnapshot},
	{[]string{"drop", "snapshot"}, (*cursor).dropSnapshot},
	{[]string{"compact"}, (*cursor).compact},
}

func extensionFor(toks []token) func(*cursor) Statement {
next:
	for _, e := range extensions {
		if len(toks) < len(e.words) {
			continue
		}
		for i, w := range e.words {
			if !toks[i].isWord(w) {
				continue next
			}
		}
		return e.parse
	}
	return nil
}

// parseStatement parses one statement's tokens; grammar failures raised
// with cursor.fail come back as the returned error.
func parseStatement(c *cursor) (st Statement, err *pgerror.Error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(parseFailure)
			if !ok {
				panic(r)
			}
			st, err = nil, f.err
		}
	}()
	if parse := extensionFor(c.toks); parse != nil {
		st = parse(c)
		setText(st, c.span(0, len(c.toks)))
		return st, nil
	}
	return c.query(), nil
}

func setText(st Statement, text string) {
	switch s := st.(type) {
	case *CreateFeatureGroup:
		s.Text = text
	case *AlterFeatureGroup:
		s.Text = text
	case *DropFeatureGroup:
		s.Text = text
	case *AlterFeature:
		s.Text = text
	case *CommentOn:
		s.Text = text
	case *RefreshOnline:
		s.Text = text
	case *Precompute:
		s.Text = text
	case *CreateFeatureView:
		s.Text = text
	case *DropFeatureView:
		s.Text = text
	case *CreateSnapshot:
		s.Text = text
	case *DropSnapshot:
		s.Text = text
	case *Compact:
		s.Text = text
	}
}

// query handles every statement of PostgreSQL's grammar: AS OF clauses are
// rewritten away, then pg_query parses the result.
func (c *cursor) query() *Query {
	base := c.toks[0].start
	q := &Query{Original: c.span(0, len(c.toks)), Offset: charPos(c.text, base) - 1}
	var edits []edit
	q.Text, q.AsOf, q.Versions, edits = rewriteAsOf(c.text, q.Original, base, c.findAsOf())
	if len(c.toks) > 1 && c.toks[0].isWord("erase") && c.toks[1].isWord("from") {
		// ERASE FROM g ... is parsed as the DELETE it is spelled like.
		q.Erase = true
		n := c.toks[0].end - base
		q.Text = "DELETE" + q.Text[n:]
		shift := len("DELETE") - n
		edits = append([]edit{{start: 0, end: n, insert: "DELETE"}}, edits...)
		for i := range q.AsOf {
			q.AsOf[i].Start += shift
			q.AsOf[i].End += shift
		}
		for i := range q.Versions {
			q.Versions[i].Start += shift
			q.Versions[i].End += shift
		}
	}
	if len(c.toks) > 1 && (c.toks[0].isWord("grant") || c.toks[0].isWord("revoke")) {
		q.Text, q.GrantObject = grantOnFeature(c.toks, q.Text, base)
	}
	tree, err := pg_query.Parse(q.Text)
	if err != nil {
		c.fail(c.queryError(err, q.Text, base, edits))
	}
	if len(tree.Stmts) != 1 {
		c.fail(pgerror.New(pgerror.SyntaxError, "syntax error at or near \"%s\"", c.toks[0].text).
			WithPosition(charPos(c.text, base)))
	}
	q.Tree = tree
	return q
}

// queryError positions pg_query's error on the rewritten statement in the
// whole text. "At end of input" becomes "at or near ";"" when a semicolon
// ended the statement, since PostgreSQL parses the whole string at once.
func (c *cursor) queryError(err error, rewritten string, base int, edits []edit) *pgerror.Error {
	pe, ok := err.(*parser.Error)
	if !ok {
		return pgerror.Wrap(err)
	}
	if strings.Contains(pe.Message, "at end of input") {
		return c.errAt(nil)
	}
	e := pgerror.New(codeForMessage(pe.Message), "%s", pe.Message)
	if pe.Cursorpos > 0 {
		off := originalOffset(edits, byteOffset(rewritten, pe.Cursorpos))
		e.Position = charPos(c.text, base+off)
	}
	return e
}

// grantOnFeature turns GRANT/REVOKE ... ON FEATURE GROUP g (or FEATURE
// VIEW v, or ALL FEATURE GROUPS IN SCHEMA s) into PostgreSQL's ON TABLE,
// padded to the same length so that error positions stay right. It
// returns the text and "feature group" or "feature view" ("" when the
// statement names neither).
func grantOnFeature(toks []token, text string, base int) (string, string) {
	for i := 0; i+2 < len(toks); i++ {
		if !toks[i].isWord("on") {
			continue
		}
		j := i + 1
		all := toks[j].isWord("all")
		if all {
			j++
		}
		if j+1 >= len(toks) || !toks[j].isWord("feature") {
			return text, ""
		}
		kind := ""
		switch {
		case !all && toks[j+1].isWord("group"), all && toks[j+1].isWord("groups"):
			kind = "feature group"
		case !all && toks[j+1].isWord("view"), all && toks[j+1].isWord("views"):
			kind = "feature view"
		default:
			return text, ""
		}
		start, end := toks[j].start-base, toks[j+1].end-base
		word := "TABLE"
		if all {
			word = "TABLES"
		}
		return text[:start] + word + strings.Repeat(" ", end-start-len(word)) + text[end:], kind
	}
	return text, ""
}
