"""The photo engine's programs: CLEVR-format rewrite, execution, and agreement with the engine's answers."""
from __future__ import annotations

import random

import pytest

from vqa.data.executor import ProgramError
from vqa.data.photo_engine import photo_questions, sample_photo_scene
from vqa.data.photo_executor import clevr_program, execute_photo_program, photo_answer
from vqa.graph.box_relations import box_relations
from vqa.graph.scene_graph import SceneGraph, SceneObject


def _scene(*objects) -> SceneGraph:
    """Objects ``(class, colour, box)`` with box relations, as a photo graph."""
    objs = [SceneObject(name=c, attributes={"class": c, "color": col, "size": "medium"}, box=list(b), score=1.0)
            for c, col, b in objects]
    return SceneGraph(objs, box_relations([o.box for o in objs]), width=640, height=480,
                      extra={"relations": "boxes"})


def test_photo_executor_clevr_program_makes_chain_inputs_explicit():
    prog = clevr_program([{"type": "scene"}, {"type": "filter_class", "value": "cup"}, {"type": "count"},
                          {"type": "scene"}, {"type": "filter_class", "value": "bowl"}, {"type": "count"},
                          {"type": "greater_than", "inputs": [2, 5]}])
    assert [n["inputs"] for n in prog] == [[], [0], [1], [], [3], [4], [2, 5]]
    assert prog[1]["value_inputs"] == ["cup"] and prog[2]["value_inputs"] == []


def test_photo_executor_relations_sides_colours():
    g = _scene(("dog", "brown", (10, 200, 110, 300)), ("car", "red", (300, 150, 500, 300)),
               ("cup", "white", (520, 280, 540, 300)))
    left_of_car = [{"type": "scene"}, {"type": "filter_class", "value": "car"}, {"type": "unique"},
                   {"type": "relate", "value": "left"}, {"type": "filter_class", "value": "dog"}]
    assert photo_answer(left_of_car + [{"type": "exist"}], g) == "yes"
    assert photo_answer(left_of_car + [{"type": "side"}], g) == "left"
    right = [dict(n, value="right") if n["type"] == "relate" else n for n in left_of_car]
    assert photo_answer(right + [{"type": "exist"}], g) == "no"
    colour = [{"type": "scene"}, {"type": "filter_class", "value": "car"}, {"type": "unique"}, {"type": "query_color"}]
    assert photo_answer(colour, g) == "red"
    assert photo_answer(colour + [{"type": "equal_color", "value": "red"}], g) == "yes"
    assert photo_answer(colour + [{"type": "equal_color", "value": "blue"}], g) == "no"
    bigger = [{"type": "scene"}, {"type": "filter_class", "value": "cup"}, {"type": "unique"},
              {"type": "relate", "value": "bigger"}, {"type": "filter_class", "value": "car"}, {"type": "exist"}]
    assert photo_answer(bigger, g) == "yes"
    outputs = execute_photo_program(left_of_car + [{"type": "count"}], g)
    assert outputs[:3] == [[0, 1, 2], [1], 1] and outputs[-1] == 1
    with pytest.raises(ProgramError):
        photo_answer([{"type": "scene"}, {"type": "unique"}], g)


def test_photo_executor_reproduces_every_engine_answer():
    """The executed program must give the engine's answer, also for "is X right of Y" (relate right)."""
    rng = random.Random(3)
    total = 0
    for _ in range(80):
        g = sample_photo_scene(rng)
        for q in photo_questions(g, rng):
            assert photo_answer(q.program, g) == q.answer, (q.question, q.program)
            total += 1
    assert total > 500
