package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// duckdbResult is what the duckdb-load subprocess prints as JSON.
type duckdbResult struct {
	Rows    int64   `json:"rows"`
	Seconds float64 `json:"seconds"`
	Version string  `json:"version"`
}

// duckdbLoad is the DuckDB peer of B5 (the limit): DuckDB reading the CSV
// file directly, in its own process, with DuckDB's default settings (one
// thread per core, default memory limit), as featurehouse's embedded
// DuckDB runs. Modes:
//
//	ctas:    CREATE TABLE t AS SELECT * FROM read_csv(...) in a database file
//	parquet: COPY (SELECT * FROM read_csv(...)) TO file (FORMAT parquet, COMPRESSION zstd)
func duckdbLoad(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("duckdb-load", flag.ContinueOnError)
	csvPath := fs.String("csv", "", "CSV file")
	mode := fs.String("mode", "ctas", "ctas or parquet")
	out := fs.String("out", "", "database file (ctas) or Parquet file (parquet)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *csvPath == "" || *out == "" {
		return fmt.Errorf("duckdb-load needs -csv and -out")
	}
	dsn := ""
	if *mode == "ctas" {
		dsn = *out
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var res duckdbResult
	if err := conn.QueryRowContext(ctx, "SELECT version()").Scan(&res.Version); err != nil {
		return err
	}
	src := fmt.Sprintf("read_csv(%s, columns = %s, header = false, delim = ',', quote = '\"', escape = '\"', nullstr = '', auto_detect = false)",
		sqlString(*csvPath), duckdbColumns)
	var q string
	switch *mode {
	case "ctas":
		q = "CREATE TABLE t AS SELECT * FROM " + src
	case "parquet":
		q = "COPY (SELECT * FROM " + src + ") TO " + sqlString(*out) + " (FORMAT parquet, COMPRESSION zstd)"
	default:
		return fmt.Errorf("unknown mode %q", *mode)
	}
	start := time.Now()
	r, err := conn.ExecContext(ctx, q)
	if err != nil {
		return err
	}
	if *mode == "ctas" {
		// The table is durable once the checkpoint is written.
		if _, err := conn.ExecContext(ctx, "CHECKPOINT"); err != nil {
			return err
		}
	}
	res.Seconds = time.Since(start).Seconds()
	res.Rows, _ = r.RowsAffected()
	if *mode == "ctas" {
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&res.Rows); err != nil {
			return err
		}
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
