package tests

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// fvRow is one written row of a test group, in write order.
type fvRow struct {
	k1    int
	k2    string
	et    time.Time
	x     *float64
	s     *string
	order int // global write order: a later write wins an event-time tie
}

// fvLatest is a group read AS OF t, row by row: the row of the entity with
// the greatest event time <= t (within ttl), ties to the later write.
func fvLatest(rows []fvRow, k1 int, k2 string, t time.Time, ttl time.Duration) *fvRow {
	var best *fvRow
	for i := range rows {
		r := &rows[i]
		if r.k1 != k1 || r.k2 != k2 || r.et.After(t) || ttl > 0 && r.et.Before(t.Add(-ttl)) {
			continue
		}
		if best == nil || r.et.After(best.et) || r.et.Equal(best.et) && r.order > best.order {
			best = r
		}
	}
	return best
}

// fvAggregate is an aggregating view at t, row by row: the entity's events
// with event time in (t - window, t] (window 0: <= t) that pass keep;
// nil when there is none.
func fvAggregate(rows []fvRow, k1 int, k2 string, t time.Time, window time.Duration, keep func(fvRow) bool) []string {
	var sum, min, max float64
	n, nx := 0, 0
	distinct := map[string]bool{}
	for _, r := range rows {
		if r.k1 != k1 || r.k2 != k2 || r.et.After(t) || window > 0 && !r.et.After(t.Add(-window)) || !keep(r) {
			continue
		}
		n++
		if r.x != nil {
			if nx == 0 || *r.x < min {
				min = *r.x
			}
			if nx == 0 || *r.x > max {
				max = *r.x
			}
			sum += *r.x
			nx++
		}
		if r.s != nil {
			distinct[*r.s] = true
		}
	}
	if n == 0 {
		return nil
	}
	out := []string{"NULL", fmt.Sprint(n), fmt.Sprint(nx), "NULL", "NULL", "NULL", fmt.Sprint(len(distinct))}
	if nx > 0 {
		out[0], out[3], out[4], out[5] = fvNum(sum), fvNum(sum/float64(nx)), fvNum(min), fvNum(max)
	}
	return out
}

func fvNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// fvNormalize rewrites every cell that is a number in one canonical form,
// so that the server's float text and the reference's compare exactly.
func fvNormalize(rows [][]string) [][]string {
	for _, r := range rows {
		for i, c := range r {
			if f, err := strconv.ParseFloat(c, 64); err == nil {
				r[i] = fvNum(f)
			}
		}
	}
	return rows
}

