"""Debian's chromium, headless, for the tests of pages people look at (the dbt docs site, the
report page): the DOM after the page's scripts ran, and screenshots. Started with the flags
this closed network needs (no background networking: its connections would be refused)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (scripts/test.sh installs it: apt-get install chromium)",
)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def rendered_dom(url: str, tmp_path: Path) -> str:
    """The page's DOM after its scripts ran."""
    return _chromium(tmp_path, "--virtual-time-budget=20000", "--dump-dom", url).stdout


def screenshot(url: str, path: Path, tmp_path: Path, size: tuple[int, int] = (1200, 4800)) -> Path:
    """A PNG of the page at ``size`` (width, height in CSS pixels)."""
    _chromium(tmp_path, f"--window-size={size[0]},{size[1]}", "--hide-scrollbars", f"--screenshot={path}", url)
    assert path.stat().st_size > 0
    return path
