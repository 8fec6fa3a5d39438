package catalog

import "testing"

func TestWidening(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{"smallint", "integer", true},
		{"smallint", "bigint", true},
		{"integer", "bigint", true},
		{"bigint", "integer", false},
		{"integer", "smallint", false},
		{"smallint", "real", true},
		{"integer", "real", false},
		{"integer", "double precision", true},
		{"bigint", "double precision", false},
		{"integer", "numeric", true}, // stored as numeric(38,10)
		{"integer", "numeric(10,0)", true},
		{"integer", "numeric(12,3)", false},
		{"bigint", "numeric(19)", true},
		{"real", "double precision", true},
		{"double precision", "real", false},
		{"double precision", "numeric", false},
		{"numeric(6,2)", "numeric(12,3)", true},
		{"numeric(6,2)", "numeric(6,1)", false},
		{"numeric(6,2)", "numeric(7,3)", true},
		{"numeric(6,2)", "numeric(6,3)", false},
		{"numeric(10,2)", "numeric", true},
		{"numeric", "numeric(20,2)", false},
		{"numeric(6,2)", "double precision", false},
		{"character varying(5)", "character varying(10)", true},
		{"character varying(5)", "character varying(4)", false},
		{"character varying(5)", "text", true},
		{"character varying", "text", true},
		{"text", "character varying", true},
		{"text", "character varying(10)", false},
		{"character(3)", "character(5)", true},
		{"character(3)", "text", false},
		{"date", "timestamp without time zone", true},
		{"date", "timestamp with time zone", false},
		{"timestamp without time zone", "timestamp with time zone", false},
		{"timestamp with time zone", "timestamp without time zone", false},
		{"timestamp without time zone", "date", false},
		{"timestamp without time zone(3)", "timestamp without time zone", true},
		{"timestamp without time zone", "timestamp without time zone(3)", false},
		{"real[8]", "double precision[8]", true},
		{"real[8]", "double precision[]", false},
		{"integer[]", "bigint[]", true},
		{"boolean", "integer", false},
		{"integer", "text", false},
		{"uuid", "text", false},
	} {
		why := widening(parseDataType(tc.from), parseDataType(tc.to))
		if (why == "") != tc.ok {
			t.Errorf("%s → %s: reason %q, want allowed = %v", tc.from, tc.to, why, tc.ok)
		}
	}
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{"integer", "bigint", true},
		{"bigint", "integer", false},
		{"integer", "numeric(20,0)", false},
		{"character varying(5)", "text", true},
		{"text", "character varying(5)", false},
		{"integer", "text", false},
		{"uuid", "text", false},
	} {
		why := keyWidening(parseDataType(tc.from), parseDataType(tc.to))
		if (why == "") != tc.ok {
			t.Errorf("entity key %s → %s: reason %q, want allowed = %v", tc.from, tc.to, why, tc.ok)
		}
	}
}

func TestRenameInExpr(t *testing.T) {
	g := &Group{Name: "g"}
	for _, tc := range []struct{ expr, from, to, want string }{
		{"a > 0", "a", "b", "b > 0"},
		{"a > 0 AND b < a", "a", "x", "x > 0 AND b < x"},
		{"abs(a) < 10 AND a <> 'a'", "a", "x", "abs(x) < 10 AND x <> 'a'"},
		{`"a" BETWEEN 0 AND 9`, "a", "x", "x BETWEEN 0 AND 9"},
		{"a > 0", "a", "Select", `"Select" > 0`},
		{"a > 0", "a", "user", `"user" > 0`},
		{"a > 0", "a", "two words", `"two words" > 0`},
		{`"Mixed" IS NOT NULL`, "Mixed", "plain", "plain IS NOT NULL"},
		{"aa > a", "a", "b", "aa > b"},
		{"length(s) < 5 -- a comment naming a\n", "a", "b", "length(s) < 5 -- a comment naming a\n"},
		{"a IN (1, 2)", "z", "y", "a IN (1, 2)"},
	} {
		got, err := renameInExpr(g, tc.expr, tc.from, tc.to)
		if err != nil || got != tc.want {
			t.Errorf("rename %s → %s in %q: got %q, %v; want %q", tc.from, tc.to, tc.expr, got, err, tc.want)
		}
	}
}

func TestParseDataType(t *testing.T) {
	for in, want := range map[string]string{
		"integer":                        "integer",
		"numeric(12,3)":                  "numeric(12,3)",
		"numeric(12, 3)":                 "numeric(12,3)",
		"character varying(20)":          "character varying(20)",
		"real[8]":                        "real[8]",
		"double precision[]":             "double precision[]",
		"timestamp without time zone(3)": "timestamp without time zone(3)",
	} {
		if got := parseDataType(in).String(); got != want {
			t.Errorf("parseDataType(%q) = %q, want %q", in, got, want)
		}
	}
}
