package planner

import (
	"context"
	"fmt"
	"strings"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Snapshots: CREATE SNAPSHOT s OF g pins the group's files and schema
// (catalog.CreateSnapshot), `g VERSION 's'` reads them through the
// snapshot's own view, DROP SNAPSHOT lets them go. ERASE (erase.go) is the
// one change that reaches into a snapshot.

func (s *Session) createSnapshot(ctx context.Context, stmt *sql.CreateSnapshot) (string, error) {
	desc := ""
	for _, k := range stmt.OptionOrder {
		switch k {
		case "description":
			desc = stmt.Options[k]
		default:
			return "", pgerror.New(pgerror.InvalidParameterValue, `unrecognized snapshot option "%s"`, k).
				WithHint("The only option of CREATE SNAPSHOT is description.")
		}
	}
	g, err := s.mustGroup(stmt.Group)
	if err != nil {
		return "", err
	}
	created, err := s.p.catalog.CreateSnapshot(ctx, stmt.Name, g.Schema, g.Name, desc, s.currentRole(), stmt.IfNotExists)
	if err != nil {
		return "", err
	}
	if !created {
		s.notify(pgerror.Notice(`snapshot "%s" already exists, skipping`, stmt.Name))
	}
	return "CREATE SNAPSHOT", nil
}

func (s *Session) dropSnapshot(ctx context.Context, stmt *sql.DropSnapshot) (string, error) {
	var snaps []*catalog.Snapshot
	for _, n := range stmt.Names {
		snap, err := s.p.catalog.Snapshot(ctx, n)
		if err != nil {
			return "", err
		}
		if snap == nil {
			if stmt.IfExists {
				s.notify(pgerror.Notice(`snapshot "%s" does not exist, skipping`, n))
				continue
			}
			return "", pgerror.New(pgerror.UndefinedObject, `snapshot "%s" does not exist`, n)
		}
		snaps = append(snaps, snap)
	}
	if len(snaps) > 0 {
		if err := s.p.catalog.DropSnapshots(ctx, snaps); err != nil {
			return "", err
		}
	}
	return "DROP SNAPSHOT", nil
}

// dropGroupSnapshots refuses DROP FEATURE GROUP while snapshots of a group
// exist (PostgreSQL's 2BP01, as for dependent views), or drops them first
// with CASCADE.
func (s *Session) dropGroupSnapshots(ctx context.Context, stmt *sql.DropFeatureGroup) error {
	var snaps []*catalog.Snapshot
	var lines []string
	var root *catalog.Group
	for _, n := range stmt.Names {
		g := s.lookupGroup(n)
		if g == nil {
			continue
		}
		list, err := s.p.catalog.Snapshots(ctx, g.ID)
		if err != nil {
			return err
		}
		for _, snap := range list {
			if root == nil {
				root = g
			}
			snaps = append(snaps, snap)
			lines = append(lines, fmt.Sprintf("snapshot %s depends on %s", snap.Name, fvObject{"feature group", g.Schema, g.Name}))
		}
	}
	if len(snaps) == 0 {
		return nil
	}
	if !stmt.Cascade {
		return pgerror.New(pgerror.DependentObjectsStillExist, "cannot drop %s because other objects depend on it", fvObject{"feature group", root.Schema, root.Name}).
			WithDetail("%s", strings.Join(lines, "\n")).
			WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
	}
	if len(snaps) == 1 {
		s.notify(pgerror.Notice("drop cascades to snapshot %s", snaps[0].Name))
	} else {
		detail := make([]string, len(snaps))
		for i, snap := range snaps {
			detail[i] = "drop cascades to snapshot " + snap.Name
		}
		s.notify(pgerror.Notice("drop cascades to %d other objects", len(snaps)).WithDetail("%s", strings.Join(detail, "\n")))
	}
	return s.p.catalog.DropSnapshots(ctx, snaps)
}

// versionEdits turns each `g VERSION 's' [alias]` into the snapshot's rows
// with the columns the group had when it was taken.
func (s *Session) versionEdits(ctx context.Context, q *sql.Query) ([]edit, error) {
	var edits []edit
	for _, v := range q.Versions {
		g := s.lookupGroup(v.Relation)
		if g == nil {
			return nil, pgerror.New(pgerror.UndefinedTable, `feature group "%s" does not exist`, displayQualified(v.Relation)).
				WithHint("VERSION reads snapshots of feature groups.")
		}
		snap, err := s.p.catalog.Snapshot(ctx, v.Snapshot)
		if err != nil {
			return nil, err
		}
		if snap == nil || snap.GroupID != g.ID {
			e := pgerror.New(pgerror.UndefinedObject, `snapshot "%s" of feature group "%s" does not exist`, v.Snapshot, g.Name).
				WithPosition(v.Position + q.Offset)
			if snap != nil {
				e = e.WithHint(`Snapshot "%s" is of feature group "%s".`, snap.Name, snap.Group)
			}
			return nil, e
		}
		cols := make([]string, len(snap.Columns))
		for i, c := range snap.Columns {
			cols[i] = quoteIdent(c)
		}
		alias := v.Alias
		if alias == "" {
			alias = v.Relation.Name
		}
		edits = append(edits, edit{start: v.Start, end: v.End,
			text: "(SELECT " + strings.Join(cols, ", ") + " FROM " + s.maskedSnapshot(g, snap.Columns, snap.View()) + ") AS " + quoteIdent(alias)})
	}
	return edits, nil
}
