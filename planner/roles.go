package planner

import (
	"context"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/internal/scram"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Roles: CREATE/ALTER/DROP ROLE, GRANT/REVOKE role, SET ROLE and SET
// SESSION AUTHORIZATION, with PostgreSQL 15's rules on who may do what.
// The roles themselves live in the catalog (catalog/roles.go).

// sessionUser is the role the session authenticated as, or the one SET
// SESSION AUTHORIZATION chose.
func (s *Session) sessionUser() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.params["session_authorization"]; u != "" {
		return u
	}
	return s.info.User
}

// currentRole is current_user: the SET ROLE role, else the session user.
func (s *Session) currentRole() string {
	s.mu.Lock()
	r := s.params["role"]
	s.mu.Unlock()
	if r == "" || r == "none" {
		return s.sessionUser()
	}
	return r
}

// isSuperuser reports whether the current role is a superuser.
func (s *Session) isSuperuser() bool {
	r := s.p.catalog.Role(s.currentRole())
	return r != nil && r.Super
}

func (s *Session) paramValue(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.params[key]
}

// setReported sets a parameter that only the server changes.
func (s *Session) setReported(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.params[key] != value {
		s.params[key] = value
		s.changed[key] = true
	}
}

func (s *Session) refreshSuperuser() {
	v := "off"
	if s.isSuperuser() {
		v = "on"
	}
	s.setReported("is_superuser", v)
}

// roleStatementPlan routes role statements; nil when node is none.
func (s *Session) roleStatementPlan(node *pg_query.Node) plan {
	switch n := node.Node.(type) {
	case *pg_query.Node_CreateRoleStmt:
		return s.catalogPlan(func(ctx context.Context) (string, error) { return s.createRole(ctx, n.CreateRoleStmt) })
	case *pg_query.Node_AlterRoleStmt:
		return s.catalogPlan(func(ctx context.Context) (string, error) { return s.alterRole(ctx, n.AlterRoleStmt) })
	case *pg_query.Node_DropRoleStmt:
		return s.catalogPlan(func(ctx context.Context) (string, error) { return s.dropRoles(ctx, n.DropRoleStmt) })
	case *pg_query.Node_GrantRoleStmt:
		return s.catalogPlan(func(ctx context.Context) (string, error) { return s.grantRole(ctx, n.GrantRoleStmt) })
	case *pg_query.Node_RenameStmt:
		if n.RenameStmt.RenameType == pg_query.ObjectType_OBJECT_ROLE {
			return s.catalogPlan(func(ctx context.Context) (string, error) { return s.renameRole(ctx, n.RenameStmt) })
		}
	case *pg_query.Node_VariableSetStmt:
		switch n.VariableSetStmt.Name {
		case "role", "session_authorization":
			return &commandPlan{run: func(ctx context.Context) (string, error) { return s.setRole(n.VariableSetStmt) }}
		}
	}
	return nil
}

func roleSpecName(s *Session, rs *pg_query.RoleSpec) (string, error) {
	if rs == nil {
		return "", pgerror.New(pgerror.SyntaxError, "missing role name")
	}
	switch rs.Roletype {
	case pg_query.RoleSpecType_ROLESPEC_CSTRING:
		return rs.Rolename, nil
	case pg_query.RoleSpecType_ROLESPEC_CURRENT_USER, pg_query.RoleSpecType_ROLESPEC_CURRENT_ROLE:
		return s.currentRole(), nil
	case pg_query.RoleSpecType_ROLESPEC_SESSION_USER:
		return s.sessionUser(), nil
	}
	return "", pgerror.New(pgerror.InvalidParameterValue, "role name \"public\" is reserved")
}

func isReservedRoleName(name string) bool {
	return name == "public" || name == "none" || strings.HasPrefix(name, "pg_")
}

