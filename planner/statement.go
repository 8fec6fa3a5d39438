package planner

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// CommandResult is a statement that returns no rows.
type CommandResult struct {
	Tag   string
	Empty bool
	// Deallocate is the protocol-level prepared statement DEALLOCATE
	// removed ("*": all of them), for pgwire to forget.
	Deallocate string
}

// Statement is a planned statement. Planning that needs DuckDB (describing
// columns and parameters) is lazy: statements of one simple-query message
// are parsed together but each is planned when it runs, after the ones
// before it (CREATE TABLE t ...; INSERT INTO t ...).
type Statement struct {
	s      *Session
	parsed sql.Statement
	// batch is the number of statements of the simple-query message this
	// one came in, and index its place there (batch 0: extended protocol).
	batch, index int
	paramTypes   []uint32 // as declared by the client
	plan         plan
	gen          int64 // catalog generation the plan was made at (replan.go)
	// authRole and authGen: the role and catalog generation the
	// privileges were last checked for (privileges_stmt.go).
	authRole    string
	authGen     int64
	authPrivGen int64
	// audited: the features the statement reads and writes, for the
	// audit log, worked out once per catalog generation.
	auditRead, auditWritten []string
	auditGen                int64
	auditDone               bool
	planRole                string // the role the plan was made for (replan.go)
}

// plan is how a statement runs.
type plan interface {
	// describe returns parameter OIDs and result columns (nil: no rows).
	describe(ctx context.Context) ([]uint32, []types.Column, error)
	execute(ctx context.Context, args []any) (any, error)
	close()
}

// Parse parses text into statements (simple query protocol).
func (s *Session) Parse(ctx context.Context, text string) ([]*Statement, error) {
	// An implicit transaction left open by a message whose rows were not
	// all read (the client went on) ends with that message.
	_ = s.endImplicit(ctx, false)
	parsed, err := sql.Parse(text)
	if err != nil {
		return nil, err
	}
	out := make([]*Statement, len(parsed))
	for i, p := range parsed {
		out[i] = &Statement{s: s, parsed: p, index: i}
		if len(parsed) > 1 {
			out[i].batch = len(parsed)
		}
	}
	return out, nil
}

