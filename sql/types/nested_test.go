package types

import (
	"testing"
	"time"
)

// TestDuckDBTextFallback checks that types PostgreSQL has no counterpart
// for are sent as text identical to DuckDB's own CAST(x AS VARCHAR).
func TestDuckDBTextFallback(t *testing.T) {
	conn := duckConn(t)
	for _, expr := range []string{
		`{'a': 1, 'b': 'x y'}`,
		`{'a': [1, 2], 'b': {'c': 'd'}, 'e': NULL}`,
		`{'x y': 1, 'a''b': 2}`,
		`map {'k': 1, 'z z': 2}`,
		`map {'a=b': 'c:d', 'e': NULL}`,
		`[[1, 2], [3]]`,
		`[[1.5::FLOAT], []]`,
		`[{'a': 'x'}, NULL]`,
		`[['a:b', 'a=b', ' x', 'it''s', 'null', 'x ', 'a(b)', 'é', 'a{b', 'a-b', 'a,b', '[x]', '']]`,
		`[['a b', NULL]]`,
		`[[DATE '2024-03-01']]`,
		`[[TIMESTAMP '2024-03-01 12:34:56.5']]`,
		`[[true, false]]`,
		`[[0.1::DOUBLE, 1e20]]`,
		`[[1.50::DECIMAL(10,2)]]`,
		`'0101'::BIT`,
		`'a'::ENUM('a', 'b')`,
		`union_value(k := 1)`,
		`[[uuid 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']]`,
	} {
		duckType, v := queryOne(t, conn, "SELECT "+expr)
		_, want := queryOne(t, conn, "SELECT ("+expr+")::VARCHAR")
		typ := FromDuckDB(duckType)
		if typ.OID == OIDTextArray {
			continue // a VARCHAR[] goes out as a PostgreSQL array
		}
		if typ.OID != OIDText {
			t.Errorf("FromDuckDB(%q) = %s, want text", duckType, typ.Name)
		}
		got, err := AppendText(nil, typ, v, Options{Location: time.UTC})
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		if string(got) != want.(string) {
			t.Errorf("%s (%s): got %q, DuckDB: %q", expr, duckType, got, want)
		}
		bin, err := AppendBinary(nil, typ, v, Options{Location: time.UTC})
		if err != nil || string(bin) != string(got) {
			t.Errorf("%s: binary %q, %v", expr, bin, err)
		}
	}
	// A plain VARCHAR[] with every quoting case, as a PostgreSQL array.
	_, v := queryOne(t, conn, `SELECT ['a:b', ' x', 'null', '', 'x"y', 'back\slash']`)
	got, err := AppendText(nil, FromDuckDB("VARCHAR[]"), v, Options{})
	if want := `{a:b," x","null","","x\"y","back\\slash"}`; err != nil || string(got) != want {
		t.Errorf("VARCHAR[] = %q, %v; want %q", got, err, want)
	}
}
