"""The render splits of vqa.data.splits agree with the manifests of the scenes that were scored."""
import json
from pathlib import Path

import pytest

from vqa.data.splits import RENDER_SPLITS, held_out_render_split

DATA = Path(__file__).resolve().parent


@pytest.mark.parametrize("split", sorted(RENDER_SPLITS))
def test_manifest_records_the_split_in_code(split):
    seed, count, prefix = RENDER_SPLITS[split]
    m = json.loads((DATA / f"clevr_{split}_renders.json").read_text())
    assert (m["seed"], m["count"], m["prefix"]) == (seed, count, prefix)
    assert len(m["scene_sha256"]) == count and all(n.startswith(prefix) for n in m["scene_sha256"])
    assert f"--seed {seed}" in m["command"] and f"--prefix {prefix}" in m["command"]


def test_render_splits_are_different_scenes():
    seeds = [seed for seed, _, _ in RENDER_SPLITS.values()]
    prefixes = [prefix for _, _, prefix in RENDER_SPLITS.values()]
    assert len(set(seeds)) == len(seeds) and len(set(prefixes)) == len(prefixes)
    scenes = {s: set(json.loads((DATA / f"clevr_{s}_renders.json").read_text())["scene_sha256"].values())
              for s in RENDER_SPLITS}
    for a in scenes:
        for b in scenes:
            assert a == b or not scenes[a] & scenes[b], (a, b)


def test_held_out_render_split_knows_each_split_by_seed_or_prefix():
    for split, (seed, _, prefix) in RENDER_SPLITS.items():
        assert held_out_render_split(seed, "ANY") == held_out_render_split(None, prefix) == split
    assert held_out_render_split(8080, "OCCL8080") is None and held_out_render_split(7070, "CROWD7070") is None
