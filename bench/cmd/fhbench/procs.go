package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ---- /proc readings -------------------------------------------------------

// procStatus reads the kB fields of /proc/PID/status (VmRSS, VmHWM, RssAnon...).
func procStatus(pid int) (map[string]int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 2 && fs[1] == "kB" {
			n, _ := strconv.ParseInt(fs[0], 10, 64)
			m[k] = n
		}
	}
	return m, sc.Err()
}

const clockTicks = 100 // sysconf(_SC_CLK_TCK) on Linux

// procCPU is the user+system CPU seconds a process has used (all threads).
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	fs := strings.Fields(s[i+1:]) // fs[0] is field 3 (state)
	if len(fs) < 13 {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseInt(fs[11], 10, 64)
	st, _ := strconv.ParseInt(fs[12], 10, 64)
	return float64(ut+st) / clockTicks, nil
}

// procPPid is a process's parent pid.
func procPPid(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	fs := strings.Fields(s[i+1:])
	if len(fs) < 2 {
		return -1
	}
	n, _ := strconv.Atoi(fs[1])
	return n
}

// treeCPU is the CPU seconds of pid and its live children.
func treeCPU(pid int) float64 {
	total, _ := procCPU(pid)
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil || c == pid {
			continue
		}
		if procPPid(c) == pid {
			v, _ := procCPU(c)
			total += v
		}
	}
	return total
}

// resetPeak resets VmHWM to the current RSS (Linux clear_refs "5").
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// sampler records the largest VmRSS and RssAnon of a process while it runs.
type sampler struct {
	pid             int
	stop, done      chan struct{}
	mu              sync.Mutex
	maxRSS, maxAnon int64
}

func startSampler(pid int, every time.Duration) *sampler {
	s := &sampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.take()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) take() {
	st, err := procStatus(s.pid)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.maxRSS = max(s.maxRSS, st["VmRSS"])
	s.maxAnon = max(s.maxAnon, st["RssAnon"])
	s.mu.Unlock()
}

// finish takes a last sample and returns the maxima in kB.
func (s *sampler) finish() (rss, anon int64) {
	s.take()
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxRSS, s.maxAnon
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// ---- featurehouse -----------------------------------------------------------

type fhServer struct {
	bin, dataDir, logPath string
	args                  []string // more serve flags, e.g. --online-store-uri
	port, httpPort        int
	cmd                   *exec.Cmd
	exited                chan struct{}
}

func (s *fhServer) url() string {
	return fmt.Sprintf("postgres://featurehouse@127.0.0.1:%d/featurehouse?sslmode=disable", s.port)
}

func (s *fhServer) pid() int { return s.cmd.Process.Pid }

// start runs featurehouse serve on the data directory and waits for /healthz.
func (s *fhServer) start(ctx context.Context) error {
	var err error
	if s.port, err = freePort(); err != nil {
		return err
	}
	if s.httpPort, err = freePort(); err != nil {
		return err
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := append([]string{"serve", "--data-dir", s.dataDir,
		"--listen", fmt.Sprintf("127.0.0.1:%d", s.port),
		"--http-listen", fmt.Sprintf("127.0.0.1:%d", s.httpPort)}, s.args...)
	s.cmd = exec.Command(s.bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	s.exited = make(chan struct{})
	go func() { _ = s.cmd.Wait(); logf.Close(); close(s.exited) }()
	health := fmt.Sprintf("http://127.0.0.1:%d/healthz", s.httpPort)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("featurehouse exited during startup; see %s", s.logPath)
		case <-ctx.Done():
			s.stop()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(health)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
	}
	s.stop()
	return fmt.Errorf("featurehouse not healthy after 2 minutes; see %s", s.logPath)
}

// stop sends SIGTERM and waits for a clean shutdown (SIGKILL after 3 minutes).
func (s *fhServer) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(3 * time.Minute):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// ---- PostgreSQL --------------------------------------------------------------

type pgServer struct {
	binDir, dataDir, sockDir, logPath string
	port                              int
	settings                          []string // -c name=value
	asPostgres                        bool     // we are root: run as the postgres user
	started                           bool
}

func (p *pgServer) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// run runs a PostgreSQL program (as the postgres user when we are root).
func (p *pgServer) run(prog string, args ...string) error {
	full := append([]string{filepath.Join(p.binDir, prog)}, args...)
	var cmd *exec.Cmd
	if p.asPostgres {
		q := make([]string, len(full))
		for i, a := range full {
			q[i] = shellQuote(a)
		}
		cmd = exec.Command("su", "postgres", "-s", "/bin/sh", "-c", strings.Join(q, " "))
	} else {
		cmd = exec.Command(full[0], full[1:]...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", prog, err, out)
	}
	return nil
}

func (p *pgServer) start() error {
	var err error
	if p.port, err = freePort(); err != nil {
		return err
	}
	_ = os.RemoveAll(p.dataDir)
	for _, d := range []string{p.dataDir, p.sockDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if os.Geteuid() == 0 {
		p.asPostgres = true
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root needs a postgres user (initdb refuses root): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, d := range []string{p.dataDir, p.sockDir} {
			if err := os.Chown(d, uid, gid); err != nil {
				return err
			}
		}
		f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		f.Close()
		if err := os.Chown(p.logPath, uid, gid); err != nil {
			return err
		}
	}
	if err := p.run("initdb", "-D", p.dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return err
	}
	o := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", p.port, p.sockDir)
	for _, s := range p.settings {
		o += " -c " + s
	}
	if err := p.run("pg_ctl", "-D", p.dataDir, "-l", p.logPath, "-w", "-t", "120", "-o", o, "start"); err != nil {
		return err
	}
	p.started = true
	return nil
}

// postmasterPID reads the first line of postmaster.pid.
func (p *pgServer) postmasterPID() int {
	b, err := os.ReadFile(filepath.Join(p.dataDir, "postmaster.pid"))
	if err != nil {
		return -1
	}
	line, _, _ := strings.Cut(string(b), "\n")
	n, _ := strconv.Atoi(strings.TrimSpace(line))
	return n
}

func (p *pgServer) stop() {
	if !p.started {
		return
	}
	if err := p.run("pg_ctl", "-D", p.dataDir, "-m", "fast", "-w", "-t", "120", "stop"); err != nil {
		fmt.Fprintln(os.Stderr, "fhbench: stopping PostgreSQL:", err)
	}
	p.started = false
}
