package online

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// putScript is write-if-newer for many keys in one call: KEYS[i] gets the
// record ARGV[2i-1], expiring at ARGV[2i] (unix milliseconds, 0 never),
// unless the stored record's version is greater or equal. The versions are
// compared byte by byte rather than with Lua's string <, because that uses
// strcoll and Redis sets LC_COLLATE from its environment: under a UTF-8
// locale bytes >= 0x80 (every positive event time) would not sort as bytes.
var putScript = redis.NewScript(`
local n = 0
for i = 1, #KEYS do
  local new = ARGV[2*i-1]
  local cur = redis.call('GET', KEYS[i])
  local newer = true
  if cur then
    newer = false
    for j = 1, 16 do
      local a, b = string.byte(new, j) or -1, string.byte(cur, j) or -1
      if a ~= b then
        newer = a > b
        break
      end
    end
  end
  if newer then
    local at = tonumber(ARGV[2*i])
    if at > 0 then
      redis.call('SET', KEYS[i], new, 'PXAT', at)
    else
      redis.call('SET', KEYS[i], new)
    end
    n = n + 1
  end
end
return n
`)

const (
	// scriptBatch caps the keys of one script call: a script blocks the
	// server while it runs, so a large batch is several calls (still sent
	// in one pipeline, so one round trip).
	scriptBatch = 256
	// scanCount is the COUNT hint of the SCANs that drop a namespace.
	scanCount = 1000
	// dropTimeout bounds a namespace drop running in the background.
	dropTimeout = 30 * time.Minute
	// writeBatchUnit is the number of entries a write may carry per
	// Timeout: a write's deadline grows with its size so that a large
	// REFRESH batch is not cut short by a deadline sized for lookups.
	writeBatchUnit = 1000
)

// redisStore is the Redis online store, on one node or a cluster.
type redisStore struct {
	c       redis.UniversalClient
	cluster *redis.ClusterClient // nil on a single node
	timeout time.Duration
	seeds   int

	masters    atomic.Int64 // masters seen by the last count; 0: not counted yet
	refreshing atomic.Bool

	mu     sync.Mutex
	closed bool
	bg     context.Context // background work (drops, master counts); ended by Close
	stopBg context.CancelFunc
	wg     sync.WaitGroup
}

// openRedis opens a Redis store; it does not connect (go-redis dials on
// first use), so a Redis that is down at start is reported by the first
// operation, and served once it is back.
func openRedis(uri string, opt Options) (Store, error) {
	single, cluster, err := parseRedisURI(uri, opt)
	if err != nil {
		return nil, err
	}
	quietRedisLog.Do(func() { redis.SetLogger(debugLogger{}) })
	s := &redisStore{timeout: opt.timeout()}
	s.bg, s.stopBg = context.WithCancel(context.Background())
	if cluster != nil {
		s.cluster = redis.NewClusterClient(cluster)
		s.c = s.cluster
		s.seeds = len(cluster.Addrs)
	} else {
		s.c = redis.NewClient(single)
		s.seeds = 1
	}
	return s, nil
}

// quietRedisLog routes go-redis's own log lines (a line per failed dial
// while Redis is down) to slog at debug level: the failures reach callers
// as errors, which they log once. go-redis's logger is process-wide.
var quietRedisLog sync.Once

type debugLogger struct{}

func (debugLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}

// ValidateURI reports whether Open accepts uri, without connecting: for
// checking configuration at start.
func ValidateURI(uri string) error {
	if isMemoryURI(uri) {
		return nil
	}
	if isRedisURI(uri) {
		_, _, err := parseRedisURI(uri, Options{})
		return err
	}
	s, err := Open(uri, Options{}) // refused there with its message
	if err == nil {
		_ = s.Close()
	}
	return err
}

// redisKey is the Redis key of a record.
func redisKey(ns, key string) string { return "fh:" + ns + ":" + key }

// call derives the context of one operation: the caller's, bounded by the
// store's timeout (scaled by units for large writes) so that a server
// that does not answer fails the call in time rather than after go-redis's
// retries.
func (s *redisStore) call(ctx context.Context, units int) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout*time.Duration(max(units, 1)))
}

