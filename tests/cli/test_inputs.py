"""The command line's inputs, property-tested: argument combinations, question text (any Unicode,
control characters, lone surrogates, 100,000 characters), questions files of model mode, `vqa batch`
row files, image names that leave --images, and a truncated weights file. Each gives a result or
exit 2 with one line, never a traceback."""
import contextlib
import io
import json
import shutil
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from vqa.cli.batch import read_rows
from vqa.cli.main import main
from vqa.encode.tokenizer import MAX_QUESTION_CHARS, check_question
from vqa.errors import DataError, QuestionError
from vqa.graph.box_relations import box_relations
from vqa.graph.io import load_json
from vqa.graph.scene_graph import SceneGraph, SceneObject
from vqa.pipeline.batch import load_clevr_questions
from vqa.pipeline.photo_eval import load_photo_questions

SCENE = {"image_filename": "CLEVR_x.png",
         "objects": [{"color": "red", "shape": "cube", "material": "metal", "size": "large", "3d_coords": [1, 2, 0.7],
                      "pixel_coords": [200, 150, 9.5]}], "relationships": {"left": [[]], "right": [[]]}}
CLEVR_QUESTIONS = {"questions": [{"question_index": k, "image_filename": "CLEVR_x.png", "question": q, "answer": a,
                                  "template_filename": "t.json"} for k, (q, a) in enumerate([("How many cubes?", "1"),
                                                                                             ("Is it red?", "yes")])]}
VQA_QUESTIONS = {"data_subtype": "val2014", "questions": [{"question_id": 5000 + k, "image_id": 5, "question": "What?"}
                                                          for k in range(2)]}
GQA_QUESTIONS = {"01": {"imageId": "n1", "question": "Is it a cat?", "answer": "yes"}, "02": {"imageId": "n2", "question": "What?"}}


def _main(argv) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as e:  # argparse: 0 for --help, 2 for a bad option
            code = e.code
    return code, err.getvalue()


def _refused(code: int, err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("vqa ")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], err


@pytest.fixture(scope="module")
def files(tmp_path_factory, tiny_weights):
    """Small inputs of every kind, and broken ones, for the argument combinations."""
    d = tmp_path_factory.mktemp("cli_inputs")
    out = {"scenes": d / "scenes.json", "clevr_q": d / "clevr_q.json", "preds": d / "preds.json", "empty": d / "empty.json",
           "junk": d / "junk.json", "missing": d / "missing.json", "folder": d, "weights": tiny_weights}
    out["scenes"].write_text(json.dumps({"scenes": [SCENE]}))
    out["clevr_q"].write_text(json.dumps(CLEVR_QUESTIONS))
    out["preds"].write_text(json.dumps([{"question_index": 0, "answer": "1"}, {"question_index": 1, "answer": "no"}]))
    out["empty"].write_bytes(b"")
    out["junk"].write_bytes(b"\xff\xfe not json")
    return out


_OPTIONS = {  # flag -> what its value may be: a key of `files`, an output name, or a literal
    "--benchmark": ["clevr", "gqa", "vqav2", "okvqa", ""],
    "--questions": ["clevr_q", "missing", "junk", "empty", "folder", "preds"],
    "--predictions": ["preds", "missing", "junk", "clevr_q", "folder"],
    "--annotations": ["clevr_q", "missing"], "--choices": ["preds", "junk"], "--scene-graphs": ["scenes"],
    "--attentions": ["preds"], "--allow-missing": [None], "--metrics-out": ["out:m.json", "folder", "out:sub/m.json"],
    "--limit": ["3", "-1", "x"], "--nproc": ["0", "-1"], "--resume": [None], "--predictions-out": ["out:p.json", "folder"],
    "--max-pixels": ["0", "100", "-5", "1e9"], "--batch-size": ["0", "2"], "--workers": ["0"], "--skip-missing-images": [None],
}


@given(st.dictionaries(st.sampled_from(sorted(_OPTIONS)), st.integers(0, 5), max_size=7))
def test_cli_eval_any_combination_of_options_scores_or_exits_2(files, picks):
    argv = ["eval"]
    for flag, k in picks.items():
        values = _OPTIONS[flag]
        value = values[k % len(values)]
        argv.append(flag)
        if value is not None:
            argv.append(files["folder"] / value[4:] if value.startswith("out:") else files.get(value, value))
    code, err = _main(argv)
    assert code in (0, 2), err
    if code == 2:
        assert "Traceback" not in err and [line for line in err.splitlines() if line.startswith(("vqa eval", "usage:"))], err


