package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Snapshot is a named, immutable version of a feature group: the files
// that held its rows when it was taken (its unflushed rows copied to a
// file of its own) and the group's schema then. Snapshots are not cached
// in memory: every lookup reads feature_store.snapshots, so that an
// erasure recorded in a writer's transaction is seen at once.
type Snapshot struct {
	ID          int64
	Name        string
	GroupID     int64
	Schema      string
	Group       string
	Description string
	CreatedAt   time.Time
	CreatedBy   string
	Rows        int64
	Files       int64
	Bytes       int64
	// Columns and DataTypes are the group's visible columns and their
	// PostgreSQL types when the snapshot was taken.
	Columns   []string
	DataTypes []string
	// Layout is the group's storage layout then: the snapshot's view reads
	// its files with it.
	Layout   duckdb.GroupLayout
	Erasures []string
}

// View is the internal relation holding the snapshot's rows.
func (s *Snapshot) View() string { return duckdb.SnapshotView(s.ID) }

var snapshotsDDL = []string{
	`CREATE SEQUENCE IF NOT EXISTS feature_store.snapshot_id_seq START 1`,
	`CREATE TABLE IF NOT EXISTS feature_store.snapshots (
		snapshot_id BIGINT NOT NULL,
		snapshot_name VARCHAR NOT NULL,
		group_id BIGINT NOT NULL,
		schema_name VARCHAR NOT NULL,
		group_name VARCHAR NOT NULL,
		description VARCHAR,
		created_at TIMESTAMPTZ NOT NULL,
		created_by VARCHAR,
		row_count BIGINT NOT NULL,
		file_count BIGINT NOT NULL,
		size_bytes BIGINT NOT NULL,
		columns VARCHAR[] NOT NULL,
		data_types VARCHAR[] NOT NULL,
		erasures VARCHAR[] NOT NULL,
		last_erased_at TIMESTAMPTZ,
		layout VARCHAR NOT NULL
	)`,
}

const snapshotColumns = `snapshot_id, snapshot_name, group_id, schema_name, group_name, COALESCE(description, ''),
	created_at, COALESCE(created_by, ''), row_count, file_count, size_bytes, columns, data_types, erasures, layout`

// Snapshot returns the snapshot named name, or nil.
func (c *Catalog) Snapshot(ctx context.Context, name string) (*Snapshot, error) {
	list, err := c.querySnapshots(ctx, "WHERE snapshot_name = ?", name)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// Snapshots lists the snapshots of a group (every snapshot when groupID
// is 0), in order of creation.
func (c *Catalog) Snapshots(ctx context.Context, groupID int64) ([]*Snapshot, error) {
	if groupID == 0 {
		return c.querySnapshots(ctx, "")
	}
	return c.querySnapshots(ctx, "WHERE group_id = ?", groupID)
}

func (c *Catalog) querySnapshots(ctx context.Context, where string, args ...any) ([]*Snapshot, error) {
	conn, err := c.engine.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rows, err := conn.Query(ctx, "SELECT "+snapshotColumns+" FROM feature_store.snapshots "+where+" ORDER BY snapshot_id", args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: read snapshots: %w", err)
	}
	defer rows.Close()
	var out []*Snapshot
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("catalog: read snapshots: %w", err)
		}
		s := &Snapshot{
			ID: r[0].(int64), Name: r[1].(string), GroupID: r[2].(int64), Schema: r[3].(string), Group: r[4].(string),
			Description: r[5].(string), CreatedAt: r[6].(time.Time), CreatedBy: r[7].(string),
			Rows: r[8].(int64), Files: r[9].(int64), Bytes: r[10].(int64),
			Columns: strList(r[11]), DataTypes: strList(r[12]), Erasures: strList(r[13]),
		}
		if err := json.Unmarshal([]byte(r[14].(string)), &s.Layout); err != nil {
			return nil, fmt.Errorf("catalog: snapshot %s: layout: %w", s.Name, err)
		}
		out = append(out, s)
	}
}

