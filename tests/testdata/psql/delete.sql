-- DELETE and TRUNCATE on feature groups: command tags and what is read
-- afterwards, as PostgreSQL prints them for a table with the same rows.
CREATE FEATURE GROUP users (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, age INTEGER, country TEXT);
INSERT INTO users VALUES ('u1', '2024-01-01', 25, 'US'), ('u1', '2024-02-01', 26, 'US'), ('u2', '2024-01-15', 31, 'FR'), ('u3', '2024-01-20', 40, 'DE');
DELETE FROM users WHERE user_id = 'nobody';
DELETE FROM users WHERE user_id = 'u1' AND event_time >= '2024-02-01';
SELECT * FROM users ORDER BY user_id, event_time;
-- the entity's previous row is its latest again
SELECT user_id, age FROM users AS OF TIMESTAMP '2024-06-01' ORDER BY user_id;
CREATE TABLE erase (user_id TEXT);
INSERT INTO erase VALUES ('u2'), ('u2');
DELETE FROM users u USING erase e WHERE u.user_id = e.user_id;
DELETE FROM users WHERE age > (SELECT avg(age) FROM users);
SELECT * FROM users ORDER BY user_id;
-- overwrite: TRUNCATE + INSERT in one transaction
BEGIN;
TRUNCATE users;
INSERT INTO users VALUES ('u9', '2024-03-01', 50, 'IT');
SELECT user_id, age FROM users;
ROLLBACK;
SELECT user_id, age FROM users ORDER BY user_id;
BEGIN;
TRUNCATE TABLE users, erase;
INSERT INTO users VALUES ('u9', '2024-03-01', 50, 'IT');
COMMIT;
SELECT user_id, age FROM users;
SELECT count(*) FROM erase;
DELETE FROM users;
SELECT count(*) FROM users;
