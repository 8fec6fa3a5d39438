package planner

import (
	"context"
	"fmt"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// castFailure finds, in a table holding the statement's values as text, the
// first value (by row, then column order) that does not cast to its column's
// type, and describes it as PostgreSQL would ("invalid input syntax for
// type integer"). where names the place (row or COPY line) for a rowid.
// It returns nil when every value casts.
func castFailure(ctx context.Context, conn *duckdb.Conn, table string, cols []duckdb.Column, where func(rowid int64, col, val string) (detail, context string)) error {
	var best *pgerror.Error
	bestRow := int64(-1)
	// Rows of an uncommitted transaction are numbered from a large offset.
	var first any
	if _, err := conn.QueryRow(ctx, "SELECT min(rowid) FROM "+table, nil, &first); err != nil {
		return nil
	}
	firstRow, _ := first.(int64)
	for _, col := range cols {
		if col.Type == "VARCHAR" {
			continue
		}
		var rowid, val any
		found, err := conn.QueryRow(ctx, "SELECT rowid, "+quoteIdent(col.Name)+" FROM "+table+" WHERE "+quoteIdent(col.Name)+
			" IS NOT NULL AND "+castTextWith("TRY_CAST", quoteIdent(col.Name), col.Type)+" IS NULL ORDER BY rowid LIMIT 1", nil, &rowid, &val)
		if err != nil || !found {
			continue
		}
		id, _ := rowid.(int64)
		if bestRow >= 0 && id >= bestRow {
			continue
		}
		v, _ := val.(string)
		code := pgerror.InvalidTextRepresentation
		switch types.FromDuckDB(col.Type).Name {
		case "date", "time", "timetz", "timestamp", "timestamptz", "interval":
			code = pgerror.InvalidDatetimeFormat
		}
		e := pgerror.New(code, `invalid input syntax for type %s: "%s"`, pgTypeDisplay(types.FromDuckDB(col.Type)), v)
		switch col.Type {
		case "SMALLINT", "INTEGER", "BIGINT", "TINYINT", "HUGEINT":
			var isNum any
			if _, err := conn.QueryRow(ctx, "SELECT TRY_CAST(? AS HUGEINT) IS NOT NULL", []any{v}, &isNum); err == nil && isNum == true {
				e = pgerror.New(pgerror.NumericValueOutOfRange, `value "%s" is out of range for type %s`, v, pgTypeDisplay(types.FromDuckDB(col.Type)))
			}
		}
		e.Detail, e.Where = where(id-firstRow, col.Name, v)
		best, bestRow = e, id
	}
	if best == nil {
		return nil
	}
	return best
}

// textStage creates a temp table with the columns as VARCHAR.
func textStage(ctx context.Context, conn *duckdb.Conn, cols []duckdb.Column, n int64) (string, error) {
	name := fmt.Sprintf("fh_text_stage_%d", n)
	defs := ""
	for i, c := range cols {
		if i > 0 {
			defs += ", "
		}
		defs += quoteIdent(c.Name) + " VARCHAR"
	}
	if _, err := conn.Exec(ctx, "CREATE TEMP TABLE "+name+" ("+defs+")"); err != nil {
		return "", err
	}
	return "temp." + name, nil
}
