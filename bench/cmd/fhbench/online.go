package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// B1-B3: online lookups. One feature group "bl" (TEXT entity key,
// TIMESTAMPTZ event time, 50 DOUBLE PRECISION features), one row per
// entity, served by featurehouse from its embedded store and from Redis,
// by PostgreSQL 15 through the primary key, and by Redis directly (HMGET on
// one hash per entity: the limit).

const blFeatures = 50

// Peers of B1-B3, in the order the tables list them.
const (
	peerFhMem        = "fh-memory"
	peerFhMemReader  = "fh-memory-reader"
	peerFhRedis      = "fh-redis"
	peerFhRedisCache = "fh-redis-cache"
	peerPG           = "postgresql"
	peerRedis        = "redis-direct"
)

var onlinePeers = []string{peerFhMem, peerFhMemReader, peerFhRedis, peerFhRedisCache, peerPG, peerRedis}

// fhPeers are the featurehouse servers among the peers.
var fhPeers = []string{peerFhMem, peerFhRedis, peerFhRedisCache}

func isFh(p string) bool {
	return p == peerFhMem || p == peerFhMemReader || p == peerFhRedis || p == peerFhRedisCache
}

// usesRedis: the peer's answers come from the Redis server.
func usesRedis(p string) bool { return p == peerFhRedis || p == peerFhRedisCache }

func onlineLabel(p string) string {
	switch p {
	case peerFhMem:
		return "featurehouse, embedded store (memory://)"
	case peerFhMemReader:
		return "featurehouse, embedded store, as a role granted SELECT (privilege checks on)"
	case peerFhRedis:
		return "featurehouse, Redis store"
	case peerFhRedisCache:
		return "featurehouse, Redis store + serving cache (cache-ttl 60s)"
	case peerPG:
		return "PostgreSQL 15, primary key"
	case peerRedis:
		return "Redis direct, go-redis (the limit)"
	}
	return p
}

// blData is the generated feature data, kept to check every peer's answers.
type blData struct {
	keys []string
	vals []float64 // len(keys) * blFeatures, row-major
}

// genBL makes n entities with event times in the last 7 days (before now,
// so no lookup is handed to DuckDB as a future event) and normal(0, 100)
// features at full float64 precision, and writes them as CSV.
func genBL(path string, n int, now time.Time) (*blData, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 4<<20)
	rng := rand.New(rand.NewPCG(20261128, 1))
	d := &blData{keys: make([]string, n), vals: make([]float64, n*blFeatures)}
	line := make([]byte, 0, 1200)
	for i := range n {
		d.keys[i] = fmt.Sprintf("u%07d", i)
		ago := time.Duration(1+rng.Int64N(7*24*60))*time.Minute + time.Duration(rng.Int64N(60e6))*time.Microsecond
		line = append(line[:0], d.keys[i]...)
		line = append(line, ',')
		line = now.Add(-ago).UTC().AppendFormat(line, "2006-01-02 15:04:05.000000")
		line = append(line, "+00"...)
		for j := range blFeatures {
			v := rng.NormFloat64() * 100
			d.vals[i*blFeatures+j] = v
			line = append(line, ',')
			line = strconv.AppendFloat(line, v, 'g', -1, 64)
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return nil, err
		}
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return d, f.Close()
}

func blColumns(fhStyle bool) string {
	var b strings.Builder
	if fhStyle {
		b.WriteString("user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME")
	} else {
		b.WriteString("user_id text PRIMARY KEY, event_time timestamptz NOT NULL")
	}
	for _, f := range fields50 {
		b.WriteString(", " + f + " DOUBLE PRECISION")
	}
	return b.String()
}

// ---- results --------------------------------------------------------------------

// latRun is one peer's figures in one repetition of B1, B2 or B3.
type latRun struct {
	n                 int
	seconds           float64
	p50, p99, mean    time.Duration
	serverCPU         float64 // seconds (featurehouse with Redis: both processes)
	clientCPU         float64 // seconds of this process
	serverCS          float64 // context switches of the server's threads
	storeMean         time.Duration
	storeCount        float64 // lookups the featurehouse server counted on its online route
	cacheHits, keysIn float64
}

func (r latRun) rate() float64 { return float64(r.n) / r.seconds }

