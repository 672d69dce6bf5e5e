# shellcheck shell=bash
# Sourced by .ci/run (and usable alone: `source .ci/postgres.sh`): makes a
# PostgreSQL server answer for the tests and exports DUPLEX_TEST_POSTGRES
# and DUPLEX_REQUIRE_POSTGRES=1.
#
#  1. DUPLEX_TEST_POSTGRES is set and answers: it is used as it is.
#  2. A server answers at PGHOST:PGPORT (default 127.0.0.1:5432): it is
#     used, with database "test" (created when missing).
#  3. Otherwise a private server from Debian's packages (installed when
#     missing): initdb into a temporary folder as a non-root user (postgres
#     when this runs as root), listening on 127.0.0.1 only, on PGPORT when
#     one was given, else on the first free port from 55432; it is stopped
#     and its folder removed when the calling shell exits.
#
# The machine's own cluster is never started, stopped or reconfigured.

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

pg_listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

pg_setup() {
  local bin host port dsn
  bin=$(pg_bin)
  if [ -z "$bin" ]; then
    echo "== installing PostgreSQL from Debian's packages"
    if [ "$(id -u)" != 0 ]; then
      echo "PostgreSQL is not installed and this is not root: install postgresql or set DUPLEX_TEST_POSTGRES" >&2
      return 1
    fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(pg_bin)
  fi

  if [ -n "${DUPLEX_TEST_POSTGRES:-}" ]; then
    if "$bin/psql" "$DUPLEX_TEST_POSTGRES" -qtAc "SELECT 1" >/dev/null 2>&1; then
      echo "== PostgreSQL: DUPLEX_TEST_POSTGRES"
      export DUPLEX_REQUIRE_POSTGRES=1
      return 0
    fi
    echo "DUPLEX_TEST_POSTGRES is set but does not answer: $DUPLEX_TEST_POSTGRES" >&2
    return 1
  fi

  host=${PGHOST:-127.0.0.1}
  case "$host" in /*) host=127.0.0.1 ;; esac # a socket folder: use TCP on loopback
  port=${PGPORT:-5432}
  if "$bin/pg_isready" -q -h "$host" -p "$port" 2>/dev/null; then
    echo "== PostgreSQL at $host:$port"
    if ! "$bin/psql" -h "$host" -p "$port" -U postgres -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
      "$bin/psql" -h "$host" -p "$port" -U postgres -d postgres -qc "CREATE DATABASE test" >/dev/null || return 1
    fi
    export DUPLEX_TEST_POSTGRES="postgres://postgres@$host:$port/test?sslmode=disable"
    export DUPLEX_REQUIRE_POSTGRES=1
    return 0
  fi

  # A private server.
  if [ -z "${PGPORT:-}" ]; then
    port=55432
    while pg_listening 127.0.0.1 "$port"; do
      port=$((port + 1))
      if [ "$port" -gt 55531 ]; then
        echo "no free port for a private PostgreSQL in 55432-55531" >&2
        return 1
      fi
    done
  elif pg_listening 127.0.0.1 "$port"; then
    echo "something that is not PostgreSQL listens on port $port" >&2
    return 1
  fi
  PG_PRIVATE_DIR=$(mktemp -d /tmp/duplex-pg.XXXXXX)
  PG_PRIVATE_BIN=$bin
  chmod 755 "$PG_PRIVATE_DIR"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$PG_PRIVATE_DIR" || return 1
  fi
  trap pg_teardown EXIT
  echo "== starting a private PostgreSQL on 127.0.0.1:$port (data in $PG_PRIVATE_DIR)"
  pg_as "$bin/initdb" -D "$PG_PRIVATE_DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$PG_PRIVATE_DIR/initdb.log" 2>&1 ||
    { cat "$PG_PRIVATE_DIR/initdb.log" >&2; return 1; }
  # Many tests open their own connection pools at once.
  pg_as "$bin/pg_ctl" -D "$PG_PRIVATE_DIR/data" -l "$PG_PRIVATE_DIR/log" -w -t 60 \
    -o "-p $port -k $PG_PRIVATE_DIR -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null ||
    { cat "$PG_PRIVATE_DIR/log" >&2; return 1; }
  pg_as "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres test || return 1
  export DUPLEX_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/test?sslmode=disable"
  export DUPLEX_REQUIRE_POSTGRES=1
}

# pg_as runs a command as the non-root user that owns the private server.
pg_as() {
  if [ "$(id -u)" = 0 ]; then
    if command -v runuser >/dev/null; then
      runuser -u postgres -- "$@"
    else
      su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

pg_teardown() {
  if [ -n "${PG_PRIVATE_DIR:-}" ] && [ -d "$PG_PRIVATE_DIR/data" ]; then
    pg_as "$PG_PRIVATE_BIN/pg_ctl" -D "$PG_PRIVATE_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  [ -n "${PG_PRIVATE_DIR:-}" ] && rm -rf "$PG_PRIVATE_DIR"
  PG_PRIVATE_DIR=
}

pg_setup