// roleOptions turns CREATE/ALTER ROLE options into a change.
func (s *Session) roleOptions(opts []*pg_query.Node) (catalog.RoleChange, error) {
	var ch catalog.RoleChange
	seen := map[string]bool{}
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		if seen[d.Defname] {
			return ch, pgerror.New(pgerror.SyntaxError, "conflicting or redundant options")
		}
		seen[d.Defname] = true
		flag := func() *bool { b := d.Arg.GetBoolean().GetBoolval(); return &b }
		switch d.Defname {
		case "superuser":
			ch.Super = flag()
		case "inherit":
			ch.Inherit = flag()
		case "createrole":
			ch.CreateRole = flag()
		case "createdb":
			ch.CreateDB = flag()
		case "canlogin":
			ch.CanLogin = flag()
		case "connectionlimit":
			n := int(d.Arg.GetInteger().GetIval())
			if n < -1 {
				return ch, pgerror.New(pgerror.InvalidParameterValue, "invalid connection limit: %d", n)
			}
			ch.ConnLimit = &n
		case "password":
			if d.Arg == nil {
				ch.PasswordNull = true
				continue
			}
			pw := d.Arg.GetString_().GetSval()
			switch {
			case pw == "":
				s.notify(&pgerror.Error{Severity: "NOTICE", Code: "00000", Message: "empty string is not a valid password, clearing password"})
				ch.PasswordNull = true
			case scram.IsVerifier(pw):
				ch.Password = &pw
			case len(pw) == 35 && strings.HasPrefix(pw, "md5"):
				return ch, pgerror.New(pgerror.FeatureNotSupported, "MD5 password verifiers are not supported").
					WithHint("Give the password itself, or a SCRAM-SHA-256 verifier.")
			default:
				v, err := scram.NewVerifier(pw)
				if err != nil {
					return ch, err
				}
				ch.Password = &v
			}
		case "isreplication", "bypassrls":
			if d.Arg.GetBoolean().GetBoolval() {
				return ch, pgerror.New(pgerror.FeatureNotSupported, "%s is not supported by featurehouse", strings.ToUpper(strings.TrimPrefix(d.Defname, "is")))
			}
		case "validUntil", "sysid", "addroleto", "rolemembers", "adminmembers":
			// handled by the caller (memberships), or ignored (VALID UNTIL is
			// not enforced: refuse rather than pretend).
			if d.Defname == "validUntil" {
				return ch, pgerror.New(pgerror.FeatureNotSupported, "VALID UNTIL is not supported by featurehouse")
			}
		default:
			return ch, pgerror.New(pgerror.SyntaxError, "unrecognized role option \"%s\"", d.Defname)
		}
	}
	return ch, nil
}

func (s *Session) createRole(ctx context.Context, st *pg_query.CreateRoleStmt) (string, error) {
	if isReservedRoleName(st.Role) {
		if strings.HasPrefix(st.Role, "pg_") {
			return "", pgerror.New(pgerror.ReservedName, `role name "%s" is reserved`, st.Role).
				WithDetail("Role names starting with \"pg_\" are reserved.")
		}
		return "", pgerror.New(pgerror.ReservedName, `role name "%s" is reserved`, st.Role)
	}
	ch, err := s.roleOptions(st.Options)
	if err != nil {
		return "", err
	}
	me := s.p.catalog.Role(s.currentRole())
	if me == nil || !me.Super {
		if ch.Super != nil && *ch.Super {
			return "", pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to create superusers")
		}
		if me == nil || !me.CreateRole {
			return "", pgerror.New(pgerror.InsufficientPrivilege, "permission denied to create role")
		}
	}
	// IN ROLE names roles the new one joins: they must exist, and only a
	// superuser may add members to a superuser role.
	for _, o := range st.Options {
		if d := o.GetDefElem(); d != nil && d.Defname == "addroleto" {
			for _, item := range d.Arg.GetList().GetItems() {
				other, err := roleSpecName(s, item.GetRoleSpec())
				if err != nil {
					return "", err
				}
				r := s.p.catalog.Role(other)
				if r == nil {
					return "", pgerror.New(pgerror.UndefinedObject, `role "%s" does not exist`, other)
				}
				if r.Super && (me == nil || !me.Super) {
					return "", pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to alter superusers")
				}
			}
		}
	}
	if err := s.p.catalog.CreateRole(ctx, st.Role, ch, st.StmtType == pg_query.RoleStmtType_ROLESTMT_USER); err != nil {
		return "", err
	}
	// IN ROLE / ROLE / ADMIN lists.
	for _, o := range st.Options {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		for _, item := range d.Arg.GetList().GetItems() {
			other, err := roleSpecName(s, item.GetRoleSpec())
			if err != nil {
				return "", err
			}
			var gerr error
			switch d.Defname {
			case "addroleto":
				_, gerr = s.p.catalog.GrantRole(ctx, other, st.Role, s.currentRole(), false)
			case "rolemembers":
				_, gerr = s.p.catalog.GrantRole(ctx, st.Role, other, s.currentRole(), false)
			case "adminmembers":
				_, gerr = s.p.catalog.GrantRole(ctx, st.Role, other, s.currentRole(), true)
			}
			if gerr != nil {
				_, _ = s.p.catalog.DropRole(context.WithoutCancel(ctx), st.Role, true)
				return "", gerr
			}
		}
	}
	return "CREATE ROLE", nil
}

