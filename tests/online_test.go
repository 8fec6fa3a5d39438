package tests

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// onlineStores are the online stores the online tests run against: the
// embedded one always; Redis ones are added by redisStores (online_redis_test.go).
type onlineStore struct {
	name string
	args func(t *testing.T) []string // extra serve flags
}

func allOnlineStores() []onlineStore {
	return append([]onlineStore{{name: "memory", args: func(*testing.T) []string { return nil }}}, redisStores()...)
}

// lookupRows runs a lookup with pgx's default (extended) protocol and
// returns rows as text, sorted.
func lookupRows(t *testing.T, c *pgx.Conn, q string, args ...any) []string {
	t.Helper()
	out, err := tryLookup(c, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func tryLookup(c *pgx.Conn, q string, args ...any) ([]string, error) {
	rows, err := c.Query(context.Background(), q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		out = append(out, strings.TrimSpace(fmt.Sprintln(vals...)))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

func explainRoute(t *testing.T, c *pgx.Conn, q string) string {
	t.Helper()
	rows := QueryStrings(t, c, "EXPLAIN "+q)
	if len(rows) == 0 {
		t.Fatalf("EXPLAIN %s: no rows", q)
	}
	return rows[0][0]
}

// TestOnlineLookups checks the statement shapes the online store answers,
// their answers against DuckDB's for the same data, and EXPLAIN's route.
func TestOnlineLookups(t *testing.T) {
	for _, st := range allOnlineStores() {
		t.Run(st.name, func(t *testing.T) {
			srv := StartServer(t, st.args(t)...)
			c := srv.Connect(t)
			Exec(t, c, `CREATE FEATURE GROUP users (user_id TEXT ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, age INTEGER, country TEXT, emb REAL[])
				WITH (online = true, ttl = '30 days')`)
			Exec(t, c, `CREATE FEATURE GROUP pairs (a BIGINT ENTITY KEY, b TEXT ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, v DOUBLE PRECISION) WITH (online = true)`)
			Exec(t, c, `INSERT INTO users VALUES
				('u1', now() - interval '1 day', 30, 'US', '{1,2}'),
				('u1', now() - interval '2 days', 29, 'UK', NULL),
				('u2', now() - interval '40 days', 50, 'CA', NULL),
				('u3', now() - interval '1 hour', 7, NULL, '{3}')`)
			// A late event arrives after a newer one: it must not win.
			Exec(t, c, `INSERT INTO users VALUES ('u3', now() - interval '5 days', 6, 'FR', NULL)`)
			Exec(t, c, `INSERT INTO pairs VALUES (1, 'x', now() - interval '1 day', 1.5), (1, 'y', now() - interval '1 day', 2.5), (2, 'x', now() - interval '2 days', 3.5)`)

			cases := []struct {
				q    string
				args []any
				want []string
			}{
				{`SELECT age, country FROM users AS OF now() WHERE user_id = $1`, []any{"u1"}, []string{"30 US"}},
				{`SELECT age, country FROM users AS OF now() WHERE user_id = 'u3'`, nil, []string{"7 <nil>"}},
				{`SELECT user_id, age FROM users AS OF CURRENT_TIMESTAMP WHERE user_id IN ('u1', 'u2', 'u3', 'nobody')`, nil, []string{"u1 30", "u3 7"}},
				{`SELECT u.user_id, u.age AS years FROM users AS OF LATEST u WHERE u.user_id = ANY($1)`, []any{[]string{"u1", "u3", "u1"}}, []string{"u1 30", "u3 7"}},
				{`SELECT emb FROM users AS OF now() WHERE user_id = $1`, []any{"u1"}, []string{"[1 2]"}},
				{`SELECT v FROM pairs AS OF now() WHERE a = $1 AND b = $2`, []any{int64(1), "y"}, []string{"2.5"}},
				{`SELECT a, b, v FROM pairs AS OF now() WHERE b IN ('x', 'y') AND a = ANY($1)`, []any{[]int64{1, 2, 3}}, []string{"1 x 1.5", "1 y 2.5", "2 x 3.5"}},
			}
			for _, tc := range cases {
				if !strings.Contains(tc.q, "ANY($1)") {
					if route := explainRoute(t, c, strings.ReplaceAll(strings.ReplaceAll(tc.q, "$1", "'u1'"), "$2", "'y'")); !strings.HasPrefix(route, "Route: online store") {
						t.Errorf("%s: EXPLAIN route %q, want the online store", tc.q, route)
					}
				}
				got := lookupRows(t, c, tc.q, tc.args...)
				if strings.Join(got, "|") != strings.Join(tc.want, "|") {
					t.Errorf("%s %v: got %q, want %q", tc.q, tc.args, got, tc.want)
				}
				// The same statement answered by DuckDB (the AS OF time is
				// not a bare now(), so the planner does not route it online).
				off := strings.Replace(strings.Replace(strings.Replace(tc.q, "AS OF now()", "AS OF now() + interval '0 s'", 1),
					"AS OF CURRENT_TIMESTAMP", "AS OF now() + interval '0 s'", 1), "AS OF LATEST", "AS OF now() + interval '0 s'", 1)
				if got2 := lookupRows(t, c, off, tc.args...); strings.Join(got2, "|") != strings.Join(got, "|") {
					t.Errorf("%s: online %q, offline %q", tc.q, got, got2)
				}
			}
			// EXPLAIN of a parameterised lookup, through the extended protocol.
			if got := lookupRows(t, c, `EXPLAIN SELECT age FROM users AS OF now() WHERE user_id = $1`, "u1"); len(got) == 0 || !strings.Contains(strings.Join(got, "|"), "Route: online store") {
				t.Errorf("EXPLAIN with $1: %v", got)
			}
			// Other shapes stay on DuckDB.
			for _, q := range []string{
				`SELECT age FROM users AS OF now() WHERE user_id = 'u1' AND age > 3`,
				`SELECT age FROM users AS OF now() WHERE user_id LIKE 'u%'`,
				`SELECT count(*) FROM users AS OF now() WHERE user_id = 'u1'`,
				`SELECT v FROM pairs AS OF now() WHERE a = 1`,
				`SELECT age FROM users AS OF TIMESTAMP '2024-01-01' WHERE user_id = 'u1'`,
			} {
				if route := explainRoute(t, c, q); !strings.HasPrefix(route, "Route: DuckDB") {
					t.Errorf("%s: EXPLAIN route %q, want DuckDB", q, route)
				}
			}
			// Draft features are not served online: such a lookup runs on DuckDB.
			Exec(t, c, `ALTER FEATURE users.country SET STATUS draft`)
			if route := explainRoute(t, c, `SELECT age, country FROM users AS OF now() WHERE user_id = 'u1'`); !strings.HasPrefix(route, "Route: DuckDB") {
				t.Errorf("lookup of a draft feature: EXPLAIN route %q, want DuckDB", route)
			}
			if route := explainRoute(t, c, `SELECT age FROM users AS OF now() WHERE user_id = 'u1'`); !strings.HasPrefix(route, "Route: online store") {
				t.Errorf("lookup without the draft feature: EXPLAIN route %q, want the online store", route)
			}
			Exec(t, c, `ALTER FEATURE users.country SET STATUS active`)
			// A feature added later reads NULL in records written before it,
			// as offline.
			Exec(t, c, `ALTER FEATURE GROUP users ADD FEATURE score DOUBLE PRECISION`)
			if got := lookupRows(t, c, `SELECT age, score FROM users AS OF now() WHERE user_id = $1`, "u1"); strings.Join(got, ",") != "30 <nil>" {
				t.Errorf("added feature on an old record: %v", got)
			}
			Exec(t, c, `INSERT INTO users (user_id, ts, age, score) VALUES ('u1', now() - interval '1 minute', 31, 0.5)`)
			if got := lookupRows(t, c, `SELECT age, score FROM users AS OF now() WHERE user_id = $1`, "u1"); strings.Join(got, ",") != "31 0.5" {
				t.Errorf("added feature on a new record: %v", got)
			}
			// Serving statistics count the lookups.
			stats := QueryStrings(t, c, `SELECT group_name, route, requests > 0, errors FROM feature_store.serving_statistics WHERE route = 'online' ORDER BY 1`)
			if len(stats) != 2 || stats[0][0] != "pairs" || stats[1][0] != "users" || stats[1][2] != "t" || stats[1][3] != "0" {
				t.Errorf("serving_statistics: %v", stats)
			}
		})
	}
}

// TestOnlineTransactions: writes in a transaction block reach the online
// store at COMMIT, never after ROLLBACK; the session's own uncommitted
// writes are visible to its lookups.
func TestOnlineTransactions(t *testing.T) {
	for _, st := range allOnlineStores() {
		t.Run(st.name, func(t *testing.T) {
			srv := StartServer(t, st.args(t)...)
			c := srv.Connect(t)
			other := srv.Connect(t)
			Exec(t, c, `CREATE FEATURE GROUP tx (k INTEGER ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, v INTEGER) WITH (online = true)`)
			Exec(t, c, `INSERT INTO tx VALUES (1, now() - interval '1 hour', 10)`)
			q := `SELECT v FROM tx AS OF now() WHERE k = $1`
			Exec(t, c, `BEGIN`)
			Exec(t, c, `INSERT INTO tx VALUES (1, now() - interval '1 minute', 11)`)
			if got := lookupRows(t, c, q, 1); strings.Join(got, ",") != "11" {
				t.Errorf("own uncommitted write: %v", got)
			}
			if got := lookupRows(t, other, q, 1); strings.Join(got, ",") != "10" {
				t.Errorf("other session during the transaction: %v", got)
			}
			Exec(t, c, `ROLLBACK`)
			if got := lookupRows(t, other, q, 1); strings.Join(got, ",") != "10" {
				t.Errorf("after ROLLBACK: %v", got)
			}
			Exec(t, c, `BEGIN`)
			Exec(t, c, `INSERT INTO tx VALUES (1, now() - interval '1 minute', 12)`)
			Exec(t, c, `COMMIT`)
			if got := lookupRows(t, other, q, 1); strings.Join(got, ",") != "12" {
				t.Errorf("after COMMIT: %v", got)
			}
			// A multi-statement simple query is one implicit transaction.
			Exec(t, c, `INSERT INTO tx VALUES (2, now() - interval '1 minute', 20); INSERT INTO tx VALUES (2, now() - interval '30 seconds', 21)`)
			if got := lookupRows(t, other, q, 2); strings.Join(got, ",") != "21" {
				t.Errorf("after implicit transaction: %v", got)
			}
		})
	}
}

// TestOnlineOfflineConsistency is the invariant: for random data written
// in random order (late events, ties, ttl edges, NULLs, future events,
// rolled-back transactions, COPY and INSERT), the online answer of a
// lookup equals DuckDB's answer of the same statement.
func TestOnlineOfflineConsistency(t *testing.T) {
	for _, st := range allOnlineStores() {
		t.Run(st.name, func(t *testing.T) {
			srv := StartServer(t, st.args(t)...)
			c := srv.Connect(t)
			ctx := context.Background()
			Exec(t, c, `CREATE FEATURE GROUP r1 (k TEXT ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, x INTEGER, s TEXT) WITH (online = true, ttl = '10 days')`)
			Exec(t, c, `CREATE FEATURE GROUP r2 (a BIGINT ENTITY KEY, b TEXT ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, y DOUBLE PRECISION) WITH (online = true)`)
			rng := rand.New(rand.NewSource(7))
			base := time.Now().UTC().Truncate(time.Second)
			// Event times: whole hours back from base, a few exactly at
			// the ttl edge ± one minute, a few in the future, many ties.
			eventTime := func(future bool) time.Time {
				n := rng.Intn(10)
				if n == 2 && !future {
					n = 3
				}
				switch n {
				case 0:
					return base.Add(-10*24*time.Hour + time.Minute)
				case 1:
					return base.Add(-10*24*time.Hour - time.Minute)
				case 2:
					return base.Add(time.Duration(1+rng.Intn(48)) * time.Hour) // future
				}
				return base.Add(-time.Duration(rng.Intn(20*24)) * time.Hour)
			}
			keys1 := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
			check := func(round int) {
				t.Helper()
				ask := append([]string{"nobody"}, keys1...)
				on := lookupRows(t, c, `SELECT k, ts, x, s FROM r1 AS OF now() WHERE k = ANY($1)`, ask)
				off := lookupRows(t, c, `SELECT k, ts, x, s FROM r1 AS OF now() + interval '0 s' WHERE k = ANY($1)`, ask)
				if strings.Join(on, "\n") != strings.Join(off, "\n") {
					t.Fatalf("round %d, r1: online\n%s\noffline\n%s", round, strings.Join(on, "\n"), strings.Join(off, "\n"))
				}
				// One key at a time too: keys without future events are
				// answered by the online store itself.
				for _, k := range keys1 {
					on := lookupRows(t, c, `SELECT k, ts, x, s FROM r1 AS OF now() WHERE k = $1`, k)
					off := lookupRows(t, c, `SELECT k, ts, x, s FROM r1 AS OF now() + interval '0 s' WHERE k = $1`, k)
					if strings.Join(on, "\n") != strings.Join(off, "\n") {
						t.Fatalf("round %d, r1 k=%s: online %v offline %v", round, k, on, off)
					}
				}
				for a := int64(0); a < 3; a++ {
					on := lookupRows(t, c, `SELECT a, b, y FROM r2 AS OF now() WHERE a = $1 AND b IN ('p', 'q', 'r')`, a)
					off := lookupRows(t, c, `SELECT a, b, y FROM r2 AS OF now() + interval '0 s' WHERE a = $1 AND b IN ('p', 'q', 'r')`, a)
					if strings.Join(on, "\n") != strings.Join(off, "\n") {
						t.Fatalf("round %d, r2 a=%d: online %v offline %v", round, a, on, off)
					}
				}
			}
			for round := 0; round < 12; round++ {
				var vals1 []string
				for i := 0; i < 1+rng.Intn(20); i++ {
					x, s := "NULL", "NULL"
					if rng.Intn(5) > 0 {
						x = fmt.Sprint(rng.Intn(100))
					}
					if rng.Intn(4) > 0 {
						s = fmt.Sprintf("'s%d'", rng.Intn(5))
					}
					ki := rng.Intn(len(keys1))
					vals1 = append(vals1, fmt.Sprintf("('%s', '%s', %s, %s)", keys1[ki], eventTime(ki >= 4).Format(time.RFC3339), x, s))
				}
				switch rng.Intn(4) {
				case 0: // rolled back: must leave no trace online
					Exec(t, c, "BEGIN")
					Exec(t, c, "INSERT INTO r1 VALUES "+strings.Join(vals1, ", "))
					Exec(t, c, "ROLLBACK")
				case 1:
					Exec(t, c, "BEGIN")
					Exec(t, c, "INSERT INTO r1 VALUES "+strings.Join(vals1, ", "))
					Exec(t, c, "COMMIT")
				default:
					Exec(t, c, "INSERT INTO r1 VALUES "+strings.Join(vals1, ", "))
				}
				var rows2 [][]any
				for i := 0; i < rng.Intn(15); i++ {
					var y any
					if rng.Intn(5) > 0 {
						y = float64(rng.Intn(1000)) / 8
					}
					a := int64(rng.Intn(3))
					rows2 = append(rows2, []any{a, []string{"p", "q", "r"}[rng.Intn(3)], eventTime(a == 2), y})
				}
				if len(rows2) > 0 {
					if _, err := c.CopyFrom(ctx, pgx.Identifier{"r2"}, []string{"a", "b", "ts", "y"}, pgx.CopyFromRows(rows2)); err != nil {
						t.Fatalf("COPY r2: %v", err)
					}
				}
				// Erasure: DELETE some rows (the latest remaining row is
				// served), now and then in a transaction; TRUNCATE rarely.
				switch rng.Intn(6) {
				case 0:
					Exec(t, c, fmt.Sprintf(`DELETE FROM r1 WHERE k = '%s' AND ts > now() - interval '%d hours'`, keys1[rng.Intn(len(keys1))], rng.Intn(200)))
				case 1:
					Exec(t, c, "BEGIN")
					Exec(t, c, fmt.Sprintf(`DELETE FROM r2 WHERE a = %d AND b = 'p'`, rng.Intn(3)))
					if rng.Intn(2) == 0 {
						Exec(t, c, "ROLLBACK")
					} else {
						Exec(t, c, "COMMIT")
					}
				case 2:
					if round%5 == 4 {
						Exec(t, c, "BEGIN")
						Exec(t, c, "TRUNCATE r2")
						Exec(t, c, `INSERT INTO r2 VALUES (0, 'p', now() - interval '3 hours', 1.25)`)
						Exec(t, c, "COMMIT")
					}
				}
				check(round)
			}
			// After a restart (the embedded store is rebuilt from the
			// offline data; Redis keeps its records) the answers still agree.
			// The online store did answer (not only the DuckDB fallbacks).
			if got := QueryStrings(t, c, `SELECT sum(found) > 20 FROM feature_store.serving_statistics WHERE route = 'online'`); got[0][0] != "t" {
				t.Fatalf("the online store answered too few lookups: %v", QueryStrings(t, c, `SELECT * FROM feature_store.serving_statistics`))
			}
			srv.Stop()
			srv.Start()
			c = srv.Connect(t)
			check(100)
		})
	}
}
