package online

import (
	"fmt"
	"strings"
	"time"
)

// Options configure a store opened from a URI.
type Options struct {
	// PoolSize is the number of connections per Redis node (0: go-redis's
	// default, 10 per CPU).
	PoolSize int
	// Timeout bounds every operation (dial, read, write): a lookup against
	// a store that is down fails within it. 0: 500ms.
	Timeout time.Duration
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return 500 * time.Millisecond
	}
	return o.Timeout
}

// Open opens the store a URI names: "" or "memory://" (embedded),
// "redis://" or "rediss://" (one node), "redis+cluster://h1:p1,h2:p2" or a
// comma-separated list of redis:// URIs or host:port seeds (Redis Cluster).
func Open(uri string, opt Options) (Store, error) {
	switch {
	case uri == "" || uri == "memory://" || uri == "memory":
		return NewMemory(), nil
	case strings.HasPrefix(uri, "redis://") || strings.HasPrefix(uri, "rediss://") ||
		strings.HasPrefix(uri, "redis+cluster://") || strings.Contains(uri, ","):
		return openRedis(uri, opt)
	}
	return nil, fmt.Errorf("online store URI %q: expected memory://, redis://, rediss://, redis+cluster://host:port,... or a comma-separated seed list", uri)
}
