package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/pgwire"
	"github.com/featurehouse/featurehouse/planner"
)

const version = "0.1.0"

// serverVersion is what clients see as server_version: PostgreSQL 15's
// protocol and catalog, featurehouse's engine.
const serverVersion = "15.0"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		if err := serve(args); err != nil {
			fmt.Fprintln(os.Stderr, "featurehouse:", err)
			return 1
		}
		return 0
	case "version":
		fmt.Println("featurehouse", version, "(PostgreSQL protocol", serverVersion+", DuckDB 1.5.6)")
		return 0
	case "help", "-h", "--help":
		fmt.Println("usage: featurehouse [serve] [flags]   run the server (featurehouse serve -h lists flags)")
		fmt.Println("       featurehouse version")
		return 0
	default:
		fmt.Fprintf(os.Stderr, "featurehouse: unknown command %q (try serve, version)\n", cmd)
		return 2
	}
}

func serve(args []string) error {
	cfg, err := loadConfig(args, os.Getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	slog.SetDefault(log)
	if os.Getenv("GOGC") == "" {
		// Lookups allocate small short-lived values at a high rate while the
		// live heap stays small (DuckDB's memory is outside it): collect
		// less often than Go's default 100 (B3's profile: garbage collection
		// was 22% of the server's CPU, and its p99 where collections landed).
		debug.SetGCPercent(300)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	engine, err := duckdb.Open(ctx, duckdb.Config{
		DataDir: cfg.DataDir, Compression: cfg.Compression, Threads: cfg.MaxParallelOps,
		MemoryLimit: cfg.MemoryLimit, FlushRows: cfg.FlushRows, FlushAge: cfg.FlushAge, Logger: log,
		CompactMinFiles: cfg.CompactMinFiles, CompactFileBytes: int64(cfg.CompactFileMB) << 20,
		Sandbox: cfg.Sandbox, SandboxAllow: cfg.SandboxAllow,
	})
	if err != nil {
		return err
	}
	closeEngine := func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := engine.Close(cctx); err != nil {
			log.Error("closing DuckDB", "err", err)
		}
	}
	cat, err := catalog.Open(ctx, engine)
	if err != nil {
		closeEngine()
		return err
	}
	if n, err := engine.CollectGarbage(ctx); err != nil {
		log.Warn("collecting unreferenced Parquet files", "err", err)
	} else if n > 0 {
		log.Info("removed Parquet files no manifest row refers to (left by a crash)", "files", n)
	}
	engine.StartFlusher()

	store, err := openOnlineStore(cfg)
	if err != nil {
		closeEngine()
		return err
	}
	defer store.Close()
	m := newMetrics(engine)
	p := planner.New(planner.Config{Engine: engine, Catalog: cat, Superuser: cfg.Superuser, ServerVersion: serverVersion, Version: version, Logger: log,
		Online: store, OnlineFallback: cfg.OnlineFallback, DefaultRetention: defaultRetention(cfg.RetentionDays)})
	m.servingStats(p)
	if err := p.StartOnline(ctx); err != nil {
		closeEngine()
		return err
	}
	if err := p.StartAudit(ctx, cfg.AuditRedactLiterals); err != nil {
		closeEngine()
		return err
	}
	auth, err := authConfig(ctx, cfg, cat)
	if err != nil {
		closeEngine()
		return err
	}
	srv, err := pgwire.NewServer(pgwire.Config{Backend: &backend{p: p, m: m}, Logger: log, ServerVersion: serverVersion, Auth: auth})
	if err != nil {
		closeEngine()
		return err
	}
	// pg_cancel_backend, pg_terminate_backend: the planner checks who may.
	p.SetConnectionSignaller(srv.SignalBackend)
	engine.SetBackendSignaller(p.SignalBackend)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		closeEngine()
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	hln, err := net.Listen("tcp", cfg.HTTPListen)
	if err != nil {
		ln.Close()
		closeEngine()
		return fmt.Errorf("listen on %s: %w", cfg.HTTPListen, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	if cfg.EnableMonitoring {
		mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	}
	hsrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hsrv.Serve(hln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP server", "err", err)
		}
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(context.Background(), ln) }()
	log.Info("featurehouse ready", "version", version, "listen", ln.Addr().String(), "http", hln.Addr().String(), "data", cfg.DataDir)

	select {
	case <-ctx.Done():
		log.Info("shutting down: no new connections; running statements get 30s to finish")
	case err := <-serveErr:
		if err != nil {
			log.Error("PostgreSQL listener stopped", "err", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	_ = hsrv.Shutdown(sctx)
	if err := p.FlushAudit(sctx); err != nil {
		log.Warn("writing the last audit records", "err", err)
	}
	closeEngine()
	log.Info("featurehouse stopped")
	return nil
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// defaultRetention is --retention-days as an interval ("" for 0: keep).
func defaultRetention(days int) string {
	if days <= 0 {
		return ""
	}
	return fmt.Sprintf("%d days", days)
}
