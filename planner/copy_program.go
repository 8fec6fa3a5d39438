package planner

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/duckdb"
	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// COPY ... TO/FROM PROGRAM 'command' (superusers and members of
// pg_execute_server_program; the lockdown checks that): DuckDB has no
// PROGRAM, so the statement runs as COPY to or from a file in a private
// temporary directory under the data directory, and the command, run by /bin/sh -c as PostgreSQL
// does, reads that file on its standard input (TO) or writes it from its
// standard output (FROM). The data is spooled, not streamed.

// copyProgramPlan runs inner (the COPY with the file in place of the
// program) and the command around it.
type copyProgramPlan struct {
	inner   plan
	command string
	from    bool
	dir     string // temporary directory, removed by close
	file    string
}

func (s *Session) copyProgramPlan(ctx context.Context, q *sql.Query, cs *pg_query.CopyStmt) (plan, error) {
	toks, err := pg_query.Scan(q.Original)
	if err != nil {
		return nil, err
	}
	start, end := -1, -1
	for i, t := range toks.Tokens {
		if t.Token == pg_query.Token_PROGRAM && i+1 < len(toks.Tokens) && toks.Tokens[i+1].Token == pg_query.Token_SCONST {
			start, end = int(t.Start), int(toks.Tokens[i+1].End)
			break
		}
	}
	if start < 0 {
		return nil, pgerror.New(pgerror.SyntaxError, "COPY PROGRAM needs the command as a string constant")
	}
	// Under the data directory: DuckDB's sandbox (--sandbox) allows it.
	dir, err := os.MkdirTemp(filepath.Join(s.p.engine.DataDir(), "tmp"), "copy-program-")
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "data")
	text := q.Original[:start] + duckdb.QuoteString(file) + q.Original[end:]
	st, err := sql.ParseOne(text)
	fq, ok := st.(*sql.Query)
	if err != nil || !ok {
		_ = os.RemoveAll(dir)
		if err == nil {
			err = pgerror.New(pgerror.InternalError, "COPY PROGRAM: unexpected statement after rewrite")
		}
		return nil, err
	}
	if err := s.protectSystemObjects(&pg_query.Node{Node: &pg_query.Node_CopyStmt{CopyStmt: cs}}); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	inner, err := s.duckdbPlan(ctx, fq, nil)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &copyProgramPlan{inner: inner, command: cs.Filename, from: cs.IsFrom, dir: dir, file: file}, nil
}

// describe answers without DuckDB, which would look for the file: COPY
// takes no parameters and returns no rows.
func (p *copyProgramPlan) describe(context.Context) ([]uint32, []types.Column, error) {
	return nil, nil, nil
}

func (p *copyProgramPlan) close() {
	p.inner.close()
	_ = os.RemoveAll(p.dir)
}

func (p *copyProgramPlan) execute(ctx context.Context, args []any) (any, error) {
	defer os.Remove(p.file)
	if p.from {
		out, err := os.Create(p.file)
		if err != nil {
			return nil, err
		}
		err = p.run(ctx, nil, out)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		return p.inner.execute(ctx, args)
	}
	res, err := p.inner.execute(ctx, args)
	if err != nil {
		return nil, err
	}
	in, err := os.Open(p.file)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	if err := p.run(ctx, in, nil); err != nil {
		return nil, err
	}
	return res, nil
}

// run runs the command; a failure is PostgreSQL's 38000 "program failed".
func (p *copyProgramPlan) run(ctx context.Context, stdin *os.File, stdout *os.File) error {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", p.command)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	if stdout != nil {
		cmd.Stdout = stdout
	}
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	detail := err.Error()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		detail = "child process exited with exit code " + strings.TrimPrefix(ee.Error(), "exit status ")
	}
	return pgerror.New("38000", "program \"%s\" failed", p.command).WithDetail("%s", detail)
}
