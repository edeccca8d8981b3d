#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL on 127.0.0.1 (a free port, a temporary data directory, run
# as an unprivileged user: PostgreSQL refuses root), its URL in RELAY_TEST_POSTGRES_URL; stops and
# removes it afterwards. Installs Debian's postgresql package when no server binaries are found.
# Fails, never skips, when the server cannot be started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/relay-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$here/pg-server.sh" init "$work"
"$here/pg-server.sh" start "$work" "$port"
stop() {
  "$here/pg-server.sh" stop "$work"
  rm -rf "$work"
}
trap stop EXIT
export RELAY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
echo "PostgreSQL $("$here/pg-server.sh" version "$work") on 127.0.0.1:$port for the tests"
"$@"
