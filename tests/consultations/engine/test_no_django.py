"""The analysis engines are pure Python: importing them leaves Django out."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_engines_import_no_django():
    code = (
        "import sys, importlib\n"
        "for name in ('tally', 'duplicates', 'themes', 'suggestions'):\n"
        "    try:\n"
        "        importlib.import_module('consultations.engine.' + name)\n"
        "    except ModuleNotFoundError as exc:\n"
        "        if exc.name != 'consultations.engine.' + name: raise\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework', 'celery'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    assert "consultations.engine.tally" in subprocess.run(
        [sys.executable, "-c", "import consultations.engine.tally, sys; print(sorted(sys.modules))"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
