#!/usr/bin/env bash
# The main job on the embedded default: the daily pipeline for a range of game days.
#
#   scripts/demo.sh [FROM_DATE] [TO_DATE]        (default 2024-06-03 .. 2024-06-09)
#
# It serves a simulated league from the local MLB Stats API double (a fresh clone has
# no recorded data; set MLB_DEMO_RECORDED=../shared/fixtures/mlb to replay real
# responses instead) and runs the daily DAG for each day under a temporary Airflow scheduler
# (devtools/mlb_demo.py), so the runs are in the Airflow UI afterwards (make ui).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh

FROM="${1:-2024-06-03}"
TO="${2:-$FROM}"
[ $# -ge 1 ] || TO=2024-06-09
PORT="${MLB_REPLAY_PORT:-$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
LOGS="$MLB_LOCAL_DIR/demo-logs"
mkdir -p "$LOGS"

if [ -n "${MLB_DEMO_RECORDED:-}" ]; then
  source_args=(--recorded "$MLB_DEMO_RECORDED")
else
  season="${FROM:0:4}"; [ "${TO:0:4}" = "$season" ] || season="$season,${TO:0:4}"
  source_args=(--simulate --seed "${MLB_DEMO_SEED:-7}" --seasons "$season")
fi
python -m mlb_replay "${source_args[@]}" --port "$PORT" > "$LOGS/replay.log" 2>&1 &
replay_pid=$!
trap 'kill $replay_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$PORT/__replay__/health" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "==> $(head -n1 "$LOGS/replay.log")"
export AIRFLOW_CONN_MLB_STATSAPI="http://127.0.0.1:$PORT"
export AIRFLOW_CONN_BASEBALL_SAVANT="http://127.0.0.1:$PORT"

# The days run by a real scheduler (a temporary airflow standalone), so the Airflow UI shows
# them with their real durations and task logs: devtools/mlb_demo.py.
failed=0
python devtools/mlb_demo.py "$FROM" "$TO" --logs "$LOGS" || failed=$?

echo
python -m mlb_pipeline.summary --from "$FROM" --to "$TO"
# The best possible Brier score beside the champion's: only the double knows the true
# probabilities, so they come from it here, never from the pipeline.
python -m mlb_replay.truth --url "http://127.0.0.1:$PORT"
password="$(python -c 'import json,sys; print(json.load(open(sys.argv[1])).get("admin", "?"))' \
  "$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated" 2>/dev/null || echo '?')"
cat <<MSG

Query the warehouse:   .venv/bin/python -c "import duckdb; print(duckdb.connect('$MLB_DUCKDB_PATH', read_only=True).sql('select * from raw.games limit 5'))"
The demo's runs in the Airflow UI: make ui, then http://localhost:8080 (login admin, password $password)
MSG
exit "$failed"
