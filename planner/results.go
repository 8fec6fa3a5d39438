package planner

import (
	"context"
	"fmt"
	"io"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql/types"
)

// RowResult streams rows from DuckDB.
type RowResult struct {
	cols    []types.Column
	rows    *duckdb.Rows
	tagVerb string // "SELECT", "INSERT 0", "UPDATE", "DELETE"
	done    bool
	onDone  func()
}

// Columns describes the rows.
func (r *RowResult) Columns() []types.Column { return r.cols }

// Next returns the next row or io.EOF.
func (r *RowResult) Next(ctx context.Context) ([]any, error) {
	if r.done {
		return nil, io.EOF
	}
	if err := ctx.Err(); err != nil {
		return nil, duckdb.TranslateError(err)
	}
	row, err := r.rows.Next()
	if err == io.EOF {
		r.finish()
		return nil, io.EOF
	}
	return row, err
}

func (r *RowResult) finish() {
	if !r.done {
		r.done = true
		if r.onDone != nil {
			r.onDone()
		}
	}
}

// Tag is the CommandComplete tag.
func (r *RowResult) Tag() string { return fmt.Sprintf("%s %d", r.tagVerb, r.rows.Count()) }

// Close releases the result.
func (r *RowResult) Close() error {
	err := r.rows.Close()
	r.finish()
	return err
}

func columnsOf(cols []duckdb.Column) []types.Column {
	out := make([]types.Column, len(cols))
	for i, c := range cols {
		out[i] = types.Column{Name: c.Name, Type: types.FromDuckDB(c.Type)}
	}
	return out
}

// staticRows is a result computed in the planner (SHOW, EXPLAIN).
type staticRows struct {
	cols []types.Column
	rows [][]any
	i    int
	tag  string
}

func newStaticRows(cols []types.Column, rows [][]any, tag string) *staticRows {
	return &staticRows{cols: cols, rows: rows, tag: tag}
}

func (r *staticRows) Columns() []types.Column { return r.cols }
func (r *staticRows) Next(context.Context) ([]any, error) {
	if r.i >= len(r.rows) {
		return nil, io.EOF
	}
	r.i++
	return r.rows[r.i-1], nil
}
func (r *staticRows) Tag() string {
	if r.tag != "" {
		return r.tag
	}
	return fmt.Sprintf("SELECT %d", len(r.rows))
}
func (r *staticRows) Close() error { return nil }
