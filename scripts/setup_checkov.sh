#!/usr/bin/env bash
# checkov in a virtualenv of its own (.venv-checkov): its pins (boto3, networkx, ...) conflict with
# the pipeline's, so it never enters .venv. Pinned by deploy/checkov-requirements.lock; stamped
# like .venv, so running it again does nothing until the lock changes. Called by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="$(command -v uv || echo .venv/bin/uv)"
lock=deploy/checkov-requirements.lock
stamp=.venv-checkov/.requirements.sha256
want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing checkov into .venv-checkov ($lock)"
  [ -x .venv-checkov/bin/python ] || "$UV" venv --quiet --python python3.11 .venv-checkov
  "$UV" pip sync --quiet --python .venv-checkov/bin/python "$lock"
  echo "$want" > "$stamp"
fi
