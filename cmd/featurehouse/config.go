package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/featurehouse/featurehouse/online"
	"github.com/featurehouse/featurehouse/pgwire"
)

// setting is one configuration value: a flag, its environment variable and
// its config-file key. Precedence: flag, environment, file, default.
type setting struct {
	flag, env, key, def, help string
	value                     *string
}

type config struct {
	Listen, HTTPListen, DataDir, RegistryURI, OnlineStoreURI string
	CacheTTL                                                 time.Duration
	OnlinePoolSize                                           int
	OnlineTimeout                                            time.Duration
	OnlineFallback                                           bool
	MaxParallelOps                                           int
	Compression                                              string
	EnableLineage, EnableMonitoring                          bool
	RetentionDays                                            int
	Superuser, SuperuserPassword, Auth                       string
	HBAFile, TLSCert, TLSKey                                 string
	MaxConnections, AuthFailThreshold                        int
	AuthTimeout, AuthFailDelay                               time.Duration
	// HBARules are the authentication rules in force (from HBAFile, or
	// the defaults of Auth).
	HBARules                       []pgwire.HBARule
	MemoryLimit                    string
	FlushRows                      int64
	FlushAge                       time.Duration
	CompactMinFiles, CompactFileMB int
	AuditRedactLiterals            bool
	Sandbox                        bool
	SandboxAllow                   []string
	LogLevel                       string
	ConfigFile                     string
}

