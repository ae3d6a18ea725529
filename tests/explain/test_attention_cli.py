"""`vqa attention`: files written, errors exit 2, and the same numbers as `vqa eval --attention-out`."""
import json

import numpy as np
import pytest

from vqa.cli.main import main


def test_attention_cli_writes_files(tmp_path, random_weights, scene_file, image_path, capsys):
    code = main(["attention", str(image_path), "How many cubes are there?", "--scene", str(scene_file),
                 "--out", str(tmp_path / "out"), "--weights", str(random_weights)])
    assert code == 0
    out = tmp_path / "out"
    data = json.loads((out / "attention.json").read_text())
    for t in range(data["steps"]):
        assert (out / f"overlay_step{t}.png").stat().st_size > 1000
        assert (out / f"words_step{t}.png").stat().st_size > 1000
    for name in ("coattention.png", "graph.png"):
        assert (out / name).stat().st_size > 1000
    assert data["answer"] in capsys.readouterr().out


def _eval_attention(tmp_path, weights, scene_file, questions) -> list[dict]:
    qfile, lines = tmp_path / "q.json", tmp_path / "a.jsonl"
    qfile.write_text(json.dumps({"questions": questions}))
    assert main(["eval", "--benchmark", "clevr", "--graphs", "gold", "--questions", str(qfile), "--scenes",
                 str(scene_file), "--weights", str(weights), "--attention-out", str(lines), "--no-progress"]) == 0
    return [json.loads(s) for s in lines.read_text().splitlines()]


def _attention_json(tmp_path, weights, scene_file, image_path, question) -> dict:
    out = tmp_path / "attention"
    assert main(["attention", str(image_path), question, "--scene", str(scene_file), "--out", str(out),
                 "--weights", str(weights)]) == 0
    return json.loads((out / "attention.json").read_text())


def _assert_same(ours: dict, record: dict) -> None:
    assert ours["tokens"] == record["tokens"]
    np.testing.assert_allclose(ours["node_attn"], record["node_attn"], atol=1e-5)
    np.testing.assert_allclose(ours["word_attn"], record["word_attn"], atol=1e-5)


def test_attention_cli_matches_eval_attention_out(tmp_path, random_weights, scene_file, image_path, image_questions):
    q = image_questions[0]
    (record,) = _eval_attention(tmp_path, random_weights, scene_file, [q])
    _assert_same(_attention_json(tmp_path, random_weights, scene_file, image_path, q["question"]), record)


def test_attention_cli_matches_eval_attention_out_in_a_padded_batch(tmp_path, random_weights, scene_file, image_path,
                                                                     image_questions):
    records = _eval_attention(tmp_path, random_weights, scene_file, image_questions)
    shortest = min(range(len(records)), key=lambda k: len(records[k]["tokens"]))
    assert len(records[shortest]["tokens"]) < max(len(r["tokens"]) for r in records)  # it was padded
    _assert_same(_attention_json(tmp_path, random_weights, scene_file, image_path,
                                 image_questions[shortest]["question"]), records[shortest])


def test_attention_cli_missing_scene_file_exits_2(tmp_path, random_weights, image_path, capsys):
    code = main(["attention", str(image_path), "What color is it?", "--out", str(tmp_path / "o"),
                 "--weights", str(random_weights), "--scene", "missing.json"])
    err = capsys.readouterr().err
    assert code == 2 and "not found" in err and len(err.strip().splitlines()) == 1


def test_attention_cli_unknown_detector_is_a_usage_error(tmp_path, image_path, capsys):
    with pytest.raises(SystemExit) as e:  # argparse's: --detector lists its choices
        main(["attention", str(image_path), "What color is it?", "--out", str(tmp_path / "o"),
              "--detector", "no-such-detector"])
    assert e.value.code == 2 and "(choose from 'auto', 'clevr', 'coco')" in capsys.readouterr().err


def test_attention_cli_missing_image_exits_2(tmp_path, random_weights, scene_file, capsys):
    code = main(["attention", str(tmp_path / "nope.png"), "What color is it?", "--scene", str(scene_file),
                 "--image-filename", "CLEVR_train_000005.png", "--out", str(tmp_path / "o"),
                 "--weights", str(random_weights)])
    assert code == 2 and "image not found" in capsys.readouterr().err