type onlineReport struct {
	entities            int
	b1N, b3N            int
	b2Dur               time.Duration
	b2Conns             int
	skipped             map[string]string // peer -> why it did not run
	redisVersion        string
	explain             map[string]string // featurehouse peer -> EXPLAIN of the B1 statement
	explainMany         map[string]string
	warnings            []string
	checked             int
	b1, b2, b3          map[string][]latRun
	loadSeconds         map[string]float64
	fhIdleKB, fhOnlnKB  map[string]int64 // featurehouse RSS before and after loading
	which               map[string]bool  // b1, b2, b3
	redisUsedMemoryByte int64
}

// ---- the run ----------------------------------------------------------------------

type onlineEnv struct {
	o      options
	rep    *onlineReport
	data   *blData
	fh     map[string]*fhServer // fh-memory, fh-redis (when it runs)
	pg     *pgServer
	redis  *redisServer // nil: no redis-server
	peers  []string     // the peers that run
	urls   map[string]string
	rdbAll *redis.Client
}

// benchOnline runs B1, B2 and B3 (those in which) against all peers.
func benchOnline(ctx context.Context, rep *report, pg *pgServer, which map[string]bool) error {
	o := rep.opts
	or := &onlineReport{entities: o.entities, b1N: o.b1N, b3N: o.b3N, b2Dur: o.b2Dur, b2Conns: 32,
		skipped: map[string]string{}, explain: map[string]string{}, explainMany: map[string]string{},
		b1: map[string][]latRun{}, b2: map[string][]latRun{}, b3: map[string][]latRun{},
		loadSeconds: map[string]float64{}, fhIdleKB: map[string]int64{}, fhOnlnKB: map[string]int64{},
		which: which}
	rep.online = or
	env := &onlineEnv{o: o, rep: or, pg: pg, fh: map[string]*fhServer{}, urls: map[string]string{peerPG: pg.url()}}

	csvPath := filepath.Join(o.work, fmt.Sprintf("bl-%d.csv", o.entities))
	t0 := time.Now()
	var err error
	if env.data, err = genBL(csvPath, o.entities, time.Now()); err != nil {
		return fmt.Errorf("generating %s: %w", csvPath, err)
	}
	logf("B1-B3: %d entities × %d features generated in %.1fs (%s)", o.entities, blFeatures, time.Since(t0).Seconds(), csvPath)

	rs := &redisServer{dir: filepath.Join(o.work, "redis")}
	if err := rs.start(ctx); err != nil {
		logf("B1-B3: no Redis: %v", err)
		or.skipped[peerFhRedis] = "no redis-server: " + err.Error()
		or.skipped[peerFhRedisCache] = or.skipped[peerFhRedis]
		or.skipped[peerRedis] = or.skipped[peerFhRedis]
	} else {
		env.redis = rs
		or.redisVersion = rs.version
		defer rs.stop()
	}

	// Two featurehouse servers, one per store, both up for the whole run so
	// that the peers can be interleaved.
	for _, p := range fhPeers {
		if _, skip := or.skipped[p]; skip {
			continue
		}
		s := &fhServer{bin: o.fhBin, dataDir: filepath.Join(o.work, "fh-"+p), logPath: filepath.Join(o.work, "featurehouse-"+p+".log")}
		switch p {
		case peerFhRedis:
			s.args = []string{"--online-store-uri", "redis://" + rs.addr() + "/1"}
		case peerFhRedisCache:
			// Its own Redis database: two servers' records must not mix.
			s.args = []string{"--online-store-uri", "redis://" + rs.addr() + "/2", "--cache-ttl", "60s"}
		}
		_ = os.RemoveAll(s.dataDir)
		_ = os.Remove(s.logPath)
		if err := s.start(ctx); err != nil {
			why := logTail(s.logPath)
			if usesRedis(p) && (strings.Contains(why, "not implemented yet") || strings.Contains(why, "not built yet")) {
				// featurehouse's Redis store has not landed in this build.
				logf("B1-B3: featurehouse refuses the Redis store, skipping that peer: %s", why)
				or.skipped[p] = "featurehouse refused `--online-store-uri redis://...`: " + why
				continue
			}
			return fmt.Errorf("starting featurehouse (%s): %w: %s", p, err, why)
		}
		defer s.stop()
		env.fh[p] = s
		env.urls[p] = s.url()
		if st, err := procStatus(s.pid()); err == nil {
			or.fhIdleKB[p] = st["VmRSS"]
		}
	}
	if s, ok := env.fh[peerFhMem]; ok {
		// The same server as fh-memory, queried by a non-superuser role
		// (granted SELECT in load), so that the privilege checks count.
		env.fh[peerFhMemReader] = s
		env.urls[peerFhMemReader] = strings.Replace(s.url(), "featurehouse@", "reader@", 1)
	} else {
		or.skipped[peerFhMemReader] = "no embedded-store server"
	}
	for _, p := range onlinePeers {
		if _, skip := or.skipped[p]; !skip {
			env.peers = append(env.peers, p)
		}
	}

	if err := env.load(ctx, csvPath); err != nil {
		return err
	}
	if err := env.check(ctx); err != nil {
		return err
	}
	if which["b1"] {
		if err := env.runB1(ctx); err != nil {
			return fmt.Errorf("B1: %w", err)
		}
	}
	if which["b2"] {
		if err := env.runB2(ctx); err != nil {
			return fmt.Errorf("B2: %w", err)
		}
	}
	if which["b3"] {
		if err := env.runB3(ctx); err != nil {
			return fmt.Errorf("B3: %w", err)
		}
	}
	if env.redis != nil {
		rdb := redis.NewClient(&redis.Options{Addr: env.redis.addr()})
		if s, err := rdb.Info(ctx, "memory").Result(); err == nil {
			for _, l := range strings.Split(s, "\n") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(l), "used_memory:"); ok {
					or.redisUsedMemoryByte, _ = strconv.ParseInt(v, 10, 64)
				}
			}
		}
		_ = rdb.Close()
	}
	// The B5/B6 figures that may follow are not this table's business.
	if err := execAll(ctx, pg.url(), "DROP TABLE IF EXISTS bl"); err != nil {
		return err
	}
	return nil
}

