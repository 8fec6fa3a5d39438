package tests

import (
	"context"
	be "encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// typedRow is one row of the `typed` group, as Go values.
type typedRow struct {
	K   int64
	TS  time.Time
	I4  *int32
	I8  *int64
	F8  *float64
	Txt *string
	B   *bool
	D   *time.Time
	Emb []float32
}

func ptr[T any](v T) *T { return &v }

const typedDDL = `CREATE FEATURE GROUP typed (
	k   BIGINT           ENTITY KEY,
	ts  TIMESTAMPTZ      EVENT TIME,
	i4  INTEGER,
	i8  BIGINT,
	f8  DOUBLE PRECISION,
	txt TEXT,
	b   BOOLEAN,
	d   DATE,
	emb REAL[]
)`

func typedRows() []typedRow {
	day := func(y int, m time.Month, d int) *time.Time { t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); return &t }
	return []typedRow{
		{K: 1, TS: time.Date(2024, 3, 1, 12, 30, 45, 123456000, time.UTC), I4: ptr(int32(42)), I8: ptr(int64(1) << 40),
			F8: ptr(3.25), Txt: ptr("hello"), B: ptr(true), D: day(2024, 2, 29), Emb: []float32{0.5, -1.25, 3}},
		{K: 2, TS: time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), I4: ptr(int32(math.MinInt32)), I8: ptr(int64(math.MaxInt64)),
			F8: ptr(-1e-300), Txt: ptr("naïve ünïcödé ✓ 🚀, \"quotes\" and 'apostrophes'\ttab\nnewline"), B: ptr(false), D: day(1970, 1, 1), Emb: []float32{}},
		{K: 3, TS: time.Date(2024, 3, 2, 0, 0, 0, 0, time.FixedZone("x", 5*3600)), I4: ptr(int32(math.MaxInt32)), I8: ptr(int64(math.MinInt64)),
			F8: ptr(math.Inf(1)), Txt: ptr(""), B: ptr(true), D: day(2100, 12, 31), Emb: []float32{1e-7, 123456.5}},
		{K: 4, TS: time.Date(2024, 3, 3, 0, 0, 0, 0, time.UTC)}, // every feature NULL
	}
}

// typedText is the PostgreSQL text output of typedRows (session TimeZone
// UTC), as psql would show it; NULL is nil.
var typedText = [][]any{
	{"1", "2024-03-01 12:30:45.123456+00", "42", "1099511627776", "3.25", "hello", "t", "2024-02-29", "{0.5,-1.25,3}"},
	{"2", "1999-12-31 23:59:59+00", "-2147483648", "9223372036854775807", "-1e-300", "naïve ünïcödé ✓ 🚀, \"quotes\" and 'apostrophes'\ttab\nnewline", "f", "1970-01-01", "{}"},
	{"3", "2024-03-01 19:00:00+00", "2147483647", "-9223372036854775808", "Infinity", "", "t", "2100-12-31", "{1e-07,123456.5}"},
	{"4", "2024-03-03 00:00:00+00", nil, nil, nil, nil, nil, nil, nil},
}

