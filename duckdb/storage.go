package duckdb

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The storage of a group is changed inside the catalog's transaction on c, so
// a catalog change and its tables and views commit together.

// CreateGroupStorage creates the unflushed table and the group's views.
func (e *Engine) CreateGroupStorage(ctx context.Context, c *Conn, g *GroupLayout) error {
	if _, err := c.Exec(ctx, "CREATE TABLE "+g.UnflushedTable()+" ("+g.storedColumnsDDL()+")"); err != nil {
		return fmt.Errorf("create %s: %w", g.UnflushedTable(), err)
	}
	return e.replaceViews(ctx, c, g)
}

// AddColumn adds a column to the group's storage; stored rows read NULL.
func (e *Engine) AddColumn(ctx context.Context, c *Conn, g *GroupLayout, col ColumnLayout) error {
	if _, err := c.Exec(ctx, "ALTER TABLE "+g.UnflushedTable()+" ADD COLUMN "+QuoteIdent(col.StoredName())+" "+col.Type); err != nil {
		return fmt.Errorf("add column %s: %w", col.Name, err)
	}
	return e.replaceViews(ctx, c, g)
}

// AlterColumnType gives the unflushed table's column col its type in g
// (a widening: every stored value converts) and rebuilds the views, which
// cast the Parquet files' older physical type. It must be the first
// statement of the catalog's transaction: see FenceWrites.
func (e *Engine) AlterColumnType(ctx context.Context, c *Conn, g *GroupLayout, col ColumnLayout) error {
	q := "ALTER TABLE " + g.UnflushedTable() + " ALTER COLUMN " + QuoteIdent(col.StoredName()) + " SET DATA TYPE " + col.Type
	if _, err := c.Exec(ctx, q); err != nil {
		return fmt.Errorf("change the type of %s: %w", col.Name, err)
	}
	return e.replaceViews(ctx, c, g)
}

// FenceWrites makes the rows other transactions wrote into the group's
// unflushed table, and have not committed, fail at their COMMIT (DuckDB
// refuses to commit rows into a table altered since, with a serialization
// failure), and writes attempted before c's transaction ends fail at once.
// A schema change that validates the stored rows (SET CHECK) runs it
// first in its transaction, so its snapshot misses no row that could still
// commit. The unflushed table is small (it is flushed), so rewriting one
// column in place is cheap.
func (e *Engine) FenceWrites(ctx context.Context, c *Conn, g *GroupLayout) error {
	col, ok := g.Column(g.EventTime)
	if !ok {
		return fmt.Errorf("group %s has no event time column", g.Name)
	}
	q := "ALTER TABLE " + g.UnflushedTable() + " ALTER COLUMN " + QuoteIdent(col.StoredName()) + " SET DATA TYPE " + col.Type
	if _, err := c.Exec(ctx, q); err != nil {
		return fmt.Errorf("fence writes of %s: %w", g.Name, err)
	}
	return nil
}

// RefreshViews recreates the group's views (after a change of the visible
// columns or their types).
func (e *Engine) RefreshViews(ctx context.Context, c *Conn, g *GroupLayout) error {
	return e.replaceViews(ctx, c, g)
}

// DropGroupStorage drops the group's views and unflushed table and removes
// its manifest rows. It returns the Parquet files to delete once the
// transaction commits (see RemoveFiles): every file of the manifest, live
// or kept for older versions, but none that a snapshot still names.
func (e *Engine) DropGroupStorage(ctx context.Context, c *Conn, g *GroupLayout) ([]string, error) {
	files, err := allFiles(ctx, c, g.ID)
	if err != nil {
		return nil, err
	}
	for _, q := range []string{
		"DROP VIEW IF EXISTS " + g.QualifiedName(),
		"DROP VIEW IF EXISTS " + g.AllRowsView(),
		"DROP TABLE IF EXISTS " + g.UnflushedTable(),
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("drop storage of %s: %w", g.Name, err)
		}
	}
	if _, err := c.Exec(ctx, "DELETE FROM feature_store.files WHERE group_id = ?", g.ID); err != nil {
		return nil, err
	}
	return files, nil
}

// allFiles lists the group's files in the manifest that no snapshot names.
func allFiles(ctx context.Context, c *Conn, groupID int64) ([]string, error) {
	rows, err := c.Query(ctx, `SELECT path FROM feature_store.files f WHERE group_id = ?
		AND NOT EXISTS (SELECT 1 FROM feature_store.snapshot_files s WHERE s.path = f.path) ORDER BY file_id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	defer rows.Close()
	var out []string
	for {
		row, err := rows.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read manifest: %w", err)
		}
		p, _ := row[0].(string)
		out = append(out, p)
	}
}

// RemoveFiles deletes files (relative to the data directory) that no
// committed manifest row refers to any more.
func (e *Engine) RemoveFiles(paths []string) {
	for _, p := range paths {
		if err := os.Remove(filepath.Join(e.cfg.DataDir, p)); err != nil && !os.IsNotExist(err) {
			e.log.Warn("remove file", "path", p, "err", err)
		}
	}
}

// RegisterGroup tells the flusher about a group (at start and after changes).
func (e *Engine) RegisterGroup(g GroupLayout) { e.layouts.Store(g.ID, g) }

// UnregisterGroup forgets a dropped group.
func (e *Engine) UnregisterGroup(id int64) { e.layouts.Delete(id) }

// LockGroup serialises manifest and view changes of one group; the catalog
// holds it across a schema change.
func (e *Engine) LockGroup(id int64) func() {
	m := e.groupLock(id)
	m.Lock()
	return m.Unlock
}

// LockGroupContext is LockGroup giving up when ctx ends first.
func (e *Engine) LockGroupContext(ctx context.Context, id int64) (func(), error) {
	m := e.groupLock(id)
	if err := m.LockContext(ctx); err != nil {
		return nil, TranslateError(err)
	}
	return m.Unlock, nil
}
