package online

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCacheStore(t *testing.T) {
	// A ttl shorter than the expiry test's wait: the cache keeps records at
	// most ttl, whatever their own expiry.
	testStore(t, func(t *testing.T) Store { return NewCache(NewMemory(), 100*time.Millisecond) })
	t.Run("no-ttl", func(t *testing.T) {
		testStore(t, func(t *testing.T) Store { return NewCache(NewMemory(), 0) })
	})
}

// clock is a settable time for the cache's ttl.
type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *clock) advance(d time.Duration) { c.t.Add(int64(d)) }

func newTestCache(ttl time.Duration, size int) (*Cache, *Memory, *clock) {
	mem := NewMemory()
	c := NewCacheSize(mem, ttl, size)
	clk := &clock{}
	clk.t.Store(time.Now().UnixNano())
	c.now = clk.now
	return c, mem, clk
}

func TestCacheServesWithinTTL(t *testing.T) {
	ctx := context.Background()
	c, mem, clk := newTestCache(time.Minute, 100)
	must(t, mem.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(1, 1, "a1")}}))
	got, hits, err := c.GetCounted(ctx, "ns", []string{"a", "missing"})
	must(t, err)
	if payload(got[0]) != "a1" || got[1] != nil || hits != 0 {
		t.Fatalf("first get: %q %q hits %d", got[0], got[1], hits)
	}
	// Written behind the cache's back: the cached record and the cached
	// absence are served until ttl.
	must(t, mem.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(2, 1, "a2")}, {Key: "missing", Value: rec(2, 1, "m")}}))
	clk.advance(59 * time.Second)
	got, hits, err = c.GetCounted(ctx, "ns", []string{"a", "missing", "a"})
	must(t, err)
	if payload(got[0]) != "a1" || got[1] != nil || payload(got[2]) != "a1" || hits != 3 {
		t.Fatalf("within ttl: %q %q %q hits %d", got[0], got[1], got[2], hits)
	}
	clk.advance(2 * time.Second)
	got, hits, err = c.GetCounted(ctx, "ns", []string{"a", "missing"})
	must(t, err)
	if payload(got[0]) != "a2" || payload(got[1]) != "m" || hits != 0 {
		t.Fatalf("after ttl: %q %q hits %d", got[0], got[1], hits)
	}
	if h, m := c.Stats(); h != 3 || m != 4 {
		t.Fatalf("stats: %d hits %d misses", h, m)
	}
	// Namespaces are separate.
	got, _ = c.Get(ctx, "other", []string{"a"})
	if got[0] != nil {
		t.Fatalf("other namespace: %q", got[0])
	}
}

func TestCacheWritesInvalidate(t *testing.T) {
	ctx := context.Background()
	c, mem, _ := newTestCache(time.Hour, 100)
	must(t, mem.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(1, 1, "a1")}, {Key: "b", Value: rec(1, 1, "b1")}}))
	get := func(keys ...string) []string {
		t.Helper()
		got, err := c.Get(ctx, "ns", keys)
		must(t, err)
		var s []string
		for _, g := range got {
			s = append(s, payload(g))
		}
		return s
	}
	get("a", "b", "c")
	must(t, c.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(2, 1, "a2")}, {Key: "c", Value: rec(2, 1, "c2")}}))
	if g := fmt.Sprint(get("a", "b", "c")); g != "[a2 b1 c2]" {
		t.Fatalf("after put: %s", g)
	}
	// A losing write invalidates too, and the store's record stays.
	must(t, c.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(0, 1, "old")}}))
	if g := fmt.Sprint(get("a")); g != "[a2]" {
		t.Fatalf("after losing put: %s", g)
	}
	must(t, c.Replace(ctx, "ns", []Entry{{Key: "a"}, {Key: "b", Value: rec(0, 0, "b0")}}))
	if g := fmt.Sprint(get("a", "b")); g != "[ b0]" {
		t.Fatalf("after replace: %s", g)
	}
	must(t, c.DropNamespace(ctx, "ns"))
	if g := fmt.Sprint(get("a", "b", "c")); g != "[  ]" {
		t.Fatalf("after drop: %s", g)
	}
	if c.Len() != 3 {
		t.Fatalf("cached entries after drop and get: %d", c.Len())
	}
}

