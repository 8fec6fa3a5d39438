-- Ordinary SQL next to feature groups: tables, views, CTAS, temp tables,
-- joins between groups and tables.
CREATE FEATURE GROUP demo (user_id TEXT ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, age INTEGER, country TEXT);
INSERT INTO demo VALUES
  ('u1', '2024-03-01', 25, 'US'), ('u1', '2024-03-10', 26, 'US'),
  ('u2', '2024-03-02', 31, 'UK'), ('u3', '2024-03-03', 47, 'FR');
CREATE TABLE labels (user_id TEXT PRIMARY KEY, churned BOOLEAN NOT NULL);
INSERT INTO labels VALUES ('u1', true), ('u2', false), ('u4', true);
CREATE TABLE countries (code TEXT, name TEXT);
INSERT INTO countries VALUES ('US', 'United States'), ('UK', 'United Kingdom');
SELECT l.user_id, l.churned, d.age, c.name
  FROM labels l
  LEFT JOIN demo AS OF TIMESTAMP '2024-03-05' d ON d.user_id = l.user_id
  LEFT JOIN countries c ON c.code = d.country
  ORDER BY l.user_id;
SELECT l.user_id, count(d.ts) AS observations, max(d.age) AS max_age
  FROM labels l JOIN demo d USING (user_id) GROUP BY l.user_id ORDER BY 1;
CREATE VIEW adults AS SELECT user_id, age FROM demo WHERE age >= 30;
SELECT * FROM adults ORDER BY user_id;
CREATE TABLE snapshot_0305 AS SELECT * FROM demo AS OF TIMESTAMP '2024-03-05';
SELECT user_id, age FROM snapshot_0305 ORDER BY user_id;
CREATE TEMP TABLE scratch (x INTEGER);
INSERT INTO scratch SELECT generate_series FROM generate_series(1, 5);
SELECT sum(x), count(x), max(x) FROM scratch;
UPDATE labels SET churned = NOT churned WHERE user_id = 'u4';
DELETE FROM labels WHERE user_id = 'u2';
SELECT * FROM labels ORDER BY user_id;
-- backfill a group from a table
CREATE TABLE staging (user_id TEXT, ts TIMESTAMPTZ, age INTEGER);
INSERT INTO staging VALUES ('u5', '2024-03-04', 50), ('u6', '2024-03-04', 60);
INSERT INTO demo (user_id, ts, age) SELECT user_id, ts, age FROM staging;
SELECT user_id, age FROM demo AS OF TIMESTAMP '2024-03-05' ORDER BY user_id;
WITH latest AS (SELECT * FROM demo AS OF TIMESTAMP '2024-03-31')
SELECT country, count(*) FROM latest GROUP BY country ORDER BY country NULLS LAST;
COPY (SELECT user_id, age FROM demo WHERE age > 30 ORDER BY user_id) TO STDOUT WITH (FORMAT csv, HEADER);
SELECT 7 / 2 AS int_div, 7 % 3 AS modulo, 2 ^ 10 AS pow, 'a' || 'b' AS concat, 1.5::numeric(4,2) AS num;
DROP VIEW adults;
DROP TABLE snapshot_0305;
-- documented difference (docs/sql-reference.md): DuckDB's NULL, not PostgreSQL's 22012
SELECT 1 / 0;
