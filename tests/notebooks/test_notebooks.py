"""The notebooks run top to bottom on the shipped weights and ../shared data.

They are committed with their outputs; to refresh them after changing the model or the code:
``jupyter-execute --inplace notebooks/*.ipynb`` (from the repository root, HF_HUB_OFFLINE=1).
"""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from vqa.reason.reasoner import DEFAULT_WEIGHTS

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.mark.parametrize("name", ["01_ask_and_inspect.ipynb", "02_what_the_steps_do.ipynb"])
def test_notebooks_execute(name, clevr_dir):
    assert DEFAULT_WEIGHTS.is_file(), f"the notebooks need the shipped weights {DEFAULT_WEIGHTS}"
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3  # the attention views were drawn
    committed = nbformat.read(NOTEBOOKS / name, as_version=4)
    shown = [o for c in committed.cells if c.cell_type == "code" for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(shown) >= 3, f"commit {name} with its outputs (jupyter-execute --inplace notebooks/{name})"
