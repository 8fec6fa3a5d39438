-- psql 15's describe commands; the same script runs on PostgreSQL 15
-- (tables) and on featurehouse (feature groups), see psql_meta_test.go.
\dt
\d
\dv
\d demographics
\d+ demographics
\d ml.txn
\d+ ml.txn
\d plain
\d+ plain
\d v
\di
