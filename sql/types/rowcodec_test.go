package types

import (
	"bytes"
	"fmt"
	"testing"
)

// TestRowCodecRoundTrip encodes every value of the PostgreSQL 15 cases (as
// DuckDB returns it) and checks that the decoded value gives the same text
// and binary output: a row served from the online store must look exactly
// like the same row read from DuckDB.
func TestRowCodecRoundTrip(t *testing.T) {
	conn := duckConn(t)
	var row []any
	var typs []Type
	for _, c := range loadPGCases(t) {
		if c.tz != "UTC" {
			continue // the value's Go form does not depend on the zone
		}
		name, v := queryOne(t, conn, "SELECT "+c.duckExpr)
		row = append(row, v)
		typs = append(typs, FromDuckDB(name))
	}
	row = append(row, nil, []any{int32(1), nil, int32(3)}, map[string]any{"a": "x", "b": []any{}})
	typs = append(typs, FromDuckDB("INTEGER"), FromDuckDB("INTEGER[]"), Type{})
	enc, err := AppendRow(nil, row)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := DecodeRow(nil, enc)
	if err != nil {
		t.Fatal(err)
	}
	if len(dec) != len(row) {
		t.Fatalf("decoded %d values, encoded %d", len(dec), len(row))
	}
	opt := Options{}
	for i := range row {
		if typs[i].OID == 0 {
			continue
		}
		if (row[i] == nil) != (dec[i] == nil) {
			t.Errorf("value %d (%s): nil-ness changed: %#v -> %#v", i, typs[i].Name, row[i], dec[i])
			continue
		}
		if row[i] == nil {
			continue
		}
		wt, err1 := AppendText(nil, typs[i], row[i], opt)
		gt, err2 := AppendText(nil, typs[i], dec[i], opt)
		if err1 != nil || err2 != nil || !bytes.Equal(wt, gt) {
			t.Errorf("value %d (%s) text: %q (%v) -> %q (%v)", i, typs[i].Name, wt, err1, gt, err2)
		}
		if SupportsBinary(typs[i]) {
			wb, err1 := AppendBinary(nil, typs[i], row[i], opt)
			gb, err2 := AppendBinary(nil, typs[i], dec[i], opt)
			if err1 != nil || err2 != nil || !bytes.Equal(wb, gb) {
				t.Errorf("value %d (%s) binary: %x (%v) -> %x (%v)", i, typs[i].Name, wb, err1, gb, err2)
			}
		}
	}
	// Corrupt input is an error, never a panic.
	for n := 0; n < len(enc); n++ {
		_, _ = DecodeRow(nil, enc[:n])
	}
	if _, err := AppendRow(nil, []any{struct{}{}}); err == nil {
		t.Error("unsupported Go type: no error")
	}
}

// TestDecodeRowSelect picks values out of a record, skipping the others,
// and agrees with DecodeRow.
func TestDecodeRowSelect(t *testing.T) {
	conn := duckConn(t)
	var row []any
	for _, c := range loadPGCases(t) {
		if c.tz == "UTC" {
			_, v := queryOne(t, conn, "SELECT "+c.duckExpr)
			row = append(row, v)
		}
	}
	row = append(row, []any{int32(1), nil}, nil, "end")
	enc, err := AppendRow(nil, row)
	if err != nil {
		t.Fatal(err)
	}
	full, err := DecodeRow(nil, enc)
	if err != nil {
		t.Fatal(err)
	}
	for step := 1; step <= 7; step++ {
		want := make([][]int, len(row)+3) // positions past the end stay nil
		var picked []int
		for p := 0; p < len(row); p += step {
			want[p] = []int{len(picked)}
			picked = append(picked, p)
		}
		out := make([]any, len(picked))
		if err := DecodeRowSelect(enc, want, out); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		for i, p := range picked {
			if fmt.Sprintf("%#v", out[i]) != fmt.Sprintf("%#v", full[p]) {
				t.Fatalf("step %d, position %d: %#v, want %#v", step, p, out[i], full[p])
			}
		}
	}
	for n := 0; n < len(enc); n++ {
		_ = DecodeRowSelect(enc[:n], [][]int{{0}, nil, {1}}, make([]any, 2))
	}
}
