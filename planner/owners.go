package planner

import (
	"context"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/sql"
)

// Ownership of ordinary tables, views and schemas, which DuckDB does not
// record: the statement that creates one records the current role as its
// owner (and a view's definition, which runs with the owner's rights);
// DROP and RENAME carry the record along. The rows are written on the
// session's connection, so they commit or roll back with the statement.

// ownershipChange is what a DDL statement will do to the records, worked
// out before it runs (IF NOT EXISTS must not take over an existing object).
type ownershipChange struct {
	apply func(ctx context.Context) error
}

func (s *Session) planOwnership(ctx context.Context, q *sql.Query) *ownershipChange {
	if q == nil || q.Tree == nil || len(q.Tree.Stmts) == 0 {
		return nil
	}
	role := s.currentRole()
	pc := s.newPrivCheck(role, 0)
	exists := func(rv *pg_query.RangeVar) bool {
		d, err := pc.duckRelation(ctx, rv.Schemaname, rv.Relname)
		return err == nil && d != nil && !d.temp
	}
	create := func(rv *pg_query.RangeVar, ifNotExists bool, def string) *ownershipChange {
		if rv == nil || rv.Relpersistence == "t" || rv.Catalogname == "temp" || rv.Schemaname == "pg_temp" {
			return nil
		}
		if ifNotExists && exists(rv) {
			return nil
		}
		schema := pc.schemaFor(rv.Schemaname)
		return &ownershipChange{apply: func(ctx context.Context) error {
			if err := catalog.SetObjectOwner(ctx, s.conn, catalog.ObjectOwner{ObjectType: catalog.ObjRelation, Schema: schema, Object: rv.Relname, Owner: role, Definition: def}); err != nil {
				return err
			}
			return catalog.ApplyDefaultPrivileges(ctx, s.conn, schema, rv.Relname, role, relationPrivileges)
		}}
	}
	switch n := q.Tree.Stmts[0].Stmt.Node.(type) {
	case *pg_query.Node_CreateStmt:
		return create(n.CreateStmt.Relation, n.CreateStmt.IfNotExists, "")
	case *pg_query.Node_CreateTableAsStmt:
		if n.CreateTableAsStmt.Into != nil {
			return create(n.CreateTableAsStmt.Into.Rel, n.CreateTableAsStmt.IfNotExists, "")
		}
	case *pg_query.Node_SelectStmt:
		if into := n.SelectStmt.IntoClause; into != nil {
			return create(into.Rel, false, "")
		}
	case *pg_query.Node_ViewStmt:
		rv := n.ViewStmt.View
		if n.ViewStmt.Replace && exists(rv) {
			rel, err := pc.resolve(ctx, rv)
			if err != nil || rel == nil {
				return nil
			}
			return &ownershipChange{apply: func(ctx context.Context) error {
				return catalog.SetObjectOwnerKeepGrants(ctx, s.conn, catalog.ObjectOwner{ObjectType: catalog.ObjRelation, Schema: rel.schema, Object: rel.name, Owner: rel.owner, Definition: q.Original})
			}}
		}
		return create(rv, false, q.Original)
	case *pg_query.Node_CreateSchemaStmt:
		name := n.CreateSchemaStmt.Schemaname
		if n.CreateSchemaStmt.IfNotExists && s.schemaExists(ctx, name) {
			return nil
		}
		owner := role
		if n.CreateSchemaStmt.Authrole != nil {
			if a, err := roleSpecName(s, n.CreateSchemaStmt.Authrole); err == nil {
				owner = a
			}
		}
		return &ownershipChange{apply: func(ctx context.Context) error {
			return catalog.SetObjectOwner(ctx, s.conn, catalog.ObjectOwner{ObjectType: catalog.ObjSchema, Schema: name, Owner: owner})
		}}
	case *pg_query.Node_DropStmt:
		var targets [][3]string
		for _, obj := range n.DropStmt.Objects {
			if n.DropStmt.RemoveType == pg_query.ObjectType_OBJECT_SCHEMA {
				if str := obj.GetString_(); str != nil {
					targets = append(targets, [3]string{catalog.ObjSchema, str.Sval, ""})
				}
				continue
			}
			names := listNames(obj)
			if len(names) == 0 {
				continue
			}
			rv := rangeVarOf(names)
			if d, err := pc.duckRelation(ctx, rv.Schemaname, rv.Relname); err == nil && d != nil && !d.temp {
				targets = append(targets, [3]string{catalog.ObjRelation, d.schema, d.name})
			}
		}
		if len(targets) == 0 {
			return nil
		}
		return &ownershipChange{apply: func(ctx context.Context) error {
			for _, t := range targets {
				if err := catalog.ForgetObject(ctx, s.conn, t[0], t[1], t[2]); err != nil {
					return err
				}
			}
			return nil
		}}
	case *pg_query.Node_RenameStmt:
		st := n.RenameStmt
		switch st.RenameType {
		case pg_query.ObjectType_OBJECT_SCHEMA:
			return &ownershipChange{apply: func(ctx context.Context) error {
				return catalog.RenameObject(ctx, s.conn, catalog.ObjSchema, st.Subname, "", st.Newname, "")
			}}
		case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW:
			if d, err := pc.duckRelation(ctx, st.Relation.Schemaname, st.Relation.Relname); err == nil && d != nil && !d.temp {
				return &ownershipChange{apply: func(ctx context.Context) error {
					return catalog.RenameObject(ctx, s.conn, catalog.ObjRelation, d.schema, d.name, d.schema, st.Newname)
				}}
			}
		case pg_query.ObjectType_OBJECT_COLUMN:
			if d, err := pc.duckRelation(ctx, st.Relation.Schemaname, st.Relation.Relname); err == nil && d != nil && !d.temp {
				return &ownershipChange{apply: func(ctx context.Context) error {
					return catalog.RenameColumn(ctx, s.conn, d.schema, d.name, st.Subname, st.Newname)
				}}
			}
		}
	}
	return nil
}

// applyOwnership records the change after the statement succeeded.
func (s *Session) applyOwnership(ctx context.Context, oc *ownershipChange) error {
	if oc == nil {
		return nil
	}
	if err := oc.apply(ctx); err != nil {
		return err
	}
	return s.privilegesChanged(ctx, false)
}
