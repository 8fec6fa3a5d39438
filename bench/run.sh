#!/bin/sh
# Runs featurehouse's benchmarks B1-B3 (online lookups), B4 (point-in-time
# training set), B5 (bulk ingest), B6 (large result) and B7 (streaming
# inserts) against their peers in one run and prints every figure with the
# ratios. See bench/README.md.
#
#   SCALE=10000000 REPEAT=3 WORK=/tmp/fhbench ONLY=b1,b2,b3,b4,b5,b6,b7 bench/run.sh
#
# SCALE   B5/B6: rows in the CSV and tables (default 10000000; 1000000 for a quick run)
# REPEAT  repetitions of each measurement, peers interleaved (default 3)
# WORK    work directory: CSVs (B5's kept and reused across runs), data dirs, logs
# ONLY    comma-separated subset of b1,b2,b3,b4,b5,b6,b7 (default all of them)
# ENTITIES     B1-B3: entities in the online feature group (default 100000)
# B1_REQUESTS  B1: timed lookups per peer and repetition (default 20000)
# B2_DURATION  B2: timed duration per peer and repetition (default 10s)
# B3_BATCHES   B3: timed batches of 100 entities per peer and repetition (default 2000)
# B4_LABELS    B4: label rows (default 1000000)
# B4_ROWS      B4: rows per feature group (default 10000000)
# B4_ENTITIES  B4: entities per feature group (default 100000)
# B4_PG_SAMPLE B4: labels PostgreSQL's LATERAL join is timed on (default 50000; 0: all)
# B7_DURATION  B7: timed duration per peer and repetition (default 20s)
# B7_ROWS      B7: timed rows per peer and repetition instead of B7_DURATION (default 0: duration)
# B7_ENTITIES  B7: entities the inserted rows are spread over (default 100000)
# PG_BIN  PostgreSQL 15 bin directory (default /usr/lib/postgresql/15/bin)
# FH_BIN  use this featurehouse binary instead of building ./cmd/featurehouse
# REPORT  also write the report (markdown) to this file (default WORK/report-ONLY-SCALE.md)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCALE=${SCALE:-10000000}
REPEAT=${REPEAT:-3}
WORK=${WORK:-/tmp/fhbench}
ONLY=${ONLY:-b1,b2,b3,b4,b5,b6,b7}
ENTITIES=${ENTITIES:-100000}
B1_REQUESTS=${B1_REQUESTS:-20000}
B2_DURATION=${B2_DURATION:-10s}
B3_BATCHES=${B3_BATCHES:-2000}
B4_LABELS=${B4_LABELS:-1000000}
B4_ROWS=${B4_ROWS:-10000000}
B4_ENTITIES=${B4_ENTITIES:-100000}
B4_PG_SAMPLE=${B4_PG_SAMPLE:-50000}
B7_DURATION=${B7_DURATION:-20s}
B7_ROWS=${B7_ROWS:-0}
B7_ENTITIES=${B7_ENTITIES:-100000}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
REPORT=${REPORT:-$WORK/report-$(echo "$ONLY" | tr , _)-$SCALE.md}

if [ ! -x "$PG_BIN/postgres" ]; then
	echo "bench: PostgreSQL 15 not found in $PG_BIN (Debian: apt-get install postgresql-15; or set PG_BIN)" >&2
	exit 1
fi

mkdir -p "$WORK/bin"
echo "bench: building featurehouse and fhbench into $WORK/bin" >&2
if [ -n "${FH_BIN:-}" ]; then
	[ "$FH_BIN" -ef "$WORK/bin/featurehouse" ] || cp "$FH_BIN" "$WORK/bin/featurehouse"
else
	(cd "$ROOT" && go build -o "$WORK/bin/featurehouse" ./cmd/featurehouse)
fi
(cd "$ROOT" && go build -o "$WORK/bin/fhbench" ./bench/cmd/fhbench)

exec "$WORK/bin/fhbench" run -scale "$SCALE" -repeat "$REPEAT" -work "$WORK" -only "$ONLY" \
	-entities "$ENTITIES" -b1-requests "$B1_REQUESTS" -b2-duration "$B2_DURATION" -b3-batches "$B3_BATCHES" \
	-b4-labels "$B4_LABELS" -b4-rows "$B4_ROWS" -b4-entities "$B4_ENTITIES" -b4-pg-sample "$B4_PG_SAMPLE" \
	-b7-duration "$B7_DURATION" -b7-rows "$B7_ROWS" -b7-entities "$B7_ENTITIES" \
	-featurehouse "$WORK/bin/featurehouse" -pg-bin "$PG_BIN" -repo "$ROOT" -out "$REPORT"
