-- psql's meta-commands on feature groups, an ordinary table and a view:
-- what psql 15 reads from pg_catalog (the \d output of the same groups is
-- compared with PostgreSQL 15's in psql_meta_test.go).
CREATE FEATURE GROUP demographics (
    user_id     TEXT        ENTITY KEY,
    event_time  TIMESTAMPTZ EVENT TIME,
    age         INTEGER     NOT NULL CHECK (age BETWEEN 0 AND 120),
    country     TEXT        FEATURE TYPE categorical,
    is_premium  BOOLEAN,
    signup_date DATE,
    embedding   REAL[8]
) WITH (description = 'User demographic features', online = true, partition_by = 'month');
COMMENT ON FEATURE demographics.age IS 'Age in whole years';
CREATE SCHEMA ml;
CREATE FEATURE GROUP ml.txn (
    user_id     TEXT          ENTITY KEY,
    happened    TIMESTAMP     EVENT TIME,
    amount      NUMERIC(10,2) NOT NULL CHECK (amount >= 0) CHECK (amount < 1000000),
    note        VARCHAR(20),
    tags        TEXT[],
    CHECK (note <> '')
);
CREATE TABLE plain (id integer PRIMARY KEY, name text DEFAULT 'x', qty integer CHECK (qty > 0), price DECIMAL(12,3), seen TIMESTAMPTZ, vals DOUBLE PRECISION[]);
COMMENT ON TABLE plain IS 'an ordinary table';
COMMENT ON COLUMN plain.qty IS 'how many';
CREATE VIEW v AS SELECT id, name FROM plain;
\copy demographics FROM 'tests/testdata/psql/demographics.csv' WITH (FORMAT csv, HEADER)
-- databases, schemas (feature_store is featurehouse's, fh_internal never shows), roles
\l
\dn
\dn+
\du
-- relations: a feature group is a table; only the search path's show in \dt
\dt
\dt+
\dv
\d
\dt ml.*
\dt feature_store.*
\di
-- visibility follows search_path; temporary tables come first
SET search_path = ml, public;
\dt
RESET search_path;
CREATE TEMP TABLE scratch (a integer PRIMARY KEY, b text);
\dt
\d scratch
DROP TABLE scratch;
\df
-- describing a feature group and an ordinary table
\d demographics
\d+ demographics
\d ml.txn
\d plain
\d+ plain
\d+ v
\d nosuch
-- schema evolution shows at once; a retired feature is a dropped column
ALTER FEATURE GROUP ml.txn ADD FEATURE score DOUBLE PRECISION;
ALTER FEATURE ml.txn.note SET STATUS retired;
COMMENT ON FEATURE GROUP ml.txn IS 'card transactions';
\d ml.txn
\dt+ ml.*
-- \x is psql's own
\x
SELECT user_id, age, country, embedding FROM demographics ORDER BY user_id, event_time LIMIT 2;
\x
-- psql's tab completion of table names (SELECT * FROM dem<TAB>, \dt <TAB>),
-- schema-qualified names (ml.<TAB>) and columns, as psql 15 sends them
-- (wrapped in an ORDER BY: psql sorts the completions itself)
SELECT * FROM (
SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND (c.relname) LIKE 'dem%' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE 'dem%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000
) AS completion(name, schema) ORDER BY 1, 2;
SELECT * FROM (
SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p') AND (c.relname) LIKE '%' AND pg_catalog.pg_table_is_visible(c.oid) AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog')
UNION ALL
SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE '%' AND n.nspname NOT LIKE E'pg\\_%'
LIMIT 1000
) AS completion(name, schema) ORDER BY 1, 2;
SELECT * FROM (
SELECT c.relname, n.nspname FROM pg_catalog.pg_class c, pg_catalog.pg_namespace n WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') AND (c.relname) LIKE '%' AND n.nspname = 'ml'
) AS completion(name, schema) ORDER BY 1, 2;
SELECT * FROM (
SELECT a.attname, NULL::pg_catalog.text FROM pg_catalog.pg_attribute a, pg_catalog.pg_class c WHERE c.oid = a.attrelid and a.attnum > 0 and not a.attisdropped AND (a.attname) LIKE 'e%' AND c.relname = 'demographics' AND pg_catalog.pg_table_is_visible(c.oid)
LIMIT 1000
) AS completion(name, schema) ORDER BY 1, 2;
-- catalog functions and casts clients use
SELECT version() ~ '^PostgreSQL 15\.0 \(featurehouse [^)]+\) on \S+, compiled by go\S+, 64-bit$' AS pg_shaped, current_user, current_database();
SELECT 'demographics'::regclass, 'ml.txn'::regclass::text, 'demographics'::regclass::oid = c.oid AS same_oid, c.oid::regclass
  FROM pg_class c WHERE c.relname = 'demographics';
SELECT 'nosuch'::regclass;
SELECT 'integer'::regtype, 'real[]'::regtype::oid, 1184::regtype, 'public'::regnamespace::oid = n.oid FROM pg_namespace n WHERE nspname = 'public';
SELECT a.attname, a.atttypid::regtype, format_type(a.atttypid, a.atttypmod), a.attnotnull, col_description(a.attrelid, a.attnum)
  FROM pg_attribute a WHERE a.attrelid = 'ml.txn'::regclass AND a.attnum > 0 ORDER BY a.attnum;
SELECT obj_description('demographics'::regclass, 'pg_class'), obj_description(n.oid, 'pg_namespace'), pg_get_userbyid(c.relowner)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'demographics';
SELECT conname, contype, pg_get_constraintdef(oid, true) FROM pg_constraint WHERE conrelid = 'plain'::regclass ORDER BY 1;
SELECT has_table_privilege('demographics', 'SELECT'), has_schema_privilege('ml', 'USAGE'), has_database_privilege(current_database(), 'CONNECT');
SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'feature_store') ORDER BY 1, 2;
-- nothing of featurehouse's internals is a relation
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'fh_internal' OR c.relname LIKE '%unflushed%';
-- every column's type is in pg_type
SELECT count(*) FROM pg_attribute a LEFT JOIN pg_type t ON t.oid = a.atttypid WHERE t.oid IS NULL AND NOT a.attisdropped;
-- PostgreSQL's ~ matches anywhere, LIKE's escape is the backslash
SELECT 'pg_toast' ~ '^pg_' AS a, 'xpg_y' ~ 'pg_' AS b, 'pg_toast' !~ 'toast' AS c, 'ABC' ~* 'b' AS d, 'pgXtoast' LIKE 'pg\_%' AS e, 'pg_toast' LIKE 'pg\_%' AS f;
SELECT s FROM generate_series(1, 3) s;
-- a feature view is a view, shown with its definition as written
CREATE FEATURE VIEW adults AS SELECT user_id, age, country FROM demographics WHERE age >= 18 WITH (description = 'grown-ups');
\dv
\d+ adults
SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class'), pg_get_viewdef(c.oid, true) FROM pg_class c WHERE c.relname = 'adults';
