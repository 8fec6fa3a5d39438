package planner

import (
	"context"

	"github.com/featurehouse/featurehouse/catalog"
)

// onlineAfterTruncate is called once TRUNCATE of g has succeeded offline
// (inside or outside a transaction block): the group's online records go
// (a new, rebuilt generation replaces them).
func (s *Session) onlineAfterTruncate(ctx context.Context, g *catalog.Group) error {
	o := s.p.online
	if o == nil || !onlineEligible(g) {
		return nil
	}
	if s.inTxn() {
		s.pendingOnline = append(s.pendingOnline, onlineOp{g: g, truncate: true})
		return nil
	}
	if err := o.exclusive(g, func() error { _, err := o.rebuild(ctx, s.conn, g); return err }); err != nil {
		s.onlineWriteFailed(ctx, g, err)
	}
	s.onlineViewsAfter(ctx, g, nil, true)
	return nil
}

// onlineAfterDelete is called once a DELETE on g has succeeded offline
// (inside or outside a transaction block) with the entity keys of the
// deleted rows, each in the group's entity-key order as DuckDB returned
// them: their online records are recomputed from what remains.
func (s *Session) onlineAfterDelete(ctx context.Context, g *catalog.Group, keys [][]any) error {
	o := s.p.online
	if o == nil || !onlineEligible(g) || len(keys) == 0 {
		return nil
	}
	var keyTypes []string
	for _, f := range g.Features {
		if f.EntityKey {
			keyTypes = append(keyTypes, f.DuckDBType)
		}
	}
	canon := make([]string, 0, len(keys))
	parts := make([]string, len(keyTypes))
	for _, k := range keys {
		if len(k) != len(keyTypes) {
			continue
		}
		ok := true
		for i := range k {
			var err error
			if parts[i], err = canonicalKeyPart(keyTypes[i], k[i]); err != nil {
				ok = false
				break
			}
		}
		if ok {
			canon = append(canon, entityKey(parts))
		}
	}
	if s.inTxn() {
		s.pendingOnline = append(s.pendingOnline, onlineOp{g: g, deleted: canon})
		return nil
	}
	if err := o.exclusive(g, func() error { return o.recompute(ctx, s.conn, g, canon) }); err != nil {
		s.onlineWriteFailed(ctx, g, err)
	}
	s.onlineViewsAfter(ctx, g, canon, false)
	return nil
}
