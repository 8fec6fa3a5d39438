package duckdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// The direct write path of INSERT ... VALUES outside a transaction block.
//
// Through the stage, one single-row INSERT costs about ten DuckDB
// statements and two WAL syncs (nextval's autocommit, then the COMMIT), and
// DuckDB commits one transaction at a time, so concurrent sessions could
// not store more rows per second than the disk syncs. Here a session
// builds and checks its rows itself when they are parameters of the
// columns' types and the group has no CHECK (the usual prepared INSERT),
// or with one prepared, read-only DuckDB statement otherwise; then it hands
// them to the engine's group commit, which stores the rows of every write
// queued meanwhile with one INSERT, one COMMIT and one WAL sync. A write
// answers once its rows are committed, as before; nothing is stored when
// it fails, and then the stage path runs the statement and reports the
// error as before.

// MaxValuesRows is the most rows of an INSERT ... VALUES the direct path
// takes; longer lists go through the stage.
const MaxValuesRows = 1000

// valuesTypes are the column types whose values come back from DuckDB as Go
// values that bind back as parameters unchanged and render exactly as SQL
// literals.
var valuesTypes = map[string]bool{
	"VARCHAR": true, "BOOLEAN": true, "SMALLINT": true, "INTEGER": true, "BIGINT": true,
	"FLOAT": true, "DOUBLE": true, "DATE": true, "TIMESTAMP": true, "TIMESTAMPTZ": true,
}

// ValuesWritable reports whether the direct path can store g's rows: all its
// columns are of types it carries.
func ValuesWritable(g *GroupLayout) bool {
	for _, c := range g.Columns {
		if !valuesTypes[c.Type] {
			return false
		}
	}
	return true
}

// ValuesStmt is a session's prepared evaluation of one INSERT ... VALUES,
// kept across executions and prepared again when its SQL changes (the
// group's columns, types or constraints changed).
type ValuesStmt struct {
	sql    string
	stmt   *Stmt
	params []string // DuckDB types of the parameters
}

// Close releases the prepared statement.
func (v *ValuesStmt) Close() {
	if v.stmt != nil {
		_ = v.stmt.Close()
		v.stmt, v.sql, v.params = nil, "", nil
	}
}

func (v *ValuesStmt) prepare(ctx context.Context, c *Conn, q string) (*Stmt, error) {
	if v.stmt != nil && v.sql == q && v.stmt.conn == c {
		return v.stmt, nil
	}
	v.Close()
	st, err := c.Prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	v.stmt, v.sql = st, q
	v.params = make([]string, st.NumParams())
	for i := range v.params {
		v.params[i] = st.ParamType(i + 1)
	}
	return st, nil
}

// fit converts args to their parameters' types where the conversion is
// exact: DuckDB binds a Go value as its own type and re-plans a prepared
// statement whose parameter gets another (an int4 parameter arrives from
// pgwire as an int64), which doubles the cost of the evaluation.
func (v *ValuesStmt) fit(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
		if i >= len(v.params) {
			continue
		}
		switch x := a.(type) {
		case int64:
			switch v.params[i] {
			case "INTEGER":
				if x >= math.MinInt32 && x <= math.MaxInt32 {
					out[i] = int32(x)
				}
			case "SMALLINT":
				if x >= math.MinInt16 && x <= math.MaxInt16 {
					out[i] = int16(x)
				}
			}
		case int32:
			if v.params[i] == "BIGINT" {
				out[i] = int64(x)
			}
		case float64:
			if v.params[i] == "FLOAT" && (math.Abs(x) <= math.MaxFloat32 || math.IsNaN(x) || math.IsInf(x, 0)) {
				out[i] = float32(x)
			}
		}
	}
	return out
}

