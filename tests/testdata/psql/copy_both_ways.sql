-- psql's \copy both ways: a feature group out to a file and back into a table, a query to stdout
CREATE FEATURE GROUP cw (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, age INTEGER, note TEXT);
INSERT INTO cw VALUES ('u1', '2024-01-01', 30, 'a, "quoted"'), ('u2', '2024-01-02', NULL, E'two\nlines'), ('u1', '2024-02-01', 31, NULL);
\copy cw TO '/tmp/featurehouse-psql-copy.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE cw_back (user_id TEXT, event_time TIMESTAMPTZ, age INTEGER, note TEXT);
\copy cw_back FROM '/tmp/featurehouse-psql-copy.csv' WITH (FORMAT csv, HEADER)
SELECT count(*) FROM (SELECT * FROM cw EXCEPT SELECT * FROM cw_back) d;
SELECT * FROM cw_back ORDER BY event_time;
\copy (SELECT user_id, age FROM cw AS OF TIMESTAMPTZ '2024-01-15' ORDER BY user_id) TO STDOUT
\copy cw TO '/tmp/featurehouse-psql-copy.txt'
CREATE FEATURE GROUP cw2 (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, age INTEGER, note TEXT);
\copy cw2 FROM '/tmp/featurehouse-psql-copy.txt'
SELECT user_id, age, note FROM cw2 AS OF now() ORDER BY user_id;
\x
SELECT user_id, age FROM cw AS OF now() WHERE user_id = 'u1';
\x
