"""The package's shape, checked: the layer rule of pyproject.toml (``lint-imports``), no import
cycles between any two modules of ``vqa``, metrics that import no torch, and modules a reader can
hold in their head (docs/architecture.md)."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "vqa"
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The ``vqa`` modules ``name`` imports (relative imports resolved; ``from pkg import mod`` counts mod)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in found if m in known and m != name}


def test_layers_contract_holds():
    exe = shutil.which("lint-imports")
    assert exe, "import-linter is a dev dependency: pip install -e '.[dev]'"
    run = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "0 broken" in run.stdout


def test_no_import_cycle_between_modules():
    modules = _modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        for other in _imports(name, path, set(modules)):
            # a package's __init__ importing its own submodules is how it hands names on, not a cycle
            if not other.startswith(name + "."):
                graph.add_edge(name, other)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_metrics_import_no_torch():
    code = ("import sys, vqa.eval.vqav2, vqa.eval.gqa, vqa.eval.clevr, vqa.eval.score, vqa.eval.merge; "
            "heavy = [m for m in ('torch', 'numpy', 'torch_geometric') if m in sys.modules]; "
            "assert not heavy, heavy")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("name", sorted(_modules()))
def test_module_is_at_most_400_lines(name):
    lines = len(_modules()[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by what its parts are"


def test_imports_inside_functions_say_why():
    """An import inside a function only defers a heavy optional dependency, with a comment saying which
    (on the line above or on the imports; one comment serves a run of consecutive imports)."""
    bare = []
    for name, path in _modules().items():
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            runs: list[list[ast.stmt]] = []
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    if runs and inner.lineno == runs[-1][-1].end_lineno + 1:
                        runs[-1].append(inner)
                    else:
                        runs.append([inner])
            for run in runs:
                text = " ".join(lines[run[0].lineno - 2: run[-1].end_lineno])
                if "#" not in text:
                    bare.append(f"{name}:{run[0].lineno}: {lines[run[0].lineno - 1].strip()}")
    assert not bare, "imports inside functions without a comment saying what they defer:\n" + "\n".join(bare)
