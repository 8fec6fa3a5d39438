-- BI tools' introspection, replayed from their source. Each query is the
-- tool's own (an ORDER BY is wrapped around where the tool sorts in the
-- client), and returns what the tool needs to list feature groups and
-- their columns.
CREATE FEATURE GROUP bi_g (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, age INTEGER, score DOUBLE PRECISION);
COMMENT ON FEATURE GROUP bi_g IS 'BI test group';
CREATE TABLE bi_t (id INTEGER, name TEXT);
-- Metabase: metabase/metabase src/metabase/driver/postgres.clj,
-- sql-jdbc.sync/current-user-table-privileges :postgres (table sync).
SELECT * FROM (
with table_privileges as (
 select
   NULL as role,
   t.schemaname as schema,
   t.objectname as table,
   pg_catalog.has_table_privilege(current_user, '"' || t.schemaname || '"' || '.' || '"' || t.objectname || '"',  'update') as update,
   pg_catalog.has_table_privilege(current_user, '"' || t.schemaname || '"' || '.' || '"' || t.objectname || '"',  'select') as select,
   pg_catalog.has_table_privilege(current_user, '"' || t.schemaname || '"' || '.' || '"' || t.objectname || '"',  'insert') as insert,
   pg_catalog.has_table_privilege(current_user, '"' || t.schemaname || '"' || '.' || '"' || t.objectname || '"',  'delete') as delete
 from (
   select schemaname, tablename as objectname from pg_catalog.pg_tables
   union
   select schemaname, viewname as objectname from pg_catalog.pg_views
   union
   select schemaname, matviewname as objectname from pg_catalog.pg_matviews
 ) t
 where t.schemaname !~ '^pg_'
   and t.schemaname <> 'information_schema'
   and pg_catalog.has_schema_privilege(current_user, t.schemaname, 'usage')
)
select t.*
from table_privileges t
) q WHERE q.schema = 'public' ORDER BY 2, 3;
-- DBeaver (through pgJDBC's DatabaseMetaData.getSQLKeywords,
-- pgjdbc/pgjdbc PgDatabaseMetaData.java): the server's keywords.
select string_agg(word, ',') IS NOT NULL AS has_keywords, bool_or(word = 'select') AS has_select
from pg_catalog.pg_get_keywords() where word <> ALL ('{a,abs,absolute,action,ada,add}'::text[]);
-- DBeaver: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql
-- PostgreSchema.TableCache: tables of a schema with their descriptions,
-- regclass casts and partition helpers.
select c.relname, c.relkind, d.description, pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr, pg_catalog.pg_get_partkeydef(c.oid) as partition_key
from pg_catalog.pg_class c
left outer join pg_catalog.pg_description d on d.objoid=c.oid and d.objsubid=0 and d.classoid='pg_class'::regclass
where c.relnamespace=(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public') and c.relkind not in ('i','I','c')
order by c.relname;
-- DBeaver: PostgreTableBase columns (pg_attribute joined to pg_type by
-- atttypid, with the type's category), and a regclass lookup by name.
select a.attname, a.attnum, t.typname, t.typcategory, a.attnotnull, format_type(a.atttypid, a.atttypmod) AS type_name
from pg_catalog.pg_attribute a
join pg_catalog.pg_type t on t.oid = a.atttypid
where a.attrelid = 'public.bi_g'::regclass and a.attnum > 0 and not a.attisdropped
order by a.attnum;
-- DBeaver: PostgreDataSource data types (typcategory, element types).
select count(*) > 20 AS many_types, bool_or(t.typname = 'float8' and t.typcategory = 'N') AS float8_numeric,
       bool_or(t.typname = '_text' and t.typcategory = 'A') AS text_array
from pg_catalog.pg_type t
left join pg_catalog.pg_type et on et.oid=t.typelem
left join pg_catalog.pg_class c on c.oid=t.typrelid
where t.typname is not null and (c.relkind is null or c.relkind = 'c') and (et.typcategory is null or et.typcategory <> 'C');
-- Tableau (through psqlODBC with UseDeclareFetch): a WITH HOLD cursor
-- read in chunks.
INSERT INTO bi_g VALUES ('u1', '2024-01-01', 30, 1.5), ('u2', '2024-01-02', 40, 2.5), ('u1', '2024-02-01', 31, NULL);
BEGIN;
declare "SQL_CUR0x55d5" cursor with hold for SELECT "bi_g"."user_id" AS "user_id", SUM("bi_g"."age") AS "sum:age:ok" FROM "public"."bi_g" "bi_g" GROUP BY 1 ORDER BY 1;
fetch 1000 in "SQL_CUR0x55d5";
COMMIT;
fetch 1000 in "SQL_CUR0x55d5";
close "SQL_CUR0x55d5";