// valuesSQL evaluates rows of items (SQL text) filling the columns cols of
// g into the rows to store: every column in stored-row order (a missing
// event time becomes parameter tsParam, the statement's time), then the
// number of the first constraint the row breaks (0: none). false: a column
// of cols is not in g.
func (g *GroupLayout) valuesSQL(rows [][]string, cols []string, tsParam int) (string, bool) {
	var b strings.Builder
	b.WriteString("SELECT ")
	for _, c := range g.Columns {
		q := QuoteIdent(c.Name)
		if c.Name == g.EventTime {
			fmt.Fprintf(&b, "COALESCE(%s, CAST(CAST($%d AS TIMESTAMPTZ) AS %s)) AS %s, ", q, tsParam, c.Type, q)
		} else {
			b.WriteString(q + ", ")
		}
	}
	if cons := g.constraints(); len(cons) > 0 {
		b.WriteString("CASE")
		for i, k := range cons {
			fmt.Fprintf(&b, " WHEN %s THEN %d", k.violated, i+1)
		}
		b.WriteString(" ELSE 0 END")
	} else {
		b.WriteString("0")
	}
	// The columns the statement does not fill are NULL.
	b.WriteString(" FROM (SELECT ")
	listed := make(map[string]bool, len(cols))
	types := make([]string, len(cols))
	for i, name := range cols {
		c, ok := g.Column(name)
		if !ok {
			return "", false
		}
		listed[name], types[i] = true, c.Type
	}
	for i, c := range g.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		q := QuoteIdent(c.Name)
		if listed[c.Name] {
			b.WriteString(q)
		} else {
			b.WriteString("CAST(NULL AS " + c.Type + ") AS " + q)
		}
	}
	b.WriteString(" FROM (VALUES ")
	for r, row := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i, item := range row {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("CAST((" + item + ") AS " + types[i] + ")")
		}
		b.WriteByte(')')
	}
	b.WriteString(") AS _fh_values(")
	for i, name := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(QuoteIdent(name))
	}
	b.WriteString("))")
	return b.String(), true
}

// WriteValues stores the rows of an INSERT ... VALUES run outside a
// transaction block (opt.InTransaction must be false): rows are the text
// of its items, cols the group's columns they fill, in order, args its
// parameters. vs keeps the prepared evaluation between executions.
//
// ok is false, with nothing stored, when the statement must take the stage
// path instead: a row breaks a constraint or a value does not convert
// (the stage path reports which row, as PostgreSQL does), the group changed
// since the caller read g, or a value is one this path does not carry.
// opt.StoredRows, then opt.Stored, run once the rows are committed.
func (c *Conn) WriteValues(ctx context.Context, g *GroupLayout, vs *ValuesStmt, rows [][]string, cols []string, args []any, opt WriteOptions) (n int64, ok bool, err error) {
	if opt.InTransaction || len(rows) == 0 || len(rows) > MaxValuesRows || !ValuesWritable(g) {
		return 0, false, nil
	}
	if opt.StatementTime.IsZero() {
		opt.StatementTime = time.Now()
	}
	// Like CommitStage: schema changes wait for the write from its check
	// to its commit.
	unlock, err := c.engine.schemaLock(g.ID).rlock(ctx)
	if err != nil {
		return 0, false, err
	}
	defer unlock()
	// A schema change committed after the caller read the layout: the
	// stage path checks against the new constraints.
	if !reflect.DeepEqual(c.engine.registered(g), g) {
		return 0, false, nil
	}
	ts := opt.StatementTime.UTC().Truncate(time.Microsecond)
	vals, ok := g.paramRows(rows, cols, args, ts)
	if !ok {
		q, ok := g.valuesSQL(rows, cols, len(args)+1)
		if !ok {
			return 0, false, nil
		}
		st, err := vs.prepare(ctx, c, q)
		if err != nil {
			return 0, false, ctxErr(ctx, err)
		}
		vals, err = c.evalValues(ctx, st, vs.fit(append(args[:len(args):len(args)], ts)), len(g.Columns))
		if err != nil || vals == nil {
			return 0, false, ctxErr(ctx, err)
		}
	}
	for _, r := range vals {
		if !renderable(r) {
			return 0, false, nil
		}
	}
	w := &pendingWrite{g: g, rows: vals, writtenAt: ts, done: make(chan struct{})}
	if err := c.engine.committer().submit(ctx, w); err != nil {
		// Nothing stored (a failed INSERT rolls back; a failed COMMIT
		// leaves DuckDB unusable): the stage path tries again and reports
		// its own error.
		return 0, false, ctxErr(ctx, err)
	}
	n = int64(len(vals))
	c.engine.noteUnflushed(g.ID, n)
	if opt.StoredRows != nil && opt.StoredRows(ctx, vals, w.seq, ts) {
		return n, true, nil
	}
	if opt.Stored != nil {
		opt.Stored(ctx, storedValuesSQL(g, vals, w.seq, ts))
	}
	return n, true, nil
}

