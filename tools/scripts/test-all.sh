#!/usr/bin/env bash
# The whole test suite: lint (with module boundaries), type check, then unit, integration and
# end-to-end tests against real PostgreSQL, Redis and Kafka started by infra/ scripts.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export NX_DAEMON=false

echo "== lint"
npx nx show projects > /dev/null
npx eslint . --max-warnings=0
echo "== typecheck"
npx tsc -p tsconfig.json --noEmit

echo "== services"
envfile="$(infra/services.sh up)"
trap 'infra/services.sh down' EXIT
set -a; source "$envfile"; set +a

echo "== tests"
npx jest --ci "$@"
