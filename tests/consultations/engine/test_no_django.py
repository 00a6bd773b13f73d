"""The analysis engines are pure Python: importing them leaves Django (and DRF and Celery) out.

Each check runs in a fresh interpreter, since in this one other tests may already have imported Django.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FRAMEWORKS = ("django", "rest_framework", "celery")


def modules_after(code: str) -> list[str]:
    """The top-level names in sys.modules after running ``code`` in a fresh interpreter at the root."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_importing_the_engine_package_and_the_tally_leaves_django_out():
    loaded = modules_after("import consultations.engine\nfrom consultations.engine.tally import tally, tally_counts")
    assert "consultations" in loaded  # the import did happen
    assert [name for name in FRAMEWORKS if name in loaded] == []


def test_every_engine_module_leaves_django_out():
    code = (
        "import importlib, pkgutil, consultations.engine as package\n"
        "names = [m.name for m in pkgutil.iter_modules(package.__path__)]\n"
        "assert 'tally' in names, names\n"
        "for name in names:\n"
        "    importlib.import_module(f'consultations.engine.{name}')\n"
    )
    loaded = modules_after(code)
    assert [name for name in FRAMEWORKS if name in loaded] == []
