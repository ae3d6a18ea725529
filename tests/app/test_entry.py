"""``python app.py``: the thin entry point reports bad weights in one line and exits 2."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_entry_missing_weights_exits_2_with_one_line(tmp_path):
    missing = tmp_path / "nothing.safetensors"
    proc = subprocess.run([sys.executable, "app.py", "--port", "0", "--weights", str(missing)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "reasoner weights not found" in errors[0] and "Traceback" not in proc.stderr
