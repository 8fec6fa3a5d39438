-- Role statements as the superuser featurehouse; compared line by line
-- with PostgreSQL 15 (roles.pg15.out). After each statement that fails,
-- the SQLSTATE is echoed.
CREATE ROLE alice LOGIN PASSWORD 'alice pw';
CREATE ROLE alice;
\echo :LAST_ERROR_SQLSTATE
CREATE USER bob;
CREATE ROLE readers NOLOGIN NOINHERIT;
CREATE ROLE admin CREATEROLE CREATEDB CONNECTION LIMIT 3;
CREATE ROLE pg_mine;
\echo :LAST_ERROR_SQLSTATE
GRANT readers TO bob;
GRANT readers TO bob;
GRANT bob TO readers;
\echo :LAST_ERROR_SQLSTATE
GRANT nosuch TO bob;
\echo :LAST_ERROR_SQLSTATE
\du (alice|bob|readers|admin)
SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolconnlimit, rolpassword
FROM pg_roles WHERE rolname IN ('alice', 'bob', 'readers', 'admin') ORDER BY 1;
SELECT r.rolname AS role, m.rolname AS member, a.admin_option
FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
WHERE m.rolname IN ('alice', 'bob') ORDER BY 1, 2;
SELECT rolname, left(rolpassword, 19) AS verifier, rolpassword IS NULL AS no_password
FROM pg_authid WHERE rolname IN ('alice', 'bob') ORDER BY 1;
SHOW password_encryption;
-- What psql's \password and PQencryptPasswordConn send: a verifier.
ALTER ROLE bob PASSWORD 'SCRAM-SHA-256$4096:QUJDREVGR0hJSktMTU5PUA==$9ILmgy3Xw8tXtVcArbTMpWRLXCI3N3PX7Z/3NqD2qCE=:O5GvGr4hZMPWmMp2eKLyCXXfFaLYtrGgNTBV6pUzLBE=';
SELECT rolname, rolpassword FROM pg_authid WHERE rolname = 'bob';
ALTER ROLE alice PASSWORD NULL NOLOGIN;
ALTER ROLE nosuch LOGIN;
\echo :LAST_ERROR_SQLSTATE
SELECT rolname, rolcanlogin, rolpassword IS NULL AS no_password FROM pg_authid WHERE rolname = 'alice';
ALTER ROLE alice LOGIN PASSWORD '';
SET ROLE alice;
SELECT current_user, session_user, current_setting('is_superuser') AS is_superuser;
CREATE ROLE x;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM pg_authid;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT current_user, session_user, current_setting('is_superuser') AS is_superuser;
SET SESSION AUTHORIZATION bob;
SELECT current_user, session_user;
SET ROLE readers;
SELECT current_user, session_user;
SET ROLE alice;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SELECT current_user, session_user;
BEGIN;
SET LOCAL ROLE alice;
SELECT current_user, session_user, current_setting('is_superuser') AS is_superuser;
COMMIT;
SELECT current_user, session_user, current_setting('is_superuser') AS is_superuser;
SET LOCAL ROLE alice;
SELECT current_user;
DROP ROLE featurehouse;
\echo :LAST_ERROR_SQLSTATE
REVOKE readers FROM bob;
SELECT count(*) FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member WHERE m.rolname = 'bob';
ALTER ROLE admin RENAME TO admin2;
DROP ROLE alice, bob;
DROP ROLE alice;
\echo :LAST_ERROR_SQLSTATE
DROP ROLE IF EXISTS alice, readers;
DROP ROLE admin2;
SELECT count(*) FROM pg_roles WHERE rolname IN ('alice', 'bob', 'readers', 'admin', 'admin2');
-- Predefined roles: there from the start, NOLOGIN, PostgreSQL's OIDs; they
-- cannot be dropped, altered or renamed, and no other role takes a pg_ name.
SELECT oid, rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolconnlimit
FROM pg_roles WHERE rolname IN ('pg_signal_backend', 'pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program')
ORDER BY oid;
\du pg_*_server_*
DROP ROLE pg_read_server_files;
\echo :LAST_ERROR_SQLSTATE
DROP ROLE IF EXISTS pg_signal_backend;
\echo :LAST_ERROR_SQLSTATE
ALTER ROLE pg_read_server_files LOGIN;
\echo :LAST_ERROR_SQLSTATE
ALTER ROLE pg_execute_server_program PASSWORD 'x';
\echo :LAST_ERROR_SQLSTATE
ALTER ROLE pg_nosuch NOLOGIN;
\echo :LAST_ERROR_SQLSTATE
ALTER ROLE pg_write_server_files RENAME TO files;
\echo :LAST_ERROR_SQLSTATE
CREATE ROLE pg_signal_backend;
\echo :LAST_ERROR_SQLSTATE
CREATE ROLE carol LOGIN;
ALTER ROLE carol RENAME TO pg_carol;
\echo :LAST_ERROR_SQLSTATE
GRANT pg_read_server_files, pg_write_server_files TO carol;
GRANT carol TO pg_signal_backend;
SELECT r.rolname AS role, m.rolname AS member, a.admin_option
FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
WHERE 'carol' IN (r.rolname, m.rolname) ORDER BY 1, 2;
REVOKE pg_read_server_files FROM carol;
REVOKE pg_read_server_files FROM carol;
DROP ROLE carol;
SELECT count(*) FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid
WHERE r.rolname IN ('pg_read_server_files', 'pg_write_server_files', 'pg_signal_backend');
SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'pg\_%server%' ORDER BY 1;
