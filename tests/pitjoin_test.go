package tests

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pitRow is one written row of the test groups, in write order.
type pitRow struct {
	k1    int
	k2    string // "" for the group keyed by k1 alone
	et    time.Time
	v     *float64
	s     *string
	order int // global write order: a later write wins an event-time tie
}

// pitLabel is one row of the left relation.
type pitLabel struct {
	id int
	k1 *int
	k2 string
	ts *time.Time
}

const pitTTL = 10 * 24 * time.Hour

// naivePIT is the definition, row by row: among rows with the left row's
// key and t - ttl <= event time <= t, the greatest event time, ties to the
// later write; nil when there is none (or t or a key is NULL).
func naivePIT(rows []pitRow, k1 *int, k2 string, t *time.Time, ttl time.Duration) *pitRow {
	if t == nil || k1 == nil {
		return nil
	}
	var best *pitRow
	for i := range rows {
		r := &rows[i]
		if r.k1 != *k1 || r.k2 != k2 || r.et.After(*t) || ttl > 0 && r.et.Before(t.Add(-ttl)) {
			continue
		}
		if best == nil || r.et.After(best.et) || r.et.Equal(best.et) && r.order > best.order {
			best = r
		}
	}
	return best
}

func pitTS(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") + "+00" }

// pitExpected renders what the queries below select for each label: id,
// then event time and features of g1 (k1, k2; ttl) and of g2 (k1).
func pitExpected(g1, g2 []pitRow, labels []pitLabel, shift time.Duration, inner bool) [][]string {
	var out [][]string
	for _, l := range labels {
		t := l.ts
		if t != nil {
			s := t.Add(-shift)
			t = &s
		}
		a := naivePIT(g1, l.k1, l.k2, t, pitTTL)
		b := naivePIT(g2, l.k1, "", t, 0)
		if inner && (a == nil || b == nil) {
			continue
		}
		row := []string{fmt.Sprint(l.id)}
		if a == nil {
			row = append(row, "NULL", "NULL", "NULL")
		} else {
			row = append(row, pitTS(a.et), textFloat(a.v), textOr(a.s))
		}
		if b == nil {
			row = append(row, "NULL", "NULL")
		} else {
			row = append(row, pitTS(b.et), textFloat(b.v))
		}
		out = append(out, row)
	}
	return out
}

func sortRows(rows [][]string) {
	sort.SliceStable(rows, func(i, j int) bool { return strings.Join(rows[i], "\x00") < strings.Join(rows[j], "\x00") })
}

// waitForFiles waits until the flusher has written some of group's rows to Parquet.
func waitForFiles(t *testing.T, c *pgx.Conn, group string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for QueryStrings(t, c, "SELECT count(*) FROM feature_store.files WHERE group_name = '"+group+"'")[0][0] == "0" {
		if time.Now().After(deadline) {
			t.Fatalf("expected rows of %s flushed to Parquet within 30s, got no files", group)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPITJoinMatchesNaiveReference writes random history to two groups (a
// composite key with a ttl, and a single key without) — ties on event time
// within and across statements, late events, NULL features, part in
// Parquet and part unflushed — and random labels (duplicates, missing
// entities, NULL times and keys, times on and 1µs past ttl edges), then
// compares LEFT and inner point-in-time joins of both groups with the
// row-by-row reference.
func TestPITJoinMatchesNaiveReference(t *testing.T) {
	srv := StartServer(t, "--flush-rows", "40", "--flush-age", "1h")
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP g1 (
		k1 INTEGER ENTITY KEY, k2 TEXT ENTITY KEY, et TIMESTAMPTZ EVENT TIME,
		v DOUBLE PRECISION, s TEXT) WITH (ttl = '10 days')`)
	Exec(t, c, `CREATE FEATURE GROUP g2 (k1 INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, w DOUBLE PRECISION)`)

	rng := rand.New(rand.NewSource(7))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var g1, g2 []pitRow
	order := 0
	randTime := func() time.Time { return base.Add(time.Duration(rng.Intn(40)) * 12 * time.Hour) }
	randFloat := func() *float64 {
		if rng.Intn(5) == 0 {
			return nil
		}
		f := float64(rng.Intn(1000)) / 4
		return &f
	}
	write := func(n int) {
		for stmt := 0; stmt < n; stmt++ {
			var v1, v2 []string
			for i := 1 + rng.Intn(5); i > 0; i-- {
				r := pitRow{k1: rng.Intn(4), k2: []string{"a", "b", "c"}[rng.Intn(3)], et: randTime(), v: randFloat(), order: order}
				order++
				if rng.Intn(4) > 0 {
					str := fmt.Sprintf("s%d", rng.Intn(100))
					r.s = &str
				}
				g1 = append(g1, r)
				v1 = append(v1, fmt.Sprintf("(%d, '%s', '%s', %s, %s)", r.k1, r.k2, r.et.Format(time.RFC3339), sqlFloat(r.v), sqlText(r.s)))
				if rng.Intn(2) == 0 {
					r2 := pitRow{k1: rng.Intn(4), et: randTime(), v: randFloat(), order: order}
					order++
					g2 = append(g2, r2)
					v2 = append(v2, fmt.Sprintf("(%d, '%s', %s)", r2.k1, r2.et.Format(time.RFC3339), sqlFloat(r2.v)))
				}
			}
			Exec(t, c, "INSERT INTO g1 (k1, k2, et, v, s) VALUES "+strings.Join(v1, ", "))
			if len(v2) > 0 {
				Exec(t, c, "INSERT INTO g2 (k1, et, w) VALUES "+strings.Join(v2, ", "))
			}
		}
	}
	write(60)
	waitForFiles(t, c, "g1")
	waitForFiles(t, c, "g2")
	write(4) // fewer rows than --flush-rows: these stay unflushed

	// Labels: random times (some with microseconds), every kind of edge
	// around written rows, duplicates, unknown entities, NULLs.
	var labels []pitLabel
	add := func(k1 *int, k2 string, ts *time.Time) {
		labels = append(labels, pitLabel{id: len(labels), k1: k1, k2: k2, ts: ts})
	}
	intp := func(i int) *int { return &i }
	timep := func(t time.Time) *time.Time { return &t }
	for i := 0; i < 150; i++ {
		ts := base.Add(time.Duration(rng.Int63n(int64(25*24*time.Hour))) - 2*24*time.Hour)
		if rng.Intn(2) == 0 {
			ts = ts.Truncate(time.Hour).Add(time.Duration(rng.Intn(3)) * time.Microsecond)
		}
		add(intp(rng.Intn(5)), []string{"a", "b", "c", "z"}[rng.Intn(4)], timep(ts))
	}
	for i := 0; i < len(g1); i += 3 {
		r := g1[i]
		for _, ts := range []time.Time{r.et, r.et.Add(-time.Microsecond), r.et.Add(pitTTL), r.et.Add(pitTTL).Add(time.Microsecond)} {
			add(intp(r.k1), r.k2, timep(ts))
		}
	}
	add(nil, "a", timep(base.Add(5*24*time.Hour)))
	add(intp(1), "a", nil)
	add(intp(9), "q", timep(base.Add(5*24*time.Hour)))
	for i := 0; i < 20; i++ { // exact duplicates of earlier rows, same id
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

	cases := []struct {
		name  string
		sql   string
		shift time.Duration
		inner bool
	}{
		{"left using", `SELECT l.id, a.et, a.v, a.s, b.et, b.w FROM labels l
			LEFT JOIN g1 AS OF l.ts a USING (k1, k2)
			LEFT JOIN g2 AS OF l.ts b USING (k1)`, 0, false},
		{"inner on", `SELECT l.id, a.et, a.v, a.s, b.et, b.w FROM labels l
			JOIN g1 AS OF l.ts a ON a.k2 = l.k2 AND l.k1 = a.k1
			INNER JOIN g2 AS OF l.ts AS b ON b.k1 = l.k1`, 0, true},
		{"left outer on, time expression", `SELECT l.id, a.et, a.v, a.s, b.et, b.w FROM labels AS l
			LEFT OUTER JOIN g1 AS OF l.ts - INTERVAL '1 day' a ON a.k1 = l.k1 AND a.k2 = l.k2
			LEFT JOIN g2 AS OF l.ts - INTERVAL '1 day' b ON l.k1 = b.k1`, 24 * time.Hour, false},
		{"subquery left", `SELECT x.id, a.et, a.v, a.s, b.et, b.w FROM (SELECT * FROM labels) x
			LEFT JOIN g1 AS OF x.ts a USING (k1, k2) LEFT JOIN g2 AS OF x.ts b USING (k1)`, 0, false},
		{"inner using", `WITH lab AS (SELECT * FROM labels) SELECT lab.id, a.et, a.v, a.s, b.et, b.w FROM lab
			JOIN g1 AS OF lab.ts a USING (k2, k1) JOIN g2 AS OF lab.ts b USING (k1)`, 0, true},
	}
	for _, tc := range cases {
		want := pitExpected(g1, g2, labels, tc.shift, tc.inner)
		got := QueryStrings(t, c, tc.sql)
		sortRows(want)
		sortRows(got)
		if !equalRows(got, want) {
			t.Errorf("%s: %d rows, want %d", tc.name, len(got), len(want))
			for i := 0; i < len(got) || i < len(want); i++ {
				var g, w []string
				if i < len(got) {
					g = got[i]
				}
				if i < len(want) {
					w = want[i]
				}
				if strings.Join(g, "|") != strings.Join(w, "|") {
					var l pitLabel
					if len(g) > 0 {
						var id int
						fmt.Sscan(g[0], &id)
						l = labels[id]
					}
					t.Errorf("first difference at %d:\n got %v\nwant %v\nlabel %+v ts %v", i, g, w, l, l.ts)
					break
				}
			}
		}
	}
	// The row count of a LEFT join is the label count: nothing dropped,
	// duplicates kept.
	n := QueryStrings(t, c, `SELECT count(*), count(a.k1), count(k1) FROM labels l LEFT JOIN g1 AS OF l.ts a USING (k1, k2)`)
	if n[0][0] != fmt.Sprint(len(labels)) {
		t.Errorf("LEFT point-in-time join returned %s rows for %d labels", n[0][0], len(labels))
	}
}

// TestPITJoinShapes checks what the user's SQL around a point-in-time join
// sees: USING's single key column in `*`, `d.*`, d.key, and the join
// against VALUES, another group and a view-free CTE.
func TestPITJoinShapes(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP demo (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, age INTEGER, country TEXT) WITH (ttl = '2 days')`)
	Exec(t, c, `CREATE FEATURE GROUP txn (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, n INTEGER)`)
	Exec(t, c, `INSERT INTO demo VALUES ('u1', '2024-01-01', 30, 'US'), ('u1', '2024-01-04', 31, 'UK'), ('u2', '2024-01-01', 40, 'CA')`)
	Exec(t, c, `INSERT INTO demo VALUES ('u1', '2024-01-04', 32, 'FR')`) // a later write at the same event time wins
	Exec(t, c, `INSERT INTO txn VALUES ('u1', '2024-01-02', 5), ('u2', '2024-01-01', 7), ('u2', '2024-01-04', 8)`)
	Exec(t, c, `CREATE TABLE labels (label_time TIMESTAMPTZ, user_id TEXT, churned BOOLEAN)`)
	Exec(t, c, `INSERT INTO labels VALUES ('2024-01-05', 'u1', true), ('2024-01-03', 'u2', true), ('2024-01-05', 'u2', false), ('2024-01-05', 'u3', true)`)

	check := func(sql string, want ...string) {
		t.Helper()
		rows, err := c.Query(context.Background(), sql, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		var names []string
		for _, f := range rows.FieldDescriptions() {
			names = append(names, f.Name)
		}
		rows.Close()
		got := QueryStrings(t, c, sql)
		lines := []string{strings.Join(names, ",")}
		for _, r := range got {
			lines = append(lines, strings.Join(r, ","))
		}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n got %s\nwant %s", sql, strings.Join(lines, "\n     "), strings.Join(want, "\n     "))
		}
	}
	// As in PostgreSQL: USING's key once and first, then the left columns,
	// then the group's.
	check(`SELECT * FROM labels l LEFT JOIN demo AS OF l.label_time d USING (user_id) ORDER BY user_id, label_time`,
		"user_id,label_time,churned,event_time,age,country",
		"u1,2024-01-05 00:00:00+00,t,2024-01-04 00:00:00+00,32,FR",
		"u2,2024-01-03 00:00:00+00,t,2024-01-01 00:00:00+00,40,CA",
		"u2,2024-01-05 00:00:00+00,f,NULL,NULL,NULL", // older than ttl
		"u3,2024-01-05 00:00:00+00,t,NULL,NULL,NULL")
	check(`SELECT d.*, d.user_id, user_id FROM labels l LEFT JOIN demo AS OF l.label_time d USING (user_id) ORDER BY l.user_id, l.label_time`,
		"user_id,event_time,age,country,user_id,user_id",
		"u1,2024-01-04 00:00:00+00,32,FR,u1,u1",
		"u2,2024-01-01 00:00:00+00,40,CA,u2,u2",
		"NULL,NULL,NULL,NULL,NULL,u2",
		"NULL,NULL,NULL,NULL,NULL,u3")
	check(`SELECT * FROM labels l JOIN demo AS OF l.label_time d ON d.user_id = l.user_id ORDER BY l.user_id`,
		"label_time,user_id,churned,user_id,event_time,age,country",
		"2024-01-05 00:00:00+00,u1,t,u1,2024-01-04 00:00:00+00,32,FR",
		"2024-01-03 00:00:00+00,u2,t,u2,2024-01-01 00:00:00+00,40,CA")
	check(`SELECT j.* FROM (labels l LEFT JOIN demo AS OF l.label_time d USING (user_id)) AS j WHERE j.user_id = 'u1'`,
		"label_time,user_id,churned,event_time,age,country",
		"2024-01-05 00:00:00+00,u1,t,2024-01-04 00:00:00+00,32,FR")
	// Two groups, GROUP BY and a subquery over the result.
	check(`SELECT count(*) AS n, count(d.age) AS ages, sum(t.n) AS txns FROM labels l
		LEFT JOIN demo AS OF l.label_time d USING (user_id) LEFT JOIN txn AS OF l.label_time t USING (user_id)`,
		"n,ages,txns", "4,2,20")
	check(`SELECT s.user_id, s.age FROM (SELECT d.user_id, d.age FROM labels l JOIN demo AS OF l.label_time d USING (user_id)) s ORDER BY 1`,
		"user_id,age", "u1,32", "u2,40")
	// VALUES, and another group as the left side.
	check(`SELECT v.id, t.n FROM (VALUES (1, 'u2', TIMESTAMPTZ '2024-01-03'), (2, 'u2', NULL), (3, 'u2', TIMESTAMPTZ '2024-01-04')) AS v(id, user_id, ts)
		LEFT JOIN txn AS OF v.ts t USING (user_id) ORDER BY 1`,
		"id,n", "1,7", "2,NULL", "3,8")
	check(`SELECT x.user_id, x.event_time, d.age FROM txn x LEFT JOIN demo AS OF x.event_time d USING (user_id) ORDER BY 1, 2`,
		"user_id,event_time,age",
		"u1,2024-01-02 00:00:00+00,30",
		"u2,2024-01-01 00:00:00+00,40",
		"u2,2024-01-04 00:00:00+00,NULL")
	// A point-in-time join in INSERT ... SELECT and CREATE TABLE AS.
	Exec(t, c, `CREATE TABLE training AS SELECT * FROM labels l LEFT JOIN demo AS OF l.label_time d USING (user_id)`)
	check(`SELECT user_id, age FROM training ORDER BY 1, 2`, "user_id,age", "u1,32", "u2,40", "u2,NULL", "u3,NULL")
	Exec(t, c, `INSERT INTO training SELECT * FROM labels l LEFT JOIN demo AS OF l.label_time d USING (user_id) WHERE l.user_id = 'u1'`)
	check(`SELECT count(*) FROM training`, "count", "5")

	// Parameters (extended protocol) in the time, KNOWN AT and WHERE.
	var n int
	if err := c.QueryRow(context.Background(), `SELECT count(d.age) FROM labels l
		LEFT JOIN demo AS OF l.label_time - $1::interval KNOWN AT $2 d ON d.user_id = l.user_id WHERE l.user_id = $3`,
		"1 day", "2100-01-01", "u1").Scan(&n); err != nil || n != 1 {
		t.Errorf("point-in-time join with parameters: %d, %v; want 1", n, err)
	}

	// Errors, with PostgreSQL's SQLSTATEs.
	for _, e := range []struct{ sql, code string }{
		{`SELECT * FROM labels l, demo AS OF l.label_time d WHERE d.user_id = l.user_id`, "0A000"},
		{`SELECT * FROM demo AS OF label_time d`, "0A000"},
		{`SELECT * FROM labels l RIGHT JOIN demo AS OF l.label_time d USING (user_id)`, "0A000"},
		{`SELECT * FROM labels l FULL JOIN demo AS OF l.label_time d USING (user_id)`, "0A000"},
		{`SELECT * FROM labels l CROSS JOIN demo AS OF l.label_time d`, "0A000"},
		{`SELECT * FROM labels l NATURAL JOIN demo AS OF l.label_time d`, "0A000"},
		{`SELECT * FROM labels l JOIN demo AS OF l.label_time d USING (age)`, "0A000"},
		{`SELECT * FROM labels l JOIN demo AS OF l.label_time d USING (nope)`, "42703"},
		{`SELECT * FROM labels l JOIN demo AS OF l.label_time d ON d.user_id = l.user_id AND d.age > 3`, "0A000"},
		{`SELECT * FROM labels l JOIN demo AS OF l.label_time d ON d.user_id = l.user_id OR true`, "0A000"},
		{`SELECT * FROM labels l JOIN demo AS OF z.label_time d USING (user_id)`, "42P01"},
		{`SELECT * FROM labels l JOIN demo AS OF d.event_time d USING (user_id)`, "42P01"},
		{`SELECT * FROM labels l JOIN demo AS OF age d USING (user_id)`, "42702"},
		{`SELECT * FROM labels l JOIN demo AS OF l.label_time KNOWN AT l.label_time d USING (user_id)`, "0A000"},
		{`SELECT * FROM labels l JOIN demo AS OF l.label_time d KNOWN AT now() USING (user_id)`, "42601"},
		{`SELECT * FROM labels l JOIN demo AS OF l.label_time KNOWN d USING (user_id)`, "42601"},
		{`SELECT * FROM labels l JOIN demo KNOWN AT now() d USING (user_id)`, "42601"},
	} {
		_, err := c.Exec(context.Background(), e.sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != e.code {
			t.Errorf("%s: got %v, want SQLSTATE %s", e.sql, err, e.code)
		}
	}
}

// TestPITJoinIsAnASOFJoin checks in DuckDB's plan that a point-in-time
// join runs as an ASOF join, not as a subquery per left row.
func TestPITJoinIsAnASOFJoin(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP demo (user_id INTEGER ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, age INTEGER) WITH (ttl = '30 days')`)
	Exec(t, c, `CREATE FEATURE GROUP txn (user_id INTEGER ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, n INTEGER)`)
	Exec(t, c, `INSERT INTO demo SELECT i % 100, TIMESTAMPTZ '2024-01-01' + i * INTERVAL '1 hour', i FROM generate_series(1, 5000) AS s(i)`)
	Exec(t, c, `INSERT INTO txn SELECT i % 100, TIMESTAMPTZ '2024-01-01' + i * INTERVAL '1 hour', i FROM generate_series(1, 5000) AS s(i)`)
	// Many more label rows than DuckDB's small-input threshold, under which
	// it plans an ASOF join as a nested loop.
	Exec(t, c, `CREATE TABLE labels AS SELECT i % 120 AS user_id, TIMESTAMPTZ '2024-01-01' + i * INTERVAL '17 minutes' AS ts FROM generate_series(1, 20000) AS s(i)`)
	// A LEFT join to a group with a ttl is two ASOF joins: the first finds
	// the matched event time over keys and event times alone.
	for _, tc := range []struct {
		q    string
		asof int
	}{
		{`EXPLAIN SELECT l.*, d.age, t.n FROM labels l LEFT JOIN demo AS OF l.ts d USING (user_id) LEFT JOIN txn AS OF l.ts t USING (user_id)`, 3},
		{`EXPLAIN SELECT * FROM labels l JOIN demo AS OF l.ts d ON d.user_id = l.user_id JOIN txn AS OF l.ts t ON t.user_id = l.user_id`, 2},
	} {
		q := tc.q
		var plan []string
		for _, r := range QueryStrings(t, c, q) {
			plan = append(plan, r[0])
		}
		text := strings.Join(plan, "\n")
		if n := strings.Count(text, "ASOF_JOIN"); n != tc.asof {
			t.Errorf("%s: want %d ASOF_JOIN operators in DuckDB's plan, got %d:\n%s", q, tc.asof, n, text)
		}
		for _, bad := range []string{"DELIM", "NESTED_LOOP"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s: plan has %s (a per-row evaluation):\n%s", q, bad, text)
			}
		}
	}
}

// TestPITJoinKnownAt checks bitemporal reads: KNOWN AT t2 sees only rows
// written by t2, so an answer computed at t2 is reproduced later, after
// newer writes (ties at the same event time, late events, new entities),
// with history in Parquet and unflushed.
func TestPITJoinKnownAt(t *testing.T) {
	srv := StartServer(t, "--flush-rows", "30", "--flush-age", "1h")
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP g (k INTEGER ENTITY KEY, et TIMESTAMPTZ EVENT TIME, v INTEGER) WITH (ttl = '5 days')`)
	Exec(t, c, `CREATE TABLE labels (id INTEGER, k INTEGER, ts TIMESTAMPTZ)`)
	Exec(t, c, `INSERT INTO labels SELECT i, i % 7, TIMESTAMPTZ '2024-01-01' + i * INTERVAL '7 hours' FROM generate_series(0, 200) AS s(i)`)
	rng := rand.New(rand.NewSource(3))
	write := func(stmts int) {
		for i := 0; i < stmts; i++ {
			var vals []string
			for j := 0; j < 5; j++ {
				vals = append(vals, fmt.Sprintf("(%d, TIMESTAMPTZ '2024-01-01' + INTERVAL '%d hours', %d)", rng.Intn(8), rng.Intn(60)*12, rng.Intn(1000)))
			}
			Exec(t, c, "INSERT INTO g VALUES "+strings.Join(vals, ", "))
		}
	}
	queries := []string{
		`SELECT l.id, d.et, d.v FROM labels l LEFT JOIN g AS OF l.ts KNOWN AT %s d USING (k) ORDER BY l.id`,
		`SELECT l.id, d.et, d.v FROM labels l JOIN g AS OF l.ts KNOWN AT %s AS d ON d.k = l.k ORDER BY l.id`,
		`SELECT k, et, v FROM g AS OF TIMESTAMPTZ '2024-01-20' KNOWN AT %s ORDER BY k`,
	}
	answer := func(knownAt string) [][][]string {
		var out [][][]string
		for _, q := range queries {
			out = append(out, QueryStrings(t, c, fmt.Sprintf(q, knownAt)))
		}
		return out
	}

	write(10)
	waitForFiles(t, c, "g")
	write(2)
	t1 := QueryStrings(t, c, "SELECT now()")[0][0]
	at1 := answer("now()")
	if again := answer("TIMESTAMPTZ '" + t1 + "'"); fmt.Sprint(again) != fmt.Sprint(at1) {
		t.Fatalf("KNOWN AT the current time differs from KNOWN AT now():\n%v\n%v", again, at1)
	}
	time.Sleep(20 * time.Millisecond)
	write(12) // flushed in part, the rest unflushed
	time.Sleep(20 * time.Millisecond)
	t2 := QueryStrings(t, c, "SELECT now()")[0][0]
	at2 := answer("now()")
	time.Sleep(20 * time.Millisecond)
	write(3)

	if fmt.Sprint(at1) == fmt.Sprint(at2) {
		t.Fatal("the later writes did not change the answer: the test checks nothing")
	}
	if got := answer("TIMESTAMPTZ '" + t1 + "'"); fmt.Sprint(got) != fmt.Sprint(at1) {
		t.Errorf("KNOWN AT %s after later writes:\n got %v\nwant %v", t1, got, at1)
	}
	if got := answer("CAST($$" + t2 + "$$ AS TIMESTAMPTZ)"); fmt.Sprint(got) != fmt.Sprint(at2) {
		t.Errorf("KNOWN AT %s after later writes:\n got %v\nwant %v", t2, got, at2)
	}
	// Before any write, nothing is known.
	if got := QueryStrings(t, c, `SELECT count(d.v) FROM labels l LEFT JOIN g AS OF l.ts KNOWN AT TIMESTAMPTZ '2000-01-01' d USING (k)`); got[0][0] != "0" {
		t.Errorf("KNOWN AT 2000-01-01: %v rows with features, want 0", got[0][0])
	}
	// A parameter as the KNOWN AT time (extended protocol).
	rows, err := c.Query(context.Background(), `SELECT count(*) FROM g AS OF TIMESTAMPTZ '2024-03-01' KNOWN AT $1`, t1)
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
}

// TestPITJoinAgreesWithAsOf checks, for event times of type date and
// timestamp (the expiry of a ttl computed in the event time's type), that
// every left row of a point-in-time join gets what `AS OF <its time>`
// gives for its entity.
func TestPITJoinAgreesWithAsOf(t *testing.T) {
	srv := StartServer(t)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP gd (k INTEGER ENTITY KEY, d DATE EVENT TIME, v INTEGER) WITH (ttl = '36 hours')`)
	Exec(t, c, `CREATE FEATURE GROUP gt (k INTEGER ENTITY KEY, t TIMESTAMP EVENT TIME, v INTEGER) WITH (ttl = '1 day')`)
	// A month-based ttl: t - '1 month' is not "event time + 1 month" read
	// backwards at month ends (2024-03-31 - 1 month = 2024-02-29).
	Exec(t, c, `CREATE FEATURE GROUP gm (k INTEGER ENTITY KEY, t TIMESTAMPTZ EVENT TIME, v INTEGER) WITH (ttl = '1 month')`)
	rng := rand.New(rand.NewSource(11))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for stmt := 0; stmt < 30; stmt++ {
		var vd, vt []string
		for i := 0; i < 4; i++ {
			vd = append(vd, fmt.Sprintf("(%d, DATE '%s', %d)", rng.Intn(3), base.AddDate(0, 0, rng.Intn(20)).Format("2006-01-02"), rng.Intn(1000)))
			vt = append(vt, fmt.Sprintf("(%d, TIMESTAMP '%s', %d)", rng.Intn(3), base.Add(time.Duration(rng.Intn(80))*6*time.Hour).Format("2006-01-02 15:04:05"), rng.Intn(1000)))
		}
		Exec(t, c, "INSERT INTO gd VALUES "+strings.Join(vd, ", "))
		Exec(t, c, "INSERT INTO gt VALUES "+strings.Join(vt, ", "))
	}
	// gm: rows at and around month ends, some at the same event time (the
	// later write wins).
	var vm []string
	for i, d := range []string{"2024-01-29", "2024-01-30", "2024-01-31", "2024-01-31", "2024-02-29", "2024-02-29 12:00", "2024-03-30", "2024-03-31"} {
		vm = append(vm, fmt.Sprintf("(%d, TIMESTAMPTZ '%s', %d)", i%3, d, i))
	}
	Exec(t, c, "INSERT INTO gm VALUES "+strings.Join(vm[:4], ", "))
	Exec(t, c, "INSERT INTO gm VALUES "+strings.Join(vm[4:], ", "))
	Exec(t, c, "INSERT INTO gm VALUES (0, TIMESTAMPTZ '2024-01-31', 100), (2, TIMESTAMPTZ '2024-03-30', 101)")
	var times []time.Time
	for i := 0; i < 60; i++ {
		times = append(times, base.Add(time.Duration(rng.Intn(24*24))*time.Hour-24*time.Hour))
	}
	for i := 0; i < 20; i++ { // on and next to day boundaries and ttl edges
		d := base.AddDate(0, 0, rng.Intn(22))
		times = append(times, d, d.Add(-time.Microsecond), d.Add(12*time.Hour), d.Add(36*time.Hour), d.Add(36*time.Hour+time.Microsecond))
	}
	for _, d := range []string{"2024-02-28", "2024-02-29", "2024-03-01", "2024-03-29", "2024-03-30", "2024-03-31", "2024-04-01", "2024-04-29", "2024-04-30", "2024-05-01"} {
		day, _ := time.Parse("2006-01-02", d)
		for _, ts := range []time.Time{day, day.Add(-time.Microsecond), day.Add(time.Microsecond), day.Add(12 * time.Hour)} {
			times = append(times, ts, ts, ts) // once per key (k = index % 3)
		}
	}
	var values []string
	for i, ts := range times {
		values = append(values, fmt.Sprintf("(%d, %d, TIMESTAMPTZ '%s')", i, i%3, ts.Format(time.RFC3339Nano)))
	}
	Exec(t, c, "CREATE TABLE labels (id INTEGER, k INTEGER, ts TIMESTAMPTZ)")
	Exec(t, c, "INSERT INTO labels VALUES "+strings.Join(values, ", "))
	for _, g := range []string{"gd", "gt", "gm"} {
		got := QueryStrings(t, c, fmt.Sprintf(`SELECT l.id, x.v FROM labels l LEFT JOIN %s AS OF l.ts x USING (k) ORDER BY l.id`, g))
		if len(got) != len(times) {
			t.Fatalf("%s: %d rows for %d labels", g, len(got), len(times))
		}
		matched := 0
		for i, ts := range times {
			want := QueryStrings(t, c, fmt.Sprintf(`SELECT v FROM %s AS OF TIMESTAMPTZ '%s' WHERE k = %d`, g, ts.Format(time.RFC3339Nano), i%3))
			w := "NULL"
			if len(want) == 1 {
				w = want[0][0]
				matched++
			}
			if got[i][1] != w {
				t.Errorf("%s, label %d at %s: got %s, want %s (AS OF)", g, i, ts.Format(time.RFC3339Nano), got[i][1], w)
			}
		}
		if matched == 0 || matched == len(times) {
			t.Errorf("%s: %d of %d labels matched: the data checks nothing", g, matched, len(times))
		}
	}
}
