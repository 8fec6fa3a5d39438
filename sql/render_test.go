package sql

import (
	"fmt"
	"strings"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// render prints a parse result as stable text for the testdata files.
func render(stmts []Statement, err error) string {
	var b strings.Builder
	if err != nil {
		e := pgerror.Wrap(err)
		fmt.Fprintf(&b, "error %s at %d: %s\n", e.Code, e.Position, e.Message)
		if e.Hint != "" {
			fmt.Fprintf(&b, "hint: %s\n", e.Hint)
		}
		return b.String()
	}
	if len(stmts) == 0 {
		return "no statements\n"
	}
	for _, st := range stmts {
		renderStmt(&b, st)
	}
	return b.String()
}

func qn(n QualifiedName) string {
	if n.Schema != "" {
		return n.Schema + "." + n.Name
	}
	return n.Name
}

func renderType(t TypeName) string {
	s := t.Name
	if len(t.Modifiers) > 0 {
		s += fmt.Sprint(t.Modifiers)
	}
	for _, d := range t.ArrayBounds {
		s += fmt.Sprintf("{%d}", d)
	}
	return fmt.Sprintf("%q written %q", s, t.Text)
}

func renderColumn(b *strings.Builder, prefix string, c ColumnDef) {
	fmt.Fprintf(b, "%s%s %s", prefix, c.Name, renderType(c.Type))
	if c.EntityKey {
		b.WriteString(" entity-key")
	}
	if c.EventTime {
		b.WriteString(" event-time")
	}
	if c.NotNull {
		b.WriteString(" not-null")
	}
	if c.FeatureType != "" {
		fmt.Fprintf(b, " feature-type=%s", c.FeatureType)
	}
	for _, ch := range c.Checks {
		fmt.Fprintf(b, " check=%q", ch)
	}
	if c.Default != "" {
		fmt.Fprintf(b, " default=%q", c.Default)
	}
	b.WriteString("\n")
}

func renderOptions(b *strings.Builder, opts map[string]string, order []string) {
	for _, k := range order {
		fmt.Fprintf(b, "  option %s = %q\n", k, opts[k])
	}
	if len(order) != len(opts) {
		fmt.Fprintf(b, "  BAD: %d options, %d in order\n", len(opts), len(order))
	}
}

func renderStmt(b *strings.Builder, st Statement) {
	switch s := st.(type) {
	case *CreateFeatureGroup:
		fmt.Fprintf(b, "CreateFeatureGroup %s", qn(s.Name))
		if s.IfNotExists {
			b.WriteString(" if-not-exists")
		}
		b.WriteString("\n")
		for _, c := range s.Columns {
			renderColumn(b, "  column ", c)
		}
		for _, c := range s.TableChecks {
			fmt.Fprintf(b, "  check %q\n", c)
		}
		renderOptions(b, s.Options, s.OptionOrder)
	case *AlterFeatureGroup:
		fmt.Fprintf(b, "AlterFeatureGroup %s", qn(s.Name))
		if s.IfExists {
			b.WriteString(" if-exists")
		}
		b.WriteString("\n")
		if s.AddFeature != nil {
			p := "  add "
			if s.AddIfNotExists {
				p = "  add if-not-exists "
			}
			renderColumn(b, p, *s.AddFeature)
		}
		if s.SetOptions != nil {
			b.WriteString("  set\n")
			renderOptions(b, s.SetOptions, s.OptionOrder)
		}
		if s.RenameFrom != "" {
			fmt.Fprintf(b, "  rename %s to %s\n", s.RenameFrom, s.RenameTo)
		}
	case *DropFeatureGroup:
		var names []string
		for _, n := range s.Names {
			names = append(names, qn(n))
		}
		fmt.Fprintf(b, "DropFeatureGroup %s if-exists=%v cascade=%v\n", strings.Join(names, ", "), s.IfExists, s.Cascade)
	case *AlterFeature:
		fmt.Fprintf(b, "AlterFeature group=%s feature=%s\n", qn(s.Group), s.Feature)
		if s.Status != "" {
			fmt.Fprintf(b, "  status %s\n", s.Status)
		}
		if s.Description != nil {
			fmt.Fprintf(b, "  description %q\n", *s.Description)
		}
		if s.Check != nil {
			fmt.Fprintf(b, "  check %q\n", *s.Check)
		}
		if s.DropCheck {
			b.WriteString("  drop check\n")
		}
		if s.DataType != nil {
			fmt.Fprintf(b, "  data type %s\n", renderType(*s.DataType))
		}
	case *CommentOn:
		fmt.Fprintf(b, "CommentOn group=%s", qn(s.Group))
		if s.Feature != "" {
			fmt.Fprintf(b, " feature=%s", s.Feature)
		}
		if s.Comment == nil {
			b.WriteString(" NULL\n")
		} else {
			fmt.Fprintf(b, " %q\n", *s.Comment)
		}
	case *RefreshOnline:
		fmt.Fprintf(b, "RefreshOnline %s\n", qn(s.Name))
	case *Precompute:
		fmt.Fprintf(b, "Precompute %s where=%q\n", qn(s.Name), s.Where)
	case *CreateFeatureView:
		fmt.Fprintf(b, "CreateFeatureView %s", qn(s.Name))
		if s.IfNotExists {
			b.WriteString(" if-not-exists")
		}
		fmt.Fprintf(b, "\n  query %s offset=%d: %s\n", stmtKind(s.Query), s.Query.Offset, s.Query.Original)
		renderOptions(b, s.Options, s.OptionOrder)
	case *DropFeatureView:
		var names []string
		for _, n := range s.Names {
			names = append(names, qn(n))
		}
		fmt.Fprintf(b, "DropFeatureView %s if-exists=%v cascade=%v\n", strings.Join(names, ", "), s.IfExists, s.Cascade)
	case *CreateSnapshot:
		fmt.Fprintf(b, "CreateSnapshot %s of %s if-not-exists=%v\n", s.Name, qn(s.Group), s.IfNotExists)
		renderOptions(b, s.Options, s.OptionOrder)
	case *Compact:
		var names []string
		for _, n := range s.Names {
			names = append(names, qn(n))
		}
		fmt.Fprintf(b, "Compact %s\n", strings.Join(names, ", "))
	case *DropSnapshot:
		fmt.Fprintf(b, "DropSnapshot %s if-exists=%v\n", strings.Join(s.Names, ", "), s.IfExists)
	case *Query:
		fmt.Fprintf(b, "Query %s offset=%d\n", stmtKind(s), s.Offset)
		if s.Erase {
			b.WriteString("  erase\n")
		}
		if s.Text != s.Original {
			fmt.Fprintf(b, "  original: %s\n", s.Original)
		}
		fmt.Fprintf(b, "  text: %s\n", s.Text)
		for _, a := range s.AsOf {
			fmt.Fprintf(b, "  asof %s expr=%q", qn(a.Relation), a.Expr)
			if a.KnownAt != "" {
				fmt.Fprintf(b, " known=%q known_at=%d", a.KnownAt, a.KnownAtPosition)
			}
			if a.Alias != "" {
				fmt.Fprintf(b, " alias=%s", a.Alias)
			}
			fmt.Fprintf(b, " at=%d ref=%q\n", a.ExprPosition, s.Text[a.Start:a.End])
		}
		for _, v := range s.Versions {
			fmt.Fprintf(b, "  version %s snapshot=%q", qn(v.Relation), v.Snapshot)
			if v.Alias != "" {
				fmt.Fprintf(b, " alias=%s", v.Alias)
			}
			fmt.Fprintf(b, " at=%d ref=%q\n", v.Position, s.Text[v.Start:v.End])
		}
	default:
		fmt.Fprintf(b, "unknown %T\n", st)
	}
}

// stmtKind names the statement node pg_query produced ("select_stmt"...).
func stmtKind(q *Query) string {
	if q.Tree == nil || len(q.Tree.Stmts) != 1 {
		return "NO-TREE"
	}
	m := q.Tree.Stmts[0].Stmt.ProtoReflect()
	od := m.Descriptor().Oneofs().Get(0)
	if fd := m.WhichOneof(od); fd != nil {
		return string(fd.Name())
	}
	return "EMPTY"
}