var settingsTable = []setting{
	{"listen", "FEATURE_STORE_LISTEN_ADDR", "listen_addr", "127.0.0.1:5433", "PostgreSQL protocol address", nil},
	{"http-listen", "FEATURE_STORE_HTTP_ADDR", "http_addr", "127.0.0.1:9433", "HTTP address for /healthz and /metrics", nil},
	{"data-dir", "FEATURE_STORE_STORAGE_PATH", "storage_path", "./featurehouse-data", "data directory (DuckDB database and Parquet files)", nil},
	{"registry-uri", "FEATURE_STORE_REGISTRY_URI", "registry_uri", "", "catalog location; empty keeps it in the data directory's DuckDB database", nil},
	{"online-store-uri", "FEATURE_STORE_ONLINE_STORE_URI", "online_store_uri", "memory://", "online store: memory:// (embedded), redis://[user:pass@]host:port[/db], rediss:// (TLS), redis+cluster://host:port,host:port or a comma-separated list of cluster seeds", nil},
	{"online-pool-size", "FEATURE_STORE_ONLINE_POOL_SIZE", "online_pool_size", "0", "connections per Redis node (0: go-redis's default, 10 per CPU)", nil},
	{"online-timeout", "FEATURE_STORE_ONLINE_TIMEOUT", "online_timeout", "500ms", "bound on each online store operation (dial, read, write)", nil},
	{"online-fallback", "FEATURE_STORE_ONLINE_FALLBACK", "online_fallback", "false", "answer online lookups from DuckDB while the online store is unreachable", nil},
	{"cache-ttl", "FEATURE_STORE_CACHE_TTL", "cache_ttl", "0s", "in-process cache of online records in front of Redis, kept this long (0: no cache)", nil},
	{"max-parallel-ops", "FEATURE_STORE_MAX_PARALLEL_OPS", "max_parallel_ops", "0", "DuckDB worker threads (0: one per core)", nil},
	{"compression", "FEATURE_STORE_COMPRESSION", "compression", "zstd", "Parquet compression: zstd, snappy, gzip, lz4, uncompressed", nil},
	{"enable-lineage", "FEATURE_STORE_ENABLE_LINEAGE", "enable_lineage", "true", "record lineage", nil},
	{"enable-monitoring", "FEATURE_STORE_ENABLE_MONITORING", "enable_monitoring", "true", "serve /metrics", nil},
	{"retention-days", "FEATURE_STORE_RETENTION_DAYS", "retention_days", "0", "default history retention in days (0: keep)", nil},
	{"superuser", "FEATURE_STORE_SUPERUSER", "superuser", "featurehouse", "name of the superuser role", nil},
	{"superuser-password", "FEATURE_STORE_SUPERUSER_PASSWORD", "superuser_password", "", "superuser password (needs password authentication)", nil},
	{"auth", "FEATURE_STORE_AUTH", "auth", "trust", "client authentication without a rules file: trust (loopback connections only, no password) or scram-sha-256 (a password from everyone, loopback included)", nil},
	{"hba-file", "FEATURE_STORE_HBA_FILE", "hba_file", "", "authentication rules file (pg_hba.conf-like lines: TYPE DATABASE USER ADDRESS METHOD); replaces the defaults of --auth", nil},
	{"tls-cert", "FEATURE_STORE_TLS_CERT", "tls_cert", "", "PEM server certificate (chain): TLS on SSLRequest; needs --tls-key", nil},
	{"tls-key", "FEATURE_STORE_TLS_KEY", "tls_key", "", "PEM private key of --tls-cert", nil},
	{"max-connections", "FEATURE_STORE_MAX_CONNECTIONS", "max_connections", "100", "client connections at once; more are refused with 53300 (0: no limit)", nil},
	{"auth-timeout", "FEATURE_STORE_AUTH_TIMEOUT", "authentication_timeout", "60s", "time a client has to complete startup and authentication", nil},
	{"auth-fail-threshold", "FEATURE_STORE_AUTH_FAIL_THRESHOLD", "auth_fail_threshold", "5", "failed logins in a row (per role and client address) answered at once; later failures are delayed", nil},
	{"auth-fail-delay", "FEATURE_STORE_AUTH_FAIL_DELAY", "auth_fail_delay", "1s", "delay of the first failed login past the threshold, doubling up to 8 times (0: no delay)", nil},
	{"memory-limit", "FEATURE_STORE_MEMORY_LIMIT", "memory_limit", "", "DuckDB memory limit, e.g. 2GB (empty: DuckDB's default)", nil},
	{"flush-rows", "FEATURE_STORE_FLUSH_ROWS", "flush_rows", "100000", "flush a group's unflushed rows to Parquet at this many", nil},
	{"flush-age", "FEATURE_STORE_FLUSH_AGE", "flush_age", "60s", "flush a group's unflushed rows to Parquet once this old", nil},
	{"compact-min-files", "FEATURE_STORE_COMPACT_MIN_FILES", "compact_min_files", "8", "merge a partition's small Parquet files once it has this many (0: only on COMPACT)", nil},
	{"compact-file-mb", "FEATURE_STORE_COMPACT_FILE_MB", "compact_file_mb", "64", "a Parquet file smaller than this many MB is small for compaction", nil},
	{"audit-redact-literals", "FEATURE_STORE_AUDIT_REDACT_LITERALS", "audit_redact_literals", "false", "store statements in feature_store.audit_log with their literals replaced by $n", nil},
	{"sandbox", "FEATURE_STORE_SANDBOX", "sandbox", "false", "DuckDB refuses files outside the data directory and --sandbox-allow, and extensions, for every role (superusers too)", nil},
	{"sandbox-allow", "FEATURE_STORE_SANDBOX_ALLOW", "sandbox_allow", "", "comma-separated directories DuckDB may still use under --sandbox (for COPY and file functions)", nil},
	{"log-level", "FEATURE_STORE_LOG_LEVEL", "log_level", "info", "debug, info, warn or error", nil},
}

