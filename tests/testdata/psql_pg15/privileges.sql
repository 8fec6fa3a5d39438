-- Privileges on tables, views, columns and schemas, as the superuser
-- featurehouse and through SET ROLE; compared line by line with
-- PostgreSQL 15 (privileges.pg15.out). After each statement that fails,
-- the SQLSTATE is echoed.
\set VERBOSITY terse
CREATE ROLE reader LOGIN;
CREATE ROLE writer LOGIN;
CREATE ROLE nobody LOGIN;
CREATE ROLE team NOLOGIN;
GRANT team TO reader;
CREATE TABLE people (id integer, name text, ssn text);
INSERT INTO people VALUES (1, 'ann', '111'), (2, 'bob', '222');
CREATE VIEW people_names AS SELECT id, name FROM people;
GRANT SELECT (id, name) ON people TO team;
GRANT INSERT, UPDATE (name), DELETE ON people TO writer;
GRANT SELECT ON people_names TO nobody;
GRANT SELECT ON nosuch TO reader;
\echo :LAST_ERROR_SQLSTATE
GRANT SELECT ON people TO nosuch;
\echo :LAST_ERROR_SQLSTATE
GRANT USAGE ON people TO reader;
\echo :LAST_ERROR_SQLSTATE
GRANT SELECT (nosuch) ON people TO reader;
\echo :LAST_ERROR_SQLSTATE
GRANT DELETE (name) ON people TO reader;
\echo :LAST_ERROR_SQLSTATE
SELECT has_table_privilege('reader', 'people', 'SELECT') AS t_sel, has_column_privilege('reader', 'people', 'name', 'SELECT') AS c_name,
       has_column_privilege('reader', 'people', 'ssn', 'SELECT') AS c_ssn, has_any_column_privilege('reader', 'people', 'SELECT') AS any_col;
SELECT has_table_privilege('writer', 'people', 'INSERT') AS w_ins, has_table_privilege('writer', 'public.people', 'SELECT') AS w_sel,
       has_table_privilege('writer', 'people', 'UPDATE') AS w_upd, has_column_privilege('writer', 'people', 'name', 'UPDATE') AS w_upd_name,
       has_table_privilege('nobody', 'people_names', 'SELECT') AS n_view, has_table_privilege('nobody', 'people', 'SELECT, INSERT') AS n_any;
\dp people
\dp people_names
SELECT grantee, privilege_type, is_grantable FROM information_schema.role_table_grants
WHERE table_name IN ('people', 'people_names') ORDER BY table_name, grantee, privilege_type;
SELECT grantee, column_name, privilege_type FROM information_schema.column_privileges
WHERE table_name = 'people' AND grantee <> 'featurehouse' ORDER BY 1, 2, 3;
SET ROLE reader;
SELECT id, name FROM people ORDER BY id;
SELECT * FROM people;
\echo :LAST_ERROR_SQLSTATE
SELECT ssn FROM people;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM people;
SELECT p.name FROM people p WHERE p.ssn = '111';
\echo :LAST_ERROR_SQLSTATE
SELECT name FROM people WHERE id IN (SELECT id FROM people WHERE name = 'ann');
WITH c AS (SELECT ssn FROM people) SELECT count(*) FROM c;
\echo :LAST_ERROR_SQLSTATE
SELECT (SELECT max(ssn) FROM people) AS m;
\echo :LAST_ERROR_SQLSTATE
SELECT a.name FROM people a JOIN people b USING (id) ORDER BY 1;
SELECT * FROM people_names;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO people VALUES (3, 'cy', '333');
\echo :LAST_ERROR_SQLSTATE
COPY people TO STDOUT;
\echo :LAST_ERROR_SQLSTATE
COPY people (id, name) TO STDOUT;
COPY (SELECT ssn FROM people) TO STDOUT;
\echo :LAST_ERROR_SQLSTATE
SELECT has_table_privilege('people', 'SELECT') AS mine_t, has_column_privilege('people', 'name', 'SELECT') AS mine_c;
RESET ROLE;
SET ROLE writer;
INSERT INTO people VALUES (3, 'cy', '333');
INSERT INTO people (id, name) VALUES (4, 'dee');
UPDATE people SET name = 'cyd' WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
UPDATE people SET name = 'all';
UPDATE people SET ssn = 'x';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM people WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM people RETURNING ssn;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE people;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM people;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT id, name, ssn FROM people ORDER BY id;
SET ROLE nobody;
SELECT * FROM people_names ORDER BY id;
SELECT * FROM people;
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE nobody_t (x integer);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE people;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE people ADD COLUMN z integer;
\echo :LAST_ERROR_SQLSTATE
GRANT SELECT ON people TO nobody;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
CREATE SCHEMA private;
CREATE TABLE private.secrets (k integer);
INSERT INTO private.secrets VALUES (42);
GRANT SELECT ON private.secrets TO reader;
SET ROLE reader;
SELECT * FROM private.secrets;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT USAGE ON SCHEMA private TO team;
SET ROLE reader;
SELECT * FROM private.secrets;
CREATE TABLE private.mine (x integer);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT CREATE ON SCHEMA private TO reader;
SET ROLE reader;
CREATE TABLE private.mine (x integer);
INSERT INTO private.mine VALUES (1);
SELECT * FROM private.mine;
GRANT SELECT ON private.mine TO nobody;
RESET ROLE;
SELECT has_schema_privilege('reader', 'private', 'USAGE') AS r_use, has_schema_privilege('reader', 'private', 'CREATE') AS r_create,
       has_schema_privilege('nobody', 'private', 'USAGE') AS n_use, has_schema_privilege('nobody', 'public', 'USAGE') AS n_pub_use,
       has_schema_privilege('nobody', 'public', 'CREATE') AS n_pub_create;
