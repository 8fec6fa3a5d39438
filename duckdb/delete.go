package duckdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// FileColumn names, in the relation a DELETE's match query reads (see
// GroupChange.Delete), the Parquet file a row comes from (NULL: the row is
// unflushed).
const FileColumn = "_fh_file"

// GroupChange is one TRUNCATE or DELETE statement changing the stored rows
// of feature groups, in one DuckDB transaction: the caller's (a transaction
// block) or its own, committed by Finish.
//
// It holds the groups' locks from Begin to Finish, as the flusher and the
// direct Parquet writes hold them across their transactions, so an
// autocommit change and a flush never interleave. A change inside a client's
// transaction releases them with the statement; a flush committed after that
// transaction's snapshot then makes its change fail with a DuckDB
// write-write conflict (40001) instead of losing or resurrecting rows, and a
// flush attempted while the change is uncommitted fails the same way and is
// retried later.
type GroupChange struct {
	c         *Conn
	own       bool     // the change opened its own transaction
	published []string // files written for the change: garbage unless it commits
	unlock    []func()
}

// BeginGroupChange locks the groups (in id order, so two changes never wait
// on each other) and, unless inTxn, begins a transaction.
func (c *Conn) BeginGroupChange(ctx context.Context, groupIDs []int64, inTxn bool) (*GroupChange, error) {
	ids := slices.Clone(groupIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	ch := &GroupChange{c: c, own: !inTxn}
	for _, id := range ids {
		m := c.engine.groupLock(id)
		if err := m.LockContext(ctx); err != nil {
			ch.release()
			return nil, TranslateError(err)
		}
		ch.unlock = append(ch.unlock, m.Unlock)
	}
	if ch.own {
		if _, err := c.Exec(ctx, "BEGIN TRANSACTION"); err != nil {
			ch.release()
			return nil, err
		}
	}
	return ch, nil
}

func (ch *GroupChange) release() {
	for i := len(ch.unlock) - 1; i >= 0; i-- {
		ch.unlock[i]()
	}
	ch.unlock = nil
}

// Finish ends the change: with err nil it commits its own transaction;
// otherwise it rolls it back and removes the files written for it (in a
// client's transaction the error aborts that transaction, so they can never
// become live). It returns the error the statement ends with.
func (ch *GroupChange) Finish(ctx context.Context, err error) error {
	defer ch.release()
	if err == nil && ch.own {
		// Not cancellable: an interrupted COMMIT must not leave it unclear
		// whether the new files are referenced before they are removed.
		if _, cerr := ch.c.Exec(context.WithoutCancel(ctx), "COMMIT"); cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		if ch.own {
			_, _ = ch.c.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
		ch.c.engine.RemoveFiles(ch.published)
	}
	// Files written inside a client's transaction that later rolls back are
	// left for CollectGarbage at the next start: nothing refers to them.
	return err
}

// Truncate removes every stored row of g: its live files leave the manifest
// (removed_version is set; the files stay on disk for versions that may
// still be read, until a vacuum) and its unflushed rows are deleted.
func (ch *GroupChange) Truncate(ctx context.Context, g *GroupLayout) error {
	c := ch.c
	v, err := nextVersion(ctx, c, g.ID)
	if err != nil {
		return err
	}
	if _, err := c.Exec(ctx, "UPDATE feature_store.files SET removed_version = ? WHERE group_id = ? AND removed_version IS NULL", v, g.ID); err != nil {
		return fmt.Errorf("truncate manifest of %s: %w", g.Name, err)
	}
	if _, err := c.Exec(ctx, "DELETE FROM "+g.UnflushedTable()); err != nil {
		return err
	}
	// Always rebuilt, even without live files: a flush that committed
	// after a client transaction's snapshot then conflicts with it.
	return c.engine.replaceViews(ctx, c, c.engine.registered(g))
}

// DeleteResult is what a DELETE removed.
type DeleteResult struct {
	Rows int64
	// Keys are the distinct entity keys of the removed rows, in the
	// group's entity-key order.
	Keys [][]any
	// Rewritten and Removed count the Parquet files replaced by a copy
	// without the rows, and those dropped because every row went.
	Rewritten, Removed int
	// WrittenBytes is the size of the files written in their place.
	WrittenBytes int64
}

// liveFile is a manifest row of a live file.
type liveFile struct {
	path      string
	partition string
	rows      int64
	columns   []string
	types     []string
}

func liveFileRows(ctx context.Context, q *Conn, groupID int64) ([]liveFile, error) {
	rows, err := q.Query(ctx, `SELECT path, partition, row_count, columns, column_types FROM feature_store.files
		WHERE group_id = ? AND removed_version IS NULL ORDER BY file_id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	defer rows.Close()
	var out []liveFile
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read manifest: %w", err)
		}
		var f liveFile
		f.path, _ = row[0].(string)
		f.partition, _ = row[1].(string)
		f.rows, _ = row[2].(int64)
		f.columns, f.types = stringList(row[3]), stringList(row[4])
		out = append(out, f)
	}
}

// MatchSourceForDescribe is a relation with the columns of
// GroupChange.Delete's source (every stored column, the hidden ones and
// FileColumn), to prepare a match query against without reading files.
func (g *GroupLayout) MatchSourceForDescribe() string {
	return "(SELECT *, CAST(NULL AS VARCHAR) AS " + FileColumn + " FROM " + g.AllRowsView() + ")"
}

// matchSource is every stored row of g with its file's full path in
// FileColumn (NULL for unflushed rows), read as the views read them.
func (e *Engine) matchSource(g *GroupLayout, files []liveFile) string {
	return e.fileSource(g, files, true)
}

// fileSource is matchSource over files, with the unflushed rows or not.
func (e *Engine) fileSource(g *GroupLayout, files []liveFile, unflushed bool) string {
	schemas := make([]fileSchema, len(files))
	for i, f := range files {
		schemas[i] = fileSchema{f.path, f.columns, f.types}
	}
	parts := e.parquetSelects(g, schemas, ", "+FileColumn, ", filename = "+QuoteString(FileColumn))
	if unflushed || len(parts) == 0 {
		q := "SELECT " + g.projection(nil) + ", CAST(NULL AS VARCHAR) AS " + FileColumn + " FROM " + g.UnflushedTable()
		if !unflushed {
			q += " WHERE false"
		}
		parts = append(parts, q)
	}
	return "(" + strings.Join(parts, " UNION ALL ") + ")"
}

// Delete removes the rows of g that match selects, copy-on-write: each
// Parquet file holding some of them is replaced by a new file without them
// (written to tmp/, fsynced, renamed) in one manifest version, and the
// unflushed ones are deleted. match returns the query selecting the rows:
// given a parenthesized relation of every stored row (see matchSource), it
// selects FileColumn, SeqColumn and the entity keys of each matching row
// (duplicates allowed). It is evaluated once, so the rows removed and the
// keys reported agree even for a volatile condition.
func (ch *GroupChange) Delete(ctx context.Context, g *GroupLayout, match func(source string) string, args []any) (res DeleteResult, err error) {
	c, e := ch.c, ch.c.engine
	files, err := liveFileRows(ctx, c, g.ID)
	if err != nil {
		return res, err
	}
	// The matched rows are kept in a temporary table: every later step
	// reads them instead of evaluating the condition again.
	tmp := fmt.Sprintf("temp.fh_delete_%d", stageCounter.Add(1))
	cols := []string{"fh_file", "fh_seq"}
	for i := range g.EntityKeys {
		cols = append(cols, fmt.Sprintf("fh_key_%d", i))
	}
	q := "CREATE TEMP TABLE " + strings.TrimPrefix(tmp, "temp.") + " AS SELECT DISTINCT * FROM (" + match(e.matchSource(g, files)) + ") AS m(" + strings.Join(cols, ", ") + ")"
	if _, err := c.Exec(ctx, q, args...); err != nil {
		return res, err
	}
	defer func() { _, _ = c.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+tmp) }()

	// Rows per file.
	perFile := map[string]int64{}
	rows, err := c.Query(ctx, "SELECT fh_file, count(*) FROM "+tmp+" GROUP BY fh_file")
	if err != nil {
		return res, err
	}
	var unflushed int64
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rows.Close()
			return res, err
		}
		n, _ := row[1].(int64)
		res.Rows += n
		if p, ok := row[0].(string); ok {
			perFile[p] = n
		} else {
			unflushed = n
		}
	}
	if res.Rows == 0 {
		return res, nil
	}
	if res.Keys, err = distinctKeys(ctx, c, tmp, len(g.EntityKeys)); err != nil {
		return res, err
	}

	// Rewrite the files holding matched rows.
	var removed []string
	var added []fileEntry
	et := QuoteIdent(g.storedName(g.EventTime)) // read from a file's physical columns
	for _, f := range files {
		full := filepath.Join(e.cfg.DataDir, f.path)
		n, ok := perFile[full]
		if !ok {
			continue
		}
		removed = append(removed, f.path)
		if n >= f.rows {
			res.Removed++
			continue
		}
		sel := make([]string, 0, len(f.columns)+2)
		for _, col := range f.columns {
			sel = append(sel, QuoteIdent(col))
		}
		sel = append(sel, SeqColumn, WrittenAtColumn)
		name := fmt.Sprintf("%d-%d.parquet", time.Now().UnixNano(), stageCounter.Add(1))
		tmpPath := filepath.Join(e.cfg.DataDir, "tmp", name)
		copyQ := "COPY (SELECT " + strings.Join(sel, ", ") + " FROM read_parquet(" + QuoteString(full) + ", hive_partitioning = false) WHERE " +
			SeqColumn + " NOT IN (SELECT fh_seq FROM " + tmp + " WHERE fh_file = " + QuoteString(full) + ")) TO " + QuoteString(tmpPath) +
			" (FORMAT parquet, COMPRESSION " + e.cfg.Compression + ", ROW_GROUP_SIZE 122880)"
		if _, err := c.Exec(ctx, copyQ); err != nil {
			_ = os.Remove(tmpPath)
			return res, err
		}
		var cnt, minT, maxT any
		if _, err := c.QueryRow(ctx, "SELECT count(*), CAST(min("+et+") AS VARCHAR), CAST(max("+et+") AS VARCHAR) FROM read_parquet("+QuoteString(tmpPath)+")", nil, &cnt, &minT, &maxT); err != nil {
			_ = os.Remove(tmpPath)
			return res, err
		}
		rel := filepath.Join(filepath.Dir(f.path), name)
		size, err := publishFile(tmpPath, filepath.Join(e.cfg.DataDir, rel))
		if err != nil {
			_ = os.Remove(tmpPath)
			return res, err
		}
		ch.published = append(ch.published, rel)
		entry := fileEntry{path: rel, partition: f.partition, size: size, columns: f.columns, types: f.types}
		entry.rows, _ = cnt.(int64)
		entry.minET, _ = minT.(string)
		entry.maxET, _ = maxT.(string)
		added = append(added, entry)
		res.Rewritten++
		res.WrittenBytes += size
	}
	if unflushed > 0 {
		n, err := c.Exec(ctx, "DELETE FROM "+g.UnflushedTable()+" WHERE "+SeqColumn+" IN (SELECT fh_seq FROM "+tmp+" WHERE fh_file IS NULL)")
		if err != nil {
			return res, err
		}
		if n != unflushed {
			return res, fmt.Errorf("delete from %s: %d unflushed rows matched but %d deleted", g.Name, unflushed, n)
		}
	}
	if len(removed) == 0 {
		return res, nil
	}
	v, err := nextVersion(ctx, c, g.ID)
	if err != nil {
		return res, err
	}
	for _, p := range removed {
		n, err := c.Exec(ctx, "UPDATE feature_store.files SET removed_version = ? WHERE group_id = ? AND path = ? AND removed_version IS NULL", v, g.ID, p)
		if err != nil {
			return res, fmt.Errorf("remove %s from manifest: %w", p, err)
		}
		if n != 1 {
			return res, fmt.Errorf("remove %s from manifest: %d live rows", p, n)
		}
	}
	if err := addFiles(ctx, c, g, v, added); err != nil {
		return res, err
	}
	return res, e.replaceViews(ctx, c, e.registered(g))
}

// distinctKeys reads the distinct entity keys of the matched rows.
func distinctKeys(ctx context.Context, c *Conn, tmp string, nkeys int) ([][]any, error) {
	cols := make([]string, nkeys)
	for i := range cols {
		cols[i] = fmt.Sprintf("fh_key_%d", i)
	}
	rows, err := c.Query(ctx, "SELECT DISTINCT "+strings.Join(cols, ", ")+" FROM "+tmp)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, slices.Clone(row))
	}
}
