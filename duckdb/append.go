package duckdb

import (
	"context"
	"database/sql/driver"
	"fmt"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"
)

// AppendRows appends rows to schema.table through DuckDB's Appender, on
// an internal connection: no SQL text is built or parsed, which for
// small rows arriving all the time (the audit log) is most of the cost of
// an INSERT. Values are in the table's column order (time.Time for
// timestamps, []any for lists, nil for NULL).
func (e *Engine) AppendRows(ctx context.Context, schema, table string, rows [][]driver.Value) error {
	if len(rows) == 0 {
		return nil
	}
	c, err := e.Connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.AppendRows(ctx, schema, table, rows)
}

// AppendRows is Engine.AppendRows on this connection (a writer that
// appends often keeps one: opening a connection costs its settings).
func (c *Conn) AppendRows(ctx context.Context, schema, table string, rows [][]driver.Value) error {
	if len(rows) == 0 {
		return nil
	}
	a, err := duckdbdrv.NewAppenderFromConn(c.c, schema, table)
	if err != nil {
		return fmt.Errorf("duckdb: appender on %s.%s: %w", schema, table, err)
	}
	for _, r := range rows {
		if err := a.AppendRow(r...); err != nil {
			_ = a.Close()
			return fmt.Errorf("duckdb: append to %s.%s: %w", schema, table, err)
		}
	}
	if err := a.Close(); err != nil {
		return fmt.Errorf("duckdb: append to %s.%s: %w", schema, table, err)
	}
	return nil
}
