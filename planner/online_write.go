package planner

import (
	"context"
	"time"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/online"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// onlineOp is an online change a transaction makes visible at COMMIT.
type onlineOp struct {
	g        *catalog.Group
	entries  []online.Entry // records to put (write-if-newer)
	truncate bool           // the group's records all go
	deleted  []string       // entity keys whose records are recomputed
}

// groupWrite runs commit (a CommitStage into g) with the online write
// path: outside a transaction the group's latest rows go to the online
// store before it returns; inside one they wait for COMMIT.
func (s *Session) groupWrite(ctx context.Context, g *catalog.Group, opt *duckdb.WriteOptions, commit func() (int64, error)) (int64, error) {
	o := s.p.online
	if o == nil || !onlineEligible(g) {
		return commit()
	}
	if s.inTxn() {
		var entries []online.Entry
		var readErr error
		opt.Stored = func(ctx context.Context, selectSQL string) {
			readErr = readEntries(ctx, s.conn, g, selectSQL, func(es []online.Entry) error {
				entries = append(entries, es...)
				return nil
			})
		}
		n, err := commit()
		if err != nil {
			return 0, err
		}
		if readErr != nil {
			// The rows are stored; the online store catches up on them.
			s.p.log.Warn("online: reading written rows", "group", g.QualifiedName(), "err", readErr)
			s.onlineMissed = append(s.onlineMissed, g)
			return n, nil
		}
		s.pendingOnline = append(s.pendingOnline, onlineOp{g: g, entries: entries})
		return n, nil
	}
	l := o.lock(g.ID)
	l.RLock()
	defer l.RUnlock()
	var putErr error
	var keys []string // entities written, for the online views of g
	views := len(s.onlineViewsOf(g)) > 0
	noteKeys := func(es []online.Entry) {
		if views {
			for _, e := range es {
				keys = append(keys, e.Key)
			}
		}
	}
	opt.Stored = func(ctx context.Context, selectSQL string) {
		putErr = readEntries(ctx, s.conn, g, selectSQL, func(es []online.Entry) error {
			noteKeys(es)
			return o.put(ctx, g, es)
		})
	}
	// A direct INSERT ... VALUES hands over its rows: no query to read them.
	opt.StoredRows = func(ctx context.Context, rows [][]any, seq int64, _ time.Time) bool {
		es, ok := latestEntries(g, rows, seq)
		if ok {
			noteKeys(es)
			putErr = o.put(ctx, g, es)
		}
		return ok
	}
	n, err := commit()
	if err != nil {
		return 0, err
	}
	if putErr != nil {
		s.onlineWriteFailed(ctx, g, putErr)
	}
	s.onlineViewsAfter(ctx, g, keys, false) // committed: the views read it
	return n, nil
}

// onlineWriteFailed keeps the offline commit, tells the client, and marks
// the group for catching up.
func (s *Session) onlineWriteFailed(ctx context.Context, g *catalog.Group, err error) {
	o := s.p.online
	s.p.log.Warn("online: write failed; the group will be refreshed when the store answers", "group", g.QualifiedName(), "err", err)
	if merr := o.catalog.MarkOnlinePending(context.WithoutCancel(ctx), g.ID); merr != nil {
		s.p.log.Error("online: marking group pending", "group", g.QualifiedName(), "err", merr)
	}
	s.notify(&pgerror.Error{Severity: "WARNING", Code: pgerror.FDWUnableToEstablishConnection,
		Message: "the write to feature group \"" + g.Name + "\" is stored offline but did not reach the online store: " + err.Error(),
		Hint:    "The online store catches up by itself when it answers again (or run REFRESH ONLINE " + g.Name + ")."})
	o.poke()
}

// onlineLocks takes, before a transaction's COMMIT, the locks of the groups
// its online changes touch: shared for writes, exclusive for TRUNCATE and
// DELETE. The returned function releases them.
func (s *Session) onlineLocks() func() {
	o := s.p.online
	if o == nil || len(s.pendingOnline) == 0 {
		return func() {}
	}
	exclusive := map[int64]bool{}
	groups := map[int64]bool{}
	for _, op := range s.pendingOnline {
		groups[op.g.ID] = true
		if op.truncate || op.deleted != nil {
			exclusive[op.g.ID] = true
		}
	}
	var unlocks []func()
	for id := range groups {
		l := o.lock(id)
		if exclusive[id] {
			l.Lock()
			unlocks = append(unlocks, l.Unlock)
		} else {
			l.RLock()
			unlocks = append(unlocks, l.RUnlock)
		}
	}
	return func() {
		for _, u := range unlocks {
			u()
		}
	}
}

// applyOnline makes a committed transaction's online changes, in order.
func (s *Session) applyOnline(ctx context.Context) {
	ops, missed := s.pendingOnline, s.onlineMissed
	s.pendingOnline, s.onlineMissed = nil, nil
	o := s.p.online
	if o == nil {
		return
	}
	for _, g := range missed {
		s.onlineWriteFailed(ctx, g, errMissedRows)
	}
	failed := map[int64]bool{}
	for _, op := range ops {
		if failed[op.g.ID] {
			continue
		}
		var err error
		switch {
		case op.truncate:
			_, err = o.rebuild(ctx, s.conn, op.g)
			s.onlineViewsAfter(ctx, op.g, nil, true)
		case op.deleted != nil:
			err = o.recompute(ctx, s.conn, op.g, op.deleted)
			s.onlineViewsAfter(ctx, op.g, op.deleted, false)
		default:
			for i := 0; i < len(op.entries) && err == nil; i += recordBatch {
				err = o.put(ctx, op.g, op.entries[i:min(i+recordBatch, len(op.entries))])
			}
			keys := make([]string, len(op.entries))
			for i, e := range op.entries {
				keys[i] = e.Key
			}
			s.onlineViewsAfter(ctx, op.g, keys, false)
		}
		if err != nil {
			failed[op.g.ID] = true
			s.onlineWriteFailed(ctx, op.g, err)
		}
	}
}

// discardOnline forgets a rolled-back transaction's online changes.
func (s *Session) discardOnline() { s.pendingOnline, s.onlineMissed = nil, nil }

var errMissedRows = pgerror.New(pgerror.InternalError, "the written rows could not be read back for the online store")

// exclusive runs fn holding the group's lock exclusively (TRUNCATE, DELETE
// and REFRESH outside a transaction).
func (o *onlineServer) exclusive(g *catalog.Group, fn func() error) error {
	l := o.lock(g.ID)
	l.Lock()
	defer l.Unlock()
	return fn()
}

// poke wakes the reconciler.
func (o *onlineServer) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}
