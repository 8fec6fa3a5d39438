package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// insertArity is PostgreSQL's check of INSERT ... VALUES rows against the
// target list, made before DuckDB sees the statement (DuckDB's own message
// names internal tables and has another SQLSTATE). ncols is the number of
// columns of the target when no column list is given (-1: unknown, then
// only an explicit list is checked).
func insertArity(q *sql.Query, ins *pg_query.InsertStmt, ncols int) error {
	sel := ins.SelectStmt.GetSelectStmt()
	if sel == nil || len(sel.ValuesLists) == 0 {
		return nil
	}
	n, explicit := len(ins.Cols), len(ins.Cols) > 0
	if !explicit {
		n = ncols
	}
	if n < 0 {
		return nil
	}
	for _, vl := range sel.ValuesLists {
		row := vl.GetList().GetItems()
		switch {
		case len(row) > n:
			return arityError(q, "INSERT has more expressions than target columns", nodeLocation(row[n]))
		case explicit && len(row) < n:
			return arityError(q, "INSERT has more target columns than expressions", nodeLocation(ins.Cols[len(row)]))
		}
	}
	return nil
}

func arityError(q *sql.Query, msg string, loc int32) error {
	e := pgerror.New(pgerror.SyntaxError, "%s", msg)
	if loc >= 0 && len(q.AsOf) == 0 && len(q.Versions) == 0 && !q.Erase {
		e.Position = runePos(q.Text, int(loc)) + q.Offset
	}
	return e
}

// nodeLocation is the byte offset pg_query recorded for a node (-1 when
// it has none).
func nodeLocation(n *pg_query.Node) int32 {
	if n == nil {
		return -1
	}
	m := n.ProtoReflect()
	od := m.Descriptor().Oneofs().Get(0)
	fd := m.WhichOneof(od)
	if fd == nil || fd.Kind() != protoreflect.MessageKind {
		return -1
	}
	inner := m.Get(fd).Message()
	lf := inner.Descriptor().Fields().ByName("location")
	if lf == nil {
		return -1
	}
	return int32(inner.Get(lf).Int())
}
