package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/featurehouse/featurehouse/duckdb"
)

// onlineStateDDL is feature_store.online_state: per online group, the
// generation of its records in the online store (a REFRESH writes a new
// generation and switches to it; TRUNCATE switches to an empty one) and
// whether the online store missed writes that it must catch up with.
const onlineStateDDL = `CREATE TABLE IF NOT EXISTS feature_store.online_state (
	group_id BIGINT NOT NULL PRIMARY KEY,
	generation BIGINT NOT NULL,
	pending BOOLEAN NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`

// OnlineState is a group's state in the online store.
type OnlineState struct {
	Generation int64
	// Pending: a write reached the offline store but not the online store;
	// the group must be refreshed when the online store answers again.
	Pending bool
}

func (c *Catalog) loadOnlineState(ctx context.Context, conn *duckdb.Conn) error {
	if _, err := conn.Exec(ctx, onlineStateDDL); err != nil {
		return fmt.Errorf("catalog: create online_state: %w", err)
	}
	rows, err := conn.Query(ctx, `SELECT group_id, generation, pending FROM feature_store.online_state`)
	if err != nil {
		return fmt.Errorf("catalog: load online_state: %w", err)
	}
	defer rows.Close()
	c.online = map[int64]OnlineState{}
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("catalog: load online_state: %w", err)
		}
		c.online[r[0].(int64)] = OnlineState{Generation: r[1].(int64), Pending: r[2].(bool)}
	}
}

// OnlineState returns the group's online state (generation 0, not pending,
// for a group never written online).
func (c *Catalog) OnlineState(groupID int64) OnlineState {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.online[groupID]
}

// SetOnlineState stores the group's online state durably.
func (c *Catalog) SetOnlineState(ctx context.Context, groupID int64, st OnlineState) error {
	return c.change(ctx, func(conn *duckdb.Conn) error {
		_, err := conn.Exec(ctx, `INSERT OR REPLACE INTO feature_store.online_state (group_id, generation, pending, updated_at) VALUES (?, ?, ?, now())`,
			groupID, st.Generation, st.Pending)
		return err
	}, func() { c.online[groupID] = st })
}

// MarkOnlinePending records that the group missed online writes; it is a
// no-op when it is already marked.
func (c *Catalog) MarkOnlinePending(ctx context.Context, groupID int64) error {
	st := c.OnlineState(groupID)
	if st.Pending {
		return nil
	}
	st.Pending = true
	return c.SetOnlineState(ctx, groupID, st)
}
