package tests

import (
	"bytes"
	"context"
	be "encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgproto3"
)

// badGroupDDL is the group every bad-input case writes to; it starts with
// the two rows of badGroupSeed, so "nothing stored" means count(*) = 2.
const badGroupDDL = `CREATE FEATURE GROUP bi (
	id  INTEGER     ENTITY KEY,
	ts  TIMESTAMPTZ EVENT TIME,
	v   INTEGER     NOT NULL CHECK (v BETWEEN 0 AND 100),
	s   TEXT
)`

const badGroupSeed = `INSERT INTO bi VALUES (1, '2024-01-01', 10, 'one'), (2, '2024-01-02', 20, 'two')`

func badServer(t *testing.T, extra ...string) *Server {
	t.Helper()
	srv := StartServer(t, extra...)
	c := srv.Connect(t)
	Exec(t, c, badGroupDDL)
	Exec(t, c, badGroupSeed)
	Exec(t, c, `CREATE TABLE bt (x INTEGER NOT NULL)`)
	return srv
}

// assertServing checks, on a new connection, that the server answers and
// that the group and the table hold exactly the seed rows.
func assertServing(t *testing.T, srv *Server, label string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, srv.DSN())
	if err != nil {
		t.Fatalf("%s: server no longer accepts connections: %v\n%s", label, err, srv.Log())
	}
	defer c.Close(context.Background())
	var n, sum, bt int64
	if err := c.QueryRow(ctx, `SELECT count(*), sum(v), (SELECT count(*) FROM bt) FROM bi`).Scan(&n, &sum, &bt); err != nil {
		t.Fatalf("%s: query after bad input: %v", label, err)
	}
	if n != 2 || sum != 30 || bt != 0 {
		t.Errorf("%s: after the failed statement the group has %d rows (sum %d) and the table %d rows; want only the 2 seed rows (sum 30) and 0",
			label, n, sum, bt)
	}
}

