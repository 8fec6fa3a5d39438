//go:build unix

package pgwire

import (
	"net"
	"syscall"
)

// peerClosed reports that the client closed or reset its end of the
// connection, by peeking at the socket without consuming input (as
// PostgreSQL's client_connection_check_interval does). Data waiting to be
// read means the client is still there.
func peerClosed(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	_ = raw.Control(func(fd uintptr) {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = (n == 0 && err == nil) || err == syscall.ECONNRESET
	})
	return closed
}
