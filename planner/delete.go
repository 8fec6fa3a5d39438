package planner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// TRUNCATE and DELETE on feature groups change the group's stored rows
// through duckdb.GroupChange (manifest, Parquet files, unflushed table),
// then tell the online store.

// truncatePlan routes a TRUNCATE naming a feature group, or several
// relations (DuckDB truncates one table per statement). It returns nil for
// a single ordinary table, which DuckDB truncates as it is.
func (s *Session) truncatePlan(ts *pg_query.TruncateStmt) (plan, error) {
	var rels []*pg_query.RangeVar
	groups := 0
	for _, r := range ts.Relations {
		rv := r.GetRangeVar()
		if rv == nil {
			continue
		}
		if isSystemSchema(rv.Schemaname) {
			return nil, s.protectTarget(rv, "TRUNCATE")
		}
		if s.lookupGroup(sql.QualifiedName{Schema: rv.Schemaname, Name: rv.Relname}) != nil {
			groups++
		}
		rels = append(rels, rv)
	}
	if groups == 0 && len(rels) <= 1 {
		return nil, nil
	}
	// RESTART IDENTITY and CASCADE have nothing to act on here: groups have
	// no sequences or referencing keys, and DuckDB tables no identities.
	return &commandPlan{run: func(ctx context.Context) (string, error) {
		if err := s.truncate(ctx, rels); err != nil {
			return "", err
		}
		return "TRUNCATE TABLE", nil
	}}, nil
}

// truncate empties the relations in one transaction: feature groups lose
// their whole history (files leave the manifest, unflushed rows go),
// ordinary tables are truncated by DuckDB.
func (s *Session) truncate(ctx context.Context, rels []*pg_query.RangeVar) error {
	var ids []int64
	for _, rv := range rels {
		if g := s.lookupGroup(sql.QualifiedName{Schema: rv.Schemaname, Name: rv.Relname}); g != nil {
			ids = append(ids, g.ID)
		}
	}
	ch, err := s.conn.BeginGroupChange(ctx, ids, s.inTxn())
	if err != nil {
		return err
	}
	var truncated []*catalog.Group
	seen := map[int64]bool{}
	err = func() error {
		for _, rv := range rels {
			// Looked up again under the group locks: the layout is the one
			// a concurrent ALTER left.
			g := s.lookupGroup(sql.QualifiedName{Schema: rv.Schemaname, Name: rv.Relname})
			if g == nil {
				if _, err := s.conn.Exec(ctx, "TRUNCATE "+rangeVarSQL(rv)); err != nil {
					return err
				}
				continue
			}
			if !slices.Contains(ids, g.ID) {
				return pgerror.New(pgerror.SerializationFailure, `feature group "%s" was dropped and created again during TRUNCATE`, g.Name)
			}
			if seen[g.ID] {
				continue
			}
			seen[g.ID] = true
			layout := g.Layout()
			if err := ch.Truncate(ctx, &layout); err != nil {
				return err
			}
			truncated = append(truncated, g)
		}
		return nil
	}()
	if err := ch.Finish(ctx, err); err != nil {
		return err
	}
	for _, g := range truncated {
		if err := statementError(s.onlineAfterTruncate(ctx, g)); err != nil {
			return err
		}
	}
	return nil
}

// rangeVarSQL is a relation name as DuckDB reads it.
func rangeVarSQL(rv *pg_query.RangeVar) string {
	name := quoteIdent(rv.Relname)
	if rv.Schemaname != "" {
		name = quoteIdent(rv.Schemaname) + "." + name
	}
	if rv.Catalogname != "" {
		name = quoteIdent(rv.Catalogname) + "." + name
	}
	return name
}

// statementError keeps, of an online hook's error, what fails the
// statement: an ERROR the hook chose to report. Anything else is the
// hook's own business (it has logged or queued it).
func statementError(err error) error {
	if e, ok := pgerror.As(err); ok && e.Severity == "ERROR" {
		return e
	}
	return nil
}

// groupDelete is DELETE FROM <feature group>: the statement, turned into a
// query selecting the file, write sequence and entity keys of the rows it
// deletes, feeds duckdb.GroupChange.Delete (copy-on-write of the Parquet
// files holding them, delete of the unflushed ones).
type groupDelete struct {
	s        *Session
	q        *sql.Query
	g        *catalog.Group
	edits    []edit // of q.Text: the target becomes the match query's FROM item
	text     string // the match query with sourceMarker for the rows of the group
	declared []uint32
	params   []uint32
	done     bool
}

