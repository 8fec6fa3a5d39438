package duckdb

import (
	"context"
	"errors"
	"regexp"
	"strings"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

var (
	reTableMissing  = regexp.MustCompile(`^(?:Table|View|Table Function|Schema) with name "?([^"!]+?)"? does not exist`)
	reColumnMissing = regexp.MustCompile(`^Referenced column "?([^"]+?)"? not found`)
	reFuncMissing   = regexp.MustCompile(`^(?:Scalar|Aggregate|Table)? ?Function with name "?([^"(]+?)"? does not exist`)
	reAlreadyExists = regexp.MustCompile(`^(?:Table|View) with name "?([^"]+?)"? already exists`)
	reSchemaExists  = regexp.MustCompile(`^Schema with name "?([^"]+?)"? already exists`)
	reConvert       = regexp.MustCompile(`^Could not convert string '(.*)' to '?([A-Z0-9_ ]+?)'?$`)
	// reRegMissing: what the planner's pg_catalog (planner/pgcatalog.sql)
	// raises with error() for an unknown name in a reg* cast.
	reRegMissing = regexp.MustCompile(`^(relation|type|schema|role) ".*" does not exist$`)
)

// TranslateError turns a DuckDB error into a PostgreSQL-shaped *pgerror.Error
// with the SQLSTATE a PostgreSQL client would get, worded as PostgreSQL words
// the common cases. Context cancellation becomes 57014.
func TranslateError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := pgerror.As(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &pgerror.Error{Severity: "ERROR", Code: pgerror.QueryCanceled, Message: "canceling statement due to user request", Cause: err}
	}
	var de *duckdbdrv.Error
	if !errors.As(err, &de) {
		return &pgerror.Error{Severity: "ERROR", Code: pgerror.InternalError, Message: err.Error(), Cause: err}
	}
	if pe, ok := takeUDFError(de.Msg); ok {
		return pe
	}
	msg := cleanMessage(de.Msg)
	code := pgerror.InternalError
	switch de.Type {
	case duckdbdrv.ErrorTypeCatalog:
		code = pgerror.UndefinedObject
		if m := reTableMissing.FindStringSubmatch(msg); m != nil {
			code = pgerror.UndefinedTable
			if strings.HasPrefix(msg, "Schema") {
				code = pgerror.InvalidSchemaName
				msg = `schema "` + m[1] + `" does not exist`
			} else {
				msg = `relation "` + m[1] + `" does not exist`
			}
		} else if m := reFuncMissing.FindStringSubmatch(msg); m != nil {
			code = pgerror.UndefinedFunction
			msg = "function " + m[1] + " does not exist"
		} else if m := reSchemaExists.FindStringSubmatch(msg); m != nil {
			code = pgerror.DuplicateSchema
			msg = `schema "` + m[1] + `" already exists`
		} else if m := reAlreadyExists.FindStringSubmatch(msg); m != nil {
			code = pgerror.DuplicateTable
			msg = `relation "` + m[1] + `" already exists`
		} else if strings.Contains(msg, "already exists") {
			code = pgerror.DuplicateObject
		}
	case duckdbdrv.ErrorTypeBinder:
		code = pgerror.UndefinedColumn
		if m := reColumnMissing.FindStringSubmatch(msg); m != nil {
			msg = `column "` + m[1] + `" does not exist`
		} else if strings.Contains(msg, "No function matches") || strings.Contains(msg, "Could not choose a best candidate function") {
			code = pgerror.UndefinedFunction
		} else if strings.Contains(msg, "must appear in the GROUP BY clause") {
			code = pgerror.GroupingError
		} else if strings.Contains(msg, "ambiguous") {
			code = pgerror.AmbiguousColumn
		} else if !strings.Contains(msg, "column") {
			code = pgerror.SyntaxError
		}
	case duckdbdrv.ErrorTypeParser, duckdbdrv.ErrorTypeSyntax:
		code = pgerror.SyntaxError
	case duckdbdrv.ErrorTypeConversion, duckdbdrv.ErrorTypeInvalidInput:
		code = pgerror.InvalidTextRepresentation
		if m := reRegMissing.FindStringSubmatch(msg); m != nil {
			code = map[string]string{"relation": pgerror.UndefinedTable, "type": pgerror.UndefinedObject,
				"schema": pgerror.InvalidSchemaName, "role": pgerror.UndefinedObject}[m[1]]
		} else if strings.Contains(msg, "out of range") {
			code = pgerror.NumericValueOutOfRange
		} else if m := reConvert.FindStringSubmatch(msg); m != nil {
			t := pgTypeName(m[2])
			msg = `invalid input syntax for type ` + t + `: "` + m[1] + `"`
			if strings.Contains(t, "time") || t == "date" || t == "interval" {
				code = pgerror.InvalidDatetimeFormat
			}
		} else if strings.Contains(msg, "date field") || strings.Contains(msg, "timestamp field") || strings.Contains(msg, "time field") || strings.Contains(msg, "interval") {
			code = pgerror.InvalidDatetimeFormat
		}
	case duckdbdrv.ErrorTypeOutOfRange:
		code = pgerror.NumericValueOutOfRange
	case duckdbdrv.ErrorTypeDivideByZero:
		code = pgerror.DivisionByZero
		msg = "division by zero"
	case duckdbdrv.ErrorTypeMismatchType, duckdbdrv.ErrorTypeInvalidType:
		code = pgerror.DatatypeMismatch
	case duckdbdrv.ErrorTypeConstraint:
		switch {
		case strings.Contains(msg, "NOT NULL"):
			code = pgerror.NotNullViolation
		case strings.Contains(msg, "CHECK"):
			code = pgerror.CheckViolation
		case strings.Contains(msg, "foreign key"):
			code = pgerror.ForeignKeyViolation
		default:
			code = pgerror.UniqueViolation
		}
	case duckdbdrv.ErrorTypeInterrupt:
		code = pgerror.QueryCanceled
		msg = "canceling statement due to user request"
	case duckdbdrv.ErrorTypeTransaction:
		code = pgerror.SerializationFailure
		if strings.Contains(msg, "aborted") {
			code = pgerror.InFailedSQLTransaction
		} else if strings.Contains(msg, "no transaction is active") {
			code = pgerror.NoActiveSQLTransaction
		} else if strings.Contains(msg, "already active") {
			code = pgerror.ActiveSQLTransaction
		}
	case duckdbdrv.ErrorTypeNotImplemented:
		code = pgerror.FeatureNotSupported
	case duckdbdrv.ErrorTypeOutOfMemory:
		code = pgerror.OutOfMemory
	case duckdbdrv.ErrorTypeIO:
		code = pgerror.IOError
	case duckdbdrv.ErrorTypePermission:
		code = pgerror.InsufficientPrivilege
	case duckdbdrv.ErrorTypeDependency:
		code = pgerror.DependentObjectsStillExist
	case duckdbdrv.ErrorTypeParameterNotResolved, duckdbdrv.ErrorTypeParameterNotAllowed:
		code = pgerror.UndefinedParameter
	case duckdbdrv.ErrorTypeSettings, duckdbdrv.ErrorTypeInvalidConfiguration:
		code = pgerror.InvalidParameterValue
	case duckdbdrv.ErrorTypeSequence:
		code = pgerror.ObjectNotInPrerequisiteState
	case duckdbdrv.ErrorTypeMissingExtension, duckdbdrv.ErrorTypeAutoLoad, duckdbdrv.ErrorTypeHTTP, duckdbdrv.ErrorTypeNetwork:
		code = pgerror.FeatureNotSupported
	}
	return &pgerror.Error{Severity: "ERROR", Code: code, Message: msg, Cause: err}
}

// cleanMessage drops DuckDB's error-class prefix, its "Did you mean" and
// "LINE n:" context, keeping the first line as PostgreSQL keeps a message.
func cleanMessage(msg string) string {
	if i := strings.Index(msg, ": "); i > 0 && i < 40 && strings.HasSuffix(msg[:i], "Error") {
		msg = msg[i+2:]
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimSuffix(strings.TrimSpace(msg), "!")
	return msg
}

// pgTypeName names DuckDB's internal type names as PostgreSQL's messages do.
func pgTypeName(duck string) string {
	switch duck {
	case "INT8", "TINYINT", "INT16", "SMALLINT":
		return "smallint"
	case "INT32", "INTEGER":
		return "integer"
	case "INT64", "BIGINT":
		return "bigint"
	case "FLOAT":
		return "real"
	case "DOUBLE":
		return "double precision"
	case "BOOL", "BOOLEAN":
		return "boolean"
	case "DATE":
		return "date"
	case "TIMESTAMP":
		return "timestamp without time zone"
	case "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ":
		return "timestamp with time zone"
	case "UUID":
		return "uuid"
	case "INTERVAL":
		return "interval"
	}
	return strings.ToLower(duck)
}
