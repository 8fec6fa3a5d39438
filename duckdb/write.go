package duckdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

var stageCounter atomic.Int64

// WriteOptions describe one write statement into a group.
type WriteOptions struct {
	// InTransaction: the session is inside BEGIN ... COMMIT; rows go to the
	// unflushed table in that transaction (committed or rolled back with it).
	InTransaction bool
	// StatementTime fills a missing event time.
	StatementTime time.Time
	// RowLabel names a staged row (0-based rowid) in error messages,
	// e.g. "row 3"; nil → "row N".
	RowLabel func(rowid int64) string
	// Context is PostgreSQL's CONTEXT line for errors ("COPY g, line 4"), or nil.
	Context func(rowid int64) string
	// Stored, when set, runs once the rows are stored (committed, or
	// written in the caller's transaction) and before the stage is dropped,
	// with a query that reads the stored rows in stored-column order with
	// the hidden columns (the online store's write path reads it). Its
	// failure does not undo the write: it handles its own errors.
	Stored func(ctx context.Context, selectSQL string)
	// StoredRows, when set, is offered the rows of a direct write
	// (WriteValues) once committed, before Stored: every column in
	// stored-row order, the first row's _fh_seq (the next rows follow it)
	// and the write time. It returns false when it cannot use them, and
	// Stored runs then. The rows are the caller's to read, not to keep.
	StoredRows func(ctx context.Context, rows [][]any, seq int64, writtenAt time.Time) bool
}

// CreateStage creates a session-local staging table with the group's columns
// (no constraints: they are checked by CommitStage with row numbers) and
// returns its name.
func (c *Conn) CreateStage(ctx context.Context, g *GroupLayout) (string, error) {
	name := fmt.Sprintf("fh_stage_%d", stageCounter.Add(1))
	parts := make([]string, len(g.Columns))
	for i, col := range g.Columns {
		parts[i] = QuoteIdent(col.Name) + " " + col.Type
	}
	if _, err := c.Exec(ctx, "CREATE TEMP TABLE "+name+" ("+strings.Join(parts, ", ")+")"); err != nil {
		return "", err
	}
	return "temp." + name, nil
}

// DropStage removes a staging table.
func (c *Conn) DropStage(ctx context.Context, stage string) {
	_, _ = c.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+stage)
}

