package planner

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// SQL cursors: DECLARE c CURSOR [WITH HOLD] FOR query, FETCH / MOVE,
// CLOSE — what psycopg's named (server-side) cursors and Tableau send.
// DuckDB has none, so DECLARE stores the query's result in a temporary
// table of the session (the rows are computed once, as PostgreSQL's
// WITH HOLD cursors are at COMMIT; nothing is held in the server's
// memory) and FETCH reads the next rows of it in order. A cursor without
// HOLD ends with its transaction, as in PostgreSQL.

type sqlCursor struct {
	statement string
	created   time.Time
	table     string
	pos       int64 // rows already fetched or moved over
	total     int64
	hold      bool
}

const cursorOptHold = 0x0020 // PostgreSQL's CURSOR_OPT_HOLD

func (s *Session) declarePlan(ctx context.Context, q *sql.Query, d *pg_query.DeclareCursorStmt) (plan, error) {
	inner, err := cursorQuery(q)
	if err != nil {
		return nil, err
	}
	hold := d.Options&cursorOptHold != 0
	return &commandPlan{run: func(ctx context.Context) (string, error) {
		if !hold && !s.inBlock() {
			return "", pgerror.New(pgerror.NoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
		}
		if _, ok := s.cursors[d.Portalname]; ok {
			return "", pgerror.New(pgerror.DuplicateCursor, `cursor "%s" already exists`, d.Portalname)
		}
		p, err := s.duckdbPlan(ctx, inner, nil)
		if err != nil {
			return "", err
		}
		dq, ok := p.(*duckdbQuery)
		if !ok || !dq.returnsRows {
			return "", pgerror.New(pgerror.InvalidCursorDefinition, "cursor can only scan a query that returns rows")
		}
		s.cursorSeq++
		c := &sqlCursor{table: fmt.Sprintf("fh_cursor_%d", s.cursorSeq), hold: hold, statement: q.Original, created: time.Now()}
		if _, err := s.conn.Exec(ctx, "CREATE TEMP TABLE "+c.table+" AS "+dq.text); err != nil {
			return "", decorateError(err, inner)
		}
		var n any
		if _, err := s.conn.QueryRow(ctx, "SELECT count(*) FROM "+c.table, nil, &n); err != nil {
			return "", err
		}
		c.total, _ = n.(int64)
		if s.cursors == nil {
			s.cursors = map[string]*sqlCursor{}
		}
		s.cursors[d.Portalname] = c
		return "DECLARE CURSOR", nil
	}}, nil
}

// cursorQuery is the query of DECLARE ... FOR query, parsed on its own
// (it may hold AS OF clauses).
func cursorQuery(q *sql.Query) (*sql.Query, error) {
	res, err := pg_query.Scan(q.Original)
	if err != nil {
		return nil, pgerror.Wrap(err)
	}
	depth := 0
	for _, t := range res.Tokens {
		switch {
		case t.Token == pg_query.Token('('):
			depth++
		case t.Token == pg_query.Token(')'):
			depth--
		case t.Token == pg_query.Token_FOR && depth == 0:
			st, err := sql.ParseOne(q.Original[t.End:])
			if err != nil {
				return nil, err
			}
			inner, ok := st.(*sql.Query)
			if !ok {
				return nil, pgerror.New(pgerror.SyntaxError, "DECLARE CURSOR needs a query")
			}
			return inner, nil
		}
	}
	return nil, pgerror.New(pgerror.SyntaxError, "DECLARE CURSOR needs FOR query")
}

func (s *Session) cursor(name string) (*sqlCursor, error) {
	c, ok := s.cursors[name]
	if !ok {
		return nil, pgerror.New(pgerror.InvalidCursorName, `cursor "%s" does not exist`, name)
	}
	return c, nil
}

// fetchPlan is FETCH / MOVE: forward only (NEXT, FORWARD n, ALL, a
// count), plus ABSOLUTE and RELATIVE moves ahead.
type fetchPlan struct {
	s     *Session
	f     *pg_query.FetchStmt
	inner *duckdbQuery
}

func (s *Session) fetchPlan(f *pg_query.FetchStmt) plan { return &fetchPlan{s: s, f: f} }

func (p *fetchPlan) describe(ctx context.Context) ([]uint32, []types.Column, error) {
	if p.f.Ismove {
		return nil, nil, nil
	}
	c, err := p.s.cursor(p.f.Portalname)
	if err != nil {
		return nil, nil, err
	}
	q, err := p.query(c.table + " LIMIT 0")
	if err != nil {
		return nil, nil, err
	}
	return q.describe(ctx)
}

func (p *fetchPlan) query(from string) (*duckdbQuery, error) {
	st, err := sql.ParseOne("SELECT * FROM " + from)
	if err != nil {
		return nil, err
	}
	q := st.(*sql.Query)
	dp, err := p.s.duckdbPlan(context.Background(), q, nil)
	if err != nil {
		return nil, err
	}
	return dp.(*duckdbQuery), nil
}

func (p *fetchPlan) execute(ctx context.Context, args []any) (any, error) {
	s, f := p.s, p.f
	c, err := s.cursor(f.Portalname)
	if err != nil {
		return nil, err
	}
	// skip rows first, then take n.
	var skip, n int64
	switch f.Direction {
	case pg_query.FetchDirection_FETCH_FORWARD, pg_query.FetchDirection_FETCH_DIRECTION_UNDEFINED:
		n = f.HowMany
	case pg_query.FetchDirection_FETCH_ABSOLUTE:
		if f.HowMany < c.pos+1 && f.HowMany > 0 {
			return nil, pgerror.New(pgerror.ObjectNotInPrerequisiteState, "cursor can only scan forward").
				WithHint("Declare it with SCROLL to enable backward scan.")
		}
		skip, n = max(f.HowMany-1-c.pos, 0), 1
	case pg_query.FetchDirection_FETCH_RELATIVE:
		if f.HowMany < 0 {
			return nil, pgerror.New(pgerror.ObjectNotInPrerequisiteState, "cursor can only scan forward")
		}
		skip, n = max(f.HowMany-1, 0), min(f.HowMany, 1)
	default:
		return nil, pgerror.New(pgerror.ObjectNotInPrerequisiteState, "cursor can only scan forward").
			WithHint("Declare it with SCROLL to enable backward scan.")
	}
	if n < 0 {
		return nil, pgerror.New(pgerror.ObjectNotInPrerequisiteState, "cursor can only scan forward")
	}
	if n == math.MaxInt64 || n > c.total {
		n = c.total
	}
	c.pos = min(c.pos+skip, c.total)
	k := min(n, c.total-c.pos)
	start := c.pos
	c.pos += k
	if f.Ismove {
		return &CommandResult{Tag: fmt.Sprintf("MOVE %d", k)}, nil
	}
	q, err := p.query(fmt.Sprintf("%s ORDER BY rowid LIMIT %d OFFSET %d", c.table, k, start))
	if err != nil {
		return nil, err
	}
	q.tagVerb = "FETCH"
	if _, _, err := q.describe(ctx); err != nil {
		return nil, err
	}
	p.inner = q
	return q.execute(ctx, args)
}

func (p *fetchPlan) close() {}

// closePlan is CLOSE name / CLOSE ALL.
func (s *Session) closePlan(name string) plan {
	return &commandPlan{run: func(ctx context.Context) (string, error) {
		if name == "" {
			s.dropCursors(ctx, true)
			return "CLOSE CURSOR", nil
		}
		c, err := s.cursor(name)
		if err != nil {
			return "", err
		}
		delete(s.cursors, name)
		_, _ = s.conn.Exec(ctx, "DROP TABLE IF EXISTS "+c.table)
		return "CLOSE CURSOR", nil
	}}
}

// dropCursors ends the cursors: all, or those without HOLD (at the end of
// their transaction).
func (s *Session) dropCursors(ctx context.Context, all bool) {
	for name, c := range s.cursors {
		if all || !c.hold {
			delete(s.cursors, name)
			if !strings.HasPrefix(c.table, "fh_cursor_") {
				continue
			}
			_, _ = s.conn.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+c.table)
		}
	}
}

