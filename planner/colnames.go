package planner

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/sql/types"
)

// PostgreSQL names an unaliased result column after its expression
// (FigureColname): `count(*)` is "count", `x::int` is "x", `1 + 2` is
// "?column?". DuckDB names them differently ("count_star()"), and clients
// show or key on these names, so the planner renames result columns the way
// PostgreSQL would. Only the names change, never the values.

// resultNames returns PostgreSQL's names for a statement's result columns,
// "" where the name should stay as DuckDB gives it, or nil when the target
// list has a `*` whose width is unknown here.
func resultNames(node *pg_query.Node) []string {
	sel := node.GetSelectStmt()
	if sel == nil {
		return nil
	}
	for sel.Op != pg_query.SetOperation_SETOP_NONE && sel.Larg != nil {
		sel = sel.Larg
	}
	if len(sel.ValuesLists) > 0 {
		if l := sel.ValuesLists[0].GetList(); l != nil {
			out := make([]string, len(l.Items))
			for i := range out {
				out[i] = fmt.Sprintf("column%d", i+1)
			}
			return out
		}
		return nil
	}
	out := make([]string, 0, len(sel.TargetList))
	for _, t := range sel.TargetList {
		rt := t.GetResTarget()
		if rt == nil {
			return nil
		}
		if cr := rt.Val.GetColumnRef(); cr != nil {
			if len(cr.Fields) > 0 && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
				return nil
			}
		}
		if rt.Name != "" {
			out = append(out, rt.Name)
			continue
		}
		name, _ := figureColname(rt.Val)
		out = append(out, name)
	}
	return out
}

// figureColname follows PostgreSQL's FigureColnameInternal; strength 2 is
// a name from a column or function, 1 from a type name, 0 none.
func figureColname(n *pg_query.Node) (string, int) {
	if n == nil {
		return "?column?", 0
	}
	switch x := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		if f := x.ColumnRef.Fields; len(f) > 0 {
			if s := f[len(f)-1].GetString_(); s != nil {
				return s.Sval, 2
			}
		}
	case *pg_query.Node_AIndirection:
		ind := x.AIndirection.Indirection
		for i := len(ind) - 1; i >= 0; i-- {
			if s := ind[i].GetString_(); s != nil {
				return s.Sval, 2
			}
		}
		return figureColname(x.AIndirection.Arg)
	case *pg_query.Node_FuncCall:
		if f := x.FuncCall.Funcname; len(f) > 0 {
			if s := f[len(f)-1].GetString_(); s != nil {
				return s.Sval, 2
			}
		}
	case *pg_query.Node_AExpr:
		if x.AExpr.Kind == pg_query.A_Expr_Kind_AEXPR_NULLIF {
			return "nullif", 2
		}
	case *pg_query.Node_TypeCast:
		if name, s := figureColname(x.TypeCast.Arg); s > 1 {
			return name, s
		}
		if tn := x.TypeCast.TypeName; tn != nil && len(tn.Names) > 0 {
			if s := tn.Names[len(tn.Names)-1].GetString_(); s != nil {
				return s.Sval, 1
			}
		}
	case *pg_query.Node_CollateClause:
		return figureColname(x.CollateClause.Arg)
	case *pg_query.Node_GroupingFunc:
		return "grouping", 2
	case *pg_query.Node_SubLink:
		switch x.SubLink.SubLinkType {
		case pg_query.SubLinkType_EXISTS_SUBLINK:
			return "exists", 2
		case pg_query.SubLinkType_ARRAY_SUBLINK:
			return "array", 2
		case pg_query.SubLinkType_EXPR_SUBLINK:
			if sub := x.SubLink.Subselect.GetSelectStmt(); sub != nil && len(sub.TargetList) == 1 {
				if rt := sub.TargetList[0].GetResTarget(); rt != nil {
					if rt.Name != "" {
						return rt.Name, 2
					}
					return figureColname(rt.Val)
				}
			}
		}
	case *pg_query.Node_CaseExpr:
		if name, s := figureColname(x.CaseExpr.Defresult); s > 1 {
			return name, s
		}
		return "case", 1
	case *pg_query.Node_AArrayExpr:
		return "array", 2
	case *pg_query.Node_RowExpr:
		return "row", 2
	case *pg_query.Node_CoalesceExpr:
		return "coalesce", 2
	case *pg_query.Node_MinMaxExpr:
		if x.MinMaxExpr.Op == pg_query.MinMaxOp_IS_GREATEST {
			return "greatest", 2
		}
		return "least", 2
	case *pg_query.Node_SqlvalueFunction:
		return sqlValueFunctionName(x.SqlvalueFunction.Op), 2
	case *pg_query.Node_XmlExpr:
		return "xml", 2
	}
	return "?column?", 0
}

func sqlValueFunctionName(op pg_query.SQLValueFunctionOp) string {
	name := strings.ToLower(strings.TrimPrefix(op.String(), "SVFOP_"))
	if i := strings.LastIndex(name, "_n"); i > 0 && i == len(name)-2 {
		name = name[:i]
	}
	return name
}

// renameColumns applies PostgreSQL's names where known.
func renameColumns(cols []types.Column, names []string) []types.Column {
	if len(names) != len(cols) {
		return cols
	}
	for i, n := range names {
		if n != "" {
			cols[i].Name = n
		}
	}
	return cols
}
