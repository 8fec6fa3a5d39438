package planner

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// Transaction statuses, as ReadyForQuery reports them.
const (
	TxIdle   = 'I'
	TxBlock  = 'T'
	TxFailed = 'E'
)

// Session is one client's state.
type Session struct {
	p      *Planner
	conn   *duckdb.Conn
	info   SessionInfo
	notify func(*pgerror.Error)

	mu       sync.Mutex // guards params/changed against ParameterStatus from pgwire
	params   map[string]string
	changed  map[string]bool
	reported bool
	loc      *time.Location
	tx       byte
	// floatDigits is extra_float_digits when not PostgreSQL's default 1.
	floatDigits *int

	implicit     bool                  // an implicit transaction of a multi-statement query is open
	resetValues  map[string]string     // RESET targets: startup values over defaults
	localRestore map[string]string     // values SET LOCAL replaced, restored at transaction end
	cursors      map[string]*sqlCursor // DECLARE ... CURSOR (cursor.go)
	savepoints   []savepoint           // savepoint.go
	stmtSeq      int64                 // statements executed, for ROLLBACK TO SAVEPOINT
	cursorSeq    int

	pendingOnline []onlineOp             // online changes of the open transaction, applied at COMMIT
	onlineMissed  []*catalog.Group       // groups whose transaction writes could not be read for the online store
	privDirty     bool                   // the transaction changed privileges or owners (grant.go)
	privPlans     bool                   // ... in a way plans depend on (GRANT, REVOKE)
	sqlPrepared   map[string]sqlPrepared // SQL-level PREPARE name → query (privileges_stmt.go)
}

func newSession(p *Planner, conn *duckdb.Conn, info SessionInfo) *Session {
	s := &Session{p: p, conn: conn, info: info, notify: info.Notify, tx: TxIdle,
		params: defaultParams(p.cfg.ServerVersion, info.User), changed: map[string]bool{}, loc: time.UTC}
	if s.notify == nil {
		s.notify = func(*pgerror.Error) {}
	}
	return s
}

// TxStatus is the ReadyForQuery status.
func (s *Session) TxStatus() byte { return s.tx }

// Options are the settings value output depends on.
func (s *Session) Options() types.Options {
	return types.Options{Location: s.loc, ExtraFloatDigits: s.floatDigits}
}

// ParameterStatus returns reportable parameters changed since the last call
// (all of them the first time).
func (s *Session) ParameterStatus() [][2]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][2]string
	for _, name := range reportable {
		key := strings.ToLower(name)
		if !s.reported || s.changed[key] {
			out = append(out, [2]string{name, s.params[key]})
		}
	}
	s.reported = true
	s.changed = map[string]bool{}
	return out
}

// Close ends the session; DuckDB rolls back an open transaction.
func (s *Session) Close() error {
	s.p.sessions.Add(-1)
	s.p.backends.CompareAndDelete(s.info.ProcessID, s)
	s.p.releaseRoleSlot(s.info.User)
	return s.conn.Close()
}

// inBlock reports whether a transaction block is open (failed or not).
func (s *Session) inBlock() bool { return s.tx != TxIdle }

// inTxn reports whether the DuckDB connection is inside a transaction: a
// block, or the implicit transaction of a multi-statement query.
func (s *Session) inTxn() bool { return s.tx != TxIdle || s.implicit }

// The statements of one simple-query message run in one implicit
// transaction, as in PostgreSQL: an error rolls back the ones before it.

func (s *Session) beginImplicit(ctx context.Context) error {
	if _, err := s.conn.Exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	s.implicit = true
	return nil
}

func (s *Session) endImplicit(ctx context.Context, commit bool) error {
	if !s.implicit {
		return nil
	}
	s.implicit = false
	defer s.endPrivileges(ctx)
	defer s.conn.ReleaseSchemaLocks()
	if commit {
		unlock := s.onlineLocks()
		defer unlock()
		if _, err := s.conn.Exec(ctx, "COMMIT"); err != nil {
			s.discardOnline()
			_, _ = s.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
			return err
		}
		s.applyOnline(ctx)
		return nil
	}
	s.discardOnline()
	_, err := s.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
	return err
}

// failed is called when a statement fails: inside a block the block fails,
// as in PostgreSQL.
func (s *Session) failed() {
	if s.tx == TxBlock {
		s.tx = TxFailed
	}
}

func (s *Session) begin(ctx context.Context) (string, error) {
	if s.implicit {
		// BEGIN inside a multi-statement query turns its implicit
		// transaction into the block.
		s.implicit = false
		s.tx = TxBlock
		return "BEGIN", nil
	}
	if s.inBlock() {
		s.notify(&pgerror.Error{Severity: "WARNING", Code: pgerror.ActiveSQLTransaction, Message: "there is already a transaction in progress"})
		return "BEGIN", nil
	}
	if _, err := s.conn.Exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return "", err
	}
	s.tx = TxBlock
	return "BEGIN", nil
}

func (s *Session) commit(ctx context.Context) (string, error) {
	defer s.endLocal(ctx)
	defer s.endPrivileges(ctx)
	defer s.conn.ReleaseSchemaLocks()
	switch s.tx {
	case TxIdle:
		if s.implicit {
			return "COMMIT", s.endImplicit(ctx, true)
		}
		s.notify(&pgerror.Error{Severity: "WARNING", Code: pgerror.NoActiveSQLTransaction, Message: "there is no transaction in progress"})
		return "COMMIT", nil
	case TxFailed:
		s.discardOnline()
		_, _ = s.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		s.tx = TxIdle
		return "ROLLBACK", nil
	}
	s.tx = TxIdle
	unlock := s.onlineLocks()
	defer unlock()
	if _, err := s.conn.Exec(ctx, "COMMIT"); err != nil {
		s.discardOnline()
		_, _ = s.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		return "", err
	}
	s.applyOnline(ctx)
	return "COMMIT", nil
}

func (s *Session) rollback(ctx context.Context) (string, error) {
	defer s.endLocal(ctx)
	defer s.endPrivileges(ctx)
	defer s.conn.ReleaseSchemaLocks()
	if s.tx == TxIdle {
		if s.implicit {
			return "ROLLBACK", s.endImplicit(ctx, false)
		}
		s.notify(&pgerror.Error{Severity: "WARNING", Code: pgerror.NoActiveSQLTransaction, Message: "there is no transaction in progress"})
		return "ROLLBACK", nil
	}
	s.tx = TxIdle
	s.discardOnline()
	if _, err := s.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
		return "", err
	}
	return "ROLLBACK", nil
}

// searchPath lists the schemas unqualified names resolve in.
func (s *Session) searchPath() []string {
	s.mu.Lock()
	sp := s.params["search_path"]
	s.mu.Unlock()
	var out []string
	for _, part := range strings.Split(sp, ",") {
		part = strings.TrimSpace(part)
		if part == "" || part == `"$user"` || part == "$user" {
			continue
		}
		if strings.HasPrefix(part, `"`) && strings.HasSuffix(part, `"`) && len(part) >= 2 {
			part = strings.ReplaceAll(part[1:len(part)-1], `""`, `"`)
		} else {
			part = strings.ToLower(part)
		}
		out = append(out, part)
	}
	if len(out) == 0 {
		out = []string{"public"}
	}
	return out
}
