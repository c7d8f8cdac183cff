#!/usr/bin/env bash
# Set up the embedded default, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
exec python -m pytest "$@"
