package pgwire

import (
	"crypto/subtle"
	"encoding/binary"
)

// handleCancel serves a CancelRequest (sent on a new connection, which is
// then closed without reply, as PostgreSQL does). A matching process ID and
// secret cancel that connection's running statement: its context ends, which
// interrupts DuckDB, and the client receives 57014. A cancel that arrives
// when nothing runs does nothing.
func (s *Server) handleCancel(body []byte) {
	if len(body) < 8 || len(body) > 4+256 {
		return
	}
	pid := binary.BigEndian.Uint32(body[:4])
	c := s.lookup(pid)
	if c == nil {
		s.log.Debug("pgwire: cancel request for unknown process", "pid", pid)
		return
	}
	if subtle.ConstantTimeCompare(c.secret, body[4:]) != 1 {
		s.log.Warn("pgwire: cancel request with wrong key", "pid", pid)
		return
	}
	c.cancelCurrent(errUserCancel)
}

// SignalBackend is pg_cancel_backend / pg_terminate_backend: it cancels
// the running statement of connection pid (57014), or with terminate ends
// the connection (FATAL 57P01, as PostgreSQL's pg_terminate_backend). It
// reports whether pid is a connection of this server.
func (s *Server) SignalBackend(pid uint32, terminate bool) bool {
	c := s.lookup(pid)
	if c == nil {
		return false
	}
	if terminate {
		c.cancelConn(errShutdown)
	} else {
		c.cancelCurrent(errUserCancel)
	}
	return true
}
