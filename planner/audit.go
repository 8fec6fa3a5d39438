package planner

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// The audit log: feature_store.audit_log records every statement a client
// runs — role, session user, client address, application_name, time,
// statement (literals replaced by $n with --audit-redact-literals), the
// features read and written, rows, outcome and SQLSTATE, duration. Records
// are queued and written in batches by one goroutine on an internal
// connection (a statement never waits for its record); a query of the log
// or of feature_usage() writes the queue first. Only superusers read the
// log; writes to feature_store tables are refused to everyone.

const auditDDL = `CREATE TABLE IF NOT EXISTS feature_store.audit_log (
	executed_at TIMESTAMPTZ NOT NULL,
	role_name VARCHAR NOT NULL,
	session_user_name VARCHAR NOT NULL,
	client_addr VARCHAR,
	application_name VARCHAR,
	statement VARCHAR NOT NULL,
	command VARCHAR,
	features_read VARCHAR[] NOT NULL,
	features_written VARCHAR[] NOT NULL,
	row_count BIGINT,
	outcome VARCHAR NOT NULL,
	sqlstate VARCHAR,
	duration_ms DOUBLE NOT NULL
)`

type auditRecord struct {
	at                 time.Time
	role, sessionUser  string
	addr, app          string
	statement, command string
	read, written      []string
	rows               int64
	outcome, sqlstate  string
	duration           time.Duration
}

type auditor struct {
	engine *duckdb.Engine
	redact bool
	mu     sync.Mutex
	queue  []auditRecord
	wake   chan struct{}
	flushM sync.Mutex   // one writer at a time
	conn   *duckdb.Conn // the writer's connection, under flushM
}

func newAuditor(ctx context.Context, e *duckdb.Engine, redact bool) (*auditor, error) {
	if _, err := e.DB().ExecContext(ctx, auditDDL); err != nil {
		return nil, fmt.Errorf("audit: create feature_store.audit_log: %w", err)
	}
	a := &auditor{engine: e, redact: redact, wake: make(chan struct{}, 1)}
	go a.loop()
	return a, nil
}

func (a *auditor) add(r auditRecord) {
	a.mu.Lock()
	a.queue = append(a.queue, r)
	n := len(a.queue)
	a.mu.Unlock()
	if n >= 20000 {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
}

func (a *auditor) loop() {
	// Larger batches cost less per record; a reader of the log flushes
	// the queue first (auditReadCheck), so it never sees it late.
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-a.wake:
		}
		_ = a.flush(context.Background())
	}
}

// flush writes the queued records.
func (a *auditor) flush(ctx context.Context) error {
	a.flushM.Lock()
	defer a.flushM.Unlock()
	a.mu.Lock()
	batch := a.queue
	a.queue = nil
	a.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	rows := make([][]driver.Value, len(batch))
	for i, r := range batch {
		var count any
		if r.rows >= 0 {
			count = r.rows
		}
		rows[i] = []driver.Value{r.at.UTC(), r.role, r.sessionUser, nullString(r.addr), nullString(r.app), r.statement,
			nullString(r.command), anyList(r.read), anyList(r.written), count, r.outcome, nullString(r.sqlstate),
			float64(r.duration.Microseconds()) / 1000}
	}
	// The Appender: an INSERT of the batch as SQL text spent most of its
	// time in DuckDB's parser (B1 lookups paid for it in CPU); one
	// connection kept for it, as opening one runs its settings.
	if a.conn == nil {
		c, err := a.engine.Connect(ctx)
		if err != nil {
			return err
		}
		a.conn = c
	}
	if err := a.conn.AppendRows(ctx, "feature_store", "audit_log", rows); err != nil {
		_ = a.conn.Close()
		a.conn = nil
		return err
	}
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func anyList(items []string) []any {
	out := make([]any, len(items))
	for i, s := range items {
		out[i] = s
	}
	return out
}

func nullableLit(s string) string {
	if s == "" {
		return "NULL"
	}
	return duckdb.QuoteString(s)
}

func listLit(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = duckdb.QuoteString(s)
	}
	return "[" + strings.Join(q, ", ") + "]::VARCHAR[]"
}

// auditFeatures lists the features a statement reads and writes, as
// "group.feature" ("schema.group.feature" outside public): the columns it
// names of the groups it references (every visible feature for `*`), and
// the group it inserts into, copies into or deletes from.
func (s *Session) auditFeatures(q *sql.Query) (read, written []string) {
	if q == nil || q.Tree == nil {
		return nil, nil
	}
	name := func(g *catalog.Group, f string) string {
		if g.Schema == "public" {
			return g.Name + "." + f
		}
		return g.Schema + "." + g.Name + "." + f
	}
	var target *pg_query.RangeVar
	switch n := q.Tree.Stmts[0].Stmt.Node.(type) {
	case *pg_query.Node_InsertStmt:
		target = n.InsertStmt.Relation
	case *pg_query.Node_DeleteStmt:
		target = n.DeleteStmt.Relation
	case *pg_query.Node_CopyStmt:
		if n.CopyStmt.IsFrom {
			target = n.CopyStmt.Relation
		}
	}
	if target != nil {
		if g := s.lookupGroup(sql.QualifiedName{Schema: target.Schemaname, Name: target.Relname}); g != nil {
			for _, f := range g.Features {
				if f.Status != catalog.Retired {
					written = append(written, name(g, f.Name))
				}
			}
		}
	}
	groups := s.referencedGroups(q.Tree)
	if len(groups) == 0 {
		return nil, written
	}
	seen := map[string]bool{}
	add := func(g *catalog.Group, f string) {
		k := name(g, f)
		if !seen[k] {
			seen[k] = true
			read = append(read, k)
		}
	}
	sql.Walk(q.Tree, func(m proto.Message) bool {
		cr, ok := m.(*pg_query.ColumnRef)
		if !ok {
			return true
		}
		qual, col, star := columnRefParts(cr) // rewrite.go
		for g, aliases := range groups {
			if qual != "" && !contains(aliases, qual) && qual != g.Name {
				continue
			}
			for _, f := range g.Features {
				if f.Status != catalog.Retired && (star || f.Name == col) {
					add(g, f.Name)
				}
			}
		}
		return true
	})
	// A group read with no column named (count(*)) reads its key.
	for g := range groups {
		for _, f := range g.Features {
			if f.EntityKey && target == nil && len(read) == 0 {
				add(g, f.Name)
			}
		}
	}
	return read, written
}

