-- featurehouse's pg_catalog, created at start in the in-memory database
-- {{cat}} (never persisted). The planner rewrites references to
-- pg_catalog relations and functions to these objects (pgcatalog_rewrite.go).
-- Relations read DuckDB's catalog (duckdb_tables(), duckdb_views(), ...)
-- and featurehouse's own (feature_store.feature_groups / features), so they
-- are current in every transaction. Objects named fh_* are helpers and are
-- not shown as relations of pg_catalog.
--
-- Placeholders: {{cat}} this database, {{db}} / {{db_lit}} featurehouse's
-- database as identifier / literal, {{internal}} the schema of internal
-- objects (literal), {{superuser}} the superuser's name (literal), and the
-- type rows generated from sql/types.

-- Types ----------------------------------------------------------------------

CREATE OR REPLACE TABLE {{cat}}.main.pg_type AS
SELECT CAST(oid AS BIGINT) AS oid, CAST(typname AS VARCHAR) AS typname, CAST(11 AS BIGINT) AS typnamespace,
       CAST(10 AS BIGINT) AS typowner, CAST(typlen AS SMALLINT) AS typlen, typlen IN (1, 2, 4, 8) AS typbyval,
       CAST(typtype AS VARCHAR) AS typtype, CAST(typcategory AS VARCHAR) AS typcategory, false AS typispreferred,
       true AS typisdefined, ',' AS typdelim, CAST(0 AS BIGINT) AS typrelid,
       CASE WHEN typelem <> 0 THEN 'array_subscript_handler' ELSE '-' END AS typsubscript,
       CAST(typelem AS BIGINT) AS typelem, CAST(typarray AS BIGINT) AS typarray,
       CASE WHEN typcategory = 'A' THEN 'array_in' ELSE typname || 'in' END AS typinput,
       CASE WHEN typcategory = 'A' THEN 'array_out' ELSE typname || 'out' END AS typoutput,
       CASE WHEN typcategory = 'A' THEN 'array_recv' ELSE typname || 'recv' END AS typreceive,
       CASE WHEN typcategory = 'A' THEN 'array_send' ELSE typname || 'send' END AS typsend,
       '-' AS typmodin, '-' AS typmodout, '-' AS typanalyze,
       CASE typlen WHEN 1 THEN 'c' WHEN 2 THEN 's' WHEN 8 THEN 'd' ELSE 'i' END AS typalign,
       CAST(typstorage AS VARCHAR) AS typstorage, false AS typnotnull, CAST(0 AS BIGINT) AS typbasetype,
       -1 AS typtypmod, 0 AS typndims, CAST(CASE WHEN collatable THEN 100 ELSE 0 END AS BIGINT) AS typcollation,
       CAST(NULL AS VARCHAR) AS typdefaultbin, CAST(NULL AS VARCHAR) AS typdefault, CAST(NULL AS VARCHAR[]) AS typacl,
       CAST(display AS VARCHAR) AS fh_display
FROM (VALUES {{pg_type_rows}}) AS t(oid, typname, display, typlen, typtype, typcategory, typstorage, typelem, typarray, collatable);

-- Helpers that macros read have column names of their own (fh?_...): a
-- macro's argument is substituted into its body as written, so a name the
-- caller means (c.oid, oid) must not be one of the subquery's.

CREATE OR REPLACE VIEW {{cat}}.main.fh_types AS
SELECT oid AS fht_oid, typname AS fht_name, fh_display AS fht_display, typelem AS fht_elem, typarray AS fht_array,
       typcategory AS fht_category
FROM {{cat}}.main.pg_type;

-- fh_type_names: PostgreSQL type names as feature_store.features.data_type
-- spells them ("integer", "timestamptz") -> OID.
CREATE OR REPLACE TABLE {{cat}}.main.fh_type_names AS
SELECT CAST(name AS VARCHAR) AS fhn_name, CAST(oid AS BIGINT) AS fhn_oid FROM (VALUES {{pg_type_name_rows}}) AS t(name, oid);

-- fh_duck_types: DuckDB scalar type names -> OID, as RowDescription maps them.
CREATE OR REPLACE TABLE {{cat}}.main.fh_duck_types AS
SELECT CAST(name AS VARCHAR) AS fhk_name, CAST(oid AS BIGINT) AS fhk_oid FROM (VALUES {{duck_type_rows}}) AS t(name, oid);

-- atttypmod of a DuckDB type: numeric's ((precision << 16) | scale) + 4.
CREATE OR REPLACE MACRO {{cat}}.main.fh_duck_typmod(_t) AS
    CASE WHEN regexp_matches(_t, '^DECIMAL\(\d+,\d+\)(\[\d*\])?$')
         THEN CAST(regexp_extract(_t, '^DECIMAL\((\d+),', 1) AS INTEGER) * 65536
              + CAST(regexp_extract(_t, ',(\d+)\)', 1) AS INTEGER) + 4
         ELSE -1 END;

-- The OID and typmod of a feature's declared type (features.data_type:
-- "character varying(20)", "numeric(10,2)", "real[8]", "timestamp(3) with
-- time zone"). An array's declared size is not part of PostgreSQL's type.
CREATE OR REPLACE MACRO {{cat}}.main.fh_pg_base_name(_t) AS
    trim(regexp_replace(regexp_replace(_t, '(\[\d*\])+$', ''), '\s*\([^)]*\)', ''));

CREATE OR REPLACE MACRO {{cat}}.main.fh_pg_base_oid(_t) AS {{type_name_map}}[{{cat}}.main.fh_pg_base_name(_t)];

CREATE OR REPLACE MACRO {{cat}}.main.fh_pg_typmod(_t) AS
    CASE WHEN NOT regexp_matches(_t, '\(\d+(,\s*\d+)?\)') THEN -1
         WHEN {{cat}}.main.fh_pg_base_oid(_t) = 1700
         THEN CAST(regexp_extract(_t, '\((\d+)', 1) AS INTEGER) * 65536
              + coalesce(TRY_CAST(regexp_extract(_t, '\(\d+,\s*(\d+)\)', 1) AS INTEGER), 0) + 4
         WHEN {{cat}}.main.fh_pg_base_oid(_t) IN (1042, 1043)
         THEN CAST(regexp_extract(_t, '\((\d+)', 1) AS INTEGER) + 4
         ELSE CAST(regexp_extract(_t, '\((\d+)', 1) AS INTEGER) END;

-- Lookups index a map: a constant one for what never changes (types,
-- roles), else one built once per statement by an uncorrelated subquery.
-- DuckDB then runs no subquery per row, and the argument, substituted into
-- the macro as written, never stands inside a subquery where a name of it
-- (c.oid, oid) could mean a column of the catalog.
CREATE OR REPLACE MACRO {{cat}}.main.fh_type_display(_oid) AS {{type_display_map}}[CAST(_oid AS INTEGER)];

-- format_type(type, typmod) as PostgreSQL prints it.
CREATE OR REPLACE MACRO {{cat}}.main.fh_format_base(_oid, _mod) AS
    CASE WHEN {{cat}}.main.fh_type_display(_oid) IS NULL THEN NULL
        WHEN _mod IS NULL OR _mod < 0 THEN CASE WHEN _oid = 1042 AND _mod IS NOT NULL THEN 'bpchar' ELSE {{cat}}.main.fh_type_display(_oid) END
        WHEN _oid = 1700 AND _mod >= 4 THEN 'numeric(' || ((_mod - 4) // 65536) || ',' || ((_mod - 4) % 65536) || ')'
        WHEN _oid = 1043 AND _mod >= 4 THEN 'character varying(' || (_mod - 4) || ')'
        WHEN _oid = 1042 AND _mod >= 4 THEN 'character(' || (_mod - 4) || ')'
        WHEN _oid IN (1083, 1114, 1184, 1266) THEN replace({{cat}}.main.fh_type_display(_oid), ' with', '(' || _mod || ') with')
        ELSE {{cat}}.main.fh_type_display(_oid) END;

CREATE OR REPLACE MACRO {{cat}}.main.fh_array_elem(_oid) AS {{array_elem_map}}[CAST(_oid AS INTEGER)];

CREATE OR REPLACE MACRO {{cat}}.main.format_type(_oid, _mod) AS
    CASE WHEN _oid IS NULL THEN NULL
         WHEN _oid = 0 THEN '-'
         WHEN {{cat}}.main.fh_array_elem(_oid) IS NOT NULL
         THEN {{cat}}.main.fh_format_base({{cat}}.main.fh_array_elem(_oid), _mod) || '[]'
         ELSE coalesce({{cat}}.main.fh_format_base(_oid, _mod), '???') END;

-- quote_ident as PostgreSQL quotes names (keywords aside).
CREATE OR REPLACE MACRO {{cat}}.main.quote_ident(_s) AS
    CASE WHEN regexp_full_match(_s, '[a-z_][a-z0-9_$]*') THEN _s ELSE '"' || replace(_s, '"', '""') || '"' END;

-- Namespaces and relations ---------------------------------------------------

-- pg_catalog is 11 and public's owner is pg_database_owner, as in
-- PostgreSQL 15. The internal schema is left out, and DuckDB's default
-- schema "main" unless something is in it.
CREATE OR REPLACE VIEW {{cat}}.main.pg_namespace AS
SELECT CAST(11 AS BIGINT) AS oid, 'pg_catalog' AS nspname, CAST(10 AS BIGINT) AS nspowner, CAST(NULL AS VARCHAR[]) AS nspacl
UNION ALL
SELECT 13000, 'information_schema', 10, NULL
UNION ALL
-- the session's temporary objects (DuckDB's database temp)
SELECT s.oid, 'pg_temp_1', 10, NULL FROM duckdb_schemas() s WHERE s.database_name = 'temp' AND s.schema_name = 'main'
UNION ALL
SELECT s.oid, s.schema_name, CASE WHEN s.schema_name = 'public' THEN 6171 ELSE 10 END, NULL
FROM duckdb_schemas() s
WHERE s.database_name = {{db_lit}} AND s.schema_name <> {{internal}}
  AND (s.schema_name <> 'main'
       OR EXISTS (SELECT 1 FROM duckdb_tables() t WHERE t.database_name = {{db_lit}} AND t.schema_name = 'main')
       OR EXISTS (SELECT 1 FROM duckdb_views() v WHERE v.database_name = {{db_lit}} AND v.schema_name = 'main' AND NOT v.internal));

