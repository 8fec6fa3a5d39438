package duckdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
)

// manifestDDL is feature_store.files: one row per Parquet file with the
// version range in which it is live (removed_version NULL = live now).
const manifestDDL = `CREATE TABLE IF NOT EXISTS feature_store.files (
	file_id BIGINT NOT NULL,
	group_id BIGINT NOT NULL,
	schema_name VARCHAR NOT NULL,
	group_name VARCHAR NOT NULL,
	path VARCHAR NOT NULL,
	partition VARCHAR NOT NULL,
	row_count BIGINT NOT NULL,
	size_bytes BIGINT NOT NULL,
	min_event_time VARCHAR,
	max_event_time VARCHAR,
	columns VARCHAR[] NOT NULL,
	added_version BIGINT NOT NULL,
	removed_version BIGINT,
	created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
	column_types VARCHAR[]
)`

// migrateManifest brings a manifest made before column_types up to date
// (NULL for its files: they were written before SET DATA TYPE existed, so
// they all have the types their group was created with). The ALTER runs
// only when the column is missing, and is checkpointed at once: DuckDB
// fails to replay from its WAL an ADD COLUMN on a table with a DEFAULT
// now() column ("GetDefaultDatabase with no default database set"), which
// would leave the database unopenable after a crash.
func (e *Engine) migrateManifest(ctx context.Context) error {
	var n any
	if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_columns()
		WHERE schema_name = 'feature_store' AND table_name = 'files' AND column_name = 'column_types'`).Scan(&n); err != nil {
		return fmt.Errorf("duckdb: migrate manifest: %w", err)
	}
	if c, _ := n.(int64); c > 0 {
		return nil
	}
	for _, q := range []string{`ALTER TABLE feature_store.files ADD COLUMN column_types VARCHAR[]`, `CHECKPOINT`} {
		if _, err := e.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("duckdb: migrate manifest: %w", err)
		}
	}
	return nil
}

// fileEntry is a manifest row being added.
type fileEntry struct {
	path      string // relative to DataDir
	partition string
	rows      int64
	size      int64
	minET     string
	maxET     string
	columns   []string // physical names
	types     []string // their DuckDB types; nil when not recorded
}

// schemaKey identifies the files that one read_parquet call can read:
// read_parquet takes the first file's schema for all of them, so files
// whose columns, or their types, differ (after ADD FEATURE or SET DATA
// TYPE) are read by separate calls.
func schemaKey(columns, types []string) string {
	parts := make([]string, len(columns))
	for i, c := range columns {
		parts[i] = c
		if i < len(types) {
			parts[i] += "\x01" + types[i]
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "\x00")
}

func stringList(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, c := range list {
		if s, ok := c.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// liveFiles returns the group's live files (path, columns) as of the
// transaction q runs in.
func liveFiles(ctx context.Context, q *Conn, groupID int64) ([]fileEntry, error) {
	rows, err := q.Query(ctx, `SELECT path, columns, column_types FROM feature_store.files
		WHERE group_id = ? AND removed_version IS NULL ORDER BY file_id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	defer rows.Close()
	var out []fileEntry
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read manifest: %w", err)
		}
		var f fileEntry
		f.path, _ = row[0].(string)
		f.columns, f.types = stringList(row[1]), stringList(row[2])
		out = append(out, f)
	}
	return out, nil
}

// nextVersion is the group's next manifest version.
func nextVersion(ctx context.Context, q *Conn, groupID int64) (int64, error) {
	var v any
	_, err := q.QueryRow(ctx, `SELECT COALESCE(max(greatest(added_version, COALESCE(removed_version, 0))), 0) + 1
		FROM feature_store.files WHERE group_id = ?`, []any{groupID}, &v)
	if err != nil {
		return 0, fmt.Errorf("manifest version: %w", err)
	}
	n, _ := v.(int64)
	return n, nil
}