// TestBadSQL sends statements that must fail, each through the simple and
// the extended protocol, and checks the SQLSTATE, the position of syntax
// errors, the row named by constraint errors, that the session and the
// server go on, and that nothing of the statement is stored.
func TestBadSQL(t *testing.T) {
	srv := badServer(t)
	c := srv.Connect(t)
	ctx := context.Background()
	cases := []struct {
		name, sql string
		code      string
		position  string // for syntax errors: the text the position points at
		detail    string // a substring of Detail (or Where)
	}{
		{name: "syntax-keyword", sql: `SELEC 1`, code: "42601", position: "SELEC"},
		{name: "syntax-where", sql: `SELECT * FROM bi WHERE`, code: "42601", position: ""},
		{name: "syntax-unterminated", sql: `INSERT INTO bi VALUES (3, '2024-01-01', 30, 'x'`, code: "42601", position: ""},
		{name: "syntax-in-dialect", sql: `CREATE FEATURE GROUP x (id INTEGER ENTITY KEY ts TIMESTAMPTZ EVENT TIME)`, code: "42601", position: "ts TIMESTAMPTZ"},
		{name: "syntax-as-of", sql: `SELECT * FROM bi AS OF`, code: "42601", position: ""},
		{name: "syntax-after-valid-row", sql: `INSERT INTO bi VALUES (3, '2024-01-01', 30, 'x') (4, '2024-01-02', 40, 'y')`, code: "42601", position: "(4"},
		{name: "unknown-group-select", sql: `SELECT * FROM nope`, code: "42P01"},
		{name: "unknown-group-as-of", sql: `SELECT * FROM nope AS OF TIMESTAMP '2024-01-01'`, code: "42P01"},
		{name: "unknown-group-insert", sql: `INSERT INTO nope VALUES (1)`, code: "42P01"},
		{name: "unknown-group-alter", sql: `ALTER FEATURE GROUP nope ADD FEATURE x INTEGER`, code: "42P01"},
		{name: "unknown-group-drop", sql: `DROP FEATURE GROUP nope`, code: "42P01"},
		{name: "unknown-column-select", sql: `SELECT nope FROM bi`, code: "42703"},
		{name: "unknown-column-as-of", sql: `SELECT nope FROM bi AS OF TIMESTAMP '2024-01-05'`, code: "42703"},
		{name: "unknown-column-insert", sql: `INSERT INTO bi (id, ts, v, nope) VALUES (3, '2024-01-01', 30, 1)`, code: "42703"},
		{name: "unknown-feature-status", sql: `ALTER FEATURE bi.nope SET STATUS retired`, code: "42703"},
		{name: "not-null-feature", sql: `INSERT INTO bi (id, ts, s) VALUES (3, '2024-01-03', 'no v')`, code: "23502", detail: "row 1"},
		{name: "not-null-entity-key", sql: `INSERT INTO bi (ts, v) VALUES ('2024-01-03', 30)`, code: "23502", detail: "row 1"},
		{name: "not-null-row-2", sql: `INSERT INTO bi VALUES (3, '2024-01-03', 30, 'a'), (4, '2024-01-03', NULL, 'b')`, code: "23502", detail: "row 2"},
		{name: "check", sql: `INSERT INTO bi VALUES (3, '2024-01-03', 101, 'x')`, code: "23514", detail: "row 1"},
		{name: "check-row-3-of-4", sql: `INSERT INTO bi VALUES (3, '2024-01-03', 30, 'a'), (4, '2024-01-03', 40, 'b'), (5, '2024-01-03', -1, 'c'), (6, '2024-01-03', 60, 'd')`, code: "23514", detail: "row 3"},
		{name: "check-insert-select", sql: `INSERT INTO bi SELECT i, TIMESTAMPTZ '2024-01-03', i * 10, NULL FROM range(3, 20) t(i)`, code: "23514", detail: "row 9"},
		{name: "wrong-type", sql: `INSERT INTO bi VALUES ('abc', '2024-01-03', 30, 'x')`, code: "22P02"},
		{name: "wrong-type-row-2", sql: `INSERT INTO bi VALUES (3, '2024-01-03', 30, 'x'), (4, '2024-01-03', 'forty', 'y')`, code: "22P02", detail: "row 2"},
		{name: "bad-timestamp", sql: `INSERT INTO bi VALUES (3, 'yesterday-ish', 30, 'x')`, code: "22007"},
		{name: "out-of-range", sql: `INSERT INTO bi VALUES (3, '2024-01-03', 99999999999, 'x')`, code: "22003"},
		{name: "plain-table-not-null", sql: `INSERT INTO bt VALUES (1), (NULL)`, code: "23502"},
	}
	modes := []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range modes {
				_, err := c.Exec(ctx, tc.sql, mode)
				var pe *pgconn.PgError
				if !errors.As(err, &pe) {
					t.Errorf("%v: %s: got %v, want an error %s", mode, tc.sql, err, tc.code)
					continue
				}
				if pe.Code != tc.code {
					t.Errorf("%v: %s: SQLSTATE %s (%s), want %s", mode, tc.sql, pe.Code, pe.Message, tc.code)
				}
				if tc.code == "42601" {
					want := len(tc.sql) + 1 // end of input
					if tc.position != "" {
						want = strings.Index(tc.sql+"\x00", tc.position) + 1
					}
					if int(pe.Position) != want {
						t.Errorf("%v: %s: position %d, want %d (%q)", mode, tc.sql, pe.Position, want, tc.position)
					}
				}
				if tc.detail != "" && !strings.Contains(pe.Detail+" "+pe.Where, tc.detail) {
					t.Errorf("%v: %s: detail %q / where %q does not name %q", mode, tc.sql, pe.Detail, pe.Where, tc.detail)
				}
				// The session goes on.
				var one int
				if err := c.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
					t.Fatalf("%v: session unusable after %s: %v", mode, tc.name, err)
				}
			}
			assertServing(t, srv, tc.name)
		})
	}
}

