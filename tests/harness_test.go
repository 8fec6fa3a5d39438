package tests

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/featurehouse once per test run.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "featurehouse-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "featurehouse")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Dir(filepath.Dir(file))
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/featurehouse")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Server is a running featurehouse process.
type Server struct {
	t       testing.TB
	DataDir string
	Port    int
	HTTP    int
	cmd     *exec.Cmd
	log     *bytes.Buffer
	extra   []string
	done    chan struct{}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartServer starts featurehouse on a fresh data directory.
func StartServer(t testing.TB, extraArgs ...string) *Server {
	t.Helper()
	s := &Server{t: t, DataDir: t.TempDir(), extra: extraArgs}
	s.Start()
	t.Cleanup(func() { s.Stop() })
	return s
}

// Start (re)starts the process on the same data directory.
func (s *Server) Start() {
	t := s.t
	t.Helper()
	s.Port, s.HTTP = freePort(t), freePort(t)
	args := append([]string{"serve",
		"--data-dir", s.DataDir,
		"--listen", fmt.Sprintf("127.0.0.1:%d", s.Port),
		"--http-listen", fmt.Sprintf("127.0.0.1:%d", s.HTTP),
	}, s.extra...)
	s.cmd = exec.Command(binary(t), args...)
	s.cmd.Env = cleanEnv()
	s.log = &bytes.Buffer{}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", s.HTTP))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-s.done:
			t.Fatalf("featurehouse exited during start:\n%s", s.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("featurehouse not healthy after 60s:\n%s", s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FEATURE_STORE_") && !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

// Stop sends SIGTERM and waits for a clean exit.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("featurehouse did not stop within 60s after SIGTERM:\n%s", s.log.String())
	}
}

// Kill ends the process with SIGKILL, as a crash would.
func (s *Server) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Log is what the server printed.
func (s *Server) Log() string { return s.log.String() }

// DSN is a connection string for the superuser.
func (s *Server) DSN() string {
	return fmt.Sprintf("postgres://featurehouse@127.0.0.1:%d/featurehouse?sslmode=disable", s.Port)
}

// Connect opens a pgx connection.
func (s *Server) Connect(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, s.Log())
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// Exec runs statements and fails the test on error.
func Exec(t testing.TB, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// QueryStrings runs a query and returns its rows as text (simple protocol,
// so every value is PostgreSQL's text output).
func QueryStrings(t testing.TB, c *pgx.Conn, sql string, args ...any) [][]string {
	t.Helper()
	rows, err := c.Query(context.Background(), sql, append([]any{pgx.QueryExecModeSimpleProtocol}, args...)...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]string, len(raw))
		for i, v := range raw {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(v)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}
