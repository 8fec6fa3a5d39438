package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultServerVersion  = "15.0"
	DefaultMaxMessageSize = 256 << 20
	// DefaultAuthTimeout bounds the handshake, as PostgreSQL's
	// authentication_timeout does, so idle half-open sockets cannot pile up.
	DefaultAuthTimeout = 60 * time.Second
	// forceCloseWait is how long Shutdown waits, after cancelling statements,
	// for connections to send their FATAL and end before closing sockets.
	forceCloseWait = 2 * time.Second
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("pgwire: server closed")

// Config configures a Server.
type Config struct {
	// Addr is the address ListenAndServe listens on (e.g. "127.0.0.1:5432").
	Addr string
	// Backend opens a session per connection. Required.
	Backend Backend
	// Logger receives connection-level events; slog.Default() when nil.
	Logger *slog.Logger
	// ServerVersion is reported as server_version when the session does not
	// report one. Clients parse it, so it should start with a PostgreSQL
	// version number. Default "15.0".
	ServerVersion string
	// MaxMessageSize is the largest frontend message accepted, in bytes
	// (PostgreSQL allows 1 GiB). Default 256 MiB.
	MaxMessageSize int
	// Auth is client authentication, TLS and connection limits (auth.go).
	// The zero value trusts every connection, without TLS or limits.
	Auth AuthConfig
}

// Server accepts PostgreSQL protocol connections and runs them against a
// Backend.
type Server struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	addr      net.Addr         // of the first listener served, kept after Shutdown
	conns     map[uint32]*conn // by process ID (BackendKeyData)
	closing   bool

	// shutdownCh is closed when Shutdown starts: idle connections end.
	shutdownCh chan struct{}
	// connWG counts connection goroutines, for Shutdown to wait on.
	connWG sync.WaitGroup

	nextPID atomic.Uint32

	// clients counts connections past the startup packet (max_connections).
	clients atomic.Int64
	// failures tracks failed logins per role and address (auth.go).
	failures failureLog
	// tlsCert is the server certificate (channel binding data).
	tlsCert *x509.Certificate
	// mockSecret salts the mock SCRAM exchange of unknown roles.
	mockSecret [32]byte
}

// NewServer checks cfg and returns a Server ready to Serve.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Backend == nil {
		return nil, errors.New("pgwire: Config.Backend is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = DefaultServerVersion
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.MaxMessageSize < 1<<16 {
		return nil, fmt.Errorf("pgwire: MaxMessageSize %d is below the 64 KiB minimum", cfg.MaxMessageSize)
	}
	s := &Server{
		cfg:        cfg,
		log:        cfg.Logger,
		listeners:  make(map[net.Listener]struct{}),
		conns:      make(map[uint32]*conn),
		shutdownCh: make(chan struct{}),
	}
	// Start process IDs at a random point so that IDs (half of the cancel
	// key) are not predictable across restarts.
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("pgwire: seeding process IDs: %w", err)
	}
	s.nextPID.Store(binary.BigEndian.Uint32(b[:])%1_000_000 + 1000)
	if _, err := rand.Read(s.mockSecret[:]); err != nil {
		return nil, fmt.Errorf("pgwire: seeding mock authentication: %w", err)
	}
	if err := s.cfg.Auth.check(); err != nil {
		return nil, err
	}
	s.failures.m = map[string]*failure{}
	if t := s.cfg.Auth.TLS; t != nil && len(t.Certificates) > 0 && len(t.Certificates[0].Certificate) > 0 {
		cert, err := x509.ParseCertificate(t.Certificates[0].Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("pgwire: TLS certificate: %w", err)
		}
		s.tlsCert = cert
	}
	return s, nil
}

// ListenAndServe listens on cfg.Addr and serves until Shutdown or ctx ends.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("pgwire: listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Addr is the address of the first listener served, nil before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Serve accepts connections on ln until Shutdown is called (it then returns
// ErrServerClosed) or ctx ends (it then shuts down at once, cancelling
// running statements, and returns ctx.Err()). Serve closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	if s.addr == nil {
		s.addr = ln.Addr()
	}
	s.mu.Unlock()

	stop := context.AfterFunc(ctx, func() {
		expired, cancel := context.WithCancel(context.Background())
		cancel()
		_ = s.Shutdown(expired)
	})
	defer stop()

	var tempDelay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosing() {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				s.mu.Lock()
				delete(s.listeners, ln)
				s.mu.Unlock()
				return fmt.Errorf("pgwire: accept: %w", err)
			}
			// Anything else (EMFILE, ECONNABORTED) is transient: back off
			// as net/http does instead of spinning or giving up.
			tempDelay = min(max(2*tempDelay, 5*time.Millisecond), time.Second)
			s.log.Warn("pgwire: accept failed; retrying", "err", err, "delay", tempDelay)
			time.Sleep(tempDelay)
			continue
		}
		tempDelay = 0
		s.connWG.Add(1)
		go func() {
			defer s.connWG.Done()
			s.serveConn(nc)
		}()
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// Shutdown stops accepting connections, ends idle connections, and lets
// running statements finish until ctx is done; then it cancels them, closes
// their sessions and returns ctx.Err(). It returns nil when every connection
// ended in time.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		close(s.shutdownCh)
	}
	for ln := range s.listeners {
		ln.Close()
		delete(s.listeners, ln)
	}
	// Wake every connection blocked reading its client: one in its
	// handshake ends now, an idle one reports 57P01 and ends, one running
	// a statement finishes it first (COPY FROM STDIN keeps reading its data).
	for _, c := range s.conns {
		_ = c.nc.SetReadDeadline(time.Now())
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.connWG.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}

	// Grace period over: cancel what is still running. Each connection then
	// reports 57P01 and closes its session.
	for _, c := range s.snapshotConns() {
		c.cancelConn(errShutdown)
	}
	select {
	case <-done:
		return ctx.Err()
	case <-time.After(forceCloseWait):
	}
	// A connection still blocked in a network write to a client that does
	// not read: closing the socket unblocks it.
	for _, c := range s.snapshotConns() {
		c.nc.Close()
	}
	select {
	case <-done:
	case <-time.After(forceCloseWait):
		s.log.Warn("pgwire: connections still running after shutdown; a backend ignores its context")
	}
	return ctx.Err()
}

// closing reports that Shutdown has begun.
func (s *Server) shuttingDown() bool {
	select {
	case <-s.shutdownCh:
		return true
	default:
		return false
	}
}

func (s *Server) snapshotConns() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	return out
}

// register assigns c a process ID and makes it findable by CancelRequest.
// It fails when the server is shutting down.
func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	for {
		pid := s.nextPID.Add(1)
		if pid == 0 {
			continue
		}
		if _, taken := s.conns[pid]; !taken {
			c.pid = pid
			s.conns[pid] = c
			return true
		}
	}
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[c.pid] == c {
		delete(s.conns, c.pid)
	}
}

func (s *Server) lookup(pid uint32) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[pid]
}
