"""SQLAlchemy 1.4 + pandas 1.5 against featurehouse: create_engine
connects (version() satisfies the dialect), inspect() lists schemas,
tables, views and columns with feature groups among them, read_sql of a
point-in-time training set, DataFrame.to_sql into an ordinary table.
Exits non-zero on the first wrong answer."""
import sys

import pandas as pd
import sqlalchemy as sa

url = sys.argv[1]
engine = sa.create_engine(url)
# Feature-store DDL commits on its own (like CREATE DATABASE): autocommit.
with engine.connect() as conn:
    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
    conn.exec_driver_sql("DROP FEATURE GROUP IF EXISTS sag CASCADE")
    conn.exec_driver_sql("""CREATE FEATURE GROUP sag (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME,
        age INTEGER, country TEXT) WITH (online = true)""")
    conn.exec_driver_sql("DROP TABLE IF EXISTS labels")
    conn.exec_driver_sql("DROP VIEW IF EXISTS young")
    conn.exec_driver_sql("""INSERT INTO sag VALUES ('u1', '2024-01-01', 30, 'US'), ('u2', '2024-01-05', 40, 'UK'),
        ('u1', '2024-02-01', 31, 'US')""")
    conn.exec_driver_sql("CREATE VIEW young AS SELECT user_id, age FROM sag WHERE age < 35")
assert engine.dialect.server_version_info[0] >= 15, engine.dialect.server_version_info

labels = pd.DataFrame({
    "user_id": ["u1", "u1", "u2", "u3"],
    "label_time": pd.to_datetime(["2024-01-10", "2024-03-01", "2024-01-04", "2024-01-10"], utc=True),
    "churned": [False, True, False, True],
})
labels.to_sql("labels", engine, index=False)

insp = sa.inspect(engine)
assert "public" in insp.get_schema_names(), insp.get_schema_names()
tables = insp.get_table_names()
assert "sag" in tables and "labels" in tables, tables
assert "young" in insp.get_view_names(), insp.get_view_names()
cols = {c["name"]: str(c["type"]) for c in insp.get_columns("sag")}
assert cols == {"user_id": "TEXT", "event_time": "TIMESTAMP", "age": "INTEGER", "country": "TEXT"}, cols
insp.get_pk_constraint("sag")
insp.get_foreign_keys("sag")
insp.get_indexes("sag")
assert sa.inspect(engine).has_table("labels")

training = pd.read_sql("""
    SELECT l.user_id, l.label_time, l.churned, d.age, d.country
    FROM labels l LEFT JOIN sag AS OF l.label_time d USING (user_id)
    ORDER BY l.user_id, l.label_time""", engine)
assert list(training["age"].fillna(-1).astype(int)) == [30, 31, -1, -1], training
assert list(training["country"].fillna("")) == ["US", "US", "", ""], training
back = pd.read_sql("SELECT * FROM labels ORDER BY user_id, label_time", engine)
assert len(back) == 4 and back["churned"].tolist() == [False, True, False, True], back
print("OK")
