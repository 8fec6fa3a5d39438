package tests

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/featurehouse/featurehouse/internal/redistest"
)

// redisStores lists the Redis online stores the online tests also run
// against: one real redis-server, and a real 3-node Redis Cluster.
func redisStores() []onlineStore {
	return []onlineStore{
		{name: "redis", args: func(t *testing.T) []string {
			addr, _, _ := redistest.StartRedis(t)
			return []string{"--online-store-uri", "redis://" + addr}
		}},
		{name: "redis-cluster", args: func(t *testing.T) []string {
			seeds := redistest.StartCluster(t)
			return []string{"--online-store-uri", "redis+cluster://" + strings.Join(seeds, ",")}
		}},
	}
}

// noticeLog collects the notices a connection receives.
type noticeLog struct {
	mu sync.Mutex
	n  []*pgconn.Notice
}

func (l *noticeLog) add(_ *pgconn.PgConn, n *pgconn.Notice) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n = append(l.n, n)
}

func (l *noticeLog) codes() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, n := range l.n {
		out = append(out, n.Severity+" "+n.Code)
	}
	return out
}

func connectWithNotices(t *testing.T, srv *Server) (*pgx.Conn, *noticeLog) {
	t.Helper()
	cfg, err := pgx.ParseConfig(srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	log := &noticeLog{}
	cfg.OnNotice = log.add
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c, log
}

// TestOnlineRedisDown: with Redis stopped, lookups fail within the timeout
// with HV00N, offline queries and writes keep working (writes warn), the
// server stays up; when Redis comes back (empty, as a restart without
// persistence leaves it) the server reconnects and catches up by itself,
// and the answers equal the offline ones again.
func TestOnlineRedisDown(t *testing.T) {
	addr, stop, restart := redistest.StartRedis(t)
	srv := StartServer(t, "--online-store-uri", "redis://"+addr, "--online-timeout", "300ms")
	c, notices := connectWithNotices(t, srv)
	ctx := context.Background()
	Exec(t, c, `CREATE FEATURE GROUP rd (k TEXT ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, v INTEGER) WITH (online = true)`)
	Exec(t, c, `INSERT INTO rd VALUES ('a', now() - interval '1 hour', 1), ('b', now() - interval '1 hour', 2)`)
	lookup := `SELECT k, v FROM rd AS OF now() WHERE k = ANY($1)`
	offline := `SELECT k, v FROM rd AS OF now() + interval '0 s' WHERE k = ANY($1)`
	keys := []string{"a", "b", "c"}
	if got := lookupRows(t, c, lookup, keys); strings.Join(got, ",") != "a 1,b 2" {
		t.Fatalf("before the outage: %v", got)
	}

	stop()
	start := time.Now()
	_, err := c.Exec(ctx, lookup, keys)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "HV00N" {
		t.Fatalf("lookup with Redis down: %v, want SQLSTATE HV00N", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("lookup with Redis down took %v; the timeout is 300ms", d)
	}
	// Offline reads and writes still work; the write is told about the
	// online store.
	if got := lookupRows(t, c, offline, keys); strings.Join(got, ",") != "a 1,b 2" {
		t.Fatalf("offline read during the outage: %v", got)
	}
	Exec(t, c, `INSERT INTO rd VALUES ('c', now() - interval '10 minutes', 3), ('a', now() - interval '5 minutes', 10)`)
	if codes := strings.Join(notices.codes(), ","); !strings.Contains(codes, "WARNING HV00N") {
		t.Errorf("write during the outage: notices %q, want a WARNING HV00N", codes)
	}
	if got := QueryStrings(t, c, `SELECT pending FROM feature_store.online_state s JOIN feature_store.feature_groups g USING (group_id) WHERE g.group_name = 'rd'`); len(got) != 1 || got[0][0] != "t" {
		t.Errorf("online_state during the outage: %v", got)
	}

	// Redis returns, empty: the server converges without being asked.
	restart()
	want := lookupRows(t, c, offline, keys)
	if strings.Join(want, ",") != "a 10,b 2,c 3" {
		t.Fatalf("offline after the outage: %v", want)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := tryLookup(c, lookup, keys)
		if err == nil && strings.Join(got, ",") == strings.Join(want, ",") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("online answer did not converge within 30s: %v (err %v), want %v\n%s", got, err, want, srv.Log())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if route := explainRoute(t, c, `SELECT k, v FROM rd AS OF now() WHERE k = 'a'`); !strings.HasPrefix(route, "Route: online store (redis)") {
		t.Errorf("EXPLAIN after the outage: %q", route)
	}
}

// TestOnlineFallback: with online-fallback on, lookups keep answering from
// DuckDB while Redis is down, and the statistics say so.
func TestOnlineFallback(t *testing.T) {
	addr, stop, _ := redistest.StartRedis(t)
	srv := StartServer(t, "--online-store-uri", "redis://"+addr, "--online-timeout", "300ms", "--online-fallback", "true")
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP fb (k BIGINT ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, v TEXT) WITH (online = true)`)
	Exec(t, c, `INSERT INTO fb VALUES (1, now() - interval '1 hour', 'one'), (2, now() - interval '1 hour', 'two')`)
	q := `SELECT v FROM fb AS OF now() WHERE k = $1`
	if got := lookupRows(t, c, q, int64(2)); strings.Join(got, ",") != "two" {
		t.Fatalf("before: %v", got)
	}
	stop()
	if got := lookupRows(t, c, q, int64(2)); strings.Join(got, ",") != "two" {
		t.Fatalf("with Redis down and the fallback on: %v", got)
	}
	stats := QueryStrings(t, c, `SELECT route, requests, errors FROM feature_store.serving_statistics WHERE group_name = 'fb' AND route <> 'write' ORDER BY route`)
	if len(stats) != 2 || stats[0][0] != "fallback" || stats[0][1] != "1" || stats[1][0] != "online" || stats[1][2] != "1" {
		t.Errorf("serving_statistics: %v", stats)
	}
}

// TestOnlineCacheAndPrecompute: with a serving cache in front of Redis,
// PRECOMPUTE warms it, lookups hit it, and writes through this server are
// seen at once.
func TestOnlineCacheAndPrecompute(t *testing.T) {
	addr, _, _ := redistest.StartRedis(t)
	srv := StartServer(t, "--online-store-uri", "redis://"+addr, "--cache-ttl", "1h")
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP pc (k TEXT ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, v INTEGER) WITH (online = true)`)
	Exec(t, c, `INSERT INTO pc SELECT 'k' || i, now() - interval '1 hour', i FROM range(50) t(i)`)
	if got := QueryStrings(t, c, `PRECOMPUTE pc WHERE k IN ('k1', 'k2', 'k3', 'nobody')`); got != nil {
		t.Fatalf("PRECOMPUTE returned rows: %v", got)
	}
	tag, err := c.Exec(context.Background(), `PRECOMPUTE FEATURE GROUP pc WHERE v < 10`)
	if err != nil || tag.String() != "PRECOMPUTE 10" {
		t.Fatalf("PRECOMPUTE: %q %v", tag, err)
	}
	q := `SELECT v FROM pc AS OF now() WHERE k = $1`
	for i := 0; i < 3; i++ {
		if got := lookupRows(t, c, q, "k1"); strings.Join(got, ",") != "1" {
			t.Fatalf("lookup: %v", got)
		}
	}
	hits := QueryStrings(t, c, `SELECT cache_hits FROM feature_store.serving_statistics WHERE group_name = 'pc' AND route = 'online'`)
	if len(hits) != 1 || hits[0][0] != "3" {
		t.Errorf("cache hits after PRECOMPUTE and 3 lookups: %v", hits)
	}
	// A write through this server invalidates the cached record.
	Exec(t, c, `INSERT INTO pc VALUES ('k1', now() - interval '1 minute', 100)`)
	if got := lookupRows(t, c, q, "k1"); strings.Join(got, ",") != "100" {
		t.Fatalf("after a write: %v", got)
	}
	// DELETE recomputes the latest remaining value, also through the cache.
	Exec(t, c, `DELETE FROM pc WHERE k = 'k1' AND v = 100`)
	if got := lookupRows(t, c, q, "k1"); strings.Join(got, ",") != "1" {
		t.Fatalf("after DELETE: %v", got)
	}
}
