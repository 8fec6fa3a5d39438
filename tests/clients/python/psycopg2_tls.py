"""psycopg2 2.9 (libpq) over TLS against featurehouse. Arguments: the TLS
server's port, the superuser's password, the test CA, a CA that did not
sign the server's certificate, the port of a server without TLS. Prints OK,
exits non-zero on the first wrong answer."""
import sys

import psycopg2

port, password, ca, other_ca, plain_port = sys.argv[1:6]
base = f"port={port} user=featurehouse dbname=featurehouse password={password}"


def use(conn):
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("DROP FEATURE GROUP IF EXISTS tlsp CASCADE")
    cur.execute("CREATE FEATURE GROUP tlsp (k TEXT ENTITY KEY, t TIMESTAMPTZ EVENT TIME, v INTEGER)")
    cur.execute("INSERT INTO tlsp VALUES (%s, now(), %s)", ("a", 41))
    cur.execute("SELECT v + 1, current_user FROM tlsp WHERE k = %s", ("a",))
    assert cur.fetchall() == [(42, "featurehouse")]


def must_fail(dsn, want, why):
    try:
        psycopg2.connect(dsn).close()
    except psycopg2.OperationalError as e:
        assert want in str(e), f"{why}: {e}"
        print(f"refused as expected ({why}): {str(e).splitlines()[0]}")
        return
    raise AssertionError(f"{why}: connected with {dsn}")


for dsn in (f"host=127.0.0.1 sslmode=require {base}",
            f"host=localhost sslmode=verify-full sslrootcert={ca} {base}"):
    conn = psycopg2.connect(dsn)
    # libpq's own view of the connection (PQsslInUse, PQsslAttribute).
    assert conn.info.ssl_in_use, dsn
    proto = conn.info.ssl_attribute("protocol")
    assert proto and proto.startswith("TLS"), proto
    print(f"{dsn.split(' password')[0]}: {proto} {conn.info.ssl_attribute('cipher')}")
    use(conn)
    conn.close()

must_fail(f"host=localhost sslmode=verify-full sslrootcert={other_ca} {base}",
          "certificate verify failed", "verify-full, wrong CA")
must_fail(f"host=127.0.0.1 sslmode=disable {base}", "pg_hba.conf rejects connection", "no TLS, hostssl rules")
must_fail(f"host=127.0.0.1 port={plain_port} user=featurehouse dbname=featurehouse sslmode=require",
          "server does not support SSL", "server without TLS")
print("OK")
