package catalog

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/featurehouse/featurehouse/duckdb"
)

// Privileges, as PostgreSQL's ACLs, kept as one row per grant: object,
// column ("" for the whole object), grantee ("PUBLIC" for everyone),
// privilege, grantor and grant option. Ownership of feature groups and
// feature views is in their own rows; ownership of ordinary tables, views
// and schemas (which DuckDB does not record) is in object_owners, written
// by the statement that creates them on the session's own connection so
// that it commits or rolls back with it.

// Object types of a grant.
const (
	ObjRelation = "relation" // feature group, feature view, table, view
	ObjSchema   = "schema"
	ObjDatabase = "database"
)

// Public is the grantee name of PUBLIC.
const Public = "PUBLIC"

var privilegesDDL = []string{
	`CREATE TABLE IF NOT EXISTS feature_store.privileges (
		object_type VARCHAR NOT NULL,
		schema_name VARCHAR NOT NULL,
		object_name VARCHAR NOT NULL,
		column_name VARCHAR NOT NULL,
		grantee VARCHAR NOT NULL,
		privilege_type VARCHAR NOT NULL,
		grantor VARCHAR NOT NULL,
		is_grantable BOOLEAN NOT NULL
	)`,
	// ALTER DEFAULT PRIVILEGES: grants given to every relation role_name
	// creates (in schema_name; '' for every schema).
	`CREATE TABLE IF NOT EXISTS feature_store.default_privileges (
		role_name VARCHAR NOT NULL,
		schema_name VARCHAR NOT NULL,
		grantee VARCHAR NOT NULL,
		privilege_type VARCHAR NOT NULL,
		is_grantable BOOLEAN NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS feature_store.object_owners (
		object_type VARCHAR NOT NULL,
		schema_name VARCHAR NOT NULL,
		object_name VARCHAR NOT NULL,
		owner VARCHAR NOT NULL,
		definition VARCHAR
	)`,
}

// Grant is one privilege given to one role (or PUBLIC).
type Grant struct {
	ObjectType, Schema, Object, Column string
	Grantee, Privilege, Grantor        string
	Grantable                          bool
}

// ObjectOwner is a recorded owner of a table, view or schema; Definition
// is a view's query as its owner wrote it (views run with its rights).
type ObjectOwner struct {
	ObjectType, Schema, Object, Owner, Definition string
}

type privSet struct {
	grants map[string][]Grant        // objKey → grants
	owners map[string]ObjectOwner    // objKey → owner
	roles  map[string]map[string]int // grantee → objKey → count (DROP ROLE's dependency check)
}

func objKey(typ, schema, name string) string { return typ + "\x00" + schema + "\x00" + name }

func (c *Catalog) loadPrivileges(ctx context.Context, conn *duckdb.Conn) error {
	ps := &privSet{grants: map[string][]Grant{}, owners: map[string]ObjectOwner{}, roles: map[string]map[string]int{}}
	rows, err := conn.QueryAll(ctx, `SELECT object_type, schema_name, object_name, column_name, grantee, privilege_type, grantor, is_grantable
		FROM feature_store.privileges ORDER BY grantee, privilege_type, column_name`)
	if err != nil {
		return fmt.Errorf("catalog: load privileges: %w", err)
	}
	for _, r := range rows {
		g := Grant{ObjectType: r[0].(string), Schema: r[1].(string), Object: r[2].(string), Column: r[3].(string),
			Grantee: r[4].(string), Privilege: r[5].(string), Grantor: r[6].(string), Grantable: r[7].(bool)}
		k := objKey(g.ObjectType, g.Schema, g.Object)
		ps.grants[k] = append(ps.grants[k], g)
		if ps.roles[g.Grantee] == nil {
			ps.roles[g.Grantee] = map[string]int{}
		}
		ps.roles[g.Grantee][k]++
	}
	rows, err = conn.QueryAll(ctx, `SELECT object_type, schema_name, object_name, owner, COALESCE(definition, '') FROM feature_store.object_owners`)
	if err != nil {
		return fmt.Errorf("catalog: load owners: %w", err)
	}
	for _, r := range rows {
		o := ObjectOwner{ObjectType: r[0].(string), Schema: r[1].(string), Object: r[2].(string), Owner: r[3].(string), Definition: r[4].(string)}
		ps.owners[objKey(o.ObjectType, o.Schema, o.Object)] = o
	}
	c.mu.Lock()
	c.privs = ps
	c.mu.Unlock()
	return nil
}

