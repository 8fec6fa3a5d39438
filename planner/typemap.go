package planner

import (
	"fmt"
	"strings"

	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// duckdbType maps a PostgreSQL type (as the dialect normalised it) to the
// DuckDB type the column is stored as, and PostgreSQL's display name.
func duckdbType(t sql.TypeName) (duck, display string, err error) {
	base := ""
	switch t.Name {
	case "smallint", "int2":
		base = "SMALLINT"
	case "integer", "int", "int4":
		base = "INTEGER"
	case "bigint", "int8":
		base = "BIGINT"
	case "real", "float4":
		base = "FLOAT"
	case "double precision", "float8":
		base = "DOUBLE"
	case "numeric", "decimal":
		switch len(t.Modifiers) {
		case 0:
			base = "DECIMAL(38,10)"
		case 1:
			base = fmt.Sprintf("DECIMAL(%d,0)", t.Modifiers[0])
		default:
			base = fmt.Sprintf("DECIMAL(%d,%d)", t.Modifiers[0], t.Modifiers[1])
		}
		if len(t.Modifiers) > 0 && t.Modifiers[0] > 38 {
			return "", "", pgerror.New(pgerror.FeatureNotSupported, "numeric precision %d is more than featurehouse stores (38)", t.Modifiers[0])
		}
	case "boolean", "bool":
		base = "BOOLEAN"
	case "text", "character varying", "varchar", "character", "bpchar", "name", "citext":
		base = "VARCHAR"
	case "bytea":
		base = "BLOB"
	case "date":
		base = "DATE"
	case "timestamp without time zone", "timestamp":
		base = "TIMESTAMP"
	case "timestamp with time zone", "timestamptz":
		base = "TIMESTAMPTZ"
	case "time without time zone", "time":
		base = "TIME"
	case "interval":
		base = "INTERVAL"
	case "uuid":
		base = "UUID"
	case "json", "jsonb":
		base = "JSON"
	default:
		return "", "", pgerror.New(pgerror.UndefinedObject, `type "%s" is not supported in a feature group`, t.Text)
	}
	display = t.Name
	if len(t.Modifiers) > 0 {
		mods := make([]string, len(t.Modifiers))
		for i, m := range t.Modifiers {
			mods[i] = fmt.Sprint(m)
		}
		display += "(" + strings.Join(mods, ",") + ")"
	}
	duck = base
	switch len(t.ArrayBounds) {
	case 0:
	case 1:
		if t.ArrayBounds[0] > 0 {
			duck = fmt.Sprintf("%s[%d]", base, t.ArrayBounds[0])
			display += fmt.Sprintf("[%d]", t.ArrayBounds[0])
		} else {
			duck = base + "[]"
			display += "[]"
		}
	default:
		return "", "", pgerror.New(pgerror.FeatureNotSupported, "multidimensional arrays are not supported in a feature group")
	}
	return duck, display, nil
}
