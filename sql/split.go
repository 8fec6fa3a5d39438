package sql

import pg_query "github.com/pganalyze/pg_query_go/v6"

// stmtRange is one statement's tokens, toks[from:to], and the ';' that
// ended it (-1 when the text ended instead).
type stmtRange struct {
	from, to int
	term     int
}

// splitTokens cuts the token list at top-level semicolons. A ';' inside
// parentheses (CREATE RULE ... DO (a; b)) or inside a BEGIN ATOMIC ... END
// function body does not end the statement; a stray ';' inside unbalanced
// parentheses is left for the grammar to report, as PostgreSQL does.
// Empty statements are dropped.
func splitTokens(toks []token) []stmtRange {
	var out []stmtRange
	depth, block := 0, 0
	from := 0
	for i := range toks {
		t := &toks[i]
		switch {
		case t.isPunct('('):
			depth++
		case t.isPunct(')'):
			if depth > 0 {
				depth--
			}
		case t.id == pg_query.Token_BEGIN_P && i+1 < len(toks) && toks[i+1].id == pg_query.Token_ATOMIC:
			block++
		case block > 0 && t.id == pg_query.Token_CASE:
			block++
		case block > 0 && t.id == pg_query.Token_END_P:
			block--
		case t.isPunct(';') && depth == 0 && block == 0:
			if i > from {
				out = append(out, stmtRange{from: from, to: i, term: i})
			}
			from = i + 1
		}
	}
	if from < len(toks) {
		out = append(out, stmtRange{from: from, to: len(toks), term: -1})
	}
	return out
}
