package planner

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql/types"
)

// PostgreSQL clients introspect the server through pg_catalog: psql's \d,
// JDBC's DatabaseMetaData, SQLAlchemy's inspector. DuckDB's own pg_catalog
// views do not show feature groups as featurehouse means them (they would
// show the internal schema, DuckDB's type names and no constraints or
// comments), and DuckDB refuses new objects in its pg_catalog schema. So
// featurehouse keeps its own catalog relations and functions in an
// in-memory database attached at start (pgcatalog.sql), and the planner
// points the statement's pg_catalog references at them
// (pgcatalog_rewrite.go).

//go:embed pgcatalog.sql
var pgCatalogSQL string

// pgCatalogDB is the attached in-memory database holding that catalog.
const pgCatalogDB = "fh_pg"

// pgCatalogPrefix qualifies an object of that catalog.
const pgCatalogPrefix = pgCatalogDB + ".main."

// installPGCatalog creates the catalog once per planner (the attached
// database is shared by every connection of the engine). A failure is
// logged, not fatal: only statements reading the catalog then fail.
func (p *Planner) installPGCatalog() {
	p.pgCatalogOnce.Do(func() {
		if err := installPGCatalog(context.Background(), p.engine.DB(), p.cfg.Superuser); err != nil {
			p.log.Error("pg_catalog for clients not installed: catalog queries will fail", "err", err)
		}
	})
}

func installPGCatalog(ctx context.Context, db *sql.DB, superuser string) error {
	if _, err := db.ExecContext(ctx, "ATTACH IF NOT EXISTS ':memory:' AS "+pgCatalogDB); err != nil {
		return fmt.Errorf("pg_catalog: attach: %w", err)
	}
	for _, stmt := range pgCatalogStatements(superuser) {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("pg_catalog: %w\n%s", err, stmt)
		}
	}
	return nil
}

// pgCatalogStatements is pgcatalog.sql with its placeholders filled, one
// statement each.
func pgCatalogStatements(superuser string) []string {
	r := strings.NewReplacer(
		"{{cat}}", pgCatalogDB,
		"{{db}}", duckdb.QuoteIdent(duckdb.DatabaseName),
		"{{db_lit}}", duckdb.QuoteString(duckdb.DatabaseName),
		"{{internal}}", duckdb.QuoteString(duckdb.InternalSchema),
		"{{superuser}}", duckdb.QuoteString(superuser),
		"{{pg_type_rows}}", pgTypeRows(),
		"{{type_display_map}}", typeMap(func(t types.CatalogType) (string, bool) { return duckdb.QuoteString(t.Display), true }),
		"{{array_elem_map}}", typeMap(func(t types.CatalogType) (string, bool) {
			return strconv.FormatUint(uint64(t.Elem), 10), t.Category == 'A' && strings.HasPrefix(t.Name, "_")
		}),
		"{{type_name_map}}", typeNameMap(),
		"{{pg_type_name_rows}}", pgTypeNameRows(),
		"{{duck_type_rows}}", duckTypeRows(),
	)
	var out []string
	for _, stmt := range strings.Split(r.Replace(pgCatalogSQL), ";\n") {
		if strings.TrimSpace(stripSQLComments(stmt)) != "" {
			out = append(out, stmt)
		}
	}
	return out
}

func stripSQLComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// pgTypeRows are pg_type's rows, from the mapping RowDescription uses.
func pgTypeRows() string {
	var rows []string
	for _, t := range types.CatalogTypes() {
		rows = append(rows, fmt.Sprintf("(%d, %s, %s, %d, '%c', '%c', '%c', %d, %d, %t)",
			t.OID, duckdb.QuoteString(t.Name), duckdb.QuoteString(t.Display), t.Size, t.Type, t.Category, t.Storage,
			t.Elem, t.Array, t.Collatable))
	}
	return strings.Join(rows, ", ")
}

// typeMap is a DuckDB MAP literal from type OID to what value gives (for
// the types it accepts): static lookups need no subquery.
func typeMap(value func(types.CatalogType) (string, bool)) string {
	var entries []string
	for _, t := range types.CatalogTypes() {
		if v, ok := value(t); ok {
			entries = append(entries, strconv.FormatUint(uint64(t.OID), 10)+": "+v)
		}
	}
	return "MAP {" + strings.Join(entries, ", ") + "}"
}

// typeNameMap is pgTypeNames as a MAP literal.
func typeNameMap() string {
	names := pgTypeNames()
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	entries := make([]string, len(keys))
	for i, k := range keys {
		entries[i] = duckdb.QuoteString(k) + ": " + strconv.FormatUint(uint64(names[k]), 10)
	}
	return "MAP {" + strings.Join(entries, ", ") + "}"
}

// pgTypeNameRows map the PostgreSQL type names a feature's declared type
// may use (its data_type: "integer", "int4", "timestamp with time zone")
// to their OID.
func pgTypeNameRows() string { return valueRows(pgTypeNames()) }

func pgTypeNames() map[string]uint32 {
	names := map[string]uint32{}
	for _, t := range types.CatalogTypes() {
		if t.Elem != 0 || t.Type != 'b' {
			continue
		}
		names[t.Name] = t.OID
		names[t.Display] = t.OID
	}
	// Spellings of CREATE FEATURE GROUP's types that are neither a typname
	// nor format_type's name ("char" is character there, not "char").
	for name, oid := range map[string]uint32{"int": types.OIDInt4, "decimal": types.OIDNumeric, "char": types.OIDBPChar,
		"citext": types.OIDText, "double": types.OIDFloat8} {
		names[name] = oid
	}
	return names
}

// duckTypeRows map DuckDB's scalar type names to OIDs.
func duckTypeRows() string { return valueRows(types.DuckDBScalarOIDs()) }

func valueRows(m map[string]uint32) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := make([]string, len(keys))
	for i, k := range keys {
		rows[i] = "(" + duckdb.QuoteString(k) + ", " + strconv.FormatUint(uint64(m[k]), 10) + ")"
	}
	return strings.Join(rows, ", ")
}

// versionString is version()'s answer, shaped like PostgreSQL's: clients
// parse it ("PostgreSQL (\d+)\.?(\d+)?" in SQLAlchemy) to learn what the
// server speaks.
func (p *Planner) versionString() string {
	v := p.cfg.Version
	if v == "" {
		v = "devel"
	}
	return fmt.Sprintf("PostgreSQL %s (featurehouse %s) on %s, compiled by %s, %d-bit",
		p.cfg.ServerVersion, v, platform(), runtime.Version(), strconv.IntSize)
}

// platform names the build target as PostgreSQL's configure does.
func platform() string {
	goos := runtime.GOOS
	if goos == "linux" {
		goos = "linux-gnu"
	}
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64-pc-" + goos
	case "arm64":
		return "aarch64-unknown-" + goos
	}
	return runtime.GOARCH + "-unknown-" + goos
}
