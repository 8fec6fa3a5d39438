package planner

import (
	"context"
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// GRANT and REVOKE of privileges on relations (feature groups, feature
// views, tables, views), schemas and the database, with PostgreSQL's
// rules: the owner (or a superuser, recorded as the owner) grants, and
// so may a role holding the privilege WITH GRANT OPTION. The rows go to
// feature_store.privileges on the session's connection, so a GRANT in a
// transaction block is undone by ROLLBACK; the in-memory copy is read
// again when the change commits.

var relationPrivileges = []string{"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}

// privLetters are aclitem's letters (relacl, aclexplode).
var privLetters = map[string]string{"SELECT": "r", "INSERT": "a", "UPDATE": "w", "DELETE": "d", "TRUNCATE": "D",
	"REFERENCES": "x", "TRIGGER": "t", "USAGE": "U", "CREATE": "C", "CONNECT": "c", "TEMPORARY": "T", "UNMASK": "m"}

func validPrivileges(objType string) []string {
	switch objType {
	case catalog.ObjSchema:
		return []string{"USAGE", "CREATE"}
	case catalog.ObjDatabase:
		return []string{"CREATE", "TEMPORARY", "CONNECT"}
	}
	return relationPrivileges
}

// grantTarget is one object of a GRANT.
type grantTarget struct {
	typ, schema, name string
	owner             string
	rel               *relation
}

func (t grantTarget) display() string {
	switch t.typ {
	case catalog.ObjSchema:
		return "schema " + t.schema
	case catalog.ObjDatabase:
		return "database " + t.name
	}
	return t.rel.what() + " " + t.name
}

func (s *Session) grantPlan(q *sql.Query, st *pg_query.GrantStmt) plan {
	tag := "REVOKE"
	if st.IsGrant {
		tag = "GRANT"
	}
	return &commandPlan{run: func(ctx context.Context) (string, error) {
		if err := s.grant(ctx, q, st); err != nil {
			return "", err
		}
		return tag, s.privilegesChanged(ctx, true)
	}}
}

// privilegesChanged makes a change to privileges or owners visible: now
// outside a transaction block, at its COMMIT inside one. plans: the
// change may alter what prepared statements read masked (GRANT, REVOKE),
// so they plan again; an owner recorded for a new table does not.
func (s *Session) privilegesChanged(ctx context.Context, plans bool) error {
	if s.inBlock() || s.implicit {
		s.privDirty = true
		s.privPlans = s.privPlans || plans
		return nil
	}
	if plans {
		defer s.p.catalog.InvalidatePlans()
	}
	return s.p.catalog.ReloadPrivileges(ctx)
}

// endPrivileges runs at the end of a transaction that changed privileges.
func (s *Session) endPrivileges(ctx context.Context) {
	if !s.privDirty {
		return
	}
	if s.privPlans {
		defer s.p.catalog.InvalidatePlans()
	}
	s.privDirty, s.privPlans = false, false
	if err := s.p.catalog.ReloadPrivileges(context.WithoutCancel(ctx)); err != nil {
		s.p.log.Error("privileges: reload", "err", err)
	}
}

func (s *Session) grant(ctx context.Context, q *sql.Query, st *pg_query.GrantStmt) error {
	typ := ""
	switch st.Objtype {
	case pg_query.ObjectType_OBJECT_TABLE:
		typ = catalog.ObjRelation
	case pg_query.ObjectType_OBJECT_SCHEMA:
		typ = catalog.ObjSchema
	case pg_query.ObjectType_OBJECT_DATABASE:
		typ = catalog.ObjDatabase
	default:
		return pgerror.New(pgerror.FeatureNotSupported, "GRANT and REVOKE on %s are not supported", strings.ToLower(objectTypeWord(st.Objtype))+"s").
			WithHint("featurehouse has privileges on feature groups, feature views, tables, views, schemas and the database.")
	}
	targets, err := s.grantTargets(ctx, q, st, typ)
	if err != nil {
		return err
	}
	// Privileges: (name, columns); none listed is ALL.
	type privCols struct {
		priv string
		cols []string
	}
	var privs []privCols
	valid := validPrivileges(typ)
	if len(st.Privileges) == 0 {
		for _, p := range valid {
			privs = append(privs, privCols{priv: p})
		}
	}
	for _, n := range st.Privileges {
		ap := n.GetAccessPriv()
		if ap == nil {
			continue
		}
		name := strings.ToUpper(ap.PrivName)
		if name == "TEMP" {
			name = "TEMPORARY"
		}
		var cols []string
		for _, c := range ap.Cols {
			cols = append(cols, c.GetString_().GetSval())
		}
		if name == "" { // ALL (columns)
			for _, p := range valid {
				privs = append(privs, privCols{priv: p, cols: cols})
			}
			continue
		}
		ok := contains(valid, name) || name == "UNMASK" && typ == catalog.ObjRelation
		if !ok {
			what := map[string]string{catalog.ObjRelation: "table", catalog.ObjSchema: "schema", catalog.ObjDatabase: "database"}[typ]
			return pgerror.New(pgerror.InvalidGrantOperation, "invalid privilege type %s for %s", name, what)
		}
		if len(cols) > 0 && !contains([]string{"SELECT", "INSERT", "UPDATE", "REFERENCES", "UNMASK"}, name) {
			return pgerror.New(pgerror.InvalidGrantOperation, "invalid privilege type %s for column", name)
		}
		privs = append(privs, privCols{priv: name, cols: cols})
	}
	grantees, err := s.granteeNames(st.Grantees)
	if err != nil {
		return err
	}
	me := s.currentRole()
	pc := s.newPrivCheck(me, 0)
	for _, t := range targets {
		if t.rel != nil {
			for _, p := range privs {
				for _, c := range p.cols {
					cols, err := pc.columns(ctx, t.rel)
					if err != nil {
						return err
					}
					if !contains(cols, c) {
						return pgerror.New(pgerror.UndefinedColumn, `column "%s" of relation "%s" does not exist`, c, t.name)
					}
				}
			}
		}
		// Who grants: the owner for the owner, members of it and
		// superusers; else the current role, with the grant option.
		owns := s.roleIsSuper(me) || s.p.catalog.IsMemberOf(me, t.owner, true)
		grantor := t.owner
		if !owns {
			grantor = me
		}
		if st.IsGrant && t.typ == catalog.ObjRelation {
			if err := catalog.EnsureOwnerGrants(ctx, s.conn, t.schema, t.name, t.owner, relationPrivileges); err != nil {
				return err
			}
		}
		granted := 0
		for _, p := range privs {
			if !owns && !s.hasGrantOption(me, t, p.priv, p.cols) {
				continue
			}
			cols := p.cols
			if len(cols) == 0 {
				cols = []string{""}
			}
			for _, c := range cols {
				for _, who := range grantees {
					g := catalog.Grant{ObjectType: t.typ, Schema: t.schema, Object: t.name, Column: c, Grantee: who,
						Privilege: p.priv, Grantor: grantor, Grantable: st.GrantOption}
					if st.IsGrant {
						if who == t.owner && c == "" {
							continue // the owner has every privilege already
						}
						err = catalog.AddGrant(ctx, s.conn, g)
					} else {
						err = s.revokeGrant(ctx, t, g, len(p.cols) == 0, st.GrantOption, st.Behavior == pg_query.DropBehavior_DROP_CASCADE)
					}
					if err != nil {
						return err
					}
				}
			}
			granted++
		}
		if granted < len(privs) {
			if granted == 0 && !s.anyPrivilege(me, t) {
				if t.typ == catalog.ObjRelation {
					return denied(t.rel)
				}
				return pgerror.New(pgerror.InsufficientPrivilege, "permission denied for %s", t.display())
			}
			verb := "granted"
			if !st.IsGrant {
				verb = "revoked"
			}
			msg := "no privileges were " + verb + " for \"" + t.name + "\""
			if granted > 0 {
				msg = "not all privileges were " + verb + " for \"" + t.name + "\""
			}
			if t.typ == catalog.ObjSchema {
				msg = strings.Replace(msg, "\""+t.name+"\"", "\""+t.schema+"\"", 1)
			}
			code := "01007" // warning_privilege_not_granted
			if !st.IsGrant {
				code = "01006" // warning_privilege_not_revoked
			}
			s.notify(&pgerror.Error{Severity: "WARNING", Code: code, Message: msg})
		}
	}
	return nil
}

// hasGrantOption: role may grant priv on t (on every column in cols).
func (s *Session) hasGrantOption(role string, t grantTarget, priv string, cols []string) bool {
	pc := s.newPrivCheck(role, 0)
	grants := s.p.catalog.Grants(t.typ, t.schema, t.name)
	ok := func(col string) bool {
		for _, g := range grants {
			if g.Privilege == priv && g.Grantable && (g.Column == "" || g.Column == col) && pc.holds(g.Grantee) {
				return true
			}
		}
		return false
	}
	if len(cols) == 0 {
		return ok("")
	}
	for _, c := range cols {
		if !ok(c) {
			return false
		}
	}
	return true
}

func (s *Session) anyPrivilege(role string, t grantTarget) bool {
	pc := s.newPrivCheck(role, 0)
	for _, g := range s.p.catalog.Grants(t.typ, t.schema, t.name) {
		if pc.holds(g.Grantee) {
			return true
		}
	}
	return false
}

// grantTargets resolves the objects of a GRANT or REVOKE.
func (s *Session) grantTargets(ctx context.Context, q *sql.Query, st *pg_query.GrantStmt, typ string) ([]grantTarget, error) {
	pc := s.newPrivCheck(s.currentRole(), 0)
	var out []grantTarget
	switch {
	case st.Targtype == pg_query.GrantTargetType_ACL_TARGET_ALL_IN_SCHEMA:
		for _, o := range st.Objects {
			schema := o.GetString_().GetSval()
			if !s.schemaExists(ctx, schema) {
				return nil, pgerror.New(pgerror.InvalidSchemaName, `schema "%s" does not exist`, schema)
			}
			rels, err := s.relationsIn(ctx, pc, schema, q.GrantObject)
			if err != nil {
				return nil, err
			}
			for _, r := range rels {
				out = append(out, grantTarget{typ: typ, schema: r.schema, name: r.name, owner: r.owner, rel: r})
			}
		}
	case typ == catalog.ObjRelation:
		for _, o := range st.Objects {
			rv := o.GetRangeVar()
			if rv == nil {
				continue
			}
			rel, err := pc.resolve(ctx, rv)
			if err != nil {
				return nil, err
			}
			if rel == nil {
				return nil, pgerror.New(pgerror.UndefinedTable, `relation "%s" does not exist`, displayQualified(sql.QualifiedName{Schema: rv.Schemaname, Name: rv.Relname}))
			}
			switch {
			case q.GrantObject == "feature group" && rel.kind != relGroup, q.GrantObject == "feature view" && rel.kind != relFeatureView:
				return nil, pgerror.New(pgerror.WrongObjectType, `"%s" is not a %s`, rel.name, q.GrantObject)
			}
			out = append(out, grantTarget{typ: typ, schema: rel.schema, name: rel.name, owner: rel.owner, rel: rel})
		}
	case typ == catalog.ObjSchema:
		for _, o := range st.Objects {
			schema := o.GetString_().GetSval()
			if !s.schemaExists(ctx, schema) {
				return nil, pgerror.New(pgerror.InvalidSchemaName, `schema "%s" does not exist`, schema)
			}
			if schema == duckdb.InternalSchema {
				return nil, pgerror.New(pgerror.InsufficientPrivilege, "permission denied for schema %s", schema)
			}
			out = append(out, grantTarget{typ: typ, schema: schema, owner: s.schemaOwner(schema)})
		}
	case typ == catalog.ObjDatabase:
		for _, o := range st.Objects {
			name := o.GetString_().GetSval()
			if name != duckdb.DatabaseName {
				return nil, pgerror.New(pgerror.InvalidCatalogName, `database "%s" does not exist`, name)
			}
			out = append(out, grantTarget{typ: typ, name: name, owner: s.p.catalog.BootstrapRole()})
		}
	}
	return out, nil
}

func (s *Session) schemaExists(ctx context.Context, schema string) bool {
	var v any
	ok, err := s.conn.QueryRow(ctx, `SELECT 1 FROM duckdb_schemas() WHERE database_name = 'featurehouse' AND schema_name = ?`, []any{schema}, &v)
	return err == nil && ok
}

// relationsIn lists a schema's relations (ALL TABLES / ALL FEATURE
// GROUPS / ALL FEATURE VIEWS IN SCHEMA).
func (s *Session) relationsIn(ctx context.Context, pc *privCheck, schema, only string) ([]*relation, error) {
	var out []*relation
	seen := map[string]bool{}
	for _, g := range s.p.catalog.Groups() {
		if g.Schema == schema && only != "feature view" {
			out = append(out, groupRelation(g))
		}
		seen[g.Schema+"."+g.Name] = true
	}
	for _, v := range s.p.catalog.Views() {
		if v.Schema == schema && only != "feature group" {
			out = append(out, viewRelation(v))
		}
		seen[v.Schema+"."+v.Name] = true
	}
	if only == "" {
		if err := pc.loadDuck(ctx); err != nil {
			return nil, err
		}
		for _, d := range pc.duck {
			if d.schema != schema || d.temp || seen[d.schema+"."+d.name] {
				continue
			}
			rel, err := pc.resolve(ctx, &pg_query.RangeVar{Schemaname: d.schema, Relname: d.name})
			if err != nil {
				return nil, err
			}
			if rel != nil {
				out = append(out, rel)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// revokeGrant revokes g and, with CASCADE, what its grantee granted of
// the same privilege on the object with the grant option it loses
// (PostgreSQL's dependent privileges); without CASCADE those refuse the
// REVOKE.
func (s *Session) revokeGrant(ctx context.Context, t grantTarget, g catalog.Grant, allColumns, optionOnly, cascade bool) error {
	var dependent []catalog.Grant
	for _, x := range s.p.catalog.Grants(t.typ, t.schema, t.name) {
		if x.Grantor == g.Grantee && x.Privilege == g.Privilege && x.Grantee != g.Grantee && (allColumns || x.Column == g.Column) {
			dependent = append(dependent, x)
		}
	}
	if len(dependent) > 0 && !cascade {
		return pgerror.New(pgerror.DependentObjectsStillExist, "dependent privileges exist").
			WithHint("Use CASCADE to revoke them too.")
	}
	if err := catalog.RemoveGrant(ctx, s.conn, g, allColumns, optionOnly); err != nil {
		return err
	}
	for _, d := range dependent {
		if err := s.revokeGrant(ctx, t, catalog.Grant{ObjectType: d.ObjectType, Schema: d.Schema, Object: d.Object, Column: d.Column,
			Grantee: d.Grantee, Privilege: d.Privilege, Grantor: g.Grantee}, false, false, true); err != nil {
			return err
		}
	}
	return nil
}

// granteeNames resolves GRANT's grantees: role names (which must exist),
// CURRENT_USER and the like, and PUBLIC.
func (s *Session) granteeNames(list []*pg_query.Node) ([]string, error) {
	var out []string
	for _, g := range list {
		rs := g.GetRoleSpec()
		if rs == nil {
			continue
		}
		if rs.Roletype == pg_query.RoleSpecType_ROLESPEC_PUBLIC {
			out = append(out, catalog.Public)
			continue
		}
		name, err := roleSpecName(s, rs)
		if err != nil {
			return nil, err
		}
		if s.p.catalog.Role(name) == nil {
			return nil, pgerror.New(pgerror.UndefinedObject, `role "%s" does not exist`, name)
		}
		out = append(out, name)
	}
	return out, nil
}
