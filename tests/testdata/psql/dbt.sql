-- dbt-postgres (1.5-1.8): the SQL its adapter macros render for a small project
-- (dbt-labs/dbt-postgres macros/adapters.sql, macros/catalog.sql,
-- materializations table/view/incremental, snapshot_merge.sql), replayed
-- through psql (libpq, as psycopg2 that dbt uses). A model selects from a
-- feature group AS OF a time and through a point-in-time join.
CREATE FEATURE GROUP dbt_src (user_id TEXT ENTITY KEY, event_time TIMESTAMPTZ EVENT TIME, age INTEGER, country TEXT);
INSERT INTO dbt_src VALUES ('u1', '2024-01-01', 30, 'US'), ('u2', '2024-01-02', 40, 'UK'), ('u1', '2024-02-01', 31, 'US');
-- list_schemas
select distinct nspname from pg_namespace order by 1; -- dbt sorts in the client
-- check_schema_exists
select count(*) from pg_namespace where nspname = 'analytics';
-- create_schema
create schema if not exists "analytics";
-- list_relations_without_caching
select
      '"featurehouse"' as database,
      tablename as name,
      schemaname as schema,
      'table' as type
    from pg_tables
    where schemaname ilike 'public'
    union all
    select
      '"featurehouse"' as database,
      viewname as name,
      schemaname as schema,
      'view' as type
    from pg_views
    where schemaname ilike 'public'
    union all
    select
      '"featurehouse"' as database,
      matviewname as name,
      schemaname as schema,
      'materialized_view' as type
    from pg_matviews
    where schemaname ilike 'public'
    order by 2; -- dbt caches the relations; the order is the test's
-- table materialization
BEGIN;
create  table "featurehouse"."analytics"."profile__dbt_tmp"
  as
  (
    select user_id, age, country from dbt_src as of timestamptz '2024-01-15'
  );
alter table "featurehouse"."analytics"."profile__dbt_tmp" rename to "profile";
COMMIT;
BEGIN;
create  table "featurehouse"."analytics"."profile__dbt_tmp"
  as
  (
    select user_id, age, country from dbt_src as of now()
  );
alter table "featurehouse"."analytics"."profile" rename to "profile__dbt_backup";
alter table "featurehouse"."analytics"."profile__dbt_tmp" rename to "profile";
COMMIT;
drop table if exists "featurehouse"."analytics"."profile__dbt_backup" cascade;
select * from analytics.profile order by 1;
-- get_columns_in_relation
select
          column_name,
          data_type,
          character_maximum_length,
          numeric_precision,
          numeric_scale
      from "featurehouse".INFORMATION_SCHEMA.columns
      where table_name = 'profile'
        and table_schema = 'analytics'
      order by ordinal_position;
-- view materialization
BEGIN;
create view "featurehouse"."analytics"."v_profile__dbt_tmp" as (
    select l.user_id, d.age from analytics.profile l left join dbt_src as of timestamptz '2024-01-15' d using (user_id)
  );
alter table "featurehouse"."analytics"."v_profile__dbt_tmp" rename to "v_profile";
COMMIT;
select * from analytics.v_profile order by 1;
-- incremental delete+insert
create temporary table "inc__dbt_tmp" as (select user_id, age from dbt_src as of now());
create table analytics.inc as select user_id, age from dbt_src as of timestamptz '2024-01-15';
BEGIN;
delete from "featurehouse"."analytics"."inc"
    where (user_id) in (
        select distinct user_id
        from "inc__dbt_tmp" as DBT_INTERNAL_SOURCE
    );
insert into "featurehouse"."analytics"."inc" ("user_id", "age")
    (
        select "user_id", "age"
        from "inc__dbt_tmp"
    );
COMMIT;
select * from analytics.inc order by 1;
-- merge strategy
merge into "featurehouse"."analytics"."inc" as DBT_INTERNAL_DEST
        using "inc__dbt_tmp" as DBT_INTERNAL_SOURCE
        on (DBT_INTERNAL_SOURCE.user_id = DBT_INTERNAL_DEST.user_id)
    when matched then update set
        "age" = DBT_INTERNAL_SOURCE."age"
    when not matched then insert
        ("user_id", "age")
    values
        ("user_id", "age");
