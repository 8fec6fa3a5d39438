package planner

import (
	"context"
	"time"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/online"
)

// reconcileEvery is how often the reconciler retries groups whose online
// records missed writes while the store was unreachable.
const reconcileEvery = 2 * time.Second

// StartOnline prepares the online store and runs, until ctx ends, the
// reconciler that catches groups up after the store was unreachable. The
// embedded store starts empty: every online group is rebuilt from its
// offline data first. A store that is down at start does not stop the
// server: its groups are marked pending and caught up later.
func (p *Planner) StartOnline(ctx context.Context) error {
	o := p.online
	if o == nil {
		return nil
	}
	conn, err := p.engine.Connect(ctx)
	if err != nil {
		return err
	}
	// The embedded store starts empty; a Redis without our marker lost its
	// data (restarted without persistence, flushed) or is new to us.
	rebuildAll := o.store.Kind() == "memory" || !o.markerPresent(ctx)
	for _, g := range p.catalog.Groups() {
		if !onlineEligible(g) {
			continue
		}
		if !rebuildAll && !p.catalog.OnlineState(g.ID).Pending {
			continue
		}
		if err := o.exclusive(g, func() error { _, err := o.rebuild(ctx, conn, g); return err }); err != nil {
			p.log.Warn("online: rebuild at start failed; will retry", "group", g.QualifiedName(), "err", err)
			_ = p.catalog.MarkOnlinePending(ctx, g.ID)
		}
	}
	_ = conn.Close()
	o.setMarker(ctx)
	go o.reconcile(ctx, p)
	return nil
}

// The marker is a record the server keeps in the store: when it is gone
// while the store answers, the store lost its records and every online
// group is rebuilt.
const (
	markerNS  = "meta"
	markerKey = "marker"
)

func (o *onlineServer) markerPresent(ctx context.Context) bool {
	recs, err := o.store.Get(ctx, markerNS, []string{markerKey})
	return err == nil && len(recs) == 1 && recs[0] != nil
}

func (o *onlineServer) setMarker(ctx context.Context) {
	v := online.Version(0, 0)
	_ = o.store.Replace(ctx, markerNS, []online.Entry{{Key: markerKey, Value: v[:]}})
}

// checkMarker marks every online group pending when the store answers
// without the marker.
func (o *onlineServer) checkMarker(ctx context.Context, p *Planner) {
	recs, err := o.store.Get(ctx, markerNS, []string{markerKey})
	if err != nil || (len(recs) == 1 && recs[0] != nil) {
		return
	}
	p.log.Warn("online: the store lost its records (restarted without persistence?); rebuilding every online group")
	for _, g := range p.catalog.Groups() {
		if onlineEligible(g) {
			_ = p.catalog.MarkOnlinePending(ctx, g.ID)
		}
	}
	o.setMarker(ctx)
}

// reconcile refreshes pending groups once the store answers.
func (o *onlineServer) reconcile(ctx context.Context, p *Planner) {
	t := time.NewTicker(reconcileEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-o.wake:
			// A write just failed: give the store a moment before retrying.
			select {
			case <-ctx.Done():
				return
			case <-time.After(reconcileEvery):
			}
		}
		if o.store.Kind() != "memory" {
			o.checkMarker(ctx, p)
		}
		var pending []int64
		for _, g := range p.catalog.Groups() {
			if onlineEligible(g) && p.catalog.OnlineState(g.ID).Pending {
				pending = append(pending, g.ID)
			}
		}
		if len(pending) == 0 || o.store.Ping(ctx) != nil {
			continue
		}
		conn, err := p.engine.Connect(ctx)
		if err != nil {
			continue
		}
		for _, g := range p.catalog.Groups() {
			if !onlineEligible(g) || !p.catalog.OnlineState(g.ID).Pending {
				continue
			}
			n, err := o.refresh(ctx, conn, g)
			if err != nil {
				p.log.Warn("online: catching up failed; will retry", "group", g.QualifiedName(), "err", err)
				break
			}
			p.log.Info("online: caught up", "group", g.QualifiedName(), "records", n)
		}
		_ = conn.Close()
	}
}

// refresh rebuilds the group's records under its exclusive lock.
func (o *onlineServer) refresh(ctx context.Context, conn *duckdb.Conn, g *catalog.Group) (n int64, err error) {
	err = o.exclusive(g, func() error {
		n, err = o.rebuild(ctx, conn, g)
		return err
	})
	return n, err
}
