// Command fhbench runs featurehouse's benchmarks B1-B3 (online lookups), B4
// (point-in-time training set), B5 (bulk ingest), B6 (large result) and B7
// (streaming inserts) against their peers in one run, on the same data, and
// prints every figure it measured with the ratios.
// bench/run.sh builds it and featurehouse and calls it; see bench/README.md.
//
//	fhbench run -scale N -repeat R -work DIR -featurehouse BIN [-only b1,b2,b3,b4,b5,b6,b7 -entities N ...]
//	fhbench duckdb-load -csv FILE -mode ctas|parquet -out PATH   (internal: the DuckDB peer)
//	fhbench gen -scale N -out FILE                                 (the CSV alone)
//	fhbench read -url URL -mode binary|text                        (B6's client alone, e.g. under perf)
//	fhbench lookup -url URL [-n N] [-batch] [-pg]                  (B1's or B3's client alone, on group bl)
//	fhbench insert -url URL [-duration D | -rows N] [-pg] [-online] (B7's client alone; it recreates b7)
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	args := os.Args[1:]
	cmd := "run"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd {
	case "run":
		err = runBench(ctx, args)
	case "duckdb-load":
		err = duckdbLoad(ctx, args)
	case "b4-duckdb":
		err = b4DuckMain(ctx, args)
	case "gen":
		err = genMain(args)
	case "read":
		err = readMain(ctx, args)
	case "lookup":
		err = lookupMain(ctx, args)
	case "insert":
		err = insertMain(ctx, args)
	default:
		err = fmt.Errorf("unknown command %q (run, duckdb-load, gen, read, lookup, insert)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fhbench:", err)
		os.Exit(1)
	}
}
