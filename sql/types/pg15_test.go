package types

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// pgCase is one line of testdata/cases.txt with what PostgreSQL 15 printed
// for it (testdata/pg15_*.txt, written by testdata/record.sh).
type pgCase struct {
	name, tz, pgExpr, duckExpr string
	oid                        uint32
	text                       string
	binary                     []byte
}

func readTSV(t *testing.T, path string, fields int) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", fields)
		for len(parts) < fields {
			parts = append(parts, "")
		}
		rows = append(rows, parts)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func loadPGCases(t *testing.T) []pgCase {
	t.Helper()
	texts := map[string][]string{}
	for _, r := range readTSV(t, "testdata/pg15_text.txt", 3) {
		texts[r[0]] = r
	}
	bins := map[string]string{}
	for _, r := range readTSV(t, "testdata/pg15_binary.txt", 2) {
		bins[r[0]] = r[1]
	}
	var cases []pgCase
	for _, r := range readTSV(t, "testdata/cases.txt", 4) {
		c := pgCase{name: r[0], tz: r[1], pgExpr: r[2], duckExpr: r[3]}
		if c.tz == "-" {
			c.tz = "UTC"
		}
		if c.duckExpr == "=" {
			c.duckExpr = c.pgExpr
		}
		rec, ok := texts[c.name]
		if !ok {
			t.Fatalf("case %s has no recorded output: run testdata/record.sh", c.name)
		}
		oid, err := strconv.ParseUint(rec[1], 10, 32)
		if err != nil {
			t.Fatalf("case %s: bad oid %q", c.name, rec[1])
		}
		c.oid, c.text = uint32(oid), rec[2]
		if c.binary, err = hex.DecodeString(bins[c.name]); err != nil {
			t.Fatalf("case %s: bad binary hex: %v", c.name, err)
		}
		cases = append(cases, c)
	}
	return cases
}

func duckConn(t *testing.T) *sql.Conn {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// queryOne runs a one-column query and returns its DuckDB type name and value.
func queryOne(t *testing.T, conn *sql.Conn, q string, args ...any) (string, any) {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("%s: no row (%v)", q, rows.Err())
	}
	var v any
	if err := rows.Scan(&v); err != nil {
		t.Fatalf("%s: scan: %v", q, err)
	}
	return cts[0].DatabaseTypeName(), v
}

// TestAgainstPostgres15 computes every recorded case through DuckDB and
// compares the type, the text output and the binary output with what a
// real PostgreSQL 15 produced, then sends PostgreSQL's text and binary
// forms back through DecodeParam and DuckDB and expects the same text.
func TestAgainstPostgres15(t *testing.T) {
	conn := duckConn(t)
	ctx := context.Background()
	for _, c := range loadPGCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if _, err := conn.ExecContext(ctx, "SET TimeZone = '"+c.tz+"'"); err != nil {
				t.Fatal(err)
			}
			loc, err := time.LoadLocation(c.tz)
			if err != nil {
				t.Fatal(err)
			}
			opt := Options{Location: loc}
			duckType, v := queryOne(t, conn, "SELECT "+c.duckExpr)
			typ := FromDuckDB(duckType)
			if typ.OID != c.oid {
				t.Errorf("FromDuckDB(%q).OID = %d, PostgreSQL type is %d", duckType, typ.OID, c.oid)
			}
			text, err := AppendText(nil, typ, v, opt)
			if err != nil {
				t.Fatalf("AppendText: %v", err)
			}
			if string(text) != c.text {
				t.Errorf("AppendText(%s %#v) = %q, PostgreSQL: %q", duckType, v, text, c.text)
			}
			if !SupportsBinary(typ) {
				t.Errorf("SupportsBinary(%s) = false", typ.Name)
			}
			bin, err := AppendBinary(nil, typ, v, opt)
			if err != nil {
				t.Fatalf("AppendBinary: %v", err)
			}
			if hex.EncodeToString(bin) != hex.EncodeToString(c.binary) {
				t.Errorf("AppendBinary(%s %#v) = %x, PostgreSQL: %x", duckType, v, bin, c.binary)
			}
			for format, data := range map[int16][]byte{0: []byte(c.text), 1: c.binary} {
				p, err := DecodeParam(c.oid, format, data)
				if err != nil {
					t.Errorf("DecodeParam(%d, %d, %q): %v", c.oid, format, data, err)
					continue
				}
				_, back := queryOne(t, conn, "SELECT CAST($1 AS "+duckType+")", p)
				got, err := AppendText(nil, typ, back, opt)
				if err != nil {
					t.Errorf("format %d: AppendText of round trip: %v", format, err)
					continue
				}
				if string(got) != c.text {
					t.Errorf("format %d: DecodeParam → %T %#v → DuckDB %s → %q, want %q", format, p, p, duckType, got, c.text)
				}
			}
		})
	}
}
