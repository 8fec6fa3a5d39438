package duckdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A snapshot pins the files that held a group's rows when it was taken
// (and a Parquet copy of its unflushed rows then) in
// feature_store.snapshot_files, and reads them through a view of its own,
// made with the group's layout of that moment. Nothing deletes a file that
// a snapshot names; ERASE rewrites a snapshot's files copy-on-write.

// snapshotFilesDDL is the list of the files each snapshot reads. owned
// marks the files written for the snapshot alone (its copy of the
// unflushed rows, erasure rewrites): they go when the snapshot goes.
const snapshotFilesDDL = `CREATE TABLE IF NOT EXISTS feature_store.snapshot_files (
	snapshot_id BIGINT NOT NULL,
	group_id BIGINT NOT NULL,
	path VARCHAR NOT NULL,
	row_count BIGINT NOT NULL,
	size_bytes BIGINT NOT NULL,
	columns VARCHAR[] NOT NULL,
	column_types VARCHAR[],
	owned BOOLEAN NOT NULL
)`

// SnapshotView is the internal view over snapshot id's rows: every column
// of the layout it pinned, under the names of then, with the hidden ones.
func SnapshotView(id int64) string { return fmt.Sprintf("%s.snap_%d", InternalSchema, id) }

// SnapshotStats is what a snapshot holds.
type SnapshotStats struct {
	Rows, Files, Bytes int64
}

type snapFile struct {
	path    string
	rows    int64
	size    int64
	columns []string
	types   []string
	owned   bool
}

func (g *GroupLayout) snapshotDir() string { return filepath.Join(g.offlineDir(), "snapshots") }

// PinSnapshot makes snapshot id of g in c's transaction: the group's live
// files and a copy of its unflushed rows become the snapshot's files, and
// its view is created. The caller holds the group's lock (LockGroup), so
// that no flush or change commits in between. It returns the files it
// wrote: the caller removes them if the transaction does not commit.
func (e *Engine) PinSnapshot(ctx context.Context, c *Conn, g *GroupLayout, id int64) (st SnapshotStats, written []string, err error) {
	rows, err := c.Query(ctx, `SELECT path, row_count, size_bytes, columns, column_types FROM feature_store.files
		WHERE group_id = ? AND removed_version IS NULL ORDER BY file_id`, g.ID)
	if err != nil {
		return st, nil, fmt.Errorf("read manifest: %w", err)
	}
	var files []snapFile
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rows.Close()
			return st, nil, fmt.Errorf("read manifest: %w", err)
		}
		f := snapFile{}
		f.path, _ = row[0].(string)
		f.rows, _ = row[1].(int64)
		f.size, _ = row[2].(int64)
		f.columns, f.types = stringList(row[3]), stringList(row[4])
		files = append(files, f)
	}
	rows.Close()

	var n any
	if _, err := c.QueryRow(ctx, "SELECT count(*) FROM "+g.UnflushedTable(), nil, &n); err != nil {
		return st, nil, err
	}
	if cnt, _ := n.(int64); cnt > 0 {
		sel := "SELECT " + g.storedColumnNames() + " FROM " + g.UnflushedTable()
		f, err := e.writeSnapshotFile(ctx, c, g, id, sel)
		if err != nil {
			return st, nil, err
		}
		written = append(written, f.path)
		files = append(files, f)
	}
	if err := e.saveSnapshotFiles(ctx, c, g.ID, id, files); err != nil {
		return st, written, err
	}
	if err := e.createSnapshotView(ctx, c, g, id, files); err != nil {
		return st, written, err
	}
	for _, f := range files {
		st.Rows += f.rows
		st.Bytes += f.size
	}
	st.Files = int64(len(files))
	return st, written, nil
}

// writeSnapshotFile writes the rows of sel (physical columns of g, hidden
// ones last) to a new Parquet file owned by snapshot id.
func (e *Engine) writeSnapshotFile(ctx context.Context, c *Conn, g *GroupLayout, id int64, sel string) (snapFile, error) {
	name := fmt.Sprintf("snap%d-%d-%d.parquet", id, time.Now().UnixNano(), stageCounter.Add(1))
	tmp := filepath.Join(e.cfg.DataDir, "tmp", name)
	q := "COPY (" + sel + ") TO " + QuoteString(tmp) + " (FORMAT parquet, COMPRESSION " + e.cfg.Compression + ", ROW_GROUP_SIZE 122880)"
	if _, err := c.Exec(ctx, q); err != nil {
		_ = os.Remove(tmp)
		return snapFile{}, err
	}
	var cnt any
	if _, err := c.QueryRow(ctx, "SELECT count(*) FROM read_parquet("+QuoteString(tmp)+")", nil, &cnt); err != nil {
		_ = os.Remove(tmp)
		return snapFile{}, err
	}
	rel := filepath.Join(g.snapshotDir(), name)
	size, err := publishFile(tmp, filepath.Join(e.cfg.DataDir, rel))
	if err != nil {
		_ = os.Remove(tmp)
		return snapFile{}, err
	}
	f := snapFile{path: rel, size: size, owned: true}
	f.rows, _ = cnt.(int64)
	for _, col := range g.Columns {
		f.columns = append(f.columns, col.StoredName())
		f.types = append(f.types, col.Type)
	}
	return f, nil
}