// ReloadPrivileges reads the privileges and owners again, after a
// statement changed them: statements check their privileges again
// (PrivilegeGeneration). Plans do not change (an owner recorded for a
// new table, a default privilege); InvalidatePlans says when they do.
func (c *Catalog) ReloadPrivileges(ctx context.Context) error {
	conn, err := c.engine.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := c.loadPrivileges(ctx, conn); err != nil {
		return err
	}
	c.privGen.Add(1)
	return nil
}

// PrivilegeGeneration increases with every reload of the privileges.
func (c *Catalog) PrivilegeGeneration() int64 { return c.privGen.Load() }

// InvalidatePlans makes prepared statements plan again: a GRANT or REVOKE
// may change what a role reads masked (UNMASK), which their plans carry.
func (c *Catalog) InvalidatePlans() { c.gen.Add(1) }

// Grants lists the grants on an object (all columns).
func (c *Catalog) Grants(typ, schema, name string) []Grant {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.privs == nil {
		return nil
	}
	return c.privs.grants[objKey(typ, schema, name)]
}

// AllGrants lists every grant, ordered by object.
func (c *Catalog) AllGrants() []Grant {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []Grant
	if c.privs != nil {
		for _, gs := range c.privs.grants {
			out = append(out, gs...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return objKey(out[i].ObjectType, out[i].Schema, out[i].Object) < objKey(out[j].ObjectType, out[j].Schema, out[j].Object)
	})
	return out
}

// RecordedOwner returns the recorded owner of a table, view or schema.
func (c *Catalog) RecordedOwner(typ, schema, name string) (ObjectOwner, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.privs == nil {
		return ObjectOwner{}, false
	}
	o, ok := c.privs.owners[objKey(typ, schema, name)]
	return o, ok
}

// BootstrapRole is the name of the first superuser (OID 10), who owns
// what no one else was recorded to own (schema public, tables made
// before ownership was recorded).
func (c *Catalog) BootstrapRole() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.roles != nil {
		for _, r := range c.roles.byName {
			if r.OID == BootstrapRoleOID {
				return r.Name
			}
		}
	}
	return ""
}

// AddGrant records a grant on conn (the session's connection, so that it
// commits with the session's transaction); an existing grant of the same
// privilege by the same grantor is replaced (the grant option is kept if
// either had it). ReloadPrivileges makes it visible.
func AddGrant(ctx context.Context, conn *duckdb.Conn, g Grant) error {
	_, err := conn.Exec(ctx, `DELETE FROM feature_store.privileges WHERE object_type = ? AND schema_name = ? AND object_name = ?
		AND column_name = ? AND grantee = ? AND privilege_type = ? AND grantor = ? AND NOT (is_grantable AND NOT ?)`,
		g.ObjectType, g.Schema, g.Object, g.Column, g.Grantee, g.Privilege, g.Grantor, g.Grantable)
	if err != nil {
		return fmt.Errorf("catalog: grant: %w", err)
	}
	_, err = conn.Exec(ctx, `INSERT INTO feature_store.privileges SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (
		SELECT 1 FROM feature_store.privileges WHERE object_type = ? AND schema_name = ? AND object_name = ?
		AND column_name = ? AND grantee = ? AND privilege_type = ? AND grantor = ?)`,
		g.ObjectType, g.Schema, g.Object, g.Column, g.Grantee, g.Privilege, g.Grantor, g.Grantable,
		g.ObjectType, g.Schema, g.Object, g.Column, g.Grantee, g.Privilege, g.Grantor)
	if err != nil {
		return fmt.Errorf("catalog: grant: %w", err)
	}
	return nil
}

// EnsureOwnerGrants makes the owner's privileges on a relation explicit
// rows before its first grant, as PostgreSQL's ACL keeps the owner's
// entry once it is not the default: relacl then starts with it, and
// stays non-NULL after every other grant is revoked.
func EnsureOwnerGrants(ctx context.Context, conn *duckdb.Conn, schema, name, owner string, privileges []string) error {
	var n any
	if _, err := conn.QueryRow(ctx, `SELECT count(*) FROM feature_store.privileges WHERE object_type = ? AND schema_name = ? AND object_name = ? AND column_name = ''`,
		[]any{ObjRelation, schema, name}, &n); err != nil {
		return fmt.Errorf("catalog: grant: %w", err)
	}
	if c, _ := n.(int64); c > 0 || owner == "" {
		return nil
	}
	for _, p := range privileges {
		if _, err := conn.Exec(ctx, `INSERT INTO feature_store.privileges VALUES (?, ?, ?, '', ?, ?, ?, false)`, ObjRelation, schema, name, owner, p, owner); err != nil {
			return fmt.Errorf("catalog: grant: %w", err)
		}
	}
	return nil
}

