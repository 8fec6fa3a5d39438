// Package redistest starts real Redis servers for tests: one node, or a
// three-master Redis Cluster, on free loopback ports, each killed when the
// test ends. It needs redis-server and redis-cli (Debian: redis-server,
// redis-tools), which `make test` installs; without them the test fails,
// so that a missing server never passes for a skipped test.
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startWait bounds how long a server or cluster may take to come up.
const startWait = 30 * time.Second

// server is one redis-server process, daemonized.
type server struct {
	t    testing.TB
	port int
	dir  string
	args []string // extra arguments (cluster mode)
}

// StartRedis starts a redis-server on a free loopback port and returns its
// address, a stop that kills it (the port then refuses connections) and a
// restart that starts it again on the same port, empty. It is killed when
// the test ends.
func StartRedis(t testing.TB) (addr string, stop func(), restart func()) {
	t.Helper()
	requireBinaries(t, "redis-server")
	s := &server{t: t, dir: t.TempDir()}
	s.port = freePort(t, false)
	s.start()
	t.Cleanup(s.kill)
	return s.addr(), s.stop, s.start
}

// StartCluster starts three redis-server processes in cluster mode, joins
// them as a cluster of three masters without replicas and waits until
// every node reports cluster_state:ok. It returns the nodes' addresses;
// they are killed when the test ends.
func StartCluster(t testing.TB) []string {
	t.Helper()
	requireBinaries(t, "redis-server", "redis-cli")
	var nodes []*server
	var addrs []string
	for i := 0; i < 3; i++ {
		s := &server{t: t, dir: t.TempDir()}
		// The cluster bus listens on port + 10000.
		s.port = freePort(t, true)
		s.args = []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(s.dir, "nodes.conf"),
			"--cluster-node-timeout", "5000",
		}
		s.start()
		t.Cleanup(s.kill)
		nodes = append(nodes, s)
		addrs = append(addrs, s.addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), startWait)
	defer cancel()
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, s := range nodes {
		for {
			info, err := command(ctx, s.addr(), "CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("redistest: cluster node %s not ok after %v: %v %s\n%s", s.addr(), startWait, err, info, s.log())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return addrs
}

func requireBinaries(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Fatalf("redistest: %s is not installed; `make test` installs it (scripts/test-deps.sh; on Debian: apt-get install redis-server redis-tools)", n)
		}
	}
}

// freePort finds a loopback port nothing listens on (and, for a cluster
// node, whose bus port, +10000, is free too).
func freePort(t testing.TB, bus bool) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("redistest: finding a free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if !bus {
			return port
		}
		if port+10000 > 65535 {
			continue
		}
		if l2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+10000)); err == nil {
			_ = l2.Close()
			return port
		}
	}
	t.Fatalf("redistest: no free port pair for a cluster node")
	return 0
}

func (s *server) addr() string    { return fmt.Sprintf("127.0.0.1:%d", s.port) }
func (s *server) pidFile() string { return filepath.Join(s.dir, "redis.pid") }
func (s *server) logFile() string { return filepath.Join(s.dir, "redis.log") }

// start runs redis-server and waits until it answers PING.
func (s *server) start() {
	s.t.Helper()
	_ = os.Remove(s.pidFile())
	args := append([]string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "yes",
		"--pidfile", s.pidFile(),
		"--logfile", s.logFile(),
		"--dir", s.dir,
	}, s.args...)
	ctx, cancel := context.WithTimeout(context.Background(), startWait)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "redis-server", args...).CombinedOutput(); err != nil {
		s.t.Fatalf("redistest: redis-server on port %d: %v\n%s", s.port, err, out)
	}
	for {
		out, err := command(ctx, s.addr(), "PING")
		if err == nil && out == "PONG" {
			return
		}
		if ctx.Err() != nil {
			s.t.Fatalf("redistest: redis-server on port %d does not answer: %v\n%s", s.port, err, s.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server and waits until its port refuses connections.
func (s *server) stop() {
	s.t.Helper()
	s.kill()
	deadline := time.Now().Add(startWait)
	for {
		c, err := net.DialTimeout("tcp", s.addr(), 100*time.Millisecond)
		if err != nil {
			return
		}
		_ = c.Close()
		if time.Now().After(deadline) {
			s.t.Fatalf("redistest: redis-server on port %d still accepts connections after being killed", s.port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the server by the pid it wrote, if it runs.
func (s *server) kill() {
	b, err := os.ReadFile(s.pidFile())
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	// The daemon is not our child: wait for it to be gone by polling.
	for i := 0; i < 500 && alive(pid); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	_ = os.Remove(s.pidFile())
}

// alive reports whether pid runs: a zombie (dead, not yet reaped by
// whoever adopted the daemon) does not.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no /proc: trust kill
	}
	// The state follows the command name in parentheses.
	if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) {
		return b[i+2] != 'Z'
	}
	return true
}

func (s *server) log() string {
	b, _ := os.ReadFile(s.logFile())
	return string(b)
}

// errNull is a null reply (GET of a missing key).
var errNull = errors.New("redis: null reply")

// command sends one command in RESP and returns a simple or bulk string
// reply (an error reply is an error): enough to wait for a server without
// depending on a client library.
func command(ctx context.Context, addr string, args ...string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	switch {
	case strings.HasPrefix(line, "+"):
		return line[1:], nil
	case strings.HasPrefix(line, "-"):
		return "", fmt.Errorf("redis: %s", line[1:])
	case strings.HasPrefix(line, "$"), strings.HasPrefix(line, "="):
		n, err := strconv.Atoi(line[1:])
		if n == -1 {
			return "", errNull
		}
		if err != nil || n < 0 {
			return "", fmt.Errorf("redis: unexpected reply %q", line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("redis: unexpected reply %q", line)
}