// CommitStage checks the staged rows against the group's constraints and
// stores them: all or nothing. It drops the stage.
func (c *Conn) CommitStage(ctx context.Context, g *GroupLayout, stage string, opt WriteOptions) (n int64, err error) {
	defer c.DropStage(ctx, stage)
	if opt.StatementTime.IsZero() {
		opt.StatementTime = time.Now()
	}
	if opt.InTransaction {
		// Held to the transaction's end: its rows are checked now but
		// commit later.
		if err := c.holdSchema(ctx, g.ID); err != nil {
			return 0, err
		}
	} else {
		unlock, err := c.engine.schemaLock(g.ID).rlock(ctx)
		if err != nil {
			return 0, err
		}
		defer unlock()
	}
	n, firstRow, err := c.scanStage(ctx, g, stage, opt)
	if err != nil || n == 0 {
		return 0, err
	}
	ts := QuoteString(opt.StatementTime.UTC().Format("2006-01-02 15:04:05.999999Z07:00"))
	var base any
	if _, err := c.QueryRow(ctx, "SELECT nextval('"+InternalSchema+".write_seq')", nil, &base); err != nil {
		return 0, err
	}
	seqBase, _ := base.(int64)
	c.engine.tookSeq(seqBase) // the group commit's later writes number after it
	src := stageSource{stage: stage, seqBase: seqBase<<32 - firstRow, writtenAt: ts}
	if !opt.InTransaction && n >= c.engine.cfg.DirectWriteRows {
		if err := c.engine.writeParquet(ctx, c, g, src.selectSQL(g), true); err != nil {
			return 0, err
		}
		if opt.Stored != nil {
			opt.Stored(ctx, src.selectSQL(g))
		}
		return n, nil
	}
	if !opt.InTransaction {
		if _, err := c.Exec(ctx, "BEGIN"); err != nil {
			return 0, err
		}
	}
	if _, err := c.Exec(ctx, "INSERT INTO "+g.UnflushedTable()+" ("+g.storedColumnNames()+") "+src.selectSQL(g)); err != nil {
		if !opt.InTransaction {
			_, _ = c.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
		return 0, err
	}
	if !opt.InTransaction {
		if _, err := c.Exec(ctx, "COMMIT"); err != nil {
			return 0, err
		}
	}
	c.engine.noteUnflushed(g.ID, n)
	if opt.Stored != nil {
		opt.Stored(ctx, src.selectSQL(g))
	}
	return n, nil
}

type stageSource struct {
	stage     string
	seqBase   int64
	writtenAt string
}

// selectSQL reads the stage in stored-column order with the hidden columns.
func (s stageSource) selectSQL(g *GroupLayout) string {
	parts := make([]string, 0, len(g.Columns)+2)
	for _, c := range g.Columns {
		if c.Name == g.EventTime {
			// A missing event time is the statement's time.
			parts = append(parts, "COALESCE("+QuoteIdent(c.Name)+", CAST(CAST("+s.writtenAt+" AS TIMESTAMPTZ) AS "+c.Type+")) AS "+QuoteIdent(c.Name))
			continue
		}
		parts = append(parts, QuoteIdent(c.Name))
	}
	parts = append(parts, fmt.Sprintf("%d + rowid AS %s", s.seqBase, SeqColumn), "CAST("+s.writtenAt+" AS TIMESTAMPTZ) AS "+WrittenAtColumn)
	return "SELECT " + strings.Join(parts, ", ") + " FROM " + s.stage
}

// constraint is one condition every stored row must meet.
type constraint struct {
	violated string // SQL condition true for a violating row
	fail     func(label string, row string) *pgerror.Error
}

// constraints lists NOT NULL (entity keys and NOT NULL features; the event
// time defaults instead) then CHECK constraints, in PostgreSQL's order.
func (g *GroupLayout) constraints() []constraint {
	isKey := map[string]bool{}
	for _, k := range g.EntityKeys {
		isKey[k] = true
	}
	var out []constraint
	for _, col := range g.Columns {
		if !(col.NotNull || isKey[col.Name]) || col.Name == g.EventTime {
			continue
		}
		name := col.Name
		out = append(out, constraint{violated: QuoteIdent(name) + " IS NULL", fail: func(label, row string) *pgerror.Error {
			return pgerror.New(pgerror.NotNullViolation, `null value in column "%s" of relation "%s" violates not-null constraint`, name, g.Name).
				WithDetail("Failing %s contains %s.", label, row)
		}})
	}
	var checks []Check
	for _, col := range g.Columns {
		checks = append(checks, col.Checks...)
	}
	for _, chk := range append(checks, g.TableChecks...) {
		chk := chk
		out = append(out, constraint{violated: "NOT (" + chk.Expr + ")", fail: func(label, row string) *pgerror.Error {
			return pgerror.New(pgerror.CheckViolation, `new row for relation "%s" violates check constraint "%s"`, g.Name, chk.Name).
				WithDetail("Failing %s contains %s.", label, row)
		}})
	}
	return out
}

// scanStage reads the stage once: its row count, its first rowid, and the
// first violating row of each constraint. It returns the error for the
// first violating row (the first constraint it breaks), as PostgreSQL
// stops at the first bad row.
func (c *Conn) scanStage(ctx context.Context, g *GroupLayout, stage string, opt WriteOptions) (n, firstRow int64, err error) {
	// The rows are checked against the constraints registered now (SET
	// CHECK may have committed since the stage was made), unless the columns
	// changed names meanwhile (RENAME FEATURE, which changes no constraint).
	checks := c.engine.registered(g)
	if !checks.sameColumns(g) {
		checks = g
	}
	cons := checks.constraints()
	cols := []string{"count(*)", "min(rowid)"}
	for _, k := range cons {
		cols = append(cols, "min(CASE WHEN "+k.violated+" THEN rowid END)")
	}
	rows, err := c.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+stage)
	if err != nil {
		return 0, 0, err
	}
	row, err := rows.Next()
	if err != nil {
		rows.Close()
		return 0, 0, err
	}
	vals := append([]any(nil), row...)
	rows.Close()
	n, _ = vals[0].(int64)
	firstRow, _ = vals[1].(int64)
	worst, worstRow := -1, int64(0)
	for i := range cons {
		r, ok := vals[2+i].(int64)
		if ok && (worst < 0 || r < worstRow) {
			worst, worstRow = i, r
		}
	}
	if worst < 0 {
		return n, firstRow, nil
	}
	// Inside a transaction DuckDB numbers uncommitted rows from a large
	// offset; row numbers count from the stage's first row.
	label := fmt.Sprintf("row %d", worstRow-firstRow+1)
	if opt.RowLabel != nil {
		label = opt.RowLabel(worstRow - firstRow)
	}
	e := cons[worst].fail(label, c.rowText(ctx, g, stage, worstRow))
	if opt.Context != nil {
		e.Where = opt.Context(worstRow - firstRow)
	}
	return 0, 0, e
}

