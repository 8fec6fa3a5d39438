package duckdb

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"
)

// Conn is one session's dedicated DuckDB connection. It is not safe for
// concurrent use: a session runs one statement at a time.
type Conn struct {
	c      *duckdbdrv.Conn
	engine *Engine
	open   *Rows // the streaming result still open on this connection, if any
	inTxn  bool  // an internal BEGIN of the write path is open
	// heldSchema: groups whose schema lock the session's transaction
	// holds shared until it ends (schemalock.go).
	heldSchema map[int64]func()
}

// Engine is the engine the connection belongs to.
func (c *Conn) Engine() *Engine { return c.engine }

// Close closes the connection (DuckDB rolls back an open transaction).
func (c *Conn) Close() error {
	c.closeOpen()
	c.ReleaseSchemaLocks()
	return c.c.Close()
}

func (c *Conn) closeOpen() {
	if c.open != nil {
		_ = c.open.Close()
		c.open = nil
	}
}

func named(args []any) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv
}

// Exec runs a statement that returns no rows and reports rows affected.
func (c *Conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	c.closeOpen()
	return rowsAffected(c.c.ExecContext(ctx, query, named(args)))
}

// rowsAffected reports a statement's count; DDL has none (0).
func rowsAffected(res driver.Result, err error) (int64, error) {
	if err != nil {
		return 0, TranslateError(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, nil //nolint:nilerr // DDL reports no count
	}
	return n, nil
}

// QueryRow runs a query and scans its first row into dest (Go values as the
// driver returns them). It returns false when there is no row.
func (c *Conn) QueryRow(ctx context.Context, query string, args []any, dest ...*any) (bool, error) {
	rows, err := c.Query(ctx, query, args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	vals, err := rows.Next()
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for i := range dest {
		if i < len(vals) {
			*dest[i] = vals[i]
		}
	}
	return true, nil
}

// WithBorrowedValues makes Query and Stmt.Query under ctx return rows whose
// values are valid only until the next Rows.Next (duckdb-go patch).
func WithBorrowedValues(ctx context.Context) context.Context {
	return duckdbdrv.WithBorrowedValues(ctx)
}

// Query runs a query whose result streams chunk by chunk from DuckDB.
// The result must be closed (or read to the end) before the connection runs
// anything else; Conn closes a forgotten one itself.
func (c *Conn) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	c.closeOpen()
	dr, err := c.c.QueryContext(duckdbdrv.WithStreamingResult(ctx), query, named(args))
	if err != nil {
		return nil, TranslateError(err)
	}
	return c.track(dr), nil
}

// QueryAll runs a query and returns all its rows (for small results:
// catalog reads), each row's values copied.
func (c *Conn) QueryAll(ctx context.Context, query string, args ...any) ([][]any, error) {
	rows, err := c.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, append([]any(nil), r...))
	}
}

func (c *Conn) track(dr driver.Rows) *Rows {
	r := newRows(dr)
	r.conn = c
	c.open = r
	return r
}

// Prepare prepares a statement for repeated execution and description.
func (c *Conn) Prepare(ctx context.Context, query string) (*Stmt, error) {
	c.closeOpen()
	ds, err := c.c.PrepareContext(ctx, query)
	if err != nil {
		return nil, TranslateError(err)
	}
	s, ok := ds.(*duckdbdrv.Stmt)
	if !ok {
		_ = ds.Close()
		return nil, fmt.Errorf("duckdb: unexpected statement %T", ds)
	}
	return &Stmt{s: s, conn: c, query: query}, nil
}

// Stmt is a DuckDB prepared statement.
type Stmt struct {
	s     *duckdbdrv.Stmt
	conn  *Conn
	query string
	kinds []duckdbdrv.Type // parameter types, read once (params.go)
}

// Column is a described result column.
type Column struct {
	Name string
	Type string // DuckDB type name
}

// NumParams is the number of $n parameters.
func (s *Stmt) NumParams() int { return s.s.NumInput() }

// ParamType is DuckDB's inferred type of parameter n (1-based), "" if unknown.
func (s *Stmt) ParamType(n int) string {
	t, err := s.s.ParamTypeName(n)
	if err != nil {
		return ""
	}
	return t
}

// Columns describes the result. ok is false when DuckDB could not type the
// result before execution (an untyped parameter makes it ambiguous).
func (s *Stmt) Columns() (cols []Column, ok bool) {
	n, err := s.s.ColumnCount()
	if err != nil {
		return nil, false
	}
	cols = make([]Column, n)
	for i := 0; i < n; i++ {
		name, _ := s.s.ColumnName(i)
		typ, err := s.s.ColumnTypeName(i)
		if err != nil || typ == "INVALID" {
			return nil, false
		}
		cols[i] = Column{Name: name, Type: typ}
	}
	return cols, true
}

// Query executes the statement with a streaming result.
func (s *Stmt) Query(ctx context.Context, args []any) (*Rows, error) {
	s.conn.closeOpen()
	dr, err := s.s.QueryContext(duckdbdrv.WithStreamingResult(ctx), named(s.bindArgs(args)))
	if err != nil {
		return nil, TranslateError(err)
	}
	return s.conn.track(dr), nil
}

// Exec executes the statement and reports rows affected.
func (s *Stmt) Exec(ctx context.Context, args []any) (int64, error) {
	s.conn.closeOpen()
	return rowsAffected(s.s.ExecContext(ctx, named(s.bindArgs(args))))
}

// Close releases the prepared statement.
func (s *Stmt) Close() error {
	if s.conn.open != nil && s.conn.open.stmt == s {
		s.conn.closeOpen()
	}
	return s.s.Close()
}

// Rows is a streaming result.
type Rows struct {
	dr     driver.Rows
	conn   *Conn
	stmt   *Stmt
	cols   []Column
	buf    []driver.Value
	out    []any
	count  int64
	closed bool
}

func newRows(dr driver.Rows) *Rows {
	names := dr.Columns()
	cols := make([]Column, len(names))
	typer, _ := dr.(driver.RowsColumnTypeDatabaseTypeName)
	for i, n := range names {
		cols[i].Name = n
		if typer != nil {
			cols[i].Type = typer.ColumnTypeDatabaseTypeName(i)
		}
	}
	return &Rows{dr: dr, cols: cols, buf: make([]driver.Value, len(names)), out: make([]any, len(names))}
}

// Columns are the result's columns.
func (r *Rows) Columns() []Column { return r.cols }

// Next returns the next row or io.EOF. The returned slice is reused.
func (r *Rows) Next() ([]any, error) {
	if r.closed {
		return nil, io.EOF
	}
	if err := r.dr.Next(r.buf); err != nil {
		if errors.Is(err, io.EOF) {
			_ = r.Close()
			return nil, io.EOF
		}
		return nil, TranslateError(err)
	}
	for i, v := range r.buf {
		r.out[i] = v
	}
	r.count++
	return r.out, nil
}

// Count is the number of rows returned so far.
func (r *Rows) Count() int64 { return r.count }

// Close releases the result.
func (r *Rows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.conn != nil && r.conn.open == r {
		r.conn.open = nil
	}
	return r.dr.Close()
}
