package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Feature view kinds.
const (
	// JoinView evaluates its sources as of a time and joins them on the
	// entity key (with filters and projections).
	JoinView = "join"
	// AggregateView aggregates each entity's events up to a time.
	AggregateView = "aggregate"
)

// View is a feature view: a named query over feature groups and other
// feature views, evaluated as of a time. The planner analyses and checks
// its definition; the catalog keeps it and its dependencies.
type View struct {
	ID     int64
	Schema string
	Name   string
	Kind   string // JoinView | AggregateView
	// Definition is the SELECT as the user wrote it.
	Definition string
	// Expanded is the SELECT that is evaluated: Definition with `*`
	// expanded to the columns of its sources at creation, as PostgreSQL
	// does for views, so that later ADD FEATURE does not change the view.
	Expanded string
	// Sources are the feature groups and feature views the definition
	// reads ("schema.name"); SourceGroups the feature groups it reads,
	// directly or through other views.
	Sources      []string
	SourceGroups []string
	EntityKeys   []string // output columns holding the entity key, in key order
	Columns      []string // output columns, in order
	Window       string   // interval as written, "" for all history
	WindowMicros int64    // the window's fixed length
	Online       bool
	Description  string
	Owner        string
	Tags         []string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// QualifiedName is schema.name.
func (v *View) QualifiedName() string { return v.Schema + "." + v.Name }

// viewsDDL is feature_store.feature_views and its id sequence.
var viewsDDL = []string{
	`CREATE SEQUENCE IF NOT EXISTS feature_store.view_id_seq START 1`,
	`CREATE TABLE IF NOT EXISTS feature_store.feature_views (
		view_id BIGINT NOT NULL,
		schema_name VARCHAR NOT NULL,
		view_name VARCHAR NOT NULL,
		kind VARCHAR NOT NULL,
		definition VARCHAR NOT NULL,
		expanded_definition VARCHAR NOT NULL,
		sources VARCHAR[] NOT NULL,
		source_groups VARCHAR[] NOT NULL,
		entity_keys VARCHAR[] NOT NULL,
		columns VARCHAR[] NOT NULL,
		"window" VARCHAR,
		window_microseconds BIGINT,
		online BOOLEAN NOT NULL,
		description VARCHAR,
		owner VARCHAR,
		tags VARCHAR[] NOT NULL,
		created_at TIMESTAMPTZ NOT NULL,
		updated_at TIMESTAMPTZ NOT NULL
	)`,
}

func (c *Catalog) loadViews(ctx context.Context, conn *duckdb.Conn) error {
	for _, q := range viewsDDL {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("catalog: create feature_views: %w", err)
		}
	}
	rows, err := conn.Query(ctx, `SELECT view_id, schema_name, view_name, kind, definition, expanded_definition,
		sources, source_groups, entity_keys, columns, COALESCE("window", ''), COALESCE(window_microseconds, 0),
		online, COALESCE(description, ''), COALESCE(owner, ''), tags, created_at, updated_at
		FROM feature_store.feature_views ORDER BY view_id`)
	if err != nil {
		return fmt.Errorf("catalog: load feature views: %w", err)
	}
	defer rows.Close()
	c.views = map[string]*View{}
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("catalog: load feature views: %w", err)
		}
		v := &View{
			ID: r[0].(int64), Schema: r[1].(string), Name: r[2].(string), Kind: r[3].(string),
			Definition: r[4].(string), Expanded: r[5].(string), Sources: strList(r[6]), SourceGroups: strList(r[7]),
			EntityKeys: strList(r[8]), Columns: strList(r[9]), Window: r[10].(string), WindowMicros: r[11].(int64),
			Online: r[12].(bool), Description: r[13].(string), Owner: r[14].(string), Tags: strList(r[15]),
			CreatedAt: r[16].(time.Time), UpdatedAt: r[17].(time.Time),
		}
		c.views[key(v.Schema, v.Name)] = v
	}
}

// LookupView returns the feature view schema.name, or nil.
func (c *Catalog) LookupView(schema, name string) *View {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.views[key(schema, name)]
}

// Views lists every feature view, ordered by schema and name.
func (c *Catalog) Views() []*View {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*View, 0, len(c.views))
	for _, v := range c.views {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].QualifiedName() < out[j].QualifiedName() })
	return out
}

