"""psycopg 3.1 against featurehouse: server-side parameters (extended
protocol), autocommit off and on, executemany, a server-side cursor, COPY
both ways, binary results, NOTICE delivery. Exits non-zero on the first
wrong answer."""
import datetime
import decimal
import sys
import uuid

import psycopg

dsn = sys.argv[1]
notices = []
with psycopg.connect(dsn, autocommit=True) as conn:
    conn.add_notice_handler(lambda d: notices.append(d.message_primary))
    conn.execute("DROP FEATURE GROUP IF EXISTS p3g CASCADE")
    conn.execute("""CREATE FEATURE GROUP p3g (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME,
        age INTEGER, score DOUBLE PRECISION, emb REAL[]) WITH (online = true)""")
    conn.execute("DROP TABLE IF EXISTS p3t")
    conn.execute("CREATE TABLE p3t (id BIGINT, amount NUMERIC(10,2), u UUID, d DATE, b BYTEA, j JSON)")

    conn.autocommit = False
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO p3g (user_id, event_time, age, score, emb) VALUES (%s, %s, %s, %s, %s)", [
            ("u1", datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc), 30, 1.5, [0.5, 1.0]),
            ("u2", datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc), 40, None, [2.0, 3.0]),
            ("u1", datetime.datetime(2024, 2, 1, tzinfo=datetime.timezone.utc), 31, 2.5, None),
        ])
        u = uuid.UUID("12345678-1234-5678-1234-567812345678")
        cur.execute("INSERT INTO p3t VALUES (%s, %s, %s, %s, %s, %s)",
                    (2**40, decimal.Decimal("12.34"), u, datetime.date(2024, 3, 1), b"\x00\xff", '{"a": 1}'))
    conn.commit()

    # Text and binary results decode to the same Python values.
    for binary in (False, True):
        with conn.cursor(binary=binary) as cur:
            cur.execute("SELECT user_id, age, score, emb FROM p3g AS OF %s ORDER BY user_id",
                        (datetime.datetime(2024, 1, 15, tzinfo=datetime.timezone.utc),))
            assert cur.fetchall() == [("u1", 30, 1.5, [0.5, 1.0]), ("u2", 40, None, [2.0, 3.0])], binary
            cur.execute("SELECT age FROM p3g AS OF now() WHERE user_id = %s", ("u1",))
            assert cur.fetchall() == [(31,)], binary
            cur.execute("SELECT id, amount, u, d, b, j FROM p3t")
            row = cur.fetchone()
            assert row[:5] == (2**40, decimal.Decimal("12.34"), u, datetime.date(2024, 3, 1), b"\x00\xff"), (binary, row)
            assert row[5] == {"a": 1}, row[5]
            cur.execute("SELECT event_time FROM p3g WHERE user_id = %s ORDER BY 1 LIMIT 1", ("u2",))
            assert cur.fetchone()[0] == datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc)
    conn.commit()

    # A server-side cursor.
    with conn.cursor(name="p3cur") as sc:
        sc.itersize = 2
        sc.execute("SELECT user_id, age FROM p3g ORDER BY event_time")
        assert list(sc) == [("u1", 30), ("u2", 40), ("u1", 31)]
    conn.commit()

    # COPY in (rows written by the client) and out.
    with conn.cursor() as cur:
        with cur.copy("COPY p3g (user_id, event_time, age) FROM STDIN") as cp:
            cp.write_row(("u3", datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc), 50))
            cp.write_row(("u4", datetime.datetime(2024, 3, 2, tzinfo=datetime.timezone.utc), 60))
        conn.commit()
        rows = []
        with cur.copy("COPY (SELECT user_id, age FROM p3g ORDER BY 1, 2) TO STDOUT") as cp:
            for row in cp.rows():
                rows.append(row)
        assert rows == [("u1", "30"), ("u1", "31"), ("u2", "40"), ("u3", "50"), ("u4", "60")], rows
    conn.commit()

    # Errors are typed and the connection stays usable; NOTICEs arrive.
    try:
        conn.execute("INSERT INTO p3g (user_id, event_time, age) VALUES ('x', now(), 'not a number')")
        raise AssertionError("no error")
    except psycopg.errors.InvalidTextRepresentation:
        conn.rollback()
    conn.autocommit = True
    conn.execute("ALTER FEATURE p3g.score SET STATUS deprecated")
    conn.execute("SELECT score FROM p3g LIMIT 1").fetchall()
    assert any("deprecated" in n for n in notices), notices
print("OK")