// fail wraps err for the caller: anything but a definite answer from the
// server (refused, reset, timed out, closed, cluster down or loading) is
// ErrUnavailable, keeping the cause for errors.Is/As. An error caused by
// the caller's own context is reported as such.
func (s *redisStore) fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("redis online store: %s: %w (%v)", op, ctx.Err(), err)
	}
	var reply redis.Error
	if errors.As(err, &reply) && !transientReply(err) {
		return fmt.Errorf("redis online store: %s: %w", op, err)
	}
	return fmt.Errorf("%w: redis %s: %w", ErrUnavailable, op, err)
}

// transientReply is a server reply saying it cannot serve right now.
func transientReply(err error) bool {
	for _, p := range []string{"LOADING", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "BUSY", "MOVED", "ASK", "READONLY", "NOREPLICAS", "ERR max number of clients"} {
		if redis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}

// slotOf is the cluster slot of a key (0 on a single node, so that all
// keys group together).
func (s *redisStore) slotOf(key string) int {
	if s.cluster == nil {
		return 0
	}
	return hashSlot(key)
}

// Put implements Store: one pipeline of script calls, each on keys of one
// slot (a cluster refuses keys of several slots in one EVAL), which the
// cluster client sends to each node in parallel.
func (s *redisStore) Put(ctx context.Context, ns string, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	now := time.Now()
	type call struct {
		keys []string
		args []any
	}
	var calls []*call
	open := map[int]*call{} // slot -> call being filled
	for _, e := range entries {
		var at int64
		if !e.ExpireAt.IsZero() {
			if !e.ExpireAt.After(now) {
				continue // already expired: nothing to serve
			}
			at = e.ExpireAt.UnixMilli()
		}
		k := redisKey(ns, e.Key)
		slot := s.slotOf(k)
		c := open[slot]
		if c == nil || len(c.keys) == scriptBatch {
			c = &call{}
			open[slot] = c
			calls = append(calls, c)
		}
		c.keys = append(c.keys, k)
		c.args = append(c.args, e.Value, at)
	}
	if len(calls) == 0 {
		return nil
	}
	cctx, cancel := s.call(ctx, len(entries)/writeBatchUnit+1)
	defer cancel()
	run := func(idx []int, eval bool) (noScript []int, err error) {
		pipe := s.c.Pipeline()
		cmds := make([]*redis.Cmd, len(idx))
		for j, i := range idx {
			if eval {
				cmds[j] = putScript.Eval(cctx, pipe, calls[i].keys, calls[i].args...)
			} else {
				cmds[j] = putScript.EvalSha(cctx, pipe, calls[i].keys, calls[i].args...)
			}
		}
		_, _ = pipe.Exec(cctx) // errors are read per command below
		for j, cmd := range cmds {
			switch err := cmd.Err(); {
			case err == nil:
			case !eval && redis.HasErrorPrefix(err, "NOSCRIPT"):
				noScript = append(noScript, idx[j])
			default:
				return nil, err
			}
		}
		return noScript, nil
	}
	all := make([]int, len(calls))
	for i := range all {
		all[i] = i
	}
	retry, err := run(all, false)
	if err == nil && len(retry) > 0 {
		// The server's script cache was empty (a restart, SCRIPT FLUSH, a
		// new node): EVAL sends the source and caches it. Write-if-newer is
		// idempotent, so running those calls again is harmless.
		_, err = run(retry, true)
	}
	return s.fail(ctx, "put", err)
}

// Replace implements Store: SET (PXAT) or DEL per entry, in one pipeline.
func (s *redisStore) Replace(ctx context.Context, ns string, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	now := time.Now()
	cctx, cancel := s.call(ctx, len(entries)/writeBatchUnit+1)
	defer cancel()
	pipe := s.c.Pipeline()
	for _, e := range entries {
		k := redisKey(ns, e.Key)
		switch {
		case e.Value == nil || (!e.ExpireAt.IsZero() && !e.ExpireAt.After(now)):
			pipe.Del(cctx, k)
		case e.ExpireAt.IsZero():
			pipe.Set(cctx, k, e.Value, 0)
		default:
			pipe.Do(cctx, "SET", k, e.Value, "PXAT", e.ExpireAt.UnixMilli())
		}
	}
	cmds, err := pipe.Exec(cctx)
	if err == nil {
		err = firstErr(cmds)
	}
	return s.fail(ctx, "replace", err)
}

func firstErr(cmds []redis.Cmder) error {
	for _, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
	}
	return nil
}

