#!/usr/bin/env bash
# Installs what `make test` needs and is missing: the PostgreSQL 15 client
# (psql) for the end-to-end tests, the Python clients (psycopg2, psycopg 3,
# SQLAlchemy, pandas), pgJDBC with a JDK, psqlODBC with isql, and Redis (redis-server, redis-cli) for
# the online store's tests, which start their own servers. As root it
# installs Debian packages; otherwise it says what is missing and fails.
set -euo pipefail

missing=()
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
# psqlODBC and unixODBC's isql.
test -f /usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so || missing+=(odbc-postgresql)
command -v isql >/dev/null 2>&1 || missing+=(unixodbc)
# pgJDBC and a JDK to compile the JDBC scenario.
test -f /usr/share/java/postgresql.jar || missing+=(libpostgresql-jdbc-java)
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
# Python clients, as Debian packages for Debian's own /usr/bin/python3.
/usr/bin/python3 -c 'import psycopg2' >/dev/null 2>&1 || missing+=(python3-psycopg2)
/usr/bin/python3 -c 'import psycopg' >/dev/null 2>&1 || missing+=(python3-psycopg)
/usr/bin/python3 -c 'import sqlalchemy' >/dev/null 2>&1 || missing+=(python3-sqlalchemy)
/usr/bin/python3 -c 'import pandas' >/dev/null 2>&1 || missing+=(python3-pandas)

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "make test needs: ${missing[*]} (install them with apt-get, or run make test as root)" >&2
	exit 1
fi
echo "installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}"
