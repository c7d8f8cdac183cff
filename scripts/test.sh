#!/usr/bin/env bash
# Set up the embedded default, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The docs-site tests open the page in Debian's chromium; install it when we can (CI runs as root).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing Debian's chromium for the browser tests"
  (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)) \
    || echo "chromium could not be installed: the browser tests will be skipped"
fi
. scripts/env.sh
# Two workers (this machine has two cores; a third was measured slower: 23:43 against 21:52).
# The tests of one file run on one worker, so a
# file's session fixtures (the simulated month of test_features.py) are built once.
# PYTEST_WORKERS=0 runs everything in this process.
exec python -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