// RemoveGrant revokes a privilege given by grantor (or by anyone when
// grantor is ""): the whole grant, or only its grant option. column ""
// with allColumns revokes the column grants too, as a table-level REVOKE
// does in PostgreSQL.
func RemoveGrant(ctx context.Context, conn *duckdb.Conn, g Grant, allColumns, optionOnly bool) error {
	where := `object_type = ? AND schema_name = ? AND object_name = ? AND grantee = ? AND privilege_type = ?`
	args := []any{g.ObjectType, g.Schema, g.Object, g.Grantee, g.Privilege}
	if !allColumns {
		where += ` AND column_name = ?`
		args = append(args, g.Column)
	}
	if g.Grantor != "" {
		where += ` AND grantor = ?`
		args = append(args, g.Grantor)
	}
	q := `DELETE FROM feature_store.privileges WHERE ` + where
	if optionOnly {
		q = `UPDATE feature_store.privileges SET is_grantable = false WHERE ` + where
	}
	if _, err := conn.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("catalog: revoke: %w", err)
	}
	return nil
}

// SetObjectOwner records who created a table, view or schema (and a
// view's definition), forgetting the grants a dropped object of the same
// name had. It runs on the creating session's connection.
func SetObjectOwner(ctx context.Context, conn *duckdb.Conn, o ObjectOwner) error {
	for _, q := range []string{`DELETE FROM feature_store.object_owners WHERE object_type = ? AND schema_name = ? AND object_name = ?`,
		`DELETE FROM feature_store.privileges WHERE object_type = ? AND schema_name = ? AND object_name = ?`} {
		if _, err := conn.Exec(ctx, q, o.ObjectType, o.Schema, o.Object); err != nil {
			return fmt.Errorf("catalog: record owner: %w", err)
		}
	}
	var def any
	if o.Definition != "" {
		def = o.Definition
	}
	if _, err := conn.Exec(ctx, `INSERT INTO feature_store.object_owners VALUES (?, ?, ?, ?, ?)`, o.ObjectType, o.Schema, o.Object, o.Owner, def); err != nil {
		return fmt.Errorf("catalog: record owner: %w", err)
	}
	return nil
}

