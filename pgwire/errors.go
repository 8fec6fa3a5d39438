package pgwire

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Causes with which pgwire cancels a statement's context; they decide what
// the client is told when the statement then fails.
var (
	errUserCancel   = errors.New("pgwire: cancel request")
	errShutdown     = errors.New("pgwire: server shutting down")
	errClientGone   = errors.New("pgwire: client connection lost")
	errPortalClosed = errors.New("pgwire: portal closed")
)

func errQueryCanceled() *pgerror.Error {
	return pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
}

func errAdminShutdown() *pgerror.Error {
	e := pgerror.New(pgerror.AdminShutdown, "terminating connection due to administrator command")
	e.Severity = "FATAL"
	return e
}

func errProtocol(format string, args ...any) *pgerror.Error {
	return pgerror.New(pgerror.ProtocolViolation, format, args...)
}

func fatal(e *pgerror.Error) *pgerror.Error {
	e.Severity = "FATAL"
	return e
}

// errInvalidUTF8 is PostgreSQL's message for bytes that are not UTF-8,
// naming the first offending byte sequence as it does.
func errInvalidUTF8(s []byte) *pgerror.Error {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		i += n
	}
	end := min(i+2, len(s))
	hex := ""
	for j := i; j < end; j++ {
		if j > i {
			hex += " "
		}
		hex += fmt.Sprintf("0x%02x", s[j])
	}
	return pgerror.New(pgerror.CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": %s", hex)
}

// statementError turns what a statement returned into the error the client
// sees. A statement cancelled by pgwire may fail with a bare context error
// or an internal one; the cancel's cause is what the client must be told.
func statementError(ctx context.Context, err error) *pgerror.Error {
	pe, isPG := pgerror.As(err)
	if ctx.Err() != nil {
		switch context.Cause(ctx) {
		case errShutdown:
			return errAdminShutdown()
		case errClientGone:
			return fatal(pgerror.New(pgerror.ConnectionFailure, "client connection lost"))
		case errUserCancel:
			if !isPG || pe.Code == pgerror.InternalError {
				return errQueryCanceled()
			}
		}
	}
	if !isPG {
		return pgerror.Wrap(err)
	}
	return pe
}

// severity normalises an error's severity for an ErrorResponse.
func errorSeverity(e *pgerror.Error) string {
	switch e.Severity {
	case "FATAL", "PANIC":
		return e.Severity
	}
	return "ERROR"
}

func noticeSeverity(e *pgerror.Error) string {
	switch e.Severity {
	case "WARNING", "NOTICE", "INFO", "DEBUG", "LOG":
		return e.Severity
	}
	return "NOTICE"
}

func isFatal(e *pgerror.Error) bool {
	s := errorSeverity(e)
	return s == "FATAL" || s == "PANIC"
}

// errorResponse builds the ErrorResponse fields S V C M D H P W.
func errorResponse(e *pgerror.Error, severity, defaultCode string) pgproto3.ErrorResponse {
	code := e.Code
	if code == "" {
		code = defaultCode
	}
	return pgproto3.ErrorResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                code,
		Message:             e.Message,
		Detail:              e.Detail,
		Hint:                e.Hint,
		Position:            int32(e.Position),
		Where:               e.Where,
	}
}

// sendError queues an ErrorResponse and logs what the client does not see.
func (c *conn) sendError(e *pgerror.Error) {
	sev := errorSeverity(e)
	msg := errorResponse(e, sev, pgerror.InternalError)
	if msg.Code == pgerror.InternalError {
		c.log.Warn("pgwire: internal error", "pid", c.pid, "msg", e.Message, "cause", e.Cause)
	}
	c.w.send(&msg)
}

// notify sends a NoticeResponse at once; StartupInfo.Notify. Safe from any
// goroutine.
func (c *conn) notify(e *pgerror.Error) {
	if e == nil {
		return
	}
	msg := pgproto3.NoticeResponse(errorResponse(e, noticeSeverity(e), pgerror.SuccessfulCompletion))
	c.w.send(&msg)
	_ = c.w.flush()
}