// logTail is the last non-empty line of a log, to say why a server stopped.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func execAll(ctx context.Context, url string, qs ...string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, q := range qs {
		if err := conn.PgConn().Exec(ctx, q).Close(); err != nil {
			return fmt.Errorf("%s: %w", firstWords(q), err)
		}
	}
	return nil
}

func firstWords(q string) string {
	if len(q) > 60 {
		return q[:60] + "..."
	}
	return q
}

// load puts the same data into every peer (untimed for the benchmarks; the
// seconds are reported only as context).
func (e *onlineEnv) load(ctx context.Context, csvPath string) error {
	n := int64(e.o.entities)
	for _, p := range append([]string(nil), e.peers...) {
		t0 := time.Now()
		var err error
		switch p {
		case peerFhMem, peerFhRedis, peerFhRedisCache:
			err = e.loadFH(ctx, p, csvPath, n)
		case peerFhMemReader:
			if err = e.grantReader(ctx); err != nil {
				// A build without privileges: no such peer.
				logf("B1-B3: skipping %s: %v", p, err)
				e.rep.skipped[p] = err.Error()
				e.dropPeer(p)
				continue
			}
		case peerPG:
			err = e.loadPG(ctx, csvPath, n)
		case peerRedis:
			err = e.loadRedis(ctx)
		}
		if err != nil {
			return fmt.Errorf("loading %s: %w", p, err)
		}
		e.rep.loadSeconds[p] = time.Since(t0).Seconds()
		logf("B1-B3: loaded %s in %.1fs", p, e.rep.loadSeconds[p])
	}
	return nil
}

func (e *onlineEnv) dropPeer(p string) {
	for i, x := range e.peers {
		if x == p {
			e.peers = append(e.peers[:i], e.peers[i+1:]...)
			return
		}
	}
}

