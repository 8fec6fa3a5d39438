package online

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Memory is the embedded store (memory://): records in process, in shards
// so that concurrent lookups rarely share a lock. It is empty at start; the
// planner rebuilds it from the offline data.
type Memory struct {
	seed   maphash.Seed
	shards [64]memShard
	now    func() time.Time
}

type memShard struct {
	mu sync.RWMutex
	m  map[string]memRecord // ns + "\x00" + key
}

type memRecord struct {
	value    []byte
	expireAt int64 // unix nanoseconds; 0 never
}

// NewMemory makes an empty embedded store.
func NewMemory() *Memory {
	m := &Memory{seed: maphash.MakeSeed(), now: time.Now}
	for i := range m.shards {
		m.shards[i].m = map[string]memRecord{}
	}
	return m
}

func (m *Memory) shard(k string) *memShard {
	return &m.shards[maphash.String(m.seed, k)%uint64(len(m.shards))]
}

func memKey(ns, key string) string { return ns + "\x00" + key }

func expiry(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func (r memRecord) live(now int64) bool { return r.expireAt == 0 || now < r.expireAt }

// Put implements Store.
func (m *Memory) Put(ctx context.Context, ns string, entries []Entry) error {
	now := m.now().UnixNano()
	for _, e := range entries {
		k := memKey(ns, e.Key)
		exp := expiry(e.ExpireAt)
		if exp != 0 && exp <= now {
			continue // already expired: as Redis with PXAT in the past
		}
		sh := m.shard(k)
		sh.mu.Lock()
		cur, ok := sh.m[k]
		if !ok || !cur.live(now) || Newer(e.Value, cur.value) {
			sh.m[k] = memRecord{value: append([]byte(nil), e.Value...), expireAt: exp}
		}
		sh.mu.Unlock()
	}
	return ctx.Err()
}

// Replace implements Store.
func (m *Memory) Replace(ctx context.Context, ns string, entries []Entry) error {
	now := m.now().UnixNano()
	for _, e := range entries {
		k := memKey(ns, e.Key)
		sh := m.shard(k)
		exp := expiry(e.ExpireAt)
		sh.mu.Lock()
		if e.Value == nil || (exp != 0 && exp <= now) {
			delete(sh.m, k)
		} else {
			sh.m[k] = memRecord{value: append([]byte(nil), e.Value...), expireAt: exp}
		}
		sh.mu.Unlock()
	}
	return ctx.Err()
}

// Get implements Store. The returned slices are the store's: callers must
// not modify them.
func (m *Memory) Get(ctx context.Context, ns string, keys []string) ([][]byte, error) {
	now := m.now().UnixNano()
	out := make([][]byte, len(keys))
	for i, key := range keys {
		k := memKey(ns, key)
		sh := m.shard(k)
		sh.mu.RLock()
		r, ok := sh.m[k]
		sh.mu.RUnlock()
		if ok && r.live(now) {
			out[i] = r.value
		}
	}
	return out, ctx.Err()
}

// DropNamespace implements Store.
func (m *Memory) DropNamespace(ctx context.Context, ns string) error {
	prefix := ns + "\x00"
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		for k := range sh.m {
			if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
	return ctx.Err()
}

// Ping implements Store.
func (m *Memory) Ping(ctx context.Context) error { return ctx.Err() }

// Kind implements Store.
func (m *Memory) Kind() string { return "memory" }

// Nodes implements Store.
func (m *Memory) Nodes() int { return 1 }

// Close implements Store.
func (m *Memory) Close() error { return nil }
