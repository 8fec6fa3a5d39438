package planner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// ERASE FROM g [WHERE cond] is the right to be forgotten: a DELETE of the
// group's rows (Parquet copy-on-write, unflushed rows, online records) that
// also rewrites every snapshot of the group holding matching rows, records
// the erasure on each, and deletes from disk every file that held them
// (those no snapshot or version needs any more), all before it returns.
// It commits on its own, like VACUUM.

func (p *groupDelete) erase(ctx context.Context, args []any) (any, error) {
	s := p.s
	if s.inTxn() {
		return nil, pgerror.New(pgerror.ActiveSQLTransaction, "ERASE cannot run inside a transaction block")
	}
	snaps, err := s.p.catalog.Snapshots(ctx, p.g.ID)
	if err != nil {
		return nil, err
	}
	ch, err := s.conn.BeginGroupChange(ctx, []int64{p.g.ID}, false)
	if err != nil {
		return nil, err
	}
	g := p.g
	if cur := s.p.catalog.Lookup(g.Schema, g.Name); cur != nil && cur.ID == g.ID {
		g = cur
	}
	layout := g.Layout()
	var res duckdb.DeleteResult
	var obsolete []string
	var garbage duckdb.Garbage
	perSnap := map[string]int64{}
	total := int64(0)
	err = func() error {
		var err error
		if res, err = ch.Delete(ctx, &layout, p.match, args); err != nil {
			return err
		}
		total = res.Rows
		note := fmt.Sprintf("%s by %s: %s", time.Now().UTC().Format("2006-01-02 15:04:05Z"), s.currentRole(), strings.TrimSpace(p.q.Original))
		for _, snap := range snaps {
			n, obs, err := ch.EraseFromSnapshot(ctx, &snap.Layout, snap.ID, p.match, args)
			if err != nil {
				return fmt.Errorf("erase from snapshot %s: %w", snap.Name, err)
			}
			obsolete = append(obsolete, obs...)
			if n == 0 {
				continue
			}
			perSnap[snap.Name] = n
			total += n
			if err := catalog.RecordErasure(ctx, s.conn, snap.ID, fmt.Sprintf("%s (%d rows)", note, n), n); err != nil {
				return err
			}
		}
		garbage, err = ch.DropGarbage(ctx, &layout)
		return err
	}()
	if err := ch.Finish(ctx, err); err != nil {
		return nil, decorateError(err, p.q)
	}
	s.p.engine.RemoveFiles(append(garbage.Paths(), obsolete...))
	for _, snap := range snaps {
		if n := perSnap[snap.Name]; n > 0 {
			s.notify(pgerror.Notice("erased %d rows from snapshot %s", n, snap.Name))
		}
	}
	if res.Rows > 0 {
		if err := statementError(s.onlineAfterDelete(ctx, g, res.Keys)); err != nil {
			return nil, err
		}
	}
	return &CommandResult{Tag: fmt.Sprintf("ERASE %d", total)}, nil
}