// grantReader makes the role fh-memory-reader queries as: LOGIN, SELECT
// on the feature group, nothing else.
func (e *onlineEnv) grantReader(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, e.fh[peerFhMem].url())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, q := range []string{"DROP ROLE IF EXISTS reader", "CREATE ROLE reader LOGIN", "GRANT SELECT ON FEATURE GROUP bl TO reader"} {
		if err := conn.PgConn().Exec(ctx, q).Close(); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

func copyCSV(ctx context.Context, conn *pgx.Conn, csvPath string, want int64) error {
	f, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	tag, err := conn.PgConn().CopyFrom(ctx, bufio.NewReaderSize(f, 1<<20), "COPY bl FROM STDIN WITH (FORMAT csv)")
	if err != nil {
		return fmt.Errorf("COPY: %w", err)
	}
	if tag.RowsAffected() != want {
		return fmt.Errorf("COPY stored %d rows, want %d", tag.RowsAffected(), want)
	}
	return nil
}

func (e *onlineEnv) loadFH(ctx context.Context, p, csvPath string, want int64) error {
	s := e.fh[p]
	conn, err := pgx.Connect(ctx, s.url())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, q := range []string{"DROP FEATURE GROUP IF EXISTS bl",
		"CREATE FEATURE GROUP bl (" + blColumns(true) + ") WITH (online = true)"} {
		if err := conn.PgConn().Exec(ctx, q).Close(); err != nil {
			return fmt.Errorf("%s: %w", firstWords(q), err)
		}
	}
	if err := copyCSV(ctx, conn, csvPath, want); err != nil {
		return err
	}
	// COPY answers after the online store has the records; a pending group
	// would mean it missed them.
	var pending int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM feature_store.online_state WHERE pending").Scan(&pending); err != nil {
		return fmt.Errorf("reading feature_store.online_state: %w", err)
	}
	if pending != 0 {
		return fmt.Errorf("the online store missed the COPY (feature_store.online_state pending); see %s", s.logPath)
	}
	if p == peerFhRedisCache {
		// Warm the serving cache with every entity, as a deployment would
		// with PRECOMPUTE; the cache holds 100k records.
		if err := conn.PgConn().Exec(ctx, "PRECOMPUTE bl").Close(); err != nil {
			return fmt.Errorf("PRECOMPUTE: %w", err)
		}
	}
	if st, err := procStatus(s.pid()); err == nil {
		e.rep.fhOnlnKB[p] = st["VmRSS"]
	}
	return nil
}

func (e *onlineEnv) loadPG(ctx context.Context, csvPath string, want int64) error {
	conn, err := pgx.Connect(ctx, e.pg.url())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, q := range []string{"DROP TABLE IF EXISTS bl", "CREATE TABLE bl (" + blColumns(false) + ")"} {
		if err := conn.PgConn().Exec(ctx, q).Close(); err != nil {
			return fmt.Errorf("%s: %w", firstWords(q), err)
		}
	}
	if err := copyCSV(ctx, conn, csvPath, want); err != nil {
		return err
	}
	for _, q := range []string{"VACUUM ANALYZE bl", "CHECKPOINT"} {
		if err := conn.PgConn().Exec(ctx, q).Close(); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	// Table and index into shared buffers, as a serving database would
	// have them; without pg_prewarm the warm-up and the page cache do it.
	if err := conn.PgConn().Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_prewarm; SELECT pg_prewarm('bl'), pg_prewarm('bl_pkey')").Close(); err != nil {
		logf("B1-B3: pg_prewarm unavailable (%v); PostgreSQL warms up through the lookups", err)
	}
	return nil
}

