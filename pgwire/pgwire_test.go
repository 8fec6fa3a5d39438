package pgwire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

func asPgErr(t testing.TB, err error) *pgconn.PgError {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("want a PostgreSQL error, got %v", err)
	}
	return pe
}

func wantCode(t testing.TB, err error, code string) *pgconn.PgError {
	t.Helper()
	pe := asPgErr(t, err)
	if pe.Code != code {
		t.Fatalf("want SQLSTATE %s, got %s (%s)", code, pe.Code, pe.Message)
	}
	return pe
}

// mustServe checks that c still answers queries.
func mustServe(t testing.TB, c *pgconn.PgConn) {
	t.Helper()
	res, err := c.Exec(testCtx(t), "SELECT 2").ReadAll()
	if err != nil {
		t.Fatalf("connection no longer serves: %v", err)
	}
	if len(res) != 1 || len(res[0].Rows) != 2 || string(res[0].Rows[1][1]) != "row 2" {
		t.Fatalf("unexpected result %+v", res)
	}
}

func TestPgxSimpleProtocol(t *testing.T) {
	ts := startServer(t)
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, ts.connString("default_query_exec_mode=simple_protocol"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	rows, _ := conn.Query(ctx, "SELECT 3")
	type row struct {
		N int64
		S string
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[{1 row 1} {2 row 2} {3 row 3}]" {
		t.Fatalf("rows: %v", got)
	}

	res, err := conn.PgConn().Exec(ctx, "SELECT 1; SET search_path fs; SELECT 2").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, r := range res {
		tags = append(tags, r.CommandTag.String())
	}
	if strings.Join(tags, ",") != "SELECT 1,SET,SELECT 2" {
		t.Fatalf("tags: %v", tags)
	}
	if v := conn.PgConn().ParameterStatus("search_path"); v != "fs" {
		t.Fatalf("ParameterStatus after SET: %q", v)
	}

	// An error stops the remaining statements; the connection goes on.
	res, err = conn.PgConn().Exec(ctx, "SELECT 1; ERROR 22012; SELECT 2").ReadAll()
	pe := wantCode(t, err, "22012")
	if pe.Detail != "some detail" || pe.Hint != "some hint" || pe.Severity != "ERROR" || pe.SeverityUnlocalized != "ERROR" {
		t.Fatalf("error fields: %+v", pe)
	}
	if len(res) < 1 || len(res[0].Rows) != 1 {
		t.Fatalf("results before the error: %+v", res)
	}

	// Syntax errors fail the whole text and carry their position.
	_, err = conn.Exec(ctx, "SELECT 1; SYNTAX")
	if pe := wantCode(t, err, "42601"); pe.Position != 11 {
		t.Fatalf("position %d, want 11", pe.Position)
	}

	res, err = conn.PgConn().Exec(ctx, "").ReadAll()
	if err != nil || len(res) != 1 || res[0].CommandTag.String() != "" {
		t.Fatalf("empty query: %+v %v", res, err)
	}
	mustServe(t, conn.PgConn())
}

func TestPgxExtendedProtocol(t *testing.T) {
	ts := startServer(t)
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, ts.connString(""))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	for i := 0; i < 3; i++ { // the second and third run use pgx's statement cache
		var sum int64
		var last string
		rows, _ := conn.Query(ctx, "SELECT 5")
		for rows.Next() {
			var n int64
			if err := rows.Scan(&n, &last); err != nil {
				t.Fatal(err)
			}
			sum += n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if sum != 15 || last != "row 5" {
			t.Fatalf("sum %d last %q", sum, last)
		}
	}

	var a, b string
	if err := conn.QueryRow(ctx, "ECHO 2", "x", "héllo").Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a != "x" || b != "héllo" {
		t.Fatalf("echo: %q %q", a, b)
	}
	var p *string
	if err := conn.QueryRow(ctx, "ECHO 1", nil).Scan(&p); err != nil || p != nil {
		t.Fatalf("NULL parameter: %v %v", p, err)
	}

	_, err = conn.Exec(ctx, "ERROR 23505")
	wantCode(t, err, "23505")
	if _, err := conn.Exec(ctx, "INSERT"); err != nil {
		t.Fatalf("after an error: %v", err)
	}

	// Binary int8 parameter and result.
	rr := conn.PgConn().ExecParams(ctx, "ECHO 1", [][]byte{binary.BigEndian.AppendUint64(nil, 42)},
		[]uint32{20}, []int16{1}, []int16{1})
	r := rr.Read()
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if len(r.Rows) != 1 || binary.BigEndian.Uint64(r.Rows[0][0]) != 42 || r.FieldDescriptions[0].Format != 1 {
		t.Fatalf("binary echo: %+v", r)
	}
}

func TestBindErrors(t *testing.T) {
	ts := startServer(t)
	c := pgconnect(t, ts, "")
	ctx := testCtx(t)

	r := c.ExecParams(ctx, "ECHO 2", [][]byte{[]byte("a")}, nil, nil, nil).Read()
	pe := wantCode(t, r.Err, "08P01")
	if pe.Message != `bind message supplies 1 parameters, but prepared statement "" requires 2` {
		t.Fatalf("message: %s", pe.Message)
	}
	mustServe(t, c)

	if _, err := c.Prepare(ctx, "s1", "SELECT 1", nil); err != nil {
		t.Fatal(err)
	}
	_, err := c.Prepare(ctx, "s1", "SELECT 2", nil)
	wantCode(t, err, "42P05")
	r = c.ExecPrepared(ctx, "nope", nil, nil, nil).Read()
	wantCode(t, r.Err, "26000")
	r = c.ExecPrepared(ctx, "s1", nil, nil, nil).Read()
	if r.Err != nil || len(r.Rows) != 1 {
		t.Fatalf("s1 after duplicate Parse: %+v", r)
	}

	r = c.ExecParams(ctx, "ECHO 1", [][]byte{{'a', 0xff}}, nil, nil, nil).Read()
	wantCode(t, r.Err, "22021")
	r = c.ExecParams(ctx, "ECHO 1", [][]byte{[]byte("abc")}, []uint32{20}, nil, nil).Read()
	wantCode(t, r.Err, "22P02")
	r = c.ExecParams(ctx, "SELECT 1", nil, nil, nil, []int16{0, 1, 0}).Read()
	wantCode(t, r.Err, "08P01")
	r = c.ExecParams(ctx, "RECORD", nil, nil, nil, []int16{1}).Read()
	wantCode(t, r.Err, "0A000")
	r = c.ExecParams(ctx, "RECORD", nil, nil, nil, []int16{0}).Read()
	if r.Err != nil || string(r.Rows[0][0]) != "(1,2)" {
		t.Fatalf("text record: %+v", r)
	}
	mustServe(t, c)
	waitFor(t, "statements and rows released", func() bool {
		return ts.b.openRows.Load() == 0
	})
}

func TestPortalSuspendedAndRowLimits(t *testing.T) {
	ts := startServer(t)
	rc := dialRaw(t, ts)
	rc.send(&pgproto3.Parse{Query: "SELECT 5"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{MaxRows: 2}, &pgproto3.Flush{})
	wantSeq(t, rc.until('s'), "ParseComplete", "BindComplete", "T n:20:0,s:25:0", "D 1|row 1", "D 2|row 2", "PortalSuspended")
	rc.send(&pgproto3.Execute{MaxRows: 2}, &pgproto3.Flush{})
	wantSeq(t, rc.until('s'), "D 3|row 3", "D 4|row 4", "PortalSuspended")
	rc.send(&pgproto3.Execute{}, &pgproto3.Sync{})
	wantSeq(t, rc.until('Z'), "D 5|row 5", "C SELECT 5", "Z I")
	if n := ts.b.openRows.Load(); n != 0 {
		t.Fatalf("%d row results left open", n)
	}

	// Two named portals interleaved; Sync outside a transaction block closes
	// them (and their results).
	rc.send(&pgproto3.Parse{Name: "st", Query: "SELECT 3"},
		&pgproto3.Bind{DestinationPortal: "a", PreparedStatement: "st"},
		&pgproto3.Bind{DestinationPortal: "b", PreparedStatement: "st"},
		&pgproto3.Execute{Portal: "a", MaxRows: 1}, &pgproto3.Execute{Portal: "b", MaxRows: 2},
		&pgproto3.Execute{Portal: "a", MaxRows: 1}, &pgproto3.Sync{})
	wantSeq(t, rc.until('Z'), "ParseComplete", "BindComplete", "BindComplete",
		"D 1|row 1", "PortalSuspended", "D 1|row 1", "D 2|row 2", "PortalSuspended", "D 2|row 2", "PortalSuspended", "Z I")
	if n := ts.b.openRows.Load(); n != 0 {
		t.Fatalf("Sync left %d row results open", n)
	}
	rc.send(&pgproto3.Execute{Portal: "a"}, &pgproto3.Sync{})
	wantSeq(t, rc.until('Z'), `E ERROR 34000 portal "a" does not exist`, "Z I")

	// Inside a transaction block portals survive Sync.
	rc.send(&pgproto3.Query{String: "BEGIN"})
	wantSeq(t, rc.until('Z'), "C BEGIN", "Z T")
	rc.send(&pgproto3.Bind{DestinationPortal: "c", PreparedStatement: "st"}, &pgproto3.Execute{Portal: "c", MaxRows: 1}, &pgproto3.Sync{})
	wantSeq(t, rc.until('Z'), "BindComplete", "D 1|row 1", "PortalSuspended", "Z T")
	rc.send(&pgproto3.Execute{Portal: "c"}, &pgproto3.Execute{Portal: "c"}, &pgproto3.Close{ObjectType: 'P', Name: "c"}, &pgproto3.Sync{})
	wantSeq(t, rc.until('Z'), "D 2|row 2", "D 3|row 3", "C SELECT 3", "C SELECT 0", "CloseComplete", "Z T")
	rc.send(&pgproto3.Query{String: "COMMIT"})
	wantSeq(t, rc.until('Z'), "C COMMIT", "Z I")

	// After an error everything up to Sync is discarded.
	rc.send(&pgproto3.Bind{PreparedStatement: "missing"}, &pgproto3.Execute{}, &pgproto3.Parse{Query: "SELECT 1"}, &pgproto3.Sync{})
	wantSeq(t, rc.until('Z'), `E ERROR 26000 prepared statement "missing" does not exist`, "Z I")

	// Closing a statement keeps its portals working.
	rc.send(&pgproto3.Query{String: "BEGIN"})
	rc.until('Z')
	rc.send(&pgproto3.Bind{DestinationPortal: "d", PreparedStatement: "st"}, &pgproto3.Close{ObjectType: 'S', Name: "st"},
		&pgproto3.Execute{Portal: "d"}, &pgproto3.Sync{})
	wantSeq(t, rc.until('Z'), "BindComplete", "CloseComplete", "D 1|row 1", "D 2|row 2", "D 3|row 3", "C SELECT 3", "Z T")
	rc.send(&pgproto3.Query{String: "COMMIT"})
	rc.until('Z')
	waitFor(t, "statements closed", func() bool { return ts.b.openStmts.Load() == 0 })

	// Describe of a statement.
	rc.send(&pgproto3.Parse{Name: "e", Query: "ECHO 2", ParameterOIDs: []uint32{20}}, &pgproto3.Describe{ObjectType: 'S', Name: "e"},
		&pgproto3.Parse{Name: "f", Query: "SET a b"}, &pgproto3.Describe{ObjectType: 'S', Name: "f"},
		&pgproto3.Describe{ObjectType: 'S', Name: "zz"}, &pgproto3.Sync{})
	wantSeq(t, rc.until('Z'), "ParseComplete", "ParameterDescription [20 25]", "T p1:20:0,p2:25:0",
		"ParseComplete", "ParameterDescription []", "NoData", `E ERROR 26000 prepared statement "zz" does not exist`, "Z I")
	rc.send(&pgproto3.Parse{Name: "e", Query: "SELECT 1"}, &pgproto3.Sync{})
	wantSeq(t, rc.until('Z'), `E ERROR 42P05 prepared statement "e" already exists`, "Z I")
}

func TestRowLimitThroughPgconn(t *testing.T) {
	ts := startServer(t)
	c := pgconnect(t, ts, "")
	ctx := testCtx(t)
	// pgconn reads whole results; stream one row by row with a ResultReader.
	rr := c.ExecParams(ctx, "SELECT 1000", nil, nil, nil, nil)
	n := 0
	for rr.NextRow() {
		n++
		if want := fmt.Sprintf("row %d", n); string(rr.Values()[1]) != want {
			t.Fatalf("row %d: %q", n, rr.Values()[1])
		}
	}
	tag, err := rr.Close()
	if err != nil || n != 1000 || tag.String() != "SELECT 1000" {
		t.Fatalf("n=%d tag=%q err=%v", n, tag, err)
	}
	// An error after some rows reaches the client after them.
	rr = c.ExecParams(ctx, "ROWSERR 3", nil, nil, nil, nil)
	n = 0
	for rr.NextRow() {
		n++
	}
	_, err = rr.Close()
	wantCode(t, err, "22012")
	if n != 3 {
		t.Fatalf("rows before error: %d", n)
	}
	mustServe(t, c)
}

func TestCancelRequest(t *testing.T) {
	ts := startServer(t)
	c := pgconnect(t, ts, "")
	ctx := testCtx(t)

	errc := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "SLEEP").ReadAll()
		errc <- err
	}()
	<-ts.b.sleepStarted

	// A wrong key cancels nothing.
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	buf, _ := (&pgproto3.CancelRequest{ProcessID: c.PID(), SecretKey: []byte{1, 2, 3, 4}}).Encode(nil)
	nc.Write(buf)
	io.Copy(io.Discard, nc) // the server closes without a reply
	nc.Close()
	select {
	case <-ts.b.sleepEnded:
		t.Fatal("a cancel request with a wrong key cancelled the statement")
	case <-time.After(100 * time.Millisecond):
	}

	if err := c.CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	err = <-errc
	pe := wantCode(t, err, "57014")
	if pe.Message != "canceling statement due to user request" {
		t.Fatalf("message %q", pe.Message)
	}
	if cause := <-ts.b.sleepEnded; cause != errUserCancel {
		t.Fatalf("statement context cause: %v", cause)
	}
	mustServe(t, c)

	// Extended protocol too, through pgx's own cancel-on-context.
	conn, err := pgx.Connect(ctx, ts.connString(""))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	qctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	rows, _ := conn.Query(qctx, "SLEEP") // Query uses the extended protocol
	rows.Close()
	err = rows.Err()
	cancel()
	if err == nil {
		t.Fatal("SLEEP returned without error")
	}
	if cause := <-ts.b.sleepEnded; cause != errUserCancel && cause != errClientGone {
		t.Fatalf("statement context cause: %v", cause)
	}
}

