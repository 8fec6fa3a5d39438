package sql

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// asOfMatch is one `relation AS OF expr [[AS] alias]` found in the tokens.
// Byte offsets are into the whole text.
type asOfMatch struct {
	rel                  QualifiedName
	relStart, relEnd     int
	expr                 string
	exprStart, exprEnd   int
	alias                string
	aliasStart, aliasEnd int // -1 when there is no alias
	knownAt              string
	knownStart           int // -1 when there is no KNOWN AT
	clauseEnd            int // end of the last token of the time expressions
	// version is the snapshot of `relation VERSION 'name'` (then expr is
	// empty: the match is a VERSION clause, not an AS OF).
	version    string
	isVersion  bool
	versionPos int // byte offset of the name's literal
}

// asOfStopWords end an AS OF expression at parenthesis depth 0.
var asOfStopWords = []string{
	"join", "inner", "left", "right", "full", "cross", "natural", "where",
	"group", "order", "limit", "offset", "on", "using", "having", "window",
	"union", "except", "intersect", "fetch", "for", "returning", "qualify",
	"as", "version", "known", "tablesample",
}

var joinWords = []string{"join", "left", "right", "inner", "full", "cross", "natural"}

// fromEnders end a FROM list at their parenthesis depth: a comma after them
// no longer introduces a relation.
var fromEnders = []string{
	"where", "group", "having", "window", "order", "limit", "offset", "fetch",
	"for", "union", "except", "intersect", "returning", "select", "values",
	"into", "qualify", "set",
}

func isAnyWord(t *token, words []string) bool {
	for _, w := range words {
		if t.isWord(w) {
			return true
		}
	}
	return false
}

// findAsOf finds every AS OF clause that follows a relation name in a FROM
// list (after FROM, JOIN, USING, or a comma of the list). `x AS of`
// elsewhere (a column alias named "of") is left alone.
func (c *cursor) findAsOf() []asOfMatch {
	var out []asOfMatch
	toks := c.toks
	inFrom := []bool{false} // per parenthesis depth
	for i := 0; i < len(toks); i++ {
		t := &toks[i]
		top := len(inFrom) - 1
		switch {
		case t.isPunct('('):
			inFrom = append(inFrom, false)
		case t.isPunct(')'):
			if top > 0 {
				inFrom = inFrom[:top]
			}
		case t.isWord("from") || t.isWord("using"):
			inFrom[top] = true
		case isAnyWord(t, fromEnders):
			inFrom[top] = false
		case t.isWord("asof") && i+1 < len(toks) && isAnyWord(&toks[i+1], joinWords):
			// PostgreSQL would take DuckDB's `t ASOF JOIN u` as an alias
			// "asof" and run a plain join: refuse it instead.
			c.fail(pgerror.New(pgerror.FeatureNotSupported, "ASOF JOIN is not supported").
				WithHint("Write JOIN g AS OF l.ts alias USING (key) for a point-in-time join.").
				WithPosition(charPos(c.text, t.start)))
		case t.isWord("version") && i+1 < len(toks) && toks[i+1].isString():
			if m, ok := c.versionAt(i, inFrom[top]); ok {
				out = append(out, m)
				i = c.i - 1
			}
		case t.id == pg_query.Token_AS && i+1 < len(toks) && toks[i+1].id == pg_query.Token_OF:
			if m, ok := c.asOfAt(i, inFrom[top]); ok {
				out = append(out, m)
				i = c.i - 1 // continue after the clause
			}
		case inFrom[top] && isKnownAt(toks, i):
			// PostgreSQL would read `g KNOWN AT t` as an alias "known" and
			// fail at AT: say what is missing instead.
			c.fail(pgerror.New(pgerror.SyntaxError, "KNOWN AT must follow an AS OF clause").
				WithHint("Write g AS OF t KNOWN AT t2 alias.").
				WithPosition(charPos(c.text, t.start)))
		}
	}
	return out
}

