package sql

import (
	"testing"
	"unicode/utf8"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// checkPosition asserts what every error from Parse must satisfy: it is a
// *pgerror.Error and its position lies within the text (or just past it).
func checkPosition(t testing.TB, text string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	e, ok := err.(*pgerror.Error)
	if !ok {
		t.Fatalf("%q: error %T is not a *pgerror.Error: %v", text, err, err)
	}
	if e.Code == pgerror.InternalError {
		t.Fatalf("%q: internal error: %v", text, e)
	}
	n := utf8.RuneCountInString(text)
	if e.Position < 0 || e.Position > n+1 {
		t.Fatalf("%q: position %d outside 1..%d: %v", text, e.Position, n+1, e)
	}
	if e.Code == pgerror.SyntaxError && e.Position == 0 && e.Message != "cannot insert multiple commands into a prepared statement" {
		t.Fatalf("%q: syntax error without position: %v", text, e)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", ";", "SELECT 1", "SELECT 1; SELECT 'a;b'",
		"CREATE FEATURE GROUP g (a int ENTITY KEY, t timestamptz EVENT TIME) WITH (ttl = '1 day')",
		"ALTER FEATURE GROUP g ADD FEATURE x REAL[8]",
		"ALTER FEATURE g.f SET STATUS active",
		"DROP FEATURE GROUP IF EXISTS a, b CASCADE",
		"COMMENT ON FEATURE GROUP g IS 'x'",
		"SELECT * FROM l LEFT JOIN g AS OF l.ts d USING (user_id)",
		"SELECT * FROM t AS OF (ts)", "SELECT * FROM t AS OF", "SELECT 'é' FROM t AS OF now() x WHERE",
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
		"SELECT 'unterminated", "/* c", "SELECT \"x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		stmts, err := Parse(text)
		if err != nil {
			if !utf8.ValidString(text) {
				return
			}
			checkPosition(t, text, err)
			return
		}
		for _, st := range stmts {
			if q, ok := st.(*Query); ok {
				if q.Tree == nil {
					t.Fatalf("%q: query without tree", text)
				}
				for _, a := range q.AsOf {
					if a.Start < 0 || a.End > len(q.Text) || a.Start > a.End {
						t.Fatalf("%q: AS OF span %d..%d outside text %q", text, a.Start, a.End, q.Text)
					}
				}
			}
		}
	})
}
