package pgwire

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// logRecorder keeps what the server logs, so tests can see recovered panics
// (which must never happen for client input alone).
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var sb strings.Builder
	sb.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.msgs = append(l.msgs, sb.String())
	l.mu.Unlock()
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) panics() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, m := range l.msgs {
		if strings.Contains(m, "panic") {
			out = append(out, m)
		}
	}
	return out
}

type testServer struct {
	srv  *Server
	b    *fakeBackend
	addr string
	logs *logRecorder
	done chan error
}

func startServer(t testing.TB, mod ...func(*Config)) *testServer {
	t.Helper()
	ts := &testServer{b: newFakeBackend(), logs: &logRecorder{}, done: make(chan error, 1)}
	cfg := Config{Backend: ts.b, Logger: slog.New(ts.logs)}
	for _, m := range mod {
		m(&cfg)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.srv, ts.addr = srv, ln.Addr().String()
	go func() { ts.done <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if p := ts.logs.panics(); len(p) > 0 && !strings.Contains(t.Name(), "Panic") {
			t.Errorf("server recovered panics: %v", p)
		}
	})
	return ts
}

func (ts *testServer) connString(extra string) string {
	s := fmt.Sprintf("postgres://alice@%s/db?sslmode=disable&connect_timeout=5", ts.addr)
	if extra != "" {
		s += "&" + extra
	}
	return s
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pgconnect(t testing.TB, ts *testServer, extra string) *pgconn.PgConn {
	t.Helper()
	c, err := pgconn.Connect(testCtx(t), ts.connString(extra))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// rawConn is a connection driven message by message.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	fe *pgproto3.Frontend
}

// dialRaw connects and completes a normal startup.
func dialRaw(t testing.TB, ts *testServer) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	rc := &rawConn{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "alice", "database": "db"}})
	rc.until('Z')
	return rc
}

func (rc *rawConn) send(msgs ...pgproto3.FrontendMessage) {
	rc.t.Helper()
	for _, m := range msgs {
		rc.fe.Send(m)
	}
	if err := rc.fe.Flush(); err != nil {
		rc.t.Fatalf("send: %v", err)
	}
}

// recv returns the next message's type letter and a description of it.
func (rc *rawConn) recv() (byte, string) {
	rc.t.Helper()
	m, err := rc.fe.Receive()
	if err != nil {
		rc.t.Fatalf("receive: %v", err)
	}
	return describeMsg(m)
}

func describeMsg(m pgproto3.BackendMessage) (byte, string) {
	switch m := m.(type) {
	case *pgproto3.ParseComplete:
		return '1', "ParseComplete"
	case *pgproto3.BindComplete:
		return '2', "BindComplete"
	case *pgproto3.CloseComplete:
		return '3', "CloseComplete"
	case *pgproto3.CommandComplete:
		return 'C', "C " + string(m.CommandTag)
	case *pgproto3.DataRow:
		parts := make([]string, len(m.Values))
		for i, v := range m.Values {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = string(v)
			}
		}
		return 'D', "D " + strings.Join(parts, "|")
	case *pgproto3.ErrorResponse:
		return 'E', "E " + m.Severity + " " + m.Code + " " + m.Message
	case *pgproto3.NoticeResponse:
		return 'N', "N " + m.Severity + " " + m.Message
	case *pgproto3.EmptyQueryResponse:
		return 'I', "EmptyQuery"
	case *pgproto3.NoData:
		return 'n', "NoData"
	case *pgproto3.PortalSuspended:
		return 's', "PortalSuspended"
	case *pgproto3.ParameterDescription:
		return 't', fmt.Sprintf("ParameterDescription %v", m.ParameterOIDs)
	case *pgproto3.RowDescription:
		var parts []string
		for _, f := range m.Fields {
			parts = append(parts, fmt.Sprintf("%s:%d:%d", f.Name, f.DataTypeOID, f.Format))
		}
		return 'T', "T " + strings.Join(parts, ",")
	case *pgproto3.ReadyForQuery:
		return 'Z', "Z " + string(m.TxStatus)
	case *pgproto3.CopyInResponse:
		return 'G', fmt.Sprintf("CopyIn %d %v", m.OverallFormat, m.ColumnFormatCodes)
	case *pgproto3.CopyOutResponse:
		return 'H', fmt.Sprintf("CopyOut %d", m.OverallFormat)
	case *pgproto3.CopyData:
		return 'd', "d " + string(m.Data)
	case *pgproto3.CopyDone:
		return 'c', "CopyDone"
	case *pgproto3.ParameterStatus:
		return 'S', "S " + m.Name + "=" + m.Value
	case *pgproto3.NegotiateProtocolVersion:
		return 'v', fmt.Sprintf("Negotiate %d %v", m.NewestMinorProtocol, m.UnrecognizedOptions)
	case *pgproto3.AuthenticationOk:
		return 'R', "AuthOk"
	case *pgproto3.BackendKeyData:
		return 'K', fmt.Sprintf("Key %d", m.ProcessID)
	}
	return '?', fmt.Sprintf("%T", m)
}

// until collects message descriptions up to and including one of type typ.
func (rc *rawConn) until(typ byte) []string {
	rc.t.Helper()
	var out []string
	for {
		k, d := rc.recv()
		out = append(out, d)
		if k == typ {
			return out
		}
	}
}

// expectClosed checks that the server closed the connection.
func (rc *rawConn) expectClosed() {
	rc.t.Helper()
	_ = rc.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1)
	for {
		_, err := rc.nc.Read(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				rc.t.Fatal("server did not close the connection")
			}
			return
		}
	}
}

func wantSeq(t testing.TB, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("messages:\n got: %q\nwant: %q", got, want)
	}
}

// waitFor polls cond until it holds or a few seconds pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
