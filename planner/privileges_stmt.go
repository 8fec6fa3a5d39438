package planner

import (
	"context"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// authorizeStatement checks what a statement needs of the current role:
// queries by their relations and columns, feature-store DDL by ownership
// of the group or view (CREATE on the schema for new ones).
func (s *Session) authorizeStatement(ctx context.Context, parsed sql.Statement) error {
	role := s.currentRole()
	s.rememberPrepare(parsed)
	if parsed == nil || s.roleIsSuper(role) {
		return nil
	}
	pc := s.newPrivCheck(role, 0)
	ownGroup := func(n sql.QualifiedName) error {
		if g := s.lookupGroup(n); g != nil {
			return pc.mustOwn(groupRelation(g))
		}
		return nil
	}
	switch st := parsed.(type) {
	case *sql.Query:
		// The lockdown, pg_authid and the audit log are checked when the
		// statement is planned, and a prepared one is planned again when it
		// runs as another role (replan.go).
		return s.authorize(ctx, st)
	case *sql.CreateFeatureGroup:
		if err := s.mayGiveTo(role, st.Options["owner"]); err != nil {
			return err
		}
		return s.mayCreateInSchema(role, pc.schemaFor(st.Name.Schema))
	case *sql.AlterFeatureGroup:
		if err := s.mayGiveTo(role, st.SetOptions["owner"]); err != nil {
			return err
		}
		return ownGroup(st.Name)
	case *sql.DropFeatureGroup:
		for _, n := range st.Names {
			if err := ownGroup(n); err != nil {
				return err
			}
		}
	case *sql.AlterFeature:
		return ownGroup(st.Group)
	case *sql.CommentOn:
		return ownGroup(st.Group)
	case *sql.RefreshOnline:
		if v := s.lookupFeatureView(st.Name); v != nil {
			return pc.mustOwn(viewRelation(v))
		}
		return ownGroup(st.Name)
	case *sql.CreateSnapshot:
		return ownGroup(st.Group)
	case *sql.DropSnapshot:
		for _, name := range st.Names {
			if snap, err := s.p.catalog.Snapshot(ctx, name); err == nil && snap != nil {
				if err := ownGroup(sql.QualifiedName{Schema: snap.Schema, Name: snap.Group}); err != nil {
					return err
				}
			}
		}
	case *sql.Compact:
		for _, n := range st.Names {
			if err := ownGroup(n); err != nil {
				return err
			}
		}
	case *sql.Precompute:
		if g := s.lookupGroup(st.Name); g != nil {
			pc.need(groupRelation(g), "SELECT", "*")
			return pc.finish(ctx)
		}
	case *sql.CreateFeatureView:
		if err := s.mayGiveTo(role, st.Options["owner"]); err != nil {
			return err
		}
		if err := s.mayCreateInSchema(role, pc.schemaFor(st.Name.Schema)); err != nil {
			return err
		}
		// The view runs with its owner's (the creator's) rights.
		if st.Query == nil || st.Query.Tree == nil {
			return nil
		}
		vc := s.newPrivCheck(role, 0)
		vc.forView = true
		if err := vc.query(ctx, st.Query); err != nil {
			return err
		}
		return vc.finish(ctx)
	case *sql.DropFeatureView:
		for _, n := range st.Names {
			if v := s.lookupFeatureView(n); v != nil {
				if err := pc.mustOwn(viewRelation(v)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// authorized runs authorizeStatement unless this statement passed it for
// the same role at the same catalog and privilege generations (roles,
// grants and owners bump them).
func (st *Statement) authorized(ctx context.Context) error {
	s := st.s
	role, gen, pgen := s.currentRole(), s.p.catalog.Generation(), s.p.catalog.PrivilegeGeneration()
	if st.authRole == role && st.authGen == gen && st.authPrivGen == pgen && role != "" {
		return nil
	}
	if err := s.authorizeStatement(ctx, st.parsed); err != nil {
		return err
	}
	st.authRole, st.authGen, st.authPrivGen = role, gen, pgen
	return nil
}

// rememberPrepare keeps the query of SQL-level PREPARE, so that EXECUTE
// checks it for the role that executes it (DuckDB keeps the statement).
func (s *Session) rememberPrepare(parsed sql.Statement) {
	q, ok := parsed.(*sql.Query)
	if !ok || q.Tree == nil || len(q.Tree.Stmts) == 0 {
		return
	}
	if ps := q.Tree.Stmts[0].Stmt.GetPrepareStmt(); ps != nil {
		if s.sqlPrepared == nil {
			s.sqlPrepared = map[string]sqlPrepared{}
		}
		s.sqlPrepared[ps.Name] = sqlPrepared{query: ps.Query, role: s.currentRole()}
	}
}

// sqlPrepared is a SQL-level prepared statement's query and the role it
// was planned (and masked) for.
type sqlPrepared struct {
	query *pg_query.Node
	role  string
}

// mayGiveTo: the owner option may name only a role the current one is a
// member of, as ALTER ... OWNER TO requires in PostgreSQL (an object owned
// by a superuser would run views with a superuser's rights).
func (s *Session) mayGiveTo(role, owner string) error {
	if owner == "" || owner == role || s.roleIsSuper(role) || s.p.catalog.IsMemberOf(role, owner, false) {
		return nil
	}
	return pgerror.New(pgerror.InsufficientPrivilege, `must be member of role "%s"`, owner)
}
