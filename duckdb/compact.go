package duckdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Compaction merges a group's small Parquet files. Streaming inserts are
// flushed as they come (by size or age), so a busy group would otherwise
// collect thousands of small files, each one more read_parquet entry and
// footer to read. Files are merged per partition and per schema key (the
// columns and their types: files written before ADD FEATURE or SET DATA
// TYPE are merged only with their like), into one file per set, in one
// manifest version: the new file is written like a flush's (tmp, fsync,
// rename, manifest commit) and the old ones leave the manifest in the same
// transaction. They stay on disk for snapshots and readers of the older
// version until VACUUM deletes them.
//
// Automatic compaction merges files only with files of about their size
// (their size tier: row count between minFiles^k and minFiles^(k+1)), so
// that a stream of small flushes does not rewrite the partition's whole
// merged file at every merge: each row is rewritten about once per tier it
// climbs (log_minFiles of the file's final size over a flush's), instead of
// once per merge, and a partition keeps fewer than minFiles small files
// per tier. COMPACT merges every small file of a set at once.

// CompactResult is what one compaction of a group did.
type CompactResult struct {
	FilesMerged  int   // files replaced
	FilesWritten int   // files written in their place
	Rows         int64 // rows moved
}

type compactFile struct {
	path      string
	partition string
	rows      int64
	size      int64
	columns   []string
	types     []string
}

// CompactGroup merges the group's live files smaller than smallBytes,
// per partition and schema key, where there are at least minFiles of them
// (2 at least). It holds the group's lock, as a flush does.
func (e *Engine) CompactGroup(ctx context.Context, g *GroupLayout, minFiles int, smallBytes int64) (res CompactResult, err error) {
	return e.compactGroup(ctx, g, minFiles, smallBytes, false)
}

// compactGroup is CompactGroup; tiered merges files per size tier too.
func (e *Engine) compactGroup(ctx context.Context, g *GroupLayout, minFiles int, smallBytes int64, tiered bool) (res CompactResult, err error) {
	minFiles = max(minFiles, 2)
	lock := e.groupLock(g.ID)
	if err := lock.LockContext(ctx); err != nil {
		return res, TranslateError(err)
	}
	defer lock.Unlock()
	g = e.registered(g)
	c, err := e.Connect(ctx)
	if err != nil {
		return res, err
	}
	defer c.Close()
	if _, err := c.Exec(ctx, "BEGIN"); err != nil {
		return res, err
	}
	var written []string
	committed := false
	defer func() {
		if committed {
			return
		}
		_, _ = c.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		for _, p := range written {
			_ = os.Remove(filepath.Join(e.cfg.DataDir, p))
		}
	}()
	sets, err := compactionSets(ctx, c, g.ID, minFiles, smallBytes, tiered)
	if err != nil || len(sets) == 0 {
		return res, err
	}
	v, err := nextVersion(ctx, c, g.ID)
	if err != nil {
		return res, err
	}
	var added []fileEntry
	for _, set := range sets {
		f, err := e.mergeFiles(ctx, c, g, set)
		if f.path != "" {
			written = append(written, f.path)
		}
		if err != nil {
			return res, err
		}
		for _, old := range set {
			n, err := c.Exec(ctx, "UPDATE feature_store.files SET removed_version = ? WHERE group_id = ? AND path = ? AND removed_version IS NULL", v, g.ID, old.path)
			if err != nil {
				return res, fmt.Errorf("compact: remove %s from manifest: %w", old.path, err)
			}
			if n != 1 {
				return res, fmt.Errorf("compact: %s is no longer live", old.path)
			}
			res.Rows += old.rows
		}
		res.FilesMerged += len(set)
		res.FilesWritten++
		added = append(added, f)
	}
	if err := addFiles(ctx, c, g, v, added); err != nil {
		return res, err
	}
	if err := e.replaceViews(ctx, c, g); err != nil {
		return res, err
	}
	// Not cancellable: once COMMIT is sent, the written files must stay.
	if _, err := c.Exec(context.WithoutCancel(ctx), "COMMIT"); err != nil {
		return res, err
	}
	committed = true
	return res, nil
}

