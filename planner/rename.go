package planner

import (
	"context"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/sql"
)

// renameViewAsTable turns ALTER TABLE v RENAME TO w, on a view, into
// ALTER VIEW: PostgreSQL accepts either (dbt renames the views it builds
// with ALTER TABLE), DuckDB only the latter. It returns nil when the
// statement is not that.
func (s *Session) renameViewAsTable(ctx context.Context, q *sql.Query, rs *pg_query.RenameStmt) *sql.Query {
	if rs.RenameType != pg_query.ObjectType_OBJECT_TABLE || rs.Relation == nil {
		return nil
	}
	schemas := []any{rs.Relation.Schemaname}
	if rs.Relation.Schemaname == "" {
		schemas = nil
		for _, sc := range s.searchPath() {
			schemas = append(schemas, sc)
		}
	}
	if len(schemas) == 0 {
		return nil
	}
	var one any
	query := "SELECT 1 FROM duckdb_views() WHERE NOT internal AND view_name = ? AND schema_name IN (?" + repeatParam(len(schemas)-1) + ")"
	if found, _ := s.conn.QueryRow(ctx, query, append([]any{rs.Relation.Relname}, schemas...), &one); !found {
		return nil
	}
	res, err := pg_query.Scan(q.Original)
	if err != nil {
		return nil
	}
	for _, t := range res.Tokens {
		if t.Token == pg_query.Token_TABLE {
			st, err := sql.ParseOne(q.Original[:t.Start] + "VIEW" + q.Original[t.End:])
			if vq, ok := st.(*sql.Query); err == nil && ok {
				return vq
			}
			return nil
		}
	}
	return nil
}

func repeatParam(n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += ", ?"
	}
	return out
}
