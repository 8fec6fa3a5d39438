package online

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/featurehouse/featurehouse/internal/redistest"
	"github.com/redis/go-redis/v9"
)

func openT(t *testing.T, uri string, opt Options) Store {
	t.Helper()
	s, err := Open(uri, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestRedisStore(t *testing.T) {
	addr, _, _ := redistest.StartRedis(t)
	testStore(t, func(t *testing.T) Store {
		s := openT(t, "redis://"+addr+"/0", Options{})
		if s.Kind() != "redis" || s.Nodes() != 1 {
			t.Fatalf("kind %s nodes %d", s.Kind(), s.Nodes())
		}
		return s
	})
}

func TestRedisClusterStore(t *testing.T) {
	addrs := redistest.StartCluster(t)
	uris := map[string]string{
		"cluster-scheme": "redis+cluster://" + strings.Join(addrs, ","),
		"seed-list":      strings.Join(addrs, ","),
		"uri-list":       "redis://" + addrs[0] + ",redis://" + addrs[1],
	}
	// Before the masters are counted, Nodes answers the seed count without
	// blocking; then the count.
	s := openT(t, uris["uri-list"], Options{})
	if n := s.Nodes(); n != 2 && n != 3 {
		t.Fatalf("nodes before ping: %d", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Nodes() != 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.Nodes() != 3 {
		t.Fatalf("nodes: %d", s.Nodes())
	}
	for name, uri := range uris {
		t.Run(name, func(t *testing.T) {
			testStore(t, func(t *testing.T) Store {
				s := openT(t, uri, Options{})
				must(t, s.Ping(context.Background()))
				if s.Kind() != "redis-cluster" || s.Nodes() != 3 {
					t.Fatalf("kind %s nodes %d", s.Kind(), s.Nodes())
				}
				return s
			})
		})
	}
}

// A large batch on a cluster spans many slots and every node; write-if-newer
// holds per key, and a lookup returns the keys in order.
func TestRedisClusterLargeBatch(t *testing.T) {
	addrs := redistest.StartCluster(t)
	ctx := context.Background()
	s := openT(t, "redis+cluster://"+strings.Join(addrs, ","), Options{})
	ns := "big"
	const n = 5000
	var es []Entry
	var keys []string
	slots := map[int]bool{}
	for i := range n {
		k := fmt.Sprintf("e{%d}x%d", i%7, i) // some keys share a hash tag, so a slot
		if i%2 == 0 {
			k = fmt.Sprintf("entity-%d", i)
		}
		keys = append(keys, k)
		es = append(es, Entry{Key: k, Value: rec(int64(i), 1, k), ExpireAt: time.Now().Add(time.Hour)})
		slots[hashSlot(redisKey(ns, k))] = true
	}
	if len(slots) < 100 {
		t.Fatalf("test keys span only %d slots", len(slots))
	}
	must(t, s.Put(ctx, ns, es))
	got, err := s.Get(ctx, ns, keys)
	must(t, err)
	for i, k := range keys {
		if payload(got[i]) != k {
			t.Fatalf("key %s: %q", k, got[i])
		}
	}
	// Every master holds part of the batch.
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		size, err := c.DBSize(ctx).Result()
		_ = c.Close()
		must(t, err)
		if size == 0 {
			t.Errorf("node %s holds no key", a)
		}
	}
	// Older versions of every key lose; newer ones of every third win.
	for i := range es {
		v := rec(int64(i)-1, 9, "old")
		if i%3 == 0 {
			v = rec(int64(i)+1, 0, "new")
		}
		es[i].Value = v
	}
	must(t, s.Put(ctx, ns, es))
	got, err = s.Get(ctx, ns, keys)
	must(t, err)
	for i, k := range keys {
		want := k
		if i%3 == 0 {
			want = "new"
		}
		if payload(got[i]) != want {
			t.Fatalf("key %s after second put: %q, want %q", k, got[i], want)
		}
	}
	// Replace spans slots too.
	rs := []Entry{{Key: keys[0]}, {Key: keys[1], Value: rec(0, 0, "r")}}
	must(t, s.Replace(ctx, ns, rs))
	got, err = s.Get(ctx, ns, keys[:2])
	must(t, err)
	if got[0] != nil || payload(got[1]) != "r" {
		t.Fatalf("after replace: %q %q", got[0], got[1])
	}
}

// hashSlot must agree with the server, hash tags included, or a script call
// would be refused with CROSSSLOT.
func TestHashSlot(t *testing.T) {
	if hashSlot("foo") != 12182 || hashSlot("123456789") != 12739 {
		t.Fatalf("foo %d, 123456789 %d", hashSlot("foo"), hashSlot("123456789"))
	}
	if hashSlot("{user1000}.following") != hashSlot("{user1000}.followers") || hashSlot("x{}y") == hashSlot("") {
		t.Fatal("hash tags")
	}
	if hashSlot("a{b}c") != hashSlot("b") || hashSlot("a{{b}}") != hashSlot("{b") || hashSlot("{}{b}") == hashSlot("b") {
		t.Fatal("hash tag edge cases")
	}
}

func TestRedisTimeout(t *testing.T) {
	addr, stop, _ := redistest.StartRedis(t)
	ctx := context.Background()
	const timeout = 300 * time.Millisecond
	s := openT(t, "redis://"+addr, Options{Timeout: timeout})
	must(t, s.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(1, 1, "a")}}))
	stop()
	check := func(what string, err error, took time.Duration) {
		t.Helper()
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: want ErrUnavailable, got %v", what, err)
		}
		if took > timeout+200*time.Millisecond {
			t.Errorf("%s took %v, timeout %v", what, took, timeout)
		}
	}
	start := time.Now()
	_, err := s.Get(ctx, "ns", []string{"a"})
	check("get on a stopped redis", err, time.Since(start))
	start = time.Now()
	err = s.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(2, 1, "a")}})
	check("put on a stopped redis", err, time.Since(start))
	start = time.Now()
	check("ping on a stopped redis", s.Ping(ctx), time.Since(start))
	check("drop on a stopped redis", s.DropNamespace(ctx, "ns"), 0)

	// A server that accepts but never answers: the read deadline fires.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	hung := openT(t, "redis://"+l.Addr().String(), Options{Timeout: timeout})
	start = time.Now()
	_, err = hung.Get(ctx, "ns", []string{"a"})
	check("get on a silent server", err, time.Since(start))
	start = time.Now()
	err = hung.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(2, 1, "a")}})
	check("put on a silent server", err, time.Since(start))

	// The caller's cancellation is reported as such, not as unavailability.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Get(cctx, "ns", []string{"a"}); !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Errorf("canceled get: %v", err)
	}
}

