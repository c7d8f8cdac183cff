#!/usr/bin/env bash
# Lint as CI does (make test runs this first): ruff's rules from pyproject.toml, and its formatter.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/ruff ] || scripts/setup.sh
echo "==> lint: ruff check, ruff format --check"
.venv/bin/ruff check --no-cache --output-format concise .
.venv/bin/ruff format --check --no-cache .