-- catalog (pg_namespace / pg_class / pg_attribute / pg_type / pg_description)
select
        '"featurehouse"' as table_database,
        sch.nspname as table_schema,
        tbl.relname as table_name,
        case tbl.relkind
            when 'v' then 'VIEW'
            when 'm' then 'MATERIALIZED VIEW'
            else 'BASE TABLE'
        end as table_type,
        tbl_desc.description as table_comment,
        col.attname as column_name,
        col.attnum as column_index,
        pg_catalog.format_type(col.atttypid, col.atttypmod) as column_type,
        col_desc.description as column_comment,
        pg_get_userbyid(tbl.relowner) as table_owner
    from pg_catalog.pg_namespace sch
    join pg_catalog.pg_class tbl on tbl.relnamespace = sch.oid
    join pg_catalog.pg_attribute col on col.attrelid = tbl.oid
    left outer join pg_catalog.pg_description tbl_desc on (tbl_desc.objoid = tbl.oid and tbl_desc.objsubid = 0)
    left outer join pg_catalog.pg_description col_desc on (col_desc.objoid = tbl.oid and col_desc.objsubid = col.attnum)
    where (upper(sch.nspname) = upper('analytics') or upper(sch.nspname) = upper('public'))
      and not pg_is_other_temp_schema(sch.oid)
      and tbl.relpersistence in ('p', 'u')
      and tbl.relkind in ('r', 'v', 'f', 'p', 'm')
      and col.attnum > 0
      and not col.attisdropped
    order by sch.nspname, tbl.relname, col.attnum;
select pg_backend_pid() > 0 AS has_pid;
-- snapshot (check strategy): staging temp table, then update + insert
create table analytics.snap as select user_id, age, md5(user_id || '|' || CAST(now() AS VARCHAR)) as dbt_scd_id, TIMESTAMPTZ '2024-01-01' as dbt_updated_at, TIMESTAMPTZ '2024-01-01' as dbt_valid_from, CAST(NULL AS TIMESTAMPTZ) as dbt_valid_to from dbt_src as of timestamptz '2024-01-15';
create temporary table "snap__dbt_tmp" as (
    with snapshot_query as (select user_id, age from dbt_src as of now()),
    snapshotted_data as (select *, user_id as dbt_unique_key from analytics.snap where dbt_valid_to is null),
    updates_source_data as (select *, user_id as dbt_unique_key, TIMESTAMPTZ '2024-03-01' as dbt_updated_at, TIMESTAMPTZ '2024-03-01' as dbt_valid_from, TIMESTAMPTZ '2024-03-01' as dbt_valid_to from snapshot_query),
    updates as (
        select 'update' as dbt_change_type, source_data.*, snapshotted_data.dbt_scd_id
        from updates_source_data as source_data
        join snapshotted_data on snapshotted_data.dbt_unique_key = source_data.dbt_unique_key
        where (snapshotted_data.age != source_data.age)
    )
    select * from updates
);
BEGIN;
update "featurehouse"."analytics"."snap"
    set dbt_valid_to = DBT_INTERNAL_SOURCE.dbt_valid_to
    from "snap__dbt_tmp" as DBT_INTERNAL_SOURCE
    where DBT_INTERNAL_SOURCE.dbt_scd_id::text = "featurehouse"."analytics"."snap".dbt_scd_id::text
      and DBT_INTERNAL_SOURCE.dbt_change_type::text in ('update'::text, 'delete'::text)
      and "featurehouse"."analytics"."snap".dbt_valid_to is null;
insert into "featurehouse"."analytics"."snap" ("user_id", "age", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to")
    select DBT_INTERNAL_SOURCE."user_id", DBT_INTERNAL_SOURCE."age", md5(DBT_INTERNAL_SOURCE."user_id" || 'x'), DBT_INTERNAL_SOURCE."dbt_updated_at", DBT_INTERNAL_SOURCE."dbt_valid_from", CAST(NULL AS TIMESTAMPTZ)
    from "snap__dbt_tmp" as DBT_INTERNAL_SOURCE
    where DBT_INTERNAL_SOURCE.dbt_change_type::text = 'update'::text;
COMMIT;
select user_id, age, dbt_valid_from, dbt_valid_to from analytics.snap order by user_id, dbt_valid_from;
-- the temp tables dbt made are in pg_class (pg_temp)
select relname, relpersistence from pg_class where relname in ('inc__dbt_tmp', 'snap__dbt_tmp') order by 1;
-- a dbt model as a view over a point-in-time join, then dropped with CASCADE
create view analytics.training as select l.user_id, d.age, d.country from analytics.inc l left join dbt_src as of timestamptz '2024-01-15' d using (user_id);
select * from analytics.training order by 1;
drop view if exists "featurehouse"."analytics"."training" cascade;
drop schema if exists "analytics" cascade;
select count(*) from pg_namespace where nspname = 'analytics';
