package sql

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// token is one lexical token of the text given to Parse. Offsets are bytes
// into that whole text, so every error can point into it directly.
type token struct {
	id         pg_query.Token
	kind       pg_query.KeywordKind
	start, end int
	text       string
}

// scanTokens lexes text with PostgreSQL's own scanner and drops comments.
// On a lexical error (unterminated string...) it returns the tokens before
// the bad one together with the error, so that statements before it can
// still be checked first, in order, as PostgreSQL would.
func scanTokens(text string) ([]token, *pgerror.Error) {
	toks, err := scanRaw(text)
	if err == nil {
		return toks, nil
	}
	perr := convertScanError(text, err)
	if perr.Position > 0 {
		prefix := text[:byteOffset(text, perr.Position)]
		if ptoks, err2 := scanRaw(prefix); err2 == nil {
			return ptoks, perr
		}
	}
	return nil, perr
}

func scanRaw(text string) ([]token, error) {
	res, err := pg_query.Scan(text)
	if err != nil {
		return nil, err
	}
	toks := make([]token, 0, len(res.Tokens))
	for _, t := range res.Tokens {
		if t.Token == pg_query.Token_SQL_COMMENT || t.Token == pg_query.Token_C_COMMENT {
			continue
		}
		s, e := int(t.Start), int(t.End)
		if s < 0 || e > len(text) || s > e {
			continue // never seen; keeps slicing below safe
		}
		toks = append(toks, token{id: t.Token, kind: t.KeywordKind, start: s, end: e, text: text[s:e]})
	}
	return toks, nil
}

// convertScanError turns a pg_query error about text into a pgerror whose
// position is already relative to text.
func convertScanError(text string, err error) *pgerror.Error {
	if pe, ok := err.(*parser.Error); ok {
		e := pgerror.New(codeForMessage(pe.Message), "%s", pe.Message)
		if pe.Cursorpos > 0 {
			e.Position = min(pe.Cursorpos, charCount(text)+1)
		}
		return e
	}
	return pgerror.Wrap(err)
}

func (t *token) is(id pg_query.Token) bool { return t != nil && t.id == id }

// isPunct reports whether t is the single-character token c.
func (t *token) isPunct(c byte) bool {
	return t != nil && t.id == pg_query.Token(c)
}

// quoted reports whether t is a quoted identifier ("x" or U&"x").
func (t *token) quoted() bool {
	return t.id == pg_query.Token_UIDENT || (t.id == pg_query.Token_IDENT && strings.HasPrefix(t.text, `"`))
}

// isWord reports whether t is the unquoted word w (keyword or identifier),
// case-insensitively: keywords cannot be quoted in PostgreSQL.
func (t *token) isWord(w string) bool {
	if t == nil || t.quoted() {
		return false
	}
	if t.id != pg_query.Token_IDENT && t.kind == pg_query.KeywordKind_NO_KEYWORD {
		return false
	}
	return strings.EqualFold(t.text, w)
}

// isLabel reports whether t can be a name after a dot or an option key
// (PostgreSQL's ColLabel: any identifier or keyword).
func (t *token) isLabel() bool {
	return t != nil && (t.id == pg_query.Token_IDENT || t.id == pg_query.Token_UIDENT || t.kind != pg_query.KeywordKind_NO_KEYWORD)
}

// isColID reports whether t can be a column, table or alias name
// (PostgreSQL's ColId: identifiers and unreserved or column-name keywords).
func (t *token) isColID() bool {
	if t == nil {
		return false
	}
	switch t.kind {
	case pg_query.KeywordKind_UNRESERVED_KEYWORD, pg_query.KeywordKind_COL_NAME_KEYWORD:
		return true
	case pg_query.KeywordKind_NO_KEYWORD:
		return t.id == pg_query.Token_IDENT || t.id == pg_query.Token_UIDENT
	}
	return false
}

// isString reports whether t is a character string literal.
func (t *token) isString() bool {
	return t != nil && (t.id == pg_query.Token_SCONST || t.id == pg_query.Token_USCONST)
}

// identValue is the name t stands for, folded as PostgreSQL folds it.
func identValue(t *token) string {
	switch {
	case t.id == pg_query.Token_UIDENT:
		if v, ok := constName(t.text); ok {
			return v
		}
		return t.text
	case strings.HasPrefix(t.text, `"`):
		return truncateIdent(strings.ReplaceAll(t.text[1:len(t.text)-1], `""`, `"`))
	}
	return truncateIdent(foldIdent(t.text))
}

// foldIdent lower-cases ASCII letters only, like downcase_identifier for UTF8.
func foldIdent(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// truncateIdent cuts a name to NAMEDATALEN-1 bytes on a character boundary,
// as PostgreSQL's scanner does.
func truncateIdent(s string) string {
	const maxLen = 63
	if len(s) <= maxLen {
		return s
	}
	n := maxLen
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// constName decodes a U&"..." identifier by letting PostgreSQL parse it.
func constName(text string) (string, bool) {
	res, err := pg_query.Parse("SELECT 1 AS " + text)
	if err != nil || len(res.Stmts) != 1 {
		return "", false
	}
	sel := res.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || len(sel.TargetList) != 1 {
		return "", false
	}
	return sel.TargetList[0].GetResTarget().GetName(), true
}

// stringValue decodes a string literal token ('..', E'..', $$..$$, U&'..',
// adjacent literals) by letting PostgreSQL parse it.
func stringValue(t *token) (string, bool) {
	res, err := pg_query.Parse("SELECT " + t.text)
	if err != nil || len(res.Stmts) != 1 {
		return "", false
	}
	sel := res.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || len(sel.TargetList) != 1 {
		return "", false
	}
	c := sel.TargetList[0].GetResTarget().GetVal().GetAConst()
	if c == nil || c.GetSval() == nil {
		return "", false
	}
	return c.GetSval().Sval, true
}
