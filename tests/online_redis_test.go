package tests

import "testing"

// redisStores lists the Redis online stores the online tests also run
// against (filled in once the Redis store exists).
func redisStores() []onlineStore {
	return nil
}

var _ = testing.Short