// TestBadCopy sends COPY data with a bad line: the error names the line in
// its context (Where), and nothing of the COPY is stored, also for a COPY
// large enough to be written to Parquet directly.
func TestBadCopy(t *testing.T) {
	srv := badServer(t)
	c := srv.Connect(t)
	ctx := context.Background()
	big := func(n, bad int, badLine string) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			if i == bad {
				b.WriteString(badLine + "\n")
				continue
			}
			fmt.Fprintf(&b, "%d,2024-02-01 00:00:%02d+00,%d,s%d\n", 100+i, i%60, i%100, i)
		}
		return b.String()
	}
	cases := []struct {
		name, copy, data string
		code, where      string
	}{
		{"csv-bad-int", `COPY bi FROM STDIN WITH (FORMAT csv)`, "3,2024-01-03,30,a\n4,2024-01-04,40,b\n5,2024-01-05,fifty,c\n6,2024-01-06,60,d\n", "22P02", "line 3"},
		{"csv-header-bad-int", `COPY bi FROM STDIN WITH (FORMAT csv, HEADER)`, "id,ts,v,s\n3,2024-01-03,30,a\n4,2024-01-04,x,b\n", "22P02", "line 3"},
		{"text-bad-time", `COPY bi FROM STDIN`, "3\t2024-01-03\t30\ta\n4\tnot-a-time\t40\tb\n", "22007", "line 2"},
		{"text-check", `COPY bi FROM STDIN`, "3\t2024-01-03\t30\ta\n4\t2024-01-04\t400\tb\n", "23514", "line 2"},
		{"text-not-null", `COPY bi FROM STDIN`, "3\t2024-01-03\t30\ta\n4\t2024-01-04\t\\N\tb\n", "23502", "line 2"},
		{"text-missing-column", `COPY bi FROM STDIN`, "3\t2024-01-03\t30\ta\n4\t2024-01-04\n", "22P04", "line 2"},
		{"text-extra-column", `COPY bi FROM STDIN`, "3\t2024-01-03\t30\ta\textra\n", "22P04", "line 1"},
		{"csv-unterminated-quote", `COPY bi FROM STDIN WITH (FORMAT csv)`, "3,2024-01-03,30,\"open\n", "22P04", "line 1"},
		{"csv-invalid-utf8", `COPY bi FROM STDIN WITH (FORMAT csv)`, "3,2024-01-03,30,ok\n4,2024-01-04,40,bad\xff\xfe\n", "22021", "line 2"},
		{"large-bad-last-line", `COPY bi FROM STDIN WITH (FORMAT csv)`, big(60000, 59999, "x,2024-02-01,1,s"), "22P02", "line 59999"},
		{"large-check-line", `COPY bi FROM STDIN WITH (FORMAT csv)`, big(60000, 45000, "1,2024-02-01,1000,s"), "23514", "line 45000"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Each case copies into a group of its own, so that a case that
			// wrongly stores rows does not spoil the others.
			g := fmt.Sprintf("bc%d", i)
			Exec(t, c, strings.Replace(badGroupDDL, "GROUP bi", "GROUP "+g, 1))
			_, err := c.PgConn().CopyFrom(ctx, strings.NewReader(tc.data), strings.Replace(tc.copy, "COPY bi", "COPY "+g, 1))
			var pe *pgconn.PgError
			if !errors.As(err, &pe) {
				t.Errorf("got %v, want error %s", err, tc.code)
			} else {
				if pe.Code != tc.code {
					t.Errorf("SQLSTATE %s (%s), want %s", pe.Code, pe.Message, tc.code)
				}
				if !strings.HasPrefix(pe.Where, "COPY "+g+", "+tc.where) {
					t.Errorf("Where %q, want it to start with %q as PostgreSQL's does (message %q, detail %q)",
						pe.Where, "COPY "+g+", "+tc.where, pe.Message, pe.Detail)
				}
			}
			if got := QueryStrings(t, c, `SELECT count(*) FROM `+g); got[0][0] != "0" {
				t.Errorf("the failed COPY stored %s rows: %q", got[0][0], QueryStrings(t, c, `SELECT * FROM `+g+` ORDER BY id LIMIT 5`))
			}
			if got := QueryStrings(t, c, `SELECT count(*) FROM feature_store.files WHERE group_name = '`+g+`'`)[0][0]; got != "0" {
				t.Errorf("a failed COPY left %s Parquet files in the manifest", got)
			}
			assertServing(t, srv, tc.name)
		})
	}
	// The session and the group still take a good COPY.
	n, err := c.PgConn().CopyFrom(ctx, strings.NewReader("3,2024-01-03,30,a\n4,2024-01-04,40,\n"), `COPY bc0 FROM STDIN WITH (FORMAT csv)`)
	if err != nil || n.String() != "COPY 2" {
		t.Fatalf("good COPY after bad ones: %v, %v", n, err)
	}
	if got := QueryStrings(t, c, `SELECT id, v, s FROM bc0 ORDER BY id`); !reflectEqual(got, [][]string{{"3", "30", "a"}, {"4", "40", "NULL"}}) {
		t.Errorf("after the good COPY: %q", got)
	}
}

