package planner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// onlineGroup resolves the group of REFRESH ONLINE / PRECOMPUTE.
func (s *Session) onlineGroup(name sql.QualifiedName) (*catalog.Group, error) {
	g := s.lookupGroup(name)
	if g == nil {
		return nil, pgerror.New(pgerror.UndefinedTable, `feature group "%s" does not exist`, displayQualified(name))
	}
	if !g.Online {
		return nil, pgerror.New(pgerror.ObjectNotInPrerequisiteState, `feature group "%s" is not online`, g.Name).
			WithHint("ALTER FEATURE GROUP %s SET (online = true) keeps its latest values in the online store.", g.Name)
	}
	if s.p.online == nil {
		return nil, pgerror.New(pgerror.ObjectNotInPrerequisiteState, "no online store is configured")
	}
	if !onlineEligible(g) {
		return nil, pgerror.New(pgerror.FeatureNotSupported, `feature group "%s" has an entity key type the online store cannot key`, g.Name).
			WithHint("Online entity keys are text, integer or uuid columns.")
	}
	return g, nil
}

// refreshOnline is REFRESH ONLINE g: rebuild the group's online records
// from its offline data (a new generation replaces the old one at once).
func (s *Session) refreshOnline(ctx context.Context, st *sql.RefreshOnline) (string, error) {
	if v := s.lookupFeatureView(st.Name); v != nil && v.Online && s.p.online != nil {
		vs, err := s.viewServingFor(ctx, v)
		if err != nil {
			return "", err
		}
		vs.mu.Lock()
		defer vs.mu.Unlock()
		if err := s.rebuildView(ctx, vs); err != nil {
			return "", unavailable(err)
		}
		return "REFRESH ONLINE", nil
	}
	g, err := s.onlineGroup(st.Name)
	if err != nil {
		return "", err
	}
	n, err := s.p.online.refresh(ctx, s.conn, g)
	if err == nil {
		s.onlineViewsAfter(ctx, g, nil, true)
	}
	if err != nil {
		if pe, ok := err.(*pgerror.Error); ok {
			return "", pe
		}
		return "", unavailable(err)
	}
	return fmt.Sprintf("REFRESH ONLINE %d", n), nil
}

// warmer is a store with a serving cache that can be warmed.
type warmer interface {
	Warm(ctx context.Context, ns string, keys []string) (int, error)
}

// precompute is PRECOMPUTE g [WHERE cond]: the current records of the
// entities matching cond are loaded into the serving cache.
func (s *Session) precompute(ctx context.Context, st *sql.Precompute) (string, error) {
	g, err := s.onlineGroup(st.Name)
	if err != nil {
		return "", err
	}
	o := s.p.online
	w, ok := o.store.(warmer)
	if !ok {
		s.notify(&pgerror.Error{Severity: "NOTICE", Code: pgerror.SuccessfulCompletion,
			Message: "the " + o.store.Kind() + " online store has no serving cache to warm: its records are served from memory already"})
		return "PRECOMPUTE 0", nil
	}
	var keyCols, keyTypes []string
	for _, f := range g.Features {
		if f.EntityKey {
			keyCols = append(keyCols, quoteIdent(f.Name))
			keyTypes = append(keyTypes, f.DuckDBType)
		}
	}
	q := "SELECT DISTINCT " + strings.Join(keyCols, ", ") + " FROM (" + asOfSQL(g, "now()") + ") AS " + quoteIdent(g.Name)
	if st.Where != "" {
		q += " WHERE " + st.Where
	}
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		return "", err
	}
	var keys []string
	parts := make([]string, len(keyTypes))
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rows.Close()
			return "", err
		}
		for i := range keyTypes {
			if parts[i], err = canonicalKeyPart(keyTypes[i], r[i]); err != nil {
				rows.Close()
				return "", err
			}
		}
		keys = append(keys, entityKey(parts))
	}
	rows.Close()
	total := 0
	for i := 0; i < len(keys); i += recordBatch {
		n, err := w.Warm(ctx, o.namespace(g), keys[i:min(i+recordBatch, len(keys))])
		if err != nil {
			return "", unavailable(err)
		}
		total += n
	}
	return fmt.Sprintf("PRECOMPUTE %d", total), nil
}

// onlineOptionsChanged follows ALTER FEATURE GROUP ... SET (online, ttl):
// a group that becomes online, or whose ttl changes, is rebuilt (its
// records carry their expiry); one that goes offline loses its records.
func (s *Session) onlineOptionsChanged(ctx context.Context, before, after *catalog.Group) {
	o := s.p.online
	if o == nil || (before.Online == after.Online && before.TTL == after.TTL) {
		return
	}
	if !after.Online {
		if err := o.store.DropNamespace(context.WithoutCancel(ctx), o.namespace(before)); err != nil {
			s.p.log.Warn("online: dropping the records of a group that went offline", "group", after.QualifiedName(), "err", err)
		}
		return
	}
	if !onlineEligible(after) {
		return
	}
	if _, err := o.refresh(ctx, s.conn, after); err != nil {
		s.onlineWriteFailed(ctx, after, err)
	}
}