func TestCacheWarm(t *testing.T) {
	ctx := context.Background()
	c, mem, _ := newTestCache(time.Hour, 100)
	must(t, mem.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(1, 1, "a1")}, {Key: "b", Value: rec(1, 1, "b1")}}))
	n, err := c.Warm(ctx, "ns", []string{"a", "b", "c"})
	must(t, err)
	if n != 2 {
		t.Fatalf("warm found %d", n)
	}
	got, hits, err := c.GetCounted(ctx, "ns", []string{"c", "b", "a"})
	must(t, err)
	if hits != 3 || payload(got[1]) != "b1" || payload(got[2]) != "a1" || got[0] != nil {
		t.Fatalf("after warm: hits %d %q", hits, got)
	}
	// Warming again reads the store again.
	must(t, mem.Put(ctx, "ns", []Entry{{Key: "c", Value: rec(1, 1, "c1")}}))
	if n, _ = c.Warm(ctx, "ns", []string{"a", "b", "c"}); n != 3 {
		t.Fatalf("second warm found %d", n)
	}
}

func TestCacheBounded(t *testing.T) {
	ctx := context.Background()
	c, mem, clk := newTestCache(time.Minute, 100)
	for i := range 1000 {
		k := fmt.Sprint(i)
		must(t, mem.Put(ctx, fmt.Sprint("ns", i%3), []Entry{{Key: k, Value: rec(1, 1, k)}}))
		got, err := c.Get(ctx, fmt.Sprint("ns", i%3), []string{k, "absent" + k})
		must(t, err)
		if payload(got[0]) != k || got[1] != nil {
			t.Fatalf("key %s: %q %q", k, got[0], got[1])
		}
		if c.Len() > 100 {
			t.Fatalf("%d entries, bound 100", c.Len())
		}
		if i%100 == 0 {
			clk.advance(10 * time.Second) // some entries expire, others not
		}
	}
	// A batch larger than the bound is answered whole.
	var keys []string
	for i := range 300 {
		keys = append(keys, fmt.Sprint(i*3))
	}
	got, err := c.Get(ctx, "ns0", keys)
	must(t, err)
	for i, k := range keys {
		if payload(got[i]) != k {
			t.Fatalf("large batch key %s: %q", k, got[i])
		}
	}
	if c.Len() > 100 {
		t.Fatalf("%d entries, bound 100", c.Len())
	}
}

// gatedStore holds a Get between reading the records and returning them,
// so that a write can slip in between.
type gatedStore struct {
	Store
	read, release chan struct{}
}

func (g *gatedStore) Get(ctx context.Context, ns string, keys []string) ([][]byte, error) {
	recs, err := g.Store.Get(ctx, ns, keys)
	if g.read != nil {
		g.read <- struct{}{}
		<-g.release
	}
	return recs, err
}

// A record read before a write and returned after it must not be cached:
// the writer would read its old value back until ttl.
func TestCacheNoStaleFill(t *testing.T) {
	ctx := context.Background()
	mem := NewMemory()
	g := &gatedStore{Store: mem, read: make(chan struct{}), release: make(chan struct{})}
	c := NewCache(g, time.Hour)
	must(t, mem.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(1, 1, "old")}}))
	done := make(chan []byte)
	go func() {
		got, _ := c.Get(ctx, "ns", []string{"a"})
		done <- got[0]
	}()
	<-g.read // the reader has the old record
	must(t, c.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(2, 1, "new")}}))
	close(g.release)
	if r := <-done; payload(r) != "old" {
		t.Fatalf("reader got %q", r)
	}
	g.read = nil
	got, err := c.Get(ctx, "ns", []string{"a"})
	must(t, err)
	if payload(got[0]) != "new" {
		t.Fatalf("after the write: %q (stale fill)", got[0])
	}
}

// Concurrent readers and writers: after a write returns, its writer never
// reads an older version.
func TestCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	c := NewCacheSize(NewMemory(), time.Hour, 50)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprint("k", w)
			for v := int64(1); v <= 300; v++ {
				if err := c.Put(ctx, "ns", []Entry{{Key: key, Value: rec(v, 0, fmt.Sprint(v))}}); err != nil {
					t.Error(err)
					return
				}
				got, err := c.Get(ctx, "ns", []string{key, "k0", "k1", "k2", "k3"})
				if err != nil {
					t.Error(err)
					return
				}
				if et, _, _ := ParseVersion(got[0]); et < v {
					t.Errorf("%s: wrote %d, read %d", key, v, et)
					return
				}
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				if _, err := c.Get(ctx, "ns", []string{fmt.Sprint("k", i%4), fmt.Sprint("x", i%97)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// The cache in front of Redis: the shape the server runs.
func TestCacheOverRedisKind(t *testing.T) {
	s, err := Open("redis://127.0.0.1:1", Options{Timeout: 100 * time.Millisecond})
	must(t, err)
	c := NewCache(s, time.Second)
	defer c.Close()
	if c.Kind() != "redis" || c.Nodes() != 1 {
		t.Fatalf("kind %s nodes %d", c.Kind(), c.Nodes())
	}
	if _, err := c.Get(context.Background(), "ns", []string{"a"}); err == nil {
		t.Fatal("get from a closed port succeeded")
	}
}
