package planner

import (
	"context"
	"strings"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// creationSchema is where an unqualified new object goes: the first schema
// of search_path, as in PostgreSQL.
func (s *Session) creationSchema(ctx context.Context, name sql.QualifiedName) (string, error) {
	schema := name.Schema
	if schema == "" {
		schema = s.searchPath()[0]
	}
	var one any
	found, err := s.conn.QueryRow(ctx, "SELECT 1 FROM information_schema.schemata WHERE schema_name = ?", []any{schema}, &one)
	if err != nil {
		return "", err
	}
	if !found {
		return "", pgerror.New(pgerror.InvalidSchemaName, `schema "%s" does not exist`, schema)
	}
	if schema == "feature_store" || schema == "fh_internal" || schema == "pg_catalog" || schema == "information_schema" {
		return "", pgerror.New(pgerror.InsufficientPrivilege, `permission denied to create objects in schema "%s"`, schema)
	}
	return schema, nil
}

// lookupGroup resolves a (possibly unqualified) group name along search_path.
func (s *Session) lookupGroup(name sql.QualifiedName) *catalog.Group {
	if name.Schema != "" {
		return s.p.catalog.Lookup(name.Schema, name.Name)
	}
	for _, sc := range s.searchPath() {
		if g := s.p.catalog.Lookup(sc, name.Name); g != nil {
			return g
		}
	}
	return nil
}

func (s *Session) mustGroup(name sql.QualifiedName) (*catalog.Group, error) {
	g := s.lookupGroup(name)
	if g == nil {
		return nil, pgerror.New(pgerror.UndefinedTable, `feature group "%s" does not exist`, displayQualified(name))
	}
	return g, nil
}

func displayQualified(n sql.QualifiedName) string {
	if n.Schema == "" {
		return n.Name
	}
	return n.Schema + "." + n.Name
}

func featureFromDef(def sql.ColumnDef) (*catalog.Feature, error) {
	duck, display, err := duckdbType(def.Type)
	if err != nil {
		return nil, err
	}
	f := &catalog.Feature{
		Name: def.Name, DataType: display, DuckDBType: duck, FeatureType: strings.ToLower(def.FeatureType),
		EntityKey: def.EntityKey, EventTime: def.EventTime, NotNull: def.NotNull, Checks: def.Checks,
	}
	if def.Default != "" {
		return nil, pgerror.New(pgerror.FeatureNotSupported, `DEFAULT is not supported on feature "%s"`, def.Name).
			WithHint("A missing event time defaults to the statement's time; other features read NULL when not written.")
	}
	if f.FeatureType == "" {
		f.FeatureType = catalog.InferFeatureType(def.Type.Name, def.Type.ArrayBounds)
	}
	return f, nil
}

func (s *Session) createFeatureGroup(ctx context.Context, stmt *sql.CreateFeatureGroup) (string, error) {
	schema, err := s.creationSchema(ctx, stmt.Name)
	if err != nil {
		return "", err
	}
	ng := catalog.NewGroup{Schema: schema, Name: stmt.Name.Name, TableChecks: stmt.TableChecks,
		Options: stmt.Options, OptionOrder: stmt.OptionOrder, IfNotExists: stmt.IfNotExists, Owner: s.currentRole()}
	for _, def := range stmt.Columns {
		f, err := featureFromDef(def)
		if err != nil {
			return "", err
		}
		ng.Features = append(ng.Features, f)
	}
	if err := s.checkExpressions(ctx, ng); err != nil {
		return "", err
	}
	created, err := s.p.catalog.CreateGroup(ctx, ng)
	if err != nil {
		return "", err
	}
	if !created {
		s.notify(&pgerror.Error{Severity: "NOTICE", Code: pgerror.DuplicateTable,
			Message: `feature group "` + stmt.Name.Name + `" already exists, skipping`})
	} else if g := s.p.catalog.Lookup(ng.Schema, ng.Name); g != nil {
		if err := s.applyDefaultPrivileges(ctx, g.Schema, g.Name, g.Owner); err != nil { // default_privileges.go
			return "", err
		}
	}
	return "CREATE FEATURE GROUP", nil
}

// checkExpressions makes sure CHECK expressions are valid SQL over the
// group's columns before the group is created (DuckDB binds them).
func (s *Session) checkExpressions(ctx context.Context, ng catalog.NewGroup) error {
	var checks []string
	for _, f := range ng.Features {
		checks = append(checks, f.Checks...)
	}
	checks = append(checks, ng.TableChecks...)
	if len(checks) == 0 {
		return nil
	}
	cols := make([]string, len(ng.Features))
	for i, f := range ng.Features {
		cols[i] = "CAST(NULL AS " + f.DuckDBType + ") AS " + quoteIdent(f.Name)
	}
	for _, chk := range checks {
		q := "SELECT CAST((" + chk + ") AS BOOLEAN) FROM (SELECT " + strings.Join(cols, ", ") + ")"
		if _, err := s.conn.Exec(ctx, q); err != nil {
			e := pgerror.Wrap(err)
			return pgerror.New(e.Code, "invalid CHECK constraint (%s): %s", chk, e.Message)
		}
	}
	return nil
}

func (s *Session) alterFeatureGroup(ctx context.Context, stmt *sql.AlterFeatureGroup) (string, error) {
	g := s.lookupGroup(stmt.Name)
	if g == nil {
		if stmt.IfExists {
			s.notify(pgerror.Notice(`feature group "%s" does not exist, skipping`, displayQualified(stmt.Name)))
			return "ALTER FEATURE GROUP", nil
		}
		return "", pgerror.New(pgerror.UndefinedTable, `feature group "%s" does not exist`, displayQualified(stmt.Name))
	}
	switch {
	case stmt.AddFeature != nil:
		f, err := featureFromDef(*stmt.AddFeature)
		if err != nil {
			return "", err
		}
		added, err := s.p.catalog.AddFeature(ctx, g.Schema, g.Name, f, stmt.AddIfNotExists)
		if err != nil {
			return "", err
		}
		if !added {
			s.notify(pgerror.Notice(`column "%s" of feature group "%s" already exists, skipping`, f.Name, g.Name))
		}
	case stmt.SetOptions != nil:
		if err := s.p.catalog.SetOptions(ctx, g.Schema, g.Name, stmt.SetOptions, stmt.OptionOrder); err != nil {
			return "", err
		}
		if cur := s.p.catalog.Lookup(g.Schema, g.Name); cur != nil {
			s.onlineOptionsChanged(ctx, g, cur)
		}
	case stmt.RenameFrom != "":
		if err := s.p.catalog.RenameFeature(ctx, g.Schema, g.Name, stmt.RenameFrom, stmt.RenameTo); err != nil {
			return "", err
		}
	default:
		return "", pgerror.New(pgerror.SyntaxError, "ALTER FEATURE GROUP needs ADD FEATURE, SET (...) or RENAME FEATURE")
	}
	return "ALTER FEATURE GROUP", nil
}

func (s *Session) dropFeatureGroup(ctx context.Context, stmt *sql.DropFeatureGroup) (string, error) {
	for _, n := range stmt.Names {
		g := s.lookupGroup(n)
		if g == nil {
			if stmt.IfExists {
				s.notify(pgerror.Notice(`feature group "%s" does not exist, skipping`, displayQualified(n)))
				continue
			}
			return "", pgerror.New(pgerror.UndefinedTable, `feature group "%s" does not exist`, displayQualified(n))
		}
		ns := ""
		if s.p.online != nil {
			ns = s.p.online.namespace(g)
		}
		if _, err := s.p.catalog.DropGroup(ctx, g.Schema, g.Name, false); err != nil {
			return "", err
		}
		if ns != "" {
			if err := s.p.online.store.DropNamespace(context.WithoutCancel(ctx), ns); err != nil {
				s.p.log.Warn("online: dropping a dropped group's records", "group", g.QualifiedName(), "err", err)
			}
		}
	}
	return "DROP FEATURE GROUP", nil
}

func (s *Session) alterFeature(ctx context.Context, stmt *sql.AlterFeature) (string, error) {
	g, err := s.mustGroup(stmt.Group)
	if err != nil {
		return "", err
	}
	switch {
	case stmt.Status != "":
		err = s.p.catalog.SetFeatureStatus(ctx, g.Schema, g.Name, stmt.Feature, stmt.Status)
	case stmt.Description != nil:
		err = s.p.catalog.SetFeatureDescription(ctx, g.Schema, g.Name, stmt.Feature, stmt.Description)
	case stmt.Check != nil:
		err = s.p.catalog.SetFeatureCheck(ctx, g.Schema, g.Name, stmt.Feature, *stmt.Check)
	case stmt.DropCheck:
		err = s.p.catalog.DropFeatureCheck(ctx, g.Schema, g.Name, stmt.Feature)
	case stmt.DataType != nil:
		err = s.setFeatureType(ctx, g, stmt.Feature, *stmt.DataType)
	case stmt.Mask != nil:
		err = s.p.catalog.SetFeatureMask(ctx, g.Schema, g.Name, stmt.Feature, *stmt.Mask)
	default:
		err = pgerror.New(pgerror.SyntaxError, "ALTER FEATURE needs SET STATUS, SET DESCRIPTION, SET CHECK, DROP CHECK, SET DATA TYPE, SET MASKED or DROP MASKED")
	}
	if err != nil {
		return "", err
	}
	return "ALTER FEATURE", nil
}

func (s *Session) commentOn(ctx context.Context, stmt *sql.CommentOn) (string, error) {
	g, err := s.mustGroup(stmt.Group)
	if err != nil {
		return "", err
	}
	if stmt.Feature == "" {
		err = s.p.catalog.SetGroupDescription(ctx, g.Schema, g.Name, stmt.Comment)
	} else {
		err = s.p.catalog.SetFeatureDescription(ctx, g.Schema, g.Name, stmt.Feature, stmt.Comment)
	}
	if err != nil {
		return "", err
	}
	return "COMMENT", nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
