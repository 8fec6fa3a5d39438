-- The README session: the demographics group of PRODUCT.md, loaded with
-- psql's \copy, then its history and AS OF reads.
CREATE FEATURE GROUP demographics (
    user_id     TEXT        ENTITY KEY,
    event_time  TIMESTAMPTZ EVENT TIME,
    age         INTEGER     NOT NULL CHECK (age BETWEEN 0 AND 120),
    country     TEXT        FEATURE TYPE categorical,
    is_premium  BOOLEAN,                         -- binary, inferred
    signup_date DATE,                            -- timestamp, inferred
    embedding   REAL[8]                          -- embedding, inferred from fixed-size float array
) WITH (
    description  = 'User demographic features',
    owner        = 'data_engineer',
    online       = true,
    ttl          = '30 days',
    retention    = '365 days',
    partition_by = 'month',
    tags         = 'pii,core'
);
\copy demographics FROM 'tests/testdata/psql/demographics.csv' WITH (FORMAT csv, HEADER)
-- full history
SELECT * FROM demographics ORDER BY user_id, event_time;
SELECT count(*), count(country), count(embedding), min(age), max(age) FROM demographics;
-- one row per entity: its latest row at that time
SELECT user_id, event_time, age, country FROM demographics AS OF TIMESTAMP '2024-03-05' ORDER BY user_id;
-- on an event time exactly: that row is included
SELECT user_id, event_time, age FROM demographics AS OF TIMESTAMP '2024-03-10 00:00:00+00' ORDER BY user_id;
-- u3's row of 2024-01-20 is older than the 30-day ttl at 2024-03-05, u2's
-- latest is 2024-04-15
SELECT user_id, event_time, age, country FROM demographics AS OF TIMESTAMP '2024-04-20' ORDER BY user_id;
-- before any event: nothing
SELECT count(*) FROM demographics AS OF TIMESTAMP '2024-01-01';
-- AS OF with an alias, joined and filtered
SELECT d.user_id, d.age FROM demographics AS OF TIMESTAMP '2024-03-05' d WHERE d.age > 26 ORDER BY 1;
INSERT INTO demographics (user_id, event_time, age, embedding) VALUES ('u5', '2024-03-04 10:00:00+00', 60, ARRAY[0.5, 0, 0, 0, 0, 0, 0, -1.25]);
SELECT user_id, embedding, embedding[8] AS last_dim FROM demographics WHERE embedding IS NOT NULL;
SELECT user_id, signup_date, signup_date + 1 AS day_after, is_premium FROM demographics WHERE is_premium ORDER BY event_time;
INSERT INTO demographics (user_id, event_time, age) VALUES ('u3', '2024-03-01', 200);
INSERT INTO demographics (user_id, event_time, age, country) VALUES ('u4', '2024-03-03', 19, 'FR');
SELECT user_id, age, country FROM demographics AS OF TIMESTAMP '2024-03-05' ORDER BY user_id;
SELECT group_name, online, ttl, retention, partition_by, tags, entity_keys, event_time_column FROM feature_store.feature_groups;
SELECT feature_name, data_type, feature_type, not_null, checks FROM feature_store.features WHERE group_name = 'demographics' ORDER BY position;
