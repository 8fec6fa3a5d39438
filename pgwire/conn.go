package pgwire

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// watchAfter is how long a statement runs before the connection starts
// checking that its client is still there (every watchEvery), so that a
// client that goes away cancels a long statement rather than leave it
// running until a result write fails.
const (
	watchAfter = 200 * time.Millisecond
	watchEvery = 100 * time.Millisecond
)

// inMsg is one framed frontend message, or the end of the input.
type inMsg struct {
	typ  byte
	body []byte // owned by the receiver: the reader never reuses it
	// err is a framing error to report before closing (FATAL).
	err *pgerror.Error
	// eof: the client is gone (read error, EOF), or the server shuts down.
	eof bool
}

// conn is one client connection. Everything but the reader, the writer and
// the current statement's cancel function is owned by the message loop
// goroutine.
type conn struct {
	srv    *Server
	nc     net.Conn
	br     *bufio.Reader
	w      *writer
	rows   []byte // sendRows' batch of encoded DataRows, kept between results
	log    *slog.Logger
	pid    uint32
	secret []byte
	// ready: the handshake is over (the message loop runs).
	ready atomic.Bool

	// ctx lives as long as the connection; it is cancelled when the client
	// goes away or when Shutdown's grace period ends.
	ctx    context.Context
	cancel context.CancelCauseFunc

	// curCancel cancels what is running now (CancelRequest target).
	curMu     sync.Mutex
	curCancel context.CancelCauseFunc

	sess           Session
	stmts          map[string]*prepared
	portals        map[string]*portal
	ignoreTillSync bool
	// copyIn is the COPY FROM STDIN in progress, failed if the client drops.
	copyIn CopyInResult

	// tlsState is the TLS connection state once SSLRequest was accepted
	// (nc stays the socket; br and w then go through TLS).
	tlsState *tls.ConnectionState
	// counted: the connection holds one of max_connections' slots.
	counted bool
}

func newConn(s *Server, nc net.Conn) (*conn, error) {
	secret := make([]byte, 4)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("pgwire: generating cancel key: %w", err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	c := &conn{
		srv:     s,
		nc:      nc,
		br:      bufio.NewReaderSize(nc, 32<<10),
		log:     s.log,
		secret:  secret,
		ctx:     ctx,
		cancel:  cancel,
		stmts:   make(map[string]*prepared),
		portals: make(map[string]*portal),
	}
	c.w = newWriter(nc, func() { c.cancelConn(errClientGone) })
	// The message loop reads the socket itself: when the connection's
	// context ends (shutdown's grace is over, the client is gone), a read
	// in progress must end too.
	context.AfterFunc(ctx, func() { _ = nc.SetReadDeadline(time.Now()) })
	return c, nil
}

// serveConn runs one connection from handshake to close.
func (s *Server) serveConn(nc net.Conn) {
	c, err := newConn(s, nc)
	if err != nil {
		s.log.Error("pgwire: cannot set up connection", "err", err)
		nc.Close()
		return
	}
	if !s.register(c) {
		e := pgerror.New("57P03", "the database system is shutting down")
		c.sendError(fatal(e))
		_ = c.w.flush()
		nc.Close()
		return
	}
	defer s.unregister(c)
	defer func() {
		if c.counted {
			s.clients.Add(-1)
		}
	}()
	defer nc.Close()
	defer c.cancel(nil)
	defer c.cleanup()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("pgwire: panic in connection; closing it", "pid", c.pid, "panic", r, "stack", string(debug.Stack()))
			c.sendError(fatal(pgerror.New(pgerror.InternalError, "internal error: %v", r)))
			_ = c.w.flush()
		}
	}()

	_ = nc.SetDeadline(time.Now().Add(s.cfg.Auth.Timeout))
	if !c.handshake(c.ctx) {
		_ = c.w.flush()
		return
	}
	_ = nc.SetDeadline(time.Time{})
	c.ready.Store(true)
	if c.srv.shuttingDown() {
		// Shutdown began during the handshake and may have missed the
		// deadline reset above.
		_ = nc.SetReadDeadline(time.Now())
	}
	c.log.Debug("pgwire: connection ready", "pid", c.pid, "remote", nc.RemoteAddr())
	c.loop()
	_ = c.w.flush()
}

