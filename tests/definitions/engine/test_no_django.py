"""The text engine is pure Python: importing it must not pull in Django (or DRF, or Celery)."""
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def test_importing_the_engine_leaves_django_out_of_sys_modules():
    # A fresh interpreter: in this one, other tests (and pytest plugins) may have imported Django.
    script = (
        "import sys, importlib, pkgutil\n"
        "import definitions.engine as engine\n"
        "for module in pkgutil.iter_modules(engine.__path__):\n"
        "    importlib.import_module('definitions.engine.' + module.name)\n"
        "loaded = sorted(name for name in sys.modules\n"
        "                if name.split('.')[0] in {'django', 'rest_framework', 'celery'})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"imported by the engine: {result.stdout.strip()}"
