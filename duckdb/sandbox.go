package duckdb

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The sandbox (--sandbox) is a second line behind the planner's engine
// lockdown: DuckDB itself refuses files outside the data directory (and
// the directories the operator adds), extension installs and loads, for
// every connection, superusers' included. It relies on DuckDB 1.5's
// enable_external_access = false, which is database-wide and, once off,
// cannot be turned on again or have allowed_directories changed while the
// database runs, so no SQL can undo it. lock_configuration is not used:
// it would also freeze the per-session settings featurehouse changes
// (TimeZone, integer_division). See doc.go for why it is not the default.

// sandboxStatements turns external access off, allowing dataDir and allow.
func sandboxStatements(dataDir string, allow []string) ([]string, error) {
	var dirs []string
	for _, d := range append([]string{dataDir}, allow...) {
		if strings.TrimSpace(d) == "" {
			continue
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("duckdb: sandbox directory %s: %w", d, err)
		}
		if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("duckdb: sandbox directory %s is not a directory", d)
		}
		// DuckDB matches prefixes: /data must not let /data2 in.
		dirs = append(dirs, QuoteString(strings.TrimSuffix(abs, string(filepath.Separator))+string(filepath.Separator)))
	}
	return []string{
		"SET allowed_directories = [" + strings.Join(dirs, ", ") + "]",
		"SET enable_external_access = false",
	}, nil
}
