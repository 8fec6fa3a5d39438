"""psycopg2 2.9 against featurehouse: autocommit off and on, parameters,
executemany, a server-side (named) cursor, copy_expert both ways, NOTICE
delivery. Exits non-zero on the first wrong answer."""
import io
import sys

import psycopg2

dsn = sys.argv[1]
conn = psycopg2.connect(dsn)
assert conn.server_version >= 150000, conn.server_version
cur = conn.cursor()

conn.autocommit = True
cur.execute("DROP FEATURE GROUP IF EXISTS p2g CASCADE")
cur.execute("""CREATE FEATURE GROUP p2g (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME,
    age INTEGER, score DOUBLE PRECISION) WITH (online = true)""")
cur.execute("DROP TABLE IF EXISTS p2t")
cur.execute("CREATE TABLE p2t (id INTEGER, name TEXT)")

# Autocommit off: psycopg2 sends BEGIN before the first statement.
conn.autocommit = False
cur.executemany("INSERT INTO p2g VALUES (%s, %s, %s, %s)",
                [("u1", "2024-01-01", 30, 1.5), ("u2", "2024-01-02", 40, 2.5), ("u1", "2024-02-01", 31, None)])
cur.execute("INSERT INTO p2t VALUES (%s, %s)", (1, "a"))
conn.rollback()
cur.execute("SELECT count(*) FROM p2g")
assert cur.fetchone() == (0,), "rollback kept rows"
cur.executemany("INSERT INTO p2g VALUES (%s, %s, %s, %s)",
                [("u1", "2024-01-01", 30, 1.5), ("u2", "2024-01-02", 40, 2.5), ("u1", "2024-02-01", 31, None)])
cur.execute("INSERT INTO p2t VALUES (%s, %s)", (1, "a"))
conn.commit()

# History, AS OF a constant, AS OF now() (online lookup), parameters of several types.
cur.execute("SELECT user_id, age, score FROM p2g ORDER BY event_time")
assert cur.fetchall() == [("u1", 30, 1.5), ("u2", 40, 2.5), ("u1", 31, None)]
cur.execute("SELECT user_id, age, score FROM p2g AS OF %s ORDER BY user_id", ("2024-01-15",))
assert cur.fetchall() == [("u1", 30, 1.5), ("u2", 40, 2.5)]
cur.execute("SELECT age FROM p2g AS OF now() WHERE user_id = %s", ("u1",))
assert cur.fetchall() == [(31,)]
cur.execute("SELECT user_id FROM p2g AS OF now() WHERE user_id = ANY(%s) ORDER BY 1", (["u1", "u2", "x"],))
assert cur.fetchall() == [("u1",), ("u2",)]
cur.execute("SELECT %s::int + 1, %s::text, %s::float8", (41, "x'y", 0.5))
assert cur.fetchone() == (42, "x'y", 0.5)
conn.commit()

# A server-side cursor: DECLARE / FETCH FORWARD itersize / CLOSE.
nc = conn.cursor(name="p2cur")
nc.itersize = 2
nc.execute("SELECT user_id, age FROM p2g ORDER BY event_time")
assert [r for r in nc] == [("u1", 30), ("u2", 40), ("u1", 31)]
nc.close()
conn.commit()
hc = conn.cursor(name="p2hold", withhold=True)
hc.execute("SELECT i FROM generate_series(1, 5) AS t(i) ORDER BY i")
conn.commit()  # WITH HOLD: still readable after COMMIT
assert hc.fetchmany(2) == [(1,), (2,)] and hc.fetchall() == [(3,), (4,), (5,)]
hc.close()

# COPY in and out.
cur.copy_expert("COPY p2g FROM STDIN WITH (FORMAT csv)", io.StringIO("u3,2024-03-01,50,3.5\nu4,2024-03-02,60,\n"))
conn.commit()
out = io.StringIO()
cur.copy_expert("COPY (SELECT user_id, age FROM p2g ORDER BY 1, 2) TO STDOUT WITH (FORMAT csv, HEADER)", out)
assert out.getvalue() == "user_id,age\nu1,30\nu1,31\nu2,40\nu3,50\nu4,60\n", out.getvalue()
conn.commit()

# Errors keep the connection usable; NOTICE delivery.
try:
    cur.execute("SELECT nosuchcolumn FROM p2g")
    raise AssertionError("no error")
except psycopg2.errors.UndefinedColumn:
    conn.rollback()
conn.autocommit = True
cur.execute("ALTER FEATURE p2g.score SET STATUS deprecated")
cur.execute("SELECT score FROM p2g LIMIT 1")
assert any("deprecated" in n for n in conn.notices), conn.notices

# Introspection a notebook does.
cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'p2g' ORDER BY ordinal_position")
cols = [r[0] for r in cur.fetchall()]
cur.execute("SELECT a.attname FROM pg_attribute a JOIN pg_class c ON a.attrelid = c.oid WHERE c.relname = 'p2g' AND a.attnum > 0 ORDER BY a.attnum")
assert [r[0] for r in cur.fetchall()] == ["user_id", "event_time", "age", "score"]
print("OK", cols)
