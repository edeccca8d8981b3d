#!/usr/bin/env bash
# A throwaway PostgreSQL server in a directory of its own, run as an unprivileged user (PostgreSQL
# refuses root). Used by with-postgres.sh and by tests that stop and start their own server.
#   pg-server.sh init DIR          create the data directory
#   pg-server.sh start DIR PORT    start it on 127.0.0.1:PORT (PG_DURABLE=1 keeps fsync on)
#   pg-server.sh stop DIR          stop it at once (as a crash would)
set -euo pipefail
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
pgbin=$(find_bin || true)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing Debian's postgresql package" >&2
  $sudo apt-get update -qq && $sudo apt-get install -y -qq postgresql >/dev/null
  pgbin=$(find_bin)
fi
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  user=postgres
  id "$user" >/dev/null 2>&1 || { user=relay-pg; id "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user"; }
  run_as=(runuser -u "$user" --)
fi
command=$1 dir=$2
case "$command" in
  init)
    mkdir -p "$dir"
    [ ${#run_as[@]} -gt 0 ] && chown "$user" "$dir"
    "${run_as[@]}" "$pgbin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; } ;;
  start)
    # Durability off unless PG_DURABLE=1: these databases are thrown away, and the relay's own
    # durability is tested by killing relay processes, not the server.
    durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${PG_DURABLE:-0}" = 1 ] && durability=""
    "${run_as[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
      "-p $3 -k $dir -c listen_addresses=127.0.0.1 -c max_connections=1000 $durability" >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; } ;;
  stop)
    "${run_as[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true ;;
  version)
    "$pgbin/postgres" --version | awk '{print $3}' ;;
  *) echo "usage: pg-server.sh init|start|stop DIR [PORT]" >&2; exit 2 ;;
esac
