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

// Role is a login or group role, as pg_authid describes it.
type Role struct {
	OID        int64
	Name       string
	Super      bool
	Inherit    bool
	CreateRole bool
	CreateDB   bool
	CanLogin   bool
	ConnLimit  int
	// Password is the SCRAM-SHA-256 verifier ("" without a password).
	Password  string
	CreatedAt time.Time
}

// Membership is one row of pg_auth_members: Member is a member of Role.
type Membership struct {
	Role, Member, Grantor int64
	Admin                 bool
}

// BootstrapRoleOID is the first superuser's OID, as in PostgreSQL.
const BootstrapRoleOID = 10

// firstNormalOID is PostgreSQL's FirstNormalObjectId: roles below it other
// than the bootstrap superuser are predefined.
const firstNormalOID = 16384

// predefinedRoles are the PostgreSQL 15 predefined roles featurehouse gives
// a meaning to (the engine lockdown and pg_cancel_backend check them), with
// PostgreSQL's OIDs. The others (pg_read_all_data, pg_monitor...) are left
// out: featurehouse would not honour them, and a role that grants nothing
// would mislead.
var predefinedRoles = []struct {
	oid  int64
	name string
}{
	{4200, "pg_signal_backend"},
	{4569, "pg_read_server_files"},
	{4570, "pg_write_server_files"},
	{4571, "pg_execute_server_program"},
}

// Predefined reports whether r is one of PostgreSQL's predefined roles,
// which cannot be dropped or altered.
func (r *Role) Predefined() bool { return r.OID != BootstrapRoleOID && r.OID < firstNormalOID }

// ensurePredefinedRoles creates the predefined roles that are missing: at
// bootstrap, and in a data directory made by a version without them.
func ensurePredefinedRoles(ctx context.Context, conn *duckdb.Conn) error {
	for _, pr := range predefinedRoles {
		if _, err := conn.Exec(ctx, `INSERT INTO feature_store.roles
			SELECT ?, ?, false, true, false, false, false, -1, NULL, now()
			WHERE NOT EXISTS (SELECT 1 FROM feature_store.roles WHERE oid = ? OR rolname = ?)`,
			pr.oid, pr.name, pr.oid, pr.name); err != nil {
			return fmt.Errorf("catalog: create role %s: %w", pr.name, err)
		}
	}
	return nil
}

var rolesDDL = []string{
	`CREATE SEQUENCE IF NOT EXISTS feature_store.role_oid_seq START 16385`,
	`CREATE TABLE IF NOT EXISTS feature_store.roles (
		oid BIGINT PRIMARY KEY,
		rolname VARCHAR NOT NULL UNIQUE,
		rolsuper BOOLEAN NOT NULL,
		rolinherit BOOLEAN NOT NULL,
		rolcreaterole BOOLEAN NOT NULL,
		rolcreatedb BOOLEAN NOT NULL,
		rolcanlogin BOOLEAN NOT NULL,
		rolconnlimit INTEGER NOT NULL,
		rolpassword VARCHAR,
		created_at TIMESTAMPTZ NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS feature_store.role_members (
		roleid BIGINT NOT NULL,
		member BIGINT NOT NULL,
		grantor BIGINT NOT NULL,
		admin_option BOOLEAN NOT NULL
	)`,
}

// roleSet is the in-memory copy of the roles, replaced whole on change.
type roleSet struct {
	byName  map[string]*Role
	members []Membership
}

func (c *Catalog) loadRoles(ctx context.Context, conn *duckdb.Conn) error {
	rs := &roleSet{byName: map[string]*Role{}}
	rows, err := conn.Query(ctx, `SELECT oid, rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
		rolconnlimit, COALESCE(rolpassword, ''), created_at FROM feature_store.roles`)
	if err != nil {
		return fmt.Errorf("catalog: load roles: %w", err)
	}
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rows.Close()
			return fmt.Errorf("catalog: load roles: %w", err)
		}
		role := &Role{OID: r[0].(int64), Name: r[1].(string), Super: r[2].(bool), Inherit: r[3].(bool),
			CreateRole: r[4].(bool), CreateDB: r[5].(bool), CanLogin: r[6].(bool), ConnLimit: int(r[7].(int32)),
			Password: r[8].(string), CreatedAt: r[9].(time.Time)}
		rs.byName[role.Name] = role
	}
	rows.Close()
	rows, err = conn.Query(ctx, `SELECT roleid, member, grantor, admin_option FROM feature_store.role_members ORDER BY roleid, member`)
	if err != nil {
		return fmt.Errorf("catalog: load role members: %w", err)
	}
	defer rows.Close()
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("catalog: load role members: %w", err)
		}
		rs.members = append(rs.members, Membership{Role: r[0].(int64), Member: r[1].(int64), Grantor: r[2].(int64), Admin: r[3].(bool)})
	}
	c.mu.Lock()
	c.roles = rs
	c.mu.Unlock()
	return nil
}

