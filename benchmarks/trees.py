"""Benchmarks that run this tree beside another: a git ref's files, and a child process in a tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def export(ref: str, into: Path) -> Path:
    """The tree of a git ref, as files (its plugins/, devtools/ and config/ are what the child runs)."""
    into.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run_in_tree(tree: Path, code: str, *args: str) -> dict:
    """Run ``code`` (a Python program) with ``tree``'s plugins, devtools and config; its last
    line of output is JSON, returned."""
    env = {**os.environ, "PYTHONPATH": f"{tree}/plugins:{tree}/devtools", "MLB_CONFIG_DIR": f"{tree}/config"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(tree), *args], check=True, capture_output=True, text=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])