// cleanup releases everything the connection holds, whatever the way out.
func (c *conn) cleanup() {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("pgwire: panic while closing a session", "pid", c.pid, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	if c.copyIn != nil {
		c.copyIn.Fail(context.WithoutCancel(c.ctx), "connection lost")
		c.copyIn = nil
	}
	for name, p := range c.portals {
		c.closePortal(p)
		delete(c.portals, name)
	}
	for name, ps := range c.stmts {
		c.releaseStmt(ps)
		delete(c.stmts, name)
	}
	if c.sess != nil {
		if err := c.sess.Close(); err != nil {
			c.log.Warn("pgwire: closing session", "pid", c.pid, "err", err)
		}
	}
}

// cancelConn cancels the connection context and with it any statement.
func (c *conn) cancelConn(cause error) { c.cancel(cause) }

// setCurrent records what a CancelRequest should cancel now.
func (c *conn) setCurrent(cancel context.CancelCauseFunc) {
	c.curMu.Lock()
	c.curCancel = cancel
	c.curMu.Unlock()
}

// cancelCurrent cancels the running statement, if any (CancelRequest).
func (c *conn) cancelCurrent(cause error) {
	c.curMu.Lock()
	defer c.curMu.Unlock()
	if c.curCancel != nil {
		c.curCancel(cause)
	}
}

// beginStatement gives a statement its own context and makes it the target
// of CancelRequest; end releases both.
func (c *conn) beginStatement() (ctx context.Context, end func()) {
	ctx, cancel := context.WithCancelCause(c.ctx)
	c.setCurrent(cancel)
	stopWatch := c.watchClient(ctx)
	return ctx, func() {
		stopWatch()
		c.setCurrent(nil)
		cancel(nil)
	}
}

// watchClient checks, once a statement has run for watchAfter, that the
// client has not closed its end (without reading its input: a peek), and
// cancels the connection when it has. The returned function stops it.
func (c *conn) watchClient(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	t := time.AfterFunc(watchAfter, func() {
		tick := time.NewTicker(watchEvery)
		defer tick.Stop()
		for {
			if peerClosed(c.nc) {
				c.cancelConn(errClientGone)
				return
			}
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	return func() {
		t.Stop()
		close(done)
	}
}

// readFrame reads one message from the client. err is the network
// error; a framing error comes back as inMsg.err (answered with FATAL).
func (c *conn) readFrame() (inMsg, error) {
	var hdr [4]byte
	typ, err := c.br.ReadByte()
	if err != nil {
		return inMsg{}, err
	}
	// Judge the type before trusting the length that follows: garbage
	// is answered at once rather than after waiting for its "body".
	// 'p' (password, SASL) belongs to the handshake only.
	if !knownMessageType(typ) && (typ != 'p' || c.ready.Load()) {
		return inMsg{err: fatal(errProtocol("invalid frontend message type %d", typ))}, nil
	}
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return inMsg{}, &partialRead{err}
	}
	n := int64(int32(binary.BigEndian.Uint32(hdr[:])))
	if n < 4 {
		return inMsg{err: fatal(errProtocol("invalid message length"))}, nil
	}
	if n-4 > int64(c.srv.cfg.MaxMessageSize) {
		return inMsg{err: fatal(pgerror.New(pgerror.ProgramLimitExceeded,
			"message of %d bytes exceeds the maximum of %d bytes", n-4, c.srv.cfg.MaxMessageSize))}, nil
	}
	body, err := readBody(c.br, int(n-4))
	if err != nil {
		return inMsg{}, &partialRead{err}
	}
	return inMsg{typ: typ, body: body}, nil
}

// partialRead is a read error after part of a message was consumed: the
// stream can no longer be framed.
type partialRead struct{ err error }

func (e *partialRead) Error() string { return e.err.Error() }
func (e *partialRead) Unwrap() error { return e.err }

// knownMessageType: the frontend messages this server reads after startup.
func knownMessageType(typ byte) bool {
	switch typ {
	case 'Q', 'P', 'B', 'D', 'E', 'C', 'H', 'S', 'd', 'c', 'f', 'F', 'X':
		return true
	}
	return false
}

// logReadError notes why reading from the client stopped.
func (c *conn) logReadError(err error) {
	if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrDeadlineExceeded) {
		c.log.Debug("pgwire: read from client failed", "pid", c.pid, "err", err)
	}
}

// readBody reads an n-byte message body. A large length is only trusted as
// far as bytes actually arrive: the buffer grows with the data instead of
// being allocated up front on the client's word.
func readBody(r io.Reader, n int) ([]byte, error) {
	const step = 1 << 20
	if n <= step {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	b := make([]byte, 0, step)
	for len(b) < n {
		k := min(n-len(b), max(len(b), step))
		if cap(b)-len(b) < k {
			nb := make([]byte, len(b), len(b)+k)
			copy(nb, b)
			b = nb
		}
		m, err := io.ReadFull(r, b[len(b):len(b)+k])
		b = b[:len(b)+m]
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// next returns the next message. Before blocking it flushes pending output
// (so pipelined batches are answered in one write), and while idle it ends
// the connection when the server shuts down.
// readMessage returns the next message. Output is flushed before the
// socket is read, never between messages the client already sent (a
// pipelined Bind/Execute/Sync is answered with one write). An idle
// connection ends when the server shuts down (57P01).
func (c *conn) readMessage() inMsg {
	if c.br.Buffered() == 0 {
		if c.srv.shuttingDown() {
			c.sendError(errAdminShutdown())
			return inMsg{eof: true}
		}
		if c.w.flush() != nil {
			return inMsg{eof: true}
		}
	}
	m, err := c.readFrame()
	if err != nil {
		if c.srv.shuttingDown() || context.Cause(c.ctx) == errShutdown {
			c.sendError(errAdminShutdown())
		} else {
			c.logReadError(err)
		}
		return inMsg{eof: true}
	}
	return m
}

// loop is the message loop: one message at a time, in order.
func (c *conn) loop() {
	for {
		m := c.readMessage()
		if m.eof {
			return
		}
		if m.err != nil {
			c.sendError(m.err)
			return
		}
		if !c.handle(m) || c.w.failed() != nil {
			return
		}
	}
}

// handle runs one message; false closes the connection.
func (c *conn) handle(m inMsg) bool {
	if m.typ == 'X' {
		return false
	}
	if c.ignoreTillSync && m.typ != 'S' {
		return true
	}
	var perr *pgerror.Error
	switch m.typ {
	case 'Q':
		return c.handleQuery(m.body)
	case 'S':
		c.handleSync()
		return true
	case 'H':
		return c.w.flush() == nil
	case 'd', 'c', 'f':
		// Left over from a COPY that already failed: ignored, as PostgreSQL
		// does, since the client may still be sending.
		return true
	case 'F':
		c.sendError(pgerror.New(pgerror.FeatureNotSupported, "the function call protocol is not supported"))
		c.sendReady()
		return true
	case 'P':
		perr = c.handleParse(m.body)
	case 'B':
		perr = c.handleBind(m.body)
	case 'D':
		perr = c.handleDescribe(m.body)
	case 'E':
		perr = c.handleExecute(m.body)
	case 'C':
		perr = c.handleClose(m.body)
	}
	if perr != nil {
		c.sendError(perr)
		if isFatal(perr) {
			return false
		}
		c.ignoreTillSync = true
	}
	return true
}
