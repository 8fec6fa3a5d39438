// Command featurehouse is the feature store server: it reads configuration
// (flags, then FEATURE_STORE_* environment variables, then an optional
// config file), opens the offline engine and the catalog, and serves the
// PostgreSQL protocol and the HTTP health and metrics endpoints until
// SIGINT or SIGTERM.
//
// It is the only package that knows every other one; it wires them and
// holds no feature-store logic of its own.
package main
