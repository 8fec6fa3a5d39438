package sql

import (
	"sort"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Walk visits node and every message below it, depth first, parents
// before children, fields in declaration order. The *pg_query.Node
// wrappers are visited too (then their content). When visit returns false
// the children of that message are skipped.
func Walk(node proto.Message, visit func(proto.Message) bool) {
	if node == nil {
		return
	}
	walk(node.ProtoReflect(), visit)
}

func walk(m protoreflect.Message, visit func(proto.Message) bool) {
	if !m.IsValid() {
		return
	}
	if !visit(m.Interface()) {
		return
	}
	// Range visits only the populated fields: a pg_query Node is a oneof
	// of some 250 kinds, and asking each field whether it is set made a
	// walk cost tens of microseconds per node. The fields are then put in
	// declaration order, which callers rely on.
	var small [8]protoreflect.FieldDescriptor
	fields := small[:0]
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
			if !fd.IsMap() { // pg_query's tree has no maps
				fields = append(fields, fd)
			}
		}
		return true
	})
	// Few fields each: an insertion sort, without sort.Slice's allocation
	// on a path every statement takes.
	for i := 1; i < len(fields); i++ {
		for j := i; j > 0 && fields[j].Index() < fields[j-1].Index(); j-- {
			fields[j], fields[j-1] = fields[j-1], fields[j]
		}
	}
	for _, fd := range fields {
		v := m.Get(fd)
		if fd.IsList() {
			l := v.List()
			for j := 0; j < l.Len(); j++ {
				walk(l.Get(j).Message(), visit)
			}
			continue
		}
		walk(v.Message(), visit)
	}
}

// RangeVars returns every table reference (RangeVar) under node, ordered by
// Location, so that a caller can replace names in the text back to front.
func RangeVars(node proto.Message) []*pg_query.RangeVar {
	var out []*pg_query.RangeVar
	Walk(node, func(m proto.Message) bool {
		if rv, ok := m.(*pg_query.RangeVar); ok {
			out = append(out, rv)
		}
		return true
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Location < out[j].Location })
	return out
}

// ColumnRefs returns every column reference under node, ordered by Location.
func ColumnRefs(node proto.Message) []*pg_query.ColumnRef {
	var out []*pg_query.ColumnRef
	Walk(node, func(m proto.Message) bool {
		if cr, ok := m.(*pg_query.ColumnRef); ok {
			out = append(out, cr)
		}
		return true
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Location < out[j].Location })
	return out
}

// RelationSpan returns the byte span in text of the possibly qualified,
// possibly quoted relation name that starts at loc (a RangeVar's Location):
// name ('.' name)*, whitespace and comments allowed around the dots. It
// returns (-1, -1) when no name starts at loc.
func RelationSpan(text string, loc int32) (start, end int) {
	if loc < 0 || int(loc) >= len(text) {
		return -1, -1
	}
	// The text was parsed before, so it scans without error.
	res, err := pg_query.Scan(text[loc:])
	if err != nil {
		return -1, -1
	}
	var toks []*pg_query.ScanToken
	for _, t := range res.Tokens {
		if t.Token != pg_query.Token_SQL_COMMENT && t.Token != pg_query.Token_C_COMMENT {
			toks = append(toks, t)
		}
	}
	isName := func(t *pg_query.ScanToken) bool {
		return t.Token == pg_query.Token_IDENT || t.Token == pg_query.Token_UIDENT ||
			t.KeywordKind != pg_query.KeywordKind_NO_KEYWORD
	}
	if len(toks) == 0 || toks[0].Start != 0 || !isName(toks[0]) {
		return -1, -1
	}
	n := 1
	for n+1 < len(toks) && toks[n].Token == pg_query.Token('.') && isName(toks[n+1]) {
		n += 2
	}
	return int(loc), int(loc) + int(toks[n-1].End)
}

// TokenSpan returns the byte span in text of the single token that starts
// at loc (an A_Const's Location: a whole string literal, E” and $$ forms
// included), or (-1, -1).
func TokenSpan(text string, loc int32) (start, end int) {
	if loc < 0 || int(loc) >= len(text) {
		return -1, -1
	}
	res, err := pg_query.Scan(text[loc:])
	if err != nil || len(res.Tokens) == 0 || res.Tokens[0].Start != 0 {
		return -1, -1
	}
	return int(loc), int(loc) + int(res.Tokens[0].End)
}
