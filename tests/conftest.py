"""Shared fixtures. Tests read ../shared (allowed for tests and CI); the app never does."""
from __future__ import annotations

from pathlib import Path

import os

import pytest
from hypothesis import HealthCheck, settings

# Property-based tests of the input surfaces: the default suite runs a fixed, small sample (derandomized,
# so a run is repeatable); benchmarks/fuzz_corpus.py runs `pytest --hypothesis-profile fuzz` (1,000 random
# examples per test). No deadline: the machine is shared, and each test bounds its own time per example.
settings.register_profile("default", max_examples=40, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fuzz", max_examples=1000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("VQA_HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CLEVR = SHARED / "clevr"


@pytest.fixture(scope="session")
def clevr_dir() -> Path:
    if not (CLEVR / "CLEVR_train_scenes.json").is_file():
        pytest.fail(f"shared CLEVR data not found at {CLEVR}")
    return CLEVR


@pytest.fixture(scope="session")
def clevr_scenes(clevr_dir):
    from vqa.graph.io import load_clevr_scenes

    return load_clevr_scenes(clevr_dir / "CLEVR_train_scenes.json")


@pytest.fixture(scope="session")
def clevr_questions(clevr_dir):
    import json

    return json.loads((clevr_dir / "CLEVR_train_questions.json").read_text())["questions"]


# Model-mode tests use a tiny random reasoner: they test plumbing, not the shipped weights.
@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory):
    import torch

    from vqa.reason.config import ReasonerConfig
    from vqa.reason.reasoner import Reasoner

    torch.manual_seed(0)
    cfg = ReasonerConfig(dim=32, steps=2, edge_hidden=16)
    cfg.encoder.dim = 32
    return Reasoner(cfg).save_pretrained(tmp_path_factory.mktemp("tiny") / "tiny.safetensors")


# ---- JSON inputs, for the property-based tests of every file vqa reads ------------------------------------
def _json_values():
    from hypothesis import strategies as st  # the strategies are built once, when a test asks for them

    scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
               | st.text(max_size=12))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                        max_leaves=12)


class JsonFuzz:
    """Mutations of valid documents and of their bytes, drawn with hypothesis' ``st.data()``."""

    def __init__(self):
        self.values = _json_values()

    def mutate(self, data, doc, max_edits: int = 3):
        """``doc`` with 0 to ``max_edits`` edits at random places: a value replaced by any JSON value or
        by NaN, a key removed, a list entry repeated, or a list emptied."""
        import copy

        from hypothesis import strategies as st  # see _json_values

        doc = copy.deepcopy(doc)
        for _ in range(data.draw(st.integers(0, max_edits), label="edits")):
            parent, key = None, None
            node = doc
            while isinstance(node, (dict, list)) and node and data.draw(st.integers(0, 3), label="descend"):
                keys = list(node) if isinstance(node, dict) else list(range(len(node)))
                parent, key = node, data.draw(st.sampled_from(keys), label="key")
                node = node[key]
            action = data.draw(st.sampled_from(["replace", "nan", "delete", "repeat", "empty"]), label="action")
            if parent is None:
                if action in ("replace", "nan"):
                    doc = data.draw(self.values) if action == "replace" else float("nan")
                continue
            if action == "replace":
                parent[key] = data.draw(self.values, label="value")
            elif action == "nan":
                parent[key] = float("nan")
            elif action == "delete":
                del parent[key]
            elif action == "repeat" and isinstance(parent, list):
                parent.append(copy.deepcopy(parent[key]))
            elif action == "empty" and isinstance(node, (list, dict)):
                parent[key] = type(node)()
        return doc

    def encode(self, data, doc) -> tuple[bytes, str]:
        """The bytes of a file holding ``doc`` (or a damaged one) and what was done: "utf-8", "bom",
        "utf-16", "latin-1", "cut" or "deep"."""
        import json

        from hypothesis import strategies as st  # see _json_values

        how = data.draw(st.sampled_from(["utf-8", "utf-8", "bom", "utf-16", "latin-1", "cut", "deep"]), label="bytes")
        text = json.dumps(doc, ensure_ascii=data.draw(st.booleans(), label="ascii"))
        if how == "bom":
            return b"\xef\xbb\xbf" + text.encode(), how
        if how == "utf-16":
            return text.encode("utf-16"), how
        if how == "latin-1":
            return (text[:-1] + " \"\xe9\"" + text[-1:] if text.endswith(("]", "}")) else text + "\xe9").encode("latin-1", "replace"), how
        if how == "cut":
            raw = text.encode()
            return raw[: data.draw(st.integers(0, max(len(raw) - 1, 0)), label="cut at")], how
        if how == "deep":
            depth = data.draw(st.sampled_from([3000, 100_000]), label="depth")
            return ("[" * depth + "]" * depth).encode(), how
        return text.encode(), how


@pytest.fixture(scope="session")
def json_fuzz() -> JsonFuzz:
    return JsonFuzz()