const sourceMarker = "\x00source\x00"

func (s *Session) groupDeletePlan(ctx context.Context, q *sql.Query, del *pg_query.DeleteStmt, g *catalog.Group, declared []uint32) (plan, error) {
	if len(del.ReturningList) > 0 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, `RETURNING is not supported on feature group "%s"`, g.Name)
	}
	if del.WhereClause.GetCurrentOfExpr() != nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, `WHERE CURRENT OF is not supported on feature group "%s"`, g.Name)
	}
	edits, err := deleteTargetEdits(q, del, g)
	if err != nil {
		return nil, err
	}
	p := &groupDelete{s: s, q: q, g: g, edits: edits, declared: declared}
	if p.text, err = p.rewrite(ctx, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// deleteTargetEdits turns `DELETE FROM [ONLY] g [[AS] a] [USING items]`
// into `SELECT a._fh_file, a._fh_seq, a.<keys> FROM <source> AS a [, items]`;
// the WHERE clause (and a WITH before DELETE) stay as written.
func deleteTargetEdits(q *sql.Query, del *pg_query.DeleteStmt, g *catalog.Group) ([]edit, error) {
	text := q.Text
	res, err := pg_query.Scan(text)
	if err != nil {
		return nil, pgerror.Wrap(err)
	}
	var toks []*pg_query.ScanToken
	for _, t := range res.Tokens {
		if t.Token != pg_query.Token_SQL_COMMENT && t.Token != pg_query.Token_C_COMMENT {
			toks = append(toks, t)
		}
	}
	loc := int(del.Relation.Location)
	_, relEnd := sql.RelationSpan(text, del.Relation.Location)
	delStart, next := -1, -1
	for i, t := range toks {
		if int(t.Start) < loc && t.Token == pg_query.Token_DELETE_P {
			delStart = int(t.Start)
		}
		if next < 0 && int(t.Start) >= relEnd {
			next = i
		}
	}
	if delStart < 0 || relEnd <= loc {
		return nil, pgerror.New(pgerror.InternalError, "could not locate the DELETE target in the statement")
	}
	alias := del.Relation.Relname
	end := relEnd
	if a := del.Relation.Alias; a != nil && a.Aliasname != "" {
		alias = a.Aliasname
		if next >= 0 && toks[next].Token == pg_query.Token_AS {
			next++
		}
		if next < 0 || next >= len(toks) {
			return nil, pgerror.New(pgerror.InternalError, "could not locate the DELETE target's alias in the statement")
		}
		end = int(toks[next].End)
		next++
	}
	for _, a := range q.AsOf {
		if a.Start < end && delStart < a.End {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "AS OF is not allowed on the target of DELETE").
				WithHint("DELETE removes rows from the whole history of feature group \"%s\"; filter by its event time instead.", g.Name)
		}
	}
	a := quoteIdent(alias)
	cols := []string{a + "." + duckdb.FileColumn, a + "." + duckdb.SeqColumn}
	for _, k := range g.EntityKeys() {
		cols = append(cols, a+"."+quoteIdent(k))
	}
	edits := []edit{{start: delStart, end: end, text: "SELECT " + strings.Join(cols, ", ") + " FROM " + sourceMarker + " AS " + a}}
	if next >= 0 && next < len(toks) && toks[next].Token == pg_query.Token_USING {
		edits = append(edits, edit{start: int(toks[next].Start), end: int(toks[next].End), text: ","})
	}
	if del.Relation.Schemaname != "" && (del.Relation.Alias == nil || del.Relation.Alias.Aliasname == "") {
		edits = append(edits, schemaColumnEdits(toks, del)...)
	}
	return edits, nil
}