// DependentViews returns the feature views that read the group or view
// schema.name directly, ordered by name.
func (c *Catalog) DependentViews(schema, name string) []*View {
	target := key(schema, name)
	var out []*View
	for _, v := range c.Views() {
		for _, s := range v.Sources {
			if s == target {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

// CreateView stores a feature view whose definition the planner has
// checked, together with a DuckDB view named like it whose body is
// relationSQL (its current rows), so that clients introspect it like a
// table (information_schema, pg_catalog, psql \d). It returns false (and
// no error) when IF NOT EXISTS found a relation of that name.
func (c *Catalog) CreateView(ctx context.Context, v *View, relationSQL string, ifNotExists bool) (bool, error) {
	exists := func() bool {
		return c.Lookup(v.Schema, v.Name) != nil || c.LookupView(v.Schema, v.Name) != nil
	}
	if exists() {
		if ifNotExists {
			return false, nil
		}
		return false, pgerror.New(pgerror.DuplicateTable, `relation "%s" already exists`, displayName(v.Schema, v.Name))
	}
	now := time.Now().UTC()
	v.CreatedAt, v.UpdatedAt = now, now
	err := c.change(ctx, func(conn *duckdb.Conn) error {
		// Checked again under the DDL lock: a source may have been dropped,
		// or the name taken, since the planner looked.
		if exists() {
			return pgerror.New(pgerror.DuplicateTable, `relation "%s" already exists`, displayName(v.Schema, v.Name))
		}
		for _, s := range v.Sources {
			c.mu.RLock()
			_, g := c.groups[s]
			_, w := c.views[s]
			c.mu.RUnlock()
			if !g && !w {
				return pgerror.New(pgerror.UndefinedTable, `relation "%s" does not exist`, s)
			}
		}
		var id any
		if _, err := conn.QueryRow(ctx, "SELECT nextval('feature_store.view_id_seq')", nil, &id); err != nil {
			return err
		}
		v.ID = id.(int64)
		_, err := conn.Exec(ctx, `INSERT INTO feature_store.feature_views VALUES (?, ?, ?, ?, ?, ?, `+
			listLiteral(v.Sources)+`, `+listLiteral(v.SourceGroups)+`, `+listLiteral(v.EntityKeys)+`, `+listLiteral(v.Columns)+
			`, ?, ?, ?, ?, ?, `+listLiteral(v.Tags)+`, ?, ?)`,
			v.ID, v.Schema, v.Name, v.Kind, v.Definition, v.Expanded, nullable(v.Window), nullableInt(v.WindowMicros),
			v.Online, nullable(v.Description), nullable(v.Owner), v.CreatedAt, v.UpdatedAt)
		if err != nil {
			return fmt.Errorf("catalog: save feature view %s: %w", v.Name, err)
		}
		if err := ForgetObject(ctx, conn, ObjRelation, v.Schema, v.Name); err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, "CREATE VIEW "+duckdb.QuoteIdent(v.Schema)+"."+duckdb.QuoteIdent(v.Name)+" AS "+relationSQL); err != nil {
			if e, ok := pgerror.As(err); ok && e.Code == pgerror.DuplicateTable {
				return pgerror.New(pgerror.DuplicateTable, `relation "%s" already exists`, displayName(v.Schema, v.Name))
			}
			return err
		}
		return nil
	}, func() { c.views[key(v.Schema, v.Name)] = v })
	if err != nil {
		return false, err
	}
	return true, c.ReloadPrivileges(ctx)
}

// DropViews drops feature views (and their DuckDB views) in one transaction.
func (c *Catalog) DropViews(ctx context.Context, views []*View) error {
	err := c.change(ctx, func(conn *duckdb.Conn) error {
		for _, v := range views {
			if err := ForgetObject(ctx, conn, ObjRelation, v.Schema, v.Name); err != nil {
				return err
			}
			if _, err := conn.Exec(ctx, "DELETE FROM feature_store.feature_views WHERE view_id = ?", v.ID); err != nil {
				return fmt.Errorf("catalog: drop feature view %s: %w", v.Name, err)
			}
			if _, err := conn.Exec(ctx, "DROP VIEW IF EXISTS "+duckdb.QuoteIdent(v.Schema)+"."+duckdb.QuoteIdent(v.Name)); err != nil {
				return err
			}
		}
		return nil
	}, func() {
		for _, v := range views {
			delete(c.views, key(v.Schema, v.Name))
		}
	})
	if err != nil {
		return err
	}
	return c.ReloadPrivileges(ctx)
}

func nullableInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}
