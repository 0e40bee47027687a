#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder owned by the
# `postgres` user, listening only on a Unix socket in that folder (no TCP port to collide on).
#
#   eval "$(test/helpers/pg-cluster.sh start)"   # exports CANTO_TEST_PG_HOST and CANTO_TEST_PG_USER
#   npm test
#   test/helpers/pg-cluster.sh stop "$CANTO_TEST_PG_HOST"
#
# Needs Debian's postgresql package and root (to act as the postgres user), or to be run as
# the postgres user itself. Prints only the export lines on stdout; progress goes to stderr.
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ]; then
  echo "pg-cluster: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi
as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

case "${1:-}" in
  start)
    dir=$(mktemp -d /tmp/canto-pg.XXXXXX)
    chmod 0755 "$dir"
    chown postgres: "$dir" 2>/dev/null || true
    as_postgres "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      exit 1
    }
    # A role that must give its password, for the bad-credentials test; everyone else is trusted.
    printf 'local all canto_pw scram-sha-256\nlocal all all trust\n' >"$dir/data/pg_hba.conf"
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -k $dir -c fsync=on -c max_connections=200" start >&2
    as_postgres "$bindir/psql" -h "$dir" -U postgres -q -c "CREATE ROLE canto_pw LOGIN SUPERUSER PASSWORD 'right-password'" >&2
    echo "export CANTO_TEST_PG_HOST=$dir"
    echo "export CANTO_TEST_PG_USER=postgres"
    ;;
  stop)
    dir=${2:?usage: pg-cluster.sh stop DIR}
    case "$dir" in /tmp/canto-pg.*) ;; *) echo "pg-cluster: $dir is not a cluster this script made" >&2; exit 1 ;; esac
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg-cluster.sh start | stop DIR" >&2
    exit 2
    ;;
esac