// rowText renders a staged row as PostgreSQL's "Failing row contains (...)".
func (c *Conn) rowText(ctx context.Context, g *GroupLayout, stage string, rowid int64) string {
	parts := make([]string, len(g.Columns))
	for i, col := range g.Columns {
		parts[i] = "COALESCE(CAST(" + QuoteIdent(col.Name) + " AS VARCHAR), 'null')"
	}
	var v any
	if _, err := c.QueryRow(ctx, "SELECT concat_ws(', ', "+strings.Join(parts, ", ")+") FROM "+stage+" WHERE rowid = ?", []any{rowid}, &v); err != nil {
		return "(?)"
	}
	s, _ := v.(string)
	return "(" + s + ")"
}

// writeParquet writes the rows of selectSQL (stored-column order plus hidden
// columns, under the columns' names in g) as Parquet files, one per
// partition, and commits them to the manifest with the group's views.
// fromStage: rows come from a session stage (nothing else to delete); the
// flusher passes false, and an empty selectSQL, and moves the unflushed rows
// in the same transaction.
func (e *Engine) writeParquet(ctx context.Context, c *Conn, g *GroupLayout, selectSQL string, fromStage bool) (err error) {
	lock := e.groupLock(g.ID)
	lock.Lock()
	defer lock.Unlock()
	// A schema change may have committed while this write waited for the
	// lock: the views are rebuilt from the layout registered now, and the
	// flusher reads the unflushed table through it.
	cur := e.registered(g)
	if !fromStage {
		g = cur
		selectSQL = g.unflushedSelect()
		// The flusher's transaction fixes which unflushed rows it moves.
		if _, err := c.Exec(ctx, "BEGIN"); err != nil {
			return err
		}
	}
	var written []string
	committed := false
	defer func() {
		if committed {
			return
		}
		if !fromStage || c.inTxn {
			_, _ = c.Exec(context.WithoutCancel(ctx), "ROLLBACK")
			c.inTxn = false
		}
		for _, p := range written {
			_ = os.Remove(filepath.Join(e.cfg.DataDir, p))
		}
	}()
	files, err := e.writePartitions(ctx, c, g, selectSQL)
	for _, f := range files {
		written = append(written, f.path)
	}
	if err != nil {
		return err
	}
	if fromStage {
		if _, err := c.Exec(ctx, "BEGIN"); err != nil {
			return err
		}
		c.inTxn = true
	} else {
		if _, err := c.Exec(ctx, "DELETE FROM "+g.UnflushedTable()); err != nil {
			return err
		}
	}
	v, err := nextVersion(ctx, c, g.ID)
	if err != nil {
		return err
	}
	if err := addFiles(ctx, c, g, v, files); err != nil {
		return err
	}
	if err := e.replaceViews(ctx, c, cur); err != nil {
		return err
	}
	if _, err := c.Exec(ctx, "COMMIT"); err != nil {
		return err
	}
	c.inTxn = false
	committed = true
	return nil
}

