// Package pgerror is the error every featurehouse layer returns to a client:
// a PostgreSQL SQLSTATE with message, detail, hint and a 1-based character
// position for syntax errors. pgwire turns it into an ErrorResponse or a
// NoticeResponse; anything that is not an *Error reaches the client as XX000.
//
// It must not import any other featurehouse package.
package pgerror

import (
	"errors"
	"fmt"
)

// SQLSTATE codes used across featurehouse (PostgreSQL's appendix A names).
const (
	SuccessfulCompletion         = "00000"
	Warning                      = "01000"
	DeprecatedFeature            = "01P01"
	FeatureNotSupported          = "0A000"
	InvalidTransactionState      = "25000"
	ActiveSQLTransaction         = "25001"
	NoActiveSQLTransaction       = "25P01"
	InFailedSQLTransaction       = "25P02"
	SyntaxError                  = "42601"
	ReservedName                 = "42939"
	ObjectInUse                  = "55006"
	UndefinedTable               = "42P01"
	UndefinedColumn              = "42703"
	UndefinedObject              = "42704"
	UndefinedFunction            = "42883"
	UndefinedParameter           = "42P02"
	DuplicateTable               = "42P07"
	DuplicateObject              = "42710"
	DuplicateColumn              = "42701"
	DuplicateSchema              = "42P06"
	InvalidSchemaName            = "3F000"
	InvalidCatalogName           = "3D000"
	InvalidParameterValue        = "22023"
	InvalidTextRepresentation    = "22P02"
	InvalidDatetimeFormat        = "22007"
	DatetimeFieldOverflow        = "22008"
	NumericValueOutOfRange       = "22003"
	DivisionByZero               = "22012"
	StringDataRightTruncation    = "22001"
	CharacterNotInRepertoire     = "22021"
	InvalidBinaryRepresentation  = "22P03"
	DatatypeMismatch             = "42804"
	CannotCoerce                 = "42846"
	InvalidColumnDefinition      = "42611"
	InvalidTableDefinition       = "42P16"
	WrongObjectType              = "42809"
	DependentObjectsStillExist   = "2BP01"
	NotNullViolation             = "23502"
	CheckViolation               = "23514"
	UniqueViolation              = "23505"
	ForeignKeyViolation          = "23503"
	ObjectNotInPrerequisiteState = "55000"
	QueryCanceled                = "57014"
	AdminShutdown                = "57P01"
	ProtocolViolation            = "08P01"
	InvalidAuthorizationSpec     = "28000"
	InvalidPassword              = "28P01"
	InvalidGrantOperation        = "0LP01"
	InsufficientPrivilege        = "42501"
	ProgramLimitExceeded         = "54000"
	TooManyConnections           = "53300"
	OutOfMemory                  = "53200"
	DiskFull                     = "53100"
	IOError                      = "58030"
	// FDWUnableToEstablishConnection: the online store (a foreign server to
	// us) cannot be reached. Not class 08, which drivers read as "this
	// client connection is broken".
	FDWUnableToEstablishConnection = "HV00N"
	InternalError                  = "XX000"
	DataCorrupted                  = "XX001"
	BadCopyFileFormat              = "22P04"
	InvalidCursorName              = "34000"
	InvalidCursorDefinition        = "42P11"
	InvalidSQLStatementName        = "26000"
	DuplicatePreparedStatement     = "42P05"
	DuplicateCursor                = "42P03"
	UndefinedSchema                = "3F000"
	InvalidRecursion               = "42P19"
	SerializationFailure           = "40001"
	ConnectionFailure              = "08006"
	ConnectionException            = "08000"
	CardinalityViolation           = "21000"
	InvalidEscapeSequence          = "22025"
	NullValueNotAllowed            = "22004"
	ConfigFileError                = "F0000"
	CantChangeRuntimeParam         = "55P02"
	LockNotAvailable               = "55P03"
	InvalidName                    = "42602"
	AmbiguousColumn                = "42702"
	GroupingError                  = "42803"
	InvalidObjectDefinition        = "42P17"
	UntranslatableCharacter        = "22P05"
	InvalidParameterValueInternal  = "22023"
	IndeterminateDatatype          = "42P18"
)

// Error is a PostgreSQL-shaped error or notice.
type Error struct {
	Severity string // ERROR (default), FATAL, WARNING, NOTICE
	Code     string // SQLSTATE
	Message  string
	Detail   string
	Hint     string
	Where    string // PostgreSQL's CONTEXT field (e.g. "COPY g, line 3, column age")
	Position int    // 1-based character position in the statement, 0 when unknown
	Cause    error  // the underlying error, for logs; never sent to clients
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return e.Message + " (" + e.Detail + ")"
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// New makes an ERROR with a code and a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Severity: "ERROR", Code: code, Message: fmt.Sprintf(format, args...)}
}

// Notice makes a NOTICE (sent to the client, does not fail the statement).
func Notice(format string, args ...any) *Error {
	return &Error{Severity: "NOTICE", Code: SuccessfulCompletion, Message: fmt.Sprintf(format, args...)}
}

// WithDetail returns e with Detail set.
func (e *Error) WithDetail(format string, args ...any) *Error {
	e.Detail = fmt.Sprintf(format, args...)
	return e
}

// WithHint returns e with Hint set.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// WithPosition returns e with Position set (1-based characters).
func (e *Error) WithPosition(pos int) *Error {
	e.Position = pos
	return e
}

// As returns err as an *Error when it is one (or wraps one).
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Wrap returns err unchanged when it already is an *Error, else an XX000
// internal error whose message is err's text.
func Wrap(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := As(err); ok {
		return e
	}
	return &Error{Severity: "ERROR", Code: InternalError, Message: err.Error(), Cause: err}
}

// CodeOf returns the SQLSTATE of err ("XX000" for a plain error, "" for nil).
func CodeOf(err error) string {
	if err == nil {
		return ""
	}
	return Wrap(err).Code
}