// schemaColumnEdits drop the schema from column references `schema.g.col`
// to an unaliased `DELETE FROM schema.g`, which PostgreSQL accepts: in the
// match query g is a subquery's alias, which takes no schema.
func schemaColumnEdits(toks []*pg_query.ScanToken, del *pg_query.DeleteStmt) []edit {
	var out []edit
	for _, cr := range sql.ColumnRefs(del) {
		if len(cr.Fields) < 3 || cr.Fields[0].GetString_().GetSval() != del.Relation.Schemaname ||
			cr.Fields[1].GetString_().GetSval() != del.Relation.Relname {
			continue
		}
		for i := 0; i+2 < len(toks); i++ {
			if int(toks[i].Start) == int(cr.Location) && toks[i+1].Token == pg_query.Token('.') {
				out = append(out, edit{start: int(toks[i].Start), end: int(toks[i+2].Start)})
				break
			}
		}
	}
	return out
}

// rewrite is the match query: the statement's own rewriting (AS OF,
// settings, keywords) with the target edits and parameter casts.
func (p *groupDelete) rewrite(ctx context.Context, params []edit) (string, error) {
	text, err := p.s.rewriteQueryWith(ctx, p.q, append(append([]edit(nil), p.edits...), params...))
	if err != nil {
		return "", err
	}
	if !strings.Contains(text, sourceMarker) {
		return "", pgerror.New(pgerror.InternalError, "could not rewrite the DELETE target")
	}
	return text, nil
}

func (p *groupDelete) match(source string) string {
	return strings.Replace(p.text, sourceMarker, source, 1)
}

// describe prepares the match query to type the parameters; one DuckDB
// cannot type is text, or an array for `col = ANY($n)`, as for queries.
func (p *groupDelete) describe(ctx context.Context) ([]uint32, []types.Column, error) {
	if p.done {
		return p.params, nil, nil
	}
	layout := p.g.Layout()
	text := p.text
	if len(p.declared) > 0 {
		var err error
		if text, err = p.rewrite(ctx, p.s.paramCastEdits(p.q, p.declared, nil)); err != nil {
			return nil, nil, err
		}
	}
	prepare := func(text string) (*duckdb.Stmt, error) {
		stmt, err := p.s.conn.Prepare(ctx, strings.Replace(text, sourceMarker, layout.MatchSourceForDescribe(), 1))
		if err != nil {
			return nil, decorateError(err, p.q)
		}
		return stmt, nil
	}
	stmt, err := prepare(text)
	if err != nil {
		return nil, nil, err
	}
	n := stmt.NumParams()
	var untyped []int
	for i := 1; i <= n; i++ {
		if stmt.ParamType(i) == "" && (i > len(p.declared) || p.declared[i-1] == 0) {
			untyped = append(untyped, i)
		}
	}
	if len(untyped) > 0 {
		_ = stmt.Close()
		if text, err = p.rewrite(ctx, p.s.paramCastEdits(p.q, p.declared, untyped)); err != nil {
			return nil, nil, err
		}
		if stmt, err = prepare(text); err != nil {
			return nil, nil, err
		}
	}
	defer stmt.Close()
	p.params = make([]uint32, n)
	for i := 1; i <= n; i++ {
		switch {
		case i <= len(p.declared) && p.declared[i-1] != 0:
			p.params[i-1] = p.declared[i-1]
		case stmt.ParamType(i) != "":
			p.params[i-1] = types.FromDuckDB(stmt.ParamType(i)).OID
		default:
			p.params[i-1] = 25
		}
	}
	p.text = text
	p.done = true
	return p.params, nil, nil
}

func (p *groupDelete) execute(ctx context.Context, args []any) (any, error) {
	s := p.s
	if p.q.Erase {
		return p.erase(ctx, args) // erase.go
	}
	ch, err := s.conn.BeginGroupChange(ctx, []int64{p.g.ID}, s.inTxn())
	if err != nil {
		return nil, err
	}
	// The layout under the lock: a concurrent ALTER may have changed it.
	g := p.g
	if cur := s.p.catalog.Lookup(g.Schema, g.Name); cur != nil && cur.ID == g.ID {
		g = cur
	}
	layout := g.Layout()
	res, err := ch.Delete(ctx, &layout, p.match, args)
	if err := ch.Finish(ctx, err); err != nil {
		return nil, decorateError(err, p.q)
	}
	if res.Rows > 0 {
		if err := statementError(s.onlineAfterDelete(ctx, g, res.Keys)); err != nil {
			return nil, err
		}
	}
	return &CommandResult{Tag: fmt.Sprintf("DELETE %d", res.Rows)}, nil
}

func (p *groupDelete) close() {}
