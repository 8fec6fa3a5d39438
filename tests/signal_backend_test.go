package tests

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestSignalBackend: pg_cancel_backend(pid) from another connection
// cancels the running statement (57014) and the connection stays usable;
// pg_terminate_backend(pid) ends it (57P01), also for the session's own
// pid, as dbt cancels its queries; an unknown pid answers false.
func TestSignalBackend(t *testing.T) {
	srv := StartServer(t)
	ctx := context.Background()
	victim, admin := srv.Connect(t), srv.Connect(t)
	var pid int64
	if err := victim.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil || pid <= 0 {
		t.Fatalf("pg_backend_pid: %d, %v", pid, err)
	}
	if pid != int64(victim.PgConn().PID()) {
		t.Errorf("pg_backend_pid %d, BackendKeyData says %d", pid, victim.PgConn().PID())
	}
	long := `SELECT count(*) FROM range(100000000000) a, range(10) b WHERE a.range % 7 = b.range`
	done := make(chan error, 1)
	go func() { _, err := victim.Exec(ctx, long); done <- err }()
	time.Sleep(500 * time.Millisecond)
	var ok bool
	if err := admin.QueryRow(ctx, `SELECT pg_cancel_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_cancel_backend: %v, %v", ok, err)
	}
	var pe *pgconn.PgError
	if err := <-done; !errors.As(err, &pe) || pe.Code != "57014" {
		t.Fatalf("cancelled query: %v, want 57014", err)
	}
	if _, err := victim.Exec(ctx, `SELECT 1`); err != nil {
		t.Fatalf("connection after cancel: %v", err)
	}
	if err := admin.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend: %v, %v", ok, err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := victim.Exec(ctx, `SELECT 1`); err == nil {
		t.Fatal("the terminated connection still answers")
	}
	if err := admin.QueryRow(ctx, `SELECT pg_cancel_backend(999999)`).Scan(&ok); err != nil || ok {
		t.Fatalf("pg_cancel_backend of an unknown pid: %v, %v", ok, err)
	}
	self := srv.Connect(t)
	_, err := self.Exec(ctx, `SELECT pg_terminate_backend(pg_backend_pid())`)
	if !errors.As(err, &pe) || pe.Code != "57P01" || pe.Severity != "FATAL" {
		t.Fatalf("pg_terminate_backend(pg_backend_pid()): %v, want FATAL 57P01", err)
	}
	if _, err := admin.Exec(ctx, `SELECT 1`); err != nil {
		t.Fatalf("another connection after the terminations: %v", err)
	}
}

// TestSignalBackendPermissions: who may cancel or end whose backend, as
// PostgreSQL 15 decides (messages recorded from PostgreSQL 15.18): a
// plain role only backends of roles it has the privileges of (directly or
// by inheritance, not through NOINHERIT, and for the current role after
// SET ROLE), a member of pg_signal_backend any non-superuser backend, only
// superusers a superuser's backend. A refusal is 42501 and leaves the
// target untouched; the check is made when the statement runs, so a
// statement prepared while allowed is refused after REVOKE. An unknown
// pid warns and answers false.
func TestSignalBackendPermissions(t *testing.T) {
	srv := StartServer(t)
	ctx := context.Background()
	su := srv.Connect(t)
	for _, q := range []string{`CREATE ROLE alice LOGIN`, `CREATE ROLE bob LOGIN`, `CREATE ROLE sig LOGIN`,
		`GRANT pg_signal_backend TO sig`} {
		Exec(t, su, q)
	}
	var mu sync.Mutex
	var notices []string
	connect := func(user string) *pgx.Conn {
		t.Helper()
		cfg, err := pgx.ParseConfig(strings.Replace(srv.DSN(), "featurehouse@", user+"@", 1))
		if err != nil {
			t.Fatal(err)
		}
		cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
			mu.Lock()
			notices = append(notices, n.Severity+" "+n.Code+" "+n.Message)
			mu.Unlock()
		}
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatalf("connect as %s: %v", user, err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	pidOf := func(c *pgx.Conn) uint32 { return c.PgConn().PID() }
	alive := func(who string, c *pgx.Conn) {
		t.Helper()
		if _, err := c.Exec(ctx, `SELECT 1`); err != nil {
			t.Fatalf("%s's connection after a refused signal: %v", who, err)
		}
	}
	signal := func(c *pgx.Conn, fn string, pid uint32) (bool, error) {
		var ok bool
		err := c.QueryRow(ctx, fmt.Sprintf(`SELECT %s(%d)`, fn, pid), pgx.QueryExecModeSimpleProtocol).Scan(&ok)
		return ok, err
	}
	const (
		cancelMember = "must be a member of the role whose query is being canceled or member of pg_signal_backend"
		termMember   = "must be a member of the role whose process is being terminated or member of pg_signal_backend"
		cancelSuper  = "must be a superuser to cancel superuser query"
		termSuper    = "must be a superuser to terminate superuser process"
	)
	alice, bob, sig, victimSU := connect("alice"), connect("bob"), connect("sig"), srv.Connect(t)

	// alice has nothing to do with bob, and is no superuser.
	_, err := signal(alice, "pg_cancel_backend", pidOf(bob))
	wantPgErr(t, err, "42501", cancelMember)
	_, err = signal(alice, "pg_terminate_backend", pidOf(bob))
	wantPgErr(t, err, "42501", termMember)
	_, err = signal(alice, "pg_cancel_backend", pidOf(victimSU))
	wantPgErr(t, err, "42501", cancelSuper)
	_, err = signal(alice, "pg_terminate_backend", pidOf(victimSU))
	wantPgErr(t, err, "42501", termSuper)
	// Nested in a query, in the extended protocol, the same.
	err = alice.QueryRow(ctx, `SELECT bool_and(t) FROM (SELECT pg_terminate_backend(p) AS t FROM (VALUES ($1::int)) v(p)) s`,
		int(pidOf(bob))).Scan(new(bool))
	wantPgErr(t, err, "42501", termMember)
	alive("bob", bob)
	alive("the superuser", victimSU)
	// Her own backend she may signal: the statement cancels itself, as
	// in PostgreSQL.
	_, err = signal(alice, "pg_cancel_backend", pidOf(alice))
	wantPgErr(t, err, "57014", "canceling statement due to user request")
	alive("alice", alice)
	// The calling superuser acting as alice is alice.
	Exec(t, su, `SET ROLE alice`)
	_, err = signal(su, "pg_terminate_backend", pidOf(bob))
	wantPgErr(t, err, "42501", termMember)
	Exec(t, su, `RESET ROLE`)
	alive("bob", bob)

	// bob, a member of alice, may cancel alice's running query.
	Exec(t, su, `GRANT alice TO bob`)
	long := `SELECT count(*) FROM range(100000000000) a, range(10) b WHERE a.range % 7 = b.range`
	done := make(chan error, 1)
	go func() { _, err := alice.Exec(ctx, long); done <- err }()
	time.Sleep(300 * time.Millisecond)
	if ok, err := signal(bob, "pg_cancel_backend", pidOf(alice)); err != nil || !ok {
		t.Fatalf("bob cancels alice's query: %v %v", ok, err)
	}
	var pe *pgconn.PgError
	select {
	case err := <-done:
		if !errors.As(err, &pe) || pe.Code != "57014" {
			t.Fatalf("alice's cancelled query: %v, want 57014", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("alice's query was not cancelled")
	}
	// Prepared while allowed, refused once bob no longer inherits alice's
	// privileges, then once he is no member at all.
	if _, err := bob.Prepare(ctx, "cancel_alice", `SELECT pg_cancel_backend($1)`); err != nil {
		t.Fatal(err)
	}
	Exec(t, su, `ALTER ROLE bob NOINHERIT`)
	err = bob.QueryRow(ctx, "cancel_alice", int(pidOf(alice))).Scan(new(bool))
	wantPgErr(t, err, "42501", cancelMember)
	Exec(t, su, `ALTER ROLE bob INHERIT`)
	if err := bob.QueryRow(ctx, "cancel_alice", int(pidOf(alice))).Scan(new(bool)); err != nil {
		t.Fatalf("bob inheriting again: %v", err)
	}
	Exec(t, su, `REVOKE alice FROM bob`)
	err = bob.QueryRow(ctx, "cancel_alice", int(pidOf(alice))).Scan(new(bool))
	wantPgErr(t, err, "42501", cancelMember)
	alive("alice", alice)

	// pg_signal_backend: any backend but a superuser's.
	_, err = signal(sig, "pg_cancel_backend", pidOf(victimSU))
	wantPgErr(t, err, "42501", cancelSuper)
	_, err = signal(sig, "pg_terminate_backend", pidOf(victimSU))
	wantPgErr(t, err, "42501", termSuper)
	alive("the superuser", victimSU)
	if ok, err := signal(sig, "pg_terminate_backend", pidOf(bob)); err != nil || !ok {
		t.Fatalf("sig terminates bob: %v %v", ok, err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := bob.Exec(ctx, `SELECT 1`); err == nil {
		t.Fatal("bob's terminated connection still answers")
	}
	// A superuser may signal anyone.
	if ok, err := signal(su, "pg_terminate_backend", pidOf(alice)); err != nil || !ok {
		t.Fatalf("superuser terminates alice: %v %v", ok, err)
	}
	if ok, err := signal(sig, "pg_cancel_backend", 999999); err != nil || ok {
		t.Fatalf("unknown pid: %v %v", ok, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := "WARNING 01000 PID 999999 is not a PostgreSQL backend process"; len(notices) == 0 || notices[len(notices)-1] != want {
		t.Errorf("notices %q, want last %q", notices, want)
	}
}
