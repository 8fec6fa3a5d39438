package planner

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// reportable are the parameters PostgreSQL 15 reports with ParameterStatus,
// in the case it reports them.
var reportable = []string{
	"application_name", "client_encoding", "DateStyle", "default_transaction_read_only",
	"in_hot_standby", "integer_datetimes", "IntervalStyle", "is_superuser",
	"server_encoding", "server_version", "session_authorization",
	"standard_conforming_strings", "TimeZone",
}

// readOnlyParams cannot be SET.
var readOnlyParams = map[string]bool{
	"server_version": true, "server_encoding": true, "integer_datetimes": true,
	"in_hot_standby": true, "is_superuser": true, "server_version_num": true,
	"max_identifier_length": true, "block_size": true, "lc_collate": true, "lc_ctype": true,
}

func defaultParams(version, user string) map[string]string {
	return map[string]string{
		"application_name":                    "",
		"client_encoding":                     "UTF8",
		"datestyle":                           "ISO, MDY",
		"default_transaction_read_only":       "off",
		"in_hot_standby":                      "off",
		"integer_datetimes":                   "on",
		"intervalstyle":                       "postgres",
		"is_superuser":                        "on",
		"server_encoding":                     "UTF8",
		"server_version":                      version,
		"server_version_num":                  "150000",
		"session_authorization":               user,
		"role":                                "none",
		"password_encryption":                 "scram-sha-256",
		"standard_conforming_strings":         "on",
		"timezone":                            "UTC",
		"search_path":                         `"$user", public`,
		"extra_float_digits":                  "1",
		"statement_timeout":                   "0",
		"lock_timeout":                        "0",
		"idle_in_transaction_session_timeout": "0",
		"client_min_messages":                 "notice",
		"default_transaction_isolation":       "read committed",
		"transaction_isolation":               "read committed",
		"bytea_output":                        "hex",
		"max_identifier_length":               "63",
		"lc_messages":                         "C",
		"lc_monetary":                         "C",
		"lc_numeric":                          "C",
		"lc_time":                             "C",
		"lc_collate":                          "C",
		"lc_ctype":                            "C",
		"block_size":                          "8192",
		"work_mem":                            "4MB",
		"jit":                                 "off",
		"synchronous_commit":                  "on",
		"row_security":                        "on",
		"geqo":                                "on",
		"enable_seqscan":                      "on",
		"max_parallel_workers_per_gather":     "2",
		"default_transaction_deferrable":      "off",
		"xmloption":                           "content",
		"timezone_abbreviations":              "Default",
		"cursor_tuple_fraction":               "0.1",
	}
}

// applyStartupParams applies the StartupMessage's parameters, including
// "-c name=value" pairs in options, as PostgreSQL does.
func (s *Session) applyStartupParams(ctx context.Context, params map[string]string) error {
	defer func() {
		// What the client asked for at startup is what RESET returns to.
		s.resetValues = map[string]string{}
		for k, v := range s.params {
			s.resetValues[k] = v
		}
	}()
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := params[k]
		switch strings.ToLower(k) {
		case "user", "database", "replication":
			continue
		case "options":
			for name, val := range parseOptions(v) {
				if err := s.setParam(ctx, name, val); err != nil {
					return err
				}
			}
			continue
		}
		if err := s.setParam(ctx, k, v); err != nil {
			if e, ok := pgerror.As(err); ok && e.Code == pgerror.UndefinedObject {
				continue // PostgreSQL rejects unknown startup parameters; drivers send extras, so ignore them
			}
			return err
		}
	}
	return nil
}

// parseOptions reads "-c a=b -c c=d" and "--a=b".
func parseOptions(opts string) map[string]string {
	out := map[string]string{}
	fields := splitOptions(opts)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		var kv string
		switch {
		case f == "-c" && i+1 < len(fields):
			i++
			kv = fields[i]
		case strings.HasPrefix(f, "-c"):
			kv = f[2:]
		case strings.HasPrefix(f, "--"):
			kv = f[2:]
		default:
			continue
		}
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[strings.ReplaceAll(k, "-", "_")] = v
		}
	}
	return out
}

