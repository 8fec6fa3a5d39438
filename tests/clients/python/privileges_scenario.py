"""Privileges and masking through psycopg2 2.9 and pandas (over SQLAlchemy): a superuser
grants columns and masks a feature; a second connection as the analyst
role reads the granted columns (offline, AS OF now() online, pandas
read_sql), reads the masked feature masked, and gets
psycopg2.errors.InsufficientPrivilege (42501) for SELECT * and writes.
Exits non-zero on the first wrong answer."""
import hashlib
import sys

import pandas as pd
import psycopg2
import psycopg2.errors
import sqlalchemy

dsn = sys.argv[1]
su = psycopg2.connect(dsn)
su.autocommit = True
cur = su.cursor()
cur.execute("DROP FEATURE GROUP IF EXISTS pv_people")
cur.execute("DROP ROLE IF EXISTS py_analyst")
cur.execute("""CREATE FEATURE GROUP pv_people (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME,
    age INTEGER, email TEXT, ssn TEXT) WITH (online = true)""")
cur.execute("INSERT INTO pv_people VALUES ('u1', '2024-01-01', 30, 'ann@example.com', '123-45-6789')")
cur.execute("CREATE ROLE py_analyst LOGIN")
cur.execute("GRANT SELECT (user_id, event_time, age, email) ON FEATURE GROUP pv_people TO py_analyst")
cur.execute("ALTER FEATURE pv_people.email SET MASKED WITH (function = 'hash')")

an = psycopg2.connect(dsn.replace("user=featurehouse", "user=py_analyst"))
an.autocommit = True
ac = an.cursor()
ac.execute("SELECT current_user, has_column_privilege('pv_people', 'age', 'SELECT'), has_column_privilege('pv_people', 'ssn', 'SELECT')")
assert ac.fetchone() == ("py_analyst", True, False)
ac.execute("SELECT age, email FROM pv_people WHERE user_id = %s", ("u1",))
want_email = hashlib.sha256(b"ann@example.com").hexdigest()
assert ac.fetchall() == [(30, want_email)], "offline read"
ac.execute("SELECT age, email FROM pv_people AS OF now() WHERE user_id = %s", ("u1",))
assert ac.fetchall() == [(30, want_email)], "online lookup"
engine = sqlalchemy.create_engine("postgresql+psycopg2://",
                                  creator=lambda: psycopg2.connect(dsn.replace("user=featurehouse", "user=py_analyst")))
with engine.connect() as sc:
    df = pd.read_sql("SELECT user_id, age, email FROM pv_people", sc)
engine.dispose()
assert list(df["email"]) == [want_email], df
for sql in ("SELECT * FROM pv_people", "SELECT ssn FROM pv_people AS OF now() WHERE user_id = 'u1'",
            "INSERT INTO pv_people VALUES ('u2', '2024-01-01', 1, 'x', 'y')"):
    try:
        ac.execute(sql)
    except psycopg2.errors.InsufficientPrivilege as e:
        assert e.pgcode == "42501", e.pgcode
    else:
        raise AssertionError("no error for " + sql)
# The superuser reads the stored values.
cur.execute("SELECT email, ssn FROM pv_people")
assert cur.fetchall() == [("ann@example.com", "123-45-6789")]
an.close()
cur.execute("DROP FEATURE GROUP pv_people")
cur.execute("DROP ROLE py_analyst")
print("OK")
