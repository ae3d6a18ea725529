from vqa.data.executor import ProgramError, SceneIndex, answer_to_str, execute_program

import pytest


def test_executor_reproduces_every_shared_answer(clevr_scenes, clevr_questions):
    index = {g.image_filename: SceneIndex.of(g) for g in clevr_scenes}
    wrong = []
    for q in clevr_questions:
        out = execute_program(q["program"], index[q["image_filename"]])
        if answer_to_str(out[-1]) != q["answer"] or [n["_output"] for n in q["program"]] != out:
            wrong.append(q["question_index"])
    assert len(clevr_questions) == 9320
    assert wrong == []


def test_executor_unique_of_many_raises(clevr_scenes):
    program = [{"type": "scene", "inputs": [], "value_inputs": []}, {"type": "unique", "inputs": [0], "value_inputs": []}]
    with pytest.raises(ProgramError):
        execute_program(program, clevr_scenes[0])


def test_executor_accepts_old_function_key(clevr_scenes):
    program = [{"function": "scene", "inputs": []}, {"function": "count", "inputs": [0]}]
    assert execute_program(program, clevr_scenes[0])[-1] == len(clevr_scenes[0].objects)
