#!/usr/bin/env bash
# The test command: make sure what the tests drive is here, then run them.
#   Debian's Chromium and the CJK fonts (browser tests; Chinese pages render as boxes without them),
#   redis-server (the Celery executor's tests start their own on a free port),
#   and the PostgreSQL server on 127.0.0.1:5432 (the storage suite runs on it as well as on SQLite).
# Arguments go to pytest: scripts/test.sh tests/test_cli.py -q
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if ((${#missing[@]})); then
  echo "installing Debian packages the tests need: ${missing[*]}" >&2
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start 2>/dev/null || true
  for _ in 1 2 3 4 5; do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 -q || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
export REGWATCH_REQUIRE_POSTGRES="${REGWATCH_REQUIRE_POSTGRES:-1}"

exec python -m pytest "$@"