func TestClientDropCancelsStatementAndFailsCopy(t *testing.T) {
	ts := startServer(t)
	rc := dialRaw(t, ts)
	rc.send(&pgproto3.Query{String: "SLEEP"})
	<-ts.b.sleepStarted
	rc.nc.Close()
	select {
	case cause := <-ts.b.sleepEnded:
		if cause != errClientGone {
			t.Fatalf("cause %v", cause)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("dropping the client did not cancel the statement")
	}

	rc = dialRaw(t, ts)
	rc.send(&pgproto3.Query{String: "COPYIN"})
	wantSeq(t, rc.until('G'), "CopyIn 0 [0 0]")
	rc.send(&pgproto3.CopyData{Data: []byte("1\ta\n")})
	rc.nc.Close()
	waitFor(t, "COPY failed and sessions closed", func() bool {
		_, fails := ts.b.copyState()
		return len(fails) == 1 && fails[0] == "connection lost" && ts.b.openSession.Load() == 0
	})
	if copied, _ := ts.b.copyState(); copied != "" {
		t.Fatalf("a dropped COPY stored %q", copied)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		return 0, errors.New("disk on fire")
	}
	r.n++
	return copy(p, "9\tz\n"), nil
}

func TestCopy(t *testing.T) {
	ts := startServer(t)
	c := pgconnect(t, ts, "")
	ctx := testCtx(t)

	data := strings.Repeat("1\ta\n2\tb\n", 50000) // several CopyData messages
	tag, err := c.CopyFrom(ctx, strings.NewReader(data), "COPYIN")
	if err != nil {
		t.Fatal(err)
	}
	if tag.String() != "COPY 100000" {
		t.Fatalf("tag %q", tag)
	}
	if copied, _ := ts.b.copyState(); copied != data {
		t.Fatalf("copied %d bytes, want %d", len(copied), len(data))
	}

	_, err = c.CopyFrom(ctx, &failingReader{}, "COPYIN")
	pe := wantCode(t, err, "57014")
	if !strings.HasPrefix(pe.Message, "COPY from stdin failed: ") || !strings.Contains(pe.Message, "disk on fire") {
		t.Fatalf("message %q", pe.Message)
	}
	if _, fails := ts.b.copyState(); len(fails) != 1 || !strings.Contains(fails[0], "disk on fire") {
		t.Fatalf("fails %v", fails)
	}
	mustServe(t, c)

	_, err = c.CopyFrom(ctx, strings.NewReader("1\tBAD\n"+strings.Repeat("x", 300000)), "COPYIN")
	wantCode(t, err, "22P04")
	mustServe(t, c)

	var out bytes.Buffer
	tag, err = c.CopyTo(ctx, &out, "COPYOUT 3")
	if err != nil || out.String() != "1\n2\n3\n" || tag.String() != "COPY 3" {
		t.Fatalf("copy out: %q %q %v", out.String(), tag, err)
	}

	// The extended protocol, as libpq/psycopg 3 send it: the Sync behind
	// Execute arrives during COPY and is ignored; another follows CopyDone.
	rc := dialRaw(t, ts)
	rc.send(&pgproto3.Parse{Query: "COPYIN"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	wantSeq(t, rc.until('G'), "ParseComplete", "BindComplete", "NoData", "CopyIn 0 [0 0]")
	rc.send(&pgproto3.CopyData{Data: []byte("7\tq\n8\tr\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})
	wantSeq(t, rc.until('Z'), "C COPY 2", "Z I")

	// A message that does not belong in COPY ends it with 08P01.
	rc.send(&pgproto3.Query{String: "COPYIN BINARY"})
	wantSeq(t, rc.until('G'), "CopyIn 1 [1 1]")
	rc.send(&pgproto3.Describe{ObjectType: 'S'})
	wantSeq(t, rc.until('Z'), "E ERROR 08P01 unexpected message type 0x44 during COPY from stdin", "Z I")
	// Data the client still sends after a failed COPY is ignored.
	rc.send(&pgproto3.CopyData{Data: []byte("late")}, &pgproto3.CopyDone{}, &pgproto3.Query{String: "SELECT 1"})
	wantSeq(t, rc.until('Z'), "T n:20:0,s:25:0", "D 1|row 1", "C SELECT 1", "Z I")
}

func TestNotices(t *testing.T) {
	ts := startServer(t)
	var notices []string
	cfg, err := pgconn.ParseConfig(ts.connString(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		notices = append(notices, n.Severity+" "+n.Code+" "+n.Message)
	}
	c, err := pgconn.ConnectConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	res, err := c.Exec(testCtx(t), "NOTICE").ReadAll()
	if err != nil || res[0].CommandTag.String() != "DO" {
		t.Fatalf("%+v %v", res, err)
	}
	if strings.Join(notices, ";") != "NOTICE 00000 hello from notice;WARNING 01000 careful" {
		t.Fatalf("notices %q", notices)
	}
}

func writeRaw(t *testing.T, rc *rawConn, b []byte) {
	t.Helper()
	if _, err := rc.nc.Write(b); err != nil {
		t.Fatal(err)
	}
}

func TestMalformedFrames(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxMessageSize = 1 << 20 })
	bystander := pgconnect(t, ts, "")

	cases := []struct {
		name  string
		bytes []byte
		want  string
	}{
		{"unknown type", []byte{'z', 0, 0, 0, 4}, "E FATAL 08P01 invalid frontend message type 122"},
		{"length below 4", []byte{'Q', 0, 0, 0, 2}, "E FATAL 08P01 invalid message length"},
		{"negative length", []byte{'Q', 0xff, 0xff, 0xff, 0xf0}, "E FATAL 08P01 invalid message length"},
		{"huge length", []byte{'Q', 0x7f, 0xff, 0xff, 0xff}, "E FATAL 54000 message of 2147483643 bytes exceeds the maximum of 1048576 bytes"},
		{"startup packet again", []byte{0, 0, 0, 8, 4, 210, 22, 47}, "E FATAL 08P01 invalid frontend message type 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, ts)
			writeRaw(t, rc, tc.bytes)
			_, got := rc.recv()
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			rc.expectClosed()
		})
	}

	t.Run("oversized query", func(t *testing.T) {
		rc := dialRaw(t, ts)
		msg, _ := (&pgproto3.Query{String: strings.Repeat("x", 2<<20)}).Encode(nil)
		go rc.nc.Write(msg) // fails part way: the server closes early
		_, got := rc.recv()
		if !strings.HasPrefix(got, "E FATAL 54000 ") {
			t.Fatalf("got %q", got)
		}
	})

	// Malformed bodies of known messages keep the framing: ERROR, go on.
	t.Run("malformed bodies", func(t *testing.T) {
		rc := dialRaw(t, ts)
		writeRaw(t, rc, []byte{'B', 0, 0, 0, 5, 'x'})
		writeRaw(t, rc, []byte{'E', 0, 0, 0, 4})
		rc.send(&pgproto3.Sync{})
		wantSeq(t, rc.until('Z'), "E ERROR 08P01 invalid message format", "Z I")
		writeRaw(t, rc, []byte{'Q', 0, 0, 0, 7, 'a', 'b', 'c'})
		wantSeq(t, rc.until('Z'), "E ERROR 08P01 invalid message format", "Z I")
		writeRaw(t, rc, []byte{'D', 0, 0, 0, 7, 'X', 'a', 0})
		rc.send(&pgproto3.Sync{})
		wantSeq(t, rc.until('Z'), "E ERROR 08P01 invalid DESCRIBE message subtype 88", "Z I")
		rc.send(&pgproto3.Query{String: "SELECT 1"})
		wantSeq(t, rc.until('Z'), "T n:20:0,s:25:0", "D 1|row 1", "C SELECT 1", "Z I")
	})

	t.Run("invalid UTF-8", func(t *testing.T) {
		c := pgconnect(t, ts, "")
		_, err := c.Exec(testCtx(t), "SELECT 'a\xff\xfe'").ReadAll()
		pe := wantCode(t, err, "22021")
		if pe.Message != `invalid byte sequence for encoding "UTF8": 0xff 0xfe` {
			t.Fatalf("message %q", pe.Message)
		}
		mustServe(t, c)
		_, err = c.Prepare(testCtx(t), "", "SELECT \xc3", nil)
		wantCode(t, err, "22021")
		mustServe(t, c)
	})

	t.Run("function call", func(t *testing.T) {
		rc := dialRaw(t, ts)
		writeRaw(t, rc, []byte{'F', 0, 0, 0, 4})
		wantSeq(t, rc.until('Z'), "E ERROR 0A000 the function call protocol is not supported", "Z I")
	})

	mustServe(t, bystander)
}

func TestStartup(t *testing.T) {
	ts := startServer(t)
	ctx := testCtx(t)

	c := pgconnect(t, ts, "application_name=tester")
	for k, want := range map[string]string{
		"server_version": "15.0", "server_encoding": "UTF8", "client_encoding": "UTF8",
		"DateStyle": "ISO, MDY", "IntervalStyle": "postgres", "TimeZone": "UTC", "integer_datetimes": "on",
		"standard_conforming_strings": "on", "application_name": "tester", "session_authorization": "alice",
		"is_superuser": "off", "default_transaction_read_only": "off", "in_hot_standby": "off",
	} {
		if got := c.ParameterStatus(k); got != want {
			t.Errorf("ParameterStatus %s = %q, want %q", k, got, want)
		}
	}
	ts.b.mu.Lock()
	info := ts.b.infos[len(ts.b.infos)-1]
	ts.b.mu.Unlock()
	if info.User != "alice" || info.Database != "db" || info.Params["application_name"] != "tester" ||
		info.ProcessID != c.PID() || info.ProcessID == 0 || info.RemoteAddr == nil {
		t.Fatalf("startup info %+v (pid %d)", info, c.PID())
	}

	_, err := pgconn.Connect(ctx, strings.Replace(ts.connString(""), "/db?", "/nodb?", 1))
	if pe := wantCode(t, err, "3D000"); pe.Severity != "FATAL" {
		t.Fatalf("severity %q", pe.Severity)
	}
	_, err = pgconn.Connect(ctx, ts.connString("client_encoding=LATIN1"))
	wantCode(t, err, "22023")
	for _, enc := range []string{"utf8", "UTF-8", "unicode", "SQL_ASCII"} {
		c, err := pgconn.Connect(ctx, ts.connString("client_encoding="+enc))
		if err != nil {
			t.Fatalf("client_encoding %s: %v", enc, err)
		}
		c.Close(ctx)
	}

	// sslmode=prefer sends SSLRequest first; 'N' and it goes on in plaintext.
	c2, err := pgconn.Connect(ctx, strings.Replace(ts.connString(""), "sslmode=disable", "sslmode=prefer", 1))
	if err != nil {
		t.Fatalf("sslmode=prefer: %v", err)
	}
	mustServe(t, c2)
	c2.Close(ctx)
	_, err = pgconn.Connect(ctx, strings.Replace(ts.connString(""), "sslmode=disable", "sslmode=require", 1))
	if err == nil {
		t.Fatal("sslmode=require connected without TLS")
	}

	// pgx asking for protocol 3.2 is negotiated down to 3.0.
	c3, err := pgconn.Connect(ctx, ts.connString("max_protocol_version=3.2"))
	if err != nil {
		t.Fatalf("protocol 3.2: %v", err)
	}
	mustServe(t, c3)
	c3.Close(ctx)

	dial := func() *rawConn {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		return &rawConn{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
	}

	// SSLRequest and GSSENCRequest, then a normal startup.
	rc := dial()
	for _, req := range []pgproto3.FrontendMessage{&pgproto3.SSLRequest{}, &pgproto3.GSSEncRequest{}} {
		rc.send(req)
		b := make([]byte, 1)
		if _, err := io.ReadFull(rc.nc, b); err != nil || b[0] != 'N' {
			t.Fatalf("answer to %T: %q %v", req, b, err)
		}
	}
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u"}})
	if got := rc.until('Z'); got[0] != "AuthOk" || !strings.HasPrefix(got[len(got)-2], "Key ") {
		t.Fatalf("startup: %q", got)
	}

	// Protocol 3.2 and 3.1 with an unknown protocol option.
	for _, minor := range []uint32{2, 1} {
		rc = dial()
		body := binary.BigEndian.AppendUint32(nil, 3<<16|minor)
		body = append(body, "user\x00u\x00_pq_.magic\x00on\x00\x00"...)
		writeRaw(t, rc, append(binary.BigEndian.AppendUint32(nil, uint32(len(body)+4)), body...))
		got := rc.until('Z')
		if got[0] != "Negotiate 0 [_pq_.magic]" || got[1] != "AuthOk" {
			t.Fatalf("3.%d startup: %q", minor, got)
		}
	}

	// Protocol 2 is refused.
	rc = dial()
	writeRaw(t, rc, []byte{0, 0, 0, 9, 0, 2, 0, 0, 0})
	if _, got := rc.recv(); got != "E FATAL 0A000 unsupported frontend protocol 2.0: server supports 3.0 to 3.0" {
		t.Fatalf("protocol 2: %q", got)
	}

	// No user; a malformed parameter list; an absurd length.
	rc = dial()
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"database": "x"}})
	if _, got := rc.recv(); got != "E FATAL 28000 no PostgreSQL user name specified in startup packet" {
		t.Fatalf("no user: %q", got)
	}
	rc = dial()
	writeRaw(t, rc, []byte{0, 0, 0, 12, 0, 3, 0, 0, 'u', 's', 'e', 'r'})
	if _, got := rc.recv(); !strings.HasPrefix(got, "E FATAL 08P01 invalid startup packet layout") {
		t.Fatalf("bad layout: %q", got)
	}
	rc = dial()
	writeRaw(t, rc, []byte{0x7f, 0, 0, 0})
	if _, got := rc.recv(); got != "E FATAL 08P01 invalid length of startup packet" {
		t.Fatalf("bad length: %q", got)
	}
	rc.expectClosed()
}

func TestFatalStatementErrorClosesConnection(t *testing.T) {
	ts := startServer(t)
	c := pgconnect(t, ts, "")
	_, err := c.Exec(testCtx(t), "FATALERR").ReadAll()
	if pe := wantCode(t, err, "57P01"); pe.Severity != "FATAL" {
		t.Fatalf("severity %s", pe.Severity)
	}
	waitFor(t, "session closed", func() bool { return ts.b.openSession.Load() == 0 })
}

func TestPanicInBackendIsContained(t *testing.T) {
	ts := startServer(t)
	c := pgconnect(t, ts, "")
	_, err := c.Exec(testCtx(t), "PANIC").ReadAll()
	if pe := wantCode(t, err, "XX000"); pe.Severity != "FATAL" {
		t.Fatalf("severity %s", pe.Severity)
	}
	if len(ts.logs.panics()) == 0 {
		t.Fatal("the panic was not logged")
	}
	waitFor(t, "session closed", func() bool { return ts.b.openSession.Load() == 0 })
	mustServe(t, pgconnect(t, ts, ""))
}

func TestLargeResultStreams(t *testing.T) {
	ts := startServer(t)
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, ts.connString("default_query_exec_mode=simple_protocol"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var count, last int64
	rows, _ := conn.Query(ctx, "SELECT 300000")
	for rows.Next() {
		var s string
		if err := rows.Scan(&last, &s); err != nil {
			t.Fatal(err)
		}
		count++
	}
	if rows.Err() != nil || count != 300000 || last != 300000 {
		t.Fatalf("count %d last %d err %v", count, last, rows.Err())
	}

	// An endless result reaches the client at all only if rows stream.
	c := conn.PgConn()
	rr := c.ExecParams(ctx, "STREAM", nil, nil, nil, nil)
	n := 0
	for n < 200000 && rr.NextRow() {
		n++
	}
	if n != 200000 {
		t.Fatalf("read %d rows", n)
	}
	if err := c.CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = rr.Close()
	wantCode(t, err, "57014")
	waitFor(t, "rows closed", func() bool { return ts.b.openRows.Load() == 0 })
	mustServe(t, c)
}

func TestShutdownLetsRunningStatementsFinish(t *testing.T) {
	ts := startServer(t)
	ctx := testCtx(t)
	idle := pgconnect(t, ts, "")
	busy := pgconnect(t, ts, "")
	// A client stuck before its startup packet must not delay shutdown.
	mute, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	waitFor(t, "mute connection registered", func() bool { return len(ts.srv.snapshotConns()) == 3 })

	res := make(chan error, 1)
	go func() {
		r, err := busy.Exec(ctx, "SLEEPMS 300").ReadAll()
		if err == nil && r[0].CommandTag.String() != "SLEEP" {
			err = fmt.Errorf("tag %q", r[0].CommandTag)
		}
		res <- err
	}()
	time.Sleep(50 * time.Millisecond)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := ts.srv.Shutdown(sctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
	if err := <-res; err != nil {
		t.Fatalf("running statement: %v", err)
	}
	_, err = idle.Exec(ctx, "SELECT 1").ReadAll()
	if err == nil {
		t.Fatal("idle connection survived shutdown")
	}
	if err := <-ts.done; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
	if _, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		t.Fatal("still accepting after shutdown")
	}
	if n := ts.b.openSession.Load(); n != 0 {
		t.Fatalf("%d sessions left open", n)
	}
}

func TestShutdownCancelsAfterGrace(t *testing.T) {
	ts := startServer(t)
	ctx := testCtx(t)
	c := pgconnect(t, ts, "")
	res := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "SLEEP").ReadAll()
		res <- err
	}()
	<-ts.b.sleepStarted
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shutdown: %v", err)
	}
	if pe := wantCode(t, <-res, "57P01"); pe.Severity != "FATAL" {
		t.Fatalf("severity %s", pe.Severity)
	}
	if cause := <-ts.b.sleepEnded; cause != errShutdown {
		t.Fatalf("cause %v", cause)
	}
	if n := ts.b.openSession.Load(); n != 0 {
		t.Fatalf("%d sessions left open", n)
	}
}

func TestNewServerValidates(t *testing.T) {
	if _, err := NewServer(Config{}); err == nil {
		t.Fatal("no backend accepted")
	}
	if _, err := NewServer(Config{Backend: newFakeBackend(), MaxMessageSize: 10}); err == nil {
		t.Fatal("tiny MaxMessageSize accepted")
	}
	// pgerror round trip used by the fake.
	if pgerror.CodeOf(errQueryCanceled()) != "57014" {
		t.Fatal("errQueryCanceled code")
	}
}
