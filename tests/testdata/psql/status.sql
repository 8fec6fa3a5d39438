-- Feature status rules: deprecated is read with a NOTICE, retired is an
-- error naming the feature, draft reads offline.
CREATE FEATURE GROUP g (id INTEGER ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, a INTEGER, b TEXT, c DOUBLE PRECISION);
INSERT INTO g VALUES (1, '2024-01-01', 10, 'x', 1.5), (2, '2024-01-02', 20, 'y', 2.5);
ALTER FEATURE g.b SET STATUS deprecated;
SELECT id, b FROM g ORDER BY id;
SELECT * FROM g ORDER BY id;
-- not read: no notice
SELECT id, a FROM g ORDER BY id;
SELECT id FROM g AS OF TIMESTAMP '2024-02-01' WHERE b = 'y';
ALTER FEATURE g.c SET STATUS retired;
SELECT c FROM g;
SELECT id FROM g WHERE c > 2;
SELECT sum(c) FROM g AS OF TIMESTAMP '2024-02-01';
-- * leaves a retired feature out
SELECT * FROM g ORDER BY id;
SELECT id, a FROM g AS OF TIMESTAMP '2024-02-01' ORDER BY id;
SELECT feature_name, status FROM feature_store.features WHERE group_name = 'g' ORDER BY position;
ALTER FEATURE g.c SET STATUS bogus;
ALTER FEATURE g.zz SET STATUS active;
ALTER FEATURE nope.c SET STATUS active;
ALTER FEATURE g.a SET STATUS draft;
SELECT id, a FROM g ORDER BY id;
ALTER FEATURE g.c SET STATUS active;
ALTER FEATURE g.b SET STATUS active;
SELECT id, b, c FROM g ORDER BY id;
SELECT feature_name, status FROM feature_store.features WHERE group_name = 'g' ORDER BY position;
