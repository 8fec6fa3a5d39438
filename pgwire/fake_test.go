package pgwire

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// fakeBackend is an in-memory Backend whose statements are a tiny command
// language (see fakeStatement.Execute), so that every protocol path can be
// driven by real clients without the planner.
type fakeBackend struct {
	mu           sync.Mutex
	infos        []StartupInfo
	copied       []byte   // COPY IN data accepted by Done
	copyFails    []string // reasons given to CopyInResult.Fail
	sleepEnded   chan error
	sleepStarted chan struct{}
	// fuzzMode: SLEEP ends after a few milliseconds and PANIC fails
	// instead, so random input neither stalls nor trips the panic check.
	fuzzMode    bool
	openStmts   atomic.Int64
	openRows    atomic.Int64
	openSession atomic.Int64
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{sleepEnded: make(chan error, 16), sleepStarted: make(chan struct{}, 16)}
}

var (
	int8Type = types.Type{OID: 20, Name: "int8", Size: 8, Modifier: -1, DuckDB: "BIGINT"}
	textType = types.Type{OID: 25, Name: "text", Size: -1, Modifier: -1, DuckDB: "VARCHAR"}
	// noBinType is a type sql/types has no binary encoder for.
	noBinType = types.Type{OID: 2249, Name: "record", Size: -1, Modifier: -1, DuckDB: "STRUCT"}
)

func (b *fakeBackend) NewSession(ctx context.Context, info StartupInfo) (Session, error) {
	if info.Database == "nodb" {
		return nil, pgerror.New(pgerror.InvalidCatalogName, "database \"%s\" does not exist", info.Database)
	}
	b.mu.Lock()
	b.infos = append(b.infos, info)
	b.mu.Unlock()
	b.openSession.Add(1)
	return &fakeSession{b: b, info: info, tx: 'I', first: true}, nil
}

type fakeSession struct {
	b       *fakeBackend
	info    StartupInfo
	tx      byte
	first   bool
	changed [][2]string
	closed  bool
}

func (s *fakeSession) Parse(ctx context.Context, text string) ([]Statement, error) {
	if i := strings.Index(text, "SYNTAX"); i >= 0 {
		return nil, pgerror.New(pgerror.SyntaxError, "syntax error at or near \"SYNTAX\"").WithPosition(i + 1)
	}
	var out []Statement
	for _, part := range strings.Split(text, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		st, _ := s.Prepare(ctx, part, nil)
		out = append(out, st)
	}
	return out, nil
}

func (s *fakeSession) Prepare(ctx context.Context, text string, paramTypes []uint32) (Statement, error) {
	if i := strings.Index(text, "SYNTAX"); i >= 0 {
		return nil, pgerror.New(pgerror.SyntaxError, "syntax error at or near \"SYNTAX\"").WithPosition(i + 1)
	}
	f := strings.Fields(text)
	st := &fakeStatement{s: s, words: f}
	if len(f) > 0 && strings.EqualFold(f[0], "ECHO") {
		n := atoiOr(f, 1, 1)
		for i := 0; i < n; i++ {
			oid := uint32(25)
			if i < len(paramTypes) && paramTypes[i] != 0 {
				oid = paramTypes[i]
			}
			st.params = append(st.params, oid)
		}
	}
	s.b.openStmts.Add(1)
	return st, nil
}

func (s *fakeSession) TxStatus() byte { return s.tx }

func (s *fakeSession) ParameterStatus() [][2]string {
	if s.first {
		s.first = false
		return [][2]string{{"server_version", "15.0"}, {"TimeZone", "UTC"}, {"application_name", s.info.Params["application_name"]}}
	}
	out := s.changed
	s.changed = nil
	return out
}

func (s *fakeSession) Options() types.Options { return types.Options{Location: time.UTC} }

func (s *fakeSession) Close() error {
	if !s.closed {
		s.closed = true
		s.b.openSession.Add(-1)
	}
	return nil
}

type fakeStatement struct {
	s      *fakeSession
	words  []string
	params []uint32
	closed bool
}