// CreateSnapshot pins the group's current rows and schema under name. It
// returns false (and no error) when ifNotExists found a snapshot of that
// name.
func (c *Catalog) CreateSnapshot(ctx context.Context, name, schema, group, description, createdBy string, ifNotExists bool) (bool, error) {
	exists := func() (bool, error) {
		s, err := c.Snapshot(ctx, name)
		return s != nil, err
	}
	if ok, err := exists(); err != nil || ok {
		if err == nil && !ifNotExists {
			err = pgerror.New(pgerror.DuplicateObject, `snapshot "%s" already exists`, name)
		}
		return false, err
	}
	g := c.Lookup(schema, group)
	if g == nil {
		return false, groupMissing(schema, group)
	}
	// The group's lock keeps flushes and changes of its files out until
	// the snapshot has recorded them.
	unlock, err := c.engine.LockGroupContext(ctx, g.ID)
	if err != nil {
		return false, err
	}
	defer unlock()
	if g = c.Lookup(schema, group); g == nil {
		return false, groupMissing(schema, group)
	}
	layout := g.Layout()
	lj, err := json.Marshal(layout)
	if err != nil {
		return false, err
	}
	var cols, dtypes []string
	for _, f := range g.Features {
		if f.Status != Retired {
			cols = append(cols, f.Name)
			dtypes = append(dtypes, f.DataType)
		}
	}
	var written []string
	err = c.change(ctx, func(conn *duckdb.Conn) error {
		if ok, err := exists(); err != nil || ok {
			if err == nil {
				err = pgerror.New(pgerror.DuplicateObject, `snapshot "%s" already exists`, name)
			}
			return err
		}
		var id any
		if _, err := conn.QueryRow(ctx, "SELECT nextval('feature_store.snapshot_id_seq')", nil, &id); err != nil {
			return err
		}
		st, w, err := c.engine.PinSnapshot(ctx, conn, &layout, id.(int64))
		written = w
		if err != nil {
			return err
		}
		_, err = conn.Exec(ctx, `INSERT INTO feature_store.snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, `+
			listLiteral(cols)+`, `+listLiteral(dtypes)+`, []::VARCHAR[], NULL, ?)`,
			id, name, g.ID, g.Schema, g.Name, nullable(description), time.Now().UTC(), nullable(createdBy),
			st.Rows, st.Files, st.Bytes, string(lj))
		if err != nil {
			return fmt.Errorf("catalog: save snapshot %s: %w", name, err)
		}
		return nil
	}, func() {})
	if err != nil {
		c.engine.RemoveFiles(written)
		return false, err
	}
	return true, nil
}

// DropSnapshots drops snapshots and the files only they read, in one
// transaction.
func (c *Catalog) DropSnapshots(ctx context.Context, snaps []*Snapshot) error {
	var owned []string
	err := c.change(ctx, func(conn *duckdb.Conn) error {
		owned = nil
		for _, s := range snaps {
			o, err := c.engine.DropSnapshotStorage(ctx, conn, s.ID)
			if err != nil {
				return err
			}
			owned = append(owned, o...)
			if _, err := conn.Exec(ctx, "DELETE FROM feature_store.snapshots WHERE snapshot_id = ?", s.ID); err != nil {
				return fmt.Errorf("catalog: drop snapshot %s: %w", s.Name, err)
			}
		}
		return nil
	}, func() {})
	if err != nil {
		return err
	}
	c.engine.RemoveFiles(owned)
	return nil
}

// RecordErasure notes on snapshot id, in the transaction of conn, that an
// erasure removed rows from it: what is left, and a line saying when, by
// whom and what.
func RecordErasure(ctx context.Context, conn *duckdb.Conn, id int64, note string, removed int64) error {
	_, err := conn.Exec(ctx, `UPDATE feature_store.snapshots SET row_count = row_count - ?,
		erasures = list_append(erasures, ?), last_erased_at = now(),
		file_count = (SELECT count(*) FROM feature_store.snapshot_files WHERE snapshot_id = ?),
		size_bytes = (SELECT COALESCE(sum(size_bytes), 0) FROM feature_store.snapshot_files WHERE snapshot_id = ?)
		WHERE snapshot_id = ?`, removed, note, id, id, id)
	if err != nil {
		return fmt.Errorf("catalog: record erasure on snapshot %d: %w", id, err)
	}
	return nil
}