-- fh_groups: the feature groups, each the DuckDB view "schema"."group".
CREATE OR REPLACE VIEW {{cat}}.main.fh_groups AS
SELECT v.view_oid AS oid, g.group_id, g.schema_name, g.group_name, g.description, g.table_checks,
       CAST(coalesce(f.natts, 0) AS SMALLINT) AS natts, CAST(coalesce(f.nchecks, 0) + len(g.table_checks) AS SMALLINT) AS nchecks
FROM {{db}}.feature_store.feature_groups g
JOIN duckdb_views() v ON v.database_name = {{db_lit}} AND v.schema_name = g.schema_name AND v.view_name = g.group_name
LEFT JOIN (SELECT group_id, max(position) AS natts, sum(CASE WHEN status <> 'retired' THEN len(checks) ELSE 0 END) AS nchecks
           FROM {{db}}.feature_store.features GROUP BY group_id) f ON f.group_id = g.group_id;

-- fh_indexes: the indexes of ordinary tables, PRIMARY KEY and UNIQUE
-- constraints' (named as PostgreSQL names them: <table>_pkey) and CREATE
-- INDEX's. DuckDB's are ART indexes; they show as btree, PostgreSQL's
-- default, which is what clients know.
CREATE OR REPLACE VIEW {{cat}}.main.fh_indexes AS
SELECT oid, relname, nspname, indrelid, indisprimary, indisunique, conindex, indkey, persistence,
       'CREATE ' || CASE WHEN indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX ' || {{cat}}.main.quote_ident(relname)
       || ' ON ' || {{cat}}.main.quote_ident(nspname) || '.' || {{cat}}.main.quote_ident(tablename) || ' USING btree (' || cols || ')' AS def