// mayAlter checks PostgreSQL 15's rules for changing role target.
func (s *Session) mayAlter(target *catalog.Role, ch catalog.RoleChange) error {
	me := s.p.catalog.Role(s.currentRole())
	if me != nil && me.Super {
		return nil
	}
	if target.Super || ch.Super != nil {
		return pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to alter superuser roles or change superuser attribute")
	}
	if me != nil && me.CreateRole {
		return nil
	}
	// A role may change its own password, nothing else.
	onlyPassword := ch.Inherit == nil && ch.CreateRole == nil && ch.CreateDB == nil && ch.CanLogin == nil &&
		ch.ConnLimit == nil && ch.NewName == ""
	if me != nil && me.OID == target.OID && onlyPassword {
		return nil
	}
	return pgerror.New(pgerror.InsufficientPrivilege, "permission denied")
}

func (s *Session) alterRole(ctx context.Context, st *pg_query.AlterRoleStmt) (string, error) {
	// PostgreSQL checks the name as written before looking the role up.
	if st.Role != nil && st.Role.Roletype == pg_query.RoleSpecType_ROLESPEC_CSTRING && strings.HasPrefix(st.Role.Rolename, "pg_") {
		return "", pgerror.New(pgerror.ReservedName, `role name "%s" is reserved`, st.Role.Rolename).WithDetail("Cannot alter reserved roles.")
	}
	name, err := roleSpecName(s, st.Role)
	if err != nil {
		return "", err
	}
	target := s.p.catalog.Role(name)
	if target == nil {
		return "", pgerror.New(pgerror.UndefinedObject, `role "%s" does not exist`, name)
	}
	ch, err := s.roleOptions(st.Options)
	if err != nil {
		return "", err
	}
	if err := s.mayAlter(target, ch); err != nil {
		return "", err
	}
	if target.OID == catalog.BootstrapRoleOID && ch.Super != nil && !*ch.Super {
		return "", pgerror.New(pgerror.FeatureNotSupported, "permission denied: bootstrap user must be superuser")
	}
	if err := s.p.catalog.AlterRole(ctx, name, ch); err != nil {
		return "", err
	}
	s.refreshSuperuser()
	return "ALTER ROLE", nil
}

func (s *Session) renameRole(ctx context.Context, st *pg_query.RenameStmt) (string, error) {
	old := st.Subname
	target := s.p.catalog.Role(old)
	if target == nil {
		return "", pgerror.New(pgerror.UndefinedObject, `role "%s" does not exist`, old)
	}
	if old == s.sessionUser() {
		return "", pgerror.New(pgerror.FeatureNotSupported, "session user cannot be renamed")
	}
	if old == s.currentRole() {
		return "", pgerror.New(pgerror.FeatureNotSupported, "current user cannot be renamed")
	}
	for _, n := range []string{old, st.Newname} {
		if strings.HasPrefix(n, "pg_") {
			return "", pgerror.New(pgerror.ReservedName, `role name "%s" is reserved`, n).
				WithDetail("Role names starting with \"pg_\" are reserved.")
		}
	}
	if isReservedRoleName(st.Newname) {
		return "", pgerror.New(pgerror.ReservedName, `role name "%s" is reserved`, st.Newname)
	}
	if err := s.mayAlter(target, catalog.RoleChange{NewName: st.Newname}); err != nil {
		return "", err
	}
	if err := s.p.catalog.AlterRole(ctx, old, catalog.RoleChange{NewName: st.Newname}); err != nil {
		return "", err
	}
	return "ALTER ROLE", nil
}

