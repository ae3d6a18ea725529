"""The render splits of vqa.data.splits agree with the manifests of the scenes that were scored."""
import json
from pathlib import Path

import pytest

from vqa.data.splits import RENDER_SPLITS

DATA = Path(__file__).resolve().parent


@pytest.mark.parametrize("split", sorted(RENDER_SPLITS))
def test_manifest_records_the_split_in_code(split):
    seed, count, prefix = RENDER_SPLITS[split]
    m = json.loads((DATA / f"clevr_{split}_renders.json").read_text())
    assert (m["seed"], m["count"], m["prefix"]) == (seed, count, prefix)
    assert len(m["scene_sha256"]) == count and all(n.startswith(prefix) for n in m["scene_sha256"])
    assert f"--seed {seed}" in m["command"] and f"--prefix {prefix}" in m["command"]


def test_dev_and_test_renders_are_different_scenes():
    (dev_seed, _, dev_prefix), (test_seed, _, test_prefix) = RENDER_SPLITS["dev"], RENDER_SPLITS["test"]
    assert dev_seed != test_seed and dev_prefix != test_prefix
    dev, test = (set(json.loads((DATA / f"clevr_{s}_renders.json").read_text())["scene_sha256"].values())
                 for s in ("dev", "test"))
    assert not dev & test
