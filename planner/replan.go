package planner

import (
	"context"

	"github.com/featurehouse/featurehouse/sql/pgerror"
	"github.com/featurehouse/featurehouse/sql/types"
)

// A prepared statement (extended protocol) is planned once and may run
// many times. A catalog change since its plan (SET DATA TYPE, ADD or
// RENAME FEATURE, options, a group dropped and created again) can make the
// plan wrong: an online lookup would encode values of the new type as the
// old one, a DuckDB statement would return columns of other types than
// described. As PostgreSQL's plan cache does (RevalidateCachedQuery), the
// statement is planned again before it runs; the parameters keep the types
// they were described with; if the result columns are not those the client
// was given, the execution fails with 0A000 "cached plan must not change
// result type", and keeps failing until the client prepares it again
// (pgx, pgjdbc and psycopg drop the statement from their caches then).

// revalidate plans st again when the catalog changed since its plan.
func (st *Statement) revalidate(ctx context.Context) error {
	gen := st.s.p.catalog.Generation()
	role := st.s.currentRole()
	if gen == st.gen && role == st.planRole {
		return nil // the plan depends on the role too: masking (masking.go)
	}
	params, cols, err := st.plan.describe(ctx)
	if err != nil {
		// Described at Prepare; a describe that fails now is planned anew.
		params, cols = st.paramTypes, nil
	}
	fixed := params
	if len(fixed) == 0 {
		fixed = st.paramTypes
	}
	p, err := st.s.planStatement(ctx, st.parsed, fixed)
	if err != nil {
		return err
	}
	_, newCols, err := p.describe(ctx)
	if err != nil {
		p.close()
		return err
	}
	if !sameResult(cols, newCols) {
		p.close()
		return pgerror.New(pgerror.FeatureNotSupported, "cached plan must not change result type")
	}
	st.plan.close()
	st.plan, st.gen, st.planRole = p, gen, role
	return nil
}

// sameResult: the same columns, names and types (with modifiers) as
// PostgreSQL compares a cached plan's result descriptor.
func sameResult(a, b []types.Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Type.OID != b[i].Type.OID || a[i].Type.Modifier != b[i].Type.Modifier {
			return false
		}
	}
	return true
}
