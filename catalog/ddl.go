package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// NewGroup is what CREATE FEATURE GROUP asks for.
type NewGroup struct {
	Schema, Name string
	Features     []*Feature
	TableChecks  []string
	Options      map[string]string
	OptionOrder  []string
	IfNotExists  bool
	Owner        string // the creating role, when the owner option is absent
}

// CreateGroup creates a feature group with its storage. It returns false
// (and no error) when IF NOT EXISTS found one already.
func (c *Catalog) CreateGroup(ctx context.Context, ng NewGroup) (bool, error) {
	if existing := c.Lookup(ng.Schema, ng.Name); existing != nil {
		if ng.IfNotExists {
			return false, nil
		}
		return false, pgerror.New(pgerror.DuplicateTable, `feature group "%s" already exists`, displayName(ng.Schema, ng.Name))
	}
	now := time.Now().UTC()
	g := &Group{Schema: ng.Schema, Name: ng.Name, PartitionBy: "none", Owner: ng.Owner,
		TableChecks: ng.TableChecks, CreatedAt: now, UpdatedAt: now}
	if err := validateFeatures(ng.Name, ng.Features); err != nil {
		return false, err
	}
	for _, f := range ng.Features {
		f.CreatedAt, f.UpdatedAt = now, now
		f.Column = f.Name
		if f.Status == "" {
			f.Status = Active
		}
		g.Features = append(g.Features, f)
	}
	err := c.change(ctx, func(conn *duckdb.Conn) error {
		if err := applyOptions(ctx, conn, g, ng.Options, ng.OptionOrder); err != nil {
			return err
		}
		var id any
		if _, err := conn.QueryRow(ctx, "SELECT nextval('feature_store.group_id_seq')", nil, &id); err != nil {
			return err
		}
		g.ID = id.(int64)
		if err := save(ctx, conn, g); err != nil {
			return err
		}
		if err := ForgetObject(ctx, conn, ObjRelation, g.Schema, g.Name); err != nil {
			return err
		}
		layout := g.Layout()
		if err := c.engine.CreateGroupStorage(ctx, conn, &layout); err != nil {
			if e, ok := pgerror.As(err); ok && e.Code == pgerror.DuplicateTable {
				return pgerror.New(pgerror.DuplicateTable, `relation "%s" already exists`, displayName(g.Schema, g.Name))
			}
			return err
		}
		return nil
	}, func() { c.groups[key(g.Schema, g.Name)] = g })
	if err != nil {
		return false, err
	}
	c.engine.RegisterGroup(g.Layout())
	return true, c.ReloadPrivileges(ctx)
}

func validateFeatures(group string, fs []*Feature) error {
	seen := map[string]bool{}
	keys, times := 0, 0
	for _, f := range fs {
		if seen[f.Name] {
			return pgerror.New(pgerror.DuplicateColumn, `column "%s" specified more than once`, f.Name)
		}
		seen[f.Name] = true
		if f.EntityKey {
			keys++
			f.NotNull = true
		}
		if f.EventTime {
			times++
			switch f.DataType {
			case "date", "timestamp without time zone", "timestamp with time zone":
			default:
				return pgerror.New(pgerror.InvalidTableDefinition, `event time column "%s" must be of type timestamp with time zone, timestamp or date, not %s`, f.Name, f.DataType)
			}
		}
		if f.FeatureType != "" && !slices.Contains(FeatureTypes, f.FeatureType) {
			return pgerror.New(pgerror.InvalidParameterValue, `invalid feature type "%s" for column "%s"`, f.FeatureType, f.Name).
				WithHint("Valid feature types are numerical, categorical, binary, text, timestamp and embedding.")
		}
	}
	if keys == 0 {
		return pgerror.New(pgerror.InvalidTableDefinition, `feature group "%s" needs at least one ENTITY KEY column`, group)
	}
	if times != 1 {
		return pgerror.New(pgerror.InvalidTableDefinition, `feature group "%s" needs exactly one EVENT TIME column, found %d`, group, times)
	}
	return nil
}

// DropGroup drops a feature group, its storage and its files.
func (c *Catalog) DropGroup(ctx context.Context, schema, name string, ifExists bool) (bool, error) {
	g := c.Lookup(schema, name)
	if g == nil {
		if ifExists {
			return false, nil
		}
		return false, groupMissing(schema, name)
	}
	unlock := c.engine.LockGroup(g.ID)
	defer unlock()
	var files []string
	err := c.change(ctx, func(conn *duckdb.Conn) error {
		if err := deleteRows(ctx, conn, g.ID); err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, "DELETE FROM feature_store.online_state WHERE group_id = ?", g.ID); err != nil {
			return err
		}
		if err := ForgetObject(ctx, conn, ObjRelation, g.Schema, g.Name); err != nil {
			return err
		}
		layout := g.Layout()
		var err error
		files, err = c.engine.DropGroupStorage(ctx, conn, &layout)
		return err
	}, func() { delete(c.groups, key(schema, name)); delete(c.online, g.ID) })
	if err != nil {
		return false, err
	}
	c.engine.UnregisterGroup(g.ID)
	c.engine.RemoveFiles(files)
	return true, c.ReloadPrivileges(ctx)
}