func (e *onlineEnv) loadRedis(ctx context.Context) error {
	rdb := redis.NewClient(&redis.Options{Addr: e.redis.addr()})
	defer rdb.Close()
	d := e.data
	const batch = 500
	for i := 0; i < len(d.keys); i += batch {
		pipe := rdb.Pipeline()
		for j := i; j < min(i+batch, len(d.keys)); j++ {
			args := make([]any, 0, 2*blFeatures)
			for k, f := range fields50 {
				args = append(args, f, strconv.FormatFloat(d.vals[j*blFeatures+k], 'g', -1, 64))
			}
			pipe.HSet(ctx, redisPrefix+d.keys[j], args...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("HSET pipeline: %w", err)
		}
	}
	return nil
}

// newClient opens one client of a peer.
func (e *onlineEnv) newClient(ctx context.Context, p string) (lookupClient, error) {
	switch p {
	case peerRedis:
		return newRedisClient(e.redis.addr(), 1), nil
	case peerPG:
		return newPgxClient(ctx, e.urls[p], pgOneSQL, pgManySQL)
	}
	return newPgxClient(ctx, e.urls[p], fhOneSQL, fhManySQL)
}

// check compares every peer's answers for a sample of entities with the
// generated values (so with each other), and checks that featurehouse's
// statements take the online route.
func (e *onlineEnv) check(ctx context.Context) error {
	d := e.data
	rng := rand.New(rand.NewPCG(7, 7))
	var sample []string
	idx := map[string]int{}
	for len(sample) < 25 {
		i := rng.IntN(len(d.keys))
		if _, dup := idx[d.keys[i]]; !dup {
			idx[d.keys[i]] = i
			sample = append(sample, d.keys[i])
		}
	}
	for _, p := range e.peers {
		c, err := e.newClient(ctx, p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		err = func() error {
			defer c.close()
			for _, k := range sample[:5] {
				got, err := c.one(ctx, k)
				if err != nil {
					return err
				}
				if want := d.vals[idx[k]*blFeatures : idx[k]*blFeatures+10]; !equalFloats(got, want) {
					return fmt.Errorf("entity %s: f1..f10 = %v, want %v", k, got, want)
				}
			}
			ids, vals, err := c.many(ctx, append(sample, "no-such-entity"))
			if err != nil {
				return err
			}
			if len(ids) != len(sample) {
				return fmt.Errorf("batch of %d known entities and 1 unknown answered %d rows", len(sample), len(ids))
			}
			for r, k := range ids {
				i, ok := idx[k]
				if !ok {
					return fmt.Errorf("batch answered entity %q that was not asked for", k)
				}
				if got, want := vals[r*blFeatures:(r+1)*blFeatures], d.vals[i*blFeatures:(i+1)*blFeatures]; !equalFloats(got, want) {
					return fmt.Errorf("entity %s: f1..f50 = %v, want %v", k, got, want)
				}
			}
			return nil
		}()
		if err != nil {
			return fmt.Errorf("checking %s's answers: %w", p, err)
		}
		if isFh(p) {
			if err := e.explain(ctx, p, sample[0]); err != nil {
				return err
			}
		}
	}
	e.rep.checked = len(sample)
	logf("B1-B3: answers of %s agree on %d entities", strings.Join(e.peers, ", "), len(sample))
	return nil
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// explain records EXPLAIN of featurehouse's two statements, with their
// parameters, and warns when either is not on the online route.
func (e *onlineEnv) explain(ctx context.Context, p, key string) error {
	conn, err := pgx.Connect(ctx, e.urls[p])
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, x := range []struct {
		q   string
		arg any
		out map[string]string
	}{{fhOneSQL, key, e.rep.explain}, {fhManySQL, []string{key}, e.rep.explainMany}} {
		lines, err := explainLines(ctx, conn, "EXPLAIN "+x.q, x.arg)
		if err != nil {
			// EXPLAIN may take no parameters: explain the same statement
			// with the key as a literal instead.
			lit := "'" + key + "'"
			if _, many := x.arg.([]string); many {
				lit = "ARRAY['" + key + "']"
			}
			q := "EXPLAIN " + strings.Replace(x.q, "$1", lit, 1)
			var err2 error
			if lines, err2 = explainLines(ctx, conn, q); err2 != nil {
				return fmt.Errorf("%s: EXPLAIN with a parameter: %v; %s: %w", p, err, q, err2)
			}
			lines = append(lines, "(explained with the key as a literal: EXPLAIN with $1 answered \""+err.Error()+"\")")
		}
		text := strings.Join(lines, " / ")
		x.out[p] = text
		if !strings.Contains(text, "Route: online store") {
			w := fmt.Sprintf("%s: `%s` did NOT take the online route; EXPLAIN says: %s", onlineLabel(p), x.q, firstWords(text))
			e.rep.warnings = append(e.rep.warnings, w)
			logf("WARNING: %s", w)
		}
	}
	return nil
}

func explainLines(ctx context.Context, conn *pgx.Conn, q string, args ...any) ([]string, error) {
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		lines = append(lines, strings.TrimSpace(l))
	}
	return lines, rows.Err()
}

// ---- server-side figures ----------------------------------------------------------

// servingCounters are featurehouse's serving figures for group bl on the
// online route, from /metrics (cumulative since start).
type servingCounters struct {
	latSum, latCount, hits, keys float64
}

func (e *onlineEnv) scrape(p string) (servingCounters, error) {
	var c servingCounters
	s, ok := e.fh[p]
	if !ok {
		return c, nil
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", s.httpPort))
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return c, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.Contains(l, `group="bl"`) || !strings.Contains(l, `route="online"`) {
			continue
		}
		name, _, _ := strings.Cut(l, "{")
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			continue
		}
		switch name {
		case "featurehouse_serving_latency_seconds_sum":
			c.latSum = v
		case "featurehouse_serving_latency_seconds_count":
			c.latCount = v
		case "featurehouse_serving_cache_hits_total":
			c.hits = v
		case "featurehouse_serving_keys_total":
			c.keys = v
		}
	}
	return c, nil
}

// serverPIDs are the processes serving peer p (PostgreSQL: the postmaster
// and its children).
func (e *onlineEnv) serverPIDs(p string) []int {
	switch p {
	case peerFhMem, peerFhMemReader:
		return []int{e.fh[p].pid()}
	case peerFhRedis, peerFhRedisCache:
		return []int{e.fh[p].pid(), e.redis.pid}
	case peerPG:
		pm := e.pg.postmasterPID()
		return append([]int{pm}, childPIDs(pm)...)
	case peerRedis:
		return []int{e.redis.pid}
	}
	return nil
}

func childPIDs(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if c, err := strconv.Atoi(e.Name()); err == nil && c != pid && procPPid(c) == pid {
			out = append(out, c)
		}
	}
	return out
}

