"""A small real training run: generated data, real loop, checkpoint, resume, model card."""
import json

import pytest
import torch

from vqa.reason.config import ReasonerConfig
from vqa.train.reasoner import TrainConfig, train_reasoner


def _config(tmp_path, iterations):
    model = ReasonerConfig(dim=64, steps=5)
    model.encoder.dim = 64
    return TrainConfig(out=str(tmp_path / "w" / "r"), workdir=str(tmp_path / "run"), shared=None, scenes=300,
                       val_scenes=60, iterations=iterations, batch_size=64, lr=3e-3, warmup=50,
                       eval_every=10**9, checkpoint_every=100, progress=False, model=model)


@pytest.mark.slow
def test_training_small_run_learns_above_chance_and_resumes(tmp_path):
    tc = _config(tmp_path, 200)
    tc.iterations = 100
    first = train_reasoner(tc, log=lambda *a: None)
    assert json.loads((tmp_path / "run" / "checkpoint.json").read_text())["iteration"] == 100
    tc.iterations = 400  # resumes at 100 from the checkpoint
    logs = []
    report = train_reasoner(tc, log=logs.append)
    assert any("resumed from iteration 100" in m for m in logs)
    acc = report["val_generated"]["accuracy"]
    # chance over 28 answers is 3.6%; the best answer-type-aware guess (always "no", "0", ...) is ~20%
    assert acc > 0.35, acc
    assert acc >= first["val_generated"]["accuracy"] - 0.02
    for suffix in (".safetensors", ".json", ".md"):
        assert (tmp_path / "w" / ("r" + suffix)).is_file()
    card = (tmp_path / "w" / "r.md").read_text()
    assert "Validation" in card and "iterations" in card


def test_loader_workers_collate_the_same_batches(tmp_path):
    """Collating in worker processes changes when batches are made, not which."""
    import torch.multiprocessing as mp

    from vqa.reason.batching import GraphCache
    from vqa.train.reasoner import _Collate, _draws, _prefetched, build_data

    tc = _config(tmp_path, 12)
    tc.scenes, tc.val_scenes, tc.batch_size = 40, 8, 16
    data = build_data(tc)
    cache = GraphCache(tc.model.vocab)
    for k, g in data["graphs"].items():
        cache.add(k, g)
    collate = _Collate(cache, tc.model.steps)
    serial = list(map(collate, _draws(data["train"], tc, 0)))
    with mp.get_context("fork").Pool(2, initializer=torch.set_num_threads, initargs=(1,)) as pool:
        parallel = list(_prefetched(pool, collate, _draws(data["train"], tc, 0), window=5))
    assert len(serial) == len(parallel) == 12
    for (ids, mask, graphs, targets), (ids2, mask2, graphs2, targets2) in zip(serial, parallel):
        assert torch.equal(ids, ids2) and torch.equal(mask, mask2)
        assert all(torch.equal(getattr(graphs, f), getattr(graphs2, f)) for f in ("x", "pos", "edge_index", "edge_attr"))
        assert targets.keys() == targets2.keys() and all(torch.equal(targets[k], targets2[k]) for k in targets)
