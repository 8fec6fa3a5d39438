package planner

import (
	"fmt"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// pg_cancel_backend and pg_terminate_backend are rewritten to
// fh_signal_backend(pid, terminate, caller pid) (pgcatalog_rewrite.go);
// DuckDB calls SignalBackend, which checks as PostgreSQL 15's
// signalfuncs.c does, for the caller's current role when the call runs:
// only superusers may signal a backend whose login role is a superuser;
// others need the privileges of that login role or of pg_signal_backend.

// SetConnectionSignaller installs what cancels or ends a connection once
// the check passed (pgwire's Server.SignalBackend); it reports whether
// the connection exists.
func (p *Planner) SetConnectionSignaller(f func(pid uint32, terminate bool) bool) {
	p.signalConn.Store(&f)
}

// SignalBackend is duckdb.BackendSignaller: session caller asks to
// cancel (or end) backend pid. An unknown pid warns and answers false;
// a refusal is 42501 with PostgreSQL 15's message.
func (p *Planner) SignalBackend(caller, pid uint32, terminate bool) (bool, error) {
	v, ok := p.backends.Load(caller)
	if !ok {
		return false, pgerror.New(pgerror.InternalError, "pg_cancel_backend: calling session %d not found", caller)
	}
	cs := v.(*Session)
	tv, ok := p.backends.Load(pid)
	f := p.signalConn.Load()
	if !ok || f == nil {
		cs.notify(&pgerror.Error{Severity: "WARNING", Code: "01000", Message: fmt.Sprintf("PID %d is not a PostgreSQL backend process", pid)})
		return false, nil
	}
	target := tv.(*Session).info.User // PostgreSQL's proc->roleId: the login role
	me, super := cs.currentRole(), cs.isSuperuser()
	if r := p.catalog.Role(target); r != nil && r.Super && !super {
		if terminate {
			return false, pgerror.New(pgerror.InsufficientPrivilege, "must be a superuser to terminate superuser process")
		}
		return false, pgerror.New(pgerror.InsufficientPrivilege, "must be a superuser to cancel superuser query")
	}
	if !super && !p.catalog.IsMemberOf(me, target, true) && !p.catalog.IsMemberOf(me, "pg_signal_backend", true) {
		if terminate {
			return false, pgerror.New(pgerror.InsufficientPrivilege, "must be a member of the role whose process is being terminated or member of pg_signal_backend")
		}
		return false, pgerror.New(pgerror.InsufficientPrivilege, "must be a member of the role whose query is being canceled or member of pg_signal_backend")
	}
	if !(*f)(pid, terminate) {
		cs.notify(&pgerror.Error{Severity: "WARNING", Code: "01000", Message: fmt.Sprintf("PID %d is not a PostgreSQL backend process", pid)})
		return false, nil
	}
	return true, nil
}