// Get implements Store: one MGET on a single node; on a cluster one MGET
// per slot, pipelined, so one round trip per node, in parallel.
func (s *redisStore) Get(ctx context.Context, ns string, keys []string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	cctx, cancel := s.call(ctx, 1)
	defer cancel()
	rkeys := make([]string, len(keys))
	for i, k := range keys {
		rkeys[i] = redisKey(ns, k)
	}
	if s.cluster == nil {
		vals, err := s.c.MGet(cctx, rkeys...).Result()
		if err != nil {
			return nil, s.fail(ctx, "get", err)
		}
		if err := fill(out, vals, nil); err != nil {
			return nil, s.fail(ctx, "get", err)
		}
		return out, nil
	}
	bySlot := map[int][]int{}
	var order []int
	for i, k := range rkeys {
		slot := hashSlot(k)
		if _, ok := bySlot[slot]; !ok {
			order = append(order, slot)
		}
		bySlot[slot] = append(bySlot[slot], i)
	}
	pipe := s.c.Pipeline()
	cmds := make([]*redis.SliceCmd, len(order))
	for j, slot := range order {
		idx := bySlot[slot]
		ks := make([]string, len(idx))
		for n, i := range idx {
			ks[n] = rkeys[i]
		}
		cmds[j] = pipe.MGet(cctx, ks...)
	}
	if _, err := pipe.Exec(cctx); err != nil {
		return nil, s.fail(ctx, "get", err)
	}
	for j, slot := range order {
		if err := fill(out, cmds[j].Val(), bySlot[slot]); err != nil {
			return nil, s.fail(ctx, "get", err)
		}
	}
	return out, nil
}

// fill stores MGET's values into out (at idx[i], or i when idx is nil).
func fill(out [][]byte, vals []any, idx []int) error {
	want := len(out)
	if idx != nil {
		want = len(idx)
	}
	if len(vals) != want {
		return fmt.Errorf("MGET returned %d values for %d keys", len(vals), want)
	}
	for i, v := range vals {
		at := i
		if idx != nil {
			at = idx[i]
		}
		switch v := v.(type) {
		case nil:
		case string:
			out[at] = []byte(v)
		case []byte:
			out[at] = v
		default:
			return fmt.Errorf("MGET returned a %T", v)
		}
	}
	return nil
}

// DropNamespace implements Store. It checks that the store answers, then
// deletes in the background (SCAN + UNLINK on every master), since a large
// namespace takes long and no one reads a dropped namespace again.
func (s *redisStore) DropNamespace(ctx context.Context, ns string) error {
	if err := s.Ping(ctx); err != nil {
		return fmt.Errorf("drop namespace %q: %w", ns, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("%w: drop namespace %q: %w", ErrUnavailable, ns, redis.ErrClosed)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		dctx, cancel := context.WithTimeout(s.bg, dropTimeout)
		defer cancel()
		if err := s.drop(dctx, ns); err != nil && s.bg.Err() == nil {
			slog.Warn("online: dropping a namespace from Redis failed; its records stay until they expire", "namespace", ns, "err", err)
		}
	}()
	return nil
}

// drop deletes every record of ns.
func (s *redisStore) drop(ctx context.Context, ns string) error {
	pattern := "fh:" + globEscape(ns) + ":*"
	if s.cluster == nil {
		return s.scanUnlink(ctx, s.c, pattern, false)
	}
	return s.cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		return s.scanUnlink(ctx, c, pattern, true)
	})
}

