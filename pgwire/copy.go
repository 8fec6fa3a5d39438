package pgwire

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// runCopyIn runs the COPY FROM STDIN sub-protocol: CopyInResponse, then
// CopyData until CopyDone (store) or CopyFail (discard). Works the same
// under the simple and the extended protocol.
func (c *conn) runCopyIn(ctx context.Context, r CopyInResult) *pgerror.Error {
	format := byte(0)
	if r.Binary() {
		format = 1
	}
	codes := make([]uint16, max(r.NumColumns(), 0))
	for i := range codes {
		codes[i] = uint16(format)
	}
	c.w.send(&pgproto3.CopyInResponse{OverallFormat: format, ColumnFormatCodes: codes})
	c.copyIn = r
	defer func() { c.copyIn = nil }()
	if err := c.w.flush(); err != nil {
		r.Fail(context.WithoutCancel(ctx), "connection lost")
		return statementError(ctx, err)
	}
	// A cancel (CancelRequest, shutdown's grace over, the client gone) must
	// end a read that waits for data.
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetReadDeadline(time.Now()) })
	defer func() {
		if stop() && !c.srv.shuttingDown() {
			_ = c.nc.SetReadDeadline(time.Time{})
		}
	}()
	for {
		if c.br.Buffered() == 0 {
			if err := c.w.flush(); err != nil {
				r.Fail(context.WithoutCancel(ctx), "connection lost")
				return statementError(ctx, err)
			}
		}
		m, err := c.readFrame()
		var partial *partialRead
		if err != nil && ctx.Err() == nil && errors.Is(err, os.ErrDeadlineExceeded) && !errors.As(err, &partial) && c.srv.shuttingDown() {
			// Shutdown woke every reader; a COPY goes on during the grace.
			_ = c.nc.SetReadDeadline(time.Time{})
			if ctx.Err() != nil {
				_ = c.nc.SetReadDeadline(time.Now())
			}
			continue
		}
		if err != nil && ctx.Err() != nil {
			// Cancelled while waiting for data.
			reason := "canceled"
			if context.Cause(ctx) == errClientGone {
				reason = "connection lost"
			}
			r.Fail(context.WithoutCancel(ctx), reason)
			return statementError(ctx, ctx.Err())
		}
		if err != nil {
			c.logReadError(err)
			m = inMsg{eof: true}
		}
		switch {
		case m.eof:
			r.Fail(context.WithoutCancel(ctx), "connection lost")
			return fatal(errProtocol("unexpected EOF on client connection with an open transaction"))
		case m.err != nil:
			r.Fail(context.WithoutCancel(ctx), m.err.Message)
			return m.err
		}
		switch m.typ {
		case 'd':
			// m.body is not reused by the reader: Write may keep it.
			if err := r.Write(ctx, m.body); err != nil {
				r.Fail(context.WithoutCancel(ctx), err.Error())
				return statementError(ctx, err)
			}
		case 'c':
			tag, err := r.Done(ctx)
			if err != nil {
				return statementError(ctx, err)
			}
			c.commandComplete(tag)
			return nil
		case 'f':
			var f pgproto3.CopyFail
			if err := f.Decode(m.body); err != nil {
				r.Fail(context.WithoutCancel(ctx), "invalid CopyFail message")
				return errProtocol("invalid message format")
			}
			r.Fail(context.WithoutCancel(ctx), f.Message)
			return pgerror.New(pgerror.QueryCanceled, "COPY from stdin failed: %s", f.Message)
		case 'H', 'S':
			// Ignored during COPY, as PostgreSQL does: libpq pipelines a Sync
			// behind an extended-protocol COPY before it knows it is one.
		case 'X':
			r.Fail(context.WithoutCancel(ctx), "connection closed by client")
			return fatal(errProtocol("terminating connection during COPY from stdin"))
		default:
			r.Fail(context.WithoutCancel(ctx), "unexpected message")
			return errProtocol("unexpected message type 0x%02X during COPY from stdin", m.typ)
		}
	}
}

// runCopyOut runs COPY TO STDOUT: CopyOutResponse, CopyData per chunk,
// CopyDone, CommandComplete.
func (c *conn) runCopyOut(ctx context.Context, r CopyOutResult) *pgerror.Error {
	defer func() {
		if err := r.Close(); err != nil {
			c.log.Warn("pgwire: closing COPY TO result", "pid", c.pid, "err", err)
		}
	}()
	format := byte(0)
	if r.Binary() {
		format = 1
	}
	codes := make([]uint16, max(r.NumColumns(), 0))
	for i := range codes {
		codes[i] = uint16(format)
	}
	c.w.send(&pgproto3.CopyOutResponse{OverallFormat: format, ColumnFormatCodes: codes})
	for {
		data, err := r.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return statementError(ctx, err)
		}
		c.w.copyData(data)
		if err := c.w.failed(); err != nil {
			return statementError(ctx, err)
		}
	}
	c.w.send(&pgproto3.CopyDone{})
	c.commandComplete(r.Tag())
	return nil
}

// copyData queues one CopyData message without an intermediate copy.
func (w *writer) copyData(data []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	n := len(data) + 4
	w.buf = append(w.buf, 'd', byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	w.buf = append(w.buf, data...)
	if len(w.buf) >= flushThreshold {
		w.flushLocked()
	}
}
