#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL on 127.0.0.1 (a free port, a temporary data directory, run
# as an unprivileged user: PostgreSQL refuses root), its URL in RELAY_TEST_POSTGRES_URL; stops and
# removes it afterwards. Installs Debian's postgresql package when no server binaries are found.
# Fails, never skips, when the server cannot be started.
set -euo pipefail
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
pgbin=$(find_bin || true)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing Debian's postgresql package"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq postgresql >/dev/null
  pgbin=$(find_bin)
fi
work=$(mktemp -d /tmp/relay-pg.XXXXXX)
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  user=postgres
  id "$user" >/dev/null 2>&1 || { user=relay-pg; id "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user"; }
  chown "$user" "$work"
  run_as=(runuser -u "$user" --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${run_as[@]}" "$pgbin/initdb" -D "$work/data" -A trust -U postgres --no-sync >"$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log"; exit 1; }
# Durability settings off (unless PG_DURABLE=1): these databases are thrown away, and the relay's own durability is tested
# by killing relay processes, not the server.
durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${PG_DURABLE:-0}" = 1 ] && durability=""  # for measurements: a commit waits for its fsync, as in production
"${run_as[@]}" "$pgbin/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 start -o \
  "-p $port -k $work -c listen_addresses=127.0.0.1 -c max_connections=1000 $durability" \
  >/dev/null || { cat "$work/server.log"; exit 1; }
stop() {
  "${run_as[@]}" "$pgbin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap stop EXIT
export RELAY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port for the tests"
"$@"
