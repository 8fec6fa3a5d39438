package pgwire

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// prepared is a named (or the unnamed) prepared statement. Portals keep a
// reference, so closing the statement while a portal runs is safe, as in
// PostgreSQL; the Statement is closed when the last reference goes.
type prepared struct {
	name string
	stmt Statement
	refs int
}

// portal is a bound statement. Its context lives until the portal is
// closed, because a suspended RowResult keeps streaming under it.
type portal struct {
	name    string
	ps      *prepared
	args    []any
	formats []int16 // result format codes as Bind gave them
	ctx     context.Context
	cancel  context.CancelCauseFunc

	started bool
	rows    RowResult // open while suspended
	enc     *rowEncoder
	done    bool
	// selectDone: the portal returned rows to the end; running it again
	// returns no rows (PostgreSQL reads on from the end).
	selectDone bool
	tag        string
	closed     bool
}

func (p *portal) columns() []types.Column {
	if p.rows != nil {
		return p.rows.Columns()
	}
	return p.ps.stmt.Columns()
}

func errUnknownStatement(name string) *pgerror.Error {
	if name == "" {
		return pgerror.New(pgerror.InvalidSQLStatementName, "unnamed prepared statement does not exist")
	}
	return pgerror.New(pgerror.InvalidSQLStatementName, "prepared statement \"%s\" does not exist", name)
}

func errUnknownPortal(name string) *pgerror.Error {
	if name == "" {
		return pgerror.New(pgerror.InvalidCursorName, "unnamed portal does not exist")
	}
	return pgerror.New(pgerror.InvalidCursorName, "portal \"%s\" does not exist", name)
}

func (c *conn) handleParse(body []byte) *pgerror.Error {
	var m pgproto3.Parse
	if err := m.Decode(body); err != nil {
		return errProtocol("invalid message format")
	}
	if !utf8.ValidString(m.Query) {
		return errInvalidUTF8([]byte(m.Query))
	}
	if m.Name != "" {
		if _, dup := c.stmts[m.Name]; dup {
			return pgerror.New(pgerror.DuplicatePreparedStatement, "prepared statement \"%s\" already exists", m.Name)
		}
	} else if old, ok := c.stmts[""]; ok {
		delete(c.stmts, "")
		c.releaseStmt(old)
	}
	ctx, end := c.beginStatement()
	st, err := c.sess.Prepare(ctx, m.Query, m.ParameterOIDs)
	end()
	if err != nil {
		return statementError(ctx, err)
	}
	if st == nil {
		return pgerror.New(pgerror.InternalError, "backend prepared no statement")
	}
	c.stmts[m.Name] = &prepared{name: m.Name, stmt: st, refs: 1}
	c.w.send(&pgproto3.ParseComplete{})
	return nil
}