// SetObjectOwnerKeepGrants updates an object's record (CREATE OR
// REPLACE VIEW keeps its owner and grants, and changes the definition).
func SetObjectOwnerKeepGrants(ctx context.Context, conn *duckdb.Conn, o ObjectOwner) error {
	if _, err := conn.Exec(ctx, `DELETE FROM feature_store.object_owners WHERE object_type = ? AND schema_name = ? AND object_name = ?`,
		o.ObjectType, o.Schema, o.Object); err != nil {
		return fmt.Errorf("catalog: record owner: %w", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO feature_store.object_owners VALUES (?, ?, ?, ?, ?)`, o.ObjectType, o.Schema, o.Object, o.Owner, o.Definition); err != nil {
		return fmt.Errorf("catalog: record owner: %w", err)
	}
	return nil
}

// ForgetObject removes the owner and grants of a dropped object.
func ForgetObject(ctx context.Context, conn *duckdb.Conn, typ, schema, name string) error {
	for _, q := range []string{`DELETE FROM feature_store.object_owners WHERE object_type = ? AND schema_name = ? AND object_name = ?`,
		`DELETE FROM feature_store.privileges WHERE object_type = ? AND schema_name = ? AND object_name = ?`} {
		if _, err := conn.Exec(ctx, q, typ, schema, name); err != nil {
			return fmt.Errorf("catalog: forget object: %w", err)
		}
	}
	return nil
}

// RenameObject follows ALTER ... RENAME TO (and SET SCHEMA) with the
// object's owner and grants.
func RenameObject(ctx context.Context, conn *duckdb.Conn, typ, schema, name, newSchema, newName string) error {
	for _, t := range []string{"object_owners", "privileges"} {
		if _, err := conn.Exec(ctx, `UPDATE feature_store.`+t+` SET schema_name = ?, object_name = ? WHERE object_type = ? AND schema_name = ? AND object_name = ?`,
			newSchema, newName, typ, schema, name); err != nil {
			return fmt.Errorf("catalog: rename object: %w", err)
		}
	}
	if typ == ObjSchema {
		// The schema's relations move with it.
		for _, t := range []string{"object_owners", "privileges"} {
			if _, err := conn.Exec(ctx, `UPDATE feature_store.`+t+` SET schema_name = ? WHERE object_type = ? AND schema_name = ?`,
				newSchema, ObjRelation, schema); err != nil {
				return fmt.Errorf("catalog: rename object: %w", err)
			}
		}
	}
	return nil
}

// RenameColumn follows ALTER TABLE ... RENAME COLUMN and RENAME FEATURE
// with the column's grants.
func RenameColumn(ctx context.Context, conn *duckdb.Conn, schema, name, column, newColumn string) error {
	_, err := conn.Exec(ctx, `UPDATE feature_store.privileges SET column_name = ? WHERE object_type = ? AND schema_name = ? AND object_name = ? AND column_name = ?`,
		newColumn, ObjRelation, schema, name, column)
	if err != nil {
		return fmt.Errorf("catalog: rename column grants: %w", err)
	}
	return nil
}

// privilegeDependents names what a role holds privileges on or owns
// through object_owners ("" when nothing), for DROP ROLE.
func (c *Catalog) privilegeDependents(role string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.privs == nil {
		return ""
	}
	var names []string
	for _, o := range c.privs.owners {
		if o.Owner == role {
			names = append(names, "owner of "+o.ObjectType+" "+displayName(o.Schema, o.Object))
		}
	}
	for k := range c.privs.roles[role] {
		parts := strings.Split(k, "\x00")
		what := "table " + displayName(parts[1], parts[2])
		switch parts[0] {
		case ObjSchema:
			what = "schema " + parts[1]
		case ObjDatabase:
			what = "database " + parts[2]
		}
		names = append(names, "privileges for "+what)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// renamePrivilegeRole follows ALTER ROLE ... RENAME TO (inside roleTx).
func renamePrivilegeRole(ctx context.Context, conn *duckdb.Conn, old, new string) error {
	for _, q := range []string{`UPDATE feature_store.privileges SET grantee = ? WHERE grantee = ?`,
		`UPDATE feature_store.privileges SET grantor = ? WHERE grantor = ?`,
		`UPDATE feature_store.object_owners SET owner = ? WHERE owner = ?`,
		`UPDATE feature_store.default_privileges SET role_name = ? WHERE role_name = ?`,
		`UPDATE feature_store.default_privileges SET grantee = ? WHERE grantee = ?`} {
		if _, err := conn.Exec(ctx, q, new, old); err != nil {
			return err
		}
	}
	return nil
}

// SetDefaultPrivilege adds (grant) or removes a default privilege.
func SetDefaultPrivilege(ctx context.Context, conn *duckdb.Conn, role, schema, grantee, privilege string, grantable, grant, optionOnly bool) error {
	del := `DELETE FROM feature_store.default_privileges WHERE role_name = ? AND schema_name = ? AND grantee = ? AND privilege_type = ?`
	if optionOnly {
		del = `UPDATE feature_store.default_privileges SET is_grantable = false WHERE role_name = ? AND schema_name = ? AND grantee = ? AND privilege_type = ?`
	}
	if _, err := conn.Exec(ctx, del, role, schema, grantee, privilege); err != nil {
		return fmt.Errorf("catalog: default privileges: %w", err)
	}
	if !grant {
		return nil
	}
	if _, err := conn.Exec(ctx, `INSERT INTO feature_store.default_privileges VALUES (?, ?, ?, ?, ?)`, role, schema, grantee, privilege, grantable); err != nil {
		return fmt.Errorf("catalog: default privileges: %w", err)
	}
	return nil
}

// ApplyDefaultPrivileges grants what ALTER DEFAULT PRIVILEGES set for
// owner (in schema or everywhere) on a relation owner just created.
func ApplyDefaultPrivileges(ctx context.Context, conn *duckdb.Conn, schema, name, owner string, ownerPrivileges []string) error {
	// The schema's defaults first, then the global ones, each in the
	// order they were set (the order PostgreSQL's ACL shows).
	rows, err := conn.QueryAll(ctx, `SELECT grantee, privilege_type, bool_or(is_grantable) FROM feature_store.default_privileges
		WHERE role_name = ? AND schema_name IN ('', ?) GROUP BY grantee, privilege_type
		ORDER BY min(CASE WHEN schema_name = '' THEN 1 ELSE 0 END), min(rowid)`, owner, schema)
	if err != nil {
		return fmt.Errorf("catalog: default privileges: %w", err)
	}
	var grants []Grant
	for _, r := range rows {
		grants = append(grants, Grant{ObjectType: ObjRelation, Schema: schema, Object: name, Grantee: r[0].(string),
			Privilege: r[1].(string), Grantor: owner, Grantable: r[2].(bool)})
	}
	if len(grants) == 0 {
		return nil
	}
	if err := EnsureOwnerGrants(ctx, conn, schema, name, owner, ownerPrivileges); err != nil {
		return err
	}
	for _, g := range grants {
		if g.Grantee == owner {
			continue
		}
		if err := AddGrant(ctx, conn, g); err != nil {
			return err
		}
	}
	return nil
}
