package catalog

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// sqlType is a feature's PostgreSQL type as Feature.DataType spells it:
// format_type's name, its modifiers, its array suffix.
type sqlType struct {
	name string // "integer", "numeric", "character varying"...
	mods []int  // numeric(10,2) → [10 2]; varchar(20) → [20]
	dims string // "", "[]", "[8]"
}

var reDataType = regexp.MustCompile(`^(.*?)(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?((?:\[\d*\])*)$`)

func parseDataType(s string) sqlType {
	m := reDataType.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return sqlType{name: s}
	}
	t := sqlType{name: m[1], dims: m[4]}
	for _, d := range m[2:4] {
		if d != "" {
			n, _ := strconv.Atoi(d)
			t.mods = append(t.mods, n)
		}
	}
	return t
}

// intDigits is how many decimal digits an integer type's values have at
// most; integer types widen to each other in this order.
var intDigits = map[string]int{"smallint": 5, "integer": 10, "bigint": 19}

// numericDigits is a numeric type's (integer digits, fractional digits).
// A bare numeric is stored as DECIMAL(38,10) (see planner/typemap.go).
func numericDigits(t sqlType) (int, int) {
	switch len(t.mods) {
	case 0:
		return 28, 10
	case 1:
		return t.mods[0], 0
	default:
		return t.mods[0] - t.mods[1], t.mods[1]
	}
}

func isText(name string) bool { return name == "text" || name == "character varying" }

// textLength is a text type's length limit, -1 for none.
func textLength(t sqlType) int {
	if t.name == "character varying" && len(t.mods) > 0 {
		return t.mods[0]
	}
	return -1
}

// widening says why changing a column from one type to another could
// change or lose a stored value ("" when it cannot: every value of from
// converts exactly, whatever the session's settings). Only such changes
// are allowed: the Parquet files keep their physical type and are
// converted on every read, so the conversion must be exact and
// deterministic.
func widening(from, to sqlType) string {
	if from.dims != to.dims {
		return "the array shape changes"
	}
	f, t := from.name, to.name
	fi, fInt := intDigits[f]
	ti, tInt := intDigits[t]
	switch {
	case fInt && tInt:
		if ti < fi {
			return fmt.Sprintf("not every %s value fits in %s", f, t)
		}
		return ""
	case fInt && t == "numeric":
		if ip, _ := numericDigits(to); ip < fi {
			return fmt.Sprintf("%s keeps %s before the decimal point, %s values have up to %d", to.String(), count(ip, "digit"), f, fi)
		}
		return ""
	case fInt && t == "double precision":
		if f == "bigint" {
			return "double precision keeps 53 bits of precision, so large bigint values would be rounded"
		}
		return ""
	case fInt && t == "real":
		if f != "smallint" {
			return "real keeps 24 bits of precision, so large " + f + " values would be rounded"
		}
		return ""
	case f == "real" && t == "double precision":
		return ""
	case f == "numeric" && t == "numeric":
		fip, ffp := numericDigits(from)
		tip, tfp := numericDigits(to)
		if tip < fip {
			return fmt.Sprintf("%s keeps %s before the decimal point, %s has %d", to.String(), count(tip, "digit"), from.String(), fip)
		}
		if tfp < ffp {
			return fmt.Sprintf("%s keeps %s after the decimal point, %s has %d", to.String(), count(tfp, "digit"), from.String(), ffp)
		}
		return ""
	case (f == "real" || f == "double precision" || f == "numeric") && (tInt || t == "real" || t == "double precision" || t == "numeric"):
		return fmt.Sprintf("%s values do not all convert to %s exactly", f, t)
	case isText(f) && isText(t):
		if tl := textLength(to); tl >= 0 {
			if fl := textLength(from); fl < 0 || fl > tl {
				return fmt.Sprintf("stored values may be longer than %s", count(tl, "character"))
			}
		}
		return ""
	case f == t && f == "character":
		if len(to.mods) > 0 && (len(from.mods) == 0 || from.mods[0] > to.mods[0]) {
			return fmt.Sprintf("stored values may be longer than %s", count(to.mods[0], "character"))
		}
		return ""
	case f == t && len(from.mods) <= 1 && len(to.mods) <= 1:
		// A precision (timestamp(3), time(0)...): values are stored to the
		// microsecond, so only a lower one could change them.
		fp, tp := 6, 6
		if len(from.mods) == 1 {
			fp = from.mods[0]
		}
		if len(to.mods) == 1 {
			tp = to.mods[0]
		}
		if tp < fp {
			return "fractional seconds would be rounded"
		}
		return ""
	case f == "date" && t == "timestamp without time zone":
		return "" // midnight of the same day, with no time zone involved
	case f == "date" && t == "timestamp with time zone":
		return "a date would become midnight in the session's TimeZone, so the same stored value would read as different instants in different sessions"
	case f == "timestamp without time zone" && t == "timestamp with time zone":
		return "a timestamp without time zone names no instant: which one it means depends on the session's TimeZone"
	case f == "timestamp with time zone" && t == "timestamp without time zone":
		return "the local time of an instant depends on the session's TimeZone"
	case f == "timestamp without time zone" && t == "date", f == "timestamp with time zone" && t == "date":
		return "the time of day would be lost"
	}
	return fmt.Sprintf("%s is not a widening of %s", t, f)
}

// count is "1 digit", "2 digits"...
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func (t sqlType) String() string {
	s := t.name
	if len(t.mods) > 0 {
		parts := make([]string, len(t.mods))
		for i, m := range t.mods {
			parts[i] = strconv.Itoa(m)
		}
		s += "(" + strings.Join(parts, ",") + ")"
	}
	return s + t.dims
}

// keyWidening says why an entity key cannot change from one type to
// another ("" when it can): only changes that keep every key's identity
// (its equality with other keys, and the text the online store keys its
// record by) are allowed.
func keyWidening(from, to sqlType) string {
	_, fInt := intDigits[from.name]
	_, tInt := intDigits[to.name]
	if from.dims == "" && to.dims == "" && (fInt && tInt || isText(from.name) && isText(to.name)) {
		return widening(from, to)
	}
	return "an entity key may only widen within the integer types or within the text types, so that every key keeps its identity (joins, AS OF, online records)"
}

// widenHint lists the allowed changes.
const widenHint = "Allowed changes are widenings: smallint → integer → bigint; an integer type → numeric with enough digits " +
	"before the decimal point, or → double precision (not bigint), or smallint → real; real → double precision; " +
	"numeric(p,s) → numeric with no fewer digits before or after the decimal point; varchar(n) → varchar(m ≥ n) or text; " +
	"date → timestamp; the same for arrays of them."