@given(st.lists(st.sampled_from(["--top-k", "--threads", "--json", "--detector", "--image-filename", "--no-closer-look",
                                 "--draw", "--max-pixels"]), max_size=4, unique=True), st.integers(0, 3))
@settings(max_examples=max(settings().max_examples // 4, 5))  # each example loads the (tiny) reasoner
def test_cli_ask_any_combination_of_options_answers_or_exits_2(files, flags, k):
    values = {"--top-k": ["1", "0", "-2", "40"], "--threads": ["1", "0", "2", "x"], "--detector": ["clevr", "coco", "auto", "yolo"],
              "--image-filename": ["CLEVR_x.png", "nope.png", "", "../CLEVR_x.png"], "--draw": ["d.png", "folder", "d.txt", "d.png"],
              "--max-pixels": ["10", "0", "abc", "40000000"]}
    argv = ["ask", "--scene", files["scenes"], "How many cubes?", "--weights", files["weights"]]
    for flag in flags:
        argv.append(flag)
        if flag in values:
            v = values[flag][k]
            argv.append(files["folder"] if v == "folder" else v)
    code, err = _main(argv)
    assert code in (0, 2), err
    if code == 2:
        assert "Traceback" not in err


_photo_graph = SceneGraph(
    [SceneObject("cat", {"class": "cat", "color": "brown", "size": "large"}, box=[10, 10, 200, 150], pixel=[105, 80, 0]),
     SceneObject("dog", {"class": "dog", "color": "white", "size": "medium"}, box=[220, 40, 300, 150], pixel=[260, 95, 0])],
    box_relations([[10, 10, 200, 150], [220, 40, 300, 150]]), image_filename="p.jpg", width=320, height=240,
    extra={"detector": "coco", "relations": "boxes"})

_questions = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=120),  # any code point, lone surrogates included
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), max_size=40),  # control and format characters
    st.builds(lambda a, b, c: a + b + c, st.sampled_from(["Is there a cat", "How many dogs", "What color is the cube",
                                                           "Is the cat left of the dog"]),
              st.text(st.characters(exclude_categories=("Cs",)), max_size=30), st.sampled_from(["?", "", " ?\x00"])),
    st.integers(900, 100_000).map(lambda n: ("Is the cat left of the dog? " * (n // 28 + 1))[:n]),
)


@pytest.fixture(scope="module")
def qa(tiny_weights, clevr_scenes):
    from vqa.pipeline.ask import GraphQA  # the model fixture stays in this module's tests

    return GraphQA(tiny_weights), clevr_scenes[0]


@given(_questions)
def test_question_any_text_is_answered_or_refused(qa, question):
    model, clevr_graph = qa
    t0 = time.perf_counter()
    try:
        check_question(question)  # what `vqa ask`, `vqa batch` and the photo benchmarks do first
    except QuestionError as e:
        assert "\n" not in str(e)[:200]
        return
    for graph in (clevr_graph, _photo_graph):
        try:
            p = model.ask(question, graph)
        except QuestionError:
            continue
        assert p.answers and all(isinstance(a, str) for a, _ in p.answers)
    assert time.perf_counter() - t0 < 10


def test_question_limits_on_the_command_line(files):
    scene = ["--scene", files["scenes"], "--weights", files["weights"]]
    _refused(*_main(["ask", "x" * 100_000, *scene]), f"over the limit of {MAX_QUESTION_CHARS:,}")
    _refused(*_main(["ask", "How many \udcff cubes?", *scene]), "'\\udcff' at character 9")
    assert _main(["ask", "How many\x00 cubes?\x07", *scene])[0] == 0


def test_ask_refuses_a_truncated_weights_file_with_exit_2(files, tmp_path):
    for suffix in (".safetensors", ".json"):
        shutil.copy(files["weights"].with_suffix(suffix), tmp_path / f"cut{suffix}")
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(cut.read_bytes()[:1000])
    _refused(*_main(["ask", "How many cubes?", "--scene", files["scenes"], "--weights", cut]), "vqa ask: error:", str(cut))


@given(st.data())
def test_clevr_questions_of_model_mode_load_or_are_refused(files, json_fuzz, data):
    path = files["folder"] / "fuzzed_clevr_q.json"
    path.write_bytes(json_fuzz.encode(data, json_fuzz.mutate(data, CLEVR_QUESTIONS))[0])
    try:
        qs = load_clevr_questions(path)
    except DataError as e:
        assert str(path) in str(e)
        return
    indices = [q.get("question_index", k) for k, q in enumerate(qs)]
    assert len(set(indices)) == len(indices) and all(type(i) is int for i in indices)


@pytest.mark.parametrize("edit, message", [
    (lambda q: q[1].update(question_index=0), "questions[1] repeats the question_index 0 of questions[0]"),
    (lambda q: q[1].update(question_index="1"), "questions[1].question_index must be an integer, got '1'"),
    (lambda q: q[0].update(image_filename="/etc/passwd"), "is an absolute path"),
    (lambda q: q[0].update(image_filename="../secret.png"), "climbs out of the images folder"),
    (lambda q: q[0].update(image_filename="a\\..\\..\\b.png"), "climbs out of the images folder"),
])
def test_clevr_questions_repeats_and_escaping_names_are_refused(files, edit, message):
    doc = json.loads(json.dumps(CLEVR_QUESTIONS))
    edit(doc["questions"])
    path = files["folder"] / "bad_clevr_q.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DataError, match=message.replace("\\", "\\\\").replace("[", r"\[").replace("]", r"\]")):
        load_clevr_questions(path)


@given(st.sampled_from(["vqav2", "gqa"]), st.data())
def test_photo_questions_load_or_are_refused(files, json_fuzz, name, data):
    path = files["folder"] / f"fuzzed_{name}_q.json"
    path.write_bytes(json_fuzz.encode(data, json_fuzz.mutate(data, VQA_QUESTIONS if name == "vqav2" else GQA_QUESTIONS))[0])
    try:
        items = load_photo_questions(name, load_json(path), path)
    except DataError as e:
        assert str(path) in str(e)
        return
    assert len({qid for qid, _, _ in items}) == len(items)


@given(st.binary(max_size=300) | st.lists(st.sampled_from(
    ['{"image": "a.png", "question": "Is it red?"}', '{"image": 1}', "[" * 5000, '{"image": "b.png", "question": NaN}', "",
     "image,question", "a.png,Is it?", 'a.png,"x,y",z', "\xe9"]), max_size=5).map(lambda ls: "\n".join(ls).encode("latin-1")),
    st.sampled_from([".jsonl", ".csv"]))
def test_batch_row_files_give_rows_or_a_data_error(files, raw, suffix):
    path = files["folder"] / f"rows{suffix}"
    path.write_bytes(raw)
    try:
        rows = read_rows(path)
    except DataError as e:
        assert str(path) in str(e) and "\n" not in str(e)
        return
    assert rows and all(isinstance(q, str) for _, q, _ in rows)


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """An images folder, and an image beside it (outside it)."""
    root = tmp_path_factory.mktemp("paths")
    (root / "images").mkdir()
    Image.new("RGB", (8, 8), "red").save(root / "secret.png")
    return root


@pytest.mark.parametrize("bench, layout", [("clevr", "CLEVR_x.png"), ("vqav2", "COCO_val2014_000000000005.jpg"),
                                               ("gqa", "n1.jpg")])
def test_images_folder_refuses_a_link_pointing_outside(outside, files, bench, layout):
    images = outside / f"images_{bench}"
    images.mkdir(exist_ok=True)
    link = images / layout
    if not link.is_symlink():
        link.symlink_to(outside / "secret.png")
    questions = {"clevr": files["clevr_q"], "vqav2": outside / "vqa_q.json", "gqa": outside / "gqa_q.json"}[bench]
    (outside / "vqa_q.json").write_text(json.dumps(VQA_QUESTIONS))
    (outside / "gqa_q.json").write_text(json.dumps(GQA_QUESTIONS))
    code, err = _main(["eval", "--benchmark", bench, "--graphs", "predicted", "--images", images, "--questions", questions,
                       "--weights", files["weights"], "--no-progress", "--skip-missing-images"])
    _refused(code, err, "is a link to", "outside the images folder")


@pytest.mark.parametrize("bench, questions, message", [
    ("clevr", {"questions": [{"question": "Is it red?", "image_filename": "/etc/hostname"}]}, "is an absolute path"),
    ("clevr", {"questions": [{"question": "Is it red?", "image_filename": "../secret.png"}]}, "climbs out of the images folder"),
    ("gqa", {"01": {"imageId": "../secret", "question": "Is it red?"}}, "climbs out of the images folder"),
    ("gqa", {"01": {"imageId": "/etc/hostname", "question": "Is it red?"}}, "is an absolute path"),
])
def test_images_folder_refuses_names_that_leave_it(outside, files, bench, questions, message):
    path = outside / f"{bench}_escape.json"
    path.write_text(json.dumps(questions))
    code, err = _main(["eval", "--benchmark", bench, "--graphs", "predicted", "--images", outside / "images",
                       "--questions", path, "--weights", files["weights"], "--no-progress"])
    _refused(code, err, message, str(path))
