package planner

import (
	"context"

	"github.com/featurehouse/featurehouse/catalog"
)

// onlineAfterTruncate is called once TRUNCATE of g has succeeded offline
// (inside or outside a transaction block): the group's online records go.
func (s *Session) onlineAfterTruncate(ctx context.Context, g *catalog.Group) error {
	return nil
}

// onlineAfterDelete is called once a DELETE on g has succeeded offline
// (inside or outside a transaction block) with the entity keys of the
// deleted rows, each in the group's entity-key order as DuckDB returned
// them: their online records are recomputed from what remains.
func (s *Session) onlineAfterDelete(ctx context.Context, g *catalog.Group, keys [][]any) error {
	return nil
}