// rawConn is a protocol-level connection for sending malformed messages.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	fe   *pgproto3.Frontend
}

func dialRaw(t *testing.T, srv *Server) *rawConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", srv.Port), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawConn{t: t, conn: conn, fe: pgproto3.NewFrontend(conn, conn)}
}

// startup performs the startup exchange up to ReadyForQuery.
func (r *rawConn) startup() {
	r.t.Helper()
	r.fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters: map[string]string{"user": "featurehouse", "database": "featurehouse"}})
	if err := r.fe.Flush(); err != nil {
		r.t.Fatal(err)
	}
	for {
		m := r.receive()
		switch m := m.(type) {
		case *pgproto3.ReadyForQuery:
			return
		case *pgproto3.ErrorResponse:
			r.t.Fatalf("startup: %s %s", m.Code, m.Message)
		case nil:
			r.t.Fatal("startup: connection closed")
		}
	}
}

// receive returns the next message, or nil when the server closed the
// connection (or said nothing for 10 s, which fails the test).
func (r *rawConn) receive() pgproto3.BackendMessage {
	r.t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	m, err := r.fe.Receive()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			r.t.Fatalf("no answer from the server within 10s")
		}
		return nil
	}
	return m
}

func (r *rawConn) write(b []byte) {
	r.t.Helper()
	if _, err := r.conn.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// answer reads until ReadyForQuery or the end of the connection and returns
// the SQLSTATEs of the errors seen and whether the connection was closed.
func (r *rawConn) answer() (codes []string, closed bool) {
	r.t.Helper()
	for {
		m := r.receive()
		switch m := m.(type) {
		case nil:
			return codes, true
		case *pgproto3.ErrorResponse:
			codes = append(codes, m.Code)
			if m.Severity == "FATAL" {
				// the server must close the connection after a FATAL error
				if m2 := r.receive(); m2 != nil {
					r.t.Errorf("message %T after a FATAL error", m2)
				}
				return codes, true
			}
		case *pgproto3.ReadyForQuery:
			return codes, false
		}
	}
}

func frame(typ byte, body []byte) []byte {
	b := []byte{typ}
	b = be.BigEndian.AppendUint32(b, uint32(len(body)+4))
	return append(b, body...)
}

// TestBadProtocol sends malformed frontend messages on a raw socket: the
// server answers with an ErrorResponse 08P01 (or the limit error for an
// oversized message) or closes that connection, and keeps serving others.
func TestBadProtocol(t *testing.T) {
	srv := badServer(t)
	cases := []struct {
		name    string
		startup bool // perform the startup first
		send    []byte
		codes   []string // acceptable SQLSTATEs of the first error
		// mustClose: the connection cannot continue (framing lost)
		mustClose bool
	}{
		{name: "query-without-terminator", startup: true, send: frame('Q', []byte("SELECT 1")), codes: []string{"08P01"}},
		{name: "query-empty-body", startup: true, send: frame('Q', nil), codes: []string{"08P01"}},
		{name: "length-below-4", startup: true, send: []byte{'Q', 0, 0, 0, 2}, codes: []string{"08P01"}, mustClose: true},
		{name: "negative-length", startup: true, send: []byte{'Q', 0xff, 0xff, 0xff, 0xf0}, codes: []string{"08P01"}, mustClose: true},
		{name: "unknown-message-type", startup: true, send: frame('z', []byte("garbage")), codes: []string{"08P01"}, mustClose: true},
		{name: "oversized-length", startup: true, send: []byte{'Q', 0x7f, 0xff, 0xff, 0xff, 'S', 'E', 'L'}, codes: []string{"08P01", "54000"}, mustClose: true},
		{name: "bind-too-many-params", startup: true, send: append(append(
			frame('P', []byte("s1\x00SELECT $1::int\x00\x00\x00")),
			frame('B', []byte("\x00s1\x00\x00\x00\x00\x02\x00\x00\x00\x011\x00\x00\x00\x012\x00\x00"))...),
			frame('S', nil)...), codes: []string{"08P01"}},
		{name: "bind-truncated", startup: true, send: append(append(
			frame('P', []byte("s2\x00SELECT 1\x00\x00\x00")),
			frame('B', []byte("\x00s2\x00\x00\x05"))...),
			frame('S', nil)...), codes: []string{"08P01"}},
		{name: "bind-unknown-statement", startup: true, send: append(
			frame('B', []byte("\x00nosuch\x00\x00\x00\x00\x00\x00\x00")),
			frame('S', nil)...), codes: []string{"26000"}},
		{name: "parse-invalid-utf8", startup: true, send: append(
			frame('P', []byte("\x00SELECT '\xff\xfe'\x00\x00\x00")),
			frame('S', nil)...), codes: []string{"22021"}},
		{name: "startup-bad-protocol-version", send: []byte{0, 0, 0, 8, 0x12, 0x34, 0x56, 0x78}, codes: []string{"0A000", "08P01"}, mustClose: true},
		{name: "startup-length-huge", send: []byte{0x7f, 0, 0, 0, 0, 3, 0, 0}, codes: []string{"08P01"}, mustClose: true},
		{name: "startup-no-user", send: func() []byte {
			body := be.BigEndian.AppendUint32(nil, 196608)
			body = append(body, "database\x00featurehouse\x00\x00"...)
			return append(be.BigEndian.AppendUint32(nil, uint32(len(body)+4)), body...)
		}(), codes: []string{"28000", "08P01"}, mustClose: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := dialRaw(t, srv)
			if tc.startup {
				r.startup()
			}
			start := time.Now()
			r.write(tc.send)
			codes, closed := r.answer()
			if len(codes) == 0 && !closed {
				t.Fatalf("the server accepted the malformed message")
			}
			if len(codes) == 0 {
				t.Errorf("connection closed without an ErrorResponse")
			} else if !contains(tc.codes, codes[0]) {
				t.Errorf("SQLSTATE %s, want one of %v", codes[0], tc.codes)
			}
			if tc.mustClose && !closed {
				t.Errorf("the connection stayed open after a framing error")
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("the server took %v to answer", time.Since(start))
			}
			if !closed {
				// The same connection still answers a query.
				r.fe.Send(&pgproto3.Query{String: "SELECT 41 + 1"})
				if err := r.fe.Flush(); err != nil {
					t.Fatal(err)
				}
				var got string
				for m := r.receive(); ; m = r.receive() {
					if m == nil {
						t.Fatal("connection closed after the error")
					}
					if d, ok := m.(*pgproto3.DataRow); ok {
						got = string(d.Values[0])
					}
					if e, ok := m.(*pgproto3.ErrorResponse); ok {
						t.Fatalf("query after the error: %s %s", e.Code, e.Message)
					}
					if _, ok := m.(*pgproto3.ReadyForQuery); ok {
						break
					}
				}
				if got != "42" {
					t.Errorf("query after the error returned %q", got)
				}
			}
			assertServing(t, srv, tc.name)
		})
	}
}