// Role returns the role named name, or nil. The result is a copy.
func (c *Catalog) Role(name string) *Role {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.roles == nil {
		return nil
	}
	r := c.roles.byName[name]
	if r == nil {
		return nil
	}
	cp := *r
	return &cp
}

// Roles lists every role by OID.
func (c *Catalog) Roles() []Role {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []Role
	if c.roles != nil {
		for _, r := range c.roles.byName {
			out = append(out, *r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OID < out[j].OID })
	return out
}

// Memberships lists pg_auth_members.
func (c *Catalog) Memberships() []Membership {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.roles == nil {
		return nil
	}
	return append([]Membership(nil), c.roles.members...)
}

// IsMemberOf reports whether member has the rights of role: the same
// role, or a member of it directly or through roles that inherit
// (PostgreSQL's has_privs_of_role), or at all when direct is false
// (is_member_of_role, which SET ROLE checks).
func (c *Catalog) IsMemberOf(member, role string, inheritOnly bool) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.roles == nil {
		return member == role
	}
	m, r := c.roles.byName[member], c.roles.byName[role]
	if m == nil || r == nil {
		return false
	}
	byOID := map[int64]*Role{}
	for _, x := range c.roles.byName {
		byOID[x.OID] = x
	}
	seen := map[int64]bool{m.OID: true}
	queue := []int64{m.OID}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == r.OID {
			return true
		}
		if inheritOnly && byOID[cur] != nil && !byOID[cur].Inherit {
			continue
		}
		for _, ms := range c.roles.members {
			if ms.Member == cur && !seen[ms.Role] {
				seen[ms.Role] = true
				queue = append(queue, ms.Role)
			}
		}
	}
	return false
}

// RoleChange is what CREATE/ALTER ROLE set; nil fields are left as they
// are (ALTER) or take PostgreSQL's defaults (CREATE).
type RoleChange struct {
	Super, Inherit, CreateRole, CreateDB, CanLogin *bool
	ConnLimit                                      *int
	// Password is the verifier to store; PasswordNull clears it.
	Password     *string
	PasswordNull bool
	// NewName renames (ALTER ROLE ... RENAME TO).
	NewName string
}

// CreateRole adds a role. defaultLogin is CREATE USER's LOGIN default.
func (c *Catalog) CreateRole(ctx context.Context, name string, ch RoleChange, defaultLogin bool) error {
	c.ddl.Lock()
	defer c.ddl.Unlock()
	if c.Role(name) != nil {
		return pgerror.New(pgerror.DuplicateObject, `role "%s" already exists`, name)
	}
	return c.roleTx(ctx, func(conn *duckdb.Conn) error {
		b := func(p *bool, def bool) bool {
			if p != nil {
				return *p
			}
			return def
		}
		limit := -1
		if ch.ConnLimit != nil {
			limit = *ch.ConnLimit
		}
		var pw any
		if ch.Password != nil {
			pw = *ch.Password
		}
		_, err := conn.Exec(ctx, `INSERT INTO feature_store.roles VALUES (nextval('feature_store.role_oid_seq'), ?, ?, ?, ?, ?, ?, ?, ?, now())`,
			name, b(ch.Super, false), b(ch.Inherit, true), b(ch.CreateRole, false), b(ch.CreateDB, false),
			b(ch.CanLogin, defaultLogin), limit, pw)
		return err
	})
}

