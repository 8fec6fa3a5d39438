package types

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// duckKind classifies a parsed DuckDB type name.
type duckKind int

const (
	kScalar  duckKind = iota
	kDecimal          // DECIMAL(w,s)
	kList             // X[]
	kArray            // X[N]
	kStruct           // STRUCT(...)
	kMap              // MAP(K, V)
	kUnion            // UNION(...)
	kEnum             // ENUM or ENUM(...)
)

// duckType is a DuckDB type name as duckdb-go's ColumnTypeDatabaseTypeName
// spells it, parsed.
type duckType struct {
	kind   duckKind
	name   string // canonical scalar name ("INTEGER", "TIMESTAMPTZ"); "" for nested
	width  int    // DECIMAL width
	scale  int    // DECIMAL scale
	size   int    // ARRAY size
	elem   *duckType
	key    *duckType // MAP key
	value  *duckType // MAP value
	fields []duckField
}

type duckField struct {
	name string
	typ  *duckType
}

// duckAliases maps DuckDB's type aliases to the names duckdb-go reports.
var duckAliases = map[string]string{
	"BOOL": "BOOLEAN", "LOGICAL": "BOOLEAN",
	"INT1": "TINYINT", "INT2": "SMALLINT", "SHORT": "SMALLINT",
	"INT": "INTEGER", "INT4": "INTEGER", "SIGNED": "INTEGER",
	"INT8": "BIGINT", "LONG": "BIGINT", "INT128": "HUGEINT", "UINT128": "UHUGEINT",
	"UINT8": "UTINYINT", "UINT16": "USMALLINT", "UINT32": "UINTEGER", "UINT64": "UBIGINT",
	"FLOAT4": "FLOAT", "REAL": "FLOAT", "FLOAT8": "DOUBLE", "DOUBLE PRECISION": "DOUBLE",
	"TEXT": "VARCHAR", "STRING": "VARCHAR", "CHAR": "VARCHAR", "BPCHAR": "VARCHAR",
	"BYTEA": "BLOB", "BINARY": "BLOB", "VARBINARY": "BLOB",
	"DATETIME": "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP", "TIMESTAMP_US": "TIMESTAMP",
	"TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ", "TIME WITH TIME ZONE": "TIMETZ",
	"TIME WITHOUT TIME ZONE": "TIME", "NUMERIC": "DECIMAL", "BITSTRING": "BIT",
	"VARINT": "BIGNUM", "SQLNULL": "NULL",
}

var duckCache sync.Map // string → *duckType

// parseDuckType parses a DuckDB type name, caching the result.
func parseDuckType(s string) (*duckType, error) {
	if v, ok := duckCache.Load(s); ok {
		return v.(*duckType), nil
	}
	p := &duckParser{s: s}
	t, err := p.parse()
	if err == nil {
		p.skipSpace()
		if p.pos != len(p.s) {
			err = fmt.Errorf("unexpected %q at offset %d", p.s[p.pos:], p.pos)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("parse DuckDB type %q: %w", s, err)
	}
	duckCache.Store(s, t)
	return t, nil
}

type duckParser struct {
	s   string
	pos int
}

func (p *duckParser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n') {
		p.pos++
	}
}

func (p *duckParser) peek() byte {
	p.skipSpace()
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

// word reads a type name: letters, digits and underscores, with the spaces
// of multi-word names ("TIMESTAMP WITH TIME ZONE", "DOUBLE PRECISION").
func (p *duckParser) word() string {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			p.pos++
			continue
		}
		if c == ' ' {
			// Keep the space only when another word follows.
			j := p.pos
			for j < len(p.s) && p.s[j] == ' ' {
				j++
			}
			if j < len(p.s) && (p.s[j] >= 'A' && p.s[j] <= 'Z' || p.s[j] >= 'a' && p.s[j] <= 'z') {
				p.pos = j
				continue
			}
		}
		break
	}
	return strings.Join(strings.Fields(p.s[start:p.pos]), " ")
}

// ident reads a struct field name: "quoted" (with "" for ") or a bare word.
func (p *duckParser) ident() (string, error) {
	p.skipSpace()
	if p.peek() != '"' {
		start := p.pos
		for p.pos < len(p.s) && p.s[p.pos] != ' ' && p.s[p.pos] != ',' && p.s[p.pos] != ')' {
			p.pos++
		}
		if start == p.pos {
			return "", fmt.Errorf("missing field name at offset %d", start)
		}
		return p.s[start:p.pos], nil
	}
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		if c == '"' {
			if p.pos < len(p.s) && p.s[p.pos] == '"' {
				b.WriteByte('"')
				p.pos++
				continue
			}
			return b.String(), nil
		}
		b.WriteByte(c)
	}
	return "", fmt.Errorf("unterminated field name")
}

