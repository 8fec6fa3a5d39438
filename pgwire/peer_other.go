//go:build !unix

package pgwire

import "net"

// peerClosed cannot peek here: a client that goes away is noticed when a
// write to it fails.
func peerClosed(net.Conn) bool { return false }
