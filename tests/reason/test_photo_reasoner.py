"""The photo reasoner: vocabulary, detector-like rows, cached MiniLM, step targets, a small real training run,
weights without MiniLM, and the honest answerer around it."""
from __future__ import annotations

import random

import pytest
import torch

from vqa.reason.photo_rules import NOT_FOUND, OUT_OF_VOCABULARY, PhotoAnswerer
from vqa.data.photo_engine import photo_questions, sample_photo_scene
from vqa.reason.photo import PHOTO_ANSWERS, PHOTO_VOCAB, photo_answer_type, photo_reasoner_config
from vqa.train.photo_reasoner import (CachedMiniLM, PhotoTrainConfig, detector_like, photo_example, photo_split,
                                      train_photo_reasoner)
from vqa.reason.reasoner import Reasoner


def test_photo_reasoner_vocabulary_and_answers():
    assert [len(v) for v in PHOTO_VOCAB.attributes.values()] == [80, 12, 3]
    assert "left" in PHOTO_VOCAB.edge_types and "same_color" in PHOTO_VOCAB.edge_types
    assert len(PHOTO_ANSWERS) == len(set(PHOTO_ANSWERS)) == 27
    assert [photo_answer_type(a) for a in ("yes", "3", "red", "left")] == ["bool", "count", "color", "side"]
    cfg = photo_reasoner_config()
    assert cfg.encoder.kind == "minilm" and cfg.answer_type_of[PHOTO_ANSWERS.index("gray")] == "color"


def test_photo_reasoner_detector_like_rows_keep_every_answer():
    rng = random.Random(0)
    for _ in range(30):
        g = sample_photo_scene(rng)
        noisy = detector_like(g, rng)
        for o, n in zip(g.objects, noisy.objects):
            for attr in ("class", "color"):
                p = n.extra["attribute_probs"][attr]
                assert max(p, key=p.get) == o.attributes[attr] and sum(p.values()) == pytest.approx(1.0)
        assert g.objects[0].extra["attribute_probs"]["color"] == {g.objects[0].attributes["color"]: 1.0}  # a copy


def test_photo_reasoner_step_targets_from_engine_programs():
    rng = random.Random(2)
    seen = set()
    for _ in range(40):
        g = sample_photo_scene(rng)
        for q in photo_questions(g, rng):
            e = photo_example(q, "k", g)
            seen.add(q.type)
            assert PHOTO_ANSWERS[e.answer] == q.answer and 1 <= len(e.steps) <= 2 and e.n_objects == len(g.objects)
            if q.type == "left_right":  # second step: the Xs among the objects beside the Y, along a side edge
                assert e.instructions[1]["predicate"] in ("left", "right") and e.instructions[1]["filters"]
            if q.type == "relation":  # two steps: the Y, then the Xs related to it, along the converse edge
                pred = q.program[3]["value"]
                assert len(e.steps) == 2 and e.instructions[1]["filters"] == {"class": q.program[4]["value"]}
                assert e.instructions[1]["predicate"] == {"on": "supports", "inside": "contains", "left": "right",
                                                          "right": "left", "above": "below",
                                                          "below": "above"}.get(pred, pred)
                assert set(e.steps[1]) == {r.subject for r in g.relations if r.predicate == pred
                                           and r.object == e.steps[0][0] and g.objects[r.subject].name
                                           == q.program[4]["value"]}
    assert seen == {"exist", "count", "color", "yes_no", "left_right", "relation"}


def test_photo_reasoner_cached_minilm_matches_minilm():
    from vqa.encode.encoder import tokenize

    model = Reasoner(photo_reasoner_config(dim=32))
    real = model.encoder.minilm
    questions = ["Is there a cat?", "How many people are in the picture?"]
    ids, mask = tokenize(questions)
    with torch.no_grad():
        want = model.encoder(ids, mask).tokens
        cached = CachedMiniLM(real)
        cached.encode(questions)
        model.encoder.minilm = cached
        got = model.encoder(ids, mask).tokens
        assert len(cached.table) == 2
        assert torch.allclose(got[mask], want[mask], atol=2e-2)  # fp16 cache; padding is masked anyway
        model.encoder(*tokenize(["Is the dog red?"]))  # not encoded yet: the slow path adds it
    assert len(cached.table) == 3 and not list(cached.parameters())


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("photo")
    tc = PhotoTrainConfig(out=str(tmp / "w" / "photo"), workdir=str(tmp / "run"), scenes=150, val_scenes=30,
                          iterations=40, batch_size=64, warmup=10, eval_every=10**9, checkpoint_every=20,
                          progress=False, model=photo_reasoner_config(dim=48))
    return tc, train_photo_reasoner(tc, log=lambda *a: None)


def test_photo_reasoner_small_real_training_writes_weights_without_minilm(trained):
    from safetensors.torch import load_file

    tc, report = trained
    for suffix in (".safetensors", ".json", ".md"):
        assert (tmp := __import__("pathlib").Path(tc.out + suffix)).is_file(), tmp
    keys = load_file(tc.out + ".safetensors")
    assert keys and not any(k.startswith("encoder.minilm.") for k in keys)
    assert report["iterations"] == 40 and 0 <= report["val_generated"]["accuracy"] <= 1
    assert set(report["val_generated"]["per_type"]) <= {"exist", "count", "color", "yes_no", "left_right", "relation"}
    assert "| type | accuracy | n |" in open(tc.out + ".md").read()
    model = Reasoner.from_pretrained(tc.out)
    assert model.config.answers == PHOTO_ANSWERS and model.encoder.minilm.__class__.__name__ != "CachedMiniLM"


