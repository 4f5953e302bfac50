#!/usr/bin/env bash
# npm run lint: typescript-eslint (type-aware: no floating promises), prettier's check, and the
# import rules (dependency-cruiser). Each names what failed; the first failure ends the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin
echo "lint: eslint" >&2
"$bin/eslint" --max-warnings 0 'packages/*/src/**/*.ts' 'test/src/**/*.ts'
echo "lint: prettier --check" >&2
"$bin/prettier" --check --log-level warn .
echo "lint: dependency rules" >&2
"$bin/depcruise" packages test/src --config .dependency-cruiser.cjs
