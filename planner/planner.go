package planner

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/online"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Config wires the planner to the engines.
type Config struct {
	Engine  *duckdb.Engine
	Catalog *catalog.Catalog
	// Superuser is the one role that exists until roles do.
	Superuser string
	// ServerVersion is what server_version and version() report.
	ServerVersion string
	// Version is featurehouse's own version, part of version()'s answer.
	Version string
	Logger  *slog.Logger
	// Online is the online store (nil: none; groups with online = true are
	// then read from DuckDB only).
	Online online.Store
	// OnlineFallback serves AS OF now() lookups from DuckDB when the online
	// store fails (off: they fail with SQLSTATE HV00N).
	OnlineFallback bool
	// DefaultRetention is the history VACUUM keeps of a group without a
	// retention option (a DuckDB interval, "" to keep everything).
	DefaultRetention string
}

// Planner plans and runs statements for sessions.
type Planner struct {
	cfg      Config
	engine   *duckdb.Engine
	catalog  *catalog.Catalog
	log      *slog.Logger
	sessions atomic.Int64
	online   *onlineServer
	audit    *auditor // audit.go; nil until StartAudit

	pgCatalogOnce sync.Once // pgcatalog.go
	bootstrapOnce sync.Once
	// roleSessions counts open sessions per login role (CONNECTION LIMIT).
	roleMu       sync.Mutex
	roleSessions map[string]int
	backends     sync.Map // ProcessID → *Session, for pg_cancel_backend (signal.go)
	signalConn   atomic.Pointer[func(pid uint32, terminate bool) bool]
}

// New makes a planner.
func New(cfg Config) *Planner {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = "15.0"
	}
	p := &Planner{cfg: cfg, engine: cfg.Engine, catalog: cfg.Catalog, log: cfg.Logger}
	if cfg.Engine != nil && cfg.Catalog != nil {
		cfg.Engine.SetPrivilegeChecker(p.checkPrivilege) // privileges_funcs.go
	}
	if cfg.Online != nil {
		p.online = &onlineServer{store: cfg.Online, catalog: cfg.Catalog, engine: cfg.Engine, fallback: cfg.OnlineFallback,
			stats: newServingStats(), locks: map[int64]*sync.RWMutex{}, wake: make(chan struct{}, 1)}
	}
	return p
}

// SessionInfo is what a client said at startup.
type SessionInfo struct {
	User       string
	Database   string
	Params     map[string]string
	RemoteAddr string
	// ProcessID is the BackendKeyData process id (pg_backend_pid()).
	ProcessID uint32
	// Notify sends a NOTICE/WARNING to the client at any time.
	Notify func(*pgerror.Error)
}

// NewSession opens a session after checking the database and role.
func (p *Planner) NewSession(ctx context.Context, info SessionInfo) (*Session, error) {
	if info.Database == "" {
		info.Database = info.User
	}
	if info.Database != duckdb.DatabaseName {
		return nil, pgerror.New(pgerror.InvalidCatalogName, `database "%s" does not exist`, info.Database)
	}
	p.bootstrapOnce.Do(func() {
		// The configured superuser exists from the first session on (cmd
		// creates it with its password before serving; this covers
		// planners used without it).
		if err := p.catalog.BootstrapSuperuser(ctx, p.cfg.Superuser, ""); err != nil {
			p.log.Error("creating the superuser role", "err", err)
		}
	})
	role := p.catalog.Role(info.User)
	if role == nil {
		return nil, pgerror.New(pgerror.InvalidAuthorizationSpec, `role "%s" does not exist`, info.User)
	}
	if !role.CanLogin {
		return nil, pgerror.New(pgerror.InvalidAuthorizationSpec, `role "%s" is not permitted to log in`, info.User)
	}
	if !p.takeRoleSlot(role) {
		return nil, pgerror.New(pgerror.TooManyConnections, `too many connections for role "%s"`, info.User)
	}
	ok := false
	defer func() {
		if !ok {
			p.releaseRoleSlot(info.User)
		}
	}()
	p.installPGCatalog()
	conn, err := p.engine.Connect(ctx)
	if err != nil {
		return nil, err
	}
	s := newSession(p, conn, info)
	if !role.Super {
		s.params["is_superuser"] = "off"
	}
	if err := s.applyStartupParams(ctx, info.Params); err != nil {
		_ = conn.Close()
		return nil, err
	}
	p.sessions.Add(1)
	if info.ProcessID != 0 {
		p.backends.Store(info.ProcessID, s)
	}
	ok = true
	return s, nil
}

// takeRoleSlot counts a session of role, refusing one beyond its
// CONNECTION LIMIT (superusers have none, as in PostgreSQL).
func (p *Planner) takeRoleSlot(role *catalog.Role) bool {
	p.roleMu.Lock()
	defer p.roleMu.Unlock()
	if p.roleSessions == nil {
		p.roleSessions = map[string]int{}
	}
	if !role.Super && role.ConnLimit >= 0 && p.roleSessions[role.Name] >= role.ConnLimit {
		return false
	}
	p.roleSessions[role.Name]++
	return true
}

func (p *Planner) releaseRoleSlot(name string) {
	p.roleMu.Lock()
	defer p.roleMu.Unlock()
	if p.roleSessions[name] <= 1 {
		delete(p.roleSessions, name)
	} else {
		p.roleSessions[name]--
	}
}