func TestRedisReconnect(t *testing.T) {
	addr, stop, restart := redistest.StartRedis(t)
	ctx := context.Background()
	s := openT(t, "redis://"+addr, Options{Timeout: 300 * time.Millisecond})
	must(t, s.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(1, 1, "a1")}}))
	got, err := s.Get(ctx, "ns", []string{"a"})
	must(t, err)
	if payload(got[0]) != "a1" {
		t.Fatalf("before restart: %q", got[0])
	}
	stop()
	for range 20 { // enough failures to exhaust the pool's dial budget
		if _, err := s.Get(ctx, "ns", []string{"a"}); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("while stopped: %v", err)
		}
	}
	restart()
	// go-redis stops dialing after a run of failed dials and probes the
	// server once a second, so each operation may fail for about a second
	// after the restart. The restarted server is empty, its script cache
	// too: Put goes through the EVAL fallback.
	eventually := func(what string, f func() error) {
		t.Helper()
		start := time.Now()
		for {
			err := f()
			if err == nil {
				t.Logf("%s works %v after restart", what, time.Since(start))
				return
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("%s: no reconnection 5s after restart: %v", what, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	eventually("put", func() error { return s.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(2, 1, "a2")}}) })
	eventually("get", func() error {
		got, err = s.Get(ctx, "ns", []string{"a"})
		return err
	})
	if payload(got[0]) != "a2" {
		t.Fatalf("after restart: %q", got[0])
	}
	must(t, s.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(1, 9, "older")}}))
	got, _ = s.Get(ctx, "ns", []string{"a"})
	if payload(got[0]) != "a2" {
		t.Fatalf("older write won after restart: %q", got[0])
	}
	must(t, s.Close())
	if _, err := s.Get(ctx, "ns", []string{"a"}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("after close: %v", err)
	}
}

func TestRedisScriptFlushed(t *testing.T) {
	addr, _, _ := redistest.StartRedis(t)
	ctx := context.Background()
	s := openT(t, "redis://"+addr, Options{})
	must(t, s.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(1, 1, "a1")}}))
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	must(t, c.ScriptFlush(ctx).Err())
	must(t, s.Put(ctx, "ns", []Entry{{Key: "a", Value: rec(2, 1, "a2")}, {Key: "b", Value: rec(2, 1, "b2")}}))
	got, err := s.Get(ctx, "ns", []string{"a", "b"})
	must(t, err)
	if payload(got[0]) != "a2" || payload(got[1]) != "b2" {
		t.Fatalf("after SCRIPT FLUSH: %q %q", got[0], got[1])
	}
	// Values are plain strings under fh:<ns>:<key>, with PXAT expiry.
	v, err := c.Get(ctx, "fh:ns:a").Bytes()
	must(t, err)
	if payload(v) != "a2" {
		t.Fatalf("raw value %q", v)
	}
	must(t, s.Replace(ctx, "ns", []Entry{{Key: "e", Value: rec(1, 1, "e"), ExpireAt: time.Now().Add(time.Minute)}}))
	must(t, s.Put(ctx, "ns", []Entry{{Key: "f", Value: rec(1, 1, "f"), ExpireAt: time.Now().Add(time.Minute)}}))
	for _, k := range []string{"fh:ns:e", "fh:ns:f"} {
		ttl, err := c.PTTL(ctx, k).Result()
		must(t, err)
		if ttl < 50*time.Second || ttl > time.Minute {
			t.Errorf("%s: ttl %v", k, ttl)
		}
	}
	// Glob characters in a namespace match only themselves.
	must(t, s.Put(ctx, "n*", []Entry{{Key: "x", Value: rec(1, 1, "x")}}))
	must(t, s.DropNamespace(ctx, "n*"))
	time.Sleep(200 * time.Millisecond)
	got, _ = s.Get(ctx, "ns", []string{"a"})
	if payload(got[0]) != "a2" {
		t.Fatalf("dropping n* dropped ns: %q", got[0])
	}
	got, _ = s.Get(ctx, "n*", []string{"x"})
	if got[0] != nil {
		t.Fatalf("n* not dropped: %q", got[0])
	}
}

