"""A machine without the recorded MLB data does not pass the suite by skipping the tests that
need it: under scripts/test.sh (make test, CI) they fail, naming the folder; a developer
skips them only by opting out (MLB_FIXTURES_OPTIONAL=1)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import REPO


def _recorded_tests(tmp_path, **env: str) -> subprocess.CompletedProcess:
    """pytest over two tests of recorded data (the marker, and the recorded server fixture)
    with the fixtures folder missing."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "0",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(REPO),
            "tests/test_recorded_feeds.py::test_recorded_feed_parses_and_loads[744914]",
            "tests/test_dbt.py::test_dbt_builds_on_the_recorded_real_day",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MLB_FIXTURES_DIR": str(tmp_path / "missing"), **env},
    )


def test_missing_fixtures_fail_under_the_test_command_and_skip_only_when_opted_out(tmp_path):
    [setting] = re.findall(r"^export MLB_FIXTURES_OPTIONAL=(\S+)", (REPO / "scripts" / "test.sh").read_text(), re.M)
    failed = _recorded_tests(tmp_path, MLB_FIXTURES_OPTIONAL=setting)
    assert failed.returncode == 1, failed.stdout[-3000:]
    assert re.search(r"\b2 errors?\b", failed.stdout) and "skipped" not in failed.stdout, failed.stdout[-3000:]
    assert f"recorded MLB fixtures not found at {tmp_path / 'missing'}" in failed.stdout

    skipped = _recorded_tests(tmp_path, MLB_FIXTURES_OPTIONAL="1")
    assert skipped.returncode == 0 and "2 skipped" in skipped.stdout, skipped.stdout[-3000:]
