package sql

import (
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

func mustQuery(t *testing.T, text string) *Query {
	t.Helper()
	st, err := ParseOne(text)
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	q, ok := st.(*Query)
	if !ok {
		t.Fatalf("%q: got %T, want *Query", text, st)
	}
	return q
}

func TestRangeVarsAndRelationSpan(t *testing.T) {
	q := mustQuery(t, `SELECT l.a, d.b FROM labels l LEFT JOIN ml . "Demo" AS OF l.ts d USING (a) `+
		`WHERE l.a IN (SELECT a FROM public.other /* c */)`)
	rvs := RangeVars(q.Tree)
	var got []string
	for _, rv := range rvs {
		s, e := RelationSpan(q.Text, rv.Location)
		got = append(got, rv.Schemaname+"|"+rv.Relname+"|"+q.Text[s:e])
	}
	want := []string{"|labels|labels", `ml|Demo|ml . "Demo"`, "public|other|public.other"}
	if strings.Join(got, ";") != strings.Join(want, ";") {
		t.Fatalf("got %q, want %q", got, want)
	}
	// The AS OF span in Text is the rewritten reference, and the RangeVar
	// of the group starts where it starts.
	a := q.AsOf[0]
	if q.Text[a.Start:a.End] != `ml . "Demo" d` || int(rvs[1].Location) != a.Start {
		t.Fatalf("AS OF span %q at %d, RangeVar at %d", q.Text[a.Start:a.End], a.Start, rvs[1].Location)
	}
	if s, e := RelationSpan(q.Text, -1); s != -1 || e != -1 {
		t.Fatalf("RelationSpan(-1) = %d, %d", s, e)
	}
	if s, e := RelationSpan(q.Text, int32(strings.Index(q.Text, "("))); s != -1 || e != -1 {
		t.Fatalf("RelationSpan at '(' = %d, %d", s, e)
	}
}

func TestColumnRefsAndWalkSkip(t *testing.T) {
	q := mustQuery(t, "SELECT a, t.b FROM t WHERE c > (SELECT max(d) FROM u)")
	var names []string
	for _, cr := range ColumnRefs(q.Tree) {
		var parts []string
		for _, f := range cr.Fields {
			parts = append(parts, f.GetString_().GetSval())
		}
		names = append(names, strings.Join(parts, "."))
	}
	if got := strings.Join(names, ","); got != "a,t.b,c,d" {
		t.Fatalf("column refs %s", got)
	}
	// Returning false for a sub-select skips what is inside it.
	n := 0
	Walk(q.Tree, func(m proto.Message) bool {
		if _, ok := m.(*pg_query.SubLink); ok {
			return false
		}
		if _, ok := m.(*pg_query.ColumnRef); ok {
			n++
		}
		return true
	})
	if n != 3 {
		t.Fatalf("walk with skip saw %d column refs, want 3", n)
	}
	Walk(nil, func(proto.Message) bool { t.Fatal("visited nil"); return true })
	var nilRV *pg_query.RangeVar
	Walk(nilRV, func(proto.Message) bool { t.Fatal("visited typed nil"); return true })
}

func TestPositionsCountCharacters(t *testing.T) {
	text := "SELECT 'ü€😀'; SELECT * FROM g AS OF 'é' x"
	stmts, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	q := stmts[1].(*Query)
	// 'ü€😀' is 5 characters but 11 bytes.
	if q.Offset != 14 {
		t.Fatalf("offset %d, want 14", q.Offset)
	}
	if p := q.AsOf[0].ExprPosition; p != 23 || []rune(q.Original)[p-1] != '\'' {
		t.Fatalf("expr position %d", p)
	}
	bad := text + " WHERE x.a = = 1"
	_, err = Parse(bad)
	checkPosition(t, bad, err)
	if e := err.(*pgerror.Error); e.Position != strings.Index(bad, "= 1")-len("ü€😀é")+4+1 ||
		[]rune(bad)[e.Position-1] != '=' {
		t.Fatalf("got %v at %d", err, e.Position)
	}
}

func TestEncoding(t *testing.T) {
	for _, text := range []string{"SELECT 1\x00", "SELECT '\xff'"} {
		_, err := Parse(text)
		if err == nil || !strings.Contains(err.Error(), "invalid byte sequence") {
			t.Fatalf("%q: %v", text, err)
		}
	}
}

func TestTypeNames(t *testing.T) {
	cases := map[string]string{
		"int":                         "integer",
		"INTEGER":                     "integer",
		"int8":                        "bigint",
		"BIGINT":                      "bigint",
		"int2":                        "smallint",
		"float4":                      "real",
		"FLOAT8":                      "double precision",
		"float":                       "double precision",
		"float(10)":                   "real",
		"bool":                        "boolean",
		"varchar(20)":                 "character varying",
		"character varying":           "character varying",
		"char(3)":                     "character",
		"bpchar":                      "bpchar",
		"timestamptz":                 "timestamp with time zone",
		"TIMESTAMP WITH TIME ZONE":    "timestamp with time zone",
		"timestamp":                   "timestamp without time zone",
		"timestamp without time zone": "timestamp without time zone",
		"time":                        "time without time zone",
		"timetz":                      "time with time zone",
		"time(3) with time zone":      "time with time zone",
		"decimal(5,1)":                "numeric",
		"numeric":                     "numeric",
		"text":                        "text",
		"bytea":                       "bytea",
		"date":                        "date",
		"interval":                    "interval",
		"uuid":                        "uuid",
		"json":                        "json",
		"jsonb":                       "jsonb",
		"pg_catalog.int4":             "integer",
		"bit varying(3)":              "bit varying",
		"double precision[]":          "double precision",
		"myschema.mytype":             "myschema.mytype",
	}
	for written, want := range cases {
		st, err := ParseOne("ALTER FEATURE g.f SET DATA TYPE " + written)
		if err != nil {
			t.Errorf("%s: %v", written, err)
			continue
		}
		tn := st.(*AlterFeature).DataType
		if tn.Name != want || tn.Text != written {
			t.Errorf("%s: got %q (text %q), want %q", written, tn.Name, tn.Text, want)
		}
	}
}
