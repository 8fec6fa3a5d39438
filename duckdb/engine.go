package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"
)

// Config configures the engine.
type Config struct {
	// DataDir holds featurehouse.duckdb, offline/ (Parquet) and tmp/.
	DataDir string
	// Compression is the Parquet codec: zstd (default), snappy, gzip, lz4, uncompressed.
	Compression string
	// Threads and MemoryLimit are DuckDB's settings ("" / 0 keep DuckDB's defaults).
	Threads     int
	MemoryLimit string
	// FlushRows flushes a group's unflushed rows once they reach this many.
	FlushRows int64
	// FlushAge flushes a group's unflushed rows once the oldest is this old.
	FlushAge time.Duration
	// FlushInterval is how often the flusher looks.
	FlushInterval time.Duration
	// DirectWriteRows: an autocommit write of at least this many rows goes
	// straight to Parquet instead of through the unflushed table.
	DirectWriteRows int64
	// CompactMinFiles: after flushes, a partition's files smaller than
	// CompactFileBytes are merged once there are this many (0: never
	// automatically; COMPACT still does).
	CompactMinFiles  int
	CompactFileBytes int64
	// Sandbox turns DuckDB's external access off for the whole database:
	// files only under DataDir and SandboxAllow, no extensions loaded or
	// installed (sandbox.go).
	Sandbox      bool
	SandboxAllow []string
	Logger       *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Compression == "" {
		c.Compression = "zstd"
	}
	if c.FlushRows <= 0 {
		c.FlushRows = 100_000
	}
	if c.FlushAge <= 0 {
		c.FlushAge = time.Minute
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 5 * time.Second
	}
	if c.DirectWriteRows <= 0 {
		c.DirectWriteRows = 50_000
	}
	if c.CompactFileBytes <= 0 {
		c.CompactFileBytes = 64 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// DatabaseName is the DuckDB catalog name and the one PostgreSQL database.
const DatabaseName = "featurehouse"

// Engine is the embedded DuckDB database and the offline store.
type Engine struct {
	cfg       Config
	connector *duckdbdrv.Connector
	db        *sql.DB // internal connections (catalog, flusher)
	log       *slog.Logger

	groupLocks sync.Map // group id → *groupMutex: serialises manifest commits per group
	layouts    sync.Map // group id → GroupLayout, for the flusher
	// schemaLocks: group id → *schemaLock, writes against schema changes.
	schemaLocks sync.Map

	pending  sync.Map // group id → *atomic.Int64: rows written to unflushed since the last flush
	flushNow chan struct{}
	stop     chan struct{}
	flushers sync.WaitGroup
	closed   sync.Once

	signaller   atomic.Pointer[BackendSignaller] // signal.go
	privChecker atomic.Pointer[PrivilegeChecker] // privilege_udf.go
}

// Open opens (creating when needed) the database under cfg.DataDir.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	cfg.setDefaults()
	if cfg.DataDir == "" {
		return nil, errors.New("duckdb: data directory not set")
	}
	for _, d := range []string{cfg.DataDir, filepath.Join(cfg.DataDir, "offline"), filepath.Join(cfg.DataDir, "tmp")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("duckdb: create %s: %w", d, err)
		}
	}
	// A crash may leave temporary Parquet files behind; they were never
	// committed, so nothing refers to them.
	if err := clearDir(filepath.Join(cfg.DataDir, "tmp")); err != nil {
		return nil, err
	}
	path := filepath.Join(cfg.DataDir, DatabaseName+".duckdb")
	// Sessions start in schema public, which must exist before the first
	// connection sets it.
	if err := createBaseSchemas(ctx, path); err != nil {
		return nil, err
	}
	connector, err := duckdbdrv.NewConnector(path, func(execer driver.ExecerContext) error {
		// Not the Open context: connections are made long after Open returns.
		return initConnection(context.Background(), execer)
	})
	if err != nil {
		return nil, fmt.Errorf("duckdb: open %s: %w", path, err)
	}
	e := &Engine{cfg: cfg, connector: connector, log: cfg.Logger, stop: make(chan struct{}), flushNow: make(chan struct{}, 1)}
	e.db = sql.OpenDB(connector)
	if err := e.bootstrap(ctx); err != nil {
		_ = e.db.Close()
		_ = connector.Close()
		return nil, err
	}
	if err := e.registerFunctions(ctx); err != nil {
		_ = e.db.Close()
		_ = connector.Close()
		return nil, err
	}
	if err := e.registerPrivilegeFunction(ctx); err != nil { // privilege_udf.go
		_ = e.db.Close()
		_ = connector.Close()
		return nil, err
	}
	return e, nil
}

// initConnection runs on every new DuckDB connection.
func initConnection(ctx context.Context, execer driver.ExecerContext) error {
	for _, q := range []string{
		"SET search_path = 'public'",
		"SET TimeZone = 'UTC'",
		// PostgreSQL divides integers as integers (7 / 2 = 3); DuckDB does not by default.
		"SET integer_division = true",
	} {
		if _, err := execer.ExecContext(ctx, q, nil); err != nil {
			return fmt.Errorf("duckdb: %s: %w", q, err)
		}
	}
	return nil
}

