package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Catalog is the feature-store catalog.
type Catalog struct {
	engine *duckdb.Engine

	mu     sync.RWMutex
	groups map[string]*Group // "schema.name" → group; replaced, never mutated in place
	views  map[string]*View  // "schema.name" → feature view (views.go)
	online map[int64]OnlineState
	roles  *roleSet   // roles.go
	privs  *privSet   // privileges.go
	ddl    sync.Mutex // one catalog change at a time
	// gen counts the changes made visible; a prepared statement planned at
	// an older generation is planned again before it runs.
	gen atomic.Int64
	// privGen counts reloads of the privileges (privileges.go).
	privGen atomic.Int64
}

// Generation increases with every catalog change made visible.
func (c *Catalog) Generation() int64 { return c.gen.Load() }

func key(schema, name string) string { return schema + "." + name }

// Open creates the system tables when missing and loads the catalog.
func Open(ctx context.Context, engine *duckdb.Engine) (*Catalog, error) {
	c := &Catalog{engine: engine, groups: map[string]*Group{}}
	conn, err := engine.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	for _, q := range append(append(append([]string(nil), systemTableDDL...), snapshotsDDL...), append(rolesDDL, privilegesDDL...)...) {
		if _, err := conn.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("catalog: create system tables: %w", err)
		}
	}
	if err := ensurePredefinedRoles(ctx, conn); err != nil {
		return nil, err
	}
	if err := c.load(ctx, conn); err != nil {
		return nil, err
	}
	if err := c.loadOnlineState(ctx, conn); err != nil {
		return nil, err
	}
	if err := c.loadViews(ctx, conn); err != nil {
		return nil, err
	}
	if err := c.loadRoles(ctx, conn); err != nil {
		return nil, err
	}
	if err := c.loadPrivileges(ctx, conn); err != nil {
		return nil, err
	}
	for _, g := range c.groups {
		engine.RegisterGroup(g.Layout())
	}
	return c, nil
}

func (c *Catalog) load(ctx context.Context, conn *duckdb.Conn) error {
	rows, err := conn.Query(ctx, `SELECT group_id, schema_name, group_name, COALESCE(description, ''), COALESCE(owner, ''),
		online, COALESCE(ttl, ''), COALESCE(retention, ''), partition_by, tags, table_checks, created_at, updated_at
		FROM feature_store.feature_groups ORDER BY group_id`)
	if err != nil {
		return fmt.Errorf("catalog: load groups: %w", err)
	}
	byID := map[int64]*Group{}
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("catalog: load groups: %w", err)
		}
		g := &Group{
			ID: r[0].(int64), Schema: r[1].(string), Name: r[2].(string), Description: r[3].(string),
			Owner: r[4].(string), Online: r[5].(bool), TTL: r[6].(string), Retention: r[7].(string),
			PartitionBy: r[8].(string), Tags: strList(r[9]), TableChecks: strList(r[10]),
			CreatedAt: r[11].(time.Time), UpdatedAt: r[12].(time.Time),
		}
		byID[g.ID] = g
		c.groups[key(g.Schema, g.Name)] = g
	}
	rows.Close()
	rows, err = conn.Query(ctx, `SELECT group_id, feature_name, position, data_type, duckdb_type, feature_type,
		is_entity_key, is_event_time, not_null, checks, COALESCE(description, ''), status, created_at, updated_at,
		COALESCE(storage_column, feature_name), COALESCE(masking_function, '')
		FROM feature_store.features ORDER BY group_id, position`)
	if err != nil {
		return fmt.Errorf("catalog: load features: %w", err)
	}
	defer rows.Close()
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("catalog: load features: %w", err)
		}
		g := byID[r[0].(int64)]
		if g == nil {
			continue
		}
		g.Features = append(g.Features, &Feature{
			Name: r[1].(string), Position: int(r[2].(int32)), DataType: r[3].(string), DuckDBType: r[4].(string),
			FeatureType: r[5].(string), EntityKey: r[6].(bool), EventTime: r[7].(bool), NotNull: r[8].(bool),
			Checks: strList(r[9]), Description: r[10].(string), Status: r[11].(string),
			CreatedAt: r[12].(time.Time), UpdatedAt: r[13].(time.Time), Column: r[14].(string), Mask: r[15].(string),
		})
	}
	return nil
}

