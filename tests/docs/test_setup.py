"""scripts/setup.sh installs only what is missing, so a second run installs nothing.

The script is run for real (its checks import torch, detectron2 and vqa), with installing made
harmless: ``PYTHON`` points to a wrapper that records ``python -m pip ...`` instead of running it,
and ``apt-get`` (and ``pip``) on PATH are stubs that record their arguments. ``PYTHONPATH`` names
this checkout, as the editable install does after a first run, so ``import vqa`` finds it from
any folder. No network, nothing installed, whatever the outcome.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_setup(tmp_path: Path, *, dry_run: bool, checks_fail: bool = False, dpkg_missing: bool = False,
              vqa_from: Path = ROOT) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run scripts/setup.sh with recording stubs; return the process and the install commands it ran."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "installs.log"
    stubs = {
        "apt-get": f'echo "apt-get $*" >> "{log}"',
        "pip": f'echo "pip $*" >> "{log}"',
        # python -m pip is recorded, not run; any other call goes to this interpreter (or fails)
        "python-stub": f'if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "python $*" >> "{log}"; exit 0; fi\n'
                       + ("exit 1" if checks_fail else f'exec "{sys.executable}" "$@"'),
    }
    if dpkg_missing:
        stubs["dpkg"] = "exit 1"
    for name, body in stubs.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", PYTHON=str(bin_dir / "python-stub"),
               PYTHONPATH=str(vqa_from), SETUP_DRY_RUN="1" if dry_run else "0")
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    installs = log.read_text().splitlines() if log.exists() else []
    return proc, installs


def test_second_run_installs_nothing(tmp_path):
    """Everything is present here (test.sh ran setup.sh before the tests): no pip, no apt-get."""
    proc, installs = run_setup(tmp_path, dry_run=False)
    assert proc.returncode == 0, proc.stderr
    assert installs == []


def test_dry_run_prints_nothing_when_everything_is_present(tmp_path):
    proc, installs = run_setup(tmp_path, dry_run=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert installs == []


def test_dry_run_lists_what_is_missing_and_installs_nothing(tmp_path):
    proc, installs = run_setup(tmp_path, dry_run=True, checks_fail=True, dpkg_missing=True)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "apt-get install -y -qq blender chromium" in out
    assert "pip install torch==2.14.1 torchvision==0.29.1" in out
    assert "detectron2" in out
    assert "pip install -q -e .[dev]" in out
    assert installs == []


def test_another_checkouts_vqa_is_replaced(tmp_path):
    """`import vqa` finding some other checkout (a stale editable install) means reinstalling this one."""
    other = tmp_path / "other-checkout"
    (other / "vqa").mkdir(parents=True)
    (other / "vqa" / "__init__.py").write_text("")
    proc, installs = run_setup(tmp_path, dry_run=True, vqa_from=other)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines() == ["would run: python-stub -m pip install -q -e .[dev]".replace(
        "python-stub", str(tmp_path / "bin" / "python-stub"))]
    assert installs == []
