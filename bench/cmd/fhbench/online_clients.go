package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// The B1-B3 statements. featurehouse answers its statements from the online
// store (checked with EXPLAIN and the server's serving counters); PostgreSQL
// reads the same columns through the primary key.
var (
	fields10  = featureNames(10)
	fields50  = featureNames(blFeatures)
	fhOneSQL  = "SELECT " + strings.Join(fields10, ", ") + " FROM bl AS OF now() WHERE user_id = $1"
	fhManySQL = "SELECT user_id, " + strings.Join(fields50, ", ") + " FROM bl AS OF now() WHERE user_id = ANY($1)"
	pgOneSQL  = "SELECT " + strings.Join(fields10, ", ") + " FROM bl WHERE user_id = $1"
	pgManySQL = "SELECT user_id, " + strings.Join(fields50, ", ") + " FROM bl WHERE user_id = ANY($1)"
)

func featureNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "f" + strconv.Itoa(i+1)
	}
	return out
}

// lookupClient is one peer's client: one() reads f1..f10 of an entity (B1,
// B2), many() reads user_id and f1..f50 of a batch (B3). Both decode every
// value into float64, as an application would, and return buffers that the
// next call reuses.
type lookupClient interface {
	one(ctx context.Context, key string) ([]float64, error)
	many(ctx context.Context, keys []string) (ids []string, vals []float64, err error)
	close()
}

// pgxClient is one pgx connection in pgx's default mode
// (QueryExecModeCacheStatement): each statement is prepared once, then every
// execution is Bind/Execute/Sync with binary float8 results.
type pgxClient struct {
	conn            *pgx.Conn
	oneSQL, manySQL string
	vals            []float64
	dst             []any
	ids             []string
	many50          []float64
	dst51           []any
	id              string
}

func newPgxClient(ctx context.Context, url, oneSQL, manySQL string) (*pgxClient, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	c := &pgxClient{conn: conn, oneSQL: oneSQL, manySQL: manySQL, vals: make([]float64, 10), many50: make([]float64, blFeatures)}
	for i := range c.vals {
		c.dst = append(c.dst, &c.vals[i])
	}
	c.dst51 = append(c.dst51, &c.id)
	for i := range c.many50 {
		c.dst51 = append(c.dst51, &c.many50[i])
	}
	return c, nil
}

func (c *pgxClient) one(ctx context.Context, key string) ([]float64, error) {
	if err := c.conn.QueryRow(ctx, c.oneSQL, key).Scan(c.dst...); err != nil {
		return nil, fmt.Errorf("lookup of %s: %w", key, err)
	}
	return c.vals, nil
}

func (c *pgxClient) many(ctx context.Context, keys []string) ([]string, []float64, error) {
	rows, err := c.conn.Query(ctx, c.manySQL, keys)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	c.ids = c.ids[:0]
	out := make([]float64, 0, len(keys)*blFeatures)
	for rows.Next() {
		if err := rows.Scan(c.dst51...); err != nil {
			return nil, nil, err
		}
		c.ids = append(c.ids, c.id)
		out = append(out, c.many50...)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return c.ids, out, nil
}

func (c *pgxClient) close() { _ = c.conn.Close(context.Background()) }

// redisClient is the direct peer: go-redis against the same Redis server,
// with the entities written as one hash per entity (fields f1..f50 as
// decimal strings) under their own key prefix.
type redisClient struct {
	rdb      *redis.Client
	shared   bool // several goroutines use it; close it once, elsewhere
	vals     []float64
	ids      []string
	fields10 []string
	fields50 []string
}

const redisPrefix = "fhbench:bl:"

func newRedisClient(addr string, pool int) *redisClient {
	return &redisClient{
		rdb:  redis.NewClient(&redis.Options{Addr: addr, PoolSize: pool}),
		vals: make([]float64, 10), fields10: fields10, fields50: fields50,
	}
}

func parseFloats(dst []float64, vs []any) (bool, error) {
	for i, v := range vs {
		s, ok := v.(string)
		if !ok {
			return false, nil // nil: no such hash (or field)
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return false, err
		}
		dst[i] = f
	}
	return true, nil
}

func (c *redisClient) one(ctx context.Context, key string) ([]float64, error) {
	vs, err := c.rdb.HMGet(ctx, redisPrefix+key, c.fields10...).Result()
	if err != nil {
		return nil, err
	}
	ok, err := parseFloats(c.vals, vs)
	if err != nil || !ok {
		return nil, fmt.Errorf("HMGET %s: found %v, %v", key, ok, err)
	}
	return c.vals, nil
}

func (c *redisClient) many(ctx context.Context, keys []string) ([]string, []float64, error) {
	pipe := c.rdb.Pipeline()
	cmds := make([]*redis.SliceCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.HMGet(ctx, redisPrefix+k, c.fields50...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, err
	}
	c.ids = c.ids[:0]
	out := make([]float64, 0, len(keys)*blFeatures)
	row := make([]float64, blFeatures)
	for i, cmd := range cmds {
		ok, err := parseFloats(row, cmd.Val())
		if err != nil {
			return nil, nil, fmt.Errorf("HMGET %s: %w", keys[i], err)
		}
		if ok {
			c.ids = append(c.ids, keys[i])
			out = append(out, row...)
		}
	}
	return c.ids, out, nil
}

func (c *redisClient) close() {
	if !c.shared {
		_ = c.rdb.Close()
	}
}

// ---- redis-server ------------------------------------------------------------

// redisServer is a throwaway redis-server (no persistence) on a free port,
// used by featurehouse's Redis store and by the direct peer.
type redisServer struct {
	dir, pidPath string
	port, pid    int
	version      string
}

func (r *redisServer) addr() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

func (r *redisServer) start(ctx context.Context) error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server not found (Debian: apt-get install redis-server): %w", err)
	}
	if r.port, err = freePort(); err != nil {
		return err
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return err
	}
	r.pidPath = filepath.Join(r.dir, "redis.pid")
	_ = os.Remove(r.pidPath)
	out, err := exec.CommandContext(ctx, bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "yes",
		"--dir", r.dir, "--pidfile", r.pidPath, "--logfile", filepath.Join(r.dir, "redis.log")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("redis-server: %v\n%s", err, out)
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.addr()})
	defer rdb.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := rdb.Ping(ctx).Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s not answering after 30s (see %s/redis.log): %w", r.addr(), r.dir, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for range 100 { // the daemon writes its pid file just after it listens
		if b, err := os.ReadFile(r.pidPath); err == nil {
			if r.pid, err = strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r.pid == 0 {
		return fmt.Errorf("redis-server wrote no pid file %s", r.pidPath)
	}
	if info, err := rdb.Info(ctx, "server").Result(); err == nil {
		for _, l := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "redis_version:"); ok {
				r.version = v
			}
		}
	}
	return nil
}

// stop shuts the server down: SIGTERM to the pid it wrote (with no save
// points configured it exits without saving), SIGKILL if it does not go.
func (r *redisServer) stop() {
	if r.pid == 0 {
		return
	}
	_ = syscall.Kill(r.pid, syscall.SIGTERM)
	for range 100 {
		if err := syscall.Kill(r.pid, 0); errors.Is(err, syscall.ESRCH) {
			r.pid = 0
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(r.pid, syscall.SIGKILL)
	r.pid = 0
}
