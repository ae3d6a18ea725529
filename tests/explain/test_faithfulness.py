"""The faithfulness measures: exact on hand-made attention, and wired to real programs."""
import math

import numpy as np

from vqa.explain.faithfulness import StepRecord, attention_records, faithfulness, format_faithfulness


def _record(function, steps, target, attn):
    attn = np.asarray(attn, dtype=float)
    return StepRecord(0, "q", "img.png", function, steps, target, attn, attn, "a", "a")


def test_faithfulness_counts_hits_and_mass():
    records = [
        _record("query_color", [[0, 1], [1]], 1, [[0.5, 0.5, 0.0], [0.1, 0.8, 0.1]]),  # hit
        _record("query_shape", [[2]], 2, [[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]]),  # miss at the final step
        _record("count", [[0, 2]], [0, 2], [[0.4, 0.2, 0.4], [0.3, 0.4, 0.3]]),
        _record("exist", [[]], [], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
    ]
    m = faithfulness(records)
    assert m["query"]["questions"] == 2 and m["query"]["top1"] == 0.5
    assert math.isclose(m["query"]["chance"], 1 / 3)
    assert m["query"]["by_function"]["query_color"]["top1"] == 1.0
    assert m["sets"]["questions"] == 1 and math.isclose(m["sets"]["mass"], 0.6)
    assert math.isclose(m["sets"]["chance"], 2 / 3)
    assert m["sets"]["empty_questions"] == 1 and m["sets"]["empty_selection"] == 0.0
    # step 0: hits for records 1, 2 and 3; step 1: record 1 only (record 4's set is empty)
    assert m["steps"]["by_step"][0]["pairs"] == 3 and m["steps"]["by_step"][0]["top_in_set"] == 1.0
    assert m["steps"]["by_step"][1] == {"pairs": 1, "top_in_set": 1.0, "mass": 0.8, "chance": 1 / 3}
    assert "query_color" in format_faithfulness(m)


def test_faithfulness_records_from_the_model(qa, scene, image_questions):
    records = attention_records(qa.model, image_questions, {scene.image_filename: scene})
    assert len(records) == len(image_questions)
    n = len(scene.objects)
    for r, q in zip(records, image_questions):
        assert r.node_attn.shape == (qa.config.steps, n)
        assert np.allclose(r.node_attn.sum(-1), 1, atol=1e-4)
        assert r.function == q["program"][-1]["type"] and r.answer == q["answer"]
        if r.function.startswith("query_"):  # the queried object is the one the annotated program outputs
            assert r.target == q["program"][q["program"][-1]["inputs"][0]]["_output"]
    m = faithfulness(records)
    assert m["questions"] == len(image_questions)


def test_faithfulness_program_step_nodes_match_program_steps(clevr_questions):
    from vqa.explain.faithfulness import program_step_nodes
    from vqa.reason.targets import program_steps

    for q in clevr_questions[:300]:
        p = q["program"]
        groups = program_step_nodes(p)
        sets, _, _ = program_steps(p, [n["_output"] for n in p])
        assert len(groups) == len(sets)
        for g, s in zip(groups, sets):
            last_set = [k for k in g if isinstance(p[k]["_output"], list)][-1]
            assert p[last_set]["_output"] == s
