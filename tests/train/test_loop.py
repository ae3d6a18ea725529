"""The shared training loop's schedule: the rates of the hand-written formulas it replaced, to the bit."""
import math

import pytest
import torch

from vqa.train.loop import scheduler_at, train, warmup_cosine


def _old_reasoner_lr(it, lr, warmup, iterations):
    """``vqa.train.reasoner._lr`` before the shared loop (the reasoner and the photo reasoner)."""
    if it < warmup:
        return lr * (it + 1) / warmup
    p = (it - warmup) / max(1, iterations - warmup)
    return lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * p)))


def _old_detector_factor(it, warmup, iterations):
    """``vqa.train.detector._lr_factor`` before the shared loop (the rate was ``lr`` times it)."""
    if it < warmup:
        return (it + 1) / warmup
    t = (it - warmup) / max(iterations - warmup, 1)
    return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))


def _rates(optimizer, scheduler, start, iterations):
    """The rate of each optimiser step from ``start``, stepping as ``train`` does."""
    rates = []
    for _ in range(start, iterations):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if scheduler.last_epoch < iterations - 1:
            scheduler.step()
    return rates


@pytest.mark.parametrize("lr, warmup, iterations", [(2e-3, 300, 1200), (2e-3, 200, 800), (3e-3, 50, 400),
                                                    (2e-3, 10, 30), (1e-3, 200, 600)])
@pytest.mark.parametrize("start", [0, 7, 250])
def test_schedule_rates_equal_the_old_formulas_bit_for_bit(lr, warmup, iterations, start):
    p = torch.nn.Parameter(torch.zeros(1))
    # the reasoners: optimiser lr 1, the rate all in the schedule
    opt = torch.optim.AdamW([p], lr=1.0)
    got = _rates(opt, scheduler_at(opt, warmup_cosine(warmup, iterations, peak=lr), start), start, iterations)
    assert got == [_old_reasoner_lr(it, lr, warmup, iterations) for it in range(start, iterations)]
    # the detector: optimiser lr, times the multiplier
    opt = torch.optim.AdamW([p], lr=lr)
    got = _rates(opt, scheduler_at(opt, warmup_cosine(warmup, iterations), start), start, iterations)
    assert got == [lr * _old_detector_factor(it, warmup, iterations) for it in range(start, iterations)]


def test_train_steps_named_losses_and_holds_the_last_rate_past_the_schedule(tmp_path):
    """A second stage's epochs can make more batches than its schedule has steps: the rate stays at the last."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=5)
    batches = [(torch.randn(4, 3), torch.randn(4, 1)) for _ in range(7)]
    scores = []
    run = train(model, opt, sched, batches, lambda b: {"mse": torch.nn.functional.mse_loss(model(b[0]), b[1])},
                iterations=5, workdir=tmp_path, checkpoint_every=2, evaluate=lambda: {"score": len(scores)},
                eval_every=2, progress=False, log=scores.append)
    assert run["iterations"] == 7 and sched.last_epoch == 4 and run["loss"] > 0
    assert [h["iteration"] for h in run["history"]] == [2, 4] and scores[0] == "iteration 2: score 0.0000"
    assert (tmp_path / "checkpoint.json").is_file()


def _model_and_opt(seed):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Dropout(0.5), torch.nn.Linear(4, 1))
    return model, torch.optim.AdamW(model.parameters(), lr=1e-2)


def test_checkpoint_holds_its_iteration_whatever_checkpoint_json_says(tmp_path):
    """A kill between the two files leaves an older checkpoint.json: the step comes from the one file."""
    from vqa.train.loop import load_checkpoint, save_checkpoint

    model, opt = _model_and_opt(0)
    save_checkpoint(tmp_path, model, opt, 12, train_seconds=3.0)
    (tmp_path / "checkpoint.json").write_text('{"iteration": 9}')
    other, opt2 = _model_and_opt(1)
    assert load_checkpoint(tmp_path, other, opt2) == {"iteration": 12, "train_seconds": 3.0}
    torch.testing.assert_close(other[0].weight, model[0].weight)


def test_checkpoint_of_an_older_format_reads_checkpoint_json(tmp_path):
    from safetensors.torch import load_file, save_file

    from vqa.train.loop import load_checkpoint, save_checkpoint

    model, opt = _model_and_opt(0)
    save_checkpoint(tmp_path, model, opt, 5)
    save_file(load_file(str(tmp_path / "checkpoint.safetensors")), str(tmp_path / "checkpoint.safetensors"))
    assert load_checkpoint(tmp_path, *_model_and_opt(1))["iteration"] == 5
    (tmp_path / "checkpoint.json").unlink()
    assert load_checkpoint(tmp_path, *_model_and_opt(1)) == {}


def test_train_resumed_from_a_checkpoint_equals_an_uninterrupted_run(tmp_path):
    """Dropout included: the checkpoint carries torch's random state."""
    from vqa.train.loop import load_checkpoint

    data = [(torch.randn(4, 3), torch.randn(4, 1)) for _ in range(10)]

    def run(workdir, start_from_checkpoint, iterations):
        model, opt = _model_and_opt(0)
        start = load_checkpoint(workdir, model, opt).get("iteration", 0) if start_from_checkpoint else 0
        sched = scheduler_at(opt, warmup_cosine(2, 10), start)
        mse = lambda b: {"mse": torch.nn.functional.mse_loss(model(b[0]), b[1])}
        train(model, opt, sched, data[start:iterations], mse, iterations=10, start=start, workdir=workdir,
              checkpoint_every=3, progress=False)
        return model

    whole = run(tmp_path / "whole", False, 10)
    run(tmp_path / "cut", False, 7)  # "killed" after step 7: the last checkpoint is step 6
    torch.manual_seed(123)  # the resumed process's own random state must not matter
    resumed = run(tmp_path / "cut", True, 10)
    for a, b in zip(whole.parameters(), resumed.parameters()):
        assert torch.equal(a, b)