// asOfAt recognises the clause whose AS is toks[i]; ok is false when the
// AS OF does not follow a relation in a FROM list.
func (c *cursor) asOfAt(i int, inFrom bool) (asOfMatch, bool) {
	m, ok := c.relationBefore(i, inFrom)
	if !ok {
		return m, false
	}
	toks := c.toks
	c.i = i + 2
	first, alias := c.asOfExpr()
	if c.i == first {
		c.fail(c.errAt(c.after(first - 1)))
	}
	m.expr = c.span(first, c.i)
	m.exprStart, m.exprEnd = toks[first].start, toks[c.i-1].end
	if err := validateExpr(c.text, m.expr, &toks[first], c.after(c.i-1)); err != nil {
		c.fail(err)
	}
	if strings.EqualFold(m.expr, "latest") {
		m.expr = "LATEST"
	}
	m.clauseEnd = m.exprEnd
	if alias == nil && c.acceptWord("known") {
		// KNOWN AT t2: only rows written by t2 are visible.
		c.expectWord("at")
		first, alias = c.asOfExpr()
		if c.i == first {
			c.fail(c.errAt(c.after(first - 1)))
		}
		m.knownAt = c.span(first, c.i)
		m.knownStart, m.clauseEnd = toks[first].start, toks[c.i-1].end
		if err := validateExpr(c.text, m.knownAt, &toks[first], c.after(c.i-1)); err != nil {
			c.fail(err)
		}
	}
	if alias == nil && c.peek(0).is(pg_query.Token_AS) {
		c.i++
		if !c.peek(0).isColID() {
			c.failHere()
		}
		alias = c.peek(0)
	}
	if alias != nil {
		c.i++
		m.alias = identValue(alias)
		m.aliasStart, m.aliasEnd = alias.start, alias.end
	}
	if isKnownAt(toks, c.i) {
		c.fail(syntaxError(c.text, &toks[c.i]).WithHint("KNOWN AT goes right after the AS OF time, before the alias."))
	}
	return m, true
}

// isKnownAt reports whether toks[i:] starts with the words KNOWN AT (and not
// `known AT TIME ZONE`, a column named known).
func isKnownAt(toks []token, i int) bool {
	return i+1 < len(toks) && toks[i].isWord("known") && toks[i+1].isWord("at") &&
		!(i+2 < len(toks) && toks[i+2].id == pg_query.Token_TIME)
}

// relationBefore recognises the relation name that ends right before
// toks[i] in a FROM list (after FROM, JOIN, USING or a comma of the list);
// ok is false when toks[i] does not follow one.
func (c *cursor) relationBefore(i int, inFrom bool) (m asOfMatch, ok bool) {
	toks := c.toks
	j := i - 1
	if j < 0 || !toks[j].isLabel() {
		return asOfMatch{}, false
	}
	for j >= 2 && toks[j-1].isPunct('.') && toks[j-2].isLabel() {
		j -= 2
	}
	if !toks[j].isColID() || j == 0 {
		return asOfMatch{}, false
	}
	intro := &toks[j-1]
	if intro.isWord("only") && j >= 2 {
		intro = &toks[j-2]
	}
	if !(intro.isWord("from") || intro.isWord("join") || intro.isWord("using") || (intro.isPunct(',') && inFrom)) {
		return asOfMatch{}, false
	}
	m = asOfMatch{relStart: toks[j].start, relEnd: toks[i-1].end, aliasStart: -1, aliasEnd: -1, knownStart: -1}
	var parts []string
	for k := j; k < i; k += 2 {
		parts = append(parts, identValue(&toks[k]))
	}
	switch len(parts) {
	case 1:
		m.rel = QualifiedName{Name: parts[0]}
	case 2:
		m.rel = QualifiedName{Schema: parts[0], Name: parts[1]}
	case 3:
		c.fail(pgerror.New(pgerror.FeatureNotSupported, "cross-database references are not implemented: \"%s\"", strings.Join(parts, ".")).
			WithPosition(charPos(c.text, toks[j].start)))
	default:
		c.fail(tooManyDots(c.text, parts, &toks[j]))
	}

	return m, true
}

