package duckdb

import (
	"context"
	"database/sql/driver"
	"fmt"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"
)

// fh_signal_backend(pid, terminate) is the scalar function behind
// PostgreSQL's pg_cancel_backend / pg_terminate_backend (the planner
// rewrites those to it): it asks the server (SetBackendSignaller) to
// cancel the statement of, or end, another connection, and answers whether
// the connection exists.

// BackendSignaller cancels (or with terminate ends) the connection pid.
type BackendSignaller func(pid uint32, terminate bool) bool

// SetBackendSignaller installs what fh_signal_backend calls.
func (e *Engine) SetBackendSignaller(f BackendSignaller) { e.signaller.Store(&f) }

type signalUDF struct{ e *Engine }

func (u signalUDF) Config() duckdbdrv.ScalarFuncConfig {
	i, _ := duckdbdrv.NewTypeInfo(duckdbdrv.TYPE_BIGINT)
	b, _ := duckdbdrv.NewTypeInfo(duckdbdrv.TYPE_BOOLEAN)
	return duckdbdrv.ScalarFuncConfig{InputTypeInfos: []duckdbdrv.TypeInfo{i, b}, ResultTypeInfo: b, Volatile: true}
}

func (u signalUDF) Executor() duckdbdrv.ScalarFuncExecutor {
	return duckdbdrv.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		pid, _ := values[0].(int64)
		terminate, _ := values[1].(bool)
		f := u.e.signaller.Load()
		if f == nil || pid <= 0 || pid > 1<<32-1 {
			return false, nil
		}
		return (*f)(uint32(pid), terminate), nil
	}}
}

// registerFunctions adds featurehouse's scalar functions to the database.
func (e *Engine) registerFunctions(ctx context.Context) error {
	c, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := duckdbdrv.RegisterScalarUDF(c, "fh_signal_backend", signalUDF{e}); err != nil {
		return fmt.Errorf("duckdb: register fh_signal_backend: %w", err)
	}
	return nil
}
