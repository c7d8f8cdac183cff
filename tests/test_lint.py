"""Lint is part of the suite: ruff, with the rules chosen in pyproject.toml, and its formatter, over everything
we wrote."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO


@pytest.mark.parametrize(
    "command",
    [["check", "--no-cache", "--output-format", "concise", "."], ["format", "--check", "--no-cache", "."]],
    ids=["check", "format"],
)
def test_ruff_finds_nothing(command):
    proc = subprocess.run([sys.executable, "-m", "ruff", *command], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