// scanUnlink deletes the keys of one node matching pattern, a SCAN batch
// at a time; on a cluster node an UNLINK may only name keys of one slot.
func (s *redisStore) scanUnlink(ctx context.Context, c redis.Cmdable, pattern string, bySlot bool) error {
	var cursor uint64
	for {
		cctx, cancel := s.call(ctx, 1)
		keys, next, err := c.Scan(cctx, cursor, pattern, scanCount).Result()
		if err == nil && len(keys) > 0 {
			if !bySlot {
				err = c.Unlink(cctx, keys...).Err()
			} else {
				groups := map[int][]string{}
				for _, k := range keys {
					groups[hashSlot(k)] = append(groups[hashSlot(k)], k)
				}
				pipe := c.Pipeline()
				for _, ks := range groups {
					pipe.Unlink(cctx, ks...)
				}
				_, err = pipe.Exec(cctx)
			}
		}
		cancel()
		if err != nil {
			return s.fail(ctx, "drop namespace", err)
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// globEscape quotes the characters SCAN MATCH treats as a pattern.
func globEscape(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// Ping implements Store; on a cluster it pings every master, and counts
// them for Nodes.
func (s *redisStore) Ping(ctx context.Context) error {
	cctx, cancel := s.call(ctx, 1)
	defer cancel()
	if s.cluster == nil {
		return s.fail(ctx, "ping", s.c.Ping(cctx).Err())
	}
	var n atomic.Int64
	err := s.cluster.ForEachMaster(cctx, func(ctx context.Context, c *redis.Client) error {
		n.Add(1)
		return c.Ping(ctx).Err()
	})
	if err != nil {
		return s.fail(ctx, "ping", err)
	}
	s.masters.Store(n.Load())
	return nil
}

// Kind implements Store.
func (s *redisStore) Kind() string {
	if s.cluster != nil {
		return "redis-cluster"
	}
	return "redis"
}

// Nodes implements Store: the masters counted by the last Ping on a
// cluster. Before any, it counts them in the background and answers the
// number of seed addresses meanwhile, so that it never blocks.
func (s *redisStore) Nodes() int {
	if s.cluster == nil {
		return 1
	}
	if n := s.masters.Load(); n > 0 {
		return int(n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed && s.refreshing.CompareAndSwap(false, true) {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.refreshing.Store(false)
			_ = s.Ping(s.bg)
		}()
	}
	return s.seeds
}

// Close implements Store: it ends background drops and closes the
// connections.
func (s *redisStore) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.stopBg()
	s.mu.Unlock()
	s.wg.Wait()
	if err := s.c.Close(); err != nil {
		return fmt.Errorf("redis online store: close: %w", err)
	}
	return nil
}

// applyOptions sets what the URI left unset from opt, and what featurehouse
// needs of every client.
func applyOptions(o *redis.Options, opt Options) {
	tuneClient(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolSize, &o.DialerRetries, opt)
	o.ContextTimeoutEnabled = true
	// No CLIENT SETINFO or MAINT_NOTIFICATIONS on each new connection:
	// round trips that older servers refuse anyway.
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

func applyClusterOptions(o *redis.ClusterOptions, opt Options) {
	tuneClient(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolSize, &o.DialerRetries, opt)
	o.ContextTimeoutEnabled = true
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

// tuneClient fills the settings go-redis's single and cluster options share.
func tuneClient(dial, read, write *time.Duration, pool, dialRetries *int, opt Options) {
	t := opt.timeout()
	for _, d := range []*time.Duration{dial, read, write} {
		if *d == 0 {
			*d = t
		}
	}
	if *pool == 0 && opt.PoolSize > 0 {
		*pool = opt.PoolSize
	}
	if *dialRetries == 0 {
		// A refused dial fails the call at once (the caller falls back)
		// rather than after go-redis's five attempts.
		*dialRetries = 1
	}
}

// hashSlot is Redis Cluster's slot of a key: CRC16 (XMODEM) of the key, or
// of its hash tag (the text between the first { and the next }, if not
// empty), modulo 16384.
func hashSlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^key[i]]
	}
	return int(crc) & 16383
}

var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()