// serverCPU is the CPU seconds used so far by the processes serving peer
// p, and their threads' context switches (voluntary and not): a lookup
// that wakes more threads pays for it on a small VM.
func (e *onlineEnv) serverCPU(p string) (cpu, cs float64) {
	for _, pid := range e.serverPIDs(p) {
		t, _ := procCPU(pid)
		cpu += t
		cs += ctxSwitches(pid)
	}
	return cpu, cs
}

// ctxSwitches sums the context switches of a process's live threads.
func ctxSwitches(pid int) float64 {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var n float64
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/status", pid, tid)); err == nil {
			for _, l := range strings.Split(string(st), "\n") {
				if k, v, ok := strings.Cut(l, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
					x, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
					n += x
				}
			}
		}
	}
	return n
}

func selfCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// measure wraps a timed section: server and client CPU, and featurehouse's
// own count and latency of the online lookups served in it.
func (e *onlineEnv) measure(p string, run *latRun, f func() error) error {
	c0, err := e.scrape(p)
	if err != nil {
		return fmt.Errorf("reading %s's /metrics: %w", p, err)
	}
	s0, cs0 := e.serverCPU(p)
	u0 := selfCPU()
	if err := f(); err != nil {
		return err
	}
	s1, cs1 := e.serverCPU(p)
	run.serverCPU, run.serverCS, run.clientCPU = s1-s0, cs1-cs0, selfCPU()-u0
	c1, err := e.scrape(p)
	if err != nil {
		return fmt.Errorf("reading %s's /metrics: %w", p, err)
	}
	run.storeCount = c1.latCount - c0.latCount
	if run.storeCount > 0 {
		run.storeMean = time.Duration((c1.latSum - c0.latSum) / run.storeCount * 1e9)
	}
	run.cacheHits, run.keysIn = c1.hits-c0.hits, c1.keys-c0.keys
	if _, isFH := e.fh[p]; isFH && run.storeCount < float64(run.n) {
		w := fmt.Sprintf("%s: the server counted %.0f online-route lookups for %d requests: the rest did NOT take the online route", onlineLabel(p), run.storeCount, run.n)
		if !contains(e.rep.warnings, w) {
			e.rep.warnings = append(e.rep.warnings, w)
		}
		logf("WARNING: %s", w)
	}
	return nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func percentiles(lat []time.Duration, run *latRun) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	at := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return lat[max(i, 0)]
	}
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	run.n = len(lat)
	run.p50, run.p99 = at(0.50), at(0.99)
	run.mean = sum / time.Duration(len(lat))
}

// order is the peers of repetition r: rotated so that no peer always runs
// first or right after another.
func (e *onlineEnv) order(r int) []string {
	out := make([]string, len(e.peers))
	for i := range e.peers {
		out[i] = e.peers[(i+r)%len(e.peers)]
	}
	return out
}

// randomKeys is a deterministic sequence of random entities; each
// repetition has its own, the same for every peer.
func (e *onlineEnv) randomKeys(seed uint64, n int) []string {
	rng := rand.New(rand.NewPCG(seed, 11))
	out := make([]string, n)
	for i := range out {
		out[i] = e.data.keys[rng.IntN(len(e.data.keys))]
	}
	return out
}

// ---- B1 ---------------------------------------------------------------------------

