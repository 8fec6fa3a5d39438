-- Embeddings (real[]) written as PostgreSQL array literals: INSERT, COPY
-- text and COPY csv (psql's \copy of a CSV with embeddings).
CREATE FEATURE GROUP emb (k INTEGER ENTITY KEY, ts TIMESTAMPTZ EVENT TIME, e REAL[4], tags TEXT[]);
INSERT INTO emb VALUES (1, '2024-01-01', '{1,2,3,4}', '{a,b}');
INSERT INTO emb VALUES (2, '2024-01-01', ARRAY[1,2,3,4.5], ARRAY['c']);
COPY emb FROM STDIN WITH (FORMAT csv);
3,2024-01-01,"{0.5,-1,1e-3,4}","{""x y"",z}"
\.
COPY emb FROM STDIN;
4	2024-01-01	{1,0,0,-2.25}	{}
5	2024-01-01	\N	{NULL}
\.
SELECT k, e, tags, e[1] AS e1 FROM emb ORDER BY k;
CREATE TABLE pe (e REAL[]);
INSERT INTO pe VALUES ('{1,2.5}');
COPY pe FROM STDIN WITH (FORMAT csv);
"{3,4.5}"
\.
SELECT e FROM pe ORDER BY e[1];