// paramRows builds the rows without DuckDB when every item is a bare
// parameter whose value already has its column's type (what a driver sends
// for a prepared INSERT), so that DuckDB's cast would return it unchanged,
// and the group has no CHECK constraint. ok is false otherwise, or when a
// NOT NULL column gets NULL (the stage path reports it).
func (g *GroupLayout) paramRows(rows [][]string, cols []string, args []any, ts time.Time) ([][]any, bool) {
	for _, col := range g.Columns {
		if len(col.Checks) > 0 {
			return nil, false
		}
	}
	if len(g.TableChecks) > 0 {
		return nil, false
	}
	idx := make([]int, len(g.Columns)) // the item filling each column, -1: none
	for i, col := range g.Columns {
		idx[i] = -1
		for j, name := range cols {
			if name == col.Name {
				idx[i] = j
			}
		}
	}
	keys := make(map[string]bool, len(g.EntityKeys))
	for _, k := range g.EntityKeys {
		keys[k] = true
	}
	out := make([][]any, len(rows))
	for r, items := range rows {
		row := make([]any, len(g.Columns))
		for i, col := range g.Columns {
			var v any
			if idx[i] >= 0 {
				item := items[idx[i]]
				if len(item) < 2 || item[0] != '$' {
					return nil, false
				}
				n, err := strconv.Atoi(item[1:])
				if err != nil || n < 1 || n > len(args) {
					return nil, false
				}
				if v, err = exactValue(args[n-1], col.Type); err != nil {
					return nil, false
				}
			}
			if v == nil && col.Name == g.EventTime {
				if col.Type != "TIMESTAMPTZ" {
					return nil, false
				}
				v = ts
			}
			if v == nil && (col.NotNull || keys[col.Name]) {
				return nil, false
			}
			row[i] = v
		}
		out[r] = row
	}
	return out, true
}

var errNotExact = errors.New("not of the column's type")

// exactValue is v as DuckDB stores it in a column of type typ, when v is
// already of that type (integers in range); errNotExact otherwise.
func exactValue(v any, typ string) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if typ == "VARCHAR" {
			return x, nil
		}
	case bool:
		if typ == "BOOLEAN" {
			return x, nil
		}
	case float64:
		if typ == "DOUBLE" {
			return x, nil
		}
	case float32:
		if typ == "FLOAT" {
			return x, nil
		}
	case time.Time:
		if typ == "TIMESTAMPTZ" {
			return time.UnixMicro(x.UnixMicro()).UTC(), nil // DuckDB keeps microseconds
		}
	case int64:
		switch {
		case typ == "BIGINT":
			return x, nil
		case typ == "INTEGER" && x >= math.MinInt32 && x <= math.MaxInt32:
			return int32(x), nil
		case typ == "SMALLINT" && x >= math.MinInt16 && x <= math.MaxInt16:
			return int16(x), nil
		}
	case int32:
		switch typ {
		case "BIGINT":
			return int64(x), nil
		case "INTEGER":
			return x, nil
		}
	}
	return nil, errNotExact
}

// ctxErr is err when the statement was cancelled; otherwise nil, so that
// the caller takes the stage path, which reports the error itself.
func ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return TranslateError(ctx.Err())
	}
	return nil
}

// evalValues runs the evaluation; nil rows (and no error) when a row breaks
// a constraint.
func (c *Conn) evalValues(ctx context.Context, st *Stmt, args []any, ncols int) ([][]any, error) {
	rs, err := st.Query(ctx, args)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out [][]any
	for {
		r, err := rs.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if v, _ := r[ncols].(int32); v != 0 {
			return nil, nil
		}
		out = append(out, append([]any(nil), r[:ncols]...))
	}
	return out, nil
}

