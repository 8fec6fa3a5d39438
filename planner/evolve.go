package planner

import (
	"context"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/online"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// setFeatureType is ALTER FEATURE g.f SET DATA TYPE t. An online group's
// records hold values of the old type: they are rebuilt into a new
// generation before the new type is visible, holding the group's online
// lock so that no write puts a record into the old generation meanwhile.
func (s *Session) setFeatureType(ctx context.Context, g *catalog.Group, feature string, t sql.TypeName) error {
	duck, display, err := duckdbType(t)
	if err != nil {
		return err
	}
	var rebuild catalog.OnlineRebuild
	o := s.p.online
	if o != nil && onlineEligible(g) {
		l := o.lock(g.ID)
		l.Lock()
		defer l.Unlock()
		rebuild = o.build
	}
	changed, sw, err := s.p.catalog.SetFeatureType(ctx, g.Schema, g.Name, feature, display, duck, rebuild)
	if err != nil || !changed {
		return err
	}
	switch {
	case sw.Rebuilt:
		if err := o.store.DropNamespace(context.WithoutCancel(ctx), namespaceOf(g.ID, sw.OldGeneration)); err != nil {
			s.p.log.Warn("online: dropping records of the old type", "group", g.QualifiedName(), "err", err)
		}
	case sw.Err != nil:
		s.p.log.Warn("online: rebuilding records after a type change failed; the group will be refreshed when the store answers",
			"group", g.QualifiedName(), "err", sw.Err)
		s.notify(&pgerror.Error{Severity: "WARNING", Code: pgerror.FDWUnableToEstablishConnection,
			Message: "the type of feature \"" + g.Name + "." + feature + "\" changed, but its online records could not be rebuilt: " + sw.Err.Error(),
			Hint:    "The online store catches up by itself when it answers again (or run REFRESH ONLINE " + g.Name + ")."})
		o.poke()
	}
	return nil
}

// build writes g's records, read from its offline data, into the
// namespace of generation (emptied first: a failed earlier attempt may
// have left records there). The caller switches to it.
func (o *onlineServer) build(ctx context.Context, g *catalog.Group, generation int64) error {
	conn, err := o.engine.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	ns := namespaceOf(g.ID, generation)
	if err := o.store.DropNamespace(ctx, ns); err != nil {
		return err
	}
	layout := g.Layout()
	err = readEntries(ctx, conn, g, "SELECT * FROM "+layout.AllRowsView(), func(es []online.Entry) error {
		return o.store.Put(ctx, ns, es)
	})
	if err != nil {
		_ = o.store.DropNamespace(context.WithoutCancel(ctx), ns)
	}
	return err
}
