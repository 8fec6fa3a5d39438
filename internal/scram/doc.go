// Package scram implements the server side of SCRAM-SHA-256 (RFC 5802,
// RFC 7677) as PostgreSQL speaks it, with the tls-server-end-point channel
// binding of SCRAM-SHA-256-PLUS (RFC 5929), and PostgreSQL's password
// verifier format "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>".
//
// The primitives are the standard library's (crypto/pbkdf2, crypto/hmac,
// crypto/sha256); this package only strings them together. Passwords are
// used as their UTF-8 bytes: PostgreSQL applies SASLprep first, which
// changes only passwords with non-ASCII characters that normalise
// differently, and falls back to the raw bytes when SASLprep fails.
package scram
