package planner

import (
	"context"
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/sql"
	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

func (s *Session) transactionPlan(ts *pg_query.TransactionStmt) (plan, error) {
	var run func(context.Context) (string, error)
	switch ts.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN:
		run = s.begin
	case pg_query.TransactionStmtKind_TRANS_STMT_START:
		run = func(ctx context.Context) (string, error) {
			if _, err := s.begin(ctx); err != nil {
				return "", err
			}
			return "START TRANSACTION", nil
		}
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		run = s.commit
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		run = s.rollback
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT,
		pg_query.TransactionStmtKind_TRANS_STMT_RELEASE,
		pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return s.savepointPlan(ts), nil // savepoint.go
	default:
		word := strings.TrimPrefix(ts.Kind.String(), "TRANS_STMT_")
		return nil, pgerror.New(pgerror.FeatureNotSupported, "%s is not supported", strings.ReplaceAll(word, "_", " ")).
			WithDetail("featurehouse transactions have no savepoints or two-phase commit.")
	}
	return &commandPlan{run: run}, nil
}

func (s *Session) setPlan(vs *pg_query.VariableSetStmt) plan {
	return &commandPlan{run: func(ctx context.Context) (string, error) {
		switch vs.Kind {
		case pg_query.VariableSetKind_VAR_SET_VALUE:
			if vs.Name == "transaction_isolation" || strings.HasPrefix(vs.Name, "transaction") {
				return "SET", nil
			}
			if vs.IsLocal {
				if !s.inBlock() {
					s.notify(&pgerror.Error{Severity: "WARNING", Code: pgerror.NoActiveSQLTransaction, Message: "SET LOCAL can only be used in transaction blocks"})
					return "SET", nil
				}
				return "SET", s.setLocal(ctx, vs.Name, setValue(vs.Args))
			}
			return "SET", s.setParam(ctx, vs.Name, setValue(vs.Args))
		case pg_query.VariableSetKind_VAR_SET_DEFAULT, pg_query.VariableSetKind_VAR_RESET:
			return resetTag(vs.Kind), s.resetParam(ctx, vs.Name)
		case pg_query.VariableSetKind_VAR_RESET_ALL:
			for name := range defaultParams(s.p.cfg.ServerVersion, s.info.User) {
				if !readOnlyParams[name] && !isReportOnly(name) {
					_ = s.resetParam(ctx, name)
				}
			}
			s.refreshSuperuser()
			return "RESET", nil
		case pg_query.VariableSetKind_VAR_SET_MULTI:
			// SET TRANSACTION ..., SET SESSION CHARACTERISTICS: accepted,
			// featurehouse has one isolation level.
			return "SET", nil
		case pg_query.VariableSetKind_VAR_SET_CURRENT:
			return "SET", nil
		}
		return "SET", nil
	}}
}

func isReportOnly(name string) bool {
	return name == "session_authorization" || name == "in_hot_standby"
}

func resetTag(k pg_query.VariableSetKind) string {
	if k == pg_query.VariableSetKind_VAR_RESET {
		return "RESET"
	}
	return "SET"
}

// setValue renders SET's arguments as PostgreSQL's flatten_set_variable_args.
func setValue(args []*pg_query.Node) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		if c := a.GetAConst(); c != nil {
			switch v := c.Val.(type) {
			case *pg_query.A_Const_Sval:
				parts = append(parts, v.Sval.Sval)
			case *pg_query.A_Const_Ival:
				parts = append(parts, itoa(int64(v.Ival.Ival)))
			case *pg_query.A_Const_Fval:
				parts = append(parts, v.Fval.Fval)
			case *pg_query.A_Const_Boolval:
				if v.Boolval.Boolval {
					parts = append(parts, "on")
				} else {
					parts = append(parts, "off")
				}
			}
			continue
		}
		if tc := a.GetTypeCast(); tc != nil {
			// SET TIME ZONE INTERVAL '...': keep the literal.
			if c := tc.Arg.GetAConst(); c != nil {
				if sv, ok := c.Val.(*pg_query.A_Const_Sval); ok {
					parts = append(parts, sv.Sval.Sval)
				}
			}
		}
	}
	return strings.Join(parts, ", ")
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func (s *Session) showPlan(name string) plan {
	key := strings.ToLower(name)
	if key == "all" {
		return &rowsPlan{
			cols: []types.Column{textColumn("name"), textColumn("setting"), textColumn("description")},
			tag:  "SHOW",
			rows: func(context.Context) ([][]any, error) {
				s.mu.Lock()
				defer s.mu.Unlock()
				names := make([]string, 0, len(s.params))
				for k := range s.params {
					names = append(names, k)
				}
				sort.Strings(names)
				out := make([][]any, 0, len(names))
				for _, k := range names {
					out = append(out, []any{displayParamName(k), s.params[k], ""})
				}
				return out, nil
			},
		}
	}
	colName := key
	if key == "time zone" {
		colName = "TimeZone"
	} else if key == "transaction isolation level" {
		colName = "transaction_isolation"
	} else {
		colName = displayParamName(key)
	}
	return &rowsPlan{
		cols: []types.Column{textColumn(colName)},
		tag:  "SHOW",
		rows: func(context.Context) ([][]any, error) {
			v, err := s.showParam(key)
			if err != nil {
				return nil, err
			}
			return [][]any{{v}}, nil
		},
	}
}