// loadConfig reads flags (args), the environment and the config file.
func loadConfig(args []string, getenv func(string) string) (*config, error) {
	fs := flag.NewFlagSet("featurehouse serve", flag.ContinueOnError)
	configFile := fs.String("config", "", "config file (key = value lines; also FEATURE_STORE_CONFIG)")
	set := map[string]bool{}
	settings := make([]setting, len(settingsTable))
	copy(settings, settingsTable)
	for i := range settings {
		settings[i].value = fs.String(settings[i].flag, settings[i].def, settings[i].help+" ("+settings[i].env+")")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	path := *configFile
	if path == "" {
		path = getenv("FEATURE_STORE_CONFIG")
	}
	file := map[string]string{}
	if path != "" {
		var err error
		if file, err = readConfigFile(path); err != nil {
			return nil, err
		}
	}
	known := map[string]bool{}
	for i := range settings {
		s := &settings[i]
		known[s.key] = true
		if set[s.flag] {
			continue
		}
		if v := getenv(s.env); v != "" {
			*s.value = v
		} else if v, ok := file[s.key]; ok {
			*s.value = v
		}
	}
	for k := range file {
		if !known[k] {
			return nil, fmt.Errorf("config file %s: unknown setting %q", path, k)
		}
	}
	get := func(name string) string {
		for _, s := range settings {
			if s.flag == name {
				return *s.value
			}
		}
		return ""
	}
	var err error
	c := &config{
		Listen: get("listen"), HTTPListen: get("http-listen"), DataDir: get("data-dir"),
		RegistryURI: get("registry-uri"), OnlineStoreURI: get("online-store-uri"), Compression: strings.ToLower(get("compression")),
		Superuser: get("superuser"), SuperuserPassword: get("superuser-password"), Auth: strings.ToLower(get("auth")),
		MemoryLimit: get("memory-limit"), LogLevel: get("log-level"), ConfigFile: path,
		HBAFile: get("hba-file"), TLSCert: get("tls-cert"), TLSKey: get("tls-key"),
	}
	if c.MaxConnections, err = strconv.Atoi(get("max-connections")); err != nil || c.MaxConnections < 0 {
		return nil, fmt.Errorf("max-connections: want a number >= 0, got %q", get("max-connections"))
	}
	if c.AuthFailThreshold, err = strconv.Atoi(get("auth-fail-threshold")); err != nil || c.AuthFailThreshold < 0 {
		return nil, fmt.Errorf("auth-fail-threshold: want a number >= 0, got %q", get("auth-fail-threshold"))
	}
	if c.AuthTimeout, err = time.ParseDuration(get("auth-timeout")); err != nil || c.AuthTimeout <= 0 {
		return nil, fmt.Errorf("auth-timeout: want a positive duration such as 60s, got %q", get("auth-timeout"))
	}
	if c.AuthFailDelay, err = time.ParseDuration(get("auth-fail-delay")); err != nil || c.AuthFailDelay < 0 {
		return nil, fmt.Errorf("auth-fail-delay: want a duration such as 1s, got %q", get("auth-fail-delay"))
	}
	if c.CacheTTL, err = time.ParseDuration(get("cache-ttl")); err != nil {
		return nil, fmt.Errorf("cache-ttl: %w", err)
	}
	if c.OnlinePoolSize, err = strconv.Atoi(get("online-pool-size")); err != nil || c.OnlinePoolSize < 0 {
		return nil, fmt.Errorf("online-pool-size: want a number >= 0, got %q", get("online-pool-size"))
	}
	if c.OnlineTimeout, err = time.ParseDuration(get("online-timeout")); err != nil || c.OnlineTimeout <= 0 {
		return nil, fmt.Errorf("online-timeout: want a positive duration such as 500ms, got %q", get("online-timeout"))
	}
	if c.FlushAge, err = time.ParseDuration(get("flush-age")); err != nil {
		return nil, fmt.Errorf("flush-age: %w", err)
	}
	if c.MaxParallelOps, err = strconv.Atoi(get("max-parallel-ops")); err != nil || c.MaxParallelOps < 0 {
		return nil, fmt.Errorf("max-parallel-ops: want a number >= 0, got %q", get("max-parallel-ops"))
	}
	if c.RetentionDays, err = strconv.Atoi(get("retention-days")); err != nil || c.RetentionDays < 0 {
		return nil, fmt.Errorf("retention-days: want a number >= 0, got %q", get("retention-days"))
	}
	if c.CompactMinFiles, err = strconv.Atoi(get("compact-min-files")); err != nil || c.CompactMinFiles < 0 || c.CompactMinFiles == 1 {
		return nil, fmt.Errorf("compact-min-files: want 0 or a number >= 2, got %q", get("compact-min-files"))
	}
	if c.CompactFileMB, err = strconv.Atoi(get("compact-file-mb")); err != nil || c.CompactFileMB <= 0 {
		return nil, fmt.Errorf("compact-file-mb: want a positive number, got %q", get("compact-file-mb"))
	}
	if c.FlushRows, err = strconv.ParseInt(get("flush-rows"), 10, 64); err != nil || c.FlushRows <= 0 {
		return nil, fmt.Errorf("flush-rows: want a positive number, got %q", get("flush-rows"))
	}
	if c.AuditRedactLiterals, err = strconv.ParseBool(get("audit-redact-literals")); err != nil {
		return nil, fmt.Errorf("audit-redact-literals: %w", err)
	}
	if c.Sandbox, err = strconv.ParseBool(get("sandbox")); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	for _, d := range strings.Split(get("sandbox-allow"), ",") {
		if d = strings.TrimSpace(d); d != "" {
			c.SandboxAllow = append(c.SandboxAllow, d)
		}
	}
	if len(c.SandboxAllow) > 0 && !c.Sandbox {
		return nil, fmt.Errorf("sandbox-allow needs sandbox = true")
	}
	if c.OnlineFallback, err = strconv.ParseBool(get("online-fallback")); err != nil {
		return nil, fmt.Errorf("online-fallback: %w", err)
	}
	if c.EnableLineage, err = strconv.ParseBool(get("enable-lineage")); err != nil {
		return nil, fmt.Errorf("enable-lineage: %w", err)
	}
	if c.EnableMonitoring, err = strconv.ParseBool(get("enable-monitoring")); err != nil {
		return nil, fmt.Errorf("enable-monitoring: %w", err)
	}
	return c, c.validate()
}

// validate refuses what this build cannot honour, rather than pretending.
func (c *config) validate() error {
	switch c.Compression {
	case "zstd", "snappy", "gzip", "lz4", "uncompressed":
	case "none":
		c.Compression = "uncompressed"
	default:
		return fmt.Errorf("compression %q: want zstd, snappy, gzip, lz4 or uncompressed", c.Compression)
	}
	switch c.Auth {
	case "trust":
		c.HBARules = []pgwire.HBARule{
			{Type: "host", Net: mustCIDR("127.0.0.0/8"), Method: pgwire.MethodTrust},
			{Type: "host", Net: mustCIDR("::1/128"), Method: pgwire.MethodTrust},
		}
	case "scram-sha-256", "md5":
		c.Auth = "scram-sha-256"
		c.HBARules = []pgwire.HBARule{{Type: "host", Method: pgwire.MethodSCRAM}}
	default:
		return fmt.Errorf("auth %q: want trust or scram-sha-256", c.Auth)
	}
	if c.HBAFile != "" {
		rules, err := pgwire.ReadHBAFile(c.HBAFile)
		if err != nil {
			return err
		}
		c.HBARules = rules
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("tls-cert and tls-key go together: set both or neither")
	}
	if c.RegistryURI != "" && !strings.HasPrefix(c.RegistryURI, "duckdb://") {
		return fmt.Errorf("registry-uri %q: only the embedded catalog (empty or duckdb://) exists in this version", c.RegistryURI)
	}
	// Parsed, not connected: a Redis that is down at start is served once
	// it is back.
	if err := online.ValidateURI(c.OnlineStoreURI); err != nil {
		return fmt.Errorf("online-store-uri: %w", err)
	}
	if c.Superuser == "" {
		return fmt.Errorf("superuser name is empty")
	}
	// Without passwords, the server must not be reachable from other
	// machines; the HTTP endpoint has no authentication at all.
	if pgwire.TrustsRemote(c.HBARules) || !asksPasswords(c.HBARules) {
		if err := requireLoopback(c.Listen); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	if err := requireLoopback(c.HTTPListen); err != nil {
		return fmt.Errorf("http-listen: %w", err)
	}
	return nil
}

// asksPasswords reports whether some rule authenticates with a password
// (with trust-only rules, other machines could not log in anyway).
func asksPasswords(rules []pgwire.HBARule) bool {
	for _, r := range rules {
		if r.Method == pgwire.MethodSCRAM || r.Method == pgwire.MethodPassword {
			return true
		}
	}
	return false
}

func mustCIDR(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}

// requireLoopback refuses non-loopback addresses: without authentication a
// server must not be reachable from other machines.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to listen on %s: without password authentication (or for the HTTP endpoint, which has none), featurehouse listens only on loopback addresses (127.0.0.1, ::1); use --auth scram-sha-256, or a rules file that asks for passwords and trusts no non-loopback address", addr)
	}
	return nil
}

// readConfigFile reads "key = value" lines; # starts a comment; values may
// be single-quoted, as in postgresql.conf.
func readConfigFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(text, '#'); i >= 0 && !strings.Contains(text[:i], "'") {
			text = strings.TrimSpace(text[:i])
		}
		if text == "" {
			continue
		}
		k, v, ok := strings.Cut(text, "=")
		if !ok {
			return nil, fmt.Errorf("config file %s line %d: want key = value", path, line)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = strings.ReplaceAll(v[1:len(v)-1], "''", "'")
		}
		out[strings.ToLower(strings.TrimSpace(k))] = v
	}
	return out, sc.Err()
}
