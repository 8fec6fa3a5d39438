package planner

import (
	"reflect"
	"testing"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/sql"
)

func TestValuesSource(t *testing.T) {
	g := &catalog.Group{Name: "g", Features: []*catalog.Feature{
		{Name: "id"}, {Name: "et"}, {Name: "v"}, {Name: "old", Status: catalog.Retired}, {Name: "tags"},
	}}
	for _, c := range []struct {
		in   string
		cols []string
		rows [][]string // nil: not taken
	}{
		{`INSERT INTO g (id, et, v) VALUES ($1, $2, $3)`, []string{"id", "et", "v"}, [][]string{{"$1", "$2", "$3"}}},
		{`INSERT INTO g VALUES (1, now(), 'a,b', ARRAY['x', 'y'])`, []string{"id", "et", "v", "tags"},
			[][]string{{"1", "now()", "'a,b'", "ARRAY['x', 'y']"}}},
		{`insert into g AS x (v, id) values ((1 + 2) * 3, /* (, */ coalesce($1, -1)), (f(1, (2)), 'it''s');`, []string{"v", "id"},
			[][]string{{"(1 + 2) * 3", "coalesce($1, -1)"}, {"f(1, (2))", "'it''s'"}}},
		{`INSERT INTO g (id, v) VALUES (1, '{1,2}'::int[])`, []string{"id", "v"}, [][]string{{"1", "'[1,2]'::int[]"}}},
		{`INSERT INTO g (id, v) VALUES (1, DEFAULT)`, nil, nil},
		{`INSERT INTO g (id, v) SELECT 1, 2`, nil, nil},
		{`INSERT INTO g (id, v) VALUES (1, 2) ORDER BY 1`, nil, nil},
		{`WITH w AS (SELECT 1) INSERT INTO g (id, v) VALUES (1, 2)`, nil, nil},
	} {
		parsed, err := sql.ParseOne(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		q := parsed.(*sql.Query)
		ins := q.Tree.Stmts[0].Stmt.GetInsertStmt()
		_, end := sql.RelationSpan(q.Text, ins.Relation.Location)
		edits := append(arrayCastEdits(q.Text, ins), edit{start: 0, end: end, text: "INSERT INTO stage"})
		v := newValuesSource(q.Text, ins, g, end, edits)
		if c.rows == nil {
			if v != nil {
				t.Errorf("%s: taken: %v", c.in, v.rows)
			}
			continue
		}
		if v == nil {
			t.Errorf("%s: not taken", c.in)
			continue
		}
		if !reflect.DeepEqual(v.cols, c.cols) || !reflect.DeepEqual(v.rows, c.rows) {
			t.Errorf("%s:\n got %v %q\nwant %v %q", c.in, v.cols, v.rows, c.cols, c.rows)
		}
	}
}
