package planner

import (
	"context"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// ALTER DEFAULT PRIVILEGES [FOR ROLE r, ...] [IN SCHEMA s, ...]
// GRANT|REVOKE ... ON TABLES TO|FROM ...: privileges given to the
// relations (feature groups and views included) those roles create from
// then on, as in PostgreSQL. Only ON TABLES is supported.

func (s *Session) defaultPrivilegesPlan(st *pg_query.AlterDefaultPrivilegesStmt) plan {
	return &commandPlan{run: func(ctx context.Context) (string, error) {
		if err := s.alterDefaultPrivileges(ctx, st); err != nil {
			return "", err
		}
		return "ALTER DEFAULT PRIVILEGES", s.privilegesChanged(ctx, false)
	}}
}

func (s *Session) alterDefaultPrivileges(ctx context.Context, st *pg_query.AlterDefaultPrivilegesStmt) error {
	a := st.Action
	if a == nil {
		return pgerror.New(pgerror.SyntaxError, "ALTER DEFAULT PRIVILEGES needs GRANT or REVOKE")
	}
	if a.Objtype != pg_query.ObjectType_OBJECT_TABLE {
		return pgerror.New(pgerror.FeatureNotSupported, "ALTER DEFAULT PRIVILEGES is supported ON TABLES only")
	}
	me := s.currentRole()
	roles := []string{me}
	schemas := []string{""}
	for _, o := range st.Options {
		de := o.GetDefElem()
		if de == nil {
			continue
		}
		items := de.Arg.GetList().GetItems()
		switch de.Defname {
		case "roles":
			roles = roles[:0]
			for _, it := range items {
				name, err := roleSpecName(s, it.GetRoleSpec())
				if err != nil {
					return err
				}
				if s.p.catalog.Role(name) == nil {
					return pgerror.New(pgerror.UndefinedObject, `role "%s" does not exist`, name)
				}
				if !s.roleIsSuper(me) && !s.p.catalog.IsMemberOf(me, name, false) {
					return pgerror.New(pgerror.InsufficientPrivilege, `must be member of role "%s"`, name)
				}
				roles = append(roles, name)
			}
		case "schemas":
			schemas = schemas[:0]
			for _, it := range items {
				name := it.GetString_().GetSval()
				if !s.schemaExists(ctx, name) {
					return pgerror.New(pgerror.InvalidSchemaName, `schema "%s" does not exist`, name)
				}
				schemas = append(schemas, name)
			}
		}
	}
	var privs []string
	for _, n := range a.Privileges {
		ap := n.GetAccessPriv()
		if ap == nil {
			continue
		}
		if len(ap.Cols) > 0 {
			return pgerror.New(pgerror.InvalidGrantOperation, "default privileges cannot be set for columns")
		}
		name := strings.ToUpper(ap.PrivName)
		if name == "" {
			privs = append(privs, relationPrivileges...)
			continue
		}
		if !contains(relationPrivileges, name) && name != "UNMASK" {
			return pgerror.New(pgerror.InvalidGrantOperation, "invalid privilege type %s for table", name)
		}
		privs = append(privs, name)
	}
	if len(a.Privileges) == 0 {
		privs = relationPrivileges
	}
	grantees, err := s.granteeNames(a.Grantees) // grant.go
	if err != nil {
		return err
	}
	for _, r := range roles {
		for _, sc := range schemas {
			for _, g := range grantees {
				for _, p := range privs {
					if err := catalog.SetDefaultPrivilege(ctx, s.conn, r, sc, g, p, a.GrantOption, a.IsGrant, !a.IsGrant && a.GrantOption); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// applyDefaultPrivileges grants the default privileges of owner on a
// relation it just created (feature groups and views: after the catalog
// change; tables and views: with the statement, owners.go).
func (s *Session) applyDefaultPrivileges(ctx context.Context, schema, name, owner string) error {
	if err := catalog.ApplyDefaultPrivileges(ctx, s.conn, schema, name, owner, relationPrivileges); err != nil {
		return err
	}
	return s.privilegesChanged(ctx, false)
}