func insertTyped(t *testing.T, c *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	Exec(t, c, typedDDL)
	for _, r := range typedRows() {
		var d any
		if r.D != nil {
			d = *r.D
		}
		var emb any
		if r.Emb != nil {
			emb = r.Emb
		}
		tag, err := c.Exec(ctx, `INSERT INTO typed (k, ts, i4, i8, f8, txt, b, d, emb) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			r.K, r.TS, r.I4, r.I8, r.F8, r.Txt, r.B, d, emb)
		if err != nil {
			t.Fatalf("insert k=%d: %v", r.K, err)
		}
		if tag.String() != "INSERT 0 1" {
			t.Fatalf("insert k=%d: tag %q, want INSERT 0 1", r.K, tag)
		}
	}
}

// TestPgxTypesRoundTrip writes values of many types into a group through the
// extended protocol (pgx sends parameters in binary where it can) and reads
// them back in binary (pgx's default for known types) and in text, checking
// the values and PostgreSQL's text output.
func TestPgxTypesRoundTrip(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	ctx := context.Background()
	insertTyped(t, c)

	t.Run("binary-scan", func(t *testing.T) {
		rows, err := c.Query(ctx, `SELECT k, ts, i4, i8, f8, txt, b, d, emb FROM typed ORDER BY k`)
		if err != nil {
			t.Fatal(err)
		}
		var got []typedRow
		for rows.Next() {
			var r typedRow
			if err := rows.Scan(&r.K, &r.TS, &r.I4, &r.I8, &r.F8, &r.Txt, &r.B, &r.D, &r.Emb); err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := typedRows()
		if len(got) != len(want) {
			t.Fatalf("got %d rows, want %d", len(got), len(want))
		}
		for i := range want {
			w, g := want[i], got[i]
			if !g.TS.Equal(w.TS) {
				t.Errorf("k=%d ts = %v, want %v", w.K, g.TS, w.TS)
			}
			if w.D != nil && (g.D == nil || !g.D.Equal(*w.D)) {
				t.Errorf("k=%d d = %v, want %v", w.K, g.D, *w.D)
			}
			if (w.D == nil) != (g.D == nil) {
				t.Errorf("k=%d d NULL-ness: got %v want %v", w.K, g.D, w.D)
			}
			g.TS, w.TS, g.D, w.D = time.Time{}, time.Time{}, nil, nil
			if !reflect.DeepEqual(g, w) {
				t.Errorf("row k=%d:\n got %s\nwant %s", w.K, fmtRow(g), fmtRow(w))
			}
		}
		// The result columns were sent in binary for these types (pgx asks
		// for text only for text columns).
		fds := rows.FieldDescriptions()
		for _, fd := range fds {
			if fd.Name != "txt" && fd.Format != pgx.BinaryFormatCode {
				t.Errorf("column %s sent in format %d, want binary", fd.Name, fd.Format)
			}
		}
	})

	t.Run("text-format", func(t *testing.T) {
		res := c.PgConn().ExecParams(ctx, `SELECT k, ts, i4, i8, f8, txt, b, d, emb FROM typed ORDER BY k`, nil, nil, nil, []int16{0}).Read()
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if got, want := res.CommandTag.String(), "SELECT 4"; got != want {
			t.Errorf("tag %q, want %q", got, want)
		}
		wantOIDs := []uint32{20, 1184, 23, 20, 701, 25, 16, 1082, 1021}
		for i, fd := range res.FieldDescriptions {
			if fd.DataTypeOID != wantOIDs[i] {
				t.Errorf("column %s: type OID %d, want %d", fd.Name, fd.DataTypeOID, wantOIDs[i])
			}
			if fd.Format != 0 {
				t.Errorf("column %s: format %d, want text", fd.Name, fd.Format)
			}
		}
		got := rawRows(res.Rows)
		if !reflect.DeepEqual(got, typedText) {
			t.Errorf("text rows:\n got %q\nwant %q", got, typedText)
		}
	})

	t.Run("binary-bytes", func(t *testing.T) {
		res := c.PgConn().ExecParams(ctx, `SELECT i4, i8, f8, b, d, ts FROM typed WHERE k = 1`, nil, nil, nil, []int16{1}).Read()
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if len(res.Rows) != 1 {
			t.Fatalf("got %d rows", len(res.Rows))
		}
		r := res.Rows[0]
		want := [][]byte{
			be.BigEndian.AppendUint32(nil, 42),
			be.BigEndian.AppendUint64(nil, 1<<40),
			be.BigEndian.AppendUint64(nil, math.Float64bits(3.25)),
			{1},
			be.BigEndian.AppendUint32(nil, uint32(int32(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC).Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).Hours()/24))),
			be.BigEndian.AppendUint64(nil, uint64(time.Date(2024, 3, 1, 12, 30, 45, 123456000, time.UTC).Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).Microseconds())),
		}
		for i := range want {
			if string(r[i]) != string(want[i]) {
				t.Errorf("column %s binary = %x, want %x", res.FieldDescriptions[i].Name, r[i], want[i])
			}
		}
	})

	t.Run("text-params", func(t *testing.T) {
		// Parameters sent as text with unspecified types (OID 0): the server
		// infers them from the target columns.
		res := c.PgConn().ExecParams(ctx,
			`INSERT INTO typed (k, ts, i4, i8, f8, txt, b, d, emb) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			[][]byte{[]byte("5"), []byte("2024-03-05 01:02:03+02"), []byte("-7"), []byte("8"), []byte("0.1"),
				[]byte("text param"), []byte("true"), []byte("2024-03-05"), []byte("{1.5,2}")},
			nil, nil, nil).Read()
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if res.CommandTag.String() != "INSERT 0 1" {
			t.Errorf("tag %q", res.CommandTag)
		}
		got := QueryStrings(t, c, `SELECT k, ts, i4, i8, f8, txt, b, d, emb FROM typed WHERE k = 5`)
		want := [][]string{{"5", "2024-03-04 23:02:03+00", "-7", "8", "0.1", "text param", "t", "2024-03-05", "{1.5,2}"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func fmtRow(r typedRow) string {
	s := fmt.Sprintf("k=%d", r.K)
	add := func(name string, p any) {
		v := reflect.ValueOf(p)
		if v.IsNil() {
			s += " " + name + "=NULL"
		} else if v.Kind() == reflect.Pointer {
			s += fmt.Sprintf(" %s=%v", name, v.Elem().Interface())
		} else {
			s += fmt.Sprintf(" %s=%v", name, p)
		}
	}
	add("i4", r.I4)
	add("i8", r.I8)
	add("f8", r.F8)
	add("txt", r.Txt)
	add("b", r.B)
	add("emb", r.Emb)
	return s
}

func rawRows(rows [][][]byte) [][]any {
	var out [][]any
	for _, r := range rows {
		row := make([]any, len(r))
		for i, v := range r {
			if v == nil {
				row[i] = nil
			} else {
				row[i] = string(v)
			}
		}
		out = append(out, row)
	}
	return out
}

// TestPgxPreparedStatementsReused prepares an INSERT and a SELECT once and
// executes them many times with different parameters.
func TestPgxPreparedStatementsReused(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	ctx := context.Background()
	Exec(t, c, `CREATE FEATURE GROUP p (id INTEGER ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, v DOUBLE PRECISION, s TEXT)`)
	ins, err := c.Prepare(ctx, "ins", `INSERT INTO p (id, ts, v, s) VALUES ($1, $2, $3, $4)`)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(ins.ParamOIDs); got != 4 {
		t.Fatalf("ParameterDescription has %d parameters, want 4", got)
	}
	if want := []uint32{23, 1184, 701, 25}; !reflect.DeepEqual(ins.ParamOIDs, want) {
		t.Errorf("parameter OIDs %v, want %v (inferred from the group's columns)", ins.ParamOIDs, want)
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 30; i++ {
		tag, err := c.Exec(ctx, "ins", i%5, base.Add(time.Duration(i)*time.Hour), float64(i)/2, fmt.Sprintf("s%d", i))
		if err != nil {
			t.Fatalf("exec %d: %v", i, err)
		}
		if tag.String() != "INSERT 0 1" {
			t.Fatalf("exec %d: tag %q", i, tag)
		}
	}
	sel, err := c.Prepare(ctx, "sel", `SELECT count(*), sum(v) FROM p WHERE id = $1`)
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Fields) != 2 {
		t.Fatalf("RowDescription has %d fields", len(sel.Fields))
	}
	for id := 0; id < 5; id++ {
		var n int64
		var sum float64
		if err := c.QueryRow(ctx, "sel", id).Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		// rows id, id+5, ..., id+25: v = i/2
		want := 0.0
		for i := id; i < 30; i += 5 {
			want += float64(i) / 2
		}
		if n != 6 || sum != want {
			t.Errorf("id=%d: count=%d sum=%v, want 6 and %v", id, n, sum, want)
		}
	}
	// The same named statement after an error in between still works.
	if _, err := c.Exec(ctx, "ins", nil, base, 1.0, "x"); err == nil {
		t.Error("NULL entity key accepted")
	} else if code := sqlstate(err); code != "23502" {
		t.Errorf("NULL entity key: SQLSTATE %s (%v), want 23502", code, err)
	}
	if _, err := c.Exec(ctx, "ins", 9, base, 9.0, "nine"); err != nil {
		t.Fatal(err)
	}
	if got := QueryStrings(t, c, `SELECT count(*) FROM p`)[0][0]; got != "31" {
		t.Errorf("count = %s, want 31", got)
	}
	if err := c.Deallocate(ctx, "ins"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PgConn().ExecPrepared(ctx, "ins", nil, nil, nil).Close(); err == nil || sqlstate(err) != "26000" {
		t.Errorf("executing a closed statement: %v, want 26000", err)
	}
}

// TestPgxAsOfParameter reads `AS OF $1` with the time as a parameter, in a
// prepared statement reused for several times.
func TestPgxAsOfParameter(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	ctx := context.Background()
	Exec(t, c, `CREATE FEATURE GROUP a (id INTEGER ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, v INTEGER) WITH (ttl = '5 days')`)
	Exec(t, c, `INSERT INTO a VALUES
		(1, '2024-01-01', 10), (1, '2024-01-05', 11), (1, '2024-01-20', 12),
		(2, '2024-01-03', 20), (2, '2024-01-03', 21),
		(3, '2024-01-10', 30)`)
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		at   time.Time
		want string
	}{
		{day(1).Add(-time.Second), ""},
		{day(1), "1=10"},
		{day(3), "1=10 2=21"}, // tie on event time: the later write wins
		{day(5), "1=11 2=21"},
		{day(8), "1=11 2=21"},                             // 2's row is exactly 5 days old: within ttl
		{day(8).Add(time.Microsecond), "1=11"},            // just past 2's ttl
		{day(12), "3=30"},                                 // 1's row of Jan 5 is older than 5 days
		{day(20), "1=12"},                                 // 3's row expired
		{day(31), ""},                                     // everything expired
		{day(15).Add(-time.Microsecond), "3=30"},          // 3 within ttl to the microsecond
		{day(15).Add(time.Microsecond), ""},               // and just past it
		{day(10).Add(time.Nanosecond * 999), "1=11 3=30"}, // pgx sends microseconds: day 10 exactly, 1's row of Jan 5 on the ttl edge
	}
	run := func(t *testing.T, sql string, arg func(time.Time) any) {
		for _, tc := range cases {
			rows, err := c.Query(ctx, sql, arg(tc.at))
			if err != nil {
				t.Fatalf("AS OF %v: %v", tc.at, err)
			}
			var parts []string
			for rows.Next() {
				var id, v int32
				if err := rows.Scan(&id, &v); err != nil {
					t.Fatal(err)
				}
				parts = append(parts, fmt.Sprintf("%d=%d", id, v))
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("AS OF %v: %v", tc.at, err)
			}
			if got := strings.Join(parts, " "); got != tc.want {
				t.Errorf("AS OF %v: got %q, want %q", tc.at.Format(time.RFC3339Nano), got, tc.want)
			}
		}
	}
	t.Run("timestamptz-param", func(t *testing.T) {
		run(t, `SELECT id, v FROM a AS OF $1 ORDER BY id`, func(x time.Time) any { return x })
	})
	t.Run("text-param-cast", func(t *testing.T) {
		run(t, `SELECT id, v FROM a AS OF $1::timestamptz ORDER BY id`, func(x time.Time) any { return x.Format("2006-01-02 15:04:05.999999Z07:00") })
	})
	t.Run("prepared-alias", func(t *testing.T) {
		if _, err := c.Prepare(ctx, "asof", `SELECT x.id, x.v FROM a AS OF $1 x ORDER BY x.id`); err != nil {
			t.Fatal(err)
		}
		run(t, "asof", func(x time.Time) any { return x })
	})
}

// TestPgxCommandTags checks the command tag of each kind of statement.
func TestPgxCommandTags(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	ctx := context.Background()
	cases := []struct{ sql, tag string }{
		{`CREATE FEATURE GROUP g (id INTEGER ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, v INTEGER)`, "CREATE FEATURE GROUP"},
		{`INSERT INTO g VALUES (1, '2024-01-01', 1)`, "INSERT 0 1"},
		{`INSERT INTO g VALUES (2, '2024-01-01', 2), (3, '2024-01-01', 3), (4, '2024-01-01', 4)`, "INSERT 0 3"},
		{`INSERT INTO g SELECT id + 10, ts, v FROM g`, "INSERT 0 4"},
		{`INSERT INTO g SELECT id, ts, v FROM g WHERE false`, "INSERT 0 0"},
		{`SELECT * FROM g`, "SELECT 8"},
		{`SELECT * FROM g AS OF TIMESTAMP '2024-01-02'`, "SELECT 8"},
		{`SELECT * FROM g WHERE false`, "SELECT 0"},
		{`ALTER FEATURE GROUP g ADD FEATURE w DOUBLE PRECISION`, "ALTER FEATURE GROUP"},
		{`ALTER FEATURE GROUP g SET (ttl = '1 day')`, "ALTER FEATURE GROUP"},
		{`ALTER FEATURE g.v SET STATUS deprecated`, "ALTER FEATURE"},
		{`COMMENT ON FEATURE g.v IS 'x'`, "COMMENT"},
		{`CREATE TABLE t (a INTEGER, b TEXT)`, "CREATE TABLE"},
		{`INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')`, "INSERT 0 3"},
		{`UPDATE t SET b = 'z' WHERE a >= 2`, "UPDATE 2"},
		{`DELETE FROM t WHERE a = 1`, "DELETE 1"},
		{`CREATE TABLE t2 AS SELECT * FROM g`, "SELECT 8"},
		{`CREATE VIEW vw AS SELECT a FROM t`, "CREATE VIEW"},
		{`DROP VIEW vw`, "DROP VIEW"},
		{`CREATE SCHEMA s`, "CREATE SCHEMA"},
		{`BEGIN`, "BEGIN"},
		{`COMMIT`, "COMMIT"},
		{`START TRANSACTION`, "START TRANSACTION"},
		{`ROLLBACK`, "ROLLBACK"},
		{`SET TimeZone = 'UTC'`, "SET"},
		{`SHOW TimeZone`, "SHOW"},
		{`DROP TABLE t2`, "DROP TABLE"},
		{`DROP FEATURE GROUP g`, "DROP FEATURE GROUP"},
		{`DROP FEATURE GROUP IF EXISTS g`, "DROP FEATURE GROUP"},
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		_, _ = c.Exec(ctx, `DROP FEATURE GROUP IF EXISTS g; DROP TABLE IF EXISTS t; DROP TABLE IF EXISTS t2; DROP SCHEMA IF EXISTS s`, pgx.QueryExecModeSimpleProtocol)
		for _, tc := range cases {
			tag, err := c.Exec(ctx, tc.sql, mode)
			if err != nil {
				t.Errorf("mode %v: %s: %v", mode, tc.sql, err)
				continue
			}
			if tag.String() != tc.tag {
				t.Errorf("mode %v: %s: tag %q, want %q", mode, tc.sql, tag, tc.tag)
			}
		}
	}
}

// TestPgxCopyFrom loads a group with pgx's CopyFrom (binary COPY), then
// checks a failing row stores nothing.
func TestPgxCopyFrom(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	ctx := context.Background()
	Exec(t, c, `CREATE FEATURE GROUP cp (id BIGINT ENTITY KEY, ts TIMESTAMPTZ EVENT TIME,
		v DOUBLE PRECISION NOT NULL CHECK (v >= 0), s TEXT, b BOOLEAN, d DATE, emb REAL[])`)
	cols := []string{"id", "ts", "v", "s", "b", "d", "emb"}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 5000
	rows := make([][]any, n)
	var wantSum float64
	for i := range rows {
		var s any
		if i%7 != 0 {
			s = fmt.Sprintf("row-%d", i)
		}
		rows[i] = []any{int64(i % 100), base.Add(time.Duration(i) * time.Minute), float64(i) * 0.5, s, i%2 == 0,
			base.AddDate(0, 0, i%30), []float32{float32(i), -1}}
		wantSum += float64(i) * 0.5
	}
	got, err := c.CopyFrom(ctx, pgx.Identifier{"cp"}, cols, pgx.CopyFromRows(rows))
	if err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Errorf("CopyFrom reported %d rows, want %d", got, n)
	}
	check := func(label string) {
		t.Helper()
		want := [][]string{{fmt.Sprint(n), strconv.FormatFloat(wantSum, 'f', -1, 64), fmt.Sprint(n - (n+6)/7), "100", "2500", "2024-01-30", "4999"}}
		g := QueryStrings(t, c, `SELECT count(*), sum(v), count(s), count(DISTINCT id), count(*) FILTER (WHERE b), max(d), max(emb[1])::bigint FROM cp`)
		if !reflect.DeepEqual(g, want) {
			t.Errorf("%s: got %q, want %q", label, g, want)
		}
	}
	check("after copy")
	if g := QueryStrings(t, c, `SELECT id, ts, v, s, b, d, emb FROM cp WHERE v = 1000.5`); !reflect.DeepEqual(g,
		[][]string{{"1", "2024-01-02 09:21:00+00", "1000.5", "row-2001", "f", "2024-01-22", "{2001,-1}"}}) {
		t.Errorf("row 2001: %q", g)
	}

	// A bad row in the middle: the whole COPY fails, nothing is stored.
	bad := [][]any{
		{int64(1), base, 1.0, "ok", true, base, []float32{1}},
		{int64(2), base, 2.0, "ok", true, base, []float32{1}},
		{int64(3), base, -3.0, "negative", true, base, []float32{1}},
		{int64(4), base, 4.0, "ok", true, base, []float32{1}},
	}
	_, err = c.CopyFrom(ctx, pgx.Identifier{"cp"}, cols, pgx.CopyFromRows(bad))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23514" {
		t.Fatalf("CopyFrom with a CHECK violation: %v, want 23514", err)
	}
	if !strings.Contains(pe.Where, "line 3") && !strings.Contains(pe.Detail, "3") {
		t.Errorf("error does not name the third row: detail %q where %q", pe.Detail, pe.Where)
	}
	bad[2][2] = nil
	_, err = c.CopyFrom(ctx, pgx.Identifier{"cp"}, cols, pgx.CopyFromRows(bad))
	if code := sqlstate(err); code != "23502" {
		t.Fatalf("CopyFrom with a NULL in a NOT NULL column: %v, want 23502", err)
	}
	check("after failed copies")
}

// TestPgxNotices receives the NOTICE of a deprecated feature through
// pgconn's OnNotice, on both protocols.
func TestPgxNotices(t *testing.T) {
	srv := StartServer(t)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var notices []*pgconn.Notice
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		mu.Lock()
		defer mu.Unlock()
		notices = append(notices, n)
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	take := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, n := range notices {
			out = append(out, n.Severity+" "+n.Code+" "+n.Message)
		}
		notices = nil
		return out
	}
	Exec(t, c, `CREATE FEATURE GROUP g (id INTEGER ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, old_score DOUBLE PRECISION, score DOUBLE PRECISION)`)
	Exec(t, c, `INSERT INTO g VALUES (1, '2024-01-01', 0.5, 0.7)`)
	Exec(t, c, `ALTER FEATURE g.old_score SET STATUS deprecated`)
	take()
	want := []string{`NOTICE 01P01 feature "g.old_score" is deprecated`}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec} {
		var v float64
		if err := c.QueryRow(ctx, `SELECT old_score FROM g WHERE id = $1`, mode, 1).Scan(&v); err != nil {
			t.Fatalf("mode %v: %v", mode, err)
		}
		if v != 0.5 {
			t.Errorf("mode %v: old_score = %v", mode, v)
		}
		if got := take(); !reflect.DeepEqual(got, want) {
			t.Errorf("mode %v: notices %q, want %q", mode, got, want)
		}
		if err := c.QueryRow(ctx, `SELECT score FROM g WHERE id = $1`, mode, 1).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if got := take(); len(got) != 0 {
			t.Errorf("mode %v: reading an active feature sent notices %q", mode, got)
		}
	}
	// Retired: an error naming the feature, and no rows.
	Exec(t, c, `ALTER FEATURE g.old_score SET STATUS retired`)
	_, err = c.Exec(ctx, `SELECT old_score FROM g`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "55000" || !strings.Contains(pe.Message, `"g.old_score"`) {
		t.Errorf("reading a retired feature: %v, want 55000 naming g.old_score", err)
	}
}

// TestPgxManyStatementsOneMessage sends several statements in one simple
// Query message, and checks PostgreSQL's implicit-transaction rule: an error
// in the middle undoes the earlier statements of the message and skips the
// later ones.
func TestPgxManyStatementsOneMessage(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	ctx := context.Background()
	results, err := c.PgConn().Exec(ctx, `
		CREATE FEATURE GROUP m (id INTEGER ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, v INTEGER CHECK (v > 0));
		INSERT INTO m VALUES (1, '2024-01-01', 1), (2, '2024-01-01', 2);
		CREATE TABLE mt (x INTEGER);
		INSERT INTO mt VALUES (1);
		SELECT id, v FROM m ORDER BY id;
		SELECT count(*) FROM mt;
		SELECT 'a;b' AS semi -- a ; in a comment
		;
		SHOW TimeZone`).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, r := range results {
		tags = append(tags, r.CommandTag.String())
	}
	wantTags := []string{"CREATE FEATURE GROUP", "INSERT 0 2", "CREATE TABLE", "INSERT 0 1", "SELECT 2", "SELECT 1", "SELECT 1", "SHOW"}
	if !reflect.DeepEqual(tags, wantTags) {
		t.Fatalf("tags %q, want %q", tags, wantTags)
	}
	if got := rawRows(results[4].Rows); !reflect.DeepEqual(got, [][]any{{"1", "1"}, {"2", "2"}}) {
		t.Errorf("select from group: %q", got)
	}
	if got := rawRows(results[6].Rows); !reflect.DeepEqual(got, [][]any{{"a;b"}}) {
		t.Errorf("select with ; in a string: %q", got)
	}

	// Error in the middle: the earlier INSERTs of the message are undone,
	// the later statement does not run.
	results, err = c.PgConn().Exec(ctx, `
		INSERT INTO m VALUES (3, '2024-01-01', 3);
		INSERT INTO mt VALUES (2);
		INSERT INTO m VALUES (4, '2024-01-01', -4);
		INSERT INTO mt VALUES (3)`).ReadAll()
	if code := sqlstate(err); code != "23514" {
		t.Fatalf("error %v, want 23514", err)
	}
	got := QueryStrings(t, c, `SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM mt)`)
	if want := [][]string{{"2", "1"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("after the failed message: counts (group, table) %q, want %q (implicit transaction rolled back)", got, want)
	}
	// An explicit COMMIT in the message keeps what came before it.
	_, err = c.PgConn().Exec(ctx, `
		BEGIN; INSERT INTO m VALUES (5, '2024-01-01', 5); COMMIT;
		INSERT INTO m VALUES (6, '2024-01-01', -6)`).ReadAll()
	if code := sqlstate(err); code != "23514" {
		t.Fatalf("error %v, want 23514", err)
	}
	if got := QueryStrings(t, c, `SELECT id FROM m ORDER BY id`); !reflect.DeepEqual(got, [][]string{{"1"}, {"2"}, {"5"}}) {
		t.Errorf("after BEGIN/COMMIT then error: ids %q, want 1 2 5", got)
	}
	// The connection is idle and usable.
	if st := c.PgConn().TxStatus(); st != 'I' {
		t.Errorf("transaction status %q, want I", st)
	}
}

func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