GRANT SELECT ON people TO reader WITH GRANT OPTION;
SET ROLE reader;
GRANT SELECT ON people TO nobody;
GRANT INSERT ON people TO nobody;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
\dp people
SET ROLE nobody;
SELECT count(*) FROM people;
RESET ROLE;
REVOKE SELECT ON people FROM reader;
\echo :LAST_ERROR_SQLSTATE
REVOKE SELECT ON people FROM reader CASCADE;
SELECT has_table_privilege('nobody', 'people', 'SELECT') AS n_sel, has_column_privilege('reader', 'people', 'name', 'SELECT') AS r_name;
REVOKE SELECT (name) ON people FROM team;
SELECT has_column_privilege('reader', 'people', 'name', 'SELECT') AS r_name, has_column_privilege('reader', 'people', 'id', 'SELECT') AS r_id;
REVOKE ALL ON people FROM writer;
\dp people
BEGIN;
GRANT SELECT ON people TO nobody;
ROLLBACK;
SELECT has_table_privilege('nobody', 'people', 'SELECT') AS after_rollback;
GRANT ALL ON ALL TABLES IN SCHEMA private TO writer;
SELECT has_table_privilege('writer', 'private.secrets', 'DELETE') AS w_del, has_table_privilege('writer', 'private.mine', 'TRUNCATE') AS w_trunc;
DROP ROLE nobody;
\echo :LAST_ERROR_SQLSTATE
ALTER DEFAULT PRIVILEGES FOR ROLE reader GRANT SELECT ON TABLES TO nobody;
ALTER DEFAULT PRIVILEGES FOR ROLE reader IN SCHEMA private GRANT INSERT, UPDATE ON TABLES TO writer WITH GRANT OPTION;
ALTER DEFAULT PRIVILEGES FOR ROLE nosuch GRANT SELECT ON TABLES TO nobody;
\echo :LAST_ERROR_SQLSTATE
\ddp
SET ROLE reader;
CREATE TABLE private.later (x integer);
ALTER DEFAULT PRIVILEGES FOR ROLE writer GRANT SELECT ON TABLES TO reader;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
\dp private.later
SELECT has_table_privilege('nobody', 'private.later', 'SELECT') AS n_sel, has_table_privilege('writer', 'private.later', 'UPDATE') AS w_upd,
       has_table_privilege('writer', 'private.later', 'DELETE') AS w_del;
ALTER DEFAULT PRIVILEGES FOR ROLE reader REVOKE SELECT ON TABLES FROM nobody;
\ddp
SET ROLE nobody;
CHECKPOINT;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE nobody;
SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema IN ('public', 'private') ORDER BY 1, 2;
SELECT table_name, column_name FROM information_schema.columns WHERE table_schema IN ('public', 'private') ORDER BY 1, 2;
SELECT table_name FROM information_schema.views WHERE table_schema = 'public' ORDER BY 1;
RESET ROLE;
SET ROLE writer;
SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema IN ('public', 'private') ORDER BY 1, 2;
SELECT table_name, column_name FROM information_schema.columns WHERE table_schema IN ('public', 'private') ORDER BY 1, 2;
RESET ROLE;
