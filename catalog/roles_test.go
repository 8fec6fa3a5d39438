package catalog

import (
	"context"
	"testing"
)

// TestPredefinedRolesBootstrapAndUpgrade: a fresh catalog has the
// predefined roles with PostgreSQL's OIDs and the first superuser still
// gets OID 10; a data directory from before them (rows deleted here)
// gets them when opened; they refuse DROP and ALTER.
func TestPredefinedRolesBootstrapAndUpgrade(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng, cat := openTest(t, dir)
	want := map[string]int64{"pg_signal_backend": 4200, "pg_read_server_files": 4569,
		"pg_write_server_files": 4570, "pg_execute_server_program": 4571}
	check := func(cat *Catalog) {
		t.Helper()
		for name, oid := range want {
			r := cat.Role(name)
			if r == nil || r.OID != oid || r.CanLogin || r.Super || !r.Inherit || !r.Predefined() {
				t.Errorf("role %s: %+v", name, r)
			}
		}
	}
	check(cat)
	if err := cat.BootstrapSuperuser(ctx, "admin", ""); err != nil {
		t.Fatal(err)
	}
	if r := cat.Role("admin"); r == nil || r.OID != BootstrapRoleOID || r.Predefined() {
		t.Fatalf("first superuser: %+v", r)
	}
	if _, err := cat.DropRole(ctx, "pg_read_server_files", false); err == nil {
		t.Error("DROP ROLE pg_read_server_files succeeded")
	}
	login := true
	if err := cat.AlterRole(ctx, "pg_signal_backend", RoleChange{CanLogin: &login}); err == nil {
		t.Error("ALTER ROLE pg_signal_backend LOGIN succeeded")
	}
	check(cat)

	// An older data directory: no predefined roles.
	conn, err := eng.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM feature_store.roles WHERE oid < 16384 AND oid <> 10`); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if err := eng.Close(ctx); err != nil {
		t.Fatal(err)
	}
	eng, cat = openTest(t, dir)
	defer eng.Close(ctx)
	check(cat)
	if r := cat.Role("admin"); r == nil || r.OID != BootstrapRoleOID {
		t.Fatalf("superuser after upgrade: %+v", r)
	}
}