// audit queues the record of a statement that ended.
func (s *Session) audit(q *sql.Query, text, command string, rows int64, err error, start time.Time, features func() ([]string, []string)) {
	a := s.p.audit
	if a == nil {
		return
	}
	r := auditRecord{at: start, role: s.currentRole(), sessionUser: s.sessionUser(), addr: s.info.RemoteAddr,
		command: command, rows: rows, outcome: "ok", duration: time.Since(start)}
	s.mu.Lock()
	r.app = s.params["application_name"]
	s.mu.Unlock()
	r.statement = text
	if a.redact {
		if norm, nerr := pg_query.Normalize(text); nerr == nil {
			r.statement = norm
		} else {
			r.statement = "<redacted>"
		}
	}
	r.read, r.written = features()
	if err != nil {
		r.outcome = "error"
		if pe, ok := pgerror.As(err); ok {
			r.sqlstate = pe.Code
		} else {
			r.sqlstate = pgerror.InternalError
		}
	}
	a.add(r)
}

// auditReadCheck refuses feature_store.audit_log to non-superusers and
// writes the queued records before a query of the log or of
// feature_usage() reads them.
func (s *Session) auditReadCheck(ctx context.Context, q *sql.Query) error {
	if q == nil || q.Tree == nil || s.p.audit == nil {
		return nil
	}
	reads, err := s.auditLogRead(q)
	if err != nil {
		return err
	}
	if reads || strings.Contains(strings.ToLower(q.Text), "feature_usage") {
		return s.p.audit.flush(ctx)
	}
	return nil
}

// auditLogRead reports whether q reads feature_store.audit_log, which
// only superusers may.
func (s *Session) auditLogRead(q *sql.Query) (bool, error) {
	reads := false
	for _, rv := range sql.RangeVars(q.Tree) {
		if rv.Relname == "audit_log" && rv.Schemaname == "feature_store" {
			if !s.isSuperuser() {
				return false, pgerror.New(pgerror.InsufficientPrivilege, "permission denied for table audit_log")
			}
			reads = true
		}
	}
	return reads, nil
}

// StartAudit creates the audit log when missing and starts its writer
// (redact: statements are stored with their literals replaced by $n).
func (p *Planner) StartAudit(ctx context.Context, redact bool) error {
	a, err := newAuditor(ctx, p.engine, redact)
	if err != nil {
		return err
	}
	p.audit = a
	return nil
}

// FlushAudit writes the queued audit records (at shutdown).
func (p *Planner) FlushAudit(ctx context.Context) error {
	if p.audit == nil {
		return nil
	}
	return p.audit.flush(ctx)
}

// featureUsageEdits replaces feature_usage('g.f') in a FROM list with its
// rows: reads of the feature in the audit log, the last one, distinct
// readers, and the feature views that depend on its group.
func (s *Session) featureUsageEdits(q *sql.Query) []edit {
	var edits []edit
	sql.Walk(q.Tree, func(m proto.Message) bool {
		rf, ok := m.(*pg_query.RangeFunction)
		if !ok || len(rf.Functions) != 1 {
			return true
		}
		items := rf.Functions[0].GetList().GetItems()
		if len(items) == 0 {
			return true
		}
		fc := items[0].GetFuncCall()
		if fc == nil || len(fc.Args) != 1 {
			return true
		}
		names := funcNames(fc)
		if len(names) == 0 || names[len(names)-1] != "feature_usage" {
			return true
		}
		c := fc.Args[0].GetAConst()
		if c == nil || c.GetSval() == nil {
			return true
		}
		feature := c.GetSval().Sval
		start := int(fc.Location)
		end := callEnd(q.Text, start)
		if end < 0 {
			return true
		}
		var deps []string
		parts := strings.Split(feature, ".")
		if len(parts) >= 2 {
			schema, group := "public", parts[len(parts)-2]
			if len(parts) == 3 {
				schema = parts[0]
			}
			for _, v := range s.p.catalog.DependentViews(schema, group) {
				deps = append(deps, v.Name)
			}
		}
		lit := duckdb.QuoteString(feature)
		text := "(SELECT " + lit + " AS feature, count(*) FILTER (WHERE list_contains(features_read, " + lit + ")) AS reads, " +
			"max(executed_at) FILTER (WHERE list_contains(features_read, " + lit + ")) AS last_read, " +
			"count(DISTINCT role_name) FILTER (WHERE list_contains(features_read, " + lit + ")) AS distinct_readers, " +
			"count(*) FILTER (WHERE list_contains(features_written, " + lit + ")) AS writes, " +
			listLit(deps) + " AS dependents FROM feature_store.audit_log)"
		if rf.Alias == nil {
			text += " AS feature_usage"
		}
		edits = append(edits, edit{start: start, end: end, text: text})
		return true
	})
	return edits
}
