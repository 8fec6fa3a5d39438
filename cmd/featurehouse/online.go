package main

import (
	"fmt"

	"github.com/featurehouse/featurehouse/online"
)

// openOnlineStore opens the configured online store.
func openOnlineStore(cfg *config) (online.Store, error) {
	store, err := online.Open(cfg.OnlineStoreURI, onlineOptions(cfg))
	if err != nil {
		return nil, fmt.Errorf("online store: %w", err)
	}
	return store, nil
}

func onlineOptions(cfg *config) online.Options { return online.Options{} }

func onlineFallback(cfg *config) bool { return false }
