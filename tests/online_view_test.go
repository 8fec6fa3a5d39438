package tests

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/featurehouse/featurehouse/internal/redistest"
)

// onlineViewStores are the stores online feature views are checked on.
var onlineViewStores = []struct {
	name string
	args func(t *testing.T) []string
}{
	{"memory", func(*testing.T) []string { return nil }},
	{"redis", func(t *testing.T) []string {
		addr, _, _ := redistest.StartRedis(t)
		return []string{"--online-store-uri", "redis://" + addr}
	}},
}

// viewLookup reads a view AS OF now() for the entities (the online route)
// or, with offline, the same rows through DuckDB.
func viewLookup(t *testing.T, c *pgx.Conn, view, cols string, ids []string, offline bool) []string {
	t.Helper()
	at := "now()"
	if offline {
		at = "now() + INTERVAL '0 seconds'" // not a lookup time: DuckDB answers
	}
	rows, err := c.Query(context.Background(), `SELECT `+cols+` FROM `+view+` AS OF `+at+` WHERE user_id = ANY($1)`, ids)
	if err != nil {
		t.Fatalf("%s: %v", view, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// The online route answers in key order, DuckDB in its own.
	sortStrings(out)
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestOnlineFeatureViewsInvariant: random writes (out of order, with
// window and ttl edges), deletes, truncates and a restart on the source
// groups of a join view and of aggregating views with and without a
// window; after each, every view's online answer equals its offline
// answer for the same entities, on the embedded store and on Redis.
func TestOnlineFeatureViewsInvariant(t *testing.T) {
	for _, st := range onlineViewStores {
		t.Run(st.name, func(t *testing.T) {
			srv := StartServer(t, st.args(t)...)
			c := srv.Connect(t)
			Exec(t, c, `CREATE FEATURE GROUP vd (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, age INTEGER, country TEXT) WITH (online = true, ttl = '2 hours')`)
			Exec(t, c, `CREATE FEATURE GROUP vt (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, amount DOUBLE PRECISION) WITH (online = true)`)
			Exec(t, c, `CREATE FEATURE VIEW vprof AS SELECT d.user_id, d.age, d.country, t.amount FROM vd d JOIN vt t USING (user_id) WHERE d.age >= 18 WITH (online = true)`)
			Exec(t, c, `CREATE FEATURE VIEW vall AS SELECT user_id, sum(amount) AS total, count(*) AS n, min(amount) AS lo, max(amount) AS hi FROM vt GROUP BY user_id WITH (online = true)`)
			Exec(t, c, `CREATE FEATURE VIEW vwin AS SELECT user_id, sum(amount) AS total, count(*) AS n, avg(amount) AS mean FROM vt GROUP BY user_id WITH (online = true, window = '1 hour')`)
			views := map[string]string{"vprof": "user_id, age, country, amount", "vall": "user_id, total, n, lo, hi", "vwin": "user_id, total, n, mean"}
			for v := range views {
				var plan strings.Builder
				for _, r := range QueryStrings(t, c, `EXPLAIN SELECT * FROM `+v+` AS OF now() WHERE user_id = 'u1'`) {
					plan.WriteString(r[0] + "\n")
				}
				if !strings.Contains(plan.String(), "Route: online store") {
					t.Fatalf("EXPLAIN of %s:\n%s", v, plan.String())
				}
			}
			ids := []string{"u0", "u1", "u2", "u3", "u4", "u5", "nobody"}
			rng := rand.New(rand.NewSource(7))
			check := func(step string) {
				t.Helper()
				for v, cols := range views {
					// Sandwiched between two offline answers: a window edge
					// crossed in between makes the step inconclusive.
					before := viewLookup(t, c, v, cols, ids, true)
					got := viewLookup(t, c, v, cols, ids, false)
					after := viewLookup(t, c, v, cols, ids, true)
					if !reflect.DeepEqual(before, after) {
						continue
					}
					if !reflect.DeepEqual(got, before) {
						t.Fatalf("after %s, %s online:\n%v\noffline:\n%v", step, v, got, before)
					}
				}
			}
			ago := func() string {
				// Mostly recent; some around the window (1 h) and ttl (2 h) edges.
				s := rng.Intn(3 * 3600)
				if rng.Intn(4) == 0 {
					s = 3600 + rng.Intn(5) - 2 // an event leaving the window within seconds
				}
				return fmt.Sprintf("now() - INTERVAL '%d seconds'", s)
			}
			for i := 0; i < 60; i++ {
				u := fmt.Sprintf("u%d", rng.Intn(6))
				var step string
				switch r := rng.Intn(10); {
				case r < 4:
					step = fmt.Sprintf(`INSERT INTO vt VALUES ('%s', %s, %d)`, u, ago(), rng.Intn(100))
				case r < 7:
					step = fmt.Sprintf(`INSERT INTO vd VALUES ('%s', %s, %d, '%s')`, u, ago(), 10+rng.Intn(40), []string{"US", "UK", "FR"}[rng.Intn(3)])
				case r < 8:
					step = fmt.Sprintf(`DELETE FROM vt WHERE user_id = '%s' AND amount < %d`, u, rng.Intn(100))
				case r < 9:
					step = fmt.Sprintf(`DELETE FROM vd WHERE user_id = '%s'`, u)
				default:
					if rng.Intn(3) == 0 {
						step = `TRUNCATE vt`
					} else {
						step = fmt.Sprintf(`INSERT INTO vt SELECT 'u' || (i %% 6), now() - i * INTERVAL '7 minutes', i FROM range(%d) r(i)`, 1+rng.Intn(30))
					}
				}
				Exec(t, c, step)
				check(step)
				if i == 30 {
					srv.Stop()
					srv.Start()
					c = srv.Connect(t)
					check("restart")
				}
			}
			// In a transaction the lookup sees the transaction's own writes.
			Exec(t, c, `BEGIN`)
			Exec(t, c, `INSERT INTO vt VALUES ('u5', now() - INTERVAL '1 second', 1000)`)
			in := viewLookup(t, c, "vall", views["vall"], []string{"u5"}, false)
			Exec(t, c, `COMMIT`)
			if len(in) != 1 || !strings.Contains(in[0], "1000") {
				t.Errorf("lookup inside the writing transaction: %v", in)
			}
			check("commit")
			// A window edge passing with no write: the online answer follows.
			Exec(t, c, `TRUNCATE vt`)
			Exec(t, c, `INSERT INTO vt VALUES ('u1', now() - INTERVAL '3599 seconds', 5), ('u1', now() - INTERVAL '10 minutes', 7)`)
			time.Sleep(1500 * time.Millisecond)
			got := viewLookup(t, c, "vwin", views["vwin"], []string{"u1"}, false)
			if len(got) != 1 || !strings.HasPrefix(got[0], "[u1 7 1 ") {
				t.Errorf("vwin after its oldest event left the window: %v", got)
			}
			check("window edge")
			Exec(t, c, `REFRESH ONLINE vwin`)
			check("refresh")
			Exec(t, c, `DROP FEATURE VIEW vprof`)
		})
	}
}

// TestOnlineFeatureViewErrors: what CREATE refuses for online views.
func TestOnlineFeatureViewErrors(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP off (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, x INTEGER)`)
	Exec(t, c, `CREATE FEATURE GROUP dated (user_id TEXT ENTITY KEY, day DATE EVENT TIME, x INTEGER) WITH (online = true)`)
	fvCode(t, c, `CREATE FEATURE VIEW a AS SELECT user_id, sum(x) AS s FROM off GROUP BY user_id WITH (online = true)`, "0A000")
	fvCode(t, c, `CREATE FEATURE VIEW b AS SELECT user_id, sum(x) AS s FROM dated GROUP BY user_id WITH (online = true)`, "0A000")
	fvCode(t, c, `CREATE FEATURE VIEW c2 AS SELECT user_id, sum(x) AS s FROM off GROUP BY user_id WITH (online = maybe)`, "22023")
}
