package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// duckdbOnlyKeywords are words DuckDB's parser reserves (or treats as
// type/function keywords) that PostgreSQL lets a user write as a plain column
// or table name. DuckDB fails on `SELECT at FROM t`, PostgreSQL does not, so
// the planner quotes these words where they stand as identifiers.
var duckdbOnlyKeywords = map[string]bool{
	"anti": true, "asof": true, "at": true, "columns": true, "describe": true,
	"generated": true, "glob": true, "lambda": true, "map": true, "pivot": true,
	"pivot_longer": true, "pivot_wider": true, "positional": true, "qualify": true,
	"semi": true, "show": true, "struct": true, "summarize": true, "try_cast": true,
	"unpack": true, "unpivot": true,
}

// keywordEdits quotes the words of duckdbOnlyKeywords used as identifiers in
// text, except inside the spans other edits replace.
func keywordEdits(text string, others []edit) []edit {
	lower := strings.ToLower(text)
	found := false
	for w := range duckdbOnlyKeywords {
		if strings.Contains(lower, w) {
			found = true
			break
		}
	}
	if !found {
		return nil
	}
	res, err := pg_query.Scan(text)
	if err != nil {
		return nil
	}
	toks := res.Tokens
	var out []edit
	for i, t := range toks {
		if i == 0 {
			continue // the statement's own keyword (SHOW ...)
		}
		word := text[t.Start:t.End]
		if !duckdbOnlyKeywords[word] && !duckdbOnlyKeywords[strings.ToLower(word)] || word[0] == '"' {
			continue
		}
		if word != strings.ToLower(word) {
			continue // mixed case unquoted folds to lower; keep it simple and leave it
		}
		if i+1 < len(toks) {
			next := strings.ToLower(text[toks[i+1].Start:toks[i+1].End])
			if next == "(" {
				continue // a function call
			}
			if word == "at" && (next == "time" || next == "local") {
				continue // AT TIME ZONE, AT LOCAL
			}
		}
		inside := false
		for _, o := range others {
			if int(t.Start) >= o.start && int(t.End) <= o.end {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, edit{start: int(t.Start), end: int(t.End), text: `"` + word + `"`})
		}
	}
	return out
}
