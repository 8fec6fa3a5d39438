package tests

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/featurehouse/featurehouse/internal/redistest"
)

// The role matrix: every route a statement can take to a feature group
// (offline scans, AS OF and online lookups, point-in-time joins,
// snapshots, COPY both ways, INSERT, DELETE, ERASE, feature views,
// feature-store DDL, the privilege functions), for a superuser, the
// group's owner, a reader with column grants, an analyst with the whole
// group but masked features, an unmasker holding UNMASK on one feature,
// a writer and a role with no rights. Each cell is either the value the
// role reads (masked or not) or 42501. It runs on the embedded online
// store and on a real redis-server.

const (
	deny = "42501"
	ok   = "ok"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// matrixRoles in column order of the cells below.
var matrixRoles = []string{"featurehouse", "owner", "reader", "analyst", "unmasker", "writer", "nobody"}

type matrixRoute struct {
	name  string
	sql   string // %s: the role's name
	args  []any
	copy  string // "out" or "in": run as COPY through pgconn
	cells []string
}

func matrixRoutes() []matrixRoute {
	fr, ssn, pssn := "FR", "123-45-6789", "xxxxxxx6789"
	return []matrixRoute{
		{name: "offline column", sql: `SELECT age FROM people WHERE user_id = 1`,
			cells: []string{"30", "30", "30", "30", "30", deny, deny}},
		{name: "offline masked hash", sql: `SELECT country FROM people WHERE user_id = 1`,
			cells: []string{fr, fr, sha(fr), sha(fr), sha(fr), deny, deny}},
		{name: "offline ssn", sql: `SELECT ssn FROM people WHERE user_id = 1`,
			cells: []string{ssn, ssn, deny, pssn, ssn, deny, deny}},
		{name: "offline star", sql: `SELECT * FROM people WHERE user_id = 1`,
			cells: []string{ssn, ssn, deny, pssn, ssn, deny, deny}},
		{name: "subquery", sql: `SELECT (SELECT max(ssn) FROM people) AS m`,
			cells: []string{"987-65-4321", "987-65-4321", deny, "xxxxxxx6789", "987-65-4321", deny, deny}},
		{name: "cte", sql: `WITH c AS (SELECT ssn FROM people WHERE user_id = 1) SELECT * FROM c`,
			cells: []string{ssn, ssn, deny, pssn, ssn, deny, deny}},
		{name: "online lookup", sql: `SELECT country FROM people AS OF now() WHERE user_id = $1`, args: []any{int64(1)},
			cells: []string{fr, fr, sha(fr), sha(fr), sha(fr), deny, deny}},
		{name: "online lookup ssn", sql: `SELECT ssn FROM people AS OF now() WHERE user_id = $1`, args: []any{int64(1)},
			cells: []string{ssn, ssn, deny, pssn, ssn, deny, deny}},
		{name: "as of time", sql: `SELECT ssn FROM people AS OF TIMESTAMPTZ '2024-06-01' WHERE user_id = 1`,
			cells: []string{ssn, ssn, deny, pssn, ssn, deny, deny}},
		{name: "point-in-time join", sql: `SELECT p.ssn FROM labels l JOIN people AS OF l.label_time p USING (user_id) WHERE l.user_id = 1`,
			cells: []string{ssn, ssn, deny, pssn, ssn, deny, deny}},
		{name: "point-in-time join, granted columns", sql: `SELECT p.age FROM labels l JOIN people AS OF l.label_time p USING (user_id) WHERE l.user_id = 1`,
			cells: []string{"30", "30", "30", "30", "30", deny, deny}},
		{name: "snapshot", sql: `SELECT ssn FROM people VERSION 's1' WHERE user_id = 1`,
			cells: []string{ssn, ssn, deny, pssn, ssn, deny, deny}},
		{name: "copy out", sql: `COPY people (user_id, ssn) TO STDOUT`, copy: "out",
			cells: []string{ssn, ssn, deny, pssn, ssn, deny, deny}},
		{name: "copy query out", sql: `COPY (SELECT ssn FROM people WHERE user_id = 1) TO STDOUT`, copy: "out",
			cells: []string{ssn, ssn, deny, pssn, ssn, deny, deny}},
		{name: "insert", sql: `INSERT INTO people VALUES (10, '2024-03-01', 1, 'x', 'y')`,
			cells: []string{ok, ok, deny, deny, deny, ok, deny}},
		{name: "copy in", sql: `COPY people FROM STDIN WITH (FORMAT csv)`, copy: "in",
			cells: []string{ok, ok, deny, deny, deny, ok, deny}},
		{name: "delete", sql: `DELETE FROM people WHERE user_id >= 10`,
			cells: []string{ok, ok, deny, deny, deny, ok, deny}},
		{name: "truncate", sql: `TRUNCATE people`,
			cells: []string{"", "", deny, deny, deny, deny, deny}},
		{name: "erase", sql: `ERASE FROM people WHERE user_id = 999`,
			cells: []string{ok, ok, deny, deny, deny, deny, deny}},
		{name: "feature view", sql: `SELECT age FROM pv WHERE user_id = 1`,
			cells: []string{"30", "30", deny, deny, deny, deny, "30"}},
		{name: "alter feature", sql: `ALTER FEATURE people.age SET DESCRIPTION 'years'`,
			cells: []string{ok, ok, deny, deny, deny, deny, deny}},
		{name: "create snapshot", sql: `CREATE SNAPSHOT s_%s OF people`,
			cells: []string{ok, ok, deny, deny, deny, deny, deny}},
		{name: "mask", sql: `ALTER FEATURE people.ssn SET MASKED WITH (function = 'partial')`,
			cells: []string{ok, ok, deny, deny, deny, deny, deny}},
		// Without the grant option: a WARNING when the role holds some
		// privilege (nothing is granted), 42501 when it holds none.
		{name: "grant", sql: `GRANT SELECT ON FEATURE GROUP people TO nobody`,
			cells: []string{"", "", ok, ok, ok, ok, deny}},
		{name: "has_table_privilege", sql: `SELECT has_table_privilege('people', 'SELECT')`,
			cells: []string{"true", "true", "false", "true", "true", "false", "false"}},
		{name: "has_column_privilege", sql: `SELECT has_column_privilege('people', 'age', 'SELECT')`,
			cells: []string{"true", "true", "true", "true", "true", "false", "false"}},
		{name: "feature_usage", sql: `SELECT reads >= 0 FROM feature_usage('people.ssn')`,
			cells: []string{"true", "true", deny, "true", "true", deny, deny}},
		{name: "internal storage", sql: `SELECT * FROM fh_internal.all_1`,
			cells: []string{"", "", deny, deny, deny, deny, deny}},
		{name: "internal unflushed rows", sql: `SELECT * FROM fh_internal.unflushed_1`,
			cells: []string{"", "", deny, deny, deny, deny, deny}},
	}
}

func TestPrivilegeRoleMatrix(t *testing.T) {
	for _, store := range []string{"embedded", "redis"} {
		t.Run(store, func(t *testing.T) {
			var args []string
			if store == "redis" {
				addr, _, _ := redistest.StartRedis(t)
				args = append(args, "--online-store-uri", "redis://"+addr)
			}
			srv := StartServer(t, args...)
			runRoleMatrix(t, srv)
		})
	}
}

func runRoleMatrix(t *testing.T, srv *Server) {
	ctx := context.Background()
	su := srv.Connect(t)
	for _, r := range matrixRoles[1:] {
		Exec(t, su, "CREATE ROLE "+r+" LOGIN")
	}
	Exec(t, su, "GRANT CREATE ON SCHEMA public TO owner")
	owner := mustConnectAs(t, srv, "owner", "", "")
	Exec(t, owner, `CREATE FEATURE GROUP people (user_id BIGINT ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, age INTEGER, country TEXT, ssn TEXT)
		WITH (online = true)`)
	Exec(t, owner, `INSERT INTO people VALUES (1, '2024-01-01', 30, 'FR', '123-45-6789'), (2, '2024-01-02', 40, 'DE', '987-65-4321')`)
	Exec(t, owner, `CREATE SNAPSHOT s1 OF people`)
	Exec(t, owner, `ALTER FEATURE people.ssn SET MASKED WITH (function = 'partial')`)
	Exec(t, owner, `ALTER FEATURE people.country SET MASKED WITH (function = 'hash')`)
	Exec(t, owner, `CREATE TABLE labels (user_id BIGINT, label_time TIMESTAMPTZ)`)
	Exec(t, owner, `INSERT INTO labels VALUES (1, '2024-06-01'), (2, '2024-06-01')`)
	Exec(t, owner, `GRANT SELECT ON labels TO reader, analyst, unmasker, writer`)
	Exec(t, owner, `CREATE FEATURE VIEW pv AS SELECT user_id, ts, age FROM people`)
	Exec(t, owner, `GRANT SELECT (user_id, ts, age, country) ON FEATURE GROUP people TO reader`)
	Exec(t, owner, `GRANT SELECT ON FEATURE GROUP people TO analyst, unmasker`)
	Exec(t, owner, `GRANT UNMASK (ssn) ON FEATURE GROUP people TO unmasker`)
	Exec(t, owner, `GRANT INSERT, DELETE, SELECT (user_id) ON FEATURE GROUP people TO writer`)
	Exec(t, owner, `GRANT SELECT ON FEATURE VIEW pv TO nobody`)

	conns := map[string]*pgx.Conn{"featurehouse": su, "owner": owner}
	for _, r := range matrixRoles[2:] {
		conns[r] = mustConnectAs(t, srv, r, "", "")
	}
	for _, route := range matrixRoutes() {
		for i, role := range matrixRoles {
			want := route.cells[i]
			if want == "" {
				continue // would change what later routes read
			}
			text := route.sql
			if strings.Contains(text, "%s") {
				text = fmt.Sprintf(text, role)
			}
			got, err := runMatrixCell(ctx, conns[role], route, text)
			var pe *pgconn.PgError
			switch {
			case want == deny:
				if !errors.As(err, &pe) || pe.Code != deny {
					t.Errorf("%s as %s: got %q, %v; want 42501", route.name, role, got, err)
				}
			case err != nil:
				t.Errorf("%s as %s: %v; want %q", route.name, role, err, want)
			case want != ok && !strings.Contains(got, want):
				t.Errorf("%s as %s: got %q, want %q", route.name, role, got, want)
			}
			if strings.Contains(want, "xxxx") && strings.Contains(got, "123-45") {
				t.Errorf("%s as %s: unmasked value read: %q", route.name, role, got)
			}
		}
	}
	// Views run with their owner's rights: one whose owner reads ssn
	// masked cannot show it.
	Exec(t, su, "GRANT CREATE ON SCHEMA public TO analyst")
	_, err := conns["analyst"].Exec(ctx, `CREATE FEATURE VIEW leak AS SELECT user_id, ts, ssn FROM people`)
	wantPgErr(t, err, deny, `permission denied to read masked feature "people.ssn" in a view`)
	_, err = conns["analyst"].Exec(ctx, `CREATE VIEW leak2 AS SELECT ssn FROM people`)
	wantPgErr(t, err, deny, `permission denied to read masked feature "people.ssn" in a view`)
	Exec(t, conns["analyst"], `CREATE VIEW ages AS SELECT user_id, age FROM people`)
	// The owner option names only a role one is a member of.
	_, err = conns["analyst"].Exec(ctx, `CREATE FEATURE GROUP mine (k BIGINT ENTITY KEY, t TIMESTAMPTZ EVENT TIME, v INTEGER) WITH (owner = 'featurehouse')`)
	wantPgErr(t, err, deny, `must be member of role "featurehouse"`)
	// REVOKE takes effect on a prepared statement at its next execution.
	reader := conns["reader"]
	if _, err := reader.Prepare(ctx, "age1", `SELECT age FROM people WHERE user_id = $1`); err != nil {
		t.Fatal(err)
	}
	var age int
	if err := reader.QueryRow(ctx, "age1", int64(1)).Scan(&age); err != nil || age != 30 {
		t.Fatalf("prepared read: %d %v", age, err)
	}
	Exec(t, owner, `REVOKE SELECT (age) ON FEATURE GROUP people FROM reader`)
	err = reader.QueryRow(ctx, "age1", int64(1)).Scan(&age)
	wantPgErr(t, err, deny, "permission denied for feature group people")
	// SET ROLE: a superuser's prepared statement runs with the new role's rights.
	if _, err := su.Prepare(ctx, "ssn1", `SELECT ssn FROM people AS OF now() WHERE user_id = $1`); err != nil {
		t.Fatal(err)
	}
	Exec(t, su, "SET ROLE analyst")
	var s string
	if err := su.QueryRow(ctx, "ssn1", int64(1)).Scan(&s); err != nil || s != "xxxxxxx6789" {
		t.Errorf("prepared lookup after SET ROLE analyst: %q %v", s, err)
	}
	Exec(t, su, "SET ROLE nobody")
	err = su.QueryRow(ctx, "ssn1", int64(1)).Scan(&s)
	wantPgErr(t, err, deny, "")
	Exec(t, su, "RESET ROLE")
	// The superuser-only tables too: a statement prepared by the superuser
	// is refused once it runs as another role.
	for name, q := range map[string]string{"audit1": `SELECT count(*) FROM feature_store.audit_log`, "authid1": `SELECT count(*) FROM pg_authid`} {
		if _, err := su.Prepare(ctx, name, q); err != nil {
			t.Fatal(err)
		}
		Exec(t, su, "SET ROLE analyst")
		var n int64
		err = su.QueryRow(ctx, name, pgx.QueryExecModeCacheStatement).Scan(&n)
		wantPgErr(t, err, deny, "")
		Exec(t, su, "RESET ROLE")
	}
	if got := QueryStrings(t, su, "SELECT has_table_privilege('nobody', 'people', 'SELECT')"); got[0][0] != "f" {
		t.Errorf("GRANT without grant option granted: %v", got)
	}
	// CREATE TABLE AS stores what its role reads: masked for the analyst.
	Exec(t, conns["analyst"], `CREATE TEMP TABLE copied AS SELECT user_id, ssn FROM people`)
	if got := QueryStrings(t, conns["analyst"], `SELECT ssn FROM copied WHERE user_id = 1`); got[0][0] != "xxxxxxx6789" {
		t.Errorf("CREATE TABLE AS by the analyst stored %v, want the masked value", got)
	}
	// ALTER DEFAULT PRIVILEGES reaches feature groups created later.
	Exec(t, owner, `ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO nobody`)
	Exec(t, owner, `CREATE FEATURE GROUP later (k BIGINT ENTITY KEY, t TIMESTAMPTZ EVENT TIME, v INTEGER)`)
	Exec(t, owner, `INSERT INTO later VALUES (1, '2024-01-01', 7)`)
	if got := QueryStrings(t, conns["nobody"], `SELECT v FROM later`); len(got) != 1 || got[0][0] != "7" {
		t.Errorf("default privileges on a new feature group: %v", got)
	}
	_, err = conns["nobody"].Exec(ctx, `INSERT INTO later VALUES (2, '2024-01-01', 8)`)
	wantPgErr(t, err, deny, "permission denied for feature group later")
	// Nothing the refused statements tried was stored.
	if got := QueryStrings(t, su, "SELECT count(*) FROM people"); got[0][0] != "2" {
		t.Errorf("rows after the matrix: %v, want 2", got)
	}
}

func runMatrixCell(ctx context.Context, c *pgx.Conn, route matrixRoute, text string) (string, error) {
	switch route.copy {
	case "out":
		var buf bytes.Buffer
		_, err := c.PgConn().CopyTo(ctx, &buf, text)
		return buf.String(), err
	case "in":
		_, err := c.PgConn().CopyFrom(ctx, strings.NewReader("11,2024-03-02,2,x,y\n"), text)
		return "", err
	}
	rows, err := c.Query(ctx, text, route.args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return "", err
		}
		var row []string
		for _, v := range vals {
			row = append(row, fmt.Sprint(v))
		}
		out = append(out, strings.Join(row, "|"))
	}
	return strings.Join(out, "\n"), rows.Err()
}