func TestParseRedisURI(t *testing.T) {
	good := []struct {
		uri     string
		cluster bool
		addrs   []string
		tls     bool
		db      int
		user    string
	}{
		{uri: "redis://localhost:6379", addrs: []string{"localhost:6379"}},
		{uri: "redis://u:p@10.0.0.1:7000/3", addrs: []string{"10.0.0.1:7000"}, db: 3, user: "u"},
		{uri: "rediss://cache.example:6380", addrs: []string{"cache.example:6380"}, tls: true},
		{uri: "redis+cluster://a:7000,b:7001,c:7002", cluster: true, addrs: []string{"a:7000", "b:7001", "c:7002"}},
		{uri: "redis+cluster://u:p@a:7000,b:7001/?dial_timeout=2s", cluster: true, addrs: []string{"a:7000", "b:7001"}, user: "u"},
		{uri: "a:7000,b:7001", cluster: true, addrs: []string{"a:7000", "b:7001"}},
		{uri: "redis://a:7000, redis://b:7001", cluster: true, addrs: []string{"a:7000", "b:7001"}},
		{uri: "rediss://u:p@a:7000,b:7001", cluster: true, addrs: []string{"a:7000", "b:7001"}, tls: true, user: "u"},
		{uri: "redis://a,b:7001", cluster: true, addrs: []string{"a:6379", "b:7001"}},
	}
	for _, c := range good {
		single, cluster, err := parseRedisURI(c.uri, Options{PoolSize: 7, Timeout: time.Second})
		if err != nil {
			t.Errorf("%s: %v", c.uri, err)
			continue
		}
		if (cluster != nil) != c.cluster {
			t.Errorf("%s: cluster %v", c.uri, cluster != nil)
			continue
		}
		var addrs []string
		var tls bool
		var db, pool int
		var user string
		var readTimeout time.Duration
		if cluster != nil {
			addrs, tls, user, pool, readTimeout = cluster.Addrs, cluster.TLSConfig != nil, cluster.Username, cluster.PoolSize, cluster.ReadTimeout
		} else {
			addrs, tls, db, user, pool, readTimeout = []string{single.Addr}, single.TLSConfig != nil, single.DB, single.Username, single.PoolSize, single.ReadTimeout
		}
		if fmt.Sprint(addrs) != fmt.Sprint(c.addrs) || tls != c.tls || db != c.db || user != c.user || pool != 7 || readTimeout != time.Second {
			t.Errorf("%s: addrs %v tls %v db %d user %q pool %d timeout %v", c.uri, addrs, tls, db, user, pool, readTimeout)
		}
	}
	if _, cluster, _ := parseRedisURI("redis+cluster://a:7000?dial_timeout=2s", Options{}); cluster.DialTimeout != 2*time.Second || cluster.ReadTimeout != 500*time.Millisecond {
		t.Errorf("URI options: dial %v read %v", cluster.DialTimeout, cluster.ReadTimeout)
	}
	bad := []struct{ uri, want string }{
		{"redis://h:notaport", "invalid port"},
		{"redis://h:1/x", "invalid database"},
		{"redis://u:secret@h:99999", "port"},
		{"redis+cluster://", "want host:port"},
		{"redis+cluster://a:1,,b:2", "want host:port"},
		{"redis+cluster://a:1,b:2/2", "only database 0"},
		{"a:1,b", "want host:port"},
		{"a:1,", "empty seed"},
		{"redis://a:1,rediss://b:2", "mix"},
		{"redis://a:1/1,redis://b:2", "only database 0"},
		{"http://a:1,b:2", "redis://, rediss:// or host:port"},
		{"redis://u:p@a:1,redis://v:q@b:2", "credentials"},
		{"redis://a:1,redis://b:2?dial_timeout=1s", "first seed"},
		{"redis+cluster://a:1?bogus=1", "unexpected option"},
		{"redis://h:1?bogus=1", "unexpected option"},
	}
	for _, c := range bad {
		_, _, err := parseRedisURI(c.uri, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.uri, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error shows the password: %v", c.uri, err)
		}
	}
	for _, uri := range []string{"", "memory://", "redis://h:1", "a:1,b:2"} {
		if err := ValidateURI(uri); err != nil {
			t.Errorf("ValidateURI(%q): %v", uri, err)
		}
	}
	for _, uri := range []string{"postgres://x", "h:1", "redis://h:x"} {
		if err := ValidateURI(uri); err == nil {
			t.Errorf("ValidateURI(%q) accepted it", uri)
		}
	}
}
