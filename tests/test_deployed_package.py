"""The deployed package stands alone. Composer receives plugins/ and nothing else, so no module
of it may need the API double (devtools/mlb_replay, for tests, benchmarks and the demo) or
name the double's own routes: production never asks the double for anything."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGINS = REPO / "plugins"


def deployed_modules() -> list[str]:
    """Every module Composer receives: the plugin file and each module of mlb_pipeline."""
    modules = [p.stem for p in PLUGINS.glob("*.py")]
    for path in sorted((PLUGINS / "mlb_pipeline").rglob("*.py")):
        parts = path.relative_to(PLUGINS).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def test_every_deployed_module_imports_with_plugins_alone(tmp_path):
    modules = deployed_modules()
    assert "mlb_pipeline.model" in modules and "mlb_pipeline.operators" in modules and len(modules) > 20
    script = (
        "import importlib, importlib.util, sys\n"
        "assert importlib.util.find_spec('mlb_replay') is None, 'devtools is on the path'\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "assert not [m for m in sys.modules if m.startswith('mlb_replay')]\n"
        "print(len(sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PLUGINS)}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]


def test_no_deployed_file_imports_or_names_the_double():
    assert not (PLUGINS / "mlb_pipeline" / "replay").exists()
    for path in sorted(p for p in PLUGINS.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        text = path.read_text(encoding="utf-8")
        assert "mlb_replay" not in text and "__replay__" not in text, path
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(text, str(path))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                assert not [n for n in names if n.startswith(("mlb_replay", "mlb_pipeline.replay"))], (path, names)


def test_neither_the_image_nor_the_compose_stack_gets_devtools():
    import yaml

    assert "devtools" not in (REPO / "Dockerfile").read_text()
    services = yaml.safe_load((REPO / "docker-compose.yaml").read_text())["services"]
    for name, service in services.items():
        mounted = [v for v in service.get("volumes", []) if "devtools" in str(v)]
        environment = [v for v in (service.get("environment") or {}).values() if "devtools" in str(v)]
        assert not mounted and not environment, name
