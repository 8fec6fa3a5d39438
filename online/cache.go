package online

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultCacheEntries is the size bound of a cache made by NewCache.
const DefaultCacheEntries = 100_000

// epochShards is the number of invalidation counters keys hash to.
const epochShards = 1024

// Cache is an in-process read cache in front of a Store, for the hot
// entities of a remote store: Get answers keys cached less than ttl ago
// (absent keys too) and fetches the others in one call. Writes through the
// cache invalidate the keys they touch before returning, so a client sees
// its own writes; writes by other processes show after at most ttl.
//
// A cached record is kept at most ttl whatever its own expiry, which the
// opaque record does not tell: readers check the expiry they encoded.
type Cache struct {
	s    Store
	ttl  time.Duration
	max  int
	now  func() time.Time
	seed maphash.Seed

	mu sync.RWMutex
	m  map[string]map[string]cacheEntry // ns -> key -> entry
	n  int                              // entries in m
	// epoch counts the invalidations of the keys hashing to each shard: a
	// Get does not cache what it fetched if one of its keys was written
	// meanwhile, since the store may have answered before the write.
	epoch [epochShards]uint64

	hits, misses atomic.Int64
}

type cacheEntry struct {
	value []byte // nil: the store has no record
	until int64  // unix nanoseconds after which it is not served
}

// NewCache puts a cache of at most DefaultCacheEntries records, each kept
// at most ttl, in front of s. A ttl <= 0 caches nothing.
func NewCache(s Store, ttl time.Duration) *Cache {
	return NewCacheSize(s, ttl, DefaultCacheEntries)
}

// NewCacheSize is NewCache with another size bound (at least 1).
func NewCacheSize(s Store, ttl time.Duration, maxEntries int) *Cache {
	return &Cache{
		s: s, ttl: ttl, max: max(maxEntries, 1), now: time.Now,
		seed: maphash.MakeSeed(), m: map[string]map[string]cacheEntry{},
	}
}

func (c *Cache) shard(ns, key string) int {
	var h maphash.Hash
	h.SetSeed(c.seed)
	_, _ = h.WriteString(ns)
	_ = h.WriteByte(0)
	_, _ = h.WriteString(key)
	return int(h.Sum64() % epochShards)
}

// Get implements Store.
func (c *Cache) Get(ctx context.Context, ns string, keys []string) ([][]byte, error) {
	out, _, err := c.GetCounted(ctx, ns, keys)
	return out, err
}

// GetCounted is Get that also says how many keys the cache answered.
func (c *Cache) GetCounted(ctx context.Context, ns string, keys []string) ([][]byte, int, error) {
	out := make([][]byte, len(keys))
	if c.ttl <= 0 {
		recs, err := c.s.Get(ctx, ns, keys)
		c.misses.Add(int64(len(keys)))
		return recs, 0, err
	}
	now := c.now().UnixNano()
	var miss []int
	c.mu.RLock()
	cached := c.m[ns]
	for i, k := range keys {
		if e, ok := cached[k]; ok && now < e.until {
			out[i] = e.value
			continue
		}
		miss = append(miss, i)
	}
	c.mu.RUnlock()
	hits := len(keys) - len(miss)
	c.hits.Add(int64(hits))
	if len(miss) == 0 {
		return out, hits, nil
	}
	c.misses.Add(int64(len(miss)))
	// Fetch each missing key once.
	var fetch []string
	pos := make(map[string]int, len(miss))
	for _, i := range miss {
		if _, ok := pos[keys[i]]; !ok {
			pos[keys[i]] = len(fetch)
			fetch = append(fetch, keys[i])
		}
	}
	recs, err := c.fetch(ctx, ns, fetch)
	if err != nil {
		return nil, hits, err
	}
	for _, i := range miss {
		out[i] = recs[pos[keys[i]]]
	}
	return out, hits, nil
}

