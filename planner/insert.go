package planner

import (
	"context"
	"fmt"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/online"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// groupInsert is INSERT INTO <feature group> ... : DuckDB evaluates the
// source into a session-local stage (casting to the group's types), then
// duckdb.CommitStage checks constraints and stores the rows, all or none.
// Outside a transaction block, INSERT ... VALUES takes a shorter path
// (duckdb.WriteValues) when it can, and the stage otherwise.
type groupInsert struct {
	s        *Session
	q        *sql.Query
	g        *catalog.Group
	template func(stage string) string
	declared []uint32
	params   []uint32
	done     bool
	values   *valuesSource     // nil: not a VALUES list the direct path takes
	vs       duckdb.ValuesStmt // its prepared evaluation, kept across executions
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
	values := newValuesSource(q.Text, ins, g, end, edits)
	tmpl := applyEdits(q.Text, edits)
	return &groupInsert{s: s, q: q, g: g, declared: declared, values: values,
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
	// The group may have changed since planning (ADD FEATURE): use the
	// catalog's current version.
	g := p.g
	if cur := p.s.p.catalog.Lookup(p.g.Schema, p.g.Name); cur != nil {
		g = cur
	}
	layout := g.Layout()
	if n, ok, err := p.writeValues(ctx, g, &layout, args); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return &CommandResult{Tag: fmt.Sprintf("INSERT 0 %d", n)}, nil
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
	opt := duckdb.WriteOptions{InTransaction: p.s.inTxn(), StatementTime: now()}
	n, err := p.s.groupWrite(ctx, g, &opt, func() (int64, error) { return p.s.conn.CommitStage(ctx, &layout, stage, opt) })
	if err != nil {
		return nil, err
	}
	return &CommandResult{Tag: fmt.Sprintf("INSERT 0 %d", n)}, nil
}

func (p *groupInsert) close() { p.vs.Close() }

// writeValues stores the rows through duckdb.WriteValues when the
// statement can take that path (ok false: use the stage).
func (p *groupInsert) writeValues(ctx context.Context, g *catalog.Group, layout *duckdb.GroupLayout, args []any) (n int64, ok bool, err error) {
	if p.values == nil || p.s.inTxn() || !duckdb.ValuesWritable(layout) {
		return 0, false, nil
	}
	opt := duckdb.WriteOptions{StatementTime: now()}
	n, err = p.s.groupWrite(ctx, g, &opt, func() (int64, error) {
		var n int64
		n, ok, err = p.s.conn.WriteValues(ctx, layout, &p.vs, p.values.rows, p.values.cols, args, opt)
		return n, err
	})
	return n, ok && err == nil, err
}

// valuesSource is an INSERT ... VALUES whose rows the direct path can
// evaluate: the text of each item (with the statement's edits applied) and
// the group columns they fill.
type valuesSource struct {
	rows [][]string
	cols []string
}

// newValuesSource returns the VALUES rows of ins, or nil when the
// statement is not a plain VALUES list (DEFAULT items, a WITH, ORDER BY or
// LIMIT, too many rows) or an edit of the statement straddles an item.
// from is where the target relation ends in text.
func newValuesSource(text string, ins *pg_query.InsertStmt, g *catalog.Group, from int, edits []edit) *valuesSource {
	sel := ins.GetSelectStmt().GetSelectStmt()
	if sel == nil || len(sel.ValuesLists) == 0 || len(sel.ValuesLists) > duckdb.MaxValuesRows || ins.WithClause != nil ||
		sel.WithClause != nil || len(sel.SortClause) > 0 || sel.LimitCount != nil || sel.LimitOffset != nil {
		return nil
	}
	v := &valuesSource{}
	if len(ins.Cols) == 0 {
		for _, f := range g.Features {
			if f.Status != catalog.Retired {
				v.cols = append(v.cols, f.Name)
			}
		}
	} else {
		for _, c := range ins.Cols {
			f := g.Feature(c.GetResTarget().GetName())
			if f == nil {
				return nil
			}
			v.cols = append(v.cols, f.Name)
		}
	}
	width := len(v.cols)
	for _, row := range sel.ValuesLists {
		items := row.GetList().GetItems()
		if len(items) != width {
			return nil // DuckDB reports the mismatch through the stage
		}
		for _, it := range items {
			if it.GetSetToDefault() != nil {
				return nil
			}
		}
	}
	spans, ok := valuesSpans(text, from, len(sel.ValuesLists), width)
	if !ok {
		return nil
	}
	for _, row := range spans {
		texts := make([]string, width)
		for i, sp := range row {
			var inner []edit
			for _, e := range edits {
				switch {
				case e.end <= sp[0] || e.start >= sp[1]:
				case e.start >= sp[0] && e.end <= sp[1]:
					inner = append(inner, edit{start: e.start - sp[0], end: e.end - sp[0], text: e.text})
				default:
					return nil
				}
			}
			texts[i] = applyEdits(text[sp[0]:sp[1]], inner)
		}
		v.rows = append(v.rows, texts)
	}
	return v
}

// valuesSpans finds the [start, end) of every item of the VALUES rows that
// follow position from in text (after the target and its column list).
func valuesSpans(text string, from, rows, width int) ([][][2]int, bool) {
	res, err := pg_query.Scan(text)
	if err != nil {
		return nil, false
	}
	var toks []*pg_query.ScanToken
	for _, t := range res.Tokens {
		if int(t.Start) >= from && t.Token != pg_query.Token_SQL_COMMENT && t.Token != pg_query.Token_C_COMMENT {
			toks = append(toks, t)
		}
	}
	i, depth := 0, 0
	for ; i < len(toks); i++ {
		switch toks[i].Token {
		case pg_query.Token_ASCII_40:
			depth++
		case pg_query.Token_ASCII_41:
			depth--
		}
		if depth == 0 && toks[i].Token == pg_query.Token_VALUES {
			break
		}
	}
	i++
	var out [][][2]int
	for len(out) < rows {
		if len(out) > 0 {
			if i >= len(toks) || toks[i].Token != pg_query.Token_ASCII_44 {
				return nil, false
			}
			i++
		}
		if i >= len(toks) || toks[i].Token != pg_query.Token_ASCII_40 {
			return nil, false
		}
		i++
		var row [][2]int
		start, depth := -1, 0
		for ; i < len(toks); i++ {
			t := toks[i]
			if depth == 0 && (t.Token == pg_query.Token_ASCII_44 || t.Token == pg_query.Token_ASCII_41) {
				if start < 0 {
					return nil, false
				}
				row = append(row, [2]int{start, int(toks[i-1].End)})
				start = -1
				if t.Token == pg_query.Token_ASCII_41 {
					break
				}
				continue
			}
			if start < 0 {
				start = int(t.Start)
			}
			switch t.Token {
			case pg_query.Token_ASCII_40, pg_query.Token_ASCII_91:
				depth++
			case pg_query.Token_ASCII_41, pg_query.Token_ASCII_93:
				depth--
			}
		}
		if i >= len(toks) || len(row) != width {
			return nil, false
		}
		i++
		out = append(out, row)
	}
	// Only the end of the statement may follow.
	if i < len(toks) && !(toks[i].Token == pg_query.Token_ASCII_59 && i == len(toks)-1) {
		return nil, false
	}
	return out, true
}

// locate re-runs the insert into a text-typed stage to name the row and
// column of the first value that does not cast. In a transaction the
// failed statement has aborted the session's DuckDB transaction, so the
// insert re-runs on a connection of its own (it sees what is committed: an
// INSERT ... SELECT reading the block's own writes may not be located, and
// then fails without the detail, as before).
func (p *groupInsert) locate(ctx context.Context, layout *duckdb.GroupLayout, args []any) error {
	cols := make([]duckdb.Column, len(layout.Columns))
	for i, c := range layout.Columns {
		cols[i] = duckdb.Column{Name: c.Name, Type: c.Type}
	}
	conn := p.s.conn
	if p.s.inTxn() {
		c, err := conn.Engine().Connect(ctx)
		if err != nil {
			return nil
		}
		defer c.Close()
		conn = c
	}
	stage, err := textStage(ctx, conn, cols, spoolCounter.Add(1))
	if err != nil {
		return nil
	}
	defer conn.DropStage(ctx, stage)
	if _, err := conn.Exec(ctx, p.template(stage), args...); err != nil {
		return nil
	}
	return castFailure(ctx, conn, stage, cols, func(rowid int64, col, _ string) (string, string) {
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

// latestEntries is what readEntries makes of rows written by
// duckdb.WriteValues (every column in stored-row order, numbered from seq):
// each entity's latest row as an online record, built without a query.
// false for a group with a ttl (its expiry is DuckDB's interval
// arithmetic) or an event time other than TIMESTAMPTZ: readEntries then.
func latestEntries(g *catalog.Group, rows [][]any, seq int64) ([]online.Entry, bool) {
	et := g.EventTime()
	if g.TTL != "" || et == nil || et.DuckDBType != "TIMESTAMPTZ" {
		return nil, false
	}
	etIdx := -1
	var keyIdx []int
	for i, f := range g.Features {
		if f == et {
			etIdx = i
		}
		if f.EntityKey {
			keyIdx = append(keyIdx, i)
		}
	}
	type latest struct {
		row     []any
		us, seq int64
	}
	byKey := map[string]*latest{}
	var order []string
	parts := make([]string, len(keyIdx))
	for i, r := range rows {
		if len(r) != len(g.Features) {
			return nil, false
		}
		t, ok := r[etIdx].(time.Time)
		if !ok {
			return nil, false
		}
		for j, k := range keyIdx {
			var err error
			if parts[j], err = canonicalKeyPart(g.Features[k].DuckDBType, r[k]); err != nil {
				return nil, false
			}
		}
		key := entityKey(parts)
		us, s := t.UnixMicro(), seq+int64(i)
		// Ties on the event time go to the later row, as in latestSQL.
		if cur := byKey[key]; cur == nil {
			byKey[key] = &latest{row: r, us: us, seq: s}
			order = append(order, key)
		} else if us > cur.us || us == cur.us && s > cur.seq {
			cur.row, cur.us, cur.seq = r, us, s
		}
	}
	out := make([]online.Entry, 0, len(order))
	for _, key := range order {
		l := byKey[key]
		v, err := encodeRecord(l.us, l.seq, nil, l.row)
		if err != nil {
			return nil, false
		}
		out = append(out, online.Entry{Key: key, Value: v})
	}
	return out, true
}
