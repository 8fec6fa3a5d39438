package tests

import (
	"context"
	"errors"
	"testing"
	"time"

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
