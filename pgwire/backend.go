package pgwire

import (
	"context"
	"net"

	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// Backend opens sessions. The planner implements it; pgwire never imports the
// planner (cmd wires the two together).
type Backend interface {
	// NewSession checks the startup packet (user, database, options) and opens a
	// session. A *pgerror.Error is sent to the client as a FATAL ErrorResponse
	// (e.g. 3D000 for an unknown database).
	NewSession(ctx context.Context, info StartupInfo) (Session, error)
}

// StartupInfo is what the client said in its StartupMessage.
type StartupInfo struct {
	User       string
	Database   string
	Params     map[string]string // every startup parameter, "options" included
	RemoteAddr net.Addr
	ProcessID  uint32
	// Notify delivers a NoticeResponse to the client at any time during a
	// statement (severity NOTICE/WARNING/INFO, from *pgerror.Error).
	Notify func(*pgerror.Error)
	// TLS reports an encrypted connection.
	TLS bool
}

// Session is one client connection's server-side state: its DuckDB connection,
// transaction, session parameters.
type Session interface {
	// Parse splits text into statements and prepares each (simple query).
	// A syntax error anywhere fails the whole text before anything runs, as in
	// PostgreSQL. An empty text yields no statements.
	Parse(ctx context.Context, text string) ([]Statement, error)
	// Prepare prepares exactly one statement (extended protocol Parse).
	// paramTypes are the OIDs the client declared (0 = let the server infer).
	Prepare(ctx context.Context, text string, paramTypes []uint32) (Statement, error)
	// TxStatus is the ReadyForQuery status: 'I' idle, 'T' in a transaction
	// block, 'E' in a failed transaction block.
	TxStatus() byte
	// ParameterStatus returns the reportable parameters whose values changed
	// since the last call (all of them on the first call), for ParameterStatus.
	ParameterStatus() [][2]string
	// Options are the settings type output depends on (TimeZone).
	Options() types.Options
	// Close releases the session (rolls back an open transaction).
	Close() error
}

// CursorSession is a Session with SQL cursors (DECLARE ... CURSOR), which
// Describe Portal can name.
type CursorSession interface {
	// CursorColumns describes the rows of the cursor name; found is false
	// when there is none.
	CursorColumns(ctx context.Context, name string) (cols []types.Column, found bool)
}

// Statement is a prepared statement.
type Statement interface {
	// ParamTypes are the parameter OIDs (ParameterDescription).
	ParamTypes() []uint32
	// Columns describes the rows the statement returns; nil when it returns
	// none (NoData).
	Columns() []types.Column
	// Execute runs the statement with decoded parameter values. The result is
	// one of *Rows-like (RowResult), CommandResult, CopyInResult, CopyOutResult.
	// The statement's own failure is returned as error (a *pgerror.Error).
	Execute(ctx context.Context, args []any) (Result, error)
	// Close releases the statement.
	Close() error
}

// Result is what Execute returns: RowResult, *CommandResult, CopyInResult or
// CopyOutResult.
type Result interface{}

// CommandResult is a statement that returns no rows.
type CommandResult struct {
	Tag string // CommandComplete tag, e.g. "INSERT 0 3", "CREATE FEATURE GROUP"
	// Empty means the statement was empty (EmptyQueryResponse).
	Empty bool
	// Deallocate names a prepared statement of the protocol that DEALLOCATE
	// removed ("*": DEALLOCATE ALL), for the connection to forget.
	Deallocate string
}

// RowResult streams rows. Values are as duckdb-go returns them; pgwire
// encodes each with types.AppendText / types.AppendBinary by its column type.
type RowResult interface {
	Columns() []types.Column
	// Next returns the next row, or (nil, io.EOF) after the last one. The row
	// slice may be reused by the next call, and its values may be valid only
	// until then (planner's borrow DuckDB's memory): encode, never keep.
	Next(ctx context.Context) ([]any, error)
	// Tag is the CommandComplete tag once Next returned io.EOF ("SELECT 10").
	Tag() string
	Close() error
}

// CopyInResult receives COPY FROM STDIN data.
type CopyInResult interface {
	// Binary reports FORMAT binary (CopyInResponse overall format 1).
	Binary() bool
	NumColumns() int
	// Write receives one CopyData payload (any split of the stream).
	Write(ctx context.Context, data []byte) error
	// Done is called at CopyDone; it stores the rows (all or none) and
	// returns the tag ("COPY 3").
	Done(ctx context.Context) (string, error)
	// Fail is called at CopyFail or when the connection drops; nothing is stored.
	Fail(ctx context.Context, reason string)
}

// CopyOutResult produces COPY TO STDOUT data.
type CopyOutResult interface {
	Binary() bool
	NumColumns() int
	// Next returns the next CopyData payload or io.EOF.
	Next(ctx context.Context) ([]byte, error)
	Tag() string
	Close() error
}
