package tests

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Authentication, TLS and connection limits through real clients (pgx,
// psql): see docs/configuration.md, "Authentication".

func connectAs(ctx context.Context, srv *Server, user, password, extra string) (*pgx.Conn, error) {
	dsn := fmt.Sprintf("host=127.0.0.1 port=%d user=%s dbname=featurehouse", srv.Port, user)
	if password != "" {
		dsn += " password='" + strings.ReplaceAll(password, "'", `\'`) + "'"
	}
	if extra == "" {
		extra = "sslmode=disable"
	}
	return pgx.Connect(ctx, dsn+" "+extra)
}

func mustConnectAs(t *testing.T, srv *Server, user, password, extra string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := connectAs(ctx, srv, user, password, extra)
	if err != nil {
		t.Fatalf("connect as %s: %v\n%s", user, err, srv.Log())
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// wantPgErr checks err is a *pgconn.PgError with code and message.
func wantPgErr(t *testing.T, err error, code, message string) {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("want error %s %q, got %v", code, message, err)
	}
	if pe.Code != code || (message != "" && pe.Message != message) {
		t.Fatalf("want error %s %q, got %s %q", code, message, pe.Code, pe.Message)
	}
}

// psqlAs runs psql -c cmd with PGPASSWORD and extra connection settings.
func psqlAs(t *testing.T, conninfo, password, cmd string) (string, error) {
	t.Helper()
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatalf("psql is not installed (make test installs postgresql-client): %v", err)
	}
	c := exec.Command(psql, "-X", "-A", "-t", "-w", "-d", conninfo, "-c", cmd)
	c.Env = append(cleanEnv(), "PGPASSWORD="+password, "LC_ALL=C")
	out, err := c.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestAuthSCRAM(t *testing.T) {
	srv := StartServer(t, "--auth", "scram-sha-256", "--superuser-password", "s3cret")
	ctx := context.Background()

	// Without trust, loopback needs the password too.
	_, err := connectAs(ctx, srv, "featurehouse", "", "")
	if err == nil {
		t.Fatal("connected without a password")
	}
	_, err = connectAs(ctx, srv, "featurehouse", "wrong", "")
	wantPgErr(t, err, "28P01", `password authentication failed for user "featurehouse"`)
	// An unknown role gets the same answer: nothing leaks.
	_, err = connectAs(ctx, srv, "nobody", "wrong", "")
	wantPgErr(t, err, "28P01", `password authentication failed for user "nobody"`)

	su := mustConnectAs(t, srv, "featurehouse", "s3cret", "require_auth=scram-sha-256")
	Exec(t, su, "CREATE ROLE alice LOGIN PASSWORD 'alice pw'")
	Exec(t, su, "CREATE ROLE nologin PASSWORD 'x'")
	// A password given as a verifier is stored as it is.
	const verifier = "SCRAM-SHA-256$4096:QUJDREVGR0hJSktMTU5PUA==$9ILmgy3Xw8tXtVcArbTMpWRLXCI3N3PX7Z/3NqD2qCE=:O5GvGr4hZMPWmMp2eKLyCXXfFaLYtrGgNTBV6pUzLBE="
	Exec(t, su, "CREATE USER carol PASSWORD '"+verifier+"'")
	got := QueryStrings(t, su, "SELECT rolname, rolpassword FROM pg_authid WHERE rolname IN ('alice', 'carol') ORDER BY 1")
	if !strings.HasPrefix(got[0][1], "SCRAM-SHA-256$4096:") || strings.Contains(got[0][1], "alice pw") || got[1][1] != verifier {
		t.Fatalf("stored passwords: %v", got)
	}

	a := mustConnectAs(t, srv, "alice", "alice pw", "")
	if got := QueryStrings(t, a, "SELECT current_user, session_user, current_setting('is_superuser')"); fmt.Sprint(got) != "[[alice alice off]]" {
		t.Fatalf("alice's session: %v", got)
	}
	_, err = connectAs(ctx, srv, "nologin", "x", "")
	wantPgErr(t, err, "28000", `role "nologin" is not permitted to log in`)
	// Startup options cannot change who the session is.
	_, err = connectAs(ctx, srv, "alice", "alice pw", "sslmode=disable options='-c session_authorization=featurehouse'")
	wantPgErr(t, err, "42501", "permission denied to set session authorization")
	_, err = connectAs(ctx, srv, "alice", "alice pw", "sslmode=disable options='-c role=featurehouse'")
	wantPgErr(t, err, "42501", `permission denied to set role "featurehouse"`)
	// Nor can SQL, for a role that is not a superuser.
	_, err = a.Exec(ctx, "SET SESSION AUTHORIZATION featurehouse")
	wantPgErr(t, err, "42501", "permission denied to set session authorization")
	_, err = a.Exec(ctx, "SELECT set_config('session_authorization', 'featurehouse', false)")
	if err == nil {
		if got := QueryStrings(t, a, "SELECT current_user, session_user, current_setting('is_superuser')"); fmt.Sprint(got) != "[[alice alice off]]" {
			t.Fatalf("set_config changed the session's role: %v", got)
		}
	}
	for _, q := range []string{"SELECT * FROM pg_authid", "SELECT * FROM feature_store.roles", "SELECT * FROM featurehouse.feature_store.roles",
		"SELECT * FROM fh_pg.main.pg_authid", "SELECT * FROM query_table('feature_store.roles')",
		"SELECT (SELECT count(*) FROM query('SELECT * FROM feature_store.roles'))"} {
		_, err = a.Exec(ctx, q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Fatalf("%s as alice: want 42501, got %v", q, err)
		}
	}

	// psql with PGPASSWORD: right and wrong password.
	ci := fmt.Sprintf("host=127.0.0.1 port=%d user=alice dbname=featurehouse sslmode=disable", srv.Port)
	if out, err := psqlAs(t, ci, "alice pw", "SELECT current_user"); err != nil || out != "alice" {
		t.Fatalf("psql as alice: %v %s", err, out)
	}
	if out, err := psqlAs(t, ci, "nope", "SELECT 1"); err == nil || !strings.Contains(out, `FATAL:  password authentication failed for user "alice"`) {
		t.Fatalf("psql with a wrong password: %v %s", err, out)
	}
}

// writeCerts makes a CA and a server certificate for localhost and
// 127.0.0.1 signed by it.
func writeCerts(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "featurehouse test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", srvDER), write("server.key", "EC PRIVATE KEY", keyDER)
}

func TestAuthTLSAndRules(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := writeCerts(t, dir)
	hba := filepath.Join(dir, "hba.conf")
	rules := `# TYPE    DATABASE USER   ADDRESS       METHOD
hostssl   all      plain  127.0.0.1/32  password
host      all      plain  127.0.0.1/32  password
hostssl   all      all    127.0.0.1/32  scram-sha-256
host      all      banned 127.0.0.1/32  reject
hostnossl all      featurehouse,alice 127.0.0.1 scram-sha-256
`
	if err := os.WriteFile(hba, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := StartServer(t, "--hba-file", hba, "--tls-cert", cert, "--tls-key", key, "--superuser-password", "s3cret")
	ctx := context.Background()
	su := mustConnectAs(t, srv, "featurehouse", "s3cret", "sslmode=require")
	Exec(t, su, "CREATE ROLE plain LOGIN PASSWORD 'plain pw'")
	Exec(t, su, "CREATE ROLE banned LOGIN PASSWORD 'b'")

	// pgx over TLS with channel binding: SCRAM-SHA-256-PLUS.
	c := mustConnectAs(t, srv, "featurehouse", "s3cret", "sslmode=verify-full sslrootcert="+ca+" channel_binding=require")
	if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
		t.Fatalf("pgx connection is %T, not TLS", c.PgConn().Conn())
	}
	// A wrong password over TLS is still refused.
	_, err := connectAs(ctx, srv, "featurehouse", "bad", "sslmode=require channel_binding=require")
	wantPgErr(t, err, "28P01", `password authentication failed for user "featurehouse"`)

	// Cleartext password: accepted over TLS, refused without it.
	mustConnectAs(t, srv, "plain", "plain pw", "sslmode=require require_auth=password")
	_, err = connectAs(ctx, srv, "plain", "plain pw", "sslmode=disable")
	wantPgErr(t, err, "28000", "")
	// reject rules and missing rules.
	_, err = connectAs(ctx, srv, "banned", "b", "sslmode=disable")
	wantPgErr(t, err, "28000", `pg_hba.conf rejects connection for host "127.0.0.1", user "banned", database "featurehouse", no encryption`)
	_, err = connectAs(ctx, srv, "nobody", "x", "sslmode=disable")
	wantPgErr(t, err, "28000", `no pg_hba.conf entry for host "127.0.0.1", user "nobody", database "featurehouse", no encryption`)

	// psql: sslmode=require, and verify-full against the test CA by host
	// name; channel_binding=require makes libpq insist on -PLUS.
	base := fmt.Sprintf("port=%d user=featurehouse dbname=featurehouse", srv.Port)
	for _, ci := range []string{
		"host=127.0.0.1 sslmode=require channel_binding=require " + base,
		"host=localhost sslmode=verify-full sslrootcert=" + ca + " channel_binding=require " + base,
	} {
		out, err := psqlAs(t, ci, "s3cret", "SELECT current_user")
		if err != nil || out != "featurehouse" {
			t.Fatalf("psql %s: %v %s", ci, err, out)
		}
	}
	// verify-full fails against a CA that did not sign the certificate.
	otherCA, _, _ := writeCerts(t, t.TempDir())
	if out, err := psqlAs(t, "host=localhost sslmode=verify-full sslrootcert="+otherCA+" "+base, "s3cret", "SELECT 1"); err == nil {
		t.Fatalf("verify-full with the wrong CA connected: %s", out)
	}
	// Without TLS the hostnossl rule asks for SCRAM without -PLUS, so
	// channel_binding=require fails on the client side.
	if out, err := psqlAs(t, "host=127.0.0.1 sslmode=disable channel_binding=require "+base, "s3cret", "SELECT 1"); err == nil {
		t.Fatalf("channel binding without TLS connected: %s", out)
	}
	if out, err := psqlAs(t, "host=127.0.0.1 sslmode=disable "+base, "s3cret", "SELECT current_user"); err != nil || out != "featurehouse" {
		t.Fatalf("psql without TLS: %v %s", err, out)
	}
}

func TestMaxConnections(t *testing.T) {
	srv := StartServer(t, "--max-connections", "2")
	ctx := context.Background()
	a := srv.Connect(t)
	b, err := pgx.Connect(ctx, srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	_, err = pgx.Connect(ctx, srv.DSN())
	wantPgErr(t, err, "53300", "sorry, too many clients already")
	// psql gets the same FATAL.
	out, err := psqlAs(t, fmt.Sprintf("host=127.0.0.1 port=%d user=featurehouse dbname=featurehouse", srv.Port), "", "SELECT 1")
	if err == nil || !strings.Contains(out, "FATAL:  sorry, too many clients already") {
		t.Fatalf("psql beyond max_connections: %v %s", err, out)
	}
	b.Close(ctx)
	time.Sleep(100 * time.Millisecond)
	c, err := pgx.Connect(ctx, srv.DSN())
	if err != nil {
		t.Fatalf("a slot freed by a closed connection is not reused: %v", err)
	}
	defer c.Close(ctx)
	QueryStrings(t, a, "SELECT 1")

	// A role's CONNECTION LIMIT (superusers have none).
	Exec(t, a, "CREATE ROLE lim LOGIN CONNECTION LIMIT 1")
	c.Close(ctx)
	a.Close(ctx)
	time.Sleep(100 * time.Millisecond)
	l := mustConnectAs(t, srv, "lim", "", "")
	_, err = connectAs(ctx, srv, "lim", "", "")
	wantPgErr(t, err, "53300", `too many connections for role "lim"`)
	l.Close(ctx)
	time.Sleep(100 * time.Millisecond)
	mustConnectAs(t, srv, "lim", "", "")
}

// TestRolePrivilegeEscalation: what a CREATEROLE role cannot do, and
// session resets that give the superuser back its rights.
func TestRolePrivilegeEscalation(t *testing.T) {
	srv := StartServer(t)
	ctx := context.Background()
	su := srv.Connect(t)
	Exec(t, su, "CREATE ROLE manager LOGIN CREATEROLE")
	m := mustConnectAs(t, srv, "manager", "", "")
	for q, msg := range map[string]string{
		"CREATE ROLE evil LOGIN IN ROLE featurehouse": "must be superuser to alter superusers",
		"CREATE ROLE evil SUPERUSER":                  "must be superuser to create superusers",
		"GRANT featurehouse TO manager":               "must be superuser to alter superusers",
		"ALTER ROLE manager SUPERUSER":                "must be superuser to alter superuser roles or change superuser attribute",
		"ALTER ROLE featurehouse PASSWORD 'x'":        "must be superuser to alter superuser roles or change superuser attribute",
		"DROP ROLE featurehouse":                      "must be superuser to drop superusers",
		"SET ROLE featurehouse":                       `permission denied to set role "featurehouse"`,
	} {
		_, err := m.Exec(ctx, q)
		wantPgErr(t, err, "42501", msg)
	}
	if got := QueryStrings(t, su, "SELECT count(*) FROM pg_roles WHERE rolname = 'evil'"); got[0][0] != "0" {
		t.Fatalf("a refused CREATE ROLE left the role behind")
	}
	// A CREATEROLE role manages ordinary roles.
	Exec(t, m, "CREATE ROLE worker LOGIN PASSWORD 'w'")
	Exec(t, m, "GRANT worker TO manager")
	Exec(t, m, "SET ROLE worker")
	if got := QueryStrings(t, m, "SELECT current_user, session_user"); fmt.Sprint(got) != "[[worker manager]]" {
		t.Fatalf("SET ROLE worker: %v", got)
	}
	// RESET ALL and DISCARD ALL end SET ROLE; is_superuser follows.
	Exec(t, su, "SET ROLE manager")
	Exec(t, su, "RESET ALL")
	if got := QueryStrings(t, su, "SELECT current_user, current_setting('is_superuser')"); fmt.Sprint(got) != "[[featurehouse on]]" {
		t.Fatalf("after RESET ALL: %v", got)
	}
	Exec(t, su, "SET SESSION AUTHORIZATION manager")
	if su.PgConn().ParameterStatus("is_superuser") != "off" || su.PgConn().ParameterStatus("session_authorization") != "manager" {
		t.Fatalf("ParameterStatus after SET SESSION AUTHORIZATION: %s %s", su.PgConn().ParameterStatus("is_superuser"), su.PgConn().ParameterStatus("session_authorization"))
	}
	Exec(t, su, "DISCARD ALL")
	if got := QueryStrings(t, su, "SELECT current_user, session_user, current_setting('is_superuser')"); fmt.Sprint(got) != "[[featurehouse featurehouse on]]" {
		t.Fatalf("after DISCARD ALL: %v", got)
	}
	// Owners: a role that owns a feature group cannot be dropped.
	Exec(t, su, "GRANT CREATE ON SCHEMA public TO worker")
	Exec(t, su, "SET ROLE worker")
	Exec(t, su, "CREATE FEATURE GROUP owned (k BIGINT ENTITY KEY, t TIMESTAMPTZ EVENT TIME, v DOUBLE PRECISION)")
	Exec(t, su, "RESET ROLE")
	// Ownership follows a renamed role.
	Exec(t, m, "RESET ROLE")
	Exec(t, su, "ALTER ROLE worker RENAME TO worker2")
	if got := QueryStrings(t, su, "SELECT owner FROM feature_store.feature_groups WHERE group_name = 'owned'"); got[0][0] != "worker2" {
		t.Fatalf("owner after rename: %v", got)
	}
	_, err := su.Exec(ctx, "DROP ROLE worker2")
	wantPgErr(t, err, "2BP01", `role "worker2" cannot be dropped because some objects depend on it`)
	Exec(t, su, "DROP FEATURE GROUP owned")
	_, err = su.Exec(ctx, "DROP ROLE worker2")
	wantPgErr(t, err, "2BP01", `role "worker2" cannot be dropped because some objects depend on it`)
	Exec(t, su, "REVOKE CREATE ON SCHEMA public FROM worker2")
	Exec(t, su, "DROP ROLE worker2")
}

func TestAuthTimeoutClosesStalledStartup(t *testing.T) {
	srv := StartServer(t, "--auth-timeout", "1s", "--max-connections", "3")
	var stalled []net.Conn
	for range 3 {
		nc, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", srv.Port))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		stalled = append(stalled, nc)
	}
	// Half a startup packet: the server waits for the rest until the
	// timeout, then closes without an answer.
	_, _ = stalled[0].Write([]byte{0, 0, 0, 40, 0, 3})
	start := time.Now()
	for _, nc := range stalled {
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := nc.Read(make([]byte, 1))
		if n != 0 || !errors.Is(err, io.EOF) {
			t.Fatalf("stalled startup: read %d bytes, %v (want the connection closed)", n, err)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("stalled startups closed after %v, want about 1s", d)
	}
	// The stalled sockets never took connection slots: three clients fit.
	for range 3 {
		srv.Connect(t)
	}
}

func TestFailedLoginsSlowDown(t *testing.T) {
	srv := StartServer(t, "--auth", "scram-sha-256", "--superuser-password", "s3cret",
		"--auth-fail-threshold", "2", "--auth-fail-delay", "400ms")
	ctx := context.Background()
	attempt := func(user, pw string) (time.Duration, error) {
		start := time.Now()
		c, err := connectAs(ctx, srv, user, pw, "")
		if err == nil {
			c.Close(ctx)
		}
		return time.Since(start), err
	}
	var took []time.Duration
	for range 4 {
		d, err := attempt("featurehouse", "guess")
		wantPgErr(t, err, "28P01", `password authentication failed for user "featurehouse"`)
		took = append(took, d)
	}
	if took[0] > 300*time.Millisecond || took[1] > 300*time.Millisecond {
		t.Fatalf("failures under the threshold were delayed: %v", took)
	}
	if took[2] < 400*time.Millisecond || took[3] < 800*time.Millisecond {
		t.Fatalf("failures past the threshold were not slowed (want >= 400ms, then >= 800ms): %v", took)
	}
	// Another role from the same address is not slowed; a success resets.
	if d, err := attempt("other", "x"); err == nil || d > 300*time.Millisecond {
		t.Fatalf("another role: %v %v", d, err)
	}
	if _, err := attempt("featurehouse", "s3cret"); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if d, _ := attempt("featurehouse", "guess"); d > 300*time.Millisecond {
		t.Fatalf("a success did not reset the count: %v", d)
	}
}