// splitOptions splits on spaces; a backslash escapes the next character.
func splitOptions(s string) []string {
	var out []string
	var cur strings.Builder
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\':
			esc = true
		case r == ' ' || r == '\t':
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// knownParam reports whether PostgreSQL has the parameter (or it is a
// custom "prefix.name" one, which PostgreSQL accepts).
func (s *Session) knownParam(name string) bool {
	if strings.Contains(name, ".") {
		return true
	}
	_, ok := s.params[name]
	return ok
}

// setParam validates and sets a session parameter.
func (s *Session) setParam(ctx context.Context, name, value string) error {
	key := strings.ToLower(name)
	if readOnlyParams[key] {
		return pgerror.New(pgerror.CantChangeRuntimeParam, `parameter "%s" cannot be changed`, key)
	}
	if !s.knownParam(key) {
		return pgerror.New(pgerror.UndefinedObject, `unrecognized configuration parameter "%s"`, key)
	}
	switch key {
	case "session_authorization":
		// Only SET SESSION AUTHORIZATION changes it (roles.go), never a
		// startup option or set_config.
		if value != s.params[key] {
			return pgerror.New(pgerror.InsufficientPrivilege, "permission denied to set session authorization")
		}
	case "password_encryption":
		// Passwords are kept only as SCRAM-SHA-256 verifiers.
		if !strings.EqualFold(strings.TrimSpace(value), "scram-sha-256") {
			return pgerror.New(pgerror.InvalidParameterValue, `invalid value for parameter "password_encryption": "%s"`, value).
				WithDetail("featurehouse stores passwords as SCRAM-SHA-256 verifiers only.")
		}
		value = "scram-sha-256"
	case "role":
		if !strings.EqualFold(value, "none") {
			return pgerror.New(pgerror.InsufficientPrivilege, `permission denied to set role "%s"`, value).
				WithHint("Use SET ROLE.")
		}
		value = "none"
	case "timezone":
		loc, canonical, err := loadZone(value)
		if err != nil {
			return pgerror.New(pgerror.InvalidParameterValue, `invalid value for parameter "TimeZone": "%s"`, value)
		}
		if _, err := s.conn.Exec(ctx, "SET TimeZone = "+duckdb.QuoteString(canonical)); err != nil {
			return pgerror.New(pgerror.InvalidParameterValue, `invalid value for parameter "TimeZone": "%s"`, value)
		}
		s.loc = loc
		value = canonical
	case "client_encoding":
		switch strings.ToUpper(strings.ReplaceAll(value, "-", "")) {
		case "UTF8", "UNICODE":
			value = "UTF8"
		default:
			return pgerror.New(pgerror.InvalidParameterValue, `invalid value for parameter "client_encoding": "%s"`, value).
				WithDetail("featurehouse speaks UTF8 only.")
		}
	case "datestyle":
		if !strings.Contains(strings.ToUpper(value), "ISO") {
			return pgerror.New(pgerror.InvalidParameterValue, `invalid value for parameter "DateStyle": "%s"`, value).
				WithDetail("featurehouse supports DateStyle ISO only.")
		}
		if strings.Contains(strings.ToUpper(value), "DMY") {
			value = "ISO, DMY"
		} else {
			value = "ISO, MDY"
		}
	case "intervalstyle":
		if !strings.EqualFold(value, "postgres") {
			return pgerror.New(pgerror.InvalidParameterValue, `invalid value for parameter "IntervalStyle": "%s"`, value).
				WithDetail("featurehouse supports IntervalStyle postgres only.")
		}
		value = "postgres"
	case "standard_conforming_strings":
		if b, ok := parseBoolSetting(value); !ok || !b {
			return pgerror.New(pgerror.InvalidParameterValue, `invalid value for parameter "standard_conforming_strings": "%s"`, value).
				WithDetail("featurehouse supports standard_conforming_strings on only.")
		}
		value = "on"
	case "search_path":
		if err := s.applySearchPath(ctx, value); err != nil {
			return err
		}
	case "extra_float_digits":
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil {
			return pgerror.New(pgerror.InvalidParameterValue, `invalid value for parameter "extra_float_digits": "%s"`, value)
		}
		if n < -15 || n > 3 {
			return pgerror.New(pgerror.InvalidParameterValue, `%d is outside the valid range for parameter "extra_float_digits" (-15 .. 3)`, n)
		}
		s.floatDigits = nil
		if n != 1 {
			s.floatDigits = &n
		}
		value = strconv.Itoa(n)
	}
	s.mu.Lock()
	s.params[key] = value
	s.changed[key] = true
	s.mu.Unlock()
	return nil
}

func (s *Session) applySearchPath(ctx context.Context, value string) error {
	old := s.params["search_path"]
	s.mu.Lock()
	s.params["search_path"] = value
	s.mu.Unlock()
	schemas := s.searchPath()
	s.mu.Lock()
	s.params["search_path"] = old
	s.mu.Unlock()
	quoted := make([]string, 0, len(schemas))
	for _, sc := range schemas {
		quoted = append(quoted, duckdb.QuoteIdent(sc))
	}
	// DuckDB refuses schemas that do not exist; PostgreSQL skips them.
	if _, err := s.conn.Exec(ctx, "SET search_path = "+duckdb.QuoteString(strings.Join(quoted, ","))); err != nil {
		_, _ = s.conn.Exec(ctx, "SET search_path = 'public'")
	}
	return nil
}

func parseBoolSetting(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "yes", "1":
		return true, true
	case "off", "false", "no", "0":
		return false, true
	}
	return false, false
}