// compactionSets groups the small live files by partition and schema key
// (and size tier when tiered), keeping the sets of at least minFiles files.
func compactionSets(ctx context.Context, c *Conn, groupID int64, minFiles int, smallBytes int64, tiered bool) ([][]compactFile, error) {
	rows, err := c.Query(ctx, `SELECT path, partition, row_count, size_bytes, columns, column_types FROM feature_store.files
		WHERE group_id = ? AND removed_version IS NULL AND size_bytes < ? ORDER BY file_id`, groupID, smallBytes)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	defer rows.Close()
	bySet := map[string][]compactFile{}
	var order []string
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read manifest: %w", err)
		}
		f := compactFile{}
		f.path, _ = row[0].(string)
		f.partition, _ = row[1].(string)
		f.rows, _ = row[2].(int64)
		f.size, _ = row[3].(int64)
		f.columns, f.types = stringList(row[4]), stringList(row[5])
		k := f.partition + "\x02" + schemaKey(f.columns, f.types)
		if tiered {
			k += fmt.Sprintf("\x02%02d", sizeTier(f.rows, minFiles))
		}
		if _, ok := bySet[k]; !ok {
			order = append(order, k)
		}
		bySet[k] = append(bySet[k], f)
	}
	sort.Strings(order)
	var out [][]compactFile
	for _, k := range order {
		if len(bySet[k]) >= minFiles {
			out = append(out, bySet[k])
		}
	}
	return out, nil
}

// sizeTier is k for minFiles^k <= rows < minFiles^(k+1).
func sizeTier(rows int64, minFiles int) int {
	t, m := 0, int64(minFiles)
	for n := m; n <= rows; n *= m {
		t++
		if n > rows/m { // the next power is above rows (or would overflow)
			break
		}
	}
	return t
}

// mergeFiles writes the rows of set (same partition, same physical
// columns) to one new file in the partition's directory, ordered by event
// time. f.path is set once the file exists, even on error.
func (e *Engine) mergeFiles(ctx context.Context, c *Conn, g *GroupLayout, set []compactFile) (f fileEntry, err error) {
	paths := make([]string, len(set))
	for i, s := range set {
		paths[i] = QuoteString(filepath.Join(e.cfg.DataDir, s.path))
	}
	cols := make([]string, 0, len(set[0].columns)+2)
	for _, col := range set[0].columns {
		cols = append(cols, QuoteIdent(col))
	}
	cols = append(cols, SeqColumn, WrittenAtColumn)
	et := QuoteIdent(g.storedName(g.EventTime))
	name := fmt.Sprintf("%d-%d.parquet", time.Now().UnixNano(), stageCounter.Add(1))
	tmp := filepath.Join(e.cfg.DataDir, "tmp", name)
	src := "SELECT " + strings.Join(cols, ", ") + " FROM read_parquet([" + strings.Join(paths, ", ") + "], hive_partitioning = false)"
	q := "COPY (" + src + " ORDER BY " + et + ", " + SeqColumn + ") TO " + QuoteString(tmp) +
		" (FORMAT parquet, COMPRESSION " + e.cfg.Compression + ", ROW_GROUP_SIZE 122880)"
	if _, err := c.Exec(ctx, q); err != nil {
		_ = os.Remove(tmp)
		return f, fmt.Errorf("compact: %w", err)
	}
	var cnt, minT, maxT any
	if _, err := c.QueryRow(ctx, "SELECT count(*), CAST(min("+et+") AS VARCHAR), CAST(max("+et+") AS VARCHAR) FROM read_parquet("+QuoteString(tmp)+")", nil, &cnt, &minT, &maxT); err != nil {
		_ = os.Remove(tmp)
		return f, err
	}
	var want int64
	for _, s := range set {
		want += s.rows
	}
	if n, _ := cnt.(int64); n != want {
		_ = os.Remove(tmp)
		return f, fmt.Errorf("compact: the merged file holds %d rows, its %d files %d", n, len(set), want)
	}
	rel := filepath.Join(filepath.Dir(set[0].path), name)
	size, err := publishFile(tmp, filepath.Join(e.cfg.DataDir, rel))
	if err != nil {
		_ = os.Remove(tmp)
		return f, err
	}
	f = fileEntry{path: rel, partition: set[0].partition, rows: want, size: size, columns: set[0].columns, types: set[0].types}
	f.minET, _ = minT.(string)
	f.maxET, _ = maxT.(string)
	return f, nil
}

// CompactAll compacts every registered group with the automatic
// thresholds (Config.CompactMinFiles, CompactFileBytes).
func (e *Engine) CompactAll(ctx context.Context) error {
	if e.cfg.CompactMinFiles <= 0 {
		return nil
	}
	var errs []error
	e.layouts.Range(func(_, v any) bool {
		g := v.(GroupLayout)
		res, err := e.compactGroup(ctx, &g, e.cfg.CompactMinFiles, e.cfg.CompactFileBytes, true)
		if err != nil {
			errs = append(errs, fmt.Errorf("compact %s.%s: %w", g.Schema, g.Name, err))
		} else if res.FilesMerged > 0 {
			e.log.Info("compacted", "group", g.Schema+"."+g.Name, "files_merged", res.FilesMerged, "files_written", res.FilesWritten, "rows", res.Rows)
		}
		return ctx.Err() == nil
	})
	return errors.Join(errs...)
}
