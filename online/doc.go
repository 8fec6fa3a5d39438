// Package online is featurehouse's online store: per feature group and
// entity, one record holding the entity's latest feature values, read by
// point lookups in one round trip. It has one interface, Store, and its
// implementations: Redis (single node or cluster, through go-redis) and the
// embedded in-process store (memory://). A Cache can sit in front of
// either.
//
// A record is opaque bytes whose first 16 bytes are its version: the event
// time and the write sequence, big-endian and sign-flipped, so that a plain
// byte comparison orders versions. Put writes a record only when it is newer
// than the one stored (on Redis with a server-side script), so a late,
// out-of-order event never replaces a newer value.
//
// The package knows nothing of SQL, DuckDB or the catalog: the planner
// encodes keys and values (sql/types) and decides what to write and read.
// It must not import planner, catalog, duckdb or pgwire.
package online
