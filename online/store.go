package online

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"time"
)

// VersionLen is the length of a record's version prefix.
const VersionLen = 16

// Entry is one record to write.
type Entry struct {
	// Key is the encoded entity key (unique within a namespace).
	Key string
	// Value starts with the version (Version) followed by the payload.
	// A nil Value in Replace deletes the key.
	Value []byte
	// ExpireAt is when the record stops being served (event time + ttl);
	// zero means never.
	ExpireAt time.Time
}

// Store is an online store. Every method does one round trip per call on
// a single node (one per node involved on a cluster), whatever the number
// of keys. Namespaces separate groups (and generations of a group: see
// the planner's REFRESH ONLINE).
type Store interface {
	// Put writes each entry unless the store holds, for its key, a record
	// whose version is greater than or equal to the entry's.
	Put(ctx context.Context, ns string, entries []Entry) error
	// Replace writes each entry unconditionally (nil Value: delete).
	Replace(ctx context.Context, ns string, entries []Entry) error
	// Get returns the stored records of keys, in order; nil where there is
	// none (or it expired).
	Get(ctx context.Context, ns string, keys []string) ([][]byte, error)
	// DropNamespace removes every record of ns. It may finish in the
	// background; a dropped namespace is never read again.
	DropNamespace(ctx context.Context, ns string) error
	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Kind names the implementation for EXPLAIN and statistics: "memory",
	// "redis", "redis-cluster".
	Kind() string
	// Nodes is how many servers a batch may touch (1 but on a cluster).
	Nodes() int
	Close() error
}

// ErrUnavailable wraps every error of a store that could not be reached
// (refused, timed out, closed); callers test it with errors.Is.
var ErrUnavailable = errors.New("online store unavailable")

// Version encodes an event time (microseconds since 1970, UTC) and write
// sequence into the 16-byte prefix whose byte order is their order.
func Version(eventTimeMicros, seq int64) [VersionLen]byte {
	var v [VersionLen]byte
	binary.BigEndian.PutUint64(v[:8], uint64(eventTimeMicros)^(1<<63))
	binary.BigEndian.PutUint64(v[8:], uint64(seq)^(1<<63))
	return v
}

// ParseVersion decodes a record's version prefix.
func ParseVersion(rec []byte) (eventTimeMicros, seq int64, ok bool) {
	if len(rec) < VersionLen {
		return 0, 0, false
	}
	return int64(binary.BigEndian.Uint64(rec[:8]) ^ (1 << 63)), int64(binary.BigEndian.Uint64(rec[8:16]) ^ (1 << 63)), true
}

// Newer reports whether record a's version is greater than b's (b nil: yes).
func Newer(a, b []byte) bool {
	if b == nil {
		return true
	}
	if len(a) < VersionLen || len(b) < VersionLen {
		return len(a) >= VersionLen
	}
	return bytes.Compare(a[:VersionLen], b[:VersionLen]) > 0
}
