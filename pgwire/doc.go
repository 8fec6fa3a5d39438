// Package pgwire is featurehouse's PostgreSQL protocol v3 server.
//
// It owns the protocol and nothing else: the listener and accept loop, the
// startup handshake (SSLRequest answered with TLS when configured,
// GSSENCRequest refused with 'N', CancelRequest, StartupMessage,
// NegotiateProtocolVersion), client authentication by rules (trust,
// scram-sha-256 with channel binding, cleartext password over TLS only,
// reject: hba.go, auth.go) with max_connections, the authentication
// timeout and failed-login slowing, the simple and
// extended query message flows, prepared statements and portals by name,
// the COPY sub-protocols, cancellation, and the encoding of results, errors
// and notices into protocol messages.
//
// It must not know what a statement means. Parsing, planning, transactions,
// session parameters and type conversion belong to the Backend (implemented
// by the planner, wired in by cmd) and to sql/types; pgwire never imports
// planner, catalog or duckdb. Everything a statement returns reaches the
// client as it is produced: rows are encoded straight into the connection's
// write buffer and flushed every few tens of kilobytes, never collected.
//
// Each connection runs two goroutines: a reader that frames messages and
// notices a dropped client at once (cancelling the running statement), and
// the message loop that executes them in order and owns all session state.
// No client input, however malformed, may panic the process: each
// connection recovers, logs and closes itself.
package pgwire
