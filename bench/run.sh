#!/bin/sh
# Runs featurehouse's benchmarks B5 (bulk ingest) and B6 (large result)
# against their peers in one run and prints every figure with the ratios.
# See bench/README.md.
#
#   SCALE=10000000 REPEAT=3 WORK=/tmp/fhbench ONLY=b5,b6 bench/run.sh
#
# SCALE   rows in the CSV and tables (default 10000000; 1000000 for a quick run)
# REPEAT  repetitions of each measurement, peers interleaved (default 3)
# WORK    work directory: CSV (kept and reused across runs), data dirs, logs
# ONLY    b5, b6 or b5,b6
# PG_BIN  PostgreSQL 15 bin directory (default /usr/lib/postgresql/15/bin)
# REPORT  also write the report (markdown) to this file (default WORK/report-SCALE.md)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCALE=${SCALE:-10000000}
REPEAT=${REPEAT:-3}
WORK=${WORK:-/tmp/fhbench}
ONLY=${ONLY:-b5,b6}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
REPORT=${REPORT:-$WORK/report-$SCALE.md}

if [ ! -x "$PG_BIN/postgres" ]; then
	echo "bench: PostgreSQL 15 not found in $PG_BIN (Debian: apt-get install postgresql-15; or set PG_BIN)" >&2
	exit 1
fi

mkdir -p "$WORK/bin"
echo "bench: building featurehouse and fhbench into $WORK/bin" >&2
(cd "$ROOT" && go build -o "$WORK/bin/featurehouse" ./cmd/featurehouse)
(cd "$ROOT" && go build -o "$WORK/bin/fhbench" ./bench/cmd/fhbench)

exec "$WORK/bin/fhbench" run -scale "$SCALE" -repeat "$REPEAT" -work "$WORK" -only "$ONLY" \
	-featurehouse "$WORK/bin/featurehouse" -pg-bin "$PG_BIN" -repo "$ROOT" -out "$REPORT"
