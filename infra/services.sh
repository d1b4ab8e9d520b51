#!/usr/bin/env bash
# Starts (or stops) every service the integration tests need, on free local ports.
# Each infra/<service>.sh installs its service when missing, starts it under .cache/services/<service>,
# and writes .cache/services/<service>.env with the variables the tests read (FORGE_TEST_*).
#   infra/services.sh up [service…]     start (default: all)   and print the combined env file path
#   infra/services.sh down [service…]   stop
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
state="$root/.cache/services"
mkdir -p "$state"
cmd="${1:-up}"; shift || true
services=("$@")
if [ ${#services[@]} -eq 0 ]; then
  services=()
  for s in postgres redis kafka; do [ -x "$here/$s.sh" ] && services+=("$s"); done
fi
case "$cmd" in
  up)
    : > "$state/all.env"
    for s in "${services[@]}"; do
      "$here/$s.sh" start >&2
      cat "$state/$s.env" >> "$state/all.env"
    done
    echo "$state/all.env"
    ;;
  down)
    for s in "${services[@]}"; do "$here/$s.sh" stop >&2 || true; done
    ;;
  *) echo "usage: $0 up|down [service…]" >&2; exit 2 ;;
esac
