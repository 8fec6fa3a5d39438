package catalog

// System tables of the catalog. Lists are DuckDB lists; times are UTC.
var systemTableDDL = []string{
	`CREATE SEQUENCE IF NOT EXISTS feature_store.group_id_seq START 1`,
	`CREATE TABLE IF NOT EXISTS feature_store.feature_groups (
		group_id BIGINT NOT NULL,
		schema_name VARCHAR NOT NULL,
		group_name VARCHAR NOT NULL,
		description VARCHAR,
		owner VARCHAR,
		online BOOLEAN NOT NULL,
		ttl VARCHAR,
		retention VARCHAR,
		partition_by VARCHAR NOT NULL,
		tags VARCHAR[] NOT NULL,
		entity_keys VARCHAR[] NOT NULL,
		event_time_column VARCHAR NOT NULL,
		table_checks VARCHAR[] NOT NULL,
		created_at TIMESTAMPTZ NOT NULL,
		updated_at TIMESTAMPTZ NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS feature_store.features (
		group_id BIGINT NOT NULL,
		schema_name VARCHAR NOT NULL,
		group_name VARCHAR NOT NULL,
		feature_name VARCHAR NOT NULL,
		position INTEGER NOT NULL,
		data_type VARCHAR NOT NULL,
		duckdb_type VARCHAR NOT NULL,
		feature_type VARCHAR NOT NULL,
		is_entity_key BOOLEAN NOT NULL,
		is_event_time BOOLEAN NOT NULL,
		not_null BOOLEAN NOT NULL,
		checks VARCHAR[] NOT NULL,
		description VARCHAR,
		status VARCHAR NOT NULL,
		created_at TIMESTAMPTZ NOT NULL,
		updated_at TIMESTAMPTZ NOT NULL,
		storage_column VARCHAR
	)`,
	// Data directories made before RENAME FEATURE lack storage_column: their
	// features' physical columns are their names.
	`ALTER TABLE feature_store.features ADD COLUMN IF NOT EXISTS storage_column VARCHAR`,
	`UPDATE feature_store.features SET storage_column = feature_name WHERE storage_column IS NULL`,
	// masking_function: hash, null or partial (ALTER FEATURE ... SET MASKED).
	`ALTER TABLE feature_store.features ADD COLUMN IF NOT EXISTS masking_function VARCHAR`,
}
