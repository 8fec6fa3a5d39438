package planner

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/featurehouse/featurehouse/catalog"
)

// Serving routes in statistics.
const (
	RouteOnline   = "online"   // a lookup answered by the online store
	RouteFallback = "fallback" // a lookup answered by DuckDB because the store failed
	RouteWrite    = "write"    // records written to the online store
)

// ServingStat is one row of feature_store.serving_statistics: the serving
// figures of one group on one route since the server started.
type ServingStat struct {
	Schema, Group, Route string
	Requests             int64
	Keys                 int64 // entities asked for
	Found                int64 // entities answered
	CacheHits            int64
	Errors               int64
	P50, P95, P99        time.Duration
	LatencySum           time.Duration
}

// servingStats keeps ServingStat per group and route, with a latency
// histogram of ~5% wide buckets (from 1µs) for the percentiles.
type servingStats struct {
	mu sync.Mutex
	m  map[statKey]*statEntry
}

type statKey struct {
	schema, group, route string
}

type statEntry struct {
	requests, keys, found, hits, errors int64
	sum                                 time.Duration
	buckets                             []int64
}

const bucketGrowth = 1.05

func newServingStats() *servingStats { return &servingStats{m: map[statKey]*statEntry{}} }

func bucketOf(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	if us <= 1 {
		return 0
	}
	return int(math.Log(us)/math.Log(bucketGrowth)) + 1
}

func bucketUpper(i int) time.Duration {
	return time.Duration(math.Pow(bucketGrowth, float64(i)) * float64(time.Microsecond))
}

func (s *servingStats) entry(g *catalog.Group, route string) *statEntry {
	k := statKey{g.Schema, g.Name, route}
	e := s.m[k]
	if e == nil {
		e = &statEntry{}
		s.m[k] = e
	}
	return e
}

func (s *servingStats) observe(g *catalog.Group, route string, d time.Duration, keys, found, hits int, err error) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entry(g, route)
	e.requests++
	e.keys += int64(keys)
	e.found += int64(found)
	e.hits += int64(hits)
	if err != nil {
		e.errors++
	}
	e.sum += d
	b := bucketOf(d)
	if b >= len(e.buckets) {
		e.buckets = append(e.buckets, make([]int64, b+1-len(e.buckets))...)
	}
	e.buckets[b]++
}

func (s *servingStats) observeWrite(g *catalog.Group, d time.Duration, err error) {
	s.observe(g, RouteWrite, d, 0, 0, 0, err)
}

func (e *statEntry) percentile(p float64) time.Duration {
	if e.requests == 0 {
		return 0
	}
	target := int64(math.Ceil(p * float64(e.requests)))
	var seen int64
	for i, n := range e.buckets {
		seen += n
		if seen >= target {
			return bucketUpper(i)
		}
	}
	return bucketUpper(len(e.buckets) - 1)
}

func (s *servingStats) snapshot() []ServingStat {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ServingStat, 0, len(s.m))
	for k, e := range s.m {
		out = append(out, ServingStat{Schema: k.schema, Group: k.group, Route: k.route,
			Requests: e.requests, Keys: e.keys, Found: e.found, CacheHits: e.hits, Errors: e.errors,
			P50: e.percentile(0.50), P95: e.percentile(0.95), P99: e.percentile(0.99), LatencySum: e.sum})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Schema != b.Schema {
			return a.Schema < b.Schema
		}
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		return a.Route < b.Route
	})
	return out
}

// ServingStatistics returns the serving figures since the server started.
func (p *Planner) ServingStatistics() []ServingStat {
	if p.online == nil {
		return nil
	}
	return p.online.stats.snapshot()
}