// ---- group commit ----------------------------------------------------------

// committers holds each engine's group commit (Engine has no field for it,
// so that this path stays in this file).
var committers sync.Map // *Engine → *groupCommit

// committer is the engine's group commit, started on first use. It runs
// as one of the engine's background goroutines: Close stops it before the
// final flush (later writes take the stage path).
func (e *Engine) committer() *groupCommit {
	if v, ok := committers.Load(e); ok {
		return v.(*groupCommit)
	}
	gc := &groupCommit{e: e, wake: make(chan struct{}, 1)}
	select {
	case <-e.stop:
		gc.stopped = true
		return gc // not kept: the engine is closed
	default:
	}
	v, loaded := committers.LoadOrStore(e, gc)
	if loaded {
		return v.(*groupCommit)
	}
	// One connection: two committing at once were measured slower (B7:
	// 1.5k rows/s instead of 3.5k), DuckDB commits one at a time anyway.
	e.flushers.Add(1)
	go gc.run(&commitConn{gc: gc, inserts: map[string]*Stmt{}})
	return gc
}

// groupCommit stores the writes queued while it commits the previous ones
// in one transaction per group, on a connection of its own, one batch after
// the other. DuckDB syncs its WAL once per commit.
type groupCommit struct {
	e    *Engine
	wake chan struct{}

	mu      sync.Mutex
	queue   []*pendingWrite
	stopped bool // no more writes: they take the stage path

	// The rows' _fh_seq come from a block of write_seq: number B gives
	// B<<32 .. B<<32 + 2^32-1, as one statement of CommitStage uses. A
	// later write must get a greater number, so a new block is taken once
	// another path has taken a number since (floor) or the block is used
	// up. Only the committing goroutine moves block and next.
	block, next int64
	floor       atomic.Int64 // the greatest number another path took
}

// commitConn is one connection committing batches.
type commitConn struct {
	gc      *groupCommit
	conn    *Conn
	inserts map[string]*Stmt // prepared INSERTs, by group layout and row count
}

type pendingWrite struct {
	g         *GroupLayout
	rows      [][]any // every column in stored-row order
	writtenAt time.Time
	seq       int64 // the first row's _fh_seq, set by the committer
	err       error
	done      chan struct{} // closed once committed or failed
}

// tookSeq records a write_seq number taken outside the group commit.
func (e *Engine) tookSeq(n int64) {
	f := &e.committer().floor
	for {
		cur := f.Load()
		if n <= cur || f.CompareAndSwap(cur, n) {
			return
		}
	}
}

// errCommitterStopped: the engine is closing.
var errCommitterStopped = errors.New("duckdb: group commit stopped")

// submit stores w and returns once it is committed or failed (then
// nothing of it is stored). A write cancelled while queued is withdrawn;
// one being committed is waited for.
func (gc *groupCommit) submit(ctx context.Context, w *pendingWrite) error {
	gc.mu.Lock()
	if gc.stopped {
		gc.mu.Unlock()
		return errCommitterStopped
	}
	gc.queue = append(gc.queue, w)
	gc.mu.Unlock()
	select {
	case gc.wake <- struct{}{}:
	default:
	}
	select {
	case <-w.done:
		return w.err
	case <-ctx.Done():
		gc.mu.Lock()
		for i, q := range gc.queue {
			if q == w {
				gc.queue = append(gc.queue[:i], gc.queue[i+1:]...)
				gc.mu.Unlock()
				return ctx.Err()
			}
		}
		gc.mu.Unlock()
		<-w.done // being committed: its outcome is this write's
		return w.err
	}
}