func (e *onlineEnv) runB1(ctx context.Context) error {
	warm := max(e.o.b1N/10, 500)
	for r := 0; r < e.o.repeat; r++ {
		keys := e.randomKeys(uint64(100+r), warm+e.o.b1N)
		for _, p := range e.order(r) {
			if err := ctx.Err(); err != nil {
				return err
			}
			c, err := e.newClient(ctx, p)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			var run latRun
			err = func() error {
				defer c.close()
				for _, k := range keys[:warm] {
					if _, err := c.one(ctx, k); err != nil {
						return err
					}
				}
				lat := make([]time.Duration, e.o.b1N)
				timed := keys[warm:]
				err := e.measure(p, &run, func() error {
					start := time.Now()
					for i, k := range timed {
						t := time.Now()
						if _, err := c.one(ctx, k); err != nil {
							return err
						}
						lat[i] = time.Since(t)
					}
					run.seconds, run.n = time.Since(start).Seconds(), len(lat)
					return nil
				})
				percentiles(lat, &run)
				return err
			}()
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			logf("B1 rep %d %-12s p50 %6.0fµs  p99 %6.0fµs  mean %6.0fµs  %7.0f req/s  server CPU %.0fµs/req, %.1f context switches/req%s",
				r+1, p, us(run.p50), us(run.p99), us(run.mean), run.rate(), 1e6*run.serverCPU/float64(run.n), run.serverCS/float64(run.n), storeNote(run))
			e.rep.b1[p] = append(e.rep.b1[p], run)
		}
	}
	return nil
}

func us(d time.Duration) float64 { return float64(d) / 1e3 }

func storeNote(r latRun) string {
	if r.storeCount == 0 {
		return ""
	}
	s := fmt.Sprintf("  (server: store get mean %.0fµs", us(r.storeMean))
	if r.cacheHits > 0 {
		s += fmt.Sprintf(", cache hits %.0f%%", 100*r.cacheHits/r.keysIn)
	}
	return s + ")"
}

// ---- B2 ---------------------------------------------------------------------------

func (e *onlineEnv) runB2(ctx context.Context) error {
	const conns = 32
	for r := 0; r < e.o.repeat; r++ {
		for _, p := range e.order(r) {
			if err := ctx.Err(); err != nil {
				return err
			}
			run, err := e.b2Once(ctx, p, conns, uint64(200+r))
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			logf("B2 rep %d %-12s %7.0f req/s  p50 %6.0fµs  p99 %6.0fµs  server CPU %.0fµs/req%s",
				r+1, p, run.rate(), us(run.p50), us(run.p99), 1e6*run.serverCPU/float64(run.n), storeNote(run))
			e.rep.b2[p] = append(e.rep.b2[p], run)
		}
	}
	return nil
}

// b2Once runs 32 clients flat out: one second of warm-up, then the timed
// duration; every request's latency is kept.
func (e *onlineEnv) b2Once(ctx context.Context, p string, conns int, seed uint64) (latRun, error) {
	var run latRun
	clients := make([]lookupClient, conns)
	var shared *redisClient
	if p == peerRedis {
		// One go-redis client with a pool of 32, as an application would.
		shared = newRedisClient(e.redis.addr(), conns)
		defer func() { _ = shared.rdb.Close() }()
	}
	for i := range clients {
		if shared != nil {
			c := newRedisClient(e.redis.addr(), 0)
			_ = c.rdb.Close()
			c.rdb, c.shared = shared.rdb, true
			clients[i] = c
			continue
		}
		c, err := e.newClient(ctx, p)
		if err != nil {
			for _, c := range clients[:i] {
				c.close()
			}
			return run, err
		}
		clients[i] = c
	}
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	phase := func(d time.Duration, lats [][]time.Duration) error {
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		errs := make([]error, conns)
		for g := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(seed, uint64(g)))
				keys := e.data.keys
				for time.Now().Before(deadline) {
					k := keys[rng.IntN(len(keys))]
					t := time.Now()
					if _, err := clients[g].one(ctx, k); err != nil {
						errs[g] = err
						return
					}
					if lats != nil {
						lats[g] = append(lats[g], time.Since(t))
					}
				}
			}()
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	if err := phase(time.Second, nil); err != nil {
		return run, err
	}
	lats := make([][]time.Duration, conns)
	for g := range lats {
		lats[g] = make([]time.Duration, 0, 1<<14)
	}
	err := e.measure(p, &run, func() error {
		start := time.Now()
		if err := phase(e.o.b2Dur, lats); err != nil {
			return err
		}
		run.seconds = time.Since(start).Seconds()
		for _, l := range lats {
			run.n += len(l)
		}
		return nil
	})
	if err != nil {
		return run, err
	}
	if run.n == 0 {
		return run, errors.New("no request completed")
	}
	all := make([]time.Duration, 0, run.n)
	for _, l := range lats {
		all = append(all, l...)
	}
	percentiles(all, &run)
	return run, nil
}

