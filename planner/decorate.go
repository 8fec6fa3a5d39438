package planner

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// decorateError makes a DuckDB error read as PostgreSQL's: an unknown
// relation is named as written (schema-qualified) and positioned.
// tooManyValues is DuckDB's message for VALUES rows longer than the table.
// DuckDB's messages for VALUES rows that do not fit the table, checked
// after the table is found (so a missing table is 42P01 first, as in
// PostgreSQL): without a column list, "table t has 2 columns but 3 values
// were supplied"; with one, "Column name/value mismatch for insert on t:
// expected 2 columns but 1 values were supplied".
var (
	tooManyValues = regexp.MustCompile(`^table \S+ has (\d+) columns but \d+ values were supplied`)
	valueMismatch = regexp.MustCompile(`^Column name/value mismatch for insert on `)
)

func decorateError(err error, q *sql.Query) error {
	e, ok := pgerror.As(err)
	if !ok || q == nil || q.Tree == nil {
		return err
	}
	if valueMismatch.MatchString(e.Message) {
		if ins := q.Tree.Stmts[0].Stmt.GetInsertStmt(); ins != nil {
			if aerr := insertArity(q, ins, -1); aerr != nil {
				return aerr
			}
		}
	}
	if m := tooManyValues.FindStringSubmatch(e.Message); m != nil {
		// DuckDB: "table t has 2 columns but 3 values were supplied".
		if ins := q.Tree.Stmts[0].Stmt.GetInsertStmt(); ins != nil {
			if n, err := strconv.Atoi(m[1]); err == nil {
				if aerr := insertArity(q, ins, n); aerr != nil {
					return aerr
				}
			}
		}
	}
	if e.Code == pgerror.UndefinedTable && strings.HasPrefix(e.Message, `relation "`) {
		name := strings.TrimSuffix(strings.TrimPrefix(e.Message, `relation "`), `" does not exist`)
		for _, rv := range sql.RangeVars(q.Tree) {
			if rv.Relname != name {
				continue
			}
			out := *e
			if rv.Schemaname != "" {
				out.Message = `relation "` + rv.Schemaname + "." + rv.Relname + `" does not exist`
			}
			if out.Position == 0 && len(q.AsOf) == 0 {
				out.Position = runePos(q.Text, int(rv.Location)) + q.Offset
			}
			return &out
		}
	}
	return err
}

// runePos is the 1-based character position of byte offset off.
func runePos(text string, off int) int {
	if off < 0 || off > len(text) {
		return 0
	}
	return len([]rune(text[:off])) + 1
}

// settingEdits replaces current_setting('name') calls with the session's
// value: session parameters live in the planner, not in DuckDB.
func (s *Session) settingEdits(ctx context.Context, q *sql.Query, others []edit) ([]edit, error) {
	if !strings.Contains(strings.ToLower(q.Text), "current_setting") {
		return nil, nil
	}
	var out []edit
	var ferr error
	sql.Walk(q.Tree, func(m proto.Message) bool {
		fc, ok := m.(*pg_query.FuncCall)
		if !ok || ferr != nil {
			return ferr == nil
		}
		names := fc.Funcname
		if len(names) == 0 || names[len(names)-1].GetString_().GetSval() != "current_setting" || len(fc.Args) == 0 || len(fc.Args) > 2 {
			return true
		}
		c := fc.Args[0].GetAConst()
		if c == nil || c.GetSval() == nil {
			return true
		}
		missingOK := false
		if len(fc.Args) == 2 {
			if b := fc.Args[1].GetAConst().GetBoolval(); b != nil {
				missingOK = b.Boolval
			} else {
				return true
			}
		}
		end := callEnd(q.Text, int(fc.Location))
		if end < 0 {
			return true
		}
		for _, o := range others {
			if int(fc.Location) < o.end && end > o.start {
				return true
			}
		}
		v, err := s.showParam(c.GetSval().Sval)
		lit := "NULL::VARCHAR"
		if err != nil {
			if !missingOK {
				ferr = err
				return false
			}
		} else {
			lit = duckdb.QuoteString(v)
		}
		out = append(out, edit{start: int(fc.Location), end: end, text: lit})
		return false
	})
	return out, ferr
}

// callEnd is the byte offset just after the closing parenthesis of the
// function call starting at start.
func callEnd(text string, start int) int {
	res, err := pg_query.Scan(text[start:])
	if err != nil {
		return -1
	}
	depth := 0
	for _, t := range res.Tokens {
		switch text[start+int(t.Start) : start+int(t.End)] {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				return start + int(t.End)
			}
		}
	}
	return -1
}
