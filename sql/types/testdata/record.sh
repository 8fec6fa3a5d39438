#!/bin/sh
# Regenerates pg15_text.txt and pg15_binary.txt from cases.txt by running
# each case's PostgreSQL expression on a real PostgreSQL 15 server.
#
# Usage: PGHOST=127.0.0.1 PGPORT=55432 PGUSER=postgres sh record.sh
#
# A throwaway server (initdb refuses to run as root):
#   su postgres -c "/usr/lib/postgresql/15/bin/initdb -D /tmp/pgtypes-data"
#   su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D /tmp/pgtypes-data \
#       -o '-p 55432 -k /tmp -c listen_addresses=127.0.0.1' -l /tmp/pgtypes.log start"
#
# Output lines are tab-separated:
#   pg15_text.txt:   name  type-oid  text-output   (the type's output function, as psql -At prints it)
#   pg15_binary.txt: name  hex of the type's send function output (typsend from pg_type)
# The session runs with PostgreSQL's defaults (DateStyle ISO, MDY;
# IntervalStyle postgres; extra_float_digits 1), TimeZone per case.
set -eu
cd "$(dirname "$0")"

sql=$(mktemp)
trap 'rm -f "$sql"' EXIT
{
	echo "SET client_encoding = 'UTF8'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1;"
	cat <<'SQL'
CREATE FUNCTION pg_temp.binhex(v anyelement) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r text; fn regproc;
BEGIN
  SELECT typsend INTO fn FROM pg_type WHERE oid = pg_typeof(v);
  EXECUTE format('SELECT encode(%s($1), ''hex'')', fn) INTO r USING v;
  RETURN r;
END $f$;
SQL
	grep -v '^#' cases.txt | while IFS='	' read -r name tz pgexpr duckexpr; do
		[ -n "$name" ] || continue
		[ "$tz" = "-" ] && tz=UTC
		echo "SET TimeZone = '$tz';"
		echo "SELECT 'T', '$name', pg_typeof($pgexpr)::oid, $pgexpr;"
		echo "SELECT 'B', '$name', pg_temp.binhex($pgexpr);"
	done
} >"$sql"

out=$(psql -X -q -At -F '	' -v ON_ERROR_STOP=1 -f "$sql")
printf '%s\n' "$out" | grep '^T	' | cut -f2- >pg15_text.txt
printf '%s\n' "$out" | grep '^B	' | cut -f2- >pg15_binary.txt
wc -l pg15_text.txt pg15_binary.txt