func (c *conn) handleBind(body []byte) *pgerror.Error {
	var m pgproto3.Bind
	if err := m.Decode(body); err != nil {
		return errProtocol("invalid message format")
	}
	ps, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return errUnknownStatement(m.PreparedStatement)
	}
	if m.DestinationPortal != "" {
		if _, dup := c.portals[m.DestinationPortal]; dup {
			return pgerror.New(pgerror.DuplicateCursor, "portal \"%s\" already exists", m.DestinationPortal)
		}
	} else if old, ok := c.portals[""]; ok {
		delete(c.portals, "")
		c.closePortal(old)
	}

	paramTypes := ps.stmt.ParamTypes()
	nf, np := len(m.ParameterFormatCodes), len(m.Parameters)
	if nf > 1 && nf != np {
		return errProtocol("bind message has %d parameter formats but %d parameters", nf, np)
	}
	if np != len(paramTypes) {
		return errProtocol("bind message supplies %d parameters, but prepared statement \"%s\" requires %d",
			np, m.PreparedStatement, len(paramTypes))
	}
	args := make([]any, np)
	for i, data := range m.Parameters {
		if data == nil {
			continue // NULL
		}
		var format int16
		switch nf {
		case 0:
		case 1:
			format = m.ParameterFormatCodes[0]
		default:
			format = m.ParameterFormatCodes[i]
		}
		if format != 0 && format != 1 {
			return errProtocol("unsupported format code: %d", format)
		}
		if format == 0 && !utf8.Valid(data) {
			return errInvalidUTF8(data)
		}
		v, err := decodeParam(paramTypes[i], format, data)
		if err != nil {
			return paramError(i, format, err)
		}
		args[i] = v
	}

	if cols := ps.stmt.Columns(); cols != nil {
		bin, perr := resolveFormats(m.ResultFormatCodes, len(cols))
		if perr != nil {
			return perr
		}
		if perr := checkBinary(cols, bin); perr != nil {
			return perr
		}
	} else if _, perr := resolveFormats(m.ResultFormatCodes, len(m.ResultFormatCodes)); perr != nil {
		return perr
	}

	ctx, cancel := context.WithCancelCause(c.ctx)
	ps.refs++
	c.portals[m.DestinationPortal] = &portal{
		name:    m.DestinationPortal,
		ps:      ps,
		args:    args,
		formats: slices.Clone(m.ResultFormatCodes),
		ctx:     ctx,
		cancel:  cancel,
	}
	c.w.send(&pgproto3.BindComplete{})
	return nil
}

// paramError reports a parameter that does not decode; codecs that return
// plain errors get PostgreSQL's codes for bad text or binary input.
func paramError(i int, format int16, err error) *pgerror.Error {
	if pe, ok := pgerror.As(err); ok {
		return pe
	}
	if format == 1 {
		return &pgerror.Error{Severity: "ERROR", Code: pgerror.InvalidBinaryRepresentation, Cause: err,
			Message: "incorrect binary data format in bind parameter " + itoa(i+1)}
	}
	return &pgerror.Error{Severity: "ERROR", Code: pgerror.InvalidTextRepresentation, Cause: err,
		Message: err.Error()}
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[n:])
		}
	}
}

func (c *conn) handleDescribe(body []byte) *pgerror.Error {
	var m pgproto3.Describe
	if err := m.Decode(body); err != nil {
		return errProtocol("invalid message format")
	}
	switch m.ObjectType {
	case 'S':
		ps, ok := c.stmts[m.Name]
		if !ok {
			return errUnknownStatement(m.Name)
		}
		c.w.send(&pgproto3.ParameterDescription{ParameterOIDs: ps.stmt.ParamTypes()})
		if cols := ps.stmt.Columns(); cols != nil {
			c.w.send(rowDescription(cols, nil))
		} else {
			c.w.send(&pgproto3.NoData{})
		}
	case 'P':
		p, ok := c.portals[m.Name]
		if !ok {
			// A cursor DECLAREd in SQL is a portal too (psycopg 3 describes
			// its server-side cursors this way).
			if cs, isCS := c.sess.(CursorSession); isCS && m.Name != "" {
				if cols, found := cs.CursorColumns(context.Background(), m.Name); found {
					c.w.send(rowDescription(cols, nil))
					return nil
				}
			}
			return errUnknownPortal(m.Name)
		}
		cols := p.columns()
		if cols == nil {
			c.w.send(&pgproto3.NoData{})
			return nil
		}
		bin, perr := resolveFormats(p.formats, len(cols))
		if perr != nil {
			return perr
		}
		c.w.send(rowDescription(cols, bin))
	default:
		return errProtocol("invalid DESCRIBE message subtype %d", m.ObjectType)
	}
	return nil
}

