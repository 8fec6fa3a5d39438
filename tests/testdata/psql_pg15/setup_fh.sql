-- featurehouse: the feature groups whose psql descriptions are compared
-- with setup_pg.sql's tables on PostgreSQL 15, and the same plain table.
CREATE FEATURE GROUP demographics (
    user_id     TEXT        ENTITY KEY,
    event_time  TIMESTAMPTZ EVENT TIME,
    age         INTEGER     NOT NULL CHECK (age BETWEEN 0 AND 120),
    country     TEXT        FEATURE TYPE categorical,
    is_premium  BOOLEAN,
    signup_date DATE,
    embedding   REAL[8]
) WITH (description = 'User demographic features', online = true);
COMMENT ON FEATURE demographics.age IS 'Age in whole years';
ALTER FEATURE demographics.country SET DESCRIPTION 'ISO country code';
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
) WITH (partition_by = 'day');
COMMENT ON FEATURE ml.txn.kind IS 'Kind of transaction';
CREATE TABLE plain (id integer PRIMARY KEY, name text UNIQUE, qty integer DEFAULT 0 CHECK (qty > 0));
CREATE INDEX plain_qty ON plain (qty);
COMMENT ON COLUMN plain.name IS 'a name';
CREATE VIEW v AS SELECT id, name FROM plain;
