package main

import (
	"context"
	"net"
	"time"

	"github.com/featurehouse/featurehouse/pgwire"
	"github.com/featurehouse/featurehouse/planner"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// backend adapts the planner to pgwire.Backend (pgwire never imports the
// planner) and counts what the metrics report.
type backend struct {
	p *planner.Planner
	m *metrics
}

func (b *backend) NewSession(ctx context.Context, info pgwire.StartupInfo) (pgwire.Session, error) {
	addr := ""
	if info.RemoteAddr != nil {
		addr = info.RemoteAddr.String()
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
	}
	s, err := b.p.NewSession(ctx, planner.SessionInfo{
		User: info.User, Database: info.Database, Params: info.Params, RemoteAddr: addr, Notify: info.Notify,
		ProcessID: info.ProcessID,
	})
	if err != nil {
		return nil, err
	}
	b.m.sessions.Inc()
	return &session{s: s, m: b.m}, nil
}

type session struct {
	s *planner.Session
	m *metrics
}

func (s *session) Parse(ctx context.Context, text string) ([]pgwire.Statement, error) {
	stmts, err := s.s.Parse(ctx, text)
	if err != nil {
		s.m.statementErrors.WithLabelValues(pgerror.CodeOf(err)).Inc()
		return nil, err
	}
	out := make([]pgwire.Statement, len(stmts))
	for i, st := range stmts {
		out[i] = &statement{st: st, m: s.m}
	}
	return out, nil
}

func (s *session) Prepare(ctx context.Context, text string, paramTypes []uint32) (pgwire.Statement, error) {
	st, err := s.s.Prepare(ctx, text, paramTypes)
	if err != nil {
		s.m.statementErrors.WithLabelValues(pgerror.CodeOf(err)).Inc()
		return nil, err
	}
	return &statement{st: st, m: s.m}, nil
}

func (s *session) CursorColumns(ctx context.Context, name string) ([]types.Column, bool) {
	return s.s.CursorColumns(ctx, name)
}
func (s *session) TxStatus() byte               { return s.s.TxStatus() }
func (s *session) ParameterStatus() [][2]string { return s.s.ParameterStatus() }
func (s *session) Options() types.Options       { return s.s.Options() }
func (s *session) Close() error                 { s.m.sessions.Dec(); return s.s.Close() }

type statement struct {
	st *planner.Statement
	m  *metrics
}

func (st *statement) ParamTypes() []uint32    { return st.st.ParamTypes() }
func (st *statement) Columns() []types.Column { return st.st.Columns() }
func (st *statement) Close() error            { return st.st.Close() }

func (st *statement) Execute(ctx context.Context, args []any) (pgwire.Result, error) {
	start := time.Now()
	res, err := st.st.Execute(ctx, args)
	st.m.statementSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		st.m.statementErrors.WithLabelValues(pgerror.CodeOf(err)).Inc()
		return nil, err
	}
	st.m.statements.Inc()
	if c, ok := res.(*planner.CommandResult); ok {
		return &pgwire.CommandResult{Tag: c.Tag, Empty: c.Empty, Deallocate: c.Deallocate}, nil
	}
	return res, nil
}