func fvTS(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") + "+00" }

func fvOptText(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

func fvOptNum(f *float64) string {
	if f == nil {
		return "NULL"
	}
	return fvNum(*f)
}

// fvDiff reports the first difference of two sorted results.
func fvDiff(t *testing.T, what string, got, want [][]string) {
	t.Helper()
	fvNormalize(got)
	fvNormalize(want)
	sortRows(got)
	sortRows(want)
	if equalRows(got, want) {
		return
	}
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w []string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if strings.Join(g, "|") != strings.Join(w, "|") {
			t.Errorf("%s: %d rows, want %d; first difference at %d:\n got %v\nwant %v", what, len(got), len(want), i, g, w)
			return
		}
	}
}

const fvTTL = 10 * 24 * time.Hour
const fvWindow = 3 * 24 * time.Hour

// fvLabel is one row of the left relation of the point-in-time joins.
type fvLabel struct {
	id int
	k1 *int
	k2 string
	ts *time.Time
}

// TestFeatureViewsMatchNaiveReference writes random history (ties on event
// time within and across statements, late events, NULL features, a
// composite key; part in Parquet, part unflushed) and checks four feature
// views — a LEFT join with a filter, an inner USING join, and an
// aggregating view with and without a window — read AS OF many constant
// times and point-in-time joined to labels (duplicates, missing entities,
// NULL keys and times, times on and 1µs around ttl and window edges),
// against a row-by-row evaluation of their definitions.
func TestFeatureViewsMatchNaiveReference(t *testing.T) {
	srv := StartServer(t, "--flush-rows", "40", "--flush-age", "1h")
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP ga (k1 INTEGER ENTITY KEY, k2 TEXT ENTITY KEY, et TIMESTAMPTZ EVENT TIME,
		v DOUBLE PRECISION, s TEXT) WITH (ttl = '10 days')`)
	Exec(t, c, `CREATE FEATURE GROUP gb (a INTEGER ENTITY KEY, b TEXT ENTITY KEY, et TIMESTAMPTZ EVENT TIME, w DOUBLE PRECISION)`)
	Exec(t, c, `CREATE FEATURE GROUP gc (k1 INTEGER ENTITY KEY, k2 TEXT ENTITY KEY, et TIMESTAMPTZ EVENT TIME, z DOUBLE PRECISION) WITH (ttl = '4 days')`)
	Exec(t, c, `CREATE FEATURE GROUP ev (k1 INTEGER ENTITY KEY, k2 TEXT ENTITY KEY, et TIMESTAMPTZ EVENT TIME,
		amount DOUBLE PRECISION, cat TEXT)`)

	Exec(t, c, `CREATE FEATURE VIEW vj AS
		SELECT x.k1, x.k2, x.v, x.s, y.w, x.v + y.w AS vw
		FROM ga x LEFT JOIN gb y ON y.a = x.k1 AND x.k2 = y.b
		WHERE x.s IS NULL OR x.s < 's50'`)
	Exec(t, c, `CREATE FEATURE VIEW vi AS SELECT k1, k2, v, z FROM ga JOIN gc USING (k1, k2) WITH (description = 'inner')`)
	aggs := `sum(amount) AS total, count(*) AS n, count(amount) AS n_amount, avg(amount) AS mean,
		min(amount) AS lo, max(amount) AS hi, count(DISTINCT cat) AS cats`
	Exec(t, c, `CREATE FEATURE VIEW va AS SELECT k1, k2, `+aggs+` FROM ev GROUP BY k1, k2`)
	Exec(t, c, `CREATE FEATURE VIEW vw AS SELECT e.k1, e.k2, `+aggs+` FROM ev e
		WHERE e.amount IS NULL OR e.amount < 200 GROUP BY k2, k1 WITH (window = '3 days')`)

	rng := rand.New(rand.NewSource(17))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var ga, gb, gc, ev []fvRow
	order := 0
	randTime := func() time.Time { return base.Add(time.Duration(rng.Intn(60)) * 8 * time.Hour) }
	randFloat := func() *float64 {
		if rng.Intn(5) == 0 {
			return nil
		}
		f := float64(rng.Intn(1000)) / 4
		return &f
	}
	randText := func(n int) *string {
		if rng.Intn(4) == 0 {
			return nil
		}
		s := fmt.Sprintf("s%d", rng.Intn(n))
		return &s
	}
	row := func() fvRow {
		r := fvRow{k1: rng.Intn(3), k2: []string{"a", "b"}[rng.Intn(2)], et: randTime(), x: randFloat(), order: order}
		order++
		return r
	}
	write := func(stmts int) {
		for i := 0; i < stmts; i++ {
			var va, vb, vc, ve []string
			for j := 1 + rng.Intn(4); j > 0; j-- {
				r := row()
				r.s = randText(100)
				ga = append(ga, r)
				va = append(va, fmt.Sprintf("(%d, '%s', '%s', %s, %s)", r.k1, r.k2, r.et.Format(time.RFC3339), sqlFloat(r.x), sqlText(r.s)))
				r = row()
				gb = append(gb, r)
				vb = append(vb, fmt.Sprintf("(%d, '%s', '%s', %s)", r.k1, r.k2, r.et.Format(time.RFC3339), sqlFloat(r.x)))
				r = row()
				gc = append(gc, r)
				vc = append(vc, fmt.Sprintf("(%d, '%s', '%s', %s)", r.k1, r.k2, r.et.Format(time.RFC3339), sqlFloat(r.x)))
				for k := rng.Intn(3); k >= 0; k-- {
					r = row()
					r.s = randText(4)
					ev = append(ev, r)
					ve = append(ve, fmt.Sprintf("(%d, '%s', '%s', %s, %s)", r.k1, r.k2, r.et.Format(time.RFC3339), sqlFloat(r.x), sqlText(r.s)))
				}
			}
			Exec(t, c, "INSERT INTO ga VALUES "+strings.Join(va, ", "))
			Exec(t, c, "INSERT INTO gb VALUES "+strings.Join(vb, ", "))
			Exec(t, c, "INSERT INTO gc VALUES "+strings.Join(vc, ", "))
			Exec(t, c, "INSERT INTO ev VALUES "+strings.Join(ve, ", "))
		}
	}
	write(45)
	for _, g := range []string{"ga", "gb", "gc", "ev"} {
		waitForFiles(t, c, g)
	}
	write(3) // fewer rows than --flush-rows: these stay unflushed

	under50 := func(s *string) bool { return s == nil || *s < "s50" }
	type view struct {
		name, cols string
		eval       func(k1 int, k2 string, at time.Time) []string // nil: no row
	}
	views := []view{
		{"vj", "v, s, w, vw", func(k1 int, k2 string, at time.Time) []string {
			x := fvLatest(ga, k1, k2, at, fvTTL)
			if x == nil || !under50(x.s) {
				return nil
			}
			y := fvLatest(gb, k1, k2, at, 0)
			w, vw := "NULL", "NULL"
			if y != nil && y.x != nil {
				w = fvNum(*y.x)
				if x.x != nil {
					vw = fvNum(*x.x + *y.x)
				}
			}
			return []string{fvOptNum(x.x), fvOptText(x.s), w, vw}
		}},
		{"vi", "v, z", func(k1 int, k2 string, at time.Time) []string {
			x, z := fvLatest(ga, k1, k2, at, fvTTL), fvLatest(gc, k1, k2, at, 4*24*time.Hour)
			if x == nil || z == nil {
				return nil
			}
			return []string{fvOptNum(x.x), fvOptNum(z.x)}
		}},
		{"va", "total, n, n_amount, mean, lo, hi, cats", func(k1 int, k2 string, at time.Time) []string {
			return fvAggregate(ev, k1, k2, at, 0, func(fvRow) bool { return true })
		}},
		{"vw", "total, n, n_amount, mean, lo, hi, cats", func(k1 int, k2 string, at time.Time) []string {
			return fvAggregate(ev, k1, k2, at, fvWindow, func(r fvRow) bool { return r.x == nil || *r.x < 200 })
		}},
	}

	// Constant times: random, on event times, and on and 1µs around every
	// kind of edge (ttl of ga and gc, the window).
	var times []time.Time
	for i := 0; i < 12; i++ {
		times = append(times, base.Add(time.Duration(rng.Int63n(int64(24*24*time.Hour)))-24*time.Hour))
	}
	edges := func(rows []fvRow, d time.Duration, every int) {
		for i := 0; i < len(rows); i += every {
			e := rows[i].et.Add(d)
			times = append(times, e, e.Add(-time.Microsecond), e.Add(time.Microsecond))
		}
	}
	edges(ga, 0, 17)
	edges(ga, fvTTL, 17)
	edges(gc, 4*24*time.Hour, 23)
	edges(ev, fvWindow, 11)
	edges(ev, 0, 29)
	for _, at := range times {
		for _, v := range views {
			var want [][]string
			for k1 := 0; k1 < 3; k1++ {
				for _, k2 := range []string{"a", "b"} {
					if r := v.eval(k1, k2, at); r != nil {
						want = append(want, append([]string{fmt.Sprint(k1), k2}, r...))
					}
				}
			}
			got := QueryStrings(t, c, fmt.Sprintf("SELECT k1, k2, %s FROM %s AS OF TIMESTAMPTZ '%s'", v.cols, v.name, at.Format(time.RFC3339Nano)))
			fvDiff(t, fmt.Sprintf("%s AS OF %s", v.name, at.Format(time.RFC3339Nano)), got, want)
		}
		if t.Failed() {
			t.FailNow()
		}
	}

	// Labels for the point-in-time joins.
	var labels []fvLabel
	add := func(k1 *int, k2 string, ts *time.Time) {
		labels = append(labels, fvLabel{id: len(labels), k1: k1, k2: k2, ts: ts})
	}
	intp := func(i int) *int { return &i }
	timep := func(t time.Time) *time.Time { return &t }
	for i := 0; i < 120; i++ {
		ts := base.Add(time.Duration(rng.Int63n(int64(24*24*time.Hour))) - 24*time.Hour)
		if rng.Intn(2) == 0 {
			ts = ts.Truncate(8 * time.Hour)
		}
		add(intp(rng.Intn(4)), []string{"a", "b", "z"}[rng.Intn(3)], timep(ts))
	}
	for _, at := range times {
		add(intp(rng.Intn(3)), []string{"a", "b"}[rng.Intn(2)], timep(at))
	}
	add(nil, "a", timep(base.Add(5*24*time.Hour)))
	add(intp(1), "a", nil)
	for i := 0; i < 20; i++ { // exact duplicates, same id
		labels = append(labels, labels[rng.Intn(len(labels))])
	}
	var values []string
	for _, l := range labels {
		k1, ts := "NULL", "NULL"
		if l.k1 != nil {
			k1 = fmt.Sprint(*l.k1)
		}
		if l.ts != nil {
			ts = "'" + l.ts.Format(time.RFC3339Nano) + "'"
		}
		values = append(values, fmt.Sprintf("(%d, %s, '%s', %s)", l.id, k1, l.k2, ts))
	}
	Exec(t, c, "CREATE TABLE labels (id INTEGER, k1 INTEGER, k2 TEXT, ts TIMESTAMPTZ)")
	Exec(t, c, "INSERT INTO labels VALUES "+strings.Join(values, ", "))

	for _, v := range views {
		width := len(strings.Split(v.cols, ","))
		for _, inner := range []bool{false, true} {
			var want [][]string
			for _, l := range labels {
				var r []string
				if l.k1 != nil && l.ts != nil {
					r = v.eval(*l.k1, l.k2, *l.ts)
				}
				if r == nil {
					if inner {
						continue
					}
					r = make([]string, width)
					for i := range r {
						r[i] = "NULL"
					}
				}
				want = append(want, append([]string{fmt.Sprint(l.id)}, r...))
			}
			cols := "x." + strings.ReplaceAll(v.cols, ", ", ", x.")
			q := fmt.Sprintf("SELECT l.id, %s FROM labels l LEFT JOIN %s AS OF l.ts x USING (k1, k2)", cols, v.name)
			if inner {
				q = fmt.Sprintf("SELECT l.id, %s FROM labels l JOIN %s AS OF l.ts AS x ON x.k2 = l.k2 AND l.k1 = x.k1", cols, v.name)
			}
			fvDiff(t, q, QueryStrings(t, c, q), want)
		}
	}
	// Two views and a group in one statement; nothing dropped, duplicates kept.
	n := QueryStrings(t, c, `SELECT count(*) FROM labels l LEFT JOIN vj AS OF l.ts a USING (k1, k2)
		LEFT JOIN vw AS OF l.ts b USING (k1, k2) LEFT JOIN ga AS OF l.ts g USING (k1, k2)`)
	if n[0][0] != fmt.Sprint(len(labels)) {
		t.Errorf("LEFT point-in-time joins returned %s rows for %d labels", n[0][0], len(labels))
	}
}

// fvCode runs sql and checks that it fails with SQLSTATE code.
func fvCode(t *testing.T, c *pgx.Conn, sql, code string) *pgconn.PgError {
	t.Helper()
	_, err := c.Exec(context.Background(), sql)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Errorf("%s: got %v, want SQLSTATE %s", sql, err, code)
		return nil
	}
	return pe
}

// TestFeatureViewDDL checks what CREATE FEATURE VIEW refuses (with
// PostgreSQL's SQLSTATEs), dependencies on DROP, feature_store.feature_views
// and that views survive a restart.
func TestFeatureViewDDL(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP demo (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, age INTEGER, country TEXT) WITH (ttl = '30 days')`)
	Exec(t, c, `CREATE FEATURE GROUP txn (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, amount DOUBLE PRECISION, merchant TEXT)`)
	Exec(t, c, `CREATE FEATURE GROUP pair (user_id TEXT ENTITY KEY, merchant TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, n INTEGER)`)
	Exec(t, c, `CREATE FEATURE GROUP daily (user_id TEXT ENTITY KEY, day DATE EVENT TIME, n INTEGER)`)
	Exec(t, c, `CREATE TABLE plain (user_id TEXT, x INTEGER)`)
	Exec(t, c, `CREATE SCHEMA ml`)

	// PRODUCT.md's examples.
	Exec(t, c, `CREATE FEATURE VIEW user_txn_stats AS
		SELECT user_id, sum(amount) AS total_spend, count(*) AS txn_count, avg(amount) AS avg_amount
		FROM txn GROUP BY user_id
		WITH (window = '30 days', description = 'Spend', owner = 'alice', tags = 'core, money')`)
	Exec(t, c, `CREATE FEATURE VIEW ml.user_profile AS
		SELECT d.user_id, d.age, d.country, t.total_spend, t.txn_count
		FROM demo d JOIN user_txn_stats t USING (user_id)
		WHERE d.age BETWEEN 18 AND 65 AND d.country IN ('US','UK','CA')
		WITH (online = false, description = 'Complete user profile')`)
	Exec(t, c, `CREATE FEATURE VIEW adults AS SELECT * FROM demo WHERE age >= 18`)
	Exec(t, c, `CREATE FEATURE VIEW IF NOT EXISTS adults AS SELECT * FROM demo`)

	got := QueryStrings(t, c, `SELECT schema_name, view_name, kind, sources, source_groups, entity_keys, columns,
		COALESCE("window", '-'), online, COALESCE(description, '-'), owner, tags
		FROM feature_store.feature_views ORDER BY view_name`)
	want := [][]string{
		{"public", "adults", "join", "{public.demo}", "{public.demo}", "{user_id}", "{user_id,event_time,age,country}", "-", "f", "-", "featurehouse", "{}"},
		{"ml", "user_profile", "join", "{public.demo,public.user_txn_stats}", "{public.demo,public.txn}", "{user_id}", "{user_id,age,country,total_spend,txn_count}", "-", "f", "Complete user profile", "featurehouse", "{}"},
		{"public", "user_txn_stats", "aggregate", "{public.txn}", "{public.txn}", "{user_id}", "{user_id,total_spend,txn_count,avg_amount}", "30 days", "f", "Spend", "alice", "{core,money}"},
	}
	if !equalRows(got, want) {
		t.Errorf("feature_store.feature_views:\n got %v\nwant %v", got, want)
	}
	// `*` was expanded at creation, as PostgreSQL does: a later feature does not appear.
	Exec(t, c, `ALTER FEATURE GROUP demo ADD FEATURE income DOUBLE PRECISION`)
	Exec(t, c, `INSERT INTO demo VALUES ('u1', '2024-01-01', 30, 'US', 1), ('u2', '2024-01-01', 12, 'US', 2)`)
	Exec(t, c, `INSERT INTO txn VALUES ('u1', '2024-01-02', 10, 'm1')`)
	if got := QueryStrings(t, c, `SELECT * FROM adults AS OF TIMESTAMPTZ '2024-01-05'`); fmt.Sprint(got) != "[[u1 2024-01-01 00:00:00+00 30 US]]" {
		t.Errorf("adults AS OF: %v", got)
	}
	if got := QueryStrings(t, c, `SELECT * FROM ml.user_profile AS OF TIMESTAMPTZ '2024-01-05'`); fmt.Sprint(got) != "[[u1 30 US 10 1]]" {
		t.Errorf("user_profile AS OF: %v", got)
	}
	// Introspection: the view is a relation with its columns.
	if got := QueryStrings(t, c, `SELECT column_name FROM information_schema.columns WHERE table_schema = 'ml' AND table_name = 'user_profile' ORDER BY ordinal_position`); len(got) != 5 {
		t.Errorf("information_schema.columns of ml.user_profile: %v", got)
	}

	for _, e := range []struct{ sql, code string }{
		{`CREATE FEATURE VIEW adults AS SELECT * FROM demo`, "42P07"},
		{`CREATE FEATURE VIEW demo AS SELECT * FROM txn`, "42P07"},
		{`CREATE FEATURE VIEW plain AS SELECT * FROM txn`, "42P07"},
		{`CREATE FEATURE VIEW nope.v AS SELECT * FROM txn`, "3F000"},
		{`CREATE FEATURE VIEW v AS SELECT * FROM missing`, "42P01"},
		{`CREATE FEATURE VIEW v AS SELECT * FROM plain`, "42809"},
		{`CREATE FEATURE VIEW v AS SELECT age FROM demo`, "42P17"},
		{`CREATE FEATURE VIEW v AS SELECT t.user_id, d.age FROM demo d LEFT JOIN txn t USING (user_id)`, "42P17"},
		{`CREATE FEATURE VIEW v AS SELECT nope FROM demo`, "42703"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, age AS user_id FROM demo`, "42701"},
		{`CREATE FEATURE VIEW v AS SELECT * FROM demo d JOIN txn t USING (user_id)`, "42701"},
		{`CREATE FEATURE VIEW v AS SELECT user_id FROM demo d JOIN txn t ON d.user_id = t.user_id`, "42702"},
		{`CREATE FEATURE VIEW v AS SELECT d.user_id FROM demo d, txn t WHERE d.user_id = t.user_id`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT d.user_id FROM demo d JOIN txn t ON d.user_id = t.user_id AND t.amount > 0`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT d.user_id FROM demo d JOIN txn t ON d.country = t.user_id`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT d.user_id FROM demo d RIGHT JOIN txn t USING (user_id)`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT d.user_id FROM demo d FULL JOIN txn t USING (user_id)`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT d.user_id FROM demo d NATURAL JOIN txn t`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT d.user_id FROM demo d CROSS JOIN txn t`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT d.user_id FROM demo d JOIN pair p USING (user_id)`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT d.user_id FROM demo d JOIN daily y USING (user_id)`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT d.user_id FROM demo d JOIN (SELECT * FROM txn) t USING (user_id)`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT d.user_id FROM demo d JOIN plain p USING (user_id)`, "42809"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, age FROM demo ORDER BY age`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT DISTINCT user_id FROM demo`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id FROM demo LIMIT 3`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id FROM demo UNION SELECT user_id FROM txn`, "0A000"},
		{`CREATE FEATURE VIEW v AS WITH x AS (SELECT * FROM demo) SELECT user_id FROM x`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, now() AS t FROM demo`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, CURRENT_TIMESTAMP AS t FROM demo`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, random() AS r FROM demo`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id FROM demo WHERE age > (SELECT 1)`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, row_number() OVER () FROM demo`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, sum(amount) FROM txn`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT merchant, sum(amount) FROM txn GROUP BY merchant`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, merchant, sum(amount) FROM txn GROUP BY user_id, merchant`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, amount FROM txn GROUP BY user_id`, "42803"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, sum(sum(amount)) FROM txn GROUP BY user_id`, "42803"},
		{`CREATE FEATURE VIEW v AS SELECT user_id FROM txn WHERE sum(amount) > 0 GROUP BY user_id`, "42803"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, stddev(amount) FROM txn GROUP BY user_id`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, string_agg(merchant, ',') FROM txn GROUP BY user_id`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, sum(amount) FILTER (WHERE amount > 0) FROM txn GROUP BY user_id`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, count(*) FROM txn GROUP BY user_id HAVING count(*) > 1`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT d.user_id, count(*) FROM demo d JOIN txn t USING (user_id) GROUP BY d.user_id`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, count(*) FROM adults GROUP BY user_id`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, count(*) FROM txn GROUP BY user_id WITH (window = '1 month')`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, count(*) FROM txn GROUP BY user_id WITH (window = 'soon')`, "22023"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, count(*) FROM txn GROUP BY user_id WITH (window = '-1 day')`, "22023"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, age FROM demo WITH (window = '1 day')`, "22023"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, age FROM demo WITH (colour = 'red')`, "22023"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, age FROM demo WITH (online = maybe)`, "22023"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, age FROM demo WITH (online = true)`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id, age AS __fh_x FROM demo`, "42602"},
		{`CREATE FEATURE VIEW v AS SELECT * FROM demo AS OF now()`, "0A000"},
		{`CREATE FEATURE VIEW v AS SELECT user_id FROM demo d JOIN demo d USING (user_id)`, "42712"},
	} {
		fvCode(t, c, e.sql, e.code)
	}
	Exec(t, c, "BEGIN")
	fvCode(t, c, `CREATE FEATURE VIEW v AS SELECT user_id, age FROM demo`, "25001")
	Exec(t, c, "ROLLBACK")
	if pe := fvCode(t, c, `CREATE FEATURE VIEW v AS SELECT user_id, nope FROM demo`, "42703"); pe != nil && pe.Position != 42 {
		t.Errorf("position of the unknown column: %d, want 42", pe.Position)
	}

	// Writes and plain DDL on a view are refused.
	for _, q := range []string{
		`INSERT INTO adults VALUES ('u9', now(), 1, 'US')`, `DELETE FROM adults`, `UPDATE adults SET age = 1`,
		`TRUNCATE adults`, `DROP VIEW adults`, `DROP TABLE adults`, `ALTER VIEW adults RENAME TO x`,
		`CREATE OR REPLACE VIEW adults AS SELECT 1`,
	} {
		fvCode(t, c, q, "42809")
	}
	fvCode(t, c, `DROP FEATURE VIEW demo`, "42809")
	fvCode(t, c, `DROP FEATURE VIEW nope`, "42P01")
	Exec(t, c, `DROP FEATURE VIEW IF EXISTS nope`)
	// Reading: AS OF a column outside a join, KNOWN AT a column.
	fvCode(t, c, `SELECT * FROM adults AS OF user_id`, "0A000")
	Exec(t, c, `CREATE TABLE lab (user_id TEXT, ts TIMESTAMPTZ)`)
	fvCode(t, c, `SELECT * FROM lab l JOIN adults AS OF l.ts KNOWN AT l.ts a USING (user_id)`, "0A000")
	fvCode(t, c, `SELECT * FROM lab l JOIN adults AS OF l.ts a USING (age)`, "0A000")
	fvCode(t, c, `SELECT * FROM lab l RIGHT JOIN adults AS OF l.ts a USING (user_id)`, "0A000")

	// Dependencies: a group read by a view, a view read by another.
	pe := fvCode(t, c, `DROP FEATURE GROUP txn`, "2BP01")
	if pe != nil && (pe.Message != "cannot drop feature group txn because other objects depend on it" ||
		pe.Detail != "feature view user_txn_stats depends on feature group txn\nfeature view ml.user_profile depends on feature view user_txn_stats" ||
		pe.Hint != "Use DROP ... CASCADE to drop the dependent objects too.") {
		t.Errorf("DROP FEATURE GROUP txn: %q / %q / %q", pe.Message, pe.Detail, pe.Hint)
	}
	if pe := fvCode(t, c, `DROP FEATURE GROUP daily, txn`, "2BP01"); pe != nil && !strings.Contains(pe.Message, "feature group txn") {
		t.Errorf("DROP FEATURE GROUP daily, txn: %q", pe.Message)
	}
	fvCode(t, c, `DROP FEATURE GROUP txn, nosuch CASCADE`, "42P01") // fails as a whole: the views stay
	fvCode(t, c, `DROP FEATURE VIEW user_txn_stats`, "2BP01")
	fvCode(t, c, `DROP FEATURE VIEW user_txn_stats RESTRICT`, "2BP01")
	Exec(t, c, `CREATE FEATURE VIEW spend AS SELECT user_id, sum(amount) AS total FROM txn GROUP BY user_id`)

	// Restart: views, their dependencies and answers persist.
	before := QueryStrings(t, c, `SELECT * FROM ml.user_profile AS OF TIMESTAMPTZ '2024-01-05'`)
	srv.Stop()
	srv.Start()
	c = srv.Connect(t)
	if after := QueryStrings(t, c, `SELECT * FROM ml.user_profile AS OF TIMESTAMPTZ '2024-01-05'`); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("after restart: %v, before %v", after, before)
	}
	if got := QueryStrings(t, c, `SELECT count(*) FROM feature_store.feature_views`); got[0][0] != "4" {
		t.Errorf("feature views after restart: %v", got)
	}
	fvCode(t, c, `DROP FEATURE GROUP txn`, "2BP01")

	var notices []string
	cfg, _ := pgx.ParseConfig(srv.DSN())
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices = append(notices, n.Message+" / "+n.Detail) }
	nc, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close(context.Background())
	Exec(t, nc, `DROP FEATURE VIEW user_txn_stats CASCADE`)
	Exec(t, nc, `DROP FEATURE GROUP txn CASCADE`)
	want2 := []string{"drop cascades to feature view ml.user_profile / ", "drop cascades to feature view spend / "}
	if fmt.Sprint(notices) != fmt.Sprint(want2) {
		t.Errorf("notices: %q, want %q", notices, want2)
	}
	if got := QueryStrings(t, c, `SELECT view_name FROM feature_store.feature_views ORDER BY 1`); fmt.Sprint(got) != "[[adults]]" {
		t.Errorf("views left: %v", got)
	}
	fvCode(t, c, `SELECT * FROM spend`, "42P01")
	Exec(t, c, `DROP FEATURE VIEW IF EXISTS adults, gone`)
	if got := QueryStrings(t, c, `SELECT count(*) FROM feature_store.feature_views`); got[0][0] != "0" {
		t.Errorf("feature views left: %v", got)
	}
}

// fvAgreesPerRow checks that a point-in-time join of labels(id, k, ts) to
// view gives, for every label, what `view AS OF <its time>` gives for its
// entity, and that the data is not trivial.
func fvAgreesPerRow(t *testing.T, c *pgx.Conn, view, cols string, times []time.Time, key func(i int) int) {
	t.Helper()
	got := QueryStrings(t, c, fmt.Sprintf(`SELECT l.id, %s FROM labels l LEFT JOIN %s AS OF l.ts x USING (k) ORDER BY l.id`, cols, view))
	if len(got) != len(times) {
		t.Fatalf("%s: %d rows for %d labels", view, len(got), len(times))
	}
	matched := 0
	for i, ts := range times {
		want := QueryStrings(t, c, fmt.Sprintf(`SELECT %s FROM %s AS OF TIMESTAMPTZ '%s' x WHERE k = %d`, cols, view, ts.Format(time.RFC3339Nano), key(i)))
		w := "NULL"
		if len(want) == 1 {
			w = strings.Join(want[0], ",")
			matched++
		}
		if g := strings.Join(got[i][1:], ","); g != w && !(len(want) == 0 && strings.Trim(g, "NULL,") == "") {
			t.Errorf("%s, label %d at %s: got %s, want %s (AS OF)", view, i, ts.Format(time.RFC3339Nano), g, w)
		}
	}
	if matched == 0 || matched == len(times) {
		t.Errorf("%s: %d of %d labels matched: the data checks nothing", view, matched, len(times))
	}
}

// TestFeatureViewEventTimeTypes checks views over groups whose event time
// is a date or a timestamp without time zone (a window of 36 hours on
// dates; a ttl in the date's type) and a view of views: every label of a
// point-in-time join gets what AS OF its time gives.
func TestFeatureViewEventTimeTypes(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP gd (k INTEGER ENTITY KEY, d DATE EVENT TIME, v INTEGER) WITH (ttl = '36 hours')`)
	Exec(t, c, `CREATE FEATURE GROUP gd2 (k INTEGER ENTITY KEY, d DATE EVENT TIME, u INTEGER)`)
	Exec(t, c, `CREATE FEATURE GROUP gt (k INTEGER ENTITY KEY, t TIMESTAMP EVENT TIME, v INTEGER) WITH (ttl = '1 day')`)
	rng := rand.New(rand.NewSource(5))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for stmt := 0; stmt < 30; stmt++ {
		var vd, vd2, vt []string
		for i := 0; i < 4; i++ {
			vd = append(vd, fmt.Sprintf("(%d, DATE '%s', %d)", rng.Intn(3), base.AddDate(0, 0, rng.Intn(20)).Format("2006-01-02"), rng.Intn(100)))
			vd2 = append(vd2, fmt.Sprintf("(%d, DATE '%s', %d)", rng.Intn(3), base.AddDate(0, 0, rng.Intn(20)).Format("2006-01-02"), rng.Intn(100)))
			vt = append(vt, fmt.Sprintf("(%d, TIMESTAMP '%s', %d)", rng.Intn(3), base.Add(time.Duration(rng.Intn(80))*6*time.Hour).Format("2006-01-02 15:04:05"), rng.Intn(100)))
		}
		Exec(t, c, "INSERT INTO gd VALUES "+strings.Join(vd, ", "))
		Exec(t, c, "INSERT INTO gd2 VALUES "+strings.Join(vd2, ", "))
		Exec(t, c, "INSERT INTO gt VALUES "+strings.Join(vt, ", "))
	}
	Exec(t, c, `CREATE FEATURE VIEW dsum AS SELECT k, sum(v) AS s, count(*) AS n, min(v) AS lo, sum(DISTINCT v) AS sd FROM gd GROUP BY k WITH (window = '36 hours')`)
	Exec(t, c, `CREATE FEATURE VIEW djoin AS SELECT a.k, a.v, b.u FROM gd a LEFT JOIN gd2 b USING (k)`)
	Exec(t, c, `CREATE FEATURE VIEW dboth AS SELECT j.k, j.v, j.u, s.s, s.n FROM djoin j JOIN dsum s USING (k) WHERE s.n > 1`)
	Exec(t, c, `CREATE FEATURE VIEW tsum AS SELECT k, sum(v) AS s, count(DISTINCT v % 5) AS d FROM gt GROUP BY k WITH (window = '1 day 6 hours')`)
	Exec(t, c, `CREATE FEATURE VIEW tjoin AS SELECT g.k, g.v * 2 AS v2, s.s FROM gt g JOIN tsum s USING (k)`)

	var times []time.Time
	for i := 0; i < 50; i++ {
		times = append(times, base.Add(time.Duration(rng.Intn(24*24))*time.Hour-24*time.Hour))
	}
	for i := 0; i < 20; i++ { // on and next to day boundaries, ttl and window edges
		d := base.AddDate(0, 0, rng.Intn(22))
		times = append(times, d, d.Add(-time.Microsecond), d.Add(12*time.Hour), d.Add(36*time.Hour), d.Add(36*time.Hour+time.Microsecond), d.Add(30*time.Hour))
	}
	var values []string
	for i, ts := range times {
		values = append(values, fmt.Sprintf("(%d, %d, TIMESTAMPTZ '%s')", i, i%3, ts.Format(time.RFC3339Nano)))
	}
	Exec(t, c, "CREATE TABLE labels (id INTEGER, k INTEGER, ts TIMESTAMPTZ)")
	Exec(t, c, "INSERT INTO labels VALUES "+strings.Join(values, ", "))
	key := func(i int) int { return i % 3 }
	fvAgreesPerRow(t, c, "dsum", "x.s, x.n, x.lo, x.sd", times, key)
	fvAgreesPerRow(t, c, "djoin", "x.v, x.u", times, key)
	fvAgreesPerRow(t, c, "dboth", "x.v, x.u, x.s, x.n", times, key)
	fvAgreesPerRow(t, c, "tsum", "x.s, x.d", times, key)
	fvAgreesPerRow(t, c, "tjoin", "x.v2, x.s", times, key)
}

// TestFeatureViewReads checks the other ways of reading a view: FROM v
// without AS OF (as of now()), KNOWN AT (an answer reproduced after later
// writes), parameters, and that a point-in-time join against a view runs
// as ASOF joins, not per left row.
func TestFeatureViewReads(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	ctx := context.Background()
	Exec(t, c, `CREATE FEATURE GROUP g (k INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v INTEGER)`)
	Exec(t, c, `CREATE FEATURE GROUP h (k INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, w INTEGER) WITH (ttl = '30 days')`)
	Exec(t, c, `CREATE FEATURE VIEW s AS SELECT k, sum(v) AS total, count(*) AS n FROM g GROUP BY k WITH (window = '7 days')`)
	Exec(t, c, `CREATE FEATURE VIEW j AS SELECT g.k, g.v, h.w FROM g JOIN h USING (k)`)
	Exec(t, c, `INSERT INTO g SELECT i % 50, now() - i * INTERVAL '1 hour', i FROM generate_series(1, 3000) AS x(i)`)
	Exec(t, c, `INSERT INTO h SELECT i % 50, now() - i * INTERVAL '1 hour', i FROM generate_series(1, 3000) AS x(i)`)

	for _, v := range []string{"s", "j"} {
		plain := QueryStrings(t, c, "SELECT * FROM "+v+" ORDER BY k")
		now := QueryStrings(t, c, "SELECT * FROM "+v+" AS OF now() ORDER BY k")
		if len(plain) != 50 || fmt.Sprint(plain) != fmt.Sprint(now) {
			t.Errorf("SELECT * FROM %s: %d rows, differs from AS OF now(): %v", v, len(plain), fmt.Sprint(plain) != fmt.Sprint(now))
		}
	}
	// Extended protocol: the time as a parameter.
	var total, n int64
	if err := c.QueryRow(ctx, `SELECT total, n FROM s AS OF $1 WHERE k = $2`, time.Now().Add(-24*time.Hour), 7).Scan(&total, &n); err != nil || n == 0 {
		t.Errorf("s AS OF $1: %d %d %v", total, n, err)
	}

	// KNOWN AT: later writes do not change an answer known at t1.
	t1 := QueryStrings(t, c, "SELECT now()")[0][0]
	q := `SELECT x.k, x.total, x.n, y.v, y.w FROM (SELECT k, now() - INTERVAL '1 hour' AS ts FROM generate_series(0, 60) AS z(k)) l
		LEFT JOIN s AS OF l.ts KNOWN AT %s x USING (k) LEFT JOIN j AS OF l.ts KNOWN AT %[1]s y USING (k) ORDER BY 1`
	before := QueryStrings(t, c, fmt.Sprintf(q, "now()"))
	time.Sleep(10 * time.Millisecond)
	Exec(t, c, `INSERT INTO g SELECT i % 50, now() - INTERVAL '2 hours', 1000 FROM generate_series(1, 100) AS x(i)`)
	Exec(t, c, `INSERT INTO h SELECT i % 50, now() - INTERVAL '2 hours', 1000 FROM generate_series(1, 100) AS x(i)`)
	if after := QueryStrings(t, c, fmt.Sprintf(q, "now()")); fmt.Sprint(after) == fmt.Sprint(before) {
		t.Fatal("later writes changed nothing: the test checks nothing")
	}
	if again := QueryStrings(t, c, fmt.Sprintf(q, "TIMESTAMPTZ '"+t1+"'")); fmt.Sprint(again) != fmt.Sprint(before) {
		t.Errorf("KNOWN AT %s after later writes:\n got %v\nwant %v", t1, again, before)
	}
	constQ := `SELECT * FROM j AS OF now() - INTERVAL '1 hour' KNOWN AT %s ORDER BY k`
	if a, b := QueryStrings(t, c, fmt.Sprintf(constQ, "TIMESTAMPTZ '"+t1+"'")), QueryStrings(t, c, fmt.Sprintf(constQ, "now()")); fmt.Sprint(a) == fmt.Sprint(b) {
		t.Errorf("KNOWN AT on a constant AS OF hides nothing")
	}

	// Set-at-a-time: ASOF joins in DuckDB's plan, no per-row operators.
	Exec(t, c, `CREATE TABLE labels AS SELECT i % 60 AS k, now() - i * INTERVAL '17 minutes' AS ts FROM generate_series(1, 20000) AS x(i)`)
	var plan []string
	for _, r := range QueryStrings(t, c, `EXPLAIN SELECT l.*, x.total, y.w FROM labels l LEFT JOIN s AS OF l.ts x USING (k) LEFT JOIN j AS OF l.ts y USING (k)`) {
		plan = append(plan, r[0])
	}
	text := strings.Join(plan, "\n")
	if strings.Count(text, "ASOF_JOIN") < 2 {
		t.Errorf("want ASOF_JOIN operators in DuckDB's plan:\n%s", text)
	}
	for _, bad := range []string{"DELIM", "NESTED_LOOP"} {
		if strings.Contains(text, bad) {
			t.Errorf("plan has %s (a per-row evaluation):\n%s", bad, text)
		}
	}
}

// TestFeatureViewMonthTTL checks that a view over groups whose ttl counts
// months (its end clamps at month ends: Jan 31 + 1 month is Feb 29, yet a
// row of Jan 31 is still within ttl at Feb 29 12:00 since Feb 29 12:00 - 1
// month is Jan 29 12:00) gives every label exactly what the group's own
// point-in-time join, the same as AS OF, gives.
func TestFeatureViewMonthTTL(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	for _, g := range []struct{ name, typ, ttl string }{
		{"gm", "TIMESTAMP", "1 month"}, {"gmz", "TIMESTAMPTZ", "1 month 2 days"}, {"gmd", "DATE", "1 month 1 day"},
	} {
		Exec(t, c, fmt.Sprintf(`CREATE FEATURE GROUP %s (k INTEGER ENTITY KEY, et %s EVENT TIME, v INTEGER) WITH (ttl = '%s')`, g.name, g.typ, g.ttl))
		Exec(t, c, fmt.Sprintf(`INSERT INTO %s VALUES (1, '2024-01-31 10:00', 1), (2, '2024-01-30', 2), (3, '2024-03-31 23:00', 3),
			(4, '2024-02-15', 4), (5, '2023-12-31', 5), (5, '2024-01-29 23:59:59.999999', 6), (6, '2024-02-29 00:00', 7),
			(7, '2024-02-29 10:00', 8), (7, '2024-03-30 05:00', 9), (8, '2024-01-31', 10), (8, '2024-02-29 10:00', 11)`, g.name))
		Exec(t, c, fmt.Sprintf(`CREATE FEATURE VIEW v_%s AS SELECT k, v, v * 10 AS w FROM %[1]s`, g.name))
	}
	Exec(t, c, `CREATE TABLE lab AS SELECT k, ts FROM generate_series(1, 8) AS a(k),
		(SELECT unnest(generate_series(TIMESTAMPTZ '2024-01-28', TIMESTAMPTZ '2024-05-03', INTERVAL '3 hours')) AS ts
		 UNION ALL SELECT unnest(generate_series(TIMESTAMPTZ '2024-02-29 23:59:59', TIMESTAMPTZ '2024-03-01 00:00:01', INTERVAL '1 second'))
		 UNION ALL SELECT unnest(ARRAY[TIMESTAMPTZ '2024-03-02 10:00:00.000001', '2024-03-02 09:59:59.999999', '2024-03-30 00:00:00', '2024-03-30 00:00:00.000001', '2024-03-31 10:00:00', '2024-03-31 10:00:00.000001', '2024-04-30 23:00:00', '2024-04-30 23:00:00.000001', '2024-03-29 10:00:00.000001', '2024-03-30 04:59:59', '2024-03-31 09:59:59']))`)
	for _, g := range []string{"gm", "gmz", "gmd"} {
		got := QueryStrings(t, c, fmt.Sprintf(`SELECT count(*), count(p.v), count(*) FILTER (WHERE p.v IS DISTINCT FROM g.v OR p.w IS DISTINCT FROM g.v * 10)
			FROM lab l LEFT JOIN v_%s AS OF l.ts p USING (k) LEFT JOIN %[1]s AS OF l.ts g USING (k)`, g))
		if got[0][2] != "0" || got[0][1] == "0" {
			t.Errorf("%s: labels, matched, differences: %v", g, got[0])
			for _, r := range QueryStrings(t, c, fmt.Sprintf(`SELECT l.k, l.ts, p.v, g.v FROM lab l LEFT JOIN v_%s AS OF l.ts p USING (k)
				LEFT JOIN %[1]s AS OF l.ts g USING (k) WHERE p.v IS DISTINCT FROM g.v ORDER BY 1, 2 LIMIT 5`, g)) {
				t.Errorf("  %v", r)
			}
		}
	}
}