func (s *Session) dropRoles(ctx context.Context, st *pg_query.DropRoleStmt) (string, error) {
	me := s.p.catalog.Role(s.currentRole())
	if me == nil || !me.Super && !me.CreateRole {
		return "", pgerror.New(pgerror.InsufficientPrivilege, "permission denied to drop role")
	}
	for _, item := range st.Roles {
		name, err := roleSpecName(s, item.GetRoleSpec())
		if err != nil {
			return "", err
		}
		target := s.p.catalog.Role(name)
		if target == nil {
			if st.MissingOk {
				s.notify(&pgerror.Error{Severity: "NOTICE", Code: "00000", Message: `role "` + name + `" does not exist, skipping`})
				continue
			}
			return "", pgerror.New(pgerror.UndefinedObject, `role "%s" does not exist`, name)
		}
		switch {
		case name == s.currentRole():
			return "", pgerror.New(pgerror.ObjectInUse, "current user cannot be dropped")
		case name == s.sessionUser():
			return "", pgerror.New(pgerror.ObjectInUse, "session user cannot be dropped")
		case target.Super && !me.Super:
			return "", pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to drop superusers")
		case target.OID == catalog.BootstrapRoleOID:
			return "", pgerror.New(pgerror.DependentObjectsStillExist,
				`role "%s" cannot be dropped because some objects depend on it`, name).
				WithDetail("owner of database %s", s.info.Database)
		}
		if _, err := s.p.catalog.DropRole(ctx, name, st.MissingOk); err != nil {
			return "", err
		}
	}
	return "DROP ROLE", nil
}

func (s *Session) grantRole(ctx context.Context, st *pg_query.GrantRoleStmt) (string, error) {
	admin := false
	for _, o := range st.Opt {
		if d := o.GetDefElem(); d != nil && d.Defname == "admin" {
			admin = d.Arg == nil || d.Arg.GetBoolean().GetBoolval()
		}
	}
	me := s.p.catalog.Role(s.currentRole())
	for _, g := range st.GrantedRoles {
		role := g.GetAccessPriv().GetPrivName()
		target := s.p.catalog.Role(role)
		if target == nil {
			return "", pgerror.New(pgerror.UndefinedObject, `role "%s" does not exist`, role)
		}
		if me == nil || !me.Super {
			if target.Super {
				return "", pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to alter superusers")
			}
			if me == nil || !me.CreateRole && !s.hasAdminOption(me, target) {
				return "", pgerror.New(pgerror.InsufficientPrivilege, `must have admin option on role "%s"`, role)
			}
		}
		for _, gr := range st.GranteeRoles {
			member, err := roleSpecName(s, gr.GetRoleSpec())
			if err != nil {
				return "", err
			}
			if st.IsGrant {
				if member == role {
					return "", pgerror.New(pgerror.InvalidGrantOperation, `role "%s" is a member of role "%s"`, member, role)
				}
				added, err := s.p.catalog.GrantRole(ctx, role, member, s.currentRole(), admin)
				if err != nil {
					return "", err
				}
				if !added {
					s.notify(&pgerror.Error{Severity: "NOTICE", Code: "00000", Message: `role "` + member + `" is already a member of role "` + role + `"`})
				}
			} else {
				removed, err := s.p.catalog.RevokeRole(ctx, role, member)
				if err != nil {
					return "", err
				}
				if !removed {
					s.notify(&pgerror.Error{Severity: "WARNING", Code: "01000", Message: `role "` + member + `" is not a member of role "` + role + `"`})
				}
			}
		}
	}
	s.refreshSuperuser()
	if st.IsGrant {
		return "GRANT ROLE", nil
	}
	return "REVOKE ROLE", nil
}

