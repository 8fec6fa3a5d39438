package planner

import (
	"strconv"
	"strings"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/duckdb"
)

// checkPrivilege answers has_table_privilege and its kin (through DuckDB's
// fh_privilege, duckdb/privilege_udf.go) from the same rules the
// statements are checked with. It runs inside a DuckDB query, so it reads
// only the in-memory catalog, never a connection.
func (p *Planner) checkPrivilege(role, kind, object, column, privs string) (bool, bool) {
	s := &Session{p: p}
	if oid, err := strconv.ParseInt(role, 10, 64); err == nil {
		role = ""
		for _, r := range p.catalog.Roles() {
			if r.OID == oid {
				role = r.Name
			}
		}
	}
	if p.catalog.Role(role) == nil {
		return false, false
	}
	pc := s.newPrivCheck(role, 0)
	anyOf := func(each func(priv string) bool) bool {
		for _, w := range strings.Split(privs, ",") {
			w = strings.ToUpper(strings.TrimSpace(w))
			w = strings.TrimSuffix(w, " WITH GRANT OPTION")
			w = strings.TrimSpace(strings.TrimSuffix(w, "WITH GRANT OPTION"))
			if w == "TEMP" {
				w = "TEMPORARY"
			}
			if w != "" && each(w) {
				return true
			}
		}
		return false
	}
	switch kind {
	case "schema":
		name := unquoteName(object)
		return anyOf(func(priv string) bool {
			return publicSchemaDefault(name, priv) || pc.hasObjPriv(catalog.ObjSchema, name, "", s.schemaOwner(name), priv)
		}), true
	case "database":
		return anyOf(func(priv string) bool {
			return priv == "CONNECT" || priv == "TEMPORARY" ||
				pc.hasObjPriv(catalog.ObjDatabase, "", duckdb.DatabaseName, p.catalog.BootstrapRole(), priv)
		}), true
	case "role":
		target := unquoteName(object)
		if oid, err := strconv.ParseInt(target, 10, 64); err == nil {
			for _, r := range p.catalog.Roles() {
				if r.OID == oid {
					target = r.Name
				}
			}
		}
		if p.catalog.Role(target) == nil {
			return false, false
		}
		return anyOf(func(mode string) bool {
			return p.catalog.IsMemberOf(role, target, mode == "USAGE")
		}), true
	}
	rel := p.relationByName(object)
	if rel == nil {
		return false, false
	}
	return anyOf(func(priv string) bool {
		switch kind {
		case "column":
			return pc.relPriv(rel, priv, column)
		case "any_column":
			return pc.relPriv(rel, priv, "") || pc.anyColumnPriv(rel, priv)
		}
		return pc.relPriv(rel, priv, "")
	}), true
}

// relationByName finds a relation named as has_table_privilege takes it
// ("schema.name", quoted or not; unqualified names in public). Ordinary
// tables are known by their recorded owner, else owned by the bootstrap
// superuser.
func (p *Planner) relationByName(text string) *relation {
	parts := splitQualified(text)
	if len(parts) == 0 || len(parts) > 3 {
		return nil
	}
	name := parts[len(parts)-1]
	schema := "public"
	if len(parts) >= 2 {
		schema = parts[len(parts)-2]
	}
	switch schema {
	case "pg_catalog", "information_schema", "feature_store", "pg_temp_1":
		return nil // catalogs and temporary tables: not under privileges
	}
	if g := p.catalog.Lookup(schema, name); g != nil {
		return groupRelation(g)
	}
	if v := p.catalog.LookupView(schema, name); v != nil {
		return viewRelation(v)
	}
	rel := &relation{kind: relTable, schema: schema, name: name, owner: p.catalog.BootstrapRole()}
	if o, ok := p.catalog.RecordedOwner(catalog.ObjRelation, schema, name); ok {
		rel.owner, rel.definition = o.Owner, o.Definition
	}
	return rel
}

// splitQualified splits a possibly quoted dotted name, folding unquoted
// parts to lower case as PostgreSQL's regclass input does.
func splitQualified(text string) []string {
	var parts []string
	var cur strings.Builder
	quoted, wasQuoted := false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '"' && quoted && i+1 < len(text) && text[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
			wasQuoted = true
		case c == '.' && !quoted:
			parts = append(parts, foldName(cur.String(), wasQuoted))
			cur.Reset()
			wasQuoted = false
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, foldName(cur.String(), wasQuoted))
}

func foldName(s string, quoted bool) string {
	if quoted {
		return s
	}
	return strings.ToLower(strings.TrimSpace(s))
}

func unquoteName(s string) string {
	parts := splitQualified(s)
	return parts[len(parts)-1]
}