func atoiOr(f []string, i, def int) int {
	if i < len(f) {
		if n, err := strconv.Atoi(f[i]); err == nil {
			return n
		}
	}
	return def
}

func (st *fakeStatement) verb() string {
	if len(st.words) == 0 {
		return ""
	}
	return strings.ToUpper(st.words[0])
}

func (st *fakeStatement) ParamTypes() []uint32 { return st.params }

func (st *fakeStatement) Columns() []types.Column {
	switch st.verb() {
	case "SELECT", "ROWSERR", "STREAM":
		return []types.Column{{Name: "n", Type: int8Type}, {Name: "s", Type: textType}}
	case "ECHO":
		cols := make([]types.Column, len(st.params))
		for i, oid := range st.params {
			t := textType
			if oid == 20 {
				t = int8Type
			}
			cols[i] = types.Column{Name: fmt.Sprintf("p%d", i+1), Type: t}
		}
		return cols
	case "RECORD":
		return []types.Column{{Name: "r", Type: noBinType}}
	}
	return nil
}

func (st *fakeStatement) Close() error {
	if st.closed {
		panic("statement closed twice")
	}
	st.closed = true
	st.s.b.openStmts.Add(-1)
	return nil
}

// Execute runs the fake command language:
//
//	SELECT n        n rows (i, "row i")
//	ROWSERR n       n rows, then 22012
//	STREAM          rows until the context ends
//	ECHO k          one row of its k parameters
//	RECORD          one text value of a type without binary output
//	SLEEP           blocks until the context ends; reports it on sleepEnded
//	SLEEPMS ms      sleeps, then "SLEEP"
//	ERROR code      fails with code
//	FATALERR        fails with a FATAL error
//	NOTICE          sends a notice from inside Execute, then "DO"
//	BEGIN, COMMIT   transaction status T / I
//	SET k v         a parameter change reported by ParameterStatus
//	COPYIN          COPY FROM STDIN sink (COPYIN BINARY for format 1)
//	COPYOUT n       COPY TO STDOUT of n lines
//	PANIC           panics
//	EMPTY           empty statement
//	anything else   a command with tag "OK"
func (st *fakeStatement) Execute(ctx context.Context, args []any) (Result, error) {
	b := st.s.b
	switch st.verb() {
	case "SELECT", "ROWSERR":
		b.openRows.Add(1)
		return &fakeRows{b: b, cols: st.Columns(), n: atoiOr(st.words, 1, 1), errAtEnd: st.verb() == "ROWSERR"}, nil
	case "STREAM":
		b.openRows.Add(1)
		if b.fuzzMode {
			return &fakeRows{b: b, cols: st.Columns(), n: 100}, nil
		}
		return &fakeRows{b: b, cols: st.Columns(), n: -1}, nil
	case "ECHO":
		row := make([]any, len(args))
		copy(row, args)
		b.openRows.Add(1)
		return &fakeRows{b: b, cols: st.Columns(), n: 1, fixed: row}, nil
	case "RECORD":
		b.openRows.Add(1)
		return &fakeRows{b: b, cols: st.Columns(), n: 1, fixed: []any{"(1,2)"}}, nil
	case "SLEEP":
		if b.fuzzMode {
			select {
			case <-time.After(5 * time.Millisecond):
				return &CommandResult{Tag: "SLEEP"}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		b.sleepStarted <- struct{}{}
		<-ctx.Done()
		b.sleepEnded <- context.Cause(ctx)
		return nil, ctx.Err()
	case "SLEEPMS":
		select {
		case <-time.After(time.Duration(atoiOr(st.words, 1, 100)) * time.Millisecond):
			return &CommandResult{Tag: "SLEEP"}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	case "ERROR":
		code := "XX000"
		if len(st.words) > 1 {
			code = st.words[1]
		}
		return nil, pgerror.New(code, "fake error %s", code).WithDetail("some detail").WithHint("some hint")
	case "FATALERR":
		e := pgerror.New(pgerror.AdminShutdown, "fatal fake error")
		e.Severity = "FATAL"
		return nil, e
	case "NOTICE":
		st.s.info.Notify(pgerror.Notice("hello from notice"))
		w := &pgerror.Error{Severity: "WARNING", Code: pgerror.Warning, Message: "careful"}
		st.s.info.Notify(w)
		return &CommandResult{Tag: "DO"}, nil
	case "BEGIN":
		st.s.tx = 'T'
		return &CommandResult{Tag: "BEGIN"}, nil
	case "COMMIT":
		st.s.tx = 'I'
		return &CommandResult{Tag: "COMMIT"}, nil
	case "SET":
		if len(st.words) >= 3 {
			st.s.changed = append(st.s.changed, [2]string{st.words[1], st.words[2]})
		}
		return &CommandResult{Tag: "SET"}, nil
	case "COPYIN":
		return &fakeCopyIn{b: b, binary: len(st.words) > 1 && strings.EqualFold(st.words[1], "BINARY")}, nil
	case "COPYOUT":
		return &fakeCopyOut{n: atoiOr(st.words, 1, 3)}, nil
	case "PANIC":
		if b.fuzzMode {
			return nil, pgerror.New(pgerror.InternalError, "no panic while fuzzing")
		}
		panic("fake backend panic")
	case "EMPTY", "":
		return &CommandResult{Empty: true}, nil
	}
	return &CommandResult{Tag: "OK"}, nil
}

type fakeRows struct {
	b        *fakeBackend
	cols     []types.Column
	n        int // -1: endless
	i        int
	fixed    []any
	errAtEnd bool
	row      [2]any
	closed   bool
}

func (r *fakeRows) Columns() []types.Column { return r.cols }

func (r *fakeRows) Next(ctx context.Context) ([]any, error) {
	if r.closed {
		panic("Next after Close")
	}
	if r.n >= 0 && r.i >= r.n {
		if r.errAtEnd {
			return nil, pgerror.New(pgerror.DivisionByZero, "division by zero")
		}
		return nil, io.EOF
	}
	if r.n < 0 && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	r.i++
	if r.fixed != nil {
		return r.fixed, nil
	}
	r.row[0] = int64(r.i)
	r.row[1] = "row " + strconv.Itoa(r.i)
	return r.row[:], nil
}

func (r *fakeRows) Tag() string { return "SELECT " + strconv.Itoa(r.i) }

func (r *fakeRows) Close() error {
	if !r.closed {
		r.closed = true
		r.b.openRows.Add(-1)
	}
	return nil
}

type fakeCopyIn struct {
	b      *fakeBackend
	binary bool
	buf    []byte
}

func (c *fakeCopyIn) Binary() bool    { return c.binary }
func (c *fakeCopyIn) NumColumns() int { return 2 }
func (c *fakeCopyIn) Write(ctx context.Context, data []byte) error {
	if strings.Contains(string(data), "BAD") {
		return pgerror.New(pgerror.BadCopyFileFormat, "bad copy data")
	}
	c.buf = append(c.buf, data...)
	return nil
}
func (c *fakeCopyIn) Done(ctx context.Context) (string, error) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	// psql before 18 sends the end-of-data line "\." as data, as real
	// COPY parsers expect.
	c.buf = bytes.TrimSuffix(c.buf, []byte("\\.\n"))
	c.b.copied = append(c.b.copied, c.buf...)
	return fmt.Sprintf("COPY %d", strings.Count(string(c.buf), "\n")), nil
}
func (c *fakeCopyIn) Fail(ctx context.Context, reason string) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	c.b.copyFails = append(c.b.copyFails, reason)
}

type fakeCopyOut struct{ n, i int }

func (c *fakeCopyOut) Binary() bool    { return false }
func (c *fakeCopyOut) NumColumns() int { return 1 }
func (c *fakeCopyOut) Next(ctx context.Context) ([]byte, error) {
	if c.i >= c.n {
		return nil, io.EOF
	}
	c.i++
	return []byte(strconv.Itoa(c.i) + "\n"), nil
}
func (c *fakeCopyOut) Tag() string  { return "COPY " + strconv.Itoa(c.n) }
func (c *fakeCopyOut) Close() error { return nil }

func (b *fakeBackend) copyState() (string, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.copied), append([]string(nil), b.copyFails...)
}