// ---- B3 ---------------------------------------------------------------------------

const b3Batch = 100

func (e *onlineEnv) runB3(ctx context.Context) error {
	warm := max(e.o.b3N/10, 50)
	for r := 0; r < e.o.repeat; r++ {
		batches := e.batches(uint64(300+r), warm+e.o.b3N)
		for _, p := range e.order(r) {
			if err := ctx.Err(); err != nil {
				return err
			}
			c, err := e.newClient(ctx, p)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			var run latRun
			err = func() error {
				defer c.close()
				get := func(b []string) error {
					ids, _, err := c.many(ctx, b)
					if err == nil && len(ids) != len(b) {
						err = fmt.Errorf("batch of %d entities answered %d rows", len(b), len(ids))
					}
					return err
				}
				for _, b := range batches[:warm] {
					if err := get(b); err != nil {
						return err
					}
				}
				lat := make([]time.Duration, e.o.b3N)
				err := e.measure(p, &run, func() error {
					start := time.Now()
					for i, b := range batches[warm:] {
						t := time.Now()
						if err := get(b); err != nil {
							return err
						}
						lat[i] = time.Since(t)
					}
					run.seconds, run.n = time.Since(start).Seconds(), len(lat)
					return nil
				})
				percentiles(lat, &run)
				return err
			}()
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			logf("B3 rep %d %-12s p50 %6.0fµs  p99 %6.0fµs  mean %6.0fµs  %6.0f batches/s  server CPU %.0fµs/batch%s",
				r+1, p, us(run.p50), us(run.p99), us(run.mean), run.rate(), 1e6*run.serverCPU/float64(run.n), storeNote(run))
			e.rep.b3[p] = append(e.rep.b3[p], run)
		}
	}
	return nil
}

// batches are n batches of b3Batch distinct random entities.
func (e *onlineEnv) batches(seed uint64, n int) [][]string {
	rng := rand.New(rand.NewPCG(seed, 13))
	out := make([][]string, n)
	for i := range out {
		seen := make(map[int]bool, b3Batch)
		b := make([]string, 0, b3Batch)
		for len(b) < b3Batch {
			j := rng.IntN(len(e.data.keys))
			if !seen[j] {
				seen[j] = true
				b = append(b, e.data.keys[j])
			}
		}
		out[i] = b
	}
	return out
}

// lookupMain is B1's (or with -batch, B3's) client alone against a server
// that already has group bl, e.g. to run under perf or beside /metrics.
func lookupMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("lookup", flag.ContinueOnError)
	url := fs.String("url", "", "connection string")
	n := fs.Int("n", 20_000, "timed lookups (or batches)")
	entities := fs.Int("entities", 100_000, "entities in bl (keys u0000000 ..)")
	batch := fs.Bool("batch", false, "B3: batches of 100 entities × 50 features")
	pg := fs.Bool("pg", false, "the server is PostgreSQL (no AS OF)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	one, many := fhOneSQL, fhManySQL
	if *pg {
		one, many = pgOneSQL, pgManySQL
	}
	c, err := newPgxClient(ctx, *url, one, many)
	if err != nil {
		return err
	}
	defer c.close()
	e := &onlineEnv{data: &blData{keys: make([]string, *entities)}}
	for i := range e.data.keys {
		e.data.keys[i] = fmt.Sprintf("u%07d", i)
	}
	lat := make([]time.Duration, *n)
	start := time.Now()
	if *batch {
		for i, b := range e.batches(1, *n) {
			t := time.Now()
			if _, _, err := c.many(ctx, b); err != nil {
				return err
			}
			lat[i] = time.Since(t)
		}
	} else {
		for i, k := range e.randomKeys(1, *n) {
			t := time.Now()
			if _, err := c.one(ctx, k); err != nil {
				return err
			}
			lat[i] = time.Since(t)
		}
	}
	el := time.Since(start)
	var run latRun
	percentiles(lat, &run)
	fmt.Printf("%d in %.2fs: p50 %.0fµs p99 %.0fµs mean %.0fµs, %.0f/s\n", *n, el.Seconds(), us(run.p50), us(run.p99), us(run.mean), float64(*n)/el.Seconds())
	return nil
}
