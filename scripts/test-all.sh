#!/usr/bin/env bash
# The whole test suite, from a fresh clone: system tools, npm packages, build, types, lint, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
if [ ! -d node_modules ]; then
  npm ci
fi
npm run build
npm run typecheck
npm run lint
npx vitest run
