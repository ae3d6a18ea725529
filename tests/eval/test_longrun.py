"""Chunks and the partial predictions file of long model-mode runs."""
import json

import pytest

from vqa.errors import DataError
from vqa.pipeline.longrun import PartialRun, chunk_positions


def test_chunk_positions_cover_every_question_once():
    whole = chunk_positions(10, 3)
    assert [(k, list(r)) for k, r in whole] == [(0, [0, 1, 2]), (1, [3, 4, 5]), (2, [6, 7, 8]), (3, [9])]
    assert chunk_positions(0, 3) == []
    with pytest.raises(DataError, match="--batch-size"):
        chunk_positions(10, 0)


def test_chunk_positions_follow_the_given_order():
    order = [3, 0, 4, 1, 2]  # e.g. positions sorted by question length
    assert chunk_positions(5, 2, order=order) == [(0, [3, 0]), (1, [4, 1]), (2, [2])]


HEADER = {"benchmark": "clevr", "count": 10, "batch_size": 3}


def test_partial_run_resume_returns_finished_chunks(tmp_path):
    path = tmp_path / "p.json.partial"
    run = PartialRun.open(path, HEADER, resume=False)
    run.add(0, [{"prediction": {"question_index": 0, "answer": "yes"}}])
    run.add(1, [{"prediction": {"question_index": 1, "answer": "no"}}])
    run.close()
    again = PartialRun.open(path, HEADER, resume=True)
    assert again.done == {0: [{"prediction": {"question_index": 0, "answer": "yes"}}],
                          1: [{"prediction": {"question_index": 1, "answer": "no"}}]}
    again.finish()
    assert not path.exists()


def test_partial_run_drops_cut_line_and_appends_cleanly(tmp_path):
    path = tmp_path / "p.json.partial"
    run = PartialRun.open(path, HEADER, resume=False)
    run.add(0, [{"prediction": {"answer": "yes"}}])
    run.add(1, [{"prediction": {"answer": "no"}}])
    run.close()
    text = path.read_text()
    path.write_text(text[: len(text) - 9])  # killed in the middle of writing chunk 1
    again = PartialRun.open(path, HEADER, resume=True)
    assert list(again.done) == [0]
    again.add(1, [{"prediction": {"answer": "maybe"}}])
    again.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["records"][0]["prediction"]["answer"] == "maybe"


def test_partial_run_header_cut_starts_fresh(tmp_path):
    path = tmp_path / "p.json.partial"
    path.write_text('{"format": "vqa-eval-par')
    run = PartialRun.open(path, HEADER, resume=True)
    assert run.done == {}
    run.close()
    assert json.loads(path.read_text().splitlines()[0])["batch_size"] == 3


def test_partial_run_refuses_other_run_or_overwrite(tmp_path):
    path = tmp_path / "p.json.partial"
    PartialRun.open(path, HEADER, resume=False).close()
    with pytest.raises(DataError, match="unfinished run; pass --resume"):
        PartialRun.open(path, HEADER, resume=False)
    with pytest.raises(DataError, match=r"different run \(batch_size: 3, now 4\)"):
        PartialRun.open(path, dict(HEADER, batch_size=4), resume=True)
    path.write_text("not json\n")
    with pytest.raises(DataError, match="not a partial predictions file"):
        PartialRun.open(path, HEADER, resume=True)