// loadZone resolves a TimeZone setting to a location and the name DuckDB
// (ICU) understands.
func loadZone(v string) (*time.Location, string, error) {
	switch strings.ToUpper(v) {
	case "UTC", "Z", "ZULU", "GMT", "UCT", "ETC/UTC":
		return time.UTC, "UTC", nil
	}
	loc, err := time.LoadLocation(v)
	if err != nil {
		return nil, "", err
	}
	return loc, v, nil
}

// resetParam restores a parameter's session default: the value the client
// gave at startup, else the server's default.
func (s *Session) resetParam(ctx context.Context, name string) error {
	key := strings.ToLower(name)
	v, ok := s.resetValues[key]
	if !ok {
		if strings.Contains(key, ".") {
			s.mu.Lock()
			delete(s.params, key)
			s.mu.Unlock()
			return nil
		}
		return pgerror.New(pgerror.UndefinedObject, `unrecognized configuration parameter "%s"`, key)
	}
	return s.setParam(ctx, key, v)
}

// showParam returns a parameter's value for SHOW.
func (s *Session) showParam(name string) (string, error) {
	key := strings.ToLower(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if key == "transaction isolation level" {
		key = "transaction_isolation"
	}
	if key == "time zone" {
		key = "timezone"
	}
	v, ok := s.params[key]
	if !ok {
		return "", pgerror.New(pgerror.UndefinedObject, `unrecognized configuration parameter "%s"`, key)
	}
	return v, nil
}

// now is a statement's time.
func now() time.Time { return time.Now() }

// setLocal sets a parameter until the end of the transaction block.
func (s *Session) setLocal(ctx context.Context, name, value string) error {
	key := strings.ToLower(name)
	s.mu.Lock()
	old, had := s.params[key]
	s.mu.Unlock()
	if err := s.setParam(ctx, key, value); err != nil {
		return err
	}
	if _, saved := s.localRestore[key]; !saved && had {
		if s.localRestore == nil {
			s.localRestore = map[string]string{}
		}
		s.localRestore[key] = old
	}
	return nil
}

// endLocal restores parameters SET LOCAL changed, at transaction end.
func (s *Session) endLocal(ctx context.Context) {
	s.dropCursors(ctx, false) // cursors without HOLD end with their transaction
	s.savepoints = nil
	for k, v := range s.localRestore {
		if k == "role" || k == "session_authorization" {
			s.setReported(k, v) // SET LOCAL ROLE (roles.go): checked when set
			s.refreshSuperuser()
			continue
		}
		_ = s.setParam(context.WithoutCancel(ctx), k, v)
	}
	s.localRestore = nil
}