func reflectEqual(a, b [][]string) bool { return fmt.Sprintf("%q", a) == fmt.Sprintf("%q", b) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestInvalidUTF8 sends invalid UTF-8 in a query string, a text parameter
// and a binary text parameter: 22021, nothing stored.
func TestInvalidUTF8(t *testing.T) {
	srv := badServer(t)
	c := srv.Connect(t)
	ctx := context.Background()
	check := func(label string, err error) {
		t.Helper()
		if code := sqlstate(err); code != "22021" {
			t.Errorf("%s: %v, want 22021 (invalid byte sequence for encoding \"UTF8\")", label, err)
		}
		var one int
		if err := c.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
			t.Fatalf("%s: session unusable: %v", label, err)
		}
		assertServing(t, srv, label)
	}
	_, err := c.PgConn().Exec(ctx, "INSERT INTO bi VALUES (3, '2024-01-03', 30, 'bad \xc3\x28 text')").ReadAll()
	check("simple query", err)
	_, err = c.PgConn().Exec(ctx, "SELECT '\xff'").ReadAll()
	check("simple select", err)
	res := c.PgConn().ExecParams(ctx, `INSERT INTO bi VALUES ($1, $2, $3, $4)`,
		[][]byte{[]byte("3"), []byte("2024-01-03"), []byte("30"), []byte("bad \xed\xa0\x80 surrogate")}, nil, []int16{0}, nil).Read()
	check("text parameter", res.Err)
	res = c.PgConn().ExecParams(ctx, `INSERT INTO bi VALUES ($1, $2, $3, $4)`,
		[][]byte{[]byte("3"), []byte("2024-01-03"), []byte("30"), []byte("\x80\x80")}, []uint32{23, 1184, 23, 25}, []int16{0, 0, 0, 1}, nil).Read()
	check("binary text parameter", res.Err)
}