// Prepare parses and plans one statement (extended protocol). Errors that
// PostgreSQL reports at Parse (unknown table, unknown column) are reported
// here too.
func (s *Session) Prepare(ctx context.Context, text string, paramTypes []uint32) (*Statement, error) {
	parsed, err := sql.ParseOne(text)
	if err != nil {
		return nil, err
	}
	st := &Statement{s: s, parsed: parsed, paramTypes: paramTypes}
	if s.tx == TxFailed {
		// Nothing can be planned in an aborted transaction; Execute reports it.
		return st, nil
	}
	if _, err := st.ensurePlan(ctx); err != nil {
		return nil, err
	}
	if _, _, err := st.plan.describe(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func (st *Statement) ensurePlan(ctx context.Context) (plan, error) {
	if st.plan != nil {
		return st.plan, nil
	}
	gen, role := st.s.p.catalog.Generation(), st.s.currentRole()
	p, err := st.s.planStatement(ctx, st.parsed, st.paramTypes)
	if err != nil {
		return nil, err
	}
	st.plan, st.gen, st.planRole = p, gen, role
	return p, nil
}

// ParamTypes are the parameter OIDs.
func (st *Statement) ParamTypes() []uint32 {
	if st.plan == nil {
		return st.paramTypes
	}
	p, _, err := st.plan.describe(context.Background())
	if err != nil {
		return st.paramTypes
	}
	return p
}

// Columns describes the result rows (nil: none).
func (st *Statement) Columns() []types.Column {
	if st.plan == nil {
		return nil
	}
	_, c, err := st.plan.describe(context.Background())
	if err != nil {
		return nil
	}
	return c
}

// Execute runs the statement. The result is *CommandResult, *RowResult,
// *CopyIn or *CopyOut.
func (st *Statement) Execute(ctx context.Context, args []any) (res any, err error) {
	s := st.s
	start := time.Now()
	defer func() { st.auditResult(res, err, start) }() // runs last: after recover set err
	defer func() {
		if r := recover(); r != nil {
			err = pgerror.New(pgerror.InternalError, "internal error: %v", r)
		}
		if err != nil {
			s.failed()
		}
	}()
	if st.parsed == nil {
		return &CommandResult{Empty: true}, nil
	}
	if s.tx == TxFailed && !endsTransaction(st.parsed) {
		return nil, pgerror.New(pgerror.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	if st.batch > 1 && s.tx == TxIdle && !s.implicit && opensImplicit(st.parsed) {
		if err := s.beginImplicit(ctx); err != nil {
			return nil, err
		}
	}
	err = st.authorized(ctx) // privileges_stmt.go
	if err == nil && st.batch == 0 && st.plan != nil {
		err = st.revalidate(ctx)
	}
	var p plan
	if err == nil {
		p, err = st.ensurePlan(ctx)
	}
	if err == nil {
		if _, isSavepoint := p.(*commandPlan); !isSavepoint || !st.isSavepointStmt() {
			s.stmtSeq++
		}
		res, err = p.execute(ctx, args)
	}
	if err != nil {
		_ = s.endImplicit(ctx, false)
		return nil, err
	}
	if s.implicit && st.index == st.batch-1 {
		// The last statement: commit once its rows are read.
		if rr, ok := res.(*RowResult); ok {
			rr.onDone = func() {
				if err := s.endImplicit(context.WithoutCancel(ctx), true); err != nil {
					s.notify(&pgerror.Error{Severity: "WARNING", Code: pgerror.Wrap(err).Code, Message: "implicit transaction did not commit: " + err.Error()})
				}
			}
			return res, nil
		}
		if err := s.endImplicit(ctx, true); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// opensImplicit: transaction control and feature-store DDL (which commits
// on its own) run outside the implicit transaction.
func opensImplicit(parsed sql.Statement) bool {
	q, ok := parsed.(*sql.Query)
	if !ok || q.Tree == nil || len(q.Tree.Stmts) == 0 {
		return false
	}
	return q.Tree.Stmts[0].Stmt.GetTransactionStmt() == nil
}

// Close releases the statement.
func (st *Statement) Close() error {
	if st.plan != nil {
		st.plan.close()
	}
	return nil
}

// planStatement picks the route of one statement.
func (s *Session) planStatement(ctx context.Context, parsed sql.Statement, paramTypes []uint32) (plan, error) {
	switch stmt := parsed.(type) {
	case nil:
		return &commandPlan{run: func(context.Context) (string, error) { return "", nil }, empty: true}, nil
	case *sql.CreateFeatureGroup:
		return s.catalogPlan(func(ctx context.Context) (string, error) { return s.createFeatureGroup(ctx, stmt) }), nil
	case *sql.AlterFeatureGroup:
		return s.catalogPlan(func(ctx context.Context) (string, error) { return s.alterFeatureGroup(ctx, stmt) }), nil
	case *sql.DropFeatureGroup:
		return s.catalogPlan(func(ctx context.Context) (string, error) {
			// Feature views that read the group refuse the drop, or go first with CASCADE.
			fvDDL.Lock()
			defer fvDDL.Unlock()
			if err := s.dropGroupViews(ctx, stmt); err != nil {
				return "", err
			}
			if err := s.dropGroupSnapshots(ctx, stmt); err != nil {
				return "", err
			}
			return s.dropFeatureGroup(ctx, stmt)
		}), nil
	case *sql.CreateFeatureView:
		return s.catalogPlan(func(ctx context.Context) (string, error) { return s.createFeatureView(ctx, stmt) }), nil
	case *sql.DropFeatureView:
		return s.catalogPlan(func(ctx context.Context) (string, error) { return s.dropFeatureView(ctx, stmt) }), nil
	case *sql.AlterFeature:
		return s.catalogPlan(func(ctx context.Context) (string, error) { return s.alterFeature(ctx, stmt) }), nil
	case *sql.CommentOn:
		return s.catalogPlan(func(ctx context.Context) (string, error) { return s.commentOn(ctx, stmt) }), nil
	case *sql.RefreshOnline:
		return s.catalogPlan(func(ctx context.Context) (string, error) { return s.refreshOnline(ctx, stmt) }), nil
	case *sql.CreateSnapshot:
		return s.catalogPlan(func(ctx context.Context) (string, error) { return s.createSnapshot(ctx, stmt) }), nil
	case *sql.DropSnapshot:
		return s.catalogPlan(func(ctx context.Context) (string, error) { return s.dropSnapshot(ctx, stmt) }), nil
	case *sql.Compact:
		return s.compactPlan(stmt), nil
	case *sql.Precompute:
		return &commandPlan{run: func(ctx context.Context) (string, error) { return s.precompute(ctx, stmt) }}, nil
	case *sql.Query:
		if err := s.protectFeatureViews(stmt); err != nil {
			return nil, err
		}
		return s.planQuery(ctx, stmt, paramTypes)
	default:
		return nil, pgerror.New(pgerror.FeatureNotSupported, "unsupported statement %T", parsed)
	}
}

// commandPlan runs a function and reports a tag.
type commandPlan struct {
	run   func(context.Context) (string, error)
	empty bool
}

func (p *commandPlan) describe(context.Context) ([]uint32, []types.Column, error) {
	return nil, nil, nil
}
func (p *commandPlan) close() {}
func (p *commandPlan) execute(ctx context.Context, _ []any) (any, error) {
	tag, err := p.run(ctx)
	if err != nil {
		return nil, err
	}
	return &CommandResult{Tag: tag, Empty: p.empty}, nil
}

// catalogPlan runs feature-store DDL. Like CREATE DATABASE in PostgreSQL it
// cannot run inside a transaction block: it commits on its own.
func (s *Session) catalogPlan(run func(context.Context) (string, error)) plan {
	return &commandPlan{run: func(ctx context.Context) (string, error) {
		if s.inBlock() {
			return "", pgerror.New(pgerror.ActiveSQLTransaction, "feature store DDL cannot run inside a transaction block")
		}
		if s.implicit && s.conn.HoldsSchemaLocks() {
			// The statements before it in the message wrote feature groups:
			// they commit first, or a schema change of one of them would
			// wait for this very session.
			if err := s.endImplicit(ctx, true); err != nil {
				return "", err
			}
		}
		return run(ctx)
	}}
}

// rowsPlan returns fixed rows (SHOW).
type rowsPlan struct {
	cols   []types.Column
	rows   func(context.Context) ([][]any, error)
	tag    string
	params []uint32 // parameters the statement takes (EXPLAIN of a lookup with $n)
}

func (p *rowsPlan) describe(context.Context) ([]uint32, []types.Column, error) {
	return p.params, p.cols, nil
}
func (p *rowsPlan) close() {}
func (p *rowsPlan) execute(ctx context.Context, _ []any) (any, error) {
	rows, err := p.rows(ctx)
	if err != nil {
		return nil, err
	}
	return newStaticRows(p.cols, rows, p.tag), nil
}

func textColumn(name string) types.Column {
	return types.Column{Name: name, Type: types.FromDuckDB("VARCHAR")}
}

func errorf(code, format string, args ...any) error {
	return pgerror.New(code, format, args...)
}

var _ = fmt.Sprintf

// isSavepointStmt reports SAVEPOINT, RELEASE and ROLLBACK TO, which do
// not count as work done since a savepoint.
func (st *Statement) isSavepointStmt() bool {
	q, ok := st.parsed.(*sql.Query)
	if !ok || q.Tree == nil || len(q.Tree.Stmts) == 0 {
		return false
	}
	ts := q.Tree.Stmts[0].Stmt.GetTransactionStmt()
	if ts == nil {
		return false
	}
	switch ts.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT, pg_query.TransactionStmtKind_TRANS_STMT_RELEASE,
		pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return true
	}
	return false
}

// auditResult records the statement in the audit log once its outcome
// and row count are known: now for a command or an error, when its last
// row is read for rows.
func (st *Statement) auditResult(res any, err error, start time.Time) {
	s := st.s
	if s.p.audit == nil || st.parsed == nil {
		return
	}
	q, _ := st.parsed.(*sql.Query)
	text := st.parsed.SQL()
	if err != nil {
		s.audit(q, text, "", -1, err, start, st.auditFeatures)
		return
	}
	switch r := res.(type) {
	case *CommandResult:
		if r.Empty {
			return
		}
		s.audit(q, text, tagVerb(r.Tag), tagRows(r.Tag), nil, start, st.auditFeatures)
	case *RowResult:
		prev := r.onDone
		r.onDone = func() {
			if prev != nil {
				prev()
			}
			s.audit(q, text, r.tagVerb, r.rows.Count(), nil, start, st.auditFeatures)
		}
	case *staticRows:
		s.audit(q, text, tagVerb(r.Tag()), int64(len(r.rows)), nil, start, st.auditFeatures)
	default:
		s.audit(q, text, "COPY", -1, nil, start, st.auditFeatures)
	}
}

// tagVerb is a command tag without its counts ("INSERT 0 3" -> "INSERT").
func tagVerb(tag string) string {
	f := strings.Fields(tag)
	for len(f) > 0 {
		if _, err := strconv.Atoi(f[len(f)-1]); err != nil {
			break
		}
		f = f[:len(f)-1]
	}
	return strings.Join(f, " ")
}

// tagRows is a tag's row count (its last number), -1 without one.
func tagRows(tag string) int64 {
	f := strings.Fields(tag)
	if len(f) < 2 {
		return -1
	}
	n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// auditFeatures lists the features st reads and writes (cached: a
// prepared statement run many times walks its tree once).
func (st *Statement) auditFeatures() ([]string, []string) {
	gen := st.s.p.catalog.Generation()
	if !st.auditDone || st.auditGen != gen {
		q, _ := st.parsed.(*sql.Query)
		st.auditRead, st.auditWritten = st.s.auditFeatures(q)
		st.auditGen, st.auditDone = gen, true
	}
	return st.auditRead, st.auditWritten
}
