package main

import (
	"fmt"

	"github.com/featurehouse/featurehouse/online"
)

// openOnlineStore opens the configured online store, with the serving
// cache in front of a remote one when cache-ttl is positive (the embedded
// store is already in process: no cache).
func openOnlineStore(cfg *config) (online.Store, error) {
	store, err := online.Open(cfg.OnlineStoreURI, online.Options{PoolSize: cfg.OnlinePoolSize, Timeout: cfg.OnlineTimeout})
	if err != nil {
		return nil, fmt.Errorf("online store: %w", err)
	}
	if cfg.CacheTTL > 0 && store.Kind() != "memory" {
		return online.NewCache(store, cfg.CacheTTL), nil
	}
	return store, nil
}