def test_photo_reasoner_answerer_keeps_the_rules_refusals(trained):
    from vqa.reason.photo_answerer import ReasonerPhotoAnswerer

    tc, _ = trained
    answerer = ReasonerPhotoAnswerer(tc.out)
    g = sample_photo_scene(random.Random(4), context="street")
    absent = next(c for c in ("giraffe", "zebra", "elephant") if c not in {o.name for o in g.objects})
    assert answerer("Is there a flag?", g).status == OUT_OF_VOCABULARY
    assert answerer(f"What color is the {absent}?", g).status == NOT_FOUND
    rules = PhotoAnswerer()
    assert answerer("What is in the picture?", g).answer == rules("What is in the picture?", g).answer
    got = answerer("How many objects are there?", g)
    assert got.status in ("answered", "not_sure") and got.answers[0][0] in PHOTO_ANSWERS
    assert got.answer == got.answers[0][0] or got.answer == "not sure"


@pytest.mark.slow
def test_photo_reasoner_learns_above_the_prior(tmp_path):
    """300 steps on 600 scenes (about 80 s): well above the answer-type prior (about 50 % on yes/no and
    left/right, less elsewhere). Measured 85 %: colour 98, count 100, exist 100, left/right 70, yes/no 79."""
    tc = PhotoTrainConfig(out=str(tmp_path / "w" / "photo"), workdir=str(tmp_path / "run"), scenes=600,
                          val_scenes=60, iterations=300, eval_every=10**9, progress=False)
    report = train_photo_reasoner(tc, log=lambda *a: None)["val_generated"]
    assert report["accuracy"] > 0.7, report
    assert report["per_type"]["count"][0] > 0.6 and report["per_type"]["color"][0] > 0.6, report


def test_photo_reasoner_hybrid_answers_with_rules_where_they_parse(trained):
    from vqa.reason.photo_answerer import ReasonerPhotoAnswerer

    tc, _ = trained
    hybrid, rules = ReasonerPhotoAnswerer(tc.out, rules_first=True), PhotoAnswerer()
    rng = random.Random(7)
    g = sample_photo_scene(rng, context="kitchen")
    for q in photo_questions(g, rng):
        assert hybrid(q.question, g).answer == rules(q.question, g).answer
    odd = "Would you say there is a cup somewhere here?"
    assert rules(odd, g).status == "unsupported"
    hybrid.known_min = 0.0  # any unparsed question goes to the reasoner
    got = hybrid(odd, g)
    assert got.status in ("answered", "not_sure") and got.answers[0][0] in PHOTO_ANSWERS


def test_photo_reasoner_unparsed_questions_must_resemble_training_questions(trained):
    from vqa.reason.photo_answerer import ReasonerPhotoAnswerer

    tc, _ = trained
    answerer = ReasonerPhotoAnswerer(tc.out, rules_first=True)
    known = answerer.model.known_questions
    assert known is not None and known.shape[1] == 384 and known.shape[0] > 100
    assert torch.allclose(known.float().norm(dim=1), torch.ones(len(known)), atol=1e-2)
    g = sample_photo_scene(random.Random(4), context="street")
    seen = photo_split(tc.scenes, tc.questions_per_scene, tc.seed, "T", tc.detector_like)[1][0].question
    assert answerer.familiarity(seen) > 0.99  # a training question
    whiskers = "Does the person have whiskers?"
    assert answerer.familiarity(whiskers) < 0.9
    answerer.known_min = 0.999
    assert answerer(whiskers, g).status == "unsupported"  # the rules' refusal stands


def test_photo_reasoner_default_answerer_falls_back_to_rules_without_weights(monkeypatch, tmp_path):
    import vqa.reason.photo_answerer as photo
    from vqa.reason.photo_answerer import ReasonerPhotoAnswerer, default_photo_answerer

    assert isinstance(default_photo_answerer("rules"), PhotoAnswerer)
    monkeypatch.setattr(photo, "PHOTO_WEIGHTS", tmp_path / "missing.safetensors")
    assert not ReasonerPhotoAnswerer.available()
    assert isinstance(default_photo_answerer("hybrid"), PhotoAnswerer)


def test_photo_reasoner_cli_trains_and_rejects_bad_arguments(tmp_path, capsys):
    from vqa.cli.main import main

    with pytest.raises(SystemExit) as e:
        main(["train", "photo-reasoner", "--scenes", "many"])
    assert e.value.code == 2
    out = tmp_path / "w" / "p"
    assert main(["train", "photo-reasoner", "--out", str(out), "--workdir", str(tmp_path / "run"), "--scenes", "30",
                 "--val-scenes", "5", "--iterations", "3", "--no-progress"]) == 0
    assert "val_generated:" in capsys.readouterr().out
    assert (tmp_path / "w" / "p.safetensors").is_file() and (tmp_path / "w" / "p.md").is_file()