// versionAt recognises `relation VERSION 'name' [[AS] alias]` whose
// VERSION is toks[i].
func (c *cursor) versionAt(i int, inFrom bool) (asOfMatch, bool) {
	m, ok := c.relationBefore(i, inFrom)
	if !ok {
		return m, false
	}
	c.i = i + 1
	m.isVersion, m.versionPos = true, c.toks[c.i].start
	m.version = c.stringLit()
	m.clauseEnd = c.toks[c.i-1].end
	if c.peek(0).is(pg_query.Token_AS) && c.peek(1).is(pg_query.Token_OF) {
		c.fail(pgerror.New(pgerror.FeatureNotSupported, "AS OF cannot be combined with VERSION").
			WithHint("Read the snapshot with VERSION, then filter or aggregate it as a table.").
			WithPosition(charPos(c.text, c.peek(0).start)))
	}
	var alias *token
	if c.peek(0).is(pg_query.Token_AS) {
		c.i++
		if !c.peek(0).isColID() {
			c.failHere()
		}
		alias = c.peek(0)
	} else if t := c.peek(0); t != nil && t.isColID() && !isAnyWord(t, asOfStopWords) && !isAnyWord(t, fromEnders) {
		alias = t
	}
	if alias != nil {
		c.i++
		m.alias = identValue(alias)
		m.aliasStart, m.aliasEnd = alias.start, alias.end
	}
	return m, true
}

// asOfExpr advances over the time expression starting at c.i and returns
// its first token index and, when the expression ended because an alias
// was written right after it (`AS OF l.ts d`), that alias token.
func (c *cursor) asOfExpr() (int, *token) {
	first, depth := c.i, 0
	for t := c.peek(0); t != nil; t = c.peek(0) {
		if depth == 0 {
			if t.isPunct(',') || t.isPunct(')') || t.isPunct(';') {
				break
			}
			afterDot := c.i > first && (c.toks[c.i-1].isPunct('.') || c.toks[c.i-1].is(pg_query.Token_TYPECAST))
			if !afterDot && isAnyWord(t, asOfStopWords) {
				break
			}
			if c.i > first && t.isColID() && completesOperand(c.toks, c.i-1) && !continuesExpr(c.toks, c.i) {
				return first, t
			}
		}
		switch {
		case t.isPunct('(') || t.isPunct('['):
			depth++
		case t.isPunct(')') || t.isPunct(']'):
			depth--
		}
		c.i++
	}
	return first, nil
}

// completesOperand reports whether toks[m] can end an operand, so that a
// name right after it cannot belong to the expression and is an alias.
func completesOperand(toks []token, m int) bool {
	t := &toks[m]
	switch t.id {
	case pg_query.Token_SCONST, pg_query.Token_USCONST, pg_query.Token_BCONST, pg_query.Token_XCONST,
		pg_query.Token_ICONST, pg_query.Token_FCONST, pg_query.Token_PARAM,
		pg_query.Token_IDENT, pg_query.Token_UIDENT,
		pg_query.Token(')'), pg_query.Token(']'),
		pg_query.Token_CURRENT_TIMESTAMP, pg_query.Token_CURRENT_DATE, pg_query.Token_CURRENT_TIME,
		pg_query.Token_LOCALTIME, pg_query.Token_LOCALTIMESTAMP, pg_query.Token_NULL_P,
		pg_query.Token_TRUE_P, pg_query.Token_FALSE_P, pg_query.Token_END_P:
		return true
	}
	if t.kind == pg_query.KeywordKind_NO_KEYWORD || m == 0 {
		return false
	}
	prev := &toks[m-1]
	switch {
	case prev.isPunct('.') || prev.is(pg_query.Token_TYPECAST):
		return true // a column named by a keyword, or a type name: x::date
	case t.id == pg_query.Token_PRECISION && prev.id == pg_query.Token_DOUBLE_P:
		return true
	case isIntervalField(t) && (prev.id == pg_query.Token_TO || (m >= 2 && toks[m-2].id == pg_query.Token_INTERVAL)):
		return true // INTERVAL '1' DAY, INTERVAL '1:2' HOUR TO MINUTE
	case t.id == pg_query.Token_ZONE && prev.id == pg_query.Token_TIME && m >= 2 &&
		(toks[m-2].id == pg_query.Token_WITH || toks[m-2].id == pg_query.Token_WITHOUT):
		return true
	}
	return false
}

