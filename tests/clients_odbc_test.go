package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const psqlODBCDriver = "/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so" // Debian's odbc-postgresql

// TestODBCClient runs unixODBC's isql through psqlODBC 13 against the real
// binary, with the driver's defaults and with UseDeclareFetch (cursors
// and a SAVEPOINT around every statement): queries of a feature group
// (history, AS OF, online lookup), DML, and the catalog calls SQLTables
// (isql's `help`) and SQLColumns (`help table`).
func TestODBCClient(t *testing.T) {
	if _, err := exec.LookPath("isql"); err != nil {
		t.Fatal("isql is missing (run make test-deps as root: unixodbc)")
	}
	if _, err := os.Stat(psqlODBCDriver); err != nil {
		t.Fatalf("%s is missing (run make test-deps as root: odbc-postgresql)", psqlODBCDriver)
	}
	srv := StartServer(t)
	c := srv.Connect(t)
	Exec(t, c, `CREATE FEATURE GROUP og (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, age INTEGER) WITH (online = true)`)
	Exec(t, c, `CREATE TABLE ot (id INTEGER, name TEXT)`)
	for _, mode := range []struct{ name, extra string }{{"default", ""}, {"declare-fetch", "UseDeclareFetch = 1\nFetch = 1\n"}} {
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, text string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write("odbcinst.ini", "[PostgreSQL Unicode]\nDriver = "+psqlODBCDriver+"\n")
			write("odbc.ini", fmt.Sprintf("[fh]\nDriver = PostgreSQL Unicode\nServername = 127.0.0.1\nPort = %d\nDatabase = featurehouse\nUsername = featurehouse\n%s", srv.Port, mode.extra))
			script := strings.Join([]string{
				`DELETE FROM og`,
				`INSERT INTO og VALUES ('u1', '2024-01-01 00:00:00+00', 30), ('u1', '2024-02-01 00:00:00+00', 31), ('u2', '2024-01-05 00:00:00+00', 40)`,
				`INSERT INTO ot VALUES (1, 'one')`,
				`SELECT user_id, age FROM og ORDER BY event_time`,
				`SELECT user_id, age FROM og AS OF TIMESTAMPTZ '2024-01-10 00:00:00+00' ORDER BY user_id`,
				`SELECT age FROM og AS OF now() WHERE user_id = 'u1'`,
				`help`,
				`help og`,
			}, "\n") + "\n"
			cmd := exec.Command("isql", "-b", "-d|", "-c", "fh")
			cmd.Env = append(os.Environ(), "ODBCSYSINI="+dir, "ODBCINI="+filepath.Join(dir, "odbc.ini"))
			cmd.Stdin = strings.NewReader(script)
			out, err := cmd.CombinedOutput()
			got := string(out)
			if err != nil {
				t.Fatalf("isql: %v\n%s\nserver log:\n%s", err, got, srv.Log())
			}
			for _, want := range []string{
				"user_id|age\nu1|30\nu2|40\nu1|31\n", // history
				"user_id|age\nu1|30\nu2|40\n",        // AS OF
				"age\n31\n",                          // online lookup
				"|public|og|TABLE|",                  // SQLTables
				"|public|ot|TABLE|",
				"|public|og|user_id|-1|text|", // SQLColumns: type names and ODBC codes
				"|public|og|event_time|11|timestamptz|",
				"|public|og|age|4|int4|",
			} {
				if !strings.Contains(got, want) {
					t.Errorf("isql output lacks %q:\n%s", want, got)
				}
			}
		})
	}
}