func strList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Lookup returns the group schema.name, or nil.
func (c *Catalog) Lookup(schema, name string) *Group {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.groups[key(schema, name)]
}

// Groups lists every group, ordered by schema and name.
func (c *Catalog) Groups() []*Group {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*Group, 0, len(c.groups))
	for _, g := range c.groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i].Schema, out[i].Name) < key(out[j].Schema, out[j].Name) })
	return out
}

// change runs fn in one DuckDB transaction on an internal connection; on
// success the in-memory catalog is updated by apply.
func (c *Catalog) change(ctx context.Context, fn func(conn *duckdb.Conn) error, apply func()) error {
	c.ddl.Lock()
	defer c.ddl.Unlock()
	conn, err := c.engine.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
		return err
	}
	if err := fn(conn); err != nil {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
		return err
	}
	c.mu.Lock()
	apply()
	c.gen.Add(1)
	c.mu.Unlock()
	return nil
}

// save rewrites the group's rows in the system tables.
func save(ctx context.Context, conn *duckdb.Conn, g *Group) error {
	if err := deleteRows(ctx, conn, g.ID); err != nil {
		return err
	}
	_, err := conn.Exec(ctx, `INSERT INTO feature_store.feature_groups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, `+
		listLiteral(g.Tags)+`, `+listLiteral(g.EntityKeys())+`, ?, `+listLiteral(g.TableChecks)+`, ?, ?)`,
		g.ID, g.Schema, g.Name, nullable(g.Description), nullable(g.Owner), g.Online, nullable(g.TTL), nullable(g.Retention),
		g.PartitionBy, g.EventTime().Name, g.CreatedAt, g.UpdatedAt)
	if err != nil {
		return fmt.Errorf("catalog: save group %s: %w", g.Name, err)
	}
	for i, f := range g.Features {
		f.Position = i + 1
		_, err := conn.Exec(ctx, `INSERT INTO feature_store.features (group_id, schema_name, group_name, feature_name,
			position, data_type, duckdb_type, feature_type, is_entity_key, is_event_time, not_null, checks,
			description, status, created_at, updated_at, storage_column, masking_function) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, `+
			listLiteral(f.Checks)+`, ?, ?, ?, ?, ?, ?)`,
			g.ID, g.Schema, g.Name, f.Name, int32(f.Position), f.DataType, f.DuckDBType, f.FeatureType,
			f.EntityKey, f.EventTime, f.NotNull, nullable(f.Description), f.Status, f.CreatedAt, f.UpdatedAt, f.storedColumn(), nullable(f.Mask))
		if err != nil {
			return fmt.Errorf("catalog: save feature %s.%s: %w", g.Name, f.Name, err)
		}
	}
	return nil
}

func deleteRows(ctx context.Context, conn *duckdb.Conn, id int64) error {
	for _, t := range []string{"feature_store.features", "feature_store.feature_groups"} {
		if _, err := conn.Exec(ctx, "DELETE FROM "+t+" WHERE group_id = ?", id); err != nil {
			return fmt.Errorf("catalog: delete from %s: %w", t, err)
		}
	}
	return nil
}

func listLiteral(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = duckdb.QuoteString(s)
	}
	return "[" + strings.Join(q, ", ") + "]::VARCHAR[]"
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func groupMissing(schema, name string) error {
	return pgerror.New(pgerror.UndefinedTable, `feature group "%s" does not exist`, displayName(schema, name))
}

func displayName(schema, name string) string {
	if schema == "" || schema == "public" {
		return name
	}
	return schema + "." + name
}