// continuesExpr reports whether the name toks[k], though it follows a
// complete operand, still belongs to the expression: `ts AT TIME ZONE`,
// `INTERVAL '1' DAY`, `x BETWEEN a AND b`, `U&'..' UESCAPE '!'`.
func continuesExpr(toks []token, k int) bool {
	t := &toks[k]
	switch t.id {
	case pg_query.Token_BETWEEN, pg_query.Token_UESCAPE:
		return true
	case pg_query.Token_AT:
		return k+1 < len(toks) && toks[k+1].id == pg_query.Token_TIME
	}
	return isIntervalField(t) && k >= 2 && toks[k-2].id == pg_query.Token_INTERVAL
}

func isIntervalField(t *token) bool {
	switch t.id {
	case pg_query.Token_YEAR_P, pg_query.Token_MONTH_P, pg_query.Token_DAY_P,
		pg_query.Token_HOUR_P, pg_query.Token_MINUTE_P, pg_query.Token_SECOND_P:
		return true
	}
	return false
}

// rewriteAsOf returns orig (the statement, starting at byte base of the
// whole text) with each clause replaced by `relation [alias]`, the AsOf
// records, and the edits made (for mapping positions back).
func rewriteAsOf(text, orig string, base int, ms []asOfMatch) (string, []AsOf, []VersionRef, []edit) {
	var b strings.Builder
	var out []AsOf
	var versions []VersionRef
	var edits []edit
	prev := 0
	for _, m := range ms {
		rs, re := m.relStart-base, m.relEnd-base
		b.WriteString(orig[prev:rs])
		start := b.Len()
		b.WriteString(orig[rs:re])
		e := edit{start: re, end: m.clauseEnd - base}
		if m.aliasStart >= 0 {
			e.end, e.insert = m.aliasStart-base, " "
			b.WriteString(" ")
			b.WriteString(orig[m.aliasStart-base : m.aliasEnd-base])
			prev = m.aliasEnd - base
		} else {
			prev = m.clauseEnd - base
		}
		edits = append(edits, e)
		if m.isVersion {
			versions = append(versions, VersionRef{
				Relation: m.rel, Snapshot: m.version, Alias: m.alias,
				Start: start, End: b.Len(), Position: charPos(orig, m.versionPos-base),
			})
			continue
		}
		a := AsOf{
			Relation:     m.rel,
			Expr:         m.expr,
			Alias:        m.alias,
			Start:        start,
			End:          b.Len(),
			ExprPosition: charPos(orig, m.exprStart-base),
			KnownAt:      m.knownAt,
		}
		if m.knownStart >= 0 {
			a.KnownAtPosition = charPos(orig, m.knownStart-base)
		}
		out = append(out, a)
	}
	b.WriteString(orig[prev:])
	return b.String(), out, versions, edits
}

// edit is one replacement of orig[start:end] by insert.
type edit struct {
	start, end int
	insert     string
}

// originalOffset maps a byte offset in the rewritten text back to the
// original statement. An offset inside inserted text maps to the start of
// the replaced range.
func originalOffset(edits []edit, off int) int {
	shift := 0 // rewritten minus original
	for _, e := range edits {
		rs := e.start + shift
		if off < rs {
			break
		}
		if off < rs+len(e.insert) {
			return e.start
		}
		shift += len(e.insert) - (e.end - e.start)
	}
	return off - shift
}
