package pgwire

import (
	"context"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// handleQuery runs a simple-protocol Query: every statement of the text in
// turn, stopping at the first error, then ReadyForQuery. False closes the
// connection (a FATAL error).
func (c *conn) handleQuery(body []byte) bool {
	var q pgproto3.Query
	if err := q.Decode(body); err != nil {
		c.sendError(errProtocol("invalid message format"))
		c.sendReady()
		return true
	}
	// As PostgreSQL, a simple query drops the unnamed statement and portal.
	c.dropUnnamed()

	if perr := c.simpleQuery(q.String); perr != nil {
		c.sendError(perr)
		if isFatal(perr) {
			return false
		}
	}
	c.sendParameterChanges()
	c.endOfTransactionCleanup()
	c.sendReady()
	return true
}

func (c *conn) simpleQuery(text string) *pgerror.Error {
	if !utf8.ValidString(text) {
		return errInvalidUTF8([]byte(text))
	}
	ctx, end := c.beginStatement()
	stmts, err := c.sess.Parse(ctx, text)
	end()
	if err != nil {
		return statementError(ctx, err)
	}
	defer func() {
		for _, st := range stmts {
			if err := st.Close(); err != nil {
				c.log.Warn("pgwire: closing statement", "pid", c.pid, "err", err)
			}
		}
	}()
	if len(stmts) == 0 {
		c.w.send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	for _, st := range stmts {
		perr := c.runSimple(st)
		if perr != nil {
			return perr
		}
		c.sendParameterChanges()
		if c.w.failed() != nil {
			return nil
		}
	}
	return nil
}

// runSimple executes one statement of a simple query and sends its result.
func (c *conn) runSimple(st Statement) *pgerror.Error {
	ctx, end := c.beginStatement()
	defer end()
	res, err := st.Execute(ctx, nil)
	if err != nil {
		return statementError(ctx, err)
	}
	return c.sendResult(ctx, res)
}

// sendResult sends a whole result of the simple protocol: rows in text,
// described by a RowDescription first.
func (c *conn) sendResult(ctx context.Context, res Result) *pgerror.Error {
	switch r := res.(type) {
	case *CommandResult:
		c.sendCommand(r)
		return nil
	case CommandResult:
		c.sendCommand(&r)
		return nil
	case RowResult:
		defer c.closeRows(r)
		enc, perr := newRowEncoder(r.Columns(), nil, c.sess.Options())
		if perr != nil {
			return perr
		}
		c.w.send(rowDescription(enc.cols, nil))
		if _, err := c.sendRows(ctx, r, enc, 0); err != nil {
			return statementError(ctx, err)
		}
		c.commandComplete(r.Tag())
		return nil
	case CopyInResult:
		return c.runCopyIn(ctx, r)
	case CopyOutResult:
		return c.runCopyOut(ctx, r)
	}
	return pgerror.New(pgerror.InternalError, "statement returned an unexpected result type %T", res)
}

func (c *conn) sendCommand(r *CommandResult) {
	if r == nil {
		c.commandComplete("")
		return
	}
	if r.Empty {
		c.w.send(&pgproto3.EmptyQueryResponse{})
		return
	}
	c.deallocate(r.Deallocate)
	c.commandComplete(r.Tag)
}

func (c *conn) closeRows(r RowResult) {
	if err := r.Close(); err != nil {
		c.log.Warn("pgwire: closing result", "pid", c.pid, "err", err)
	}
}

// deallocate forgets named prepared statements after DEALLOCATE (name,
// or "*" for ALL); the unnamed statement and portals stay, as in
// PostgreSQL.
func (c *conn) deallocate(name string) {
	switch name {
	case "":
	case "*":
		for n, ps := range c.stmts {
			if n != "" {
				delete(c.stmts, n)
				c.releaseStmt(ps)
			}
		}
	default:
		if ps, ok := c.stmts[name]; ok {
			delete(c.stmts, name)
			c.releaseStmt(ps)
		}
	}
}