// run commits batches until the engine stops, then fails what is left
// (the writers take the stage path, which reports the closed engine).
func (gc *groupCommit) run(cc *commitConn) {
	defer gc.e.flushers.Done()
	ctx := context.Background()
	defer func() {
		committers.Delete(gc.e)
		gc.mu.Lock()
		gc.stopped = true
		left := gc.queue
		gc.queue = nil
		gc.mu.Unlock()
		for _, w := range left {
			w.err = errCommitterStopped
			close(w.done)
		}
		for _, st := range cc.inserts {
			_ = st.Close()
		}
		if cc.conn != nil {
			_ = cc.conn.Close()
		}
	}()
	for {
		select {
		case <-gc.e.stop:
			return
		case <-gc.wake:
		}
		for {
			gc.mu.Lock()
			batch := gc.queue
			gc.queue = nil
			gc.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			if cc.conn == nil {
				c, err := gc.e.Connect(ctx)
				if err != nil {
					for _, w := range batch {
						w.err = err
						close(w.done)
					}
					continue
				}
				cc.conn = c
			}
			cc.commitBatch(ctx, batch)
		}
	}
}

// seqs reserves n consecutive _fh_seq values and returns the first.
func (cc *commitConn) seqs(ctx context.Context, n int64) (int64, error) {
	gc := cc.gc
	if gc.block == 0 || gc.floor.Load() >= gc.block || gc.next+n > 1<<32 {
		var v any
		if _, err := cc.conn.QueryRow(ctx, "SELECT nextval('"+InternalSchema+".write_seq')", nil, &v); err != nil {
			return 0, err
		}
		b, _ := v.(int64)
		gc.block, gc.next = b, 0
	}
	first := gc.block<<32 + gc.next
	gc.next += n
	return first, nil
}

// commitBatch stores the writes of each group in one transaction; if that
// fails, each write in its own, so that a failure is reported to the write
// that caused it.
func (cc *commitConn) commitBatch(ctx context.Context, batch []*pendingWrite) {
	var groups []int64
	byGroup := map[int64][]*pendingWrite{}
	for _, w := range batch {
		if _, ok := byGroup[w.g.ID]; !ok {
			groups = append(groups, w.g.ID)
		}
		byGroup[w.g.ID] = append(byGroup[w.g.ID], w)
	}
	for _, id := range groups {
		ws := byGroup[id]
		err := cc.insertRows(ctx, ws)
		if err != nil && len(ws) > 1 {
			for _, w := range ws {
				w.err = cc.insertRows(ctx, []*pendingWrite{w})
				close(w.done)
			}
			continue
		}
		for _, w := range ws {
			w.err = err
			close(w.done)
		}
	}
}

// insertRows stores the rows of writes into one group's unflushed table
// with one INSERT, which commits on its own (the connection is outside any
// transaction): a prepared one for up to maxPreparedRows rows, else with
// the rows as literals (parsed once: cheaper than preparing a statement
// for one use, or creating an appender, whose buffers are sized for 2048
// rows).
func (cc *commitConn) insertRows(ctx context.Context, ws []*pendingWrite) error {
	g := ws[0].g
	var n int64
	for _, w := range ws {
		if !reflect.DeepEqual(w.g, g) {
			// Two layouts of the group in one batch: cannot happen under
			// the schema lock, but one INSERT has one set of columns.
			return pgerror.New(pgerror.ObjectNotInPrerequisiteState, "feature group \"%s\" changed during the write", g.Name)
		}
		n += int64(len(w.rows))
	}
	seq, err := cc.seqs(ctx, n)
	if err != nil {
		return err
	}
	if st := cc.insertStmt(ctx, g, int(n)); st != nil {
		args := make([]any, 0, int(n)*(len(g.Columns)+2))
		for _, w := range ws {
			w.seq = seq
			for _, r := range w.rows {
				args = append(args, r...)
				args = append(args, seq, w.writtenAt)
				seq++
			}
		}
		_, err := st.Exec(ctx, args)
		return err
	}
	var b strings.Builder
	b.WriteString(insertPrefix(g))
	for i, w := range ws {
		w.seq = seq
		wt := literal(w.writtenAt, "TIMESTAMPTZ")
		for j, r := range w.rows {
			if i > 0 || j > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for k, col := range g.Columns {
				b.WriteString(literal(r[k], col.Type))
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d, %s)", seq, wt)
			seq++
		}
	}
	_, err = cc.conn.Exec(ctx, b.String())
	return err
}

