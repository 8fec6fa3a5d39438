package planner

import (
	"context"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/featurehouse/featurehouse/sql/pgerror"
)

// Savepoints. DuckDB transactions have none, so featurehouse keeps only
// their names: SAVEPOINT and RELEASE succeed (psqlODBC wraps every
// statement in SAVEPOINT / RELEASE for its statement-level rollback), and
// ROLLBACK TO SAVEPOINT succeeds when no statement ran since the
// savepoint — there is nothing to undo. Otherwise it fails (0A000) and the
// transaction block is failed: its work cannot be partly undone, and
// saying so beats pretending.

type savepoint struct {
	name string
	seq  int64 // s.stmtSeq when it was made
}

func (s *Session) savepointPlan(ts *pg_query.TransactionStmt) plan {
	return &commandPlan{run: func(ctx context.Context) (string, error) {
		name := ts.SavepointName
		switch ts.Kind {
		case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
			if !s.inBlock() {
				return "", pgerror.New(pgerror.NoActiveSQLTransaction, "SAVEPOINT can only be used in transaction blocks")
			}
			s.savepoints = append(s.savepoints, savepoint{name: name, seq: s.stmtSeq})
			return "SAVEPOINT", nil
		case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
			i, err := s.findSavepoint(name, "RELEASE SAVEPOINT")
			if err != nil {
				return "", err
			}
			s.savepoints = s.savepoints[:i]
			return "RELEASE", nil
		default: // ROLLBACK TO
			i, err := s.findSavepoint(name, "ROLLBACK TO SAVEPOINT")
			if err != nil {
				return "", err
			}
			if s.savepoints[i].seq != s.stmtSeq {
				return "", pgerror.New(pgerror.FeatureNotSupported, "ROLLBACK TO SAVEPOINT cannot undo the statements run since the savepoint").
					WithDetail("featurehouse transactions have no savepoints; the whole transaction block must be rolled back.")
			}
			s.savepoints = s.savepoints[:i+1]
			return "ROLLBACK", nil
		}
	}}
}

// findSavepoint is the index of the latest savepoint name.
func (s *Session) findSavepoint(name, verb string) (int, error) {
	if !s.inBlock() {
		return 0, pgerror.New(pgerror.NoActiveSQLTransaction, "%s can only be used in transaction blocks", verb)
	}
	for i := len(s.savepoints) - 1; i >= 0; i-- {
		if s.savepoints[i].name == name {
			return i, nil
		}
	}
	return 0, pgerror.New("3B001", `savepoint "%s" does not exist`, name)
}