func (s *Session) hasAdminOption(me, target *catalog.Role) bool {
	for _, m := range s.p.catalog.Memberships() {
		if m.Role == target.OID && m.Member == me.OID && m.Admin {
			return true
		}
	}
	return false
}

// setRole runs SET [LOCAL] ROLE / RESET ROLE / SET SESSION AUTHORIZATION.
func (s *Session) setRole(vs *pg_query.VariableSetStmt) (string, error) {
	value := "none"
	if vs.Kind == pg_query.VariableSetKind_VAR_SET_VALUE {
		value = setValue(vs.Args)
	}
	tag := "SET"
	if vs.Kind == pg_query.VariableSetKind_VAR_RESET {
		tag = "RESET"
	}
	if vs.IsLocal {
		if !s.inBlock() {
			s.notify(&pgerror.Error{Severity: "WARNING", Code: pgerror.NoActiveSQLTransaction, Message: "SET LOCAL can only be used in transaction blocks"})
			return tag, nil
		}
		// Restored at the end of the transaction (endLocal).
		defer func(role, auth string) {
			if s.localRestore == nil {
				s.localRestore = map[string]string{}
			}
			for k, v := range map[string]string{"role": role, "session_authorization": auth} {
				if _, saved := s.localRestore[k]; !saved {
					s.localRestore[k] = v
				}
			}
		}(s.paramValue("role"), s.sessionUser())
	}
	if vs.Name == "session_authorization" {
		target := s.info.User
		if vs.Kind == pg_query.VariableSetKind_VAR_SET_VALUE {
			target = value
		}
		// Only a session that authenticated as a superuser may change it.
		orig := s.p.catalog.Role(s.info.User)
		if target != s.info.User && (orig == nil || !orig.Super) {
			return "", pgerror.New(pgerror.InsufficientPrivilege, `permission denied to set session authorization`)
		}
		if s.p.catalog.Role(target) == nil {
			return "", pgerror.New(pgerror.InvalidParameterValue, `role "%s" does not exist`, target)
		}
		s.setReported("session_authorization", target)
		s.setReported("role", "none")
		s.refreshSuperuser()
		return tag, nil
	}
	if value != "none" {
		target := s.p.catalog.Role(value)
		if target == nil {
			return "", pgerror.New(pgerror.InvalidParameterValue, `role "%s" does not exist`, value)
		}
		su := s.p.catalog.Role(s.sessionUser())
		if (su == nil || !su.Super) && !s.p.catalog.IsMemberOf(s.sessionUser(), value, false) {
			return "", pgerror.New(pgerror.InsufficientPrivilege, `permission denied to set role "%s"`, value)
		}
	}
	s.setReported("role", value)
	s.refreshSuperuser()
	return tag, nil
}

// protectAuthid refuses pg_authid and the role tables (which hold the
// password verifiers) to roles that are not superusers, as PostgreSQL
// refuses pg_authid; and DuckDB's query() and query_table(), which run
// SQL text that no check here sees.
func (s *Session) protectAuthid(tree *pg_query.ParseResult) error {
	var denied, what string
	sql.Walk(tree, func(m proto.Message) bool {
		if denied != "" {
			return false
		}
		switch n := m.(type) {
		case *pg_query.RangeVar:
			switch {
			case n.Relname == "pg_authid":
				denied, what = "pg_authid", "table"
			case (n.Relname == "roles" || n.Relname == "role_members") && n.Schemaname == "feature_store":
				denied, what = n.Relname, "table"
			}
		case *pg_query.FuncCall:
			if names := funcNames(n); len(names) > 0 {
				switch name := strings.ToLower(names[len(names)-1]); name {
				case "query", "query_table":
					denied, what = name, "function"
				}
			}
		}
		return true
	})
	if denied == "" || s.isSuperuser() {
		return nil
	}
	return pgerror.New(pgerror.InsufficientPrivilege, "permission denied for %s %s", what, denied)
}