// TestCancelQuery cancels running statements with a CancelRequest: 57014,
// promptly, the session goes on, and a cancelled write stores nothing.
func TestCancelQuery(t *testing.T) {
	srv := badServer(t)
	c := srv.Connect(t)
	ctx := context.Background()
	cases := []struct{ name, sql string }{
		{"count-range", `SELECT count(*) FROM range(10000000000)`},
		{"cross-join", `SELECT count(*) FROM range(200000) a, range(200000) b WHERE a.range + b.range = -1`},
		{"insert-select-into-group", `INSERT INTO bi SELECT (i % 1000)::INTEGER + 10, TIMESTAMPTZ '2024-01-05', (i % 100)::INTEGER, NULL FROM range(3000000000) t(i)`},
		{"insert-select-into-table", `INSERT INTO bt SELECT 1 FROM range(10000000000)`},
	}
	for _, tc := range cases {
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
			t.Run(fmt.Sprintf("%s/%v", tc.name, mode), func(t *testing.T) {
				done := make(chan error, 1)
				go func() {
					_, err := c.Exec(ctx, tc.sql, mode)
					done <- err
				}()
				time.Sleep(700 * time.Millisecond)
				select {
				case err := <-done:
					t.Fatalf("the statement finished before it was cancelled (%v): make it longer", err)
				default:
				}
				cancelAt := time.Now()
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				if err := c.PgConn().CancelRequest(cctx); err != nil {
					t.Fatal(err)
				}
				var err error
				select {
				case err = <-done:
				case <-time.After(20 * time.Second):
					t.Fatalf("the statement was still running 20s after the cancel request")
				}
				if code := sqlstate(err); code != "57014" {
					t.Errorf("%v, want 57014", err)
				}
				if d := time.Since(cancelAt); d > 5*time.Second {
					t.Errorf("cancel took %v", d)
				}
				var one int
				if err := c.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
					t.Fatalf("session unusable after cancel: %v", err)
				}
				assertServing(t, srv, tc.name)
			})
		}
	}
	// A cancel that arrives when nothing runs does nothing.
	if err := c.PgConn().CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM range(10)`).Scan(&n); err != nil || n != 10 {
		t.Errorf("query after an idle cancel: %d, %v", n, err)
	}
	// Cancel inside a transaction block: the block is failed, ROLLBACK
	// discards its earlier writes.
	Exec(t, c, `BEGIN`)
	Exec(t, c, `INSERT INTO bi VALUES (50, '2024-01-05', 50, 'in block')`)
	done := make(chan error, 1)
	go func() { _, err := c.Exec(ctx, `SELECT count(*) FROM range(10000000000)`); done <- err }()
	time.Sleep(500 * time.Millisecond)
	_ = c.PgConn().CancelRequest(ctx)
	if err := <-done; sqlstate(err) != "57014" {
		t.Errorf("cancel in a block: %v", err)
	}
	if _, err := c.Exec(ctx, `SELECT 1`); sqlstate(err) != "25P02" {
		t.Errorf("statement after a cancelled one in a block: %v, want 25P02", err)
	}
	Exec(t, c, `ROLLBACK`)
	assertServing(t, srv, "cancel in a block")
}

// TestCancelByContext cancels with pgx's context: pgx sends a CancelRequest
// (CancelRequestContextWatcherHandler) and the statement ends with 57014.
func TestCancelByContext(t *testing.T) {
	srv := badServer(t)
	cfg, err := pgx.ParseConfig(srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, CancelRequestDelay: 0, DeadlineDelay: 10 * time.Second}
	}
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Exec(ctx, `INSERT INTO bi SELECT (i % 1000)::INTEGER + 10, TIMESTAMPTZ '2024-01-05', (i % 100)::INTEGER, NULL FROM range(3000000000) t(i)`)
	if code := sqlstate(err); code != "57014" {
		t.Errorf("%v, want 57014", err)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("statement ran %v despite a 800ms context", d)
	}
	if c.IsClosed() {
		t.Fatalf("the connection was closed: the cancel request did not end the statement in time")
	}
	var one int
	if err := c.QueryRow(context.Background(), `SELECT 1`).Scan(&one); err != nil {
		t.Fatal(err)
	}
	assertServing(t, srv, "context cancel")
}

// TestDroppedConnection closes client sockets in the middle of a query, a
// write, a COPY and a transaction block: the server goes on serving,
// stops the abandoned work and stores nothing of it.
func TestDroppedConnection(t *testing.T) {
	srv := badServer(t)
	query := func(sql string) func(r *rawConn) {
		return func(r *rawConn) {
			r.fe.Send(&pgproto3.Query{String: sql})
			if err := r.fe.Flush(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	cases := []struct {
		name string
		run  func(r *rawConn)
	}{
		{"long-select", query(`SELECT count(*) FROM range(10000000000)`)},
		{"long-insert-select", query(`INSERT INTO bi SELECT (i % 1000)::INTEGER + 10, TIMESTAMPTZ '2024-01-05', (i % 100)::INTEGER, NULL FROM range(3000000000) t(i)`)},
		{"large-result", query(`SELECT i, repeat('x', 100) FROM range(100000000) t(i)`)},
		{"mid-copy", func(r *rawConn) {
			r.fe.Send(&pgproto3.Query{String: `COPY bi FROM STDIN WITH (FORMAT csv)`})
			if err := r.fe.Flush(); err != nil {
				t.Fatal(err)
			}
			if _, ok := r.receive().(*pgproto3.CopyInResponse); !ok {
				t.Fatal("no CopyInResponse")
			}
			var b bytes.Buffer
			for i := 0; i < 1000; i++ {
				fmt.Fprintf(&b, "%d,2024-01-05,%d,x\n", 100+i, i%100)
			}
			r.fe.Send(&pgproto3.CopyData{Data: b.Bytes()})
			r.fe.Send(&pgproto3.CopyData{Data: []byte("5000,2024-01-05,5")}) // half a line
			if err := r.fe.Flush(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
		}},
		{"open-transaction", func(r *rawConn) {
			for _, q := range []string{`BEGIN`, `INSERT INTO bi VALUES (60, '2024-01-05', 60, 'uncommitted')`, `INSERT INTO bt VALUES (1)`} {
				r.fe.Send(&pgproto3.Query{String: q})
				if err := r.fe.Flush(); err != nil {
					t.Fatal(err)
				}
				if codes, closed := r.answer(); len(codes) > 0 || closed {
					t.Fatalf("%s: %v closed=%v", q, codes, closed)
				}
			}
		}},
		{"mid-message", func(r *rawConn) {
			// a Query message announced longer than what is sent
			r.write([]byte{'Q', 0, 0, 0, 100})
			r.write([]byte("INSERT INTO bi VALUES (70, '2024-01-05', 70, 'x')"))
			time.Sleep(200 * time.Millisecond)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			baseline := sessions(t, srv)
			r := dialRaw(t, srv)
			r.startup()
			tc.run(r)
			if tcp, ok := r.conn.(*net.TCPConn); ok {
				_ = tcp.SetLinger(0) // reset, as a crashed client would
			}
			r.conn.Close()
			// A new session gets answers and sees nothing of the abandoned
			// statement.
			assertServing(t, srv, tc.name)
			// The server ends the abandoned session (and its statement)
			// instead of running it to completion.
			deadline := time.Now().Add(10 * time.Second)
			for {
				n := sessions(t, srv)
				if n == baseline {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%v sessions 10s after the client went away, want %v (the abandoned statement still runs)", n, baseline)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
	assertServing(t, srv, "after all dropped connections")
}

// sessions is the server's featurehouse_sessions gauge.
func sessions(t *testing.T, srv *Server) float64 {
	t.Helper()
	v, ok := metricValue(t, srv, "featurehouse_sessions")
	if !ok {
		t.Fatalf("featurehouse_sessions not in /metrics")
	}
	return v
}

func metricValue(t *testing.T, srv *Server, name string) (float64, bool) {
	t.Helper()
	body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", srv.HTTP))
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, name+" ") {
			var v float64
			if _, err := fmt.Sscanf(strings.TrimPrefix(line, name+" "), "%g", &v); err == nil {
				return v, true
			}
		}
	}
	return 0, false
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