// fetch reads keys from the store and caches what it read, unless a key
// was invalidated while the read was under way.
func (c *Cache) fetch(ctx context.Context, ns string, keys []string) ([][]byte, error) {
	shards := make([]int, len(keys))
	epochs := make([]uint64, len(keys))
	for i, k := range keys {
		shards[i] = c.shard(ns, k)
	}
	start := c.now()
	c.mu.RLock()
	for i, sh := range shards {
		epochs[i] = c.epoch[sh]
	}
	c.mu.RUnlock()
	recs, err := c.s.Get(ctx, ns, keys)
	if err != nil {
		return nil, err
	}
	until := start.Add(c.ttl).UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, k := range keys {
		if c.epoch[shards[i]] != epochs[i] {
			continue
		}
		m := c.m[ns]
		if m == nil {
			m = map[string]cacheEntry{}
			c.m[ns] = m
		}
		if _, ok := m[k]; !ok {
			c.makeRoom(start.UnixNano())
			if c.m[ns] == nil { // makeRoom may have emptied it
				c.m[ns] = m
			}
			c.n++
		}
		m[k] = cacheEntry{value: recs[i], until: until}
	}
	return recs, nil
}

// makeRoom keeps the cache under its bound: when full it drops the expired
// entries, then arbitrary ones, down to 7/8 of the bound, so that the cost
// is paid once per max/8 insertions. Called with mu held.
func (c *Cache) makeRoom(now int64) {
	if c.n < c.max {
		return
	}
	target := c.max - max(c.max/8, 1)
	for ns, m := range c.m {
		for k, e := range m {
			if now >= e.until {
				delete(m, k)
				c.n--
			}
		}
		if len(m) == 0 {
			delete(c.m, ns)
		}
	}
	for ns, m := range c.m {
		if c.n <= target {
			break
		}
		for k := range m {
			if c.n <= target {
				break
			}
			delete(m, k)
			c.n--
		}
		if len(m) == 0 {
			delete(c.m, ns)
		}
	}
}

// Warm loads the records of keys from the store into the cache (for
// PRECOMPUTE), in one call, and returns how many exist.
func (c *Cache) Warm(ctx context.Context, ns string, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	var recs [][]byte
	var err error
	if c.ttl <= 0 {
		recs, err = c.s.Get(ctx, ns, keys)
	} else {
		recs, err = c.fetch(ctx, ns, keys)
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range recs {
		if r != nil {
			n++
		}
	}
	return n, nil
}

// invalidate forgets the cached records of entries' keys. It runs after
// the store was written, whether the write succeeded or not (a failed
// batch may be partly applied).
func (c *Cache) invalidate(ns string, entries []Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.m[ns]
	for _, e := range entries {
		c.epoch[c.shard(ns, e.Key)]++
		if _, ok := m[e.Key]; ok {
			delete(m, e.Key)
			c.n--
		}
	}
	if m != nil && len(m) == 0 {
		delete(c.m, ns)
	}
}

// Put implements Store.
func (c *Cache) Put(ctx context.Context, ns string, entries []Entry) error {
	err := c.s.Put(ctx, ns, entries)
	c.invalidate(ns, entries)
	return err
}

// Replace implements Store.
func (c *Cache) Replace(ctx context.Context, ns string, entries []Entry) error {
	err := c.s.Replace(ctx, ns, entries)
	c.invalidate(ns, entries)
	return err
}

// DropNamespace implements Store.
func (c *Cache) DropNamespace(ctx context.Context, ns string) error {
	err := c.s.DropNamespace(ctx, ns)
	c.mu.Lock()
	c.n -= len(c.m[ns])
	delete(c.m, ns)
	for i := range c.epoch {
		c.epoch[i]++
	}
	c.mu.Unlock()
	return err
}

// Stats returns how many keys were answered from the cache and how many
// had to be read from the store.
func (c *Cache) Stats() (hits, misses int64) { return c.hits.Load(), c.misses.Load() }

// Len is the number of cached entries.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.n
}

// Ping implements Store.
func (c *Cache) Ping(ctx context.Context) error { return c.s.Ping(ctx) }

// Kind implements Store: the kind of the store behind the cache.
func (c *Cache) Kind() string { return c.s.Kind() }

// Nodes implements Store.
func (c *Cache) Nodes() int { return c.s.Nodes() }

// Close implements Store: it closes the store behind the cache.
func (c *Cache) Close() error { return c.s.Close() }
