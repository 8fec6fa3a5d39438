// Package tests holds featurehouse's end-to-end tests: they build the real
// binary, start it on free loopback ports with a fresh data directory, and
// talk to it with real PostgreSQL clients (pgx, psql). Nothing here imports
// the server's packages: what crosses the whole system is tested from
// outside, as a user meets it.
package tests