func (e *Engine) saveSnapshotFiles(ctx context.Context, c *Conn, groupID, id int64, files []snapFile) error {
	for _, f := range files {
		_, err := c.Exec(ctx, `INSERT INTO feature_store.snapshot_files VALUES (?, ?, ?, ?, ?, `+
			varcharList(f.columns)+`, `+varcharList(f.types)+`, ?)`, id, groupID, f.path, f.rows, f.size, f.owned)
		if err != nil {
			return fmt.Errorf("record snapshot file %s: %w", f.path, err)
		}
	}
	return nil
}

func varcharList(items []string) string {
	if items == nil {
		return "NULL"
	}
	q := make([]string, len(items))
	for i, c := range items {
		q[i] = QuoteString(c)
	}
	return "[" + strings.Join(q, ",") + "]::VARCHAR[]"
}

// createSnapshotView (re)creates the snapshot's view over files, read with
// g, the layout the snapshot pinned.
func (e *Engine) createSnapshotView(ctx context.Context, c *Conn, g *GroupLayout, id int64, files []snapFile) error {
	schemas := make([]fileSchema, len(files))
	for i, f := range files {
		schemas[i] = fileSchema{f.path, f.columns, f.types}
	}
	parts := e.parquetSelects(g, schemas, "", "")
	if len(parts) == 0 {
		cols := make([]string, 0, len(g.Columns)+2)
		for _, col := range g.Columns {
			cols = append(cols, "CAST(NULL AS "+col.Type+") AS "+QuoteIdent(col.Name))
		}
		cols = append(cols, "CAST(NULL AS BIGINT) AS "+SeqColumn, "CAST(NULL AS TIMESTAMPTZ) AS "+WrittenAtColumn)
		parts = append(parts, "SELECT "+strings.Join(cols, ", ")+" WHERE false")
	}
	q := "CREATE OR REPLACE VIEW " + SnapshotView(id) + " AS " + strings.Join(parts, " UNION ALL ")
	if _, err := c.Exec(ctx, q); err != nil {
		return fmt.Errorf("create view %s: %w", SnapshotView(id), err)
	}
	return nil
}

// DropSnapshotStorage forgets snapshot id's files and drops its view, in
// c's transaction. It returns the files the snapshot owned, to remove once
// the transaction commits (RemoveFiles).
func (e *Engine) DropSnapshotStorage(ctx context.Context, c *Conn, id int64) ([]string, error) {
	files, err := snapshotFiles(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if _, err := c.Exec(ctx, "DELETE FROM feature_store.snapshot_files WHERE snapshot_id = ?", id); err != nil {
		return nil, err
	}
	if _, err := c.Exec(ctx, "DROP VIEW IF EXISTS "+SnapshotView(id)); err != nil {
		return nil, err
	}
	var owned []string
	for _, f := range files {
		if f.owned {
			owned = append(owned, f.path)
		}
	}
	return owned, nil
}

func snapshotFiles(ctx context.Context, c *Conn, id int64) ([]snapFile, error) {
	rows, err := c.Query(ctx, `SELECT path, row_count, size_bytes, columns, column_types, owned
		FROM feature_store.snapshot_files WHERE snapshot_id = ? ORDER BY path`, id)
	if err != nil {
		return nil, fmt.Errorf("read snapshot files: %w", err)
	}
	defer rows.Close()
	var out []snapFile
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read snapshot files: %w", err)
		}
		f := snapFile{}
		f.path, _ = row[0].(string)
		f.rows, _ = row[1].(int64)
		f.size, _ = row[2].(int64)
		f.columns, f.types = stringList(row[3]), stringList(row[4])
		f.owned, _ = row[5].(bool)
		out = append(out, f)
	}
}

