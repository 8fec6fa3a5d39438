-- Schema evolution: ADD FEATURE, SET DATA TYPE, SET CHECK / DROP CHECK and
-- RENAME FEATURE over history in Parquet (>= 50 000 rows go straight to a
-- file) and unflushed rows; every change is visible offline, AS OF and in
-- online lookups, and no Parquet file is rewritten.
CREATE FEATURE GROUP demographics (
    user_id    INTEGER     ENTITY KEY,
    event_time TIMESTAMPTZ EVENT TIME,
    age        INTEGER     CHECK (age >= 0),
    country    VARCHAR(2),
    signup     DATE
) WITH (online = true);
INSERT INTO demographics SELECT i % 1000, TIMESTAMPTZ '2024-01-01' + i * INTERVAL '1 second', i % 100, 'US', DATE '2023-12-01'
    FROM generate_series(0, 59999) t(i);
INSERT INTO demographics VALUES (1, '2024-02-01', 30, 'FR', '2024-01-15');
SELECT row_count, columns, column_types FROM feature_store.files WHERE group_name = 'demographics';
-- ADD FEATURE: rows stored before read NULL
ALTER FEATURE GROUP demographics ADD FEATURE income DOUBLE PRECISION;
SELECT count(*), count(income) FROM demographics;
SELECT age, country, income FROM demographics AS OF now() WHERE user_id = 1;
-- SET DATA TYPE: widenings only
ALTER FEATURE demographics.age SET DATA TYPE smallint;
ALTER FEATURE demographics.country SET DATA TYPE varchar(1);
ALTER FEATURE demographics.signup SET DATA TYPE timestamptz;
ALTER FEATURE demographics.income SET DATA TYPE real;
ALTER FEATURE demographics.event_time SET DATA TYPE timestamp;
ALTER FEATURE demographics.user_id SET DATA TYPE text;
ALTER FEATURE demographics.age SET DATA TYPE bigint;
ALTER FEATURE demographics.country SET DATA TYPE text;
ALTER FEATURE demographics.signup SET DATA TYPE timestamp;
ALTER FEATURE demographics.user_id SET DATA TYPE bigint;
SELECT feature_name, data_type, duckdb_type, storage_column FROM feature_store.features WHERE group_name = 'demographics' ORDER BY position;
INSERT INTO demographics VALUES (5000000000, '2024-02-02', 9000000000, 'Germany', '2024-01-20 08:30', 52000);
SELECT user_id, age, country, signup, income FROM demographics AS OF TIMESTAMP '2024-03-01' WHERE user_id IN (1, 2, 5000000000) ORDER BY user_id;
SELECT age, country, signup FROM demographics AS OF now() WHERE user_id = 5000000000;
\d demographics
-- SET CHECK: checked against every stored row first
ALTER FEATURE demographics.age SET CHECK (age BETWEEN 13 AND 120);
ALTER FEATURE demographics.age SET CHECK (age < income);
ALTER FEATURE demographics.age SET CHECK (age BETWEEN 0 AND 9000000000);
INSERT INTO demographics (user_id, event_time, age) VALUES (2, '2024-02-03', -1);
ALTER FEATURE demographics.age DROP CHECK;
INSERT INTO demographics (user_id, event_time, age) VALUES (2, '2024-02-03', -1);
-- RENAME FEATURE: files keep their physical column names
ALTER FEATURE GROUP demographics RENAME FEATURE country TO country_code;
ALTER FEATURE GROUP demographics RENAME FEATURE user_id TO customer_id;
ALTER FEATURE GROUP demographics RENAME FEATURE age TO income;
ALTER FEATURE GROUP demographics ADD FEATURE country TEXT;
SELECT feature_name, data_type, storage_column FROM feature_store.features WHERE group_name = 'demographics' ORDER BY position;
SELECT customer_id, age, country_code, country FROM demographics WHERE customer_id = 1 ORDER BY event_time DESC LIMIT 2;
SELECT age, country_code, country FROM demographics AS OF now() WHERE customer_id = 1;
SELECT count(*), count(country_code), count(country) FROM demographics;