// addFiles records committed files in the manifest at version v.
func addFiles(ctx context.Context, q *Conn, g *GroupLayout, v int64, files []fileEntry) error {
	list := func(items []string) string {
		if items == nil {
			return "NULL"
		}
		q := make([]string, len(items))
		for i, c := range items {
			q[i] = QuoteString(c)
		}
		return "[" + strings.Join(q, ",") + "]::VARCHAR[]"
	}
	for _, f := range files {
		_, err := q.Exec(ctx, `INSERT INTO feature_store.files
			(file_id, group_id, schema_name, group_name, path, partition, row_count, size_bytes,
			 min_event_time, max_event_time, columns, column_types, added_version)
			VALUES (nextval('`+InternalSchema+`.file_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, `+list(f.columns)+`, `+list(f.types)+`, ?)`,
			g.ID, g.Schema, g.Name, f.path, f.partition, f.rows, f.size, nullIfEmpty(f.minET), nullIfEmpty(f.maxET), v)
		if err != nil {
			return fmt.Errorf("record %s in manifest: %w", f.path, err)
		}
	}
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ReplaceViews (re)creates the group's internal all-rows view and its public
// view from the live files (as q sees them) and the unflushed table. Files
// written before a feature was added lack its column: it reads as NULL.
func (e *Engine) replaceViews(ctx context.Context, q *Conn, g *GroupLayout) error {
	files, err := liveFiles(ctx, q, g.ID)
	if err != nil {
		return err
	}
	schemas := make([]fileSchema, len(files))
	for i, f := range files {
		schemas[i] = fileSchema{f.path, f.columns, f.types}
	}
	parts := e.parquetSelects(g, schemas, "", "")
	parts = append(parts, "SELECT "+g.projection(nil)+" FROM "+g.UnflushedTable())
	all := "CREATE OR REPLACE VIEW " + g.AllRowsView() + " AS " + strings.Join(parts, " UNION ALL ")
	if _, err := q.Exec(ctx, all); err != nil {
		return fmt.Errorf("create view %s: %w", g.AllRowsView(), err)
	}
	pub := "CREATE OR REPLACE VIEW " + g.QualifiedName() + " AS SELECT " + strings.Join(g.visibleColumns(), ", ") + " FROM " + g.AllRowsView()
	if _, err := q.Exec(ctx, pub); err != nil {
		return fmt.Errorf("create view %s: %w", g.QualifiedName(), err)
	}
	return nil
}

// projection selects every column of the group from a source holding its
// physical columns: under its current name, cast to its current type (a
// file written before SET DATA TYPE keeps the old physical type), NULL for
// columns the source lacks (have, by physical name; nil: the source has
// them all).
func (g *GroupLayout) projection(have map[string]bool) string {
	parts := make([]string, 0, len(g.Columns)+2)
	for _, c := range g.Columns {
		if have != nil && !have[c.StoredName()] {
			parts = append(parts, "CAST(NULL AS "+c.Type+") AS "+QuoteIdent(c.Name))
			continue
		}
		parts = append(parts, "CAST("+QuoteIdent(c.StoredName())+" AS "+c.Type+") AS "+QuoteIdent(c.Name))
	}
	parts = append(parts, SeqColumn, WrittenAtColumn)
	return strings.Join(parts, ", ")
}

// fileSchema is a file and the physical columns it holds, with their types.
type fileSchema struct {
	path           string
	columns, types []string
}

// parquetSelects reads files as g's rows: one SELECT of g's projection per
// set of files with the same columns and types (read_parquet takes the
// first file's schema for all), files without a column reading NULL.
// extraSelect is appended to each select list, extraOpts to read_parquet's
// options.
func (e *Engine) parquetSelects(g *GroupLayout, files []fileSchema, extraSelect, extraOpts string) []string {
	bySet := map[string][]string{}
	sets := map[string]map[string]bool{}
	var keys []string
	for _, f := range files {
		k := schemaKey(f.columns, f.types)
		if _, ok := bySet[k]; !ok {
			keys = append(keys, k)
			m := map[string]bool{}
			for _, c := range f.columns {
				m[c] = true
			}
			sets[k] = m
		}
		bySet[k] = append(bySet[k], QuoteString(filepath.Join(e.cfg.DataDir, f.path)))
	}
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, "SELECT "+g.projection(sets[k])+extraSelect+" FROM read_parquet(["+strings.Join(bySet[k], ", ")+"]"+extraOpts+", hive_partitioning = false)")
	}
	return parts
}
