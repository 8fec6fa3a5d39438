package duckdb

import (
	"context"
	"database/sql/driver"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// fh_signal_backend(pid, terminate, caller) is the scalar function behind
// PostgreSQL's pg_cancel_backend / pg_terminate_backend (the planner
// rewrites those to it, with the calling session's pid): it asks the
// server (SetBackendSignaller) to cancel the statement of, or end,
// another connection, and answers whether the connection exists. The
// signaller decides whether caller may; its refusal reaches the client
// with its SQLSTATE (udfError).

// BackendSignaller cancels (or with terminate ends) connection pid for
// session caller; it reports whether pid exists, or why caller may not.
type BackendSignaller func(caller, pid uint32, terminate bool) (bool, error)

// SetBackendSignaller installs what fh_signal_backend calls.
func (e *Engine) SetBackendSignaller(f BackendSignaller) { e.signaller.Store(&f) }

type signalUDF struct{ e *Engine }

func (u signalUDF) Config() duckdbdrv.ScalarFuncConfig {
	i, _ := duckdbdrv.NewTypeInfo(duckdbdrv.TYPE_BIGINT)
	b, _ := duckdbdrv.NewTypeInfo(duckdbdrv.TYPE_BOOLEAN)
	return duckdbdrv.ScalarFuncConfig{InputTypeInfos: []duckdbdrv.TypeInfo{i, b, i}, ResultTypeInfo: b, Volatile: true}
}

func (u signalUDF) Executor() duckdbdrv.ScalarFuncExecutor {
	return duckdbdrv.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		pid, _ := values[0].(int64)
		terminate, _ := values[1].(bool)
		caller, _ := values[2].(int64)
		f := u.e.signaller.Load()
		if f == nil || caller <= 0 || caller > 1<<32-1 {
			return false, nil
		}
		if pid <= 0 || pid > 1<<32-1 {
			pid = 0 // no such backend: the signaller warns as PostgreSQL does
		}
		ok, err := (*f)(uint32(caller), uint32(pid), terminate)
		if err != nil {
			return nil, udfError(err)
		}
		return ok, nil
	}}
}

// A Go error returned from a scalar function reaches TranslateError only
// as DuckDB's message text. udfError keeps the *pgerror.Error aside and
// tags the text with its number, so that TranslateError gives the client
// the original code, message and detail.
var (
	udfErrors   sync.Map // int64 → *pgerror.Error
	udfErrorSeq atomic.Int64
	reUDFError  = regexp.MustCompile(`\(fh-error (\d+)\)`)
)

func udfError(err error) error {
	pe, ok := pgerror.As(err)
	if !ok {
		return err
	}
	n := udfErrorSeq.Add(1)
	udfErrors.Store(n, pe)
	udfErrors.Delete(n - 1000) // one never translated does not stay for ever
	return fmt.Errorf("%s (fh-error %d)", pe.Message, n)
}

// takeUDFError returns the error udfError kept for msg, if any.
func takeUDFError(msg string) (*pgerror.Error, bool) {
	m := reUDFError.FindStringSubmatch(msg)
	if m == nil {
		return nil, false
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	v, ok := udfErrors.LoadAndDelete(n)
	if !ok {
		return nil, false
	}
	return v.(*pgerror.Error), true
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
