-- Transaction blocks with feature groups and tables: commit, rollback,
-- failed-transaction state.
CREATE FEATURE GROUP g (id INTEGER ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, v INTEGER CHECK (v >= 0));
CREATE TABLE t (id INTEGER, v TEXT);
BEGIN;
INSERT INTO g VALUES (1, '2024-01-01', 1);
INSERT INTO t VALUES (1, 'one');
SELECT count(*) FROM g;
COMMIT;
SELECT count(*) FROM g;
BEGIN;
INSERT INTO g VALUES (2, '2024-01-02', 2);
INSERT INTO t VALUES (2, 'two');
ROLLBACK;
SELECT count(*) FROM g;
SELECT * FROM t ORDER BY id;
-- an error puts the block in the failed state until its end
BEGIN;
INSERT INTO g VALUES (3, '2024-01-03', 3);
SELECT * FROM nope;
SELECT 1;
INSERT INTO g VALUES (4, '2024-01-04', 4);
COMMIT;
SELECT id FROM g ORDER BY id;
-- a constraint failure also fails the block
BEGIN;
INSERT INTO g VALUES (5, '2024-01-05', 5);
INSERT INTO g VALUES (6, '2024-01-06', -6);
ROLLBACK;
SELECT id FROM g ORDER BY id;
-- transaction-control edge cases as PostgreSQL answers them
COMMIT;
ROLLBACK;
BEGIN;
BEGIN;
COMMIT;
START TRANSACTION;
INSERT INTO t VALUES (3, 'three');
END;
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT count(*) FROM t;
ABORT;
SELECT * FROM t ORDER BY id;
