package main

import (
	"fmt"
	"strings"
	"time"
)

// B1-B3's part of the report: medians of the repetitions, every run's p50
// (or rate), and the aims of the issue, each met or NOT met, from figures
// of this run only.

func medianDur(runs []latRun, f func(latRun) time.Duration) float64 {
	var xs []float64
	for _, r := range runs {
		xs = append(xs, us(f(r)))
	}
	return median(xs)
}

func medianOf(runs []latRun, f func(latRun) float64) float64 {
	var xs []float64
	for _, r := range runs {
		xs = append(xs, f(r))
	}
	return median(xs)
}

func eachRun(runs []latRun, f func(latRun) string) string {
	var s []string
	for _, r := range runs {
		s = append(s, f(r))
	}
	return strings.Join(s, ", ")
}

func perReq(cpu func(latRun) float64) func(latRun) float64 {
	return func(r latRun) float64 { return 1e6 * cpu(r) / float64(r.n) }
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// storeCol is featurehouse's own mean time in the online store call (its
// serving_latency_seconds over the timed section), with the cache hit rate.
func storeCol(p string, runs []latRun) string {
	if !isFh(p) {
		return "—"
	}
	s := fmt.Sprintf("%.0f", medianDur(runs, func(r latRun) time.Duration { return r.storeMean }))
	if h := medianOf(runs, func(r latRun) float64 {
		if r.keysIn == 0 {
			return 0
		}
		return r.cacheHits / r.keysIn
	}); h > 0 {
		s += fmt.Sprintf(" (cache hits %.0f%%)", 100*h)
	}
	return s
}

func (or *onlineReport) markdown(b *strings.Builder, repeat int) {
	fmt.Fprintf(b, "Online lookups: %d entities × %d features (one row each, event times in the last 7 days, no ttl); %d repetition(s) per figure, peers interleaved (order rotated); every request asks for a random entity, the same sequence for every peer in a repetition.\n\n",
		or.entities, blFeatures, repeat)
	for _, w := range or.warnings {
		fmt.Fprintf(b, "**WARNING: %s**\n\n", w)
	}
	for _, p := range onlinePeers {
		if why, ok := or.skipped[p]; ok {
			fmt.Fprintf(b, "Not run: %s — %s\n\n", onlineLabel(p), why)
		}
	}
	for _, p := range fhPeers {
		if x, ok := or.explain[p]; ok {
			fmt.Fprintf(b, "- EXPLAIN (%s), B1 statement: `%s`\n", onlineLabel(p), x)
		}
		if x, ok := or.explainMany[p]; ok {
			fmt.Fprintf(b, "- EXPLAIN (%s), B3 statement: `%s`\n", onlineLabel(p), withoutOutput(x))
		}
	}
	fmt.Fprintf(b, "- answers checked: f1..f10 and f1..f50 of %d random entities (and one unknown) equal on every peer and to the generated values\n\n", or.checked)

	pgB1 := medianDur(or.b1[peerPG], func(r latRun) time.Duration { return r.p50 })
	if or.which["b1"] {
		fmt.Fprintf(b, "#### B1 online lookup: 1 entity × 10 features, 1 connection, %d requests per run\n\n", or.b1N)
		fmt.Fprintf(b, "featurehouse `%s`; PostgreSQL `%s` (both prepared once, pgx default mode); Redis `HMGET key f1 .. f10`. Values decoded to float64 by the client.\n\n", fhOneSQL, pgOneSQL)
		b.WriteString("| peer | p50 µs (median) | p99 µs (median) | mean µs (median) | requests/s (median) | p50 µs, each run | server CPU µs/request | server context switches/request | client CPU µs/request | featurehouse in-server store get, mean µs | p50 ÷ PostgreSQL's |\n|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n")
		for _, p := range onlinePeers {
			runs := or.b1[p]
			if len(runs) == 0 {
				continue
			}
			p50 := medianDur(runs, func(r latRun) time.Duration { return r.p50 })
			fmt.Fprintf(b, "| %s | %.0f | %.0f | %.0f | %s | %s | %.0f | %.1f | %.0f | %s | %.2fx |\n", onlineLabel(p), p50,
				medianDur(runs, func(r latRun) time.Duration { return r.p99 }),
				medianDur(runs, func(r latRun) time.Duration { return r.mean }),
				fmtRate1(medianOf(runs, latRun.rate)),
				eachRun(runs, func(r latRun) string { return fmt.Sprintf("%.0f", us(r.p50)) }),
				medianOf(runs, perReq(func(r latRun) float64 { return r.serverCPU })),
				medianOf(runs, func(r latRun) float64 { return r.serverCS / float64(r.n) }),
				medianOf(runs, perReq(func(r latRun) float64 { return r.clientCPU })),
				storeCol(p, runs), p50/pgB1)
		}
		b.WriteString("\n")
	}

	pgB2 := medianOf(or.b2[peerPG], latRun.rate)
	if or.which["b2"] {
		fmt.Fprintf(b, "#### B2 online lookups: %d connections, %.0f s per run\n\n", or.b2Conns, or.b2Dur.Seconds())
		fmt.Fprintf(b, "The B1 statements; %d goroutines, each with its own pgx connection (Redis: one go-redis client with a pool of %d), after 1 s of warm-up.\n\n", or.b2Conns, or.b2Conns)
		b.WriteString("| peer | requests/s (median) | requests/s, each run | p50 µs (median) | p99 µs (median) | server CPU µs/request | featurehouse in-server store get, mean µs | requests/s ÷ PostgreSQL's |\n|---|---:|---|---:|---:|---:|---:|---:|\n")
		for _, p := range onlinePeers {
			runs := or.b2[p]
			if len(runs) == 0 {
				continue
			}
			rate := medianOf(runs, latRun.rate)
			fmt.Fprintf(b, "| %s | %s | %s | %.0f | %.0f | %.0f | %s | %.2fx |\n", onlineLabel(p), fmtRate1(rate),
				eachRun(runs, func(r latRun) string { return fmtRate1(r.rate()) }),
				medianDur(runs, func(r latRun) time.Duration { return r.p50 }),
				medianDur(runs, func(r latRun) time.Duration { return r.p99 }),
				medianOf(runs, perReq(func(r latRun) float64 { return r.serverCPU })),
				storeCol(p, runs), rate/pgB2)
		}
		b.WriteString("\n")
	}

	pgB3 := medianDur(or.b3[peerPG], func(r latRun) time.Duration { return r.p50 })
	if or.which["b3"] {
		fmt.Fprintf(b, "#### B3 batch lookup: %d entities × %d features, 1 connection, %d batches per run\n\n", b3Batch, blFeatures, or.b3N)
		fmt.Fprintf(b, "featurehouse `SELECT user_id, f1, ..., f50 FROM bl AS OF now() WHERE user_id = ANY($1)`; PostgreSQL the same on the table; $1 a []string of %d distinct random keys. Redis: a pipeline of %d `HMGET key f1 .. f50`.\n\n", b3Batch, b3Batch)
		b.WriteString("| peer | p50 µs (median) | p99 µs (median) | mean µs (median) | batches/s (median) | p50 µs, each run | server CPU µs/batch | featurehouse in-server store get, mean µs | p50 ÷ PostgreSQL's |\n|---|---:|---:|---:|---:|---|---:|---:|---:|\n")
		for _, p := range onlinePeers {
			runs := or.b3[p]
			if len(runs) == 0 {
				continue
			}
			p50 := medianDur(runs, func(r latRun) time.Duration { return r.p50 })
			fmt.Fprintf(b, "| %s | %.0f | %.0f | %.0f | %s | %s | %.0f | %s | %.2fx |\n", onlineLabel(p), p50,
				medianDur(runs, func(r latRun) time.Duration { return r.p99 }),
				medianDur(runs, func(r latRun) time.Duration { return r.mean }),
				fmtRate1(medianOf(runs, latRun.rate)),
				eachRun(runs, func(r latRun) string { return fmt.Sprintf("%.0f", us(r.p50)) }),
				medianOf(runs, perReq(func(r latRun) float64 { return r.serverCPU })),
				storeCol(p, runs), p50/pgB3)
		}
		b.WriteString("\n")
	}

	b.WriteString("Aims:\n\n")
	notRun := func(p string) string {
		if _, ok := or.skipped[p]; ok {
			return "not measured (see \"Not run\" above)"
		}
		return "not measured"
	}
	if or.which["b1"] {
		for _, p := range []string{peerFhRedis, peerFhRedisCache} {
			if runs := or.b1[p]; len(runs) > 0 {
				v := medianDur(runs, func(r latRun) time.Duration { return r.p50 })
				fmt.Fprintf(b, "- B1, %s: p50 no slower than PostgreSQL's primary-key lookup — %.0f µs vs %.0f µs (%.2fx): %s.\n", storeName(p), v, pgB1, v/pgB1, verdict(v <= pgB1))
			} else {
				fmt.Fprintf(b, "- B1, %s: p50 no slower than PostgreSQL's — %s.\n", storeName(p), notRun(p))
			}
		}
		if runs := or.b1[peerFhMem]; len(runs) > 0 {
			v := medianDur(runs, func(r latRun) time.Duration { return r.p50 })
			fmt.Fprintf(b, "- B1, embedded store: p50 at most 0.8x PostgreSQL's — %.0f µs vs %.0f µs (%.2fx): %s.\n", v, pgB1, v/pgB1, verdict(v <= 0.8*pgB1))
		}
	}
	if or.which["b2"] {
		for _, p := range fhPeers {
			if runs := or.b2[p]; len(runs) > 0 {
				v := medianOf(runs, latRun.rate)
				fmt.Fprintf(b, "- B2, %s: throughput at least PostgreSQL's — %s vs %s requests/s (%.2fx): %s.\n", storeName(p), fmtRate1(v), fmtRate1(pgB2), v/pgB2, verdict(v >= pgB2))
			} else {
				fmt.Fprintf(b, "- B2, %s: %s.\n", storeName(p), notRun(p))
			}
		}
	}
	if or.which["b3"] {
		for _, p := range fhPeers {
			if runs := or.b3[p]; len(runs) > 0 {
				v := medianDur(runs, func(r latRun) time.Duration { return r.p99 })
				fmt.Fprintf(b, "- B3, %s: p99 under 2 ms — %.2f ms (PostgreSQL's p99 %.2f ms): %s.\n", storeName(p), v/1000,
					medianDur(or.b3[peerPG], func(r latRun) time.Duration { return r.p99 })/1000, verdict(v < 2000))
			} else {
				fmt.Fprintf(b, "- B3, %s: %s.\n", storeName(p), notRun(p))
			}
		}
	}
	b.WriteString("\n")
	var ctxt []string
	for _, p := range onlinePeers {
		if s, ok := or.loadSeconds[p]; ok {
			ctxt = append(ctxt, fmt.Sprintf("%s %.1f s", p, s))
		}
	}
	fmt.Fprintf(b, "Loading (untimed for the benchmarks): %s.", strings.Join(ctxt, ", "))
	for _, p := range fhPeers {
		if kb, ok := or.fhOnlnKB[p]; ok {
			fmt.Fprintf(b, " featurehouse RSS (%s): %.0f MB idle, %.0f MB loaded.", storeName(p), float64(or.fhIdleKB[p])/1024, float64(kb)/1024)
		}
	}
	if or.redisUsedMemoryByte > 0 {
		fmt.Fprintf(b, " Redis used_memory at the end (both key spaces): %.0f MB.", mb(or.redisUsedMemoryByte))
	}
	b.WriteString("\n\n")
}

func storeName(p string) string {
	switch p {
	case peerFhRedis:
		return "Redis store"
	case peerFhRedisCache:
		return "Redis store + serving cache"
	}
	return "embedded store"
}

// withoutOutput drops EXPLAIN's "Output: ..." line (50 column names).
func withoutOutput(explain string) string {
	parts := strings.Split(explain, " / ")
	out := parts[:0]
	for _, p := range parts {
		if !strings.HasPrefix(p, "Output:") {
			out = append(out, p)
		}
	}
	return strings.Join(out, " / ")
}

// fmtRate1 is a rate with one decimal in thousands (12.3k), enough to
// compare peers that differ by less than 10%.
func fmtRate1(r float64) string {
	if r >= 1e3 {
		return fmt.Sprintf("%.1fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}
