package planner

import (
	"context"
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// groupInsert is INSERT INTO <feature group> ... : DuckDB evaluates the
// source into a session-local stage (casting to the group's types), then
// duckdb.CommitStage checks constraints and stores the rows, all or none.
type groupInsert struct {
	s        *Session
	q        *sql.Query
	g        *catalog.Group
	template func(stage string) string
	declared []uint32
	params   []uint32
	done     bool
}

func (s *Session) groupInsertPlan(ctx context.Context, q *sql.Query, ins *pg_query.InsertStmt, g *catalog.Group, declared []uint32) (plan, error) {
	if ins.OnConflictClause != nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "ON CONFLICT is not supported on feature group \"%s\"", g.Name).
			WithDetail("Feature history is append-only; a newer row supersedes an older one.")
	}
	if len(ins.ReturningList) > 0 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "RETURNING is not supported on feature group \"%s\"", g.Name)
	}
	for _, c := range ins.Cols {
		rt := c.GetResTarget()
		if rt == nil {
			continue
		}
		f := g.Feature(rt.Name)
		if f == nil {
			return nil, pgerror.New(pgerror.UndefinedColumn, `column "%s" of relation "%s" does not exist`, rt.Name, g.Name).WithPosition(int(rt.Location) + 1)
		}
		if f.Status == catalog.Retired {
			return nil, pgerror.New(pgerror.ObjectNotInPrerequisiteState, `feature "%s.%s" is retired`, g.Name, f.Name)
		}
	}
	if err := s.checkFeatureStatus(ins.SelectStmt); err != nil {
		return nil, err
	}
	edits, err := s.asOfEdits(ctx, q)
	if err != nil {
		return nil, err
	}
	start, end := sql.RelationSpan(q.Text, ins.Relation.Location)
	if start < 0 || end <= start {
		return nil, pgerror.New(pgerror.InternalError, "could not locate the INSERT target in the statement")
	}
	colList := ""
	var targets []string // DuckDB types of the target columns, in order
	layout := g.Layout()
	typeOf := func(name string) string {
		for _, c := range layout.Columns {
			if strings.EqualFold(c.Name, name) {
				return c.Type
			}
		}
		return ""
	}
	if len(ins.Cols) == 0 {
		var cols []string
		for _, f := range g.Features {
			if f.Status != catalog.Retired {
				cols = append(cols, quoteIdent(f.Name))
				targets = append(targets, typeOf(f.Name))
			}
		}
		colList = " (" + strings.Join(cols, ", ") + ")"
	} else {
		for _, c := range ins.Cols {
			targets = append(targets, typeOf(c.GetResTarget().GetName()))
		}
	}
	edits = append(edits, arrayCastEdits(q.Text, ins)...)
	edits = append(edits, insertArrayEdits(q.Text, ins, func(i int) string {
		if i < len(targets) {
			return targets[i]
		}
		return ""
	})...)
	// Drop an "AS alias" on the target: the stage has no alias.
	aliasEnd := end
	if ins.Relation.Alias != nil {
		if i := strings.Index(strings.ToLower(q.Text[end:]), strings.ToLower(ins.Relation.Alias.Aliasname)); i >= 0 {
			aliasEnd = end + i + len(ins.Relation.Alias.Aliasname)
		}
	}
	const marker = "\x00stage\x00"
	edits = append(edits, edit{start: start, end: aliasEnd, text: marker + colList})
	edits = append(edits, keywordEdits(q.Text, edits)...)
	tmpl := applyEdits(q.Text, edits)
	return &groupInsert{s: s, q: q, g: g, declared: declared,
		template: func(stage string) string { return strings.Replace(tmpl, marker, stage, 1) }}, nil
}

func (p *groupInsert) describe(ctx context.Context) ([]uint32, []types.Column, error) {
	if p.done {
		return p.params, nil, nil
	}
	layout := p.g.Layout()
	stage, err := p.s.conn.CreateStage(ctx, &layout)
	if err != nil {
		return nil, nil, err
	}
	defer p.s.conn.DropStage(ctx, stage)
	stmt, err := p.s.conn.Prepare(ctx, p.template(stage))
	if err != nil {
		return nil, nil, err
	}
	defer stmt.Close()
	n := stmt.NumParams()
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
	p.done = true
	return p.params, nil, nil
}

func (p *groupInsert) execute(ctx context.Context, args []any) (any, error) {
	layout := p.g.Layout()
	// The group may have changed since planning (ADD FEATURE): use the
	// catalog's current version.
	if cur := p.s.p.catalog.Lookup(p.g.Schema, p.g.Name); cur != nil {
		layout = cur.Layout()
	}
	stage, err := p.s.conn.CreateStage(ctx, &layout)
	if err != nil {
		return nil, err
	}
	if _, err := p.s.conn.Exec(ctx, p.template(stage), args...); err != nil {
		p.s.conn.DropStage(ctx, stage)
		if isCastError(err) {
			if located := p.locate(ctx, &layout, args); located != nil {
				return nil, located
			}
		}
		return nil, err
	}
	g := p.g
	if cur := p.s.p.catalog.Lookup(p.g.Schema, p.g.Name); cur != nil {
		g = cur
	}
	opt := duckdb.WriteOptions{InTransaction: p.s.inTxn(), StatementTime: now()}
	n, err := p.s.groupWrite(ctx, g, &opt, func() (int64, error) { return p.s.conn.CommitStage(ctx, &layout, stage, opt) })
	if err != nil {
		return nil, err
	}
	return &CommandResult{Tag: fmt.Sprintf("INSERT 0 %d", n)}, nil
}

func (p *groupInsert) close() {}

// locate re-runs the insert into a text-typed stage to name the row and
// column of the first value that does not cast.
func (p *groupInsert) locate(ctx context.Context, layout *duckdb.GroupLayout, args []any) error {
	cols := make([]duckdb.Column, len(layout.Columns))
	for i, c := range layout.Columns {
		cols[i] = duckdb.Column{Name: c.Name, Type: c.Type}
	}
	stage, err := textStage(ctx, p.s.conn, cols, spoolCounter.Add(1))
	if err != nil {
		return nil
	}
	defer p.s.conn.DropStage(ctx, stage)
	if _, err := p.s.conn.Exec(ctx, p.template(stage), args...); err != nil {
		return nil
	}
	return castFailure(ctx, p.s.conn, stage, cols, func(rowid int64, col, _ string) (string, string) {
		return fmt.Sprintf("Failing row %d, column %s.", rowid+1, col), ""
	})
}

// isCastError reports a failed conversion of an input value.
func isCastError(err error) bool {
	switch pgerror.CodeOf(err) {
	case pgerror.InvalidTextRepresentation, pgerror.NumericValueOutOfRange, pgerror.InvalidDatetimeFormat, pgerror.DatetimeFieldOverflow:
		return true
	}
	return false
}