FROM (
    SELECT k.table_oid * 1000 + 500 + k.constraint_index AS oid,
           CASE WHEN k.constraint_type = 'PRIMARY KEY' THEN k.table_name || '_pkey' ELSE k.constraint_name END AS relname,
           CASE WHEN k.database_name = 'temp' THEN 'pg_temp_1' ELSE k.schema_name END AS nspname,
           CASE WHEN k.database_name = 'temp' THEN 't' ELSE 'p' END AS persistence, k.table_name AS tablename, k.table_oid AS indrelid,
           k.constraint_type = 'PRIMARY KEY' AS indisprimary, true AS indisunique, k.constraint_index AS conindex,
           CAST(list_transform(k.constraint_column_indexes, x -> x + 1) AS SMALLINT[]) AS indkey,
           array_to_string(k.constraint_column_names, ', ') AS cols
    FROM duckdb_constraints() k
    WHERE (k.database_name = {{db_lit}} AND k.schema_name <> {{internal}} OR k.database_name = 'temp')
      AND k.constraint_type IN ('PRIMARY KEY', 'UNIQUE')
    UNION ALL
    SELECT i.index_oid, i.index_name, CASE WHEN i.database_name = 'temp' THEN 'pg_temp_1' ELSE i.schema_name END,
           CASE WHEN i.database_name = 'temp' THEN 't' ELSE 'p' END, i.table_name, i.table_oid, false, i.is_unique, NULL,
           CAST([] AS SMALLINT[]), replace(regexp_replace(regexp_replace(i.expressions, '^\[(.*)\]$', '\1'), '''((?:\\''|[^''])*)''', '\1', 'g'), '\''', '''')
    FROM duckdb_indexes() i
    WHERE i.database_name = {{db_lit}} AND i.schema_name <> {{internal}} OR i.database_name = 'temp');

-- fh_relations: every relation a client sees. A feature group is a table
-- (relkind 'r'): it is read, written (INSERT, COPY, DELETE, TRUNCATE) and
-- described like one, and psql's \dt lists tables only.
CREATE OR REPLACE VIEW {{cat}}.main.fh_relations AS
SELECT t.table_oid AS oid, CASE WHEN t.temporary THEN 'pg_temp_1' ELSE t.schema_name END AS nspname,
       t.table_name AS relname, 'r' AS relkind,
       CAST(t.column_count AS SMALLINT) AS natts, t.comment AS description, CAST(NULL AS VARCHAR) AS viewdef,
       false AS is_group, CAST(NULL AS BIGINT) AS group_id,
       CAST(t.check_constraint_count AS SMALLINT) AS nchecks, t.index_count > 0 AS hasindex,
       CASE WHEN t.temporary THEN 't' ELSE 'p' END AS persistence
FROM duckdb_tables() t
WHERE t.database_name = {{db_lit}} AND t.schema_name <> {{internal}} OR t.temporary
UNION ALL
SELECT v.view_oid, CASE WHEN v.temporary THEN 'pg_temp_1' ELSE v.schema_name END, v.view_name,
       CASE WHEN g.oid IS NULL THEN 'v' ELSE 'r' END,
       coalesce(g.natts, CAST(v.column_count AS SMALLINT)),
       CASE WHEN g.oid IS NOT NULL THEN g.description WHEN fv.view_id IS NOT NULL THEN fv.description ELSE v.comment END,
       CASE WHEN g.oid IS NULL THEN coalesce('CREATE VIEW v AS ' || fv.definition, v.sql) END,
       g.oid IS NOT NULL, g.group_id, coalesce(g.nchecks, 0), false, CASE WHEN v.temporary THEN 't' ELSE 'p' END
FROM duckdb_views() v
LEFT JOIN {{cat}}.main.fh_groups g ON g.oid = v.view_oid
-- a feature view shows its definition as written, not the SQL that reads
-- its sources as of now
LEFT JOIN {{db}}.feature_store.feature_views fv
       ON v.database_name = {{db_lit}} AND fv.schema_name = v.schema_name AND fv.view_name = v.view_name
WHERE (v.database_name = {{db_lit}} AND v.schema_name <> {{internal}} OR v.temporary) AND NOT v.internal
UNION ALL
SELECT i.oid, i.nspname, i.relname, 'i', CAST(len(i.indkey) AS SMALLINT), NULL, NULL, false, NULL, 0, false, i.persistence
FROM {{cat}}.main.fh_indexes i
UNION ALL
SELECT t.table_oid, 'pg_catalog', t.table_name, 'r', CAST(t.column_count AS SMALLINT), NULL, NULL, false, NULL, 0, false, 'p'
FROM duckdb_tables() t
WHERE t.database_name = '{{cat}}' AND t.table_name NOT LIKE 'fh\_%' ESCAPE '\'
UNION ALL
SELECT v.view_oid, 'pg_catalog', v.view_name, 'v', CAST(v.column_count AS SMALLINT), NULL, v.sql, false, NULL, 0, false, 'p'
FROM duckdb_views() v
WHERE v.database_name = '{{cat}}' AND v.view_name NOT LIKE 'fh\_%' ESCAPE '\';

-- fh_columns: the columns of every relation. A feature group's come from
-- the feature catalog (declared type, NOT NULL, description); a retired
-- feature is a dropped column, as its attnum stays taken.
-- A DuckDB column's type (duckdb_columns().data_type) maps as sql/types maps
-- it: scalars and DECIMAL to their PostgreSQL types, one-level lists of
-- those to arrays, anything else (STRUCT, MAP, nested lists, ENUM) to text.
CREATE OR REPLACE VIEW {{cat}}.main.fh_columns AS
SELECT c.attrelid, c.attname, c.attnum,
       coalesce(CASE WHEN c.is_list THEN nullif(y.typarray, 0) ELSE y.oid END, CAST(25 AS BIGINT)) AS atttypid,
       {{cat}}.main.fh_duck_typmod(c.data_type) AS atttypmod, c.attnotnull, c.attdefault, false AS attisdropped, c.description
FROM (SELECT r.oid AS attrelid, c.column_name AS attname, CAST(c.column_index AS SMALLINT) AS attnum, c.data_type,
             NOT c.is_nullable AS attnotnull, c.column_default AS attdefault, c.comment AS description,
             regexp_full_match(c.data_type, '[^\[\]]+\[\d*\]') AS is_list,
             regexp_replace(c.data_type, '\[\d*\]$', '') AS base
      FROM duckdb_columns() c JOIN {{cat}}.main.fh_relations r ON r.oid = c.table_oid AND NOT r.is_group) c
LEFT JOIN {{cat}}.main.fh_duck_types k ON k.fhk_name = c.base
LEFT JOIN {{cat}}.main.pg_type y ON y.oid = CASE WHEN c.base LIKE 'DECIMAL%' THEN 1700 ELSE k.fhk_oid END
UNION ALL
SELECT r.oid,
       CASE WHEN f.status = 'retired' THEN '........pg.dropped.' || f.position || '........' ELSE f.feature_name END,
       CAST(f.position AS SMALLINT),
       CASE WHEN f.status = 'retired' THEN 0
            ELSE coalesce(CASE WHEN f.data_type LIKE '%]' THEN y.typarray ELSE y.oid END, CAST(25 AS BIGINT)) END,
       {{cat}}.main.fh_pg_typmod(f.data_type),
       f.not_null, NULL, f.status = 'retired', f.description
FROM {{db}}.feature_store.features f JOIN {{cat}}.main.fh_relations r ON r.group_id = f.group_id
LEFT JOIN {{cat}}.main.fh_type_names n ON n.fhn_name = {{cat}}.main.fh_pg_base_name(f.data_type)
LEFT JOIN {{cat}}.main.pg_type y ON y.oid = n.fhn_oid;

-- Owners and ACLs (grant.go, owners.go): the owner of a group or feature
-- view is in its row, of a table, view or schema in object_owners, else
-- the bootstrap superuser. relacl/attacl are PostgreSQL's aclitem text:
-- NULL until something is granted, then the owner's entry first.
CREATE OR REPLACE VIEW {{cat}}.main.fh_relowners AS
SELECT schema_name AS nspname, group_name AS relname, owner FROM {{db}}.feature_store.feature_groups WHERE owner IS NOT NULL AND owner <> ''
UNION ALL SELECT schema_name, view_name, owner FROM {{db}}.feature_store.feature_views WHERE owner IS NOT NULL AND owner <> ''
UNION ALL SELECT schema_name, object_name, owner FROM {{db}}.feature_store.object_owners WHERE object_type = 'relation';
CREATE OR REPLACE VIEW {{cat}}.main.fh_bootstrap_role AS
SELECT rolname FROM {{db}}.feature_store.roles WHERE oid = 10;
CREATE OR REPLACE VIEW {{cat}}.main.fh_acl_letters AS
SELECT * FROM (VALUES ('INSERT', 'a', 1), ('SELECT', 'r', 2), ('UPDATE', 'w', 3), ('DELETE', 'd', 4), ('TRUNCATE', 'D', 5),
    ('REFERENCES', 'x', 6), ('TRIGGER', 't', 7), ('USAGE', 'U', 8), ('CREATE', 'C', 9), ('TEMPORARY', 'T', 10),
    ('CONNECT', 'c', 11)) l(priv, letter, pos);
CREATE OR REPLACE VIEW {{cat}}.main.fh_relacl AS
SELECT g.schema_name AS nspname, g.object_name AS relname, g.column_name AS attname,
       list(CASE WHEN g.grantee = 'PUBLIC' THEN '' ELSE g.grantee END || '=' || g.letters || '/' || g.grantor ORDER BY g.ord) AS acl
FROM (SELECT p.schema_name, p.object_name, p.column_name, p.grantee, p.grantor, min(p.rowid) AS ord,
             string_agg(l.letter || CASE WHEN p.is_grantable THEN '*' ELSE '' END, '' ORDER BY l.pos) AS letters
      FROM {{db}}.feature_store.privileges p JOIN {{cat}}.main.fh_acl_letters l ON l.priv = p.privilege_type
      WHERE p.object_type = 'relation'
      GROUP BY ALL) g
GROUP BY ALL;

-- ALTER DEFAULT PRIVILEGES (feature_store.default_privileges): for every
-- schema, the ACL starts from the owner's own entry, as PostgreSQL's.
CREATE OR REPLACE VIEW {{cat}}.main.pg_default_acl AS
SELECT CAST(1000000 + row_number() OVER (ORDER BY d.role_name, d.schema_name) AS BIGINT) AS oid,
       coalesce(r.oid, CAST(0 AS BIGINT)) AS defaclrole, coalesce(n.oid, CAST(0 AS BIGINT)) AS defaclnamespace,
       'r' AS defaclobjtype,
       CASE WHEN d.schema_name = '' THEN list_prepend(d.role_name || '=arwdDxt/' || d.role_name, d.acl) ELSE d.acl END AS defaclacl
FROM (SELECT g.role_name, g.schema_name,
             list(CASE WHEN g.grantee = 'PUBLIC' THEN '' ELSE g.grantee END || '=' || g.letters || '/' || g.role_name ORDER BY g.ord) AS acl
      FROM (SELECT p.role_name, p.schema_name, p.grantee, min(p.rowid) AS ord,
                   string_agg(l.letter || CASE WHEN p.is_grantable THEN '*' ELSE '' END, '' ORDER BY l.pos) AS letters
            FROM {{db}}.feature_store.default_privileges p JOIN {{cat}}.main.fh_acl_letters l ON l.priv = p.privilege_type
            GROUP BY ALL) g
      GROUP BY ALL) d
LEFT JOIN {{db}}.feature_store.roles r ON r.rolname = d.role_name
LEFT JOIN {{cat}}.main.pg_namespace n ON n.nspname = d.schema_name;

CREATE OR REPLACE VIEW {{cat}}.main.pg_attribute AS
SELECT a.attrelid, a.attname, a.atttypid, -1 AS attstattarget, coalesce(y.typlen, -1) AS attlen, a.attnum,
       CASE WHEN y.typcategory = 'A' THEN 1 ELSE 0 END AS attndims, -1 AS attcacheoff, a.atttypmod,
       coalesce(y.typbyval, false) AS attbyval, coalesce(y.typalign, 'i') AS attalign,
       coalesce(y.typstorage, 'p') AS attstorage, '' AS attcompression, a.attnotnull,
       a.attdefault IS NOT NULL AS atthasdef, false AS atthasmissing, '' AS attidentity, '' AS attgenerated,
       a.attisdropped, true AS attislocal, 0 AS attinhcount, coalesce(y.typcollation, CAST(0 AS BIGINT)) AS attcollation,
       acl.acl AS attacl, CAST(NULL AS VARCHAR[]) AS attoptions, CAST(NULL AS VARCHAR[]) AS attfdwoptions,
       CAST(NULL AS VARCHAR) AS attmissingval
FROM {{cat}}.main.fh_columns a LEFT JOIN {{cat}}.main.pg_type y ON y.oid = a.atttypid
LEFT JOIN {{cat}}.main.fh_relations r ON r.oid = a.attrelid
LEFT JOIN {{cat}}.main.fh_relacl acl ON acl.nspname = r.nspname AND acl.relname = r.relname AND acl.attname = a.attname;

CREATE OR REPLACE VIEW {{cat}}.main.pg_attrdef AS
SELECT a.attrelid * 1000 + a.attnum AS oid, a.attrelid AS adrelid, a.attnum AS adnum, a.attdefault AS adbin
FROM {{cat}}.main.fh_columns a WHERE a.attdefault IS NOT NULL;

-- fh_constraints: CHECK, PRIMARY KEY, UNIQUE and FOREIGN KEY constraints
-- with their definition. A feature group's CHECKs are named as
-- catalog.checkName names them (PostgreSQL's names for unnamed checks).
CREATE OR REPLACE VIEW {{cat}}.main.fh_constraints AS
SELECT k.table_oid * 1000 + k.constraint_index AS oid,
       CASE WHEN k.constraint_type = 'PRIMARY KEY' THEN k.table_name || '_pkey' ELSE k.constraint_name END AS conname,
       CASE k.constraint_type WHEN 'CHECK' THEN 'c' WHEN 'PRIMARY KEY' THEN 'p' WHEN 'UNIQUE' THEN 'u' ELSE 'f' END AS contype,
       k.table_oid AS conrelid, CAST(list_transform(k.constraint_column_indexes, x -> x + 1) AS SMALLINT[]) AS conkey,
       CAST(NULL AS BIGINT) AS confrelid,
       CASE WHEN k.constraint_type IN ('PRIMARY KEY', 'UNIQUE') THEN k.table_oid * 1000 + 500 + k.constraint_index ELSE 0 END AS conindid,
       CASE k.constraint_type
           WHEN 'CHECK' THEN 'CHECK ' || k.expression
           WHEN 'PRIMARY KEY' THEN 'PRIMARY KEY (' || array_to_string(k.constraint_column_names, ', ') || ')'
           WHEN 'UNIQUE' THEN 'UNIQUE (' || array_to_string(k.constraint_column_names, ', ') || ')'
           ELSE 'FOREIGN KEY (' || array_to_string(k.constraint_column_names, ', ') || ') REFERENCES '
                || k.referenced_table || '(' || array_to_string(k.referenced_column_names, ', ') || ')' END AS def
FROM duckdb_constraints() k JOIN {{cat}}.main.fh_relations r ON r.oid = k.table_oid AND NOT r.is_group
WHERE k.constraint_type IN ('CHECK', 'PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')
UNION ALL
SELECT g.oid * 1000 + f.position * 10 + i, g.group_name || '_' || f.feature_name || '_check' || CASE WHEN i > 1 THEN CAST(i - 1 AS VARCHAR) ELSE '' END,
       'c', g.oid, [CAST(f.position AS SMALLINT)], NULL, 0, 'CHECK (' || expr || ')'
FROM (SELECT f.*, unnest(f.checks) AS expr, generate_subscripts(f.checks, 1) AS i FROM {{db}}.feature_store.features f WHERE f.status <> 'retired') f
JOIN {{cat}}.main.fh_groups g ON g.group_id = f.group_id
UNION ALL
SELECT g.oid * 1000 + 999 - i, g.group_name || '_check' || CASE WHEN i > 1 THEN CAST(i - 1 AS VARCHAR) ELSE '' END,
       'c', g.oid, NULL, NULL, 0, 'CHECK (' || expr || ')'
FROM (SELECT g.*, unnest(g.table_checks) AS expr, generate_subscripts(g.table_checks, 1) AS i FROM {{cat}}.main.fh_groups g) g;

CREATE OR REPLACE VIEW {{cat}}.main.pg_class AS
SELECT r.oid, r.relname, n.oid AS relnamespace, CAST(0 AS BIGINT) AS reltype, CAST(0 AS BIGINT) AS reloftype,
       coalesce(ro.oid, CAST(10 AS BIGINT)) AS relowner, CAST(CASE r.relkind WHEN 'r' THEN 2 WHEN 'i' THEN 403 ELSE 0 END AS BIGINT) AS relam,
       CASE WHEN r.relkind = 'r' THEN r.oid ELSE 0 END AS relfilenode, CAST(0 AS BIGINT) AS reltablespace,
       0 AS relpages, CAST(-1 AS REAL) AS reltuples, 0 AS relallvisible, CAST(0 AS BIGINT) AS reltoastrelid,
       r.hasindex AS relhasindex, false AS relisshared, r.persistence AS relpersistence, r.relkind, r.natts AS relnatts,
       r.nchecks AS relchecks,
       false AS relhasrules, false AS relhastriggers, false AS relhassubclass, false AS relrowsecurity,
       false AS relforcerowsecurity, true AS relispopulated, CASE WHEN r.relkind = 'r' THEN 'd' ELSE 'n' END AS relreplident,
       false AS relispartition, CAST(0 AS BIGINT) AS relrewrite, CAST(0 AS BIGINT) AS relfrozenxid, CAST(0 AS BIGINT) AS relminmxid,
       acl.acl AS relacl,
       CAST(NULL AS VARCHAR[]) AS reloptions, CAST(NULL AS VARCHAR) AS relpartbound
FROM {{cat}}.main.fh_relations r JOIN {{cat}}.main.pg_namespace n ON n.nspname = r.nspname
LEFT JOIN {{cat}}.main.fh_relowners o ON o.nspname = r.nspname AND o.relname = r.relname
LEFT JOIN {{db}}.feature_store.roles ro ON ro.rolname = o.owner
LEFT JOIN {{cat}}.main.fh_relacl acl ON acl.nspname = r.nspname AND acl.relname = r.relname AND acl.attname = '';

CREATE OR REPLACE VIEW {{cat}}.main.pg_constraint AS
SELECT k.oid, k.conname, c.relnamespace AS connamespace, k.contype, false AS condeferrable, false AS condeferred,
       true AS convalidated, k.conrelid, CAST(0 AS BIGINT) AS contypid, CAST(k.conindid AS BIGINT) AS conindid,
       CAST(0 AS BIGINT) AS conparentid, coalesce(k.confrelid, 0) AS confrelid, ' ' AS confupdtype, ' ' AS confdeltype,
       ' ' AS confmatchtype, true AS conislocal, 0 AS coninhcount, false AS connoinherit, k.conkey,
       CAST(NULL AS SMALLINT[]) AS confkey, CAST(NULL AS BIGINT[]) AS conpfeqop, CAST(NULL AS BIGINT[]) AS conppeqop,
       CAST(NULL AS BIGINT[]) AS conffeqop, CAST(NULL AS SMALLINT[]) AS confdelsetcols, CAST(NULL AS BIGINT[]) AS conexclop,
       k.def AS conbin
FROM {{cat}}.main.fh_constraints k JOIN {{cat}}.main.pg_class c ON c.oid = k.conrelid;

-- Comments: relations and columns (pg_class 1259), schemas (pg_namespace 2615).
CREATE OR REPLACE VIEW {{cat}}.main.pg_description AS
SELECT r.oid AS objoid, CAST(1259 AS BIGINT) AS classoid, 0 AS objsubid, r.description
FROM {{cat}}.main.fh_relations r WHERE r.description <> ''
UNION ALL
SELECT a.attrelid, 1259, a.attnum, a.description FROM {{cat}}.main.fh_columns a WHERE a.description <> ''
UNION ALL
SELECT s.oid, 2615, 0,
       coalesce(s.comment, CASE s.schema_name WHEN 'public' THEN 'standard public schema'
                                              WHEN 'feature_store' THEN 'featurehouse system tables' END)
FROM duckdb_schemas() s
WHERE s.database_name = {{db_lit}} AND (s.comment <> '' OR s.comment IS NULL AND s.schema_name IN ('public', 'feature_store'));

CREATE OR REPLACE VIEW {{cat}}.main.pg_tables AS
SELECT n.nspname AS schemaname, c.relname AS tablename, {{superuser}} AS tableowner, CAST(NULL AS VARCHAR) AS tablespace,
       c.relhasindex AS hasindexes, c.relhasrules AS hasrules, c.relhastriggers AS hastriggers, c.relrowsecurity AS rowsecurity
FROM {{cat}}.main.pg_class c JOIN {{cat}}.main.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p');

-- Roles and the database -----------------------------------------------------

-- Roles live in feature_store.roles (catalog/roles.go); the first
-- superuser is 10 (PostgreSQL's bootstrap superuser); pg_database_owner
-- owns public, as in PostgreSQL 15. Only superusers may read pg_authid
-- (the planner refuses others, as PostgreSQL does).
CREATE OR REPLACE VIEW {{cat}}.main.pg_authid AS
SELECT oid, rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, oid = 10 AS rolreplication,
       oid = 10 AS rolbypassrls, rolconnlimit, rolpassword, CAST(NULL AS TIMESTAMPTZ) AS rolvaliduntil
FROM {{db}}.feature_store.roles
UNION ALL
SELECT 6171, 'pg_database_owner', false, true, false, false, false, false, false, -1, NULL, NULL;

CREATE OR REPLACE VIEW {{cat}}.main.pg_roles AS
SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolconnlimit,
       '********' AS rolpassword, rolvaliduntil, rolbypassrls, CAST(NULL AS VARCHAR[]) AS rolconfig, oid
FROM {{cat}}.main.pg_authid;

CREATE OR REPLACE VIEW {{cat}}.main.pg_user AS
SELECT rolname AS usename, oid AS usesysid, rolcreatedb AS usecreatedb, rolsuper AS usesuper, rolreplication AS userepl,
       rolbypassrls AS usebypassrls, '********' AS passwd, rolvaliduntil AS valuntil, CAST(NULL AS VARCHAR[]) AS useconfig
FROM {{cat}}.main.pg_authid WHERE rolcanlogin;

CREATE OR REPLACE VIEW {{cat}}.main.pg_auth_members AS
SELECT roleid, member, grantor, admin_option FROM {{db}}.feature_store.role_members;

CREATE OR REPLACE TABLE {{cat}}.main.pg_database AS
SELECT CAST(16384 AS BIGINT) AS oid, {{db_lit}} AS datname, CAST(10 AS BIGINT) AS datdba, 6 AS encoding,
       'c' AS datlocprovider, false AS datistemplate, true AS datallowconn, -1 AS datconnlimit,
       CAST(0 AS BIGINT) AS datfrozenxid, CAST(1 AS BIGINT) AS datminmxid, CAST(1663 AS BIGINT) AS dattablespace,
       'C' AS datcollate, 'C' AS datctype, CAST(NULL AS VARCHAR) AS daticulocale, CAST(NULL AS VARCHAR) AS datcollversion,
       CAST(NULL AS VARCHAR[]) AS datacl;

CREATE OR REPLACE TABLE {{cat}}.main.pg_tablespace AS
SELECT * FROM (VALUES (CAST(1663 AS BIGINT), 'pg_default', CAST(10 AS BIGINT), CAST(NULL AS VARCHAR[]), CAST(NULL AS VARCHAR[])),
                      (1664, 'pg_global', 10, NULL, NULL))
AS t(oid, spcname, spcowner, spcacl, spcoptions);

CREATE OR REPLACE TABLE {{cat}}.main.pg_am AS
SELECT * FROM (VALUES (CAST(2 AS BIGINT), 'heap', 'heap_tableam_handler', 't'), (403, 'btree', 'bthandler', 'i'),
                      (405, 'hash', 'hashhandler', 'i'))
AS t(oid, amname, amhandler, amtype);

CREATE OR REPLACE TABLE {{cat}}.main.pg_collation AS
SELECT * FROM (VALUES
    (CAST(100 AS BIGINT), 'default', CAST(11 AS BIGINT), CAST(10 AS BIGINT), 'd', true, -1, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)),
    (950, 'C', 11, 10, 'c', true, -1, 'C', 'C', NULL, NULL),
    (951, 'POSIX', 11, 10, 'c', true, -1, 'POSIX', 'POSIX', NULL, NULL))
AS t(oid, collname, collnamespace, collowner, collprovider, collisdeterministic, collencoding, collcollate,
     collctype, colliculocale, collversion);

CREATE OR REPLACE TABLE {{cat}}.main.pg_language AS
SELECT * FROM (VALUES (CAST(12 AS BIGINT), 'internal', CAST(10 AS BIGINT), false, false, CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(NULL AS VARCHAR[])),
                      (13, 'c', 10, false, false, 0, 0, 0, NULL),
                      (14, 'sql', 10, false, true, 0, 0, 0, NULL))
AS t(oid, lanname, lanowner, lanispl, lanpltrusted, lanplcallfoid, laninline, lanvalidator, lanacl);

-- Functions: the macros users created (featurehouse has no CREATE FUNCTION).
CREATE OR REPLACE VIEW {{cat}}.main.pg_proc AS
SELECT f.function_oid AS oid, f.function_name AS proname, n.oid AS pronamespace, CAST(10 AS BIGINT) AS proowner,
       CAST(14 AS BIGINT) AS prolang, CAST(100 AS REAL) AS procost, CAST(0 AS REAL) AS prorows, CAST(0 AS BIGINT) AS provariadic,
       '-' AS prosupport, 'f' AS prokind, false AS prosecdef, false AS proleakproof, false AS proisstrict,
       f.function_type = 'table_macro' AS proretset, 'v' AS provolatile, 'u' AS proparallel,
       CAST(len(f.parameters) AS SMALLINT) AS pronargs, CAST(0 AS SMALLINT) AS pronargdefaults,
       CAST(CASE WHEN f.function_type = 'table_macro' THEN 2249 ELSE 2283 END AS BIGINT) AS prorettype,
       CAST([] AS BIGINT[]) AS proargtypes, CAST(NULL AS BIGINT[]) AS proallargtypes, CAST(NULL AS VARCHAR[]) AS proargmodes,
       f.parameters AS proargnames, CAST(NULL AS VARCHAR) AS proargdefaults, CAST(NULL AS BIGINT[]) AS protrftypes,
       f.macro_definition AS prosrc, CAST(NULL AS VARCHAR) AS probin, CAST(NULL AS VARCHAR) AS prosqlbody,
       CAST(NULL AS VARCHAR[]) AS proconfig, CAST(NULL AS VARCHAR[]) AS proacl
FROM duckdb_functions() f JOIN {{cat}}.main.pg_namespace n ON n.nspname = f.schema_name
WHERE f.database_name = {{db_lit}} AND NOT f.internal AND f.schema_name <> {{internal}};

-- What featurehouse does not have: empty, with PostgreSQL's columns, so
-- that the queries clients send bind and find nothing.
CREATE OR REPLACE TABLE {{cat}}.main.pg_inherits (
    inhrelid BIGINT, inhparent BIGINT, inhseqno INTEGER, inhdetachpending BOOLEAN);
CREATE OR REPLACE TABLE {{cat}}.main.pg_policy (
    oid BIGINT, polname VARCHAR, polrelid BIGINT, polcmd VARCHAR, polpermissive BOOLEAN, polroles BIGINT[],
    polqual VARCHAR, polwithcheck VARCHAR);
CREATE OR REPLACE TABLE {{cat}}.main.pg_statistic_ext (
    oid BIGINT, stxrelid BIGINT, stxname VARCHAR, stxnamespace BIGINT, stxowner BIGINT, stxstattarget INTEGER,
    stxkeys SMALLINT[], stxkind VARCHAR[], stxexprs VARCHAR);
CREATE OR REPLACE TABLE {{cat}}.main.pg_publication (
    oid BIGINT, pubname VARCHAR, pubowner BIGINT, puballtables BOOLEAN, pubinsert BOOLEAN, pubupdate BOOLEAN,
    pubdelete BOOLEAN, pubtruncate BOOLEAN, pubviaroot BOOLEAN);
CREATE OR REPLACE TABLE {{cat}}.main.pg_publication_namespace (oid BIGINT, pnpubid BIGINT, pnnspid BIGINT);
CREATE OR REPLACE TABLE {{cat}}.main.pg_publication_rel (
    oid BIGINT, prpubid BIGINT, prrelid BIGINT, prqual VARCHAR, prattrs SMALLINT[]);
CREATE OR REPLACE TABLE {{cat}}.main.pg_trigger (
    oid BIGINT, tgrelid BIGINT, tgparentid BIGINT, tgname VARCHAR, tgfoid BIGINT, tgtype SMALLINT, tgenabled VARCHAR,
    tgisinternal BOOLEAN, tgconstrrelid BIGINT, tgconstrindid BIGINT, tgconstraint BIGINT, tgdeferrable BOOLEAN,
    tginitdeferred BOOLEAN, tgnargs SMALLINT, tgattr SMALLINT[], tgargs BLOB, tgqual VARCHAR, tgoldtable VARCHAR,
    tgnewtable VARCHAR);
CREATE OR REPLACE TABLE {{cat}}.main.pg_rewrite (
    oid BIGINT, rulename VARCHAR, ev_class BIGINT, ev_type VARCHAR, ev_enabled VARCHAR, is_instead BOOLEAN,
    ev_qual VARCHAR, ev_action VARCHAR);
CREATE OR REPLACE TABLE {{cat}}.main.pg_depend (
    classid BIGINT, objid BIGINT, objsubid INTEGER, refclassid BIGINT, refobjid BIGINT, refobjsubid INTEGER,
    deptype VARCHAR);
CREATE OR REPLACE TABLE {{cat}}.main.pg_enum (oid BIGINT, enumtypid BIGINT, enumsortorder REAL, enumlabel VARCHAR);
CREATE OR REPLACE TABLE {{cat}}.main.pg_extension (
    oid BIGINT, extname VARCHAR, extowner BIGINT, extnamespace BIGINT, extrelocatable BOOLEAN, extversion VARCHAR,
    extconfig BIGINT[], extcondition VARCHAR[]);
CREATE OR REPLACE TABLE {{cat}}.main.pg_matviews (
    schemaname VARCHAR, matviewname VARCHAR, matviewowner VARCHAR, tablespace VARCHAR, hasindexes BOOLEAN,
    ispopulated BOOLEAN, definition VARCHAR);

-- Functions ------------------------------------------------------------------

-- Visible: in pg_catalog, or in a schema of search_path with no relation of
-- the same name in an earlier one.
CREATE OR REPLACE VIEW {{cat}}.main.fh_visible AS
SELECT oid AS fhv_oid, nspname AS fhv_nsp, relname AS fhv_name,
       nspname = 'pg_catalog'
       OR pos IS NOT NULL AND row_number() OVER (PARTITION BY relname, pos IS NOT NULL ORDER BY pos) = 1 AS fhv_visible,
       viewdef AS fhv_viewdef
FROM (SELECT r.*, CASE WHEN r.nspname = 'pg_temp_1' THEN 0 ELSE list_position(current_schemas(false), r.nspname) END AS pos
      FROM {{cat}}.main.fh_relations r);

CREATE OR REPLACE VIEW {{cat}}.main.fh_roles AS SELECT oid AS fho_oid, rolname AS fho_name FROM {{cat}}.main.pg_authid;
CREATE OR REPLACE VIEW {{cat}}.main.fh_nsps AS SELECT oid AS fhs_oid, nspname AS fhs_name FROM {{cat}}.main.pg_namespace;
CREATE OR REPLACE VIEW {{cat}}.main.fh_cons AS SELECT oid AS fhc_oid, def AS fhc_def FROM {{cat}}.main.fh_constraints;
-- Comments by kind, each from the fewest catalog functions (the full
-- pg_description would make every comment lookup read every column).
CREATE OR REPLACE VIEW {{cat}}.main.fh_objdescs AS
SELECT oid AS fhb_objoid, CAST(1259 AS BIGINT) AS fhb_classoid, description AS fhb_description
FROM {{cat}}.main.fh_relations WHERE description <> ''
UNION ALL
SELECT objoid, classoid, description FROM {{cat}}.main.pg_description WHERE classoid = 2615;
CREATE OR REPLACE VIEW {{cat}}.main.fh_coldescs AS
SELECT c.table_oid AS fhl_relid, CAST(c.column_index AS INTEGER) AS fhl_attnum, c.comment AS fhl_description
FROM duckdb_columns() c WHERE c.database_name IN ({{db_lit}}, 'temp') AND c.comment <> ''
UNION ALL
SELECT g.oid, f.position, f.description
FROM {{db}}.feature_store.features f JOIN {{cat}}.main.fh_groups g ON g.group_id = f.group_id WHERE f.description <> '';
CREATE OR REPLACE VIEW {{cat}}.main.fh_descs AS
SELECT CAST(objoid AS BIGINT) AS fhd_objoid, CAST(classoid AS BIGINT) AS fhd_classoid, CAST(objsubid AS INTEGER) AS fhd_objsubid,
       description AS fhd_description
FROM {{cat}}.main.pg_description;
CREATE OR REPLACE VIEW {{cat}}.main.fh_procs AS
SELECT oid AS fhp_oid, CASE WHEN proretset THEN 'TABLE' ELSE 'anyelement' END AS fhp_result,
       array_to_string(proargnames, ', ') AS fhp_args
FROM {{cat}}.main.pg_proc;

CREATE OR REPLACE MACRO {{cat}}.main.pg_get_userbyid(_r) AS
    coalesce((SELECT max(rolname) FROM {{db}}.feature_store.roles WHERE oid = CAST(_r AS BIGINT)),
             MAP {10: {{superuser}}, 6171: 'pg_database_owner'}[CAST(_r AS INTEGER)], 'unknown (OID=' || _r || ')');

CREATE OR REPLACE MACRO {{cat}}.main.pg_table_is_visible(_rel) AS
    (SELECT map(list(fhv_oid), list(fhv_visible)) FROM {{cat}}.main.fh_visible)[CAST(_rel AS BIGINT)];
CREATE OR REPLACE MACRO {{cat}}.main.pg_type_is_visible(_t) AS true;
CREATE OR REPLACE MACRO {{cat}}.main.pg_function_is_visible(_f) AS true;

-- Expressions (defaults, policies) are kept as text.
CREATE OR REPLACE MACRO {{cat}}.main.pg_get_expr(_e, _rel) AS _e, (_e, _rel, _pretty) AS _e;

CREATE OR REPLACE MACRO {{cat}}.main.pg_get_constraintdef(_c) AS
        (SELECT map(list(fhc_oid), list(fhc_def)) FROM {{cat}}.main.fh_cons)[CAST(_c AS BIGINT)],
    (_c, _pretty) AS (SELECT map(list(fhc_oid), list(fhc_def)) FROM {{cat}}.main.fh_cons)[CAST(_c AS BIGINT)];

-- A view's query without CREATE VIEW ... AS, as DuckDB keeps its SQL.
CREATE OR REPLACE MACRO {{cat}}.main.fh_viewdef(_v) AS
    (SELECT map(list(fhv_oid), list(regexp_replace(fhv_viewdef, '(?is)^\s*CREATE\s+(OR\s+REPLACE\s+)?(TEMP(ORARY)?\s+)?VIEW\s+.*?\s+AS\s+(.*?);?\s*$', ' \4;')))
     FROM {{cat}}.main.fh_visible WHERE fhv_viewdef IS NOT NULL)[CAST(_v AS BIGINT)];
CREATE OR REPLACE MACRO {{cat}}.main.pg_get_viewdef(_v) AS {{cat}}.main.fh_viewdef(_v),
    (_v, _pretty) AS {{cat}}.main.fh_viewdef(_v);

CREATE OR REPLACE VIEW {{cat}}.main.fh_idefs AS SELECT oid AS fhi_oid, def AS fhi_def FROM {{cat}}.main.fh_indexes;
CREATE OR REPLACE MACRO {{cat}}.main.pg_get_indexdef(_i) AS
        (SELECT map(list(fhi_oid), list(fhi_def)) FROM {{cat}}.main.fh_idefs)[CAST(_i AS BIGINT)],
    (_i, _col, _pretty) AS
        CASE WHEN _col = 0 THEN (SELECT map(list(fhi_oid), list(fhi_def)) FROM {{cat}}.main.fh_idefs)[CAST(_i AS BIGINT)] END;
CREATE OR REPLACE MACRO {{cat}}.main.pg_get_partkeydef(_r) AS CAST(NULL AS VARCHAR);
CREATE OR REPLACE MACRO {{cat}}.main.pg_get_serial_sequence(_t, _c) AS CAST(NULL AS VARCHAR);
CREATE OR REPLACE MACRO {{cat}}.main.pg_get_statisticsobjdef_columns(_s) AS CAST(NULL AS VARCHAR);
CREATE OR REPLACE MACRO {{cat}}.main.pg_relation_is_publishable(_r) AS false;
CREATE OR REPLACE MACRO {{cat}}.main.pg_get_function_result(_f) AS
    (SELECT map(list(fhp_oid), list(fhp_result)) FROM {{cat}}.main.fh_procs)[CAST(_f AS BIGINT)];
CREATE OR REPLACE MACRO {{cat}}.main.pg_get_function_arguments(_f) AS
    (SELECT map(list(fhp_oid), list(fhp_args)) FROM {{cat}}.main.fh_procs)[CAST(_f AS BIGINT)];
CREATE OR REPLACE MACRO {{cat}}.main.pg_get_function_identity_arguments(_f) AS
    (SELECT map(list(fhp_oid), list(fhp_args)) FROM {{cat}}.main.fh_procs)[CAST(_f AS BIGINT)];

CREATE OR REPLACE MACRO {{cat}}.main.pg_get_ruledef(_r) AS CAST(NULL AS VARCHAR), (_r, _pretty) AS CAST(NULL AS VARCHAR);

-- Sizes: a feature group's live Parquet files; DuckDB does not tell a
-- table's bytes cheaply, so other relations read 0.
CREATE OR REPLACE VIEW {{cat}}.main.fh_sizes AS
SELECT g.oid AS fhz_oid, sum(f.size_bytes) AS fhz_bytes
FROM {{cat}}.main.fh_groups g JOIN {{db}}.feature_store.files f ON f.group_id = g.group_id AND f.removed_version IS NULL
GROUP BY g.oid;
CREATE OR REPLACE MACRO {{cat}}.main.pg_table_size(_r) AS
    coalesce((SELECT map(list(fhz_oid), list(CAST(fhz_bytes AS BIGINT))) FROM {{cat}}.main.fh_sizes)[CAST(_r AS BIGINT)], CAST(0 AS BIGINT));
CREATE OR REPLACE MACRO {{cat}}.main.pg_relation_size(_r) AS
        coalesce((SELECT map(list(fhz_oid), list(CAST(fhz_bytes AS BIGINT))) FROM {{cat}}.main.fh_sizes)[CAST(_r AS BIGINT)], CAST(0 AS BIGINT)),
    (_r, _fork) AS CASE WHEN _fork = 'main' THEN coalesce((SELECT map(list(fhz_oid), list(CAST(fhz_bytes AS BIGINT))) FROM {{cat}}.main.fh_sizes)[CAST(_r AS BIGINT)], CAST(0 AS BIGINT)) ELSE CAST(0 AS BIGINT) END;
CREATE OR REPLACE MACRO {{cat}}.main.pg_total_relation_size(_r) AS
    coalesce((SELECT map(list(fhz_oid), list(CAST(fhz_bytes AS BIGINT))) FROM {{cat}}.main.fh_sizes)[CAST(_r AS BIGINT)], CAST(0 AS BIGINT));
CREATE OR REPLACE MACRO {{cat}}.main.pg_indexes_size(_r) AS CAST(0 AS BIGINT);

-- pg_size_pretty as PostgreSQL 15 rounds: bytes below 10 kB, then each
-- unit while the value is below 20 of the next (half rounded).
CREATE OR REPLACE MACRO {{cat}}.main.fh_half_rounded(_x) AS (_x + CASE WHEN _x < 0 THEN -1 ELSE 1 END) // 2;
CREATE OR REPLACE MACRO {{cat}}.main.pg_size_pretty(_b) AS
    CASE WHEN _b IS NULL THEN NULL
         WHEN abs(_b) < 10240 THEN CAST(_b AS VARCHAR) || ' bytes'
         WHEN abs(_b >> 9) < 20479 THEN CAST({{cat}}.main.fh_half_rounded(_b >> 9) AS VARCHAR) || ' kB'
         WHEN abs(_b >> 19) < 20479 THEN CAST({{cat}}.main.fh_half_rounded(_b >> 19) AS VARCHAR) || ' MB'
         WHEN abs(_b >> 29) < 20479 THEN CAST({{cat}}.main.fh_half_rounded(_b >> 29) AS VARCHAR) || ' GB'
         WHEN abs(_b >> 39) < 20479 THEN CAST({{cat}}.main.fh_half_rounded(_b >> 39) AS VARCHAR) || ' TB'
         ELSE CAST({{cat}}.main.fh_half_rounded(_b >> 49) AS VARCHAR) || ' PB' END;

CREATE OR REPLACE MACRO {{cat}}.main.fh_classoid(_name) AS
    CASE regexp_replace(CAST(_name AS VARCHAR), '^pg_catalog\.', '')
        WHEN 'pg_class' THEN 1259 WHEN 'pg_namespace' THEN 2615 WHEN 'pg_proc' THEN 1255 WHEN 'pg_type' THEN 1247
        WHEN 'pg_database' THEN 1262 WHEN 'pg_constraint' THEN 2606 WHEN 'pg_authid' THEN 1260 ELSE 0 END;

CREATE OR REPLACE MACRO {{cat}}.main.obj_description(_o) AS
        (SELECT map(list(o), list(d)) FROM (SELECT fhb_objoid AS o, min(fhb_description) AS d FROM {{cat}}.main.fh_objdescs
                                            GROUP BY 1))[CAST(_o AS BIGINT)],
    (_o, _cat) AS
        (SELECT map(list(k), list(d)) FROM (SELECT {'o': fhb_objoid, 'c': fhb_classoid} AS k, min(fhb_description) AS d
                                            FROM {{cat}}.main.fh_objdescs GROUP BY 1))
        [{'o': CAST(_o AS BIGINT), 'c': CAST({{cat}}.main.fh_classoid(_cat) AS BIGINT)}];
CREATE OR REPLACE MACRO {{cat}}.main.col_description(_rel, _col) AS
    (SELECT map(list(k), list(d)) FROM (SELECT {'o': fhl_relid, 's': fhl_attnum} AS k, min(fhl_description) AS d
                                        FROM {{cat}}.main.fh_coldescs GROUP BY 1))
    [{'o': CAST(_rel AS BIGINT), 's': CAST(_col AS INTEGER)}];
CREATE OR REPLACE MACRO {{cat}}.main.shobj_description(_o, _cat) AS CAST(NULL AS VARCHAR);

CREATE OR REPLACE MACRO {{cat}}.main.pg_encoding_to_char(_e) AS
    CASE _e WHEN 6 THEN 'UTF8' WHEN 0 THEN 'SQL_ASCII' ELSE '' END;

-- Privileges: fh_privilege (planner/privileges_funcs.go) answers from the
-- rules statements are checked with. The planner adds the current role to
-- the forms without a role; a table or schema may be given by OID.
CREATE OR REPLACE MACRO {{cat}}.main.fh_relname(_t) AS
    CASE WHEN TRY_CAST(CAST(_t AS VARCHAR) AS BIGINT) IS NULL THEN CAST(_t AS VARCHAR)
         ELSE (SELECT '"' || replace(n.nspname, '"', '""') || '"."' || replace(c.relname, '"', '""') || '"'
               FROM {{cat}}.main.pg_class c JOIN {{cat}}.main.pg_namespace n ON n.oid = c.relnamespace
               WHERE c.oid = TRY_CAST(CAST(_t AS VARCHAR) AS BIGINT)) END;
CREATE OR REPLACE MACRO {{cat}}.main.fh_nspname(_s) AS
    CASE WHEN TRY_CAST(CAST(_s AS VARCHAR) AS BIGINT) IS NULL THEN CAST(_s AS VARCHAR)
         ELSE (SELECT '"' || replace(n.nspname, '"', '""') || '"' FROM {{cat}}.main.pg_namespace n
               WHERE n.oid = TRY_CAST(CAST(_s AS VARCHAR) AS BIGINT)) END;
CREATE OR REPLACE MACRO {{cat}}.main.has_table_privilege(_t, _p) AS fh_privilege('', 'table', {{cat}}.main.fh_relname(_t), '', CAST(_p AS VARCHAR)),
    (_u, _t, _p) AS fh_privilege(CAST(_u AS VARCHAR), 'table', {{cat}}.main.fh_relname(_t), '', CAST(_p AS VARCHAR));
CREATE OR REPLACE MACRO {{cat}}.main.has_any_column_privilege(_t, _p) AS fh_privilege('', 'any_column', {{cat}}.main.fh_relname(_t), '', CAST(_p AS VARCHAR)),
    (_u, _t, _p) AS fh_privilege(CAST(_u AS VARCHAR), 'any_column', {{cat}}.main.fh_relname(_t), '', CAST(_p AS VARCHAR));
CREATE OR REPLACE MACRO {{cat}}.main.has_column_privilege(_t, _c, _p) AS fh_privilege('', 'column', {{cat}}.main.fh_relname(_t), CAST(_c AS VARCHAR), CAST(_p AS VARCHAR)),
    (_u, _t, _c, _p) AS fh_privilege(CAST(_u AS VARCHAR), 'column', {{cat}}.main.fh_relname(_t), CAST(_c AS VARCHAR), CAST(_p AS VARCHAR));
CREATE OR REPLACE MACRO {{cat}}.main.has_schema_privilege(_s, _p) AS fh_privilege('', 'schema', {{cat}}.main.fh_nspname(_s), '', CAST(_p AS VARCHAR)),
    (_u, _s, _p) AS fh_privilege(CAST(_u AS VARCHAR), 'schema', {{cat}}.main.fh_nspname(_s), '', CAST(_p AS VARCHAR));
CREATE OR REPLACE MACRO {{cat}}.main.has_database_privilege(_d, _p) AS fh_privilege('', 'database', CAST(_d AS VARCHAR), '', CAST(_p AS VARCHAR)),
    (_u, _d, _p) AS fh_privilege(CAST(_u AS VARCHAR), 'database', CAST(_d AS VARCHAR), '', CAST(_p AS VARCHAR));
CREATE OR REPLACE MACRO {{cat}}.main.pg_has_role(_r, _m) AS fh_privilege('', 'role', CAST(_r AS VARCHAR), '', CAST(_m AS VARCHAR)),
    (_u, _r, _m) AS fh_privilege(CAST(_u AS VARCHAR), 'role', CAST(_r AS VARCHAR), '', CAST(_m AS VARCHAR));
CREATE OR REPLACE MACRO {{cat}}.main.has_function_privilege(_a, _b) AS true, (_a, _b, _c) AS true;
CREATE OR REPLACE MACRO {{cat}}.main.has_sequence_privilege(_a, _b) AS true, (_a, _b, _c) AS true;

CREATE OR REPLACE MACRO {{cat}}.main.array_upper(_a, _d) AS
    CASE WHEN _d = 1 AND len(_a) > 0 THEN CAST(len(_a) AS INTEGER) END;
CREATE OR REPLACE MACRO {{cat}}.main.array_lower(_a, _d) AS
    CASE WHEN _d = 1 AND len(_a) > 0 THEN 1 END;


-- reg* casts. PostgreSQL's reg types are OIDs that print as names; DuckDB
-- has no such type, so the planner turns a cast of a literal (or parameter)
-- into the OID (*_in) and a cast of anything else into the name (*_out).
-- *_in take text: a parameter gets that type when the statement is prepared.

-- A possibly qualified, possibly quoted name: its last part and its schema
-- (NULL when unqualified), as PostgreSQL folds and unquotes them. (No
-- lambdas or overloaded functions of the argument: a parameter would leave
-- the prepared statement untyped.)
CREATE OR REPLACE MACRO {{cat}}.main.fh_unquote(_p) AS
    CASE WHEN _p LIKE '"%' THEN replace(substr(_p, 2, length(_p) - 2), '""', '"') ELSE lower(_p) END;
CREATE OR REPLACE MACRO {{cat}}.main.fh_name_part(_s) AS
    {{cat}}.main.fh_unquote(regexp_extract(_s, '("(?:[^"]|"")*"|[^."]+)$', 1));
CREATE OR REPLACE MACRO {{cat}}.main.fh_schema_part(_s) AS
    CASE WHEN regexp_full_match(_s, '("(?:[^"]|"")*"|[^."]+)\.("(?:[^"]|"")*"|[^."]+)')
         THEN {{cat}}.main.fh_unquote(regexp_extract(_s, '^("(?:[^"]|"")*"|[^."]+)\.', 1)) END;

CREATE OR REPLACE MACRO {{cat}}.main.fh_regclass_in(_s) AS
    CASE WHEN _s IS NULL THEN NULL
         WHEN regexp_full_match(CAST(_s AS VARCHAR), '\d+') THEN CAST(_s AS BIGINT)
         ELSE coalesce(
             (SELECT fhv_oid FROM {{cat}}.main.fh_visible
              WHERE fhv_name = {{cat}}.main.fh_name_part(_s)
                AND coalesce(fhv_nsp = {{cat}}.main.fh_schema_part(_s), fhv_visible)
              ORDER BY fhv_nsp = 'pg_catalog' DESC LIMIT 1),
             error('relation "' || _s || '" does not exist')) END;
CREATE OR REPLACE MACRO {{cat}}.main.regclass_in(_s) AS {{cat}}.main.fh_regclass_in(CAST(_s AS VARCHAR));

CREATE OR REPLACE MACRO {{cat}}.main.regclass_out(_o) AS
    coalesce((SELECT map(list(fhv_oid),
                         list(CASE WHEN fhv_visible THEN {{cat}}.main.quote_ident(fhv_name)
                                   ELSE {{cat}}.main.quote_ident(fhv_nsp) || '.' || {{cat}}.main.quote_ident(fhv_name) END))
              FROM {{cat}}.main.fh_visible)[CAST(_o AS BIGINT)], CAST(_o AS VARCHAR));

CREATE OR REPLACE MACRO {{cat}}.main.fh_regtype_in(_s) AS
    CASE WHEN _s IS NULL THEN NULL
         WHEN regexp_full_match(CAST(_s AS VARCHAR), '\d+') THEN CAST(_s AS BIGINT)
         ELSE coalesce(
             (SELECT min(fht_oid) FROM {{cat}}.main.fh_types
              WHERE fht_name = regexp_replace(lower(_s), '^pg_catalog\.', '')
                 OR fht_display = regexp_replace(lower(_s), '^pg_catalog\.', '')),
             CASE WHEN _s LIKE '%]'
                  THEN (SELECT fht_array FROM {{cat}}.main.fh_types WHERE fht_oid = {{cat}}.main.fh_pg_base_oid(lower(_s)))
                  ELSE {{cat}}.main.fh_pg_base_oid(lower(_s)) END,
             error('type "' || _s || '" does not exist')) END;
CREATE OR REPLACE MACRO {{cat}}.main.regtype_in(_s) AS {{cat}}.main.fh_regtype_in(CAST(_s AS VARCHAR));

CREATE OR REPLACE MACRO {{cat}}.main.regtype_out(_o) AS
    CASE WHEN _o = 0 OR {{cat}}.main.fh_type_display(_o) IS NOT NULL THEN {{cat}}.main.format_type(_o, NULL)
         ELSE CAST(_o AS VARCHAR) END;

CREATE OR REPLACE MACRO {{cat}}.main.fh_regnamespace_in(_s) AS
    CASE WHEN _s IS NULL THEN NULL
         WHEN regexp_full_match(CAST(_s AS VARCHAR), '\d+') THEN CAST(_s AS BIGINT)
         ELSE coalesce((SELECT fhs_oid FROM {{cat}}.main.fh_nsps WHERE fhs_name = {{cat}}.main.fh_name_part(_s)),
                       error('schema "' || _s || '" does not exist')) END;
CREATE OR REPLACE MACRO {{cat}}.main.regnamespace_in(_s) AS {{cat}}.main.fh_regnamespace_in(CAST(_s AS VARCHAR));

CREATE OR REPLACE MACRO {{cat}}.main.regnamespace_out(_o) AS
    coalesce((SELECT map(list(fhs_oid), list({{cat}}.main.quote_ident(fhs_name))) FROM {{cat}}.main.fh_nsps)[CAST(_o AS BIGINT)],
             CAST(_o AS VARCHAR));

CREATE OR REPLACE MACRO {{cat}}.main.fh_regrole_in(_s) AS
    CASE WHEN _s IS NULL THEN NULL
         WHEN regexp_full_match(CAST(_s AS VARCHAR), '\d+') THEN CAST(_s AS BIGINT)
         ELSE coalesce((SELECT fho_oid FROM {{cat}}.main.fh_roles WHERE fho_name = {{cat}}.main.fh_name_part(_s)),
                       error('role "' || _s || '" does not exist')) END;
CREATE OR REPLACE MACRO {{cat}}.main.regrole_in(_s) AS {{cat}}.main.fh_regrole_in(CAST(_s AS VARCHAR));

CREATE OR REPLACE MACRO {{cat}}.main.regrole_out(_o) AS
    coalesce(MAP {10: {{superuser}}, 6171: 'pg_database_owner'}[CAST(_o AS INTEGER)], CAST(_o AS VARCHAR));

-- Functions are known by name only (pg_proc has no built-ins): a regproc is
-- the function's name.
CREATE OR REPLACE MACRO {{cat}}.main.regproc_in(_s) AS regexp_replace(CAST(_s AS VARCHAR), '^pg_catalog\.', '');
CREATE OR REPLACE MACRO {{cat}}.main.regproc_out(_o) AS CAST(_o AS VARCHAR);

-- Views that use the functions above.

CREATE OR REPLACE VIEW {{cat}}.main.pg_index AS
SELECT i.oid AS indexrelid, i.indrelid, CAST(len(i.indkey) AS SMALLINT) AS indnatts, CAST(len(i.indkey) AS SMALLINT) AS indnkeyatts,
       i.indisunique, false AS indnullsnotdistinct, i.indisprimary, false AS indisexclusion, true AS indimmediate,
       false AS indisclustered, true AS indisvalid, false AS indcheckxmin, true AS indisready, true AS indislive,
       false AS indisreplident, i.indkey, CAST(NULL AS BIGINT[]) AS indcollation, CAST(NULL AS BIGINT[]) AS indclass,
       CAST(NULL AS SMALLINT[]) AS indoption, CAST(NULL AS VARCHAR) AS indexprs, CAST(NULL AS VARCHAR) AS indpred
FROM {{cat}}.main.fh_indexes i;

CREATE OR REPLACE VIEW {{cat}}.main.pg_indexes AS
SELECT i.nspname AS schemaname, t.relname AS tablename, i.relname AS indexname, CAST(NULL AS VARCHAR) AS tablespace,
       i.def AS indexdef
FROM {{cat}}.main.fh_indexes i JOIN {{cat}}.main.fh_relations t ON t.oid = i.indrelid;

CREATE OR REPLACE VIEW {{cat}}.main.pg_views AS
SELECT r.nspname AS schemaname, r.relname AS viewname, {{superuser}} AS viewowner,
       {{cat}}.main.pg_get_viewdef(r.oid) AS definition
FROM {{cat}}.main.fh_relations r WHERE r.relkind = 'v';
-- information_schema._pg_expandarray(arr): the elements of an array with
-- their positions, as (x, n) rows (pgJDBC's getPrimaryKeys and
-- getIndexInfo select it).
CREATE OR REPLACE MACRO {{cat}}.main._pg_expandarray(_a) AS
    unnest(list_transform(range(1, len(_a) + 1), _i -> {'x': _a[_i], 'n': _i}));
-- pg_get_keywords(): the SQL keywords (DBeaver and pgJDBC's
-- getSQLKeywords read them), from DuckDB's own list.
CREATE OR REPLACE MACRO {{cat}}.main.pg_get_keywords() AS TABLE
    SELECT keyword_name AS word,
           CASE keyword_category WHEN 'reserved' THEN 'R' WHEN 'unreserved' THEN 'U'
                WHEN 'type_function' THEN 'T' ELSE 'C' END AS catcode,
           true AS barelabel,
           CASE keyword_category WHEN 'reserved' THEN 'reserved' WHEN 'unreserved' THEN 'unreserved'
                WHEN 'type_function' THEN 'reserved (can be function or type name)'
                ELSE 'unreserved (cannot be function or type name)' END AS catdesc,
           'can be bare label' AS baredesc
    FROM duckdb_keywords();
CREATE OR REPLACE MACRO {{cat}}.main.fh_udt(_t) AS
    CASE
        WHEN _t = 'VARCHAR' THEN 'text' WHEN _t LIKE 'VARCHAR(%' THEN 'varchar'
        WHEN _t = 'INTEGER' THEN 'int4' WHEN _t = 'BIGINT' THEN 'int8' WHEN _t = 'SMALLINT' THEN 'int2'
        WHEN _t = 'DOUBLE' THEN 'float8' WHEN _t = 'FLOAT' THEN 'float4' WHEN _t = 'BOOLEAN' THEN 'bool'
        WHEN _t = 'DATE' THEN 'date' WHEN _t = 'TIMESTAMP WITH TIME ZONE' THEN 'timestamptz'
        WHEN _t = 'TIMESTAMP' THEN 'timestamp' WHEN _t = 'TIME' THEN 'time' WHEN _t = 'INTERVAL' THEN 'interval'
        WHEN _t LIKE 'DECIMAL%' THEN 'numeric' WHEN _t = 'BLOB' THEN 'bytea' WHEN _t = 'UUID' THEN 'uuid'
        WHEN _t = 'JSON' THEN 'json' ELSE lower(_t)
    END;
-- information_schema.columns with PostgreSQL's type names (dbt compares
-- data_type, udt_name and the lengths): DuckDB's own rows, types mapped.
CREATE OR REPLACE VIEW {{cat}}.main.fh_is_columns AS
SELECT * REPLACE (
        CASE
            WHEN data_type LIKE '%[]' THEN 'ARRAY'
            WHEN data_type = 'VARCHAR' THEN 'text'
            WHEN data_type LIKE 'VARCHAR(%' THEN 'character varying'
            WHEN data_type = 'INTEGER' THEN 'integer'
            WHEN data_type = 'BIGINT' THEN 'bigint'
            WHEN data_type = 'SMALLINT' THEN 'smallint'
            WHEN data_type = 'DOUBLE' THEN 'double precision'
            WHEN data_type = 'FLOAT' THEN 'real'
            WHEN data_type = 'BOOLEAN' THEN 'boolean'
            WHEN data_type = 'DATE' THEN 'date'
            WHEN data_type = 'TIMESTAMP WITH TIME ZONE' THEN 'timestamp with time zone'
            WHEN data_type = 'TIMESTAMP' THEN 'timestamp without time zone'
            WHEN data_type = 'TIME' THEN 'time without time zone'
            WHEN data_type = 'INTERVAL' THEN 'interval'
            WHEN data_type LIKE 'DECIMAL%' THEN 'numeric'
            WHEN data_type = 'BLOB' THEN 'bytea'
            WHEN data_type = 'UUID' THEN 'uuid'
            WHEN data_type = 'JSON' THEN 'json'
            ELSE lower(data_type)
        END AS data_type,
        CASE
            WHEN data_type LIKE '%[]' THEN '_' || {{cat}}.main.fh_udt(replace(data_type, '[]', ''))
            ELSE {{cat}}.main.fh_udt(data_type)
        END AS udt_name)
FROM information_schema.columns;

-- information_schema's privilege views (PostgreSQL's shapes): the owner's
-- implicit privileges and every grant, for the role the planner passes
-- (rows whose grantor or grantee it has the privileges of, and PUBLIC's
-- in table_privileges/column_privileges).
CREATE OR REPLACE VIEW {{cat}}.main.fh_all_table_grants AS
SELECT coalesce(o.owner, b.rolname) AS grantor, coalesce(o.owner, b.rolname) AS grantee, r.nspname AS table_schema,
       r.relname AS table_name, l.priv AS privilege_type, true AS grantable
FROM {{cat}}.main.fh_relations r
LEFT JOIN {{cat}}.main.fh_relowners o ON o.nspname = r.nspname AND o.relname = r.relname
CROSS JOIN (SELECT coalesce(max(rolname), 'featurehouse') AS rolname FROM {{cat}}.main.fh_bootstrap_role) b
CROSS JOIN (SELECT priv FROM {{cat}}.main.fh_acl_letters WHERE pos <= 7) l
WHERE r.relkind IN ('r', 'v') AND r.nspname NOT IN ('pg_catalog', 'pg_temp_1')
  AND NOT EXISTS (SELECT 1 FROM {{db}}.feature_store.privileges p WHERE p.object_type = 'relation' AND p.schema_name = r.nspname
                  AND p.object_name = r.relname AND p.column_name = '')
UNION ALL
-- the owner's own rows (grantor = grantee) carry its implicit grant option
SELECT p.grantor, p.grantee, p.schema_name, p.object_name, p.privilege_type, p.is_grantable OR p.grantor = p.grantee
FROM {{db}}.feature_store.privileges p WHERE p.object_type = 'relation' AND p.column_name = '';
CREATE OR REPLACE MACRO {{cat}}.main.fh_is_table_privileges(_role, _public) AS TABLE
SELECT CAST(grantor AS VARCHAR) AS grantor, CAST(grantee AS VARCHAR) AS grantee, {{db_lit}} AS table_catalog,
       CAST(table_schema AS VARCHAR) AS table_schema, CAST(table_name AS VARCHAR) AS table_name,
       CAST(privilege_type AS VARCHAR) AS privilege_type, CASE WHEN grantable THEN 'YES' ELSE 'NO' END AS is_grantable,
       CASE WHEN privilege_type = 'SELECT' THEN 'YES' ELSE 'NO' END AS with_hierarchy
FROM {{cat}}.main.fh_all_table_grants
WHERE fh_privilege(_role, 'role', grantee, '', 'USAGE') OR fh_privilege(_role, 'role', grantor, '', 'USAGE')
   OR (_public AND grantee = 'PUBLIC')
ORDER BY table_schema, table_name, grantee, privilege_type;
CREATE OR REPLACE MACRO {{cat}}.main.fh_is_column_privileges(_role, _public) AS TABLE
SELECT CAST(p.grantor AS VARCHAR) AS grantor, CAST(p.grantee AS VARCHAR) AS grantee, {{db_lit}} AS table_catalog,
       CAST(p.schema_name AS VARCHAR) AS table_schema, CAST(p.object_name AS VARCHAR) AS table_name,
       CAST(p.column_name AS VARCHAR) AS column_name, CAST(p.privilege_type AS VARCHAR) AS privilege_type,
       CASE WHEN p.is_grantable THEN 'YES' ELSE 'NO' END AS is_grantable
FROM (SELECT grantor, grantee, schema_name, object_name, column_name, privilege_type, is_grantable
      FROM {{db}}.feature_store.privileges WHERE object_type = 'relation' AND column_name <> ''
      UNION
      -- privileges on the whole relation are on each of its columns
      SELECT t.grantor, t.grantee, t.table_schema, t.table_name, a.attname, t.privilege_type, t.grantable
      FROM {{cat}}.main.fh_all_table_grants t
      JOIN {{cat}}.main.fh_relations r ON r.nspname = t.table_schema AND r.relname = t.table_name
      JOIN {{cat}}.main.fh_columns a ON a.attrelid = r.oid
      WHERE t.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')) p
WHERE (fh_privilege(_role, 'role', p.grantee, '', 'USAGE') OR fh_privilege(_role, 'role', p.grantor, '', 'USAGE')
       OR (_public AND p.grantee = 'PUBLIC'))
ORDER BY table_schema, table_name, column_name, grantee, privilege_type;
