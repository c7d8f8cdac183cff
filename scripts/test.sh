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
# tests/test_compose.py validates docker-compose.yaml with a compose binary: Debian's
# docker-compose when neither `docker compose` nor `docker-compose` is there (as root only;
# without one the test fails, unless MLB_SKIP_COMPOSE=1 or not root).
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1 \
   && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing Debian's docker-compose for the compose test"
  (apt-get install -y -qq docker-compose >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq docker-compose)) \
    || echo "docker-compose could not be installed: tests/test_compose.py will fail"
fi
. scripts/env.sh
scripts/lint.sh
export MLB_FIXTURES_OPTIONAL=0  # the whole suite: a missing recording fails its tests (tests/conftest.py)
# Two workers (this machine has two cores; a third was measured slower: 23:43 against 21:52).
# --dist loadgroup: the tests that share an expensive fixture (the simulated month of
# test_features.py, the live Airflow of test_airflow_live.py, the DAG bag) carry an
# xdist_group and run on one worker, which builds the fixture once; every other test goes
# to whichever worker is free (tests/conftest.py puts the longest group first).
# PYTEST_WORKERS=0 runs everything in this process.
exec python -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadgroup "$@"