// EraseFromSnapshot removes the rows of snapshot id (pinned with layout g)
// that match selects (as for GroupChange.Delete, over the snapshot's rows),
// copy-on-write: each file holding some is replaced, for this snapshot, by
// a copy without them. It returns the rows removed and the files the
// snapshot no longer reads that it owned (to remove after the commit);
// files shared with the group are left to VACUUM / ERASE's cleanup.
func (ch *GroupChange) EraseFromSnapshot(ctx context.Context, g *GroupLayout, id int64, match func(source string) string, args []any) (rows int64, obsolete []string, err error) {
	c, e := ch.c, ch.c.engine
	files, err := snapshotFiles(ctx, c, id)
	if err != nil {
		return 0, nil, err
	}
	if len(files) == 0 {
		return 0, nil, nil
	}
	live := make([]liveFile, len(files))
	for i, f := range files {
		live[i] = liveFile{path: f.path, rows: f.rows, columns: f.columns, types: f.types}
	}
	tmp := fmt.Sprintf("temp.fh_erase_%d", stageCounter.Add(1))
	cols := []string{"fh_file", "fh_seq"}
	for i := range g.EntityKeys {
		cols = append(cols, fmt.Sprintf("fh_key_%d", i))
	}
	q := "CREATE TEMP TABLE " + strings.TrimPrefix(tmp, "temp.") + " AS SELECT DISTINCT * FROM (" + match(e.fileSource(g, live, false)) + ") AS m(" + strings.Join(cols, ", ") + ")"
	if _, err := c.Exec(ctx, q, args...); err != nil {
		return 0, nil, err
	}
	defer func() { _, _ = c.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+tmp) }()
	perFile, n, err := matchedPerFile(ctx, c, tmp)
	if err != nil || n == 0 {
		return 0, nil, err
	}
	var kept []snapFile
	for _, f := range files {
		full := filepath.Join(e.cfg.DataDir, f.path)
		m, hit := perFile[full]
		if !hit {
			kept = append(kept, f)
			continue
		}
		if f.owned {
			obsolete = append(obsolete, f.path)
		}
		if m >= f.rows {
			continue
		}
		sel := make([]string, 0, len(f.columns)+2)
		for _, col := range f.columns {
			sel = append(sel, QuoteIdent(col))
		}
		sel = append(sel, SeqColumn, WrittenAtColumn)
		src := "SELECT " + strings.Join(sel, ", ") + " FROM read_parquet(" + QuoteString(full) + ", hive_partitioning = false) WHERE " +
			SeqColumn + " NOT IN (SELECT fh_seq FROM " + tmp + " WHERE fh_file = " + QuoteString(full) + ")"
		nf, err := e.writeSnapshotFile(ctx, c, g, id, src)
		if err != nil {
			return 0, nil, err
		}
		nf.columns, nf.types = f.columns, f.types
		ch.published = append(ch.published, nf.path)
		kept = append(kept, nf)
	}
	if _, err := c.Exec(ctx, "DELETE FROM feature_store.snapshot_files WHERE snapshot_id = ?", id); err != nil {
		return 0, nil, err
	}
	if err := e.saveSnapshotFiles(ctx, c, g.ID, id, kept); err != nil {
		return 0, nil, err
	}
	if err := e.createSnapshotView(ctx, c, g, id, kept); err != nil {
		return 0, nil, err
	}
	return n, obsolete, nil
}

// matchedPerFile counts the matched rows of tmp per file (full path; ""
// for unflushed rows) and in all.
func matchedPerFile(ctx context.Context, c *Conn, tmp string) (map[string]int64, int64, error) {
	rows, err := c.Query(ctx, "SELECT fh_file, count(*) FROM "+tmp+" GROUP BY fh_file")
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := map[string]int64{}
	var total int64
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return out, total, nil
		}
		if err != nil {
			return nil, 0, err
		}
		n, _ := row[1].(int64)
		total += n
		p, _ := row[0].(string)
		out[p] += n
	}
}

// Garbage is what a group's cleanup removed.
type Garbage struct {
	Files int64
	Bytes int64
	paths []string
}

// Paths are the files to remove once the change commits.
func (g Garbage) Paths() []string { return g.paths }

// DropGarbage removes from the manifest, in the change's transaction, the
// group's files that no version and no snapshot needs any more: those
// removed from the group (DELETE, TRUNCATE, compaction, retention) that no
// snapshot names. The files themselves are removed by RemoveFiles once the
// change commits.
func (ch *GroupChange) DropGarbage(ctx context.Context, g *GroupLayout) (Garbage, error) {
	c := ch.c
	var out Garbage
	rows, err := c.Query(ctx, `SELECT path, size_bytes FROM feature_store.files f
		WHERE group_id = ? AND removed_version IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM feature_store.snapshot_files s WHERE s.path = f.path)
		ORDER BY file_id`, g.ID)
	if err != nil {
		return out, fmt.Errorf("read manifest: %w", err)
	}
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rows.Close()
			return out, err
		}
		p, _ := row[0].(string)
		n, _ := row[1].(int64)
		out.paths = append(out.paths, p)
		out.Files++
		out.Bytes += n
	}
	rows.Close()
	if out.Files == 0 {
		return out, nil
	}
	if _, err := c.Exec(ctx, `DELETE FROM feature_store.files f WHERE group_id = ? AND removed_version IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM feature_store.snapshot_files s WHERE s.path = f.path)`, g.ID); err != nil {
		return out, fmt.Errorf("drop garbage of %s: %w", g.Name, err)
	}
	return out, nil
}

// FileSize is the size of a file relative to the data directory (0 when
// it is gone).
func (e *Engine) FileSize(rel string) int64 {
	st, err := os.Stat(filepath.Join(e.cfg.DataDir, rel))
	if err != nil {
		return 0
	}
	return st.Size()
}
