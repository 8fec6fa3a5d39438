-- Feature-group DDL and the system tables that record it.
CREATE SCHEMA ml;
CREATE FEATURE GROUP ml.txn (
    user_id     TEXT          ENTITY KEY,
    merchant_id INTEGER       ENTITY KEY,
    happened    TIMESTAMP     EVENT TIME,
    amount      NUMERIC(10,2) NOT NULL CHECK (amount >= 0),
    kind        TEXT          FEATURE TYPE categorical,
    flagged     BOOLEAN,
    note        VARCHAR(20)   FEATURE TYPE text,
    CHECK (kind IN ('a', 'b'))
) WITH (partition_by = 'day', description = 'card transactions');
CREATE FEATURE GROUP plain_defaults (k BIGINT ENTITY KEY, t TIMESTAMPTZ EVENT TIME, v DOUBLE PRECISION, n SMALLINT, e REAL[4], b BYTEA);
-- refusals
CREATE FEATURE GROUP ml.txn (x INTEGER ENTITY KEY, t TIMESTAMPTZ EVENT TIME);
CREATE FEATURE GROUP nokey (t TIMESTAMPTZ EVENT TIME, v INTEGER);
CREATE FEATURE GROUP notime (k INTEGER ENTITY KEY, v INTEGER);
CREATE FEATURE GROUP twotimes (k INTEGER ENTITY KEY, t TIMESTAMPTZ EVENT TIME, t2 TIMESTAMPTZ EVENT TIME);
CREATE FEATURE GROUP badopt (k INTEGER ENTITY KEY, t TIMESTAMPTZ EVENT TIME) WITH (colour = 'red');
CREATE FEATURE GROUP badpart (k INTEGER ENTITY KEY, t TIMESTAMPTZ EVENT TIME) WITH (partition_by = 'week');
CREATE FEATURE GROUP badtype (k INTEGER ENTITY KEY, t TIMESTAMPTZ EVENT TIME, v INTEGER FEATURE TYPE fancy);
SELECT schema_name, group_name, description, owner, online, ttl, retention, partition_by, tags, entity_keys, event_time_column, table_checks
  FROM feature_store.feature_groups ORDER BY group_id;
SELECT group_name, feature_name, position, data_type, duckdb_type, feature_type, is_entity_key, is_event_time, not_null, checks, description, status
  FROM feature_store.features ORDER BY group_id, position;
-- the catalog's timestamps are set
SELECT count(*) FROM feature_store.features WHERE created_at IS NULL OR updated_at < created_at;
-- schema evolution and options
ALTER FEATURE GROUP ml.txn ADD FEATURE score DOUBLE PRECISION;
ALTER FEATURE GROUP ml.txn ADD FEATURE score REAL;
ALTER FEATURE GROUP ml.txn SET (ttl = '7 days', online = true, tags = 'a,b', owner = 'risk');
ALTER FEATURE GROUP ml.txn SET (bogus = 1);
ALTER FEATURE ml.txn.amount SET DESCRIPTION 'Amount in EUR';
COMMENT ON FEATURE ml.txn.kind IS 'Kind of transaction';
COMMENT ON FEATURE GROUP ml.txn IS 'All card transactions';
ALTER FEATURE ml.txn.nope SET DESCRIPTION 'x';
SELECT group_name, description, owner, online, ttl, tags FROM feature_store.feature_groups WHERE group_name = 'txn';
SELECT feature_name, data_type, feature_type, description FROM feature_store.features WHERE group_name = 'txn' ORDER BY position;
-- writes after ADD FEATURE: the new column is NULL for old rows
INSERT INTO ml.txn (user_id, merchant_id, happened, amount, kind) VALUES ('u1', 7, '2024-03-01 10:00', 12.5, 'a');
INSERT INTO ml.txn VALUES ('u1', 8, '2024-03-02 11:00', 99.99, 'b', true, 'refund', 0.75);
INSERT INTO ml.txn (user_id, merchant_id, happened, amount, kind) VALUES ('u2', 7, '2024-03-01 10:00', 1, 'c');
SELECT * FROM ml.txn ORDER BY happened;
-- a column named like a keyword of the dialect
CREATE FEATURE GROUP kw (k INTEGER ENTITY KEY, at TIMESTAMPTZ EVENT TIME, v INTEGER);
INSERT INTO kw (k, at, v) VALUES (1, '2024-01-01', 1);
SELECT k, at, v FROM kw;
-- drop
DROP FEATURE GROUP ml.txn;
DROP FEATURE GROUP ml.txn;
DROP FEATURE GROUP IF EXISTS ml.txn;
SELECT * FROM ml.txn;
SELECT count(*) FROM feature_store.features WHERE group_name = 'txn';
SELECT group_name FROM feature_store.feature_groups ORDER BY 1;
CREATE TABLE plain (id int);
DROP FEATURE GROUP plain;
DROP TABLE plain;