func (c *conn) handleExecute(body []byte) *pgerror.Error {
	var m pgproto3.Execute
	if err := m.Decode(body); err != nil {
		return errProtocol("invalid message format")
	}
	p, ok := c.portals[m.Portal]
	if !ok {
		return errUnknownPortal(m.Portal)
	}
	if p.done {
		if p.selectDone {
			verb, _, _ := strings.Cut(p.tag, " ")
			c.commandComplete(verb + " 0")
			return nil
		}
		return pgerror.New(pgerror.ObjectNotInPrerequisiteState, "portal \"%s\" cannot be run", p.name)
	}
	c.setCurrent(p.cancel)
	defer c.setCurrent(nil)

	if !p.started {
		p.started = true
		res, err := p.ps.stmt.Execute(p.ctx, p.args)
		if err != nil {
			perr := statementError(p.ctx, err)
			c.dropPortal(p)
			return perr
		}
		rr, isRows := res.(RowResult)
		if !isRows {
			perr := c.sendResult(p.ctx, res)
			p.done = true
			c.sendParameterChanges()
			if perr != nil {
				c.dropPortal(p)
			}
			return perr
		}
		enc, perr := newRowEncoder(rr.Columns(), p.formats, c.sess.Options())
		if perr != nil {
			c.closeRows(rr)
			c.dropPortal(p)
			return perr
		}
		p.rows, p.enc = rr, enc
	}

	suspended, err := c.sendRows(p.ctx, p.rows, p.enc, int64(m.MaxRows))
	if err != nil {
		perr := statementError(p.ctx, err)
		c.dropPortal(p)
		return perr
	}
	if suspended {
		c.w.send(&pgproto3.PortalSuspended{})
		return nil
	}
	p.tag = p.rows.Tag()
	c.commandComplete(p.tag)
	c.closeRows(p.rows)
	p.rows, p.done, p.selectDone = nil, true, true
	c.sendParameterChanges()
	return nil
}

func (c *conn) handleClose(body []byte) *pgerror.Error {
	var m pgproto3.Close
	if err := m.Decode(body); err != nil {
		return errProtocol("invalid message format")
	}
	switch m.ObjectType {
	case 'S':
		if ps, ok := c.stmts[m.Name]; ok {
			delete(c.stmts, m.Name)
			c.releaseStmt(ps)
		}
	case 'P':
		if p, ok := c.portals[m.Name]; ok {
			c.dropPortal(p)
		}
	default:
		return errProtocol("invalid CLOSE message subtype %d", m.ObjectType)
	}
	c.w.send(&pgproto3.CloseComplete{})
	return nil
}

func (c *conn) handleSync() {
	c.ignoreTillSync = false
	c.endOfTransactionCleanup()
	c.sendReady()
}

// endOfTransactionCleanup closes every portal once no transaction block is
// open: portals live in a transaction, and outside a block each Sync (or
// simple query) ends the implicit one.
func (c *conn) endOfTransactionCleanup() {
	if c.sess.TxStatus() != 'I' {
		return
	}
	for _, p := range c.portals {
		c.dropPortal(p)
	}
}

// dropUnnamed removes the unnamed statement and portal (simple Query).
func (c *conn) dropUnnamed() {
	if p, ok := c.portals[""]; ok {
		c.dropPortal(p)
	}
	if ps, ok := c.stmts[""]; ok {
		delete(c.stmts, "")
		c.releaseStmt(ps)
	}
}

func (c *conn) dropPortal(p *portal) {
	if c.portals[p.name] == p {
		delete(c.portals, p.name)
	}
	c.closePortal(p)
}

func (c *conn) closePortal(p *portal) {
	if p.closed {
		return
	}
	p.closed = true
	if p.rows != nil {
		c.closeRows(p.rows)
		p.rows = nil
	}
	p.cancel(errPortalClosed)
	c.releaseStmt(p.ps)
}

func (c *conn) releaseStmt(ps *prepared) {
	ps.refs--
	if ps.refs > 0 {
		return
	}
	if err := ps.stmt.Close(); err != nil {
		c.log.Warn("pgwire: closing prepared statement", "pid", c.pid, "name", ps.name, "err", err)
	}
}