func insertPrefix(g *GroupLayout) string {
	return "INSERT INTO " + g.UnflushedTable() + " (" + g.storedColumnNames() + ") VALUES "
}

// maxPreparedRows: batches of more rows are inserted as literals.
const maxPreparedRows = 16

// insertStmt is the prepared INSERT of n rows into g's unflushed table
// (nil: too many rows, or it does not prepare).
func (cc *commitConn) insertStmt(ctx context.Context, g *GroupLayout, n int) *Stmt {
	if n > maxPreparedRows {
		return nil
	}
	var key strings.Builder
	key.WriteString(insertPrefix(g))
	for _, col := range g.Columns {
		key.WriteString(col.Type + ",")
	}
	fmt.Fprintf(&key, "%d", n)
	if st := cc.inserts[key.String()]; st != nil {
		return st
	}
	var b strings.Builder
	b.WriteString(insertPrefix(g))
	p := 0
	for r := 0; r < n; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i := 0; i < len(g.Columns)+2; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			p++
			fmt.Fprintf(&b, "$%d", p)
		}
		b.WriteByte(')')
	}
	st, err := cc.conn.Prepare(ctx, b.String())
	if err != nil {
		return nil
	}
	if len(cc.inserts) >= 256 {
		// Layouts of dropped or altered groups.
		for k, old := range cc.inserts {
			_ = old.Close()
			delete(cc.inserts, k)
		}
	}
	cc.inserts[key.String()] = st
	return st
}

// ---- the rows as SQL -------------------------------------------------------

// renderable reports whether every value of r renders as a SQL literal
// (DuckDB reads statements as C strings: no NUL).
func renderable(r []any) bool {
	for _, v := range r {
		switch x := v.(type) {
		case time.Time:
			if x.Year() < 1 || x.Year() > 9999 {
				return false
			}
		case string:
			if strings.IndexByte(x, 0) >= 0 {
				return false
			}
		}
	}
	return true
}

// storedValuesSQL is a query returning the stored rows in stored-column
// order with the hidden columns, as literals: it reads no table, so the
// flusher moving the rows meanwhile does not matter.
func storedValuesSQL(g *GroupLayout, rows [][]any, seq int64, writtenAt time.Time) string {
	var b strings.Builder
	b.WriteString("SELECT * FROM (VALUES ")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j, col := range g.Columns {
			b.WriteString(literal(r[j], col.Type))
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "CAST(%d AS BIGINT), %s)", seq+int64(i), literal(writtenAt, "TIMESTAMPTZ"))
	}
	b.WriteString(") AS t(")
	for _, c := range g.Columns {
		b.WriteString(QuoteIdent(c.Name))
		b.WriteString(", ")
	}
	b.WriteString(SeqColumn + ", " + WrittenAtColumn + ")")
	return b.String()
}

// literal renders a value of a valuesTypes column as a typed SQL literal.
func literal(v any, typ string) string {
	var s string
	switch x := v.(type) {
	case nil:
		s = "NULL"
	case string:
		s = QuoteString(x)
	case bool:
		s = strconv.FormatBool(x)
	case int16:
		s = strconv.FormatInt(int64(x), 10)
	case int32:
		s = strconv.FormatInt(int64(x), 10)
	case int64:
		s = strconv.FormatInt(x, 10)
	case float32:
		s = QuoteString(floatText(float64(x), 32))
	case float64:
		s = QuoteString(floatText(x, 64))
	case time.Time:
		x = x.UTC()
		switch typ {
		case "DATE":
			s = QuoteString(x.Format("2006-01-02"))
		case "TIMESTAMP":
			s = QuoteString(x.Format("2006-01-02 15:04:05.999999"))
		default:
			s = QuoteString(x.Format("2006-01-02 15:04:05.999999") + "+00")
		}
	default:
		s = QuoteString(fmt.Sprint(x))
	}
	return "CAST(" + s + " AS " + typ + ")"
}

// floatText is the shortest text that reads back to the same float.
func floatText(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}