// BootstrapSuperuser creates the superuser name when it does not exist
// (OID 10 when it is the first role), with the verifier password (""
// for none); an existing role without a password gets it.
func (c *Catalog) BootstrapSuperuser(ctx context.Context, name, password string) error {
	c.ddl.Lock()
	defer c.ddl.Unlock()
	var pw any
	if password != "" {
		pw = password
	}
	if r := c.Role(name); r != nil {
		if r.Password != "" || password == "" {
			return nil
		}
		return c.roleTx(ctx, func(conn *duckdb.Conn) error {
			_, err := conn.Exec(ctx, `UPDATE feature_store.roles SET rolpassword = ? WHERE oid = ?`, pw, r.OID)
			return err
		})
	}
	return c.roleTx(ctx, func(conn *duckdb.Conn) error {
		oid := "10" // the first superuser; predefined roles do not count
		for _, r := range c.Roles() {
			if r.OID == BootstrapRoleOID {
				oid = "nextval('feature_store.role_oid_seq')"
			}
		}
		_, err := conn.Exec(ctx, `INSERT INTO feature_store.roles VALUES (`+oid+`, ?, true, true, true, true, true, -1, ?, now())`, name, pw)
		return err
	})
}

// AlterRole changes a role's attributes.
func (c *Catalog) AlterRole(ctx context.Context, name string, ch RoleChange) error {
	c.ddl.Lock()
	defer c.ddl.Unlock()
	r := c.Role(name)
	if r == nil {
		return pgerror.New(pgerror.UndefinedObject, `role "%s" does not exist`, name)
	}
	if r.Predefined() {
		return pgerror.New(pgerror.ReservedName, `role name "%s" is reserved`, name).WithDetail("Cannot alter reserved roles.")
	}
	if ch.NewName != "" && c.Role(ch.NewName) != nil {
		return pgerror.New(pgerror.DuplicateObject, `role "%s" already exists`, ch.NewName)
	}
	set := func(p *bool, cur bool) bool {
		if p != nil {
			return *p
		}
		return cur
	}
	limit := r.ConnLimit
	if ch.ConnLimit != nil {
		limit = *ch.ConnLimit
	}
	var pw any
	if r.Password != "" {
		pw = r.Password
	}
	if ch.Password != nil {
		pw = *ch.Password
	}
	if ch.PasswordNull {
		pw = nil
	}
	newName := r.Name
	if ch.NewName != "" {
		newName = ch.NewName
		// PostgreSQL clears an MD5 password on rename; SCRAM survives.
	}
	err := c.roleTx(ctx, func(conn *duckdb.Conn) error {
		if newName != r.Name {
			// Ownership follows the role, as PostgreSQL's (by OID) does.
			for _, q := range []string{`UPDATE feature_store.feature_groups SET owner = ? WHERE owner = ?`,
				`UPDATE feature_store.feature_views SET owner = ? WHERE owner = ?`} {
				if _, err := conn.Exec(ctx, q, newName, r.Name); err != nil {
					return err
				}
			}
			if err := renamePrivilegeRole(ctx, conn, r.Name, newName); err != nil {
				return err
			}
		}
		_, err := conn.Exec(ctx, `UPDATE feature_store.roles SET rolname = ?, rolsuper = ?, rolinherit = ?, rolcreaterole = ?,
			rolcreatedb = ?, rolcanlogin = ?, rolconnlimit = ?, rolpassword = ? WHERE oid = ?`,
			newName, set(ch.Super, r.Super), set(ch.Inherit, r.Inherit), set(ch.CreateRole, r.CreateRole),
			set(ch.CreateDB, r.CreateDB), set(ch.CanLogin, r.CanLogin), limit, pw, r.OID)
		return err
	})
	if err == nil && newName != r.Name {
		c.renameOwner(r.Name, newName)
		err = c.ReloadPrivileges(ctx)
	}
	return err
}

// renameOwner replaces the in-memory groups and views owned by old with
// copies owned by new (they are replaced, never mutated in place).
func (c *Catalog) renameOwner(old, new string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, g := range c.groups {
		if g.Owner == old {
			cp := *g
			cp.Owner = new
			c.groups[k] = &cp
		}
	}
	for k, v := range c.views {
		if v.Owner == old {
			cp := *v
			cp.Owner = new
			c.views[k] = &cp
		}
	}
	c.gen.Add(1)
}

