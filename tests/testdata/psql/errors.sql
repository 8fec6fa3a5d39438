-- Errors: SQLSTATE, message, position, and nothing stored by a failed
-- statement. VERBOSITY verbose shows the SQLSTATE.
\set VERBOSITY verbose
CREATE FEATURE GROUP g (id INTEGER ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, age INTEGER NOT NULL CHECK (age BETWEEN 0 AND 120), name TEXT);
SELEC 1;
SELECT * FROM g WHERE;
SELECT * FROM g AS OF;
CREATE FEATURE GROUP x (id INTEGER ENTITY KEY ts TIMESTAMPTZ EVENT TIME);
SELECT * FROM nope;
SELECT * FROM nope AS OF TIMESTAMP '2024-01-01';
INSERT INTO nope VALUES (1);
SELECT nope FROM g;
SELECT id FROM g AS OF TIMESTAMP '2024-01-01' WHERE nope = 1;
INSERT INTO g (id, ts, nope) VALUES (1, '2024-01-01', 1);
INSERT INTO g (id, ts, name) VALUES (1, '2024-01-01', 'no age');
INSERT INTO g (id, ts, age) VALUES (1, '2024-01-01', 121);
-- only row 3 fails: nothing of the statement is stored
INSERT INTO g (id, ts, age) VALUES (1, '2024-01-01', 1), (2, '2024-01-01', 2), (3, '2024-01-01', -3), (4, '2024-01-01', 4);
INSERT INTO g (id, ts, age) VALUES ('abc', '2024-01-01', 1);
INSERT INTO g (id, ts, age) VALUES (1, 'not a time', 1);
SELECT count(*) FROM g;
-- a bad COPY line names the line and column; nothing is stored
COPY g FROM STDIN WITH (FORMAT csv);
1,2024-01-01,30,a
2,2024-01-02,x,b
3,2024-01-03,31,c
\.
COPY g (id, ts, age) FROM STDIN;
1	2024-01-01	30
2	2024-01-02	130
\.
COPY g (id, ts, age) FROM STDIN;
1	2024-01-01	30
2	2024-01-02	\N
\.
COPY g (id, ts, age) FROM STDIN;
1	2024-01-01	30	extra
\.
SELECT count(*) FROM g;
-- and the session goes on
COPY g (id, ts, age, name) FROM STDIN WITH (FORMAT csv, HEADER);
id,ts,age,name
1,2024-01-01,30,"a, quoted"
2,2024-01-02,40,
\.
SELECT id, ts, age, name, name IS NULL AS name_null FROM g ORDER BY id;
-- VALUES rows longer or shorter than the target list: PostgreSQL's 42601 with the position
CREATE TABLE arity (a int, b int);
INSERT INTO arity VALUES (1, 2, 3);
INSERT INTO arity (a, b) VALUES (1);
INSERT INTO arity (a, b) VALUES (1, 2), (3);
INSERT INTO g (id, ts, age) VALUES (9, '2024-01-01');
INSERT INTO g VALUES (9, '2024-01-01', 30, 'x', 'extra');
INSERT INTO nosuchtable (a, b) VALUES (1);
SELECT count(*) FROM g WHERE id = 9;
SELECT count(*) FROM arity;
-- inside a transaction block a failing row is named as in autocommit; the
-- block is aborted and nothing of it is stored
BEGIN;
INSERT INTO g (id, ts, age, name) VALUES (20, '2024-01-01', 20, 'kept until the error');
INSERT INTO g (id, ts, age) VALUES (21, '2024-01-01', 21), ('abc', '2024-01-01', 1);
SELECT 1;
ROLLBACK;
BEGIN;
INSERT INTO g (id, ts, age) VALUES (22, '2024-01-01', 22), (23, 'not a time', 1);
ROLLBACK;
BEGIN;
INSERT INTO g (id, ts, age) VALUES (24, '2024-01-01', 24), (25, '2024-01-01', 99999999999);
ROLLBACK;
BEGIN;
INSERT INTO g (id, ts, age) VALUES (26, '2024-01-01', 26), (27, '2024-01-01', 121);
ROLLBACK;
BEGIN;
INSERT INTO g (id, ts, name) VALUES (28, '2024-01-01', 'no age');
COMMIT;
SELECT count(*) FROM g WHERE id >= 20;
