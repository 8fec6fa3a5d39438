-- PostgreSQL 15: tables equivalent to setup_fh.sql's feature groups (an
-- entity key is NOT NULL; descriptions are comments).
CREATE TABLE demographics (
    user_id     text NOT NULL,
    event_time  timestamp with time zone,
    age         integer NOT NULL CHECK (age BETWEEN 0 AND 120),
    country     text,
    is_premium  boolean,
    signup_date date,
    embedding   real[8]
);
COMMENT ON TABLE demographics IS 'User demographic features';
COMMENT ON COLUMN demographics.age IS 'Age in whole years';
COMMENT ON COLUMN demographics.country IS 'ISO country code';
CREATE SCHEMA ml;
CREATE TABLE ml.txn (
    user_id     text NOT NULL,
    merchant_id integer NOT NULL,
    happened    timestamp,
    amount      numeric(10,2) NOT NULL CHECK (amount >= 0),
    kind        text,
    flagged     boolean,
    note        varchar(20),
    CHECK (kind IN ('a', 'b'))
);
COMMENT ON COLUMN ml.txn.kind IS 'Kind of transaction';
CREATE TABLE plain (id integer PRIMARY KEY, name text UNIQUE, qty integer DEFAULT 0 CHECK (qty > 0));
CREATE INDEX plain_qty ON plain (qty);
COMMENT ON COLUMN plain.name IS 'a name';
CREATE VIEW v AS SELECT id, name FROM plain;