// DropRole removes a role and its memberships; missing is reported as
// 42704 unless ifExists (then it returns false).
func (c *Catalog) DropRole(ctx context.Context, name string, ifExists bool) (bool, error) {
	c.ddl.Lock()
	defer c.ddl.Unlock()
	if r := c.Role(name); r != nil && r.Predefined() {
		return false, pgerror.New(pgerror.DependentObjectsStillExist, `cannot drop role %s because it is required by the database system`, name)
	}
	r := c.Role(name)
	if r == nil {
		if ifExists {
			return false, nil
		}
		return false, pgerror.New(pgerror.UndefinedObject, `role "%s" does not exist`, name)
	}
	owned := c.ownedBy(name)
	if owned == "" {
		owned = c.privilegeDependents(name)
	}
	if owned != "" {
		return false, pgerror.New(pgerror.DependentObjectsStillExist,
			`role "%s" cannot be dropped because some objects depend on it`, name).WithDetail("%s", owned)
	}
	return true, c.roleTx(ctx, func(conn *duckdb.Conn) error {
		if _, err := conn.Exec(ctx, `DELETE FROM feature_store.role_members WHERE roleid = ? OR member = ?`, r.OID, r.OID); err != nil {
			return err
		}
		_, err := conn.Exec(ctx, `DELETE FROM feature_store.roles WHERE oid = ?`, r.OID)
		return err
	})
}

// ownedBy names an object the role owns ("" when none).
func (c *Catalog) ownedBy(role string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var names []string
	for k, g := range c.groups {
		if g.Owner == role {
			names = append(names, "owner of feature group "+k)
		}
	}
	for k, v := range c.views {
		if v.Owner == role {
			names = append(names, "owner of feature view "+k)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// GrantRole makes member a member of role. It returns false when the
// membership exists already (PostgreSQL then notices and does nothing).
func (c *Catalog) GrantRole(ctx context.Context, role, member, grantor string, admin bool) (bool, error) {
	c.ddl.Lock()
	defer c.ddl.Unlock()
	r, m, g := c.Role(role), c.Role(member), c.Role(grantor)
	for _, x := range []struct {
		name string
		r    *Role
	}{{role, r}, {member, m}} {
		if x.r == nil {
			return false, pgerror.New(pgerror.UndefinedObject, `role "%s" does not exist`, x.name)
		}
	}
	if c.IsMemberOf(role, member, false) {
		return false, pgerror.New(pgerror.InvalidGrantOperation, `role "%s" is a member of role "%s"`, role, member)
	}
	for _, ms := range c.Memberships() {
		if ms.Role == r.OID && ms.Member == m.OID {
			return false, nil
		}
	}
	gid := int64(BootstrapRoleOID)
	if g != nil {
		gid = g.OID
	}
	return true, c.roleTx(ctx, func(conn *duckdb.Conn) error {
		_, err := conn.Exec(ctx, `INSERT INTO feature_store.role_members VALUES (?, ?, ?, ?)`, r.OID, m.OID, gid, admin)
		return err
	})
}

// RevokeRole ends a membership; it returns false when there was none.
func (c *Catalog) RevokeRole(ctx context.Context, role, member string) (bool, error) {
	c.ddl.Lock()
	defer c.ddl.Unlock()
	r, m := c.Role(role), c.Role(member)
	for _, x := range []struct {
		name string
		r    *Role
	}{{role, r}, {member, m}} {
		if x.r == nil {
			return false, pgerror.New(pgerror.UndefinedObject, `role "%s" does not exist`, x.name)
		}
	}
	found := false
	for _, ms := range c.Memberships() {
		if ms.Role == r.OID && ms.Member == m.OID {
			found = true
		}
	}
	if !found {
		return false, nil
	}
	return true, c.roleTx(ctx, func(conn *duckdb.Conn) error {
		_, err := conn.Exec(ctx, `DELETE FROM feature_store.role_members WHERE roleid = ? AND member = ?`, r.OID, m.OID)
		return err
	})
}

// roleTx runs fn in a transaction and reloads the roles after it commits.
func (c *Catalog) roleTx(ctx context.Context, fn func(conn *duckdb.Conn) error) error {
	conn, err := c.engine.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.Exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("catalog: roles: %w", err)
	}
	if err := fn(conn); err != nil {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		if _, ok := pgerror.As(err); ok {
			return err
		}
		return fmt.Errorf("catalog: roles: %w", err)
	}
	if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		return fmt.Errorf("catalog: roles: %w", err)
	}
	if err := c.loadRoles(context.WithoutCancel(ctx), conn); err != nil {
		return err
	}
	c.gen.Add(1) // memberships change what roles may do: check statements again
	return nil
}