// deallocatePlan is DEALLOCATE [PREPARE] name | ALL. Statements prepared
// with SQL PREPARE live in DuckDB; those of the extended protocol in
// pgwire, which forgets the one named (or all) when it sees the result.
// psycopg 3 sends DEALLOCATE ALL after a rollback.
func (s *Session) deallocatePlan(d *pg_query.DeallocateStmt) plan {
	return &fixedResultPlan{run: func(ctx context.Context) (any, error) {
		if d.Isall || d.Name == "" {
			return &CommandResult{Tag: "DEALLOCATE ALL", Deallocate: "*"}, nil
		}
		if !s.inTxn() {
			// A statement of SQL PREPARE (DuckDB's); an error there would
			// abort a transaction, so inside one only pgwire's are dropped.
			_, _ = s.conn.Exec(ctx, "DEALLOCATE "+quoteIdent(d.Name))
		}
		return &CommandResult{Tag: "DEALLOCATE", Deallocate: d.Name}, nil
	}}
}

// fixedResultPlan runs a function returning the whole result.
type fixedResultPlan struct {
	run func(context.Context) (any, error)
}

func (p *fixedResultPlan) describe(context.Context) ([]uint32, []types.Column, error) {
	return nil, nil, nil
}
func (p *fixedResultPlan) execute(ctx context.Context, _ []any) (any, error) { return p.run(ctx) }
func (p *fixedResultPlan) close()                                            {}

// CursorColumns describes the rows of the SQL cursor name (Describe Portal).
func (s *Session) CursorColumns(ctx context.Context, name string) ([]types.Column, bool) {
	if _, ok := s.cursors[name]; !ok {
		return nil, false
	}
	p := &fetchPlan{s: s, f: &pg_query.FetchStmt{Portalname: name}}
	_, cols, err := p.describe(ctx)
	if err != nil {
		return nil, false
	}
	return cols, true
}

// pgCursorsSQL is pg_cursors for this session: its open SQL cursors.
func (s *Session) pgCursorsSQL() string {
	rows := []string{}
	for name, c := range s.cursors {
		rows = append(rows, fmt.Sprintf("(%s, %s, %t, false, false, %s::TIMESTAMPTZ)",
			quoteLiteral(name), quoteLiteral(c.statement), c.hold, quoteLiteral(c.created.Format("2006-01-02 15:04:05.999999Z07:00"))))
	}
	if len(rows) == 0 {
		return "(SELECT CAST(NULL AS VARCHAR) AS name, CAST(NULL AS VARCHAR) AS statement, CAST(NULL AS BOOLEAN) AS is_holdable, " +
			"CAST(NULL AS BOOLEAN) AS is_binary, CAST(NULL AS BOOLEAN) AS is_scrollable, CAST(NULL AS TIMESTAMPTZ) AS creation_time WHERE false)"
	}
	return "(SELECT * FROM (VALUES " + strings.Join(rows, ", ") + ") AS t(name, statement, is_holdable, is_binary, is_scrollable, creation_time))"
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