// alter applies fn to a copy of the group and saves it with its storage.
func (c *Catalog) alter(ctx context.Context, schema, name string, fn func(conn *duckdb.Conn, g *Group) error) error {
	return c.alterThen(ctx, schema, name, fn, nil)
}

// alterThen is alter with a publish step: once the change is committed,
// and before the new group is visible (still under the group's locks and
// the catalog's), publish runs with the new group and returns what else to
// make visible with it (nil: nothing). SET DATA TYPE rebuilds the online
// records there, so that no lookup reads records of the old type under the
// new one.
func (c *Catalog) alterThen(ctx context.Context, schema, name string, fn func(conn *duckdb.Conn, g *Group) error,
	publish func(ctx context.Context, conn *duckdb.Conn, g *Group) func()) error {
	cur := c.Lookup(schema, name)
	if cur == nil {
		return groupMissing(schema, name)
	}
	// Writes of the group under way store their rows first; later ones wait
	// and then check their rows against the new constraints.
	unlockSchema, err := c.engine.LockSchema(ctx, cur.ID)
	if err != nil {
		return err
	}
	defer unlockSchema()
	unlock, err := c.engine.LockGroupContext(ctx, cur.ID)
	if err != nil {
		return err
	}
	defer unlock()
	// Another change of the group may have committed while this one waited.
	id := cur.ID
	if cur = c.Lookup(schema, name); cur == nil {
		return groupMissing(schema, name)
	}
	if cur.ID != id {
		return pgerror.New(pgerror.SerializationFailure, `feature group "%s" was dropped and created again during the change`, displayName(schema, name)).
			WithHint("Run the statement again.")
	}
	g := cur.Clone()
	g.UpdatedAt = time.Now().UTC()
	var also func()
	err = c.changeThen(ctx, func(conn *duckdb.Conn) error {
		if err := fn(conn, g); err != nil {
			return err
		}
		return save(ctx, conn, g)
	}, func(conn *duckdb.Conn) {
		if publish != nil {
			also = publish(ctx, conn, g)
		}
	}, func() {
		c.groups[key(schema, name)] = g
		if also != nil {
			also()
		}
	})
	if err != nil {
		return err
	}
	c.engine.RegisterGroup(g.Layout())
	return nil
}

// changeThen is change with a step between the commit and apply, run on
// the same connection and under the same catalog lock.
func (c *Catalog) changeThen(ctx context.Context, fn func(conn *duckdb.Conn) error, then func(conn *duckdb.Conn), apply func()) error {
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
	then(conn)
	c.mu.Lock()
	apply()
	c.gen.Add(1)
	c.mu.Unlock()
	return nil
}

// AddFeature adds a feature; stored rows read NULL for it.
func (c *Catalog) AddFeature(ctx context.Context, schema, name string, f *Feature, ifNotExists bool) (bool, error) {
	added := false
	err := c.alter(ctx, schema, name, func(conn *duckdb.Conn, g *Group) error {
		if g.Feature(f.Name) != nil {
			if ifNotExists {
				return nil
			}
			return pgerror.New(pgerror.DuplicateColumn, `column "%s" of feature group "%s" already exists`, f.Name, g.Name)
		}
		if f.EntityKey || f.EventTime {
			return pgerror.New(pgerror.FeatureNotSupported, "cannot add an ENTITY KEY or EVENT TIME column to an existing feature group")
		}
		if f.NotNull {
			return pgerror.New(pgerror.NotNullViolation, `column "%s" of feature group "%s" contains null values`, f.Name, g.Name).
				WithDetail("Rows stored before ADD FEATURE read NULL for a new feature, so it cannot be NOT NULL.")
		}
		f.CreatedAt, f.UpdatedAt = g.UpdatedAt, g.UpdatedAt
		f.Column = uniqueColumn(g, f.Name)
		if f.Status == "" {
			f.Status = Active
		}
		g.Features = append(g.Features, f)
		layout := g.Layout()
		col, _ := layout.Column(f.Name)
		added = true
		if err := c.engine.AddColumn(ctx, conn, &layout, col); err != nil {
			return err
		}
		// Its CHECKs must bind, and hold for the stored rows, which read
		// NULL for it (as PostgreSQL validates ADD COLUMN ... CHECK).
		if err := bindChecks(ctx, conn, g); err != nil {
			return err
		}
		for i, chk := range f.Checks {
			if err := checkStored(ctx, conn, g, f, i, chk); err != nil {
				return err
			}
		}
		return nil
	})
	return added, err
}