func createBaseSchemas(ctx context.Context, path string) error {
	connector, err := duckdbdrv.NewConnector(path, nil)
	if err != nil {
		return fmt.Errorf("duckdb: open %s: %w", path, err)
	}
	db := sql.OpenDB(connector)
	defer func() { _ = db.Close(); _ = connector.Close() }()
	for _, q := range []string{"CREATE SCHEMA IF NOT EXISTS public", "CREATE SCHEMA IF NOT EXISTS feature_store", "CREATE SCHEMA IF NOT EXISTS " + InternalSchema} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("duckdb: %s: %w", q, err)
		}
	}
	return nil
}

func (e *Engine) bootstrap(ctx context.Context) error {
	stmts := []string{
		"CREATE SCHEMA IF NOT EXISTS public",
		"CREATE SCHEMA IF NOT EXISTS feature_store",
		"CREATE SCHEMA IF NOT EXISTS " + InternalSchema,
		"CREATE SEQUENCE IF NOT EXISTS " + InternalSchema + ".write_seq START 1",
		"CREATE SEQUENCE IF NOT EXISTS " + InternalSchema + ".file_seq START 1",
		manifestDDL,
		snapshotFilesDDL,
	}
	if e.cfg.Threads > 0 {
		stmts = append(stmts, fmt.Sprintf("SET threads = %d", e.cfg.Threads))
	}
	if e.cfg.MemoryLimit != "" {
		stmts = append(stmts, "SET memory_limit = "+QuoteString(e.cfg.MemoryLimit))
	}
	stmts = append(stmts, "SET temp_directory = "+QuoteString(filepath.Join(e.cfg.DataDir, "tmp", "duckdb_spill")))
	if e.cfg.Sandbox {
		sb, err := sandboxStatements(e.cfg.DataDir, e.cfg.SandboxAllow)
		if err != nil {
			return err
		}
		stmts = append(stmts, sb...) // last: nothing after it may need a file elsewhere
	}
	for _, q := range stmts {
		if _, err := e.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("duckdb: bootstrap %q: %w", q, err)
		}
	}
	return e.migrateManifest(ctx)
}

// DB is the internal connection pool (system tables, catalog changes).
func (e *Engine) DB() *sql.DB { return e.db }

// Config returns the engine's configuration with defaults applied.
func (e *Engine) Config() Config { return e.cfg }

// DataDir is the data directory.
func (e *Engine) DataDir() string { return e.cfg.DataDir }

// Connect opens a dedicated connection for a client session.
func (e *Engine) Connect(ctx context.Context) (*Conn, error) {
	dc, err := e.connector.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("duckdb: connect: %w", err)
	}
	c, ok := dc.(*duckdbdrv.Conn)
	if !ok {
		_ = dc.Close()
		return nil, fmt.Errorf("duckdb: unexpected driver connection %T", dc)
	}
	return &Conn{c: c, engine: e}, nil
}

// Close stops the flusher, flushes what it can and closes DuckDB cleanly
// (a checkpoint, so the next start has no WAL to replay).
func (e *Engine) Close(ctx context.Context) error {
	var err error
	e.closed.Do(func() {
		close(e.stop)
		e.flushers.Wait()
		if ferr := e.FlushAll(ctx, true); ferr != nil {
			e.log.Warn("final flush failed", "err", ferr)
		}
		if _, cerr := e.db.ExecContext(ctx, "CHECKPOINT"); cerr != nil {
			e.log.Warn("checkpoint failed", "err", cerr)
		}
		err = errors.Join(e.db.Close(), e.connector.Close())
	})
	return err
}

// noteUnflushed counts rows written to a group's unflushed table and wakes
// the flusher once they reach FlushRows.
func (e *Engine) noteUnflushed(id, n int64) {
	v, _ := e.pending.LoadOrStore(id, new(atomic.Int64))
	if v.(*atomic.Int64).Add(n) >= e.cfg.FlushRows {
		select {
		case e.flushNow <- struct{}{}:
		default:
		}
	}
}

func (e *Engine) resetUnflushed(id int64) {
	if v, ok := e.pending.Load(id); ok {
		v.(*atomic.Int64).Store(0)
	}
}

func (e *Engine) groupLock(id int64) *groupMutex {
	m, ok := e.groupLocks.Load(id)
	if !ok {
		m, _ = e.groupLocks.LoadOrStore(id, &groupMutex{ch: make(chan struct{}, 1)})
	}
	return m.(*groupMutex)
}

// groupMutex is a mutex whose waiters can give up: a statement waiting
// behind a long flush of its group is cancellable.
type groupMutex struct{ ch chan struct{} }

func (m *groupMutex) Lock()   { m.ch <- struct{}{} }
func (m *groupMutex) Unlock() { <-m.ch }

// LockContext takes the mutex, or returns the error of ctx ending first.
func (m *groupMutex) LockContext(ctx context.Context) error {
	select {
	case m.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func clearDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("duckdb: read %s: %w", dir, err)
	}
	for _, ent := range entries {
		if err := os.RemoveAll(filepath.Join(dir, ent.Name())); err != nil {
			return fmt.Errorf("duckdb: clear %s: %w", dir, err)
		}
	}
	return nil
}

// QuoteIdent quotes an identifier for DuckDB (and PostgreSQL).
func QuoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// QuoteString quotes a string literal.
func QuoteString(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}
