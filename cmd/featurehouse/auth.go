package main

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/featurehouse/featurehouse/catalog"
	"github.com/featurehouse/featurehouse/internal/scram"
	"github.com/featurehouse/featurehouse/pgwire"
)

// authConfig creates the superuser role on first start (with its
// password, when configured) and builds the server's authentication.
func authConfig(ctx context.Context, cfg *config, cat *catalog.Catalog) (pgwire.AuthConfig, error) {
	verifier := cfg.SuperuserPassword
	if verifier != "" && !scram.IsVerifier(verifier) {
		var err error
		if verifier, err = scram.NewVerifier(verifier); err != nil {
			return pgwire.AuthConfig{}, err
		}
	}
	if err := cat.BootstrapSuperuser(ctx, cfg.Superuser, verifier); err != nil {
		return pgwire.AuthConfig{}, fmt.Errorf("creating superuser %q: %w", cfg.Superuser, err)
	}
	a := pgwire.AuthConfig{
		Rules: cfg.HBARules,
		Verifier: func(_ context.Context, user string) (string, bool) {
			r := cat.Role(user)
			if r == nil || r.Password == "" {
				return "", false
			}
			return r.Password, true
		},
		MaxConnections: cfg.MaxConnections,
		Timeout:        cfg.AuthTimeout,
		FailThreshold:  cfg.AuthFailThreshold,
		FailDelay:      cfg.AuthFailDelay,
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return a, fmt.Errorf("tls-cert/tls-key: %w", err)
		}
		a.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return a, nil
}