// SetOptions changes WITH options.
func (c *Catalog) SetOptions(ctx context.Context, schema, name string, opts map[string]string, order []string) error {
	return c.alter(ctx, schema, name, func(conn *duckdb.Conn, g *Group) error {
		return applyOptions(ctx, conn, g, opts, order)
	})
}

// SetFeatureStatus changes a feature's status. Retiring hides it from the
// group's public view; other statuses show it.
func (c *Catalog) SetFeatureStatus(ctx context.Context, schema, name, feature, status string) error {
	if !slices.Contains(Statuses, status) {
		return pgerror.New(pgerror.InvalidParameterValue, `invalid feature status "%s"`, status).
			WithHint("Valid statuses are draft, active, deprecated and retired.")
	}
	return c.alter(ctx, schema, name, func(conn *duckdb.Conn, g *Group) error {
		f, err := featureOf(g, feature)
		if err != nil {
			return err
		}
		if (f.EntityKey || f.EventTime) && status == Retired {
			return pgerror.New(pgerror.FeatureNotSupported, `cannot retire "%s": it is the %s of feature group "%s"`, f.Name, keyRole(f), g.Name)
		}
		f.Status, f.UpdatedAt = status, g.UpdatedAt
		layout := g.Layout()
		return c.engine.RefreshViews(ctx, conn, &layout)
	})
}

func keyRole(f *Feature) string {
	if f.EntityKey {
		return "entity key"
	}
	return "event time"
}

// SetFeatureDescription sets (or clears, with nil) a feature's description.
func (c *Catalog) SetFeatureDescription(ctx context.Context, schema, name, feature string, desc *string) error {
	return c.alter(ctx, schema, name, func(_ *duckdb.Conn, g *Group) error {
		f, err := featureOf(g, feature)
		if err != nil {
			return err
		}
		f.Description = ""
		if desc != nil {
			f.Description = *desc
		}
		f.UpdatedAt = g.UpdatedAt
		return nil
	})
}

// SetGroupDescription sets (or clears) a group's description.
func (c *Catalog) SetGroupDescription(ctx context.Context, schema, name string, desc *string) error {
	return c.alter(ctx, schema, name, func(_ *duckdb.Conn, g *Group) error {
		g.Description = ""
		if desc != nil {
			g.Description = *desc
		}
		return nil
	})
}

func featureOf(g *Group, name string) (*Feature, error) {
	f := g.Feature(name)
	if f == nil {
		return nil, pgerror.New(pgerror.UndefinedColumn, `feature "%s" of feature group "%s" does not exist`, name, g.Name)
	}
	return f, nil
}

// String renders a group for logs.
func (g *Group) String() string { return fmt.Sprintf("%s (id %d)", g.QualifiedName(), g.ID) }

// SetFeatureMask sets (or with "" clears) the masking function readers
// without UNMASK see a feature through. Keys and event times stay clear:
// joins and point-in-time reads need them.
func (c *Catalog) SetFeatureMask(ctx context.Context, schema, name, feature, fn string) error {
	return c.alter(ctx, schema, name, func(_ *duckdb.Conn, g *Group) error {
		f, err := featureOf(g, feature)
		if err != nil {
			return err
		}
		if fn != "" && (f.EntityKey || f.EventTime) {
			return pgerror.New(pgerror.FeatureNotSupported, `cannot mask %s "%s" of feature group "%s"`, keyOrTime(f), f.Name, g.Name).
				WithHint("Entity keys and event times are what point-in-time joins match on; mask the features instead.")
		}
		if err := MaskApplies(fn, f.DuckDBType); err != nil {
			return err
		}
		f.Mask, f.UpdatedAt = fn, g.UpdatedAt
		return nil
	})
}

func keyOrTime(f *Feature) string {
	if f.EntityKey {
		return "entity key"
	}
	return "event time"
}

// MaskApplies reports whether a masking function applies to a type:
// hash to text and integers (it hashes their text form), partial to text,
// null to anything.
func MaskApplies(fn, duckdbType string) error {
	t := strings.ToUpper(duckdbType)
	text := t == "VARCHAR"
	integer := t == "TINYINT" || t == "SMALLINT" || t == "INTEGER" || t == "BIGINT" || t == "HUGEINT"
	switch {
	case fn == "hash" && !text && !integer, fn == "partial" && !text:
		return pgerror.New(pgerror.DatatypeMismatch, `masking function "%s" does not apply to type %s`, fn, strings.ToLower(duckdbType)).
			WithHint("hash applies to text and integer features, partial to text features, null to any feature.")
	}
	return nil
}