func (p *duckParser) expect(c byte) error {
	if p.peek() != c {
		return fmt.Errorf("expected %q at offset %d", c, p.pos)
	}
	p.pos++
	return nil
}

// skipParens skips a balanced (...) group, honouring '...' strings.
func (p *duckParser) skipParens() error {
	depth := 0
	inQuote := false
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		switch {
		case inQuote:
			if c == '\'' {
				inQuote = false
			}
		case c == '\'':
			inQuote = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return nil
			}
		}
	}
	return fmt.Errorf("unbalanced parentheses")
}

func (p *duckParser) parse() (*duckType, error) {
	w := strings.ToUpper(p.word())
	if w == "" {
		return nil, fmt.Errorf("missing type name at offset %d", p.pos)
	}
	if a, ok := duckAliases[w]; ok {
		w = a
	}
	var t *duckType
	switch w {
	case "DECIMAL":
		t = &duckType{kind: kDecimal, name: "DECIMAL", width: 18, scale: 3}
		if p.peek() == '(' {
			p.pos++
			var nums []int
			for {
				n, err := strconv.Atoi(p.word())
				if err != nil {
					return nil, fmt.Errorf("DECIMAL modifier: %w", err)
				}
				nums = append(nums, n)
				if p.peek() == ',' {
					p.pos++
					continue
				}
				break
			}
			if err := p.expect(')'); err != nil {
				return nil, err
			}
			t.width = nums[0]
			t.scale = 0
			if len(nums) > 1 {
				t.scale = nums[1]
			}
		}
	case "STRUCT", "UNION":
		t = &duckType{kind: kStruct}
		if w == "UNION" {
			t.kind = kUnion
		}
		if err := p.expect('('); err != nil {
			return nil, err
		}
		for p.peek() != ')' {
			name, err := p.ident()
			if err != nil {
				return nil, err
			}
			ft, err := p.parse()
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, duckField{name: name, typ: ft})
			if p.peek() == ',' {
				p.pos++
			}
		}
		p.pos++
	case "MAP":
		if err := p.expect('('); err != nil {
			return nil, err
		}
		k, err := p.parse()
		if err != nil {
			return nil, err
		}
		if err := p.expect(','); err != nil {
			return nil, err
		}
		v, err := p.parse()
		if err != nil {
			return nil, err
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		t = &duckType{kind: kMap, key: k, value: v}
	case "ENUM":
		t = &duckType{kind: kEnum, name: "ENUM"}
		if p.peek() == '(' {
			if err := p.skipParens(); err != nil {
				return nil, err
			}
		}
	default:
		t = &duckType{kind: kScalar, name: w}
		if p.peek() == '(' { // VARCHAR(10), BIT(3): modifiers DuckDB ignores
			if err := p.skipParens(); err != nil {
				return nil, err
			}
		}
	}
	// Suffixes: X[] is a LIST, X[N] an ARRAY, repeatable.
	for p.peek() == '[' {
		p.pos++
		if p.peek() == ']' {
			p.pos++
			t = &duckType{kind: kList, elem: t}
			continue
		}
		n, err := strconv.Atoi(p.word())
		if err != nil {
			return nil, fmt.Errorf("array size: %w", err)
		}
		if err := p.expect(']'); err != nil {
			return nil, err
		}
		t = &duckType{kind: kArray, elem: t, size: n}
	}
	return t, nil
}

// String spells t the way duckdb-go does.
func (t *duckType) String() string {
	switch t.kind {
	case kDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.width, t.scale)
	case kList:
		return t.elem.String() + "[]"
	case kArray:
		return fmt.Sprintf("%s[%d]", t.elem.String(), t.size)
	case kStruct, kUnion:
		var b strings.Builder
		if t.kind == kStruct {
			b.WriteString("STRUCT(")
		} else {
			b.WriteString("UNION(")
		}
		for i, f := range t.fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`"` + strings.ReplaceAll(f.name, `"`, `""`) + `" `)
			b.WriteString(f.typ.String())
		}
		b.WriteByte(')')
		return b.String()
	case kMap:
		return "MAP(" + t.key.String() + ", " + t.value.String() + ")"
	}
	return t.name
}
