package duckdb

import (
	"context"
	"database/sql/driver"
	"fmt"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"
)

// fh_privilege(role, kind, object, column, privileges) is the scalar
// function behind PostgreSQL's has_table_privilege, has_column_privilege,
// has_schema_privilege, has_database_privilege, has_any_column_privilege
// and pg_has_role (pgcatalog.sql's macros call it): it asks the planner
// (SetPrivilegeChecker), which owns the privilege rules. NULL when the
// object is unknown, as PostgreSQL answers for an OID that names nothing.

// PrivilegeChecker answers whether role holds any of privileges on the
// object; ok is false for an unknown object or role.
type PrivilegeChecker func(role, kind, object, column, privileges string) (has, ok bool)

// SetPrivilegeChecker installs what fh_privilege calls.
func (e *Engine) SetPrivilegeChecker(f PrivilegeChecker) { e.privChecker.Store(&f) }

type privilegeUDF struct{ e *Engine }

func (u privilegeUDF) Config() duckdbdrv.ScalarFuncConfig {
	v, _ := duckdbdrv.NewTypeInfo(duckdbdrv.TYPE_VARCHAR)
	b, _ := duckdbdrv.NewTypeInfo(duckdbdrv.TYPE_BOOLEAN)
	return duckdbdrv.ScalarFuncConfig{InputTypeInfos: []duckdbdrv.TypeInfo{v, v, v, v, v}, ResultTypeInfo: b,
		Volatile: true, SpecialNullHandling: true}
}

func (u privilegeUDF) Executor() duckdbdrv.ScalarFuncExecutor {
	return duckdbdrv.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		args := make([]string, 5)
		for i, v := range values {
			s, ok := v.(string)
			if !ok && i != 3 {
				return nil, nil
			}
			args[i] = s
		}
		f := u.e.privChecker.Load()
		if f == nil {
			return nil, nil
		}
		has, ok := (*f)(args[0], args[1], args[2], args[3], args[4])
		if !ok {
			return nil, nil
		}
		return has, nil
	}}
}

func (e *Engine) registerPrivilegeFunction(ctx context.Context) error {
	c, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := duckdbdrv.RegisterScalarUDF(c, "fh_privilege", privilegeUDF{e}); err != nil {
		return fmt.Errorf("duckdb: register fh_privilege: %w", err)
	}
	return nil
}