// registered is the group's layout as registered now (g when it is not
// registered, e.g. dropped meanwhile).
func (e *Engine) registered(g *GroupLayout) *GroupLayout {
	if cur, ok := e.layouts.Load(g.ID); ok {
		cg := cur.(GroupLayout)
		return &cg
	}
	return g
}

// writePartitions writes one Parquet file per partition: DuckDB writes it
// under tmp/, then it is fsynced and renamed into place. Nothing refers to it
// until the manifest row commits.
func (e *Engine) writePartitions(ctx context.Context, c *Conn, g *GroupLayout, selectSQL string) ([]fileEntry, error) {
	et := QuoteIdent(g.EventTime)
	rows, err := c.Query(ctx, "SELECT "+g.partitionExpr()+" AS p, count(*), CAST(min("+et+") AS VARCHAR), CAST(max("+et+") AS VARCHAR) FROM ("+selectSQL+") GROUP BY p ORDER BY p")
	if err != nil {
		return nil, err
	}
	type part struct {
		name       string
		n          int64
		minT, maxT string
	}
	var parts []part
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rows.Close()
			return nil, err
		}
		p := part{}
		p.name, _ = row[0].(string)
		p.n, _ = row[1].(int64)
		p.minT, _ = row[2].(string)
		p.maxT, _ = row[3].(string)
		parts = append(parts, p)
	}
	rows.Close()
	cols := make([]string, 0, len(g.Columns))
	types := make([]string, 0, len(g.Columns))
	for _, col := range g.Columns {
		cols = append(cols, col.StoredName())
		types = append(types, col.Type)
	}
	var out []fileEntry
	for _, p := range parts {
		name := fmt.Sprintf("%d-%d.parquet", time.Now().UnixNano(), stageCounter.Add(1))
		tmp := filepath.Join(e.cfg.DataDir, "tmp", name)
		src := selectSQL
		if len(parts) > 1 || g.PartitionBy != "" && g.PartitionBy != "none" {
			src = "SELECT * FROM (" + selectSQL + ") WHERE " + g.partitionExpr() + " = " + QuoteString(p.name)
		}
		q := "COPY (" + g.toStored(src) + ") TO " + QuoteString(tmp) + " (FORMAT parquet, COMPRESSION " + e.cfg.Compression + ", ROW_GROUP_SIZE 122880)"
		if _, err := c.Exec(ctx, q); err != nil {
			_ = os.Remove(tmp)
			return out, err
		}
		rel := filepath.Join(g.offlineDir(), p.name, name)
		size, err := publishFile(tmp, filepath.Join(e.cfg.DataDir, rel))
		if err != nil {
			return out, err
		}
		out = append(out, fileEntry{path: rel, partition: p.name, rows: p.n, size: size, minET: p.minT, maxET: p.maxT, columns: cols, types: types})
	}
	return out, nil
}

// publishFile fsyncs tmp, renames it to dst and fsyncs dst's directory, so
// that after a crash the file is either whole at dst or absent.
func publishFile(tmp, dst string) (int64, error) {
	f, err := os.Open(tmp)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, fmt.Errorf("fsync %s: %w", tmp, err)
	}
	st, err := f.Stat()
	f.Close()
	if err != nil {
		return 0, err
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return 0, fmt.Errorf("rename %s: %w", tmp, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return st.Size(), nil
}
