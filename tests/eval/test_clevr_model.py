"""Model mode on CLEVR gold graphs: outputs, interrupted and resumed runs (torchrun: tests/eval/test_distributed.py)."""
import json
from pathlib import Path

import pytest

import vqa.pipeline.batch as inference  # the batch runner looks run_batches up here
from vqa.answer.expected import expected_answer
from vqa.errors import DataError
from vqa.pipeline.batch import run_clevr_model


@pytest.fixture()
def run(tiny_weights, small_clevr_questions, clevr_dir):
    def go(**kw):
        kw = {"batch_size": 4, "threads": 1, "progress": False, **kw}
        return run_clevr_model(small_clevr_questions, clevr_dir / "CLEVR_train_scenes.json", tiny_weights, **kw)
    return go


def _stop_after(monkeypatch, chunks):
    """Make the run die (like Ctrl-C) when it starts chunk number `chunks`."""
    real, calls = inference.run_batches, []

    def dying(*a, **kw):
        calls.append(1)
        if len(calls) > chunks:
            raise KeyboardInterrupt
        return real(*a, **kw)
    monkeypatch.setattr(inference, "run_batches", dying)


def test_run_clevr_model_writes_official_predictions_and_scores(run, tmp_path, small_clevr_questions):
    out, att = tmp_path / "p.json", tmp_path / "a.jsonl"
    r = run(predictions_out=out, attention_out=att)
    qs = json.loads(small_clevr_questions.read_text())["questions"]
    preds = json.loads(out.read_text())
    assert preds == r.predictions and len(preds) == 22
    assert [p["question_index"] for p in preds] == [q["question_index"] for q in qs]
    assert set(preds[0]) == {"question_index", "image_filename", "answer", "probability"}  # "guess" with "not sure"
    assert all(0.0 <= p["probability"] <= 1.0 for p in preds)
    assert r.metrics["count"] == 22 and 0.0 <= r.metrics["accuracy"] <= 1.0 and 0.0 <= r.metrics["ece"] <= 1.0
    lines = [json.loads(x) for x in att.read_text().splitlines()]
    assert [x["question_index"] for x in lines] == [q["question_index"] for q in qs]
    assert all(abs(sum(row) - 1) < 1e-3 for row in lines[0]["word_attn"])
    assert not (tmp_path / "p.json.partial").exists()


def test_run_clevr_model_interrupted_then_resumed_is_byte_identical(run, tmp_path, monkeypatch):
    run(predictions_out=tmp_path / "whole.json", attention_out=tmp_path / "whole.jsonl")
    out, att = tmp_path / "p.json", tmp_path / "a.jsonl"
    _stop_after(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        run(predictions_out=out, attention_out=att)
    partial = tmp_path / "p.json.partial"
    assert len(partial.read_text().splitlines()) == 1 + 3 and not out.exists()
    # A kill in the middle of a write leaves a cut line: resuming drops it and redoes that chunk.
    partial.write_text(partial.read_text() + '{"chunk": 3, "records": [{"predic')
    monkeypatch.undo()
    r = run(predictions_out=out, attention_out=att, resume=True)
    assert r.resumed == 12
    assert out.read_bytes() == (tmp_path / "whole.json").read_bytes()
    assert att.read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
    assert not partial.exists()


def test_run_clevr_model_resume_refuses_changed_options(run, tmp_path, monkeypatch):
    _stop_after(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        run(predictions_out=tmp_path / "p.json")
    monkeypatch.undo()
    with pytest.raises(DataError, match=r"different run \(batch_size: 4, now 8\)"):
        run(predictions_out=tmp_path / "p.json", resume=True, batch_size=8)
    with pytest.raises(DataError, match="unfinished run; pass --resume"):
        run(predictions_out=tmp_path / "p.json")
    with pytest.raises(DataError, match="--resume continues from <predictions-out>.partial"):
        run(resume=True)


def test_run_clevr_model_failure_stops_the_run_and_keeps_finished_chunks(run, tmp_path, monkeypatch):
    _stop_after(monkeypatch, 2)  # the third chunk fails
    with pytest.raises(KeyboardInterrupt):
        run(predictions_out=tmp_path / "p.json")
    lines = (tmp_path / "p.json.partial").read_text().splitlines()
    assert len(lines) - 1 == 2  # the finished chunks are kept


def test_run_clevr_model_limit_and_no_answers(run, tmp_path, tiny_weights, clevr_dir, clevr_questions):
    assert run(limit=5).metrics["count"] == 5
    assert run(limit=0).predictions == []  # nothing to answer: no warm-up question either
    qs = [{k: v for k, v in q.items() if k not in ("answer", "program")} for q in clevr_questions[:3]]
    (tmp_path / "q.json").write_text(json.dumps({"questions": qs}))
    r = run_clevr_model(tmp_path / "q.json", clevr_dir / "CLEVR_train_scenes.json", tiny_weights, threads=1, progress=False)
    assert r.metrics is None and len(r.predictions) == 3


def test_run_clevr_model_empty_question_raise(tmp_path, tiny_weights, clevr_dir, clevr_questions):
    qs = [dict(clevr_questions[0]), dict(clevr_questions[1], question="  ")]
    (tmp_path / "q.json").write_text(json.dumps({"questions": qs}))
    with pytest.raises(DataError, match="question 1 is empty"):
        run_clevr_model(tmp_path / "q.json", clevr_dir / "CLEVR_train_scenes.json", tiny_weights, progress=False)


def test_run_clevr_model_answers_of_the_asked_type(tiny_weights, clevr_dir):
    # a random tiny reasoner answers anything; the mask keeps every answer to the type its question asks for
    path = Path(__file__).resolve().parents[1] / "data" / "human_questions_v2_dev.json"
    r = run_clevr_model(path, clevr_dir / "CLEVR_train_scenes.json", tiny_weights, batch_size=64, threads=1,
                        progress=False)
    qs = {q["question_index"]: q for q in json.loads(path.read_text())["questions"]}
    assert len(r.predictions) == len(qs) and "ece" in r.metrics
    # "not sure": the CLEVR rules, for the questions CLEVR cannot express (vqa.reason.clevr_rules)
    assert all(p["answer"] == "not sure" or expected_answer(qs[p["question_index"]]["question"]).allows(p["answer"])
               for p in r.predictions)
    unsure = [p for p in r.predictions if p["answer"] == "not sure"]
    assert len(unsure) == sum(not q["expressible"] for q in qs.values()) and all("guess" in p for p in unsure)