func displayParamName(key string) string {
	for _, r := range reportable {
		if strings.ToLower(r) == key {
			return r
		}
	}
	return key
}

// explainPlan shows the route and, for DuckDB, the SQL it runs and DuckDB's plan.
func (s *Session) explainPlan(ctx context.Context, q *sql.Query, es *pg_query.ExplainStmt) (plan, error) {
	analyze := false
	for _, o := range es.Options {
		if d := o.GetDefElem(); d != nil && strings.EqualFold(d.Defname, "analyze") {
			analyze = defElemString(d) != "false"
		}
	}
	if err := s.checkFeatureStatus(q.Tree); err != nil {
		return nil, err
	}
	if es.Query != nil {
		inner := *q
		inner.Tree = &pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: es.Query}}}
		if l := s.onlineLookupPlan(&inner, nil); l != nil {
			return &rowsPlan{cols: []types.Column{textColumn("QUERY PLAN")}, tag: "EXPLAIN", params: l.params,
				rows: func(context.Context) ([][]any, error) { return l.explain(), nil }}, nil
		}
	}
	edits, err := s.asOfEdits(ctx, q)
	if err != nil {
		return nil, err
	}
	edits = append(edits, keywordEdits(q.Text, edits)...)
	text := applyEdits(q.Text, edits)
	inner, err := explainedText(text)
	if err != nil {
		return nil, err
	}
	prefix := "EXPLAIN "
	if analyze {
		prefix = "EXPLAIN ANALYZE "
	}
	return &rowsPlan{
		cols: []types.Column{textColumn("QUERY PLAN")},
		tag:  "EXPLAIN",
		rows: func(ctx context.Context) ([][]any, error) {
			out := [][]any{{"Route: DuckDB (offline store)"}, {"DuckDB SQL: " + strings.Join(strings.Fields(inner), " ")}}
			rows, err := s.conn.Query(ctx, prefix+inner)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			for {
				r, err := rows.Next()
				if err != nil {
					break
				}
				v, _ := r[len(r)-1].(string)
				for _, line := range strings.Split(strings.TrimRight(v, "\n"), "\n") {
					out = append(out, []any{line})
				}
			}
			return out, nil
		},
	}, nil
}

// explainedText is the statement after EXPLAIN and its options.
func explainedText(text string) (string, error) {
	res, err := pg_query.Scan(text)
	if err != nil {
		return "", pgerror.New(pgerror.SyntaxError, "%s", err.Error())
	}
	toks := res.Tokens
	i := 0
	if i < len(toks) && toks[i].Token == pg_query.Token_EXPLAIN {
		i++
	}
	if i < len(toks) && text[toks[i].Start:toks[i].End] == "(" {
		depth := 0
		for ; i < len(toks); i++ {
			switch text[toks[i].Start:toks[i].End] {
			case "(":
				depth++
			case ")":
				depth--
			}
			if depth == 0 {
				i++
				break
			}
		}
	}
	for i < len(toks) {
		switch toks[i].Token {
		case pg_query.Token_ANALYZE, pg_query.Token_ANALYSE, pg_query.Token_VERBOSE:
			i++
			continue
		}
		break
	}
	if i >= len(toks) {
		return "", pgerror.New(pgerror.SyntaxError, "syntax error at end of input")
	}
	return text[toks[i].Start:], nil
}
