"""`vqa graph` / `vqa ask IMAGE`: bad images exit 2 with one line; real images give graphs and answers."""
import json
import subprocess
import sys

import pytest
import torch

from vqa.perception.clevr.config import ClevrDetectorConfig
from vqa.perception.clevr.detector import DEFAULT_DETECTOR_WEIGHTS
from vqa.reason.reasoner import DEFAULT_WEIGHTS


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "vqa", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("content, message", [(b"", "empty"), (b"GIF89a-not-really", "not an image")])
@pytest.mark.parametrize("command", [["graph"], ["ask"]])
def test_cli_bad_image_exits_2_with_one_line(tmp_path, content, message, command):
    (tmp_path / "bad.png").write_bytes(content)
    args = command + ["bad.png"] + (["How many cubes are there?"] if command == ["ask"] else [])
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_cli_graph_missing_detector_weights_exits_2(tmp_path, clevr_dir):
    r = run("graph", str(clevr_dir / "images" / "CLEVR_train_000005.png"), "--detector-weights", "none.safetensors", cwd=tmp_path)
    assert r.returncode == 2 and "vqa train detector" in r.stderr


@pytest.mark.parametrize("flag", ["--renders", "--crop-renders"])
def test_cli_train_detector_rejects_a_folder_without_scenes_json(tmp_path, clevr_dir, flag):
    (tmp_path / "half-rendered" / "images").mkdir(parents=True)
    r = run("train", "detector", "--shared", str(clevr_dir.parent), "--workdir", str(tmp_path / "w"),
            flag, str(tmp_path / "half-rendered"), cwd=tmp_path)
    assert r.returncode == 2 and "no scenes.json" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "w").exists()  # refused before any work


@pytest.mark.parametrize("seed, prefix, split", [(5050, "MINE", "dev2"), (1, "TEST4040", "test")])
def test_cli_train_detector_refuses_development_and_test_renders(tmp_path, clevr_dir, seed, prefix, split):
    held = tmp_path / "renders"
    held.mkdir()
    (held / "scenes.json").write_text(json.dumps({"info": {"config": {"seed": seed, "prefix": prefix}}, "scenes": []}))
    r = run("train", "detector", "--shared", str(clevr_dir.parent), "--workdir", str(tmp_path / "w"),
            "--renders", str(held), cwd=tmp_path)
    assert r.returncode == 2 and f"holds the {split} renders" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "w").exists()


needs_weights = pytest.mark.skipif(not (DEFAULT_DETECTOR_WEIGHTS.is_file() and DEFAULT_WEIGHTS.is_file()),
                                   reason="shipped detector and reasoner weights not trained yet")


@pytest.mark.skipif(not DEFAULT_DETECTOR_WEIGHTS.is_file(), reason="weights/clevr-detector.safetensors not trained yet")
def test_cli_graph_writes_clevr_scenes(tmp_path, clevr_dir):
    img = clevr_dir / "images" / "CLEVR_train_000005.png"
    r = run("graph", str(img), str(img), "--out", "g.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    scenes = json.loads((tmp_path / "g.json").read_text())["scenes"]
    assert len(scenes) == 2 and scenes[0]["image_filename"] == "CLEVR_train_000005.png"
    o = scenes[0]["objects"][0]
    assert {"color", "shape", "material", "size", "pixel_coords", "box", "score"} <= set(o)
    assert set(scenes[0]["relationships"]) >= {"left", "right", "front", "behind"}


@needs_weights
def test_cli_ask_image_answers_a_shared_question(clevr_dir, clevr_questions):
    # held-out image (index % 5 == 0); a question whose answer is an attribute or count of it
    qs = [q for q in clevr_questions if q["image_filename"] == "CLEVR_train_000005.png"]
    r = run("ask", str(clevr_dir / "images" / "CLEVR_train_000005.png"), qs[0]["question"], "--json", "--top-k", "3")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {"question", "answers", "scene_graph", "timings_ms"} <= set(out)
    assert abs(sum(a["probability"] for a in out["answers"])) <= 1.0001
    right = sum(run("ask", str(clevr_dir / "images" / "CLEVR_train_000005.png"), q["question"], "--top-k", "1")
                .stdout.split()[0] == q["answer"] for q in qs[:4])
    assert right >= 3


@pytest.mark.parametrize("extra, message", [
    ([], "needs --images"),
    (["--images", "no-such-folder"], "not a folder"),
    (["--images", ".", "--scenes", "s.json"], "--scenes is for --graphs gold"),
])
def test_cli_eval_predicted_graphs_bad_input_exits_2(tmp_path, extra, message):
    (tmp_path / "q.json").write_text(json.dumps({"questions": [
        {"question": "How many cubes are there?", "image_filename": "CLEVR_train_000005.png"}]}))
    r = run("eval", "--benchmark", "clevr", "--questions", "q.json", "--graphs", "predicted", *extra, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_cli_eval_predicted_graphs_missing_image_exits_2(tmp_path):
    (tmp_path / "q.json").write_text(json.dumps({"questions": [
        {"question": "How many cubes are there?", "image_filename": "absent.png"}]}))
    r = run("eval", "--benchmark", "clevr", "--questions", "q.json", "--graphs", "predicted", "--images", ".", cwd=tmp_path)
    assert r.returncode == 2 and "absent.png" in r.stderr


@needs_weights
def test_cli_eval_predicted_graphs_answers_from_pixels(tmp_path, clevr_dir, clevr_questions):
    names = {"CLEVR_train_000005.png", "CLEVR_train_000045.png", "CLEVR_train_000060.png"}  # held out
    qs = [q for q in clevr_questions if q["image_filename"] in names]
    (tmp_path / "q.json").write_text(json.dumps({"questions": qs}))
    r = run("eval", "--benchmark", "clevr", "--questions", "q.json", "--graphs", "predicted", "--images",
            str(clevr_dir / "images"), "--metrics-out", "m.json", "--predictions-out", "p.json", "--no-progress",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["count"] == len(qs) and metrics["accuracy"] >= 0.9, metrics
    assert len(json.loads((tmp_path / "p.json").read_text())) == len(qs)


@pytest.mark.parametrize("args, message", [
    (["--init", "none.safetensors"], "--init none.safetensors"),
    (["--crop-epochs", "0"], "without --init"),
    (["--init", str(DEFAULT_DETECTOR_WEIGHTS), "--crop-centre-weight", "0.5"], "--crop-centre-weight"),
    (["--real-repeat", "-1"], "--real-repeat -1"),
    (["--roi-fg-iou", "1.5"], "--roi-fg-iou 1.5"),
    (["--roi-positive-fraction", "0"], "--roi-positive-fraction 0"),
    (["--second-stages", "0"], "--second-stages 0"),
    (["--init", str(DEFAULT_DETECTOR_WEIGHTS), "--crop-epochs", "0", "--crop-occluders"], "--crop-occluders"),
    (["--score-threshold", "1"], "--score-threshold 1"),
    (["--init", str(DEFAULT_DETECTOR_WEIGHTS), "--second-stages", "2"], "--second-stages"),
    (["--num-gpus", "0"], "--num-gpus 0"),
    (["--num-gpus", "3"], "--batch-size 2 does not split evenly over 3 processes"),
    (["--num-machines", "2"], "needs --dist-url"),
    (["--num-machines", "2", "--machine-rank", "2", "--dist-url", "tcp://127.0.0.1:1"], "--machine-rank 2"),
])
def test_cli_train_detector_refuses_bad_options(tmp_path, clevr_dir, args, message):
    r = run("train", "detector", "--shared", str(clevr_dir.parent), "--workdir", str(tmp_path / "w"), *args, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "w").exists()


def test_train_detector_library_refuses_untrained_second_stage(tmp_path, clevr_dir):
    from vqa.errors import DataError
    from vqa.train.detector import DetectorTrainConfig, train_detector

    with pytest.raises(DataError, match="without --init"):  # the library refuses too, not only the CLI
        train_detector(DetectorTrainConfig(workdir=str(tmp_path / "w"), shared=str(clevr_dir.parent), crop_epochs=0))
    assert not (tmp_path / "w").exists()


@pytest.mark.skipif(not DEFAULT_DETECTOR_WEIGHTS.is_file(), reason="weights/clevr-detector.safetensors not trained yet")
def test_train_detector_fine_tunes_from_weights_and_keeps_their_second_stage(tmp_path, clevr_dir):
    """A small real fine-tune: two steps from the shipped weights; with crop_epochs 0 the crop heads are the
    shipped ones, bit for bit, and the detector stage moved."""
    from safetensors.torch import load_file

    from vqa.train.detector import DetectorTrainConfig, train_detector

    tc = DetectorTrainConfig(out=str(tmp_path / "ft"), workdir=str(tmp_path / "w"), shared=str(clevr_dir.parent),
                             init=str(DEFAULT_DETECTOR_WEIGHTS), iterations=2, warmup=1, lr=1e-4, crop_epochs=0,
                             threads=1, progress=False)
    report = train_detector(tc, log=lambda *a: None)
    assert report["held_out_real"]["recall"] > 0.95  # two small steps do not undo the shipped detector
    old, new = load_file(str(DEFAULT_DETECTOR_WEIGHTS)), load_file(str(tmp_path / "ft.safetensors"))
    assert set(old) == set(new)
    assert all(torch.equal(old[k], new[k]) for k in old if k.startswith(("crop_head.", "crop_centre.")))
    assert any(not torch.equal(old[k], new[k]) for k in old if k.startswith("roi_heads."))


def test_dev_holdout_leaves_the_development_images_out_of_training(clevr_dir):
    """--dev-holdout: the real images with index 1 mod 5 leave the training records and come back as
    their own split; the held-out (validation) images are never in either training set."""
    from vqa.data.splits import is_development, is_validation
    from vqa.train.detector import DetectorTrainConfig, build_records

    def real(records):
        return {r["image_index"] for r in records if r["source"] == "real"}

    train, val, dev = build_records(DetectorTrainConfig(shared=str(clevr_dir.parent)))
    assert dev == [] and any(is_development(i) for i in real(train))
    train_d, val_d, dev_d = build_records(DetectorTrainConfig(shared=str(clevr_dir.parent), dev_holdout=True))
    assert len(dev_d) == 34 and all(is_development(r["image_index"]) for r in dev_d)
    assert not any(is_development(i) for i in real(train_d))
    assert real(train_d) | real(dev_d) == real(train)
    assert [r["image_index"] for r in val_d] == [r["image_index"] for r in val]
    assert all(is_validation(r["image_index"]) for r in val) and not real(train) & {r["image_index"] for r in val}
    thrice = build_records(DetectorTrainConfig(shared=str(clevr_dir.parent), real_repeat=3))[0]
    assert sum(r["source"] == "real" for r in thrice) == 3 * len(real(train)) == 3 * 147


def test_train_detector_defaults_are_the_base_recipe_and_the_card_spells_its_changes():
    """The CLI and the library agree on the defaults: the from-scratch recipe of clevr-detector@207f898,
    which the shipped weights are fine-tuned from. The shipped card's `vqa train detector` command
    parses, and each option it writes changes a default (it spells out the run, nothing else)."""
    import shlex

    from vqa.cli.main import build_parser
    from vqa.train.detector import DetectorTrainConfig

    parser = build_parser()
    args, tc = parser.parse_args(["train", "detector"]), DetectorTrainConfig()
    fields = ("real_boxes", "crop_epochs", "threads", "iterations", "batch_size", "lr", "warmup", "real_repeat", "seed")
    assert [getattr(args, f) for f in fields] == [getattr(tc, f) for f in fields]
    assert (tc.real_boxes, tc.crop_epochs, tc.threads) == ("visible", 40, 1)
    card = DEFAULT_DETECTOR_WEIGHTS.with_suffix(".md").read_text()
    flags = shlex.split(card.split("`vqa train detector")[1].split("`")[0])
    shipped = parser.parse_args(["train", "detector", *flags])
    options = [f[2:].replace("-", "_") for f in flags if f.startswith("--")]
    assert options and all(getattr(shipped, o) != getattr(args, o) for o in options)
    assert shipped.init.endswith("clevr-detector-acc2320.safetensors") and shipped.crop_epochs == 10
    assert shipped.crop_occluders and shipped.score_threshold == 0.6


def test_model_card_rebuild_commands_parse_back_to_the_run(tmp_path):
    """The card's `vqa render` and `vqa train detector` lines give back the run's settings."""
    import json
    import shlex

    from vqa.cli.main import build_parser
    from vqa.train.detector import DetectorTrainConfig, rebuild_commands

    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "scenes.json").write_text(json.dumps({"info": {"config": {"num_images": 400, "seed": 2027,
                                                                         "samples": 32, "workers": 1}}, "scenes": []}))
    tc = DetectorTrainConfig(dev_holdout=True, crop_renders=[str(folder), str(tmp_path / "gone")], seed=3, lr=5e-4,
                             roi_fg_iou=0.4)
    *renders, train = rebuild_commands(tc)
    assert renders == [f"vqa render --out {folder} --num-images 400 --seed 2027", f"vqa render --out {tmp_path / 'gone'}"]
    args = build_parser().parse_args(shlex.split(train)[1:])
    assert (args.dev_holdout, args.crop_renders, args.seed, args.lr) == (True, tc.crop_renders, 3, 5e-4)
    assert (args.roi_fg_iou, args.roi_positive_fraction) == (0.4, 0.25)
    assert rebuild_commands(DetectorTrainConfig()) == ["vqa train detector"]
    marked = DetectorTrainConfig(model=ClevrDetectorConfig(crop_centre_weight=1.0, crop_occluders=True, score_threshold=0.6))
    back = build_parser().parse_args(shlex.split(rebuild_commands(marked)[0])[1:])
    assert (back.crop_occluders, back.score_threshold) == (True, 0.6)
    launched = build_parser().parse_args(shlex.split(rebuild_commands(DetectorTrainConfig(), (2, 3))[0])[1:])
    assert (launched.num_gpus, launched.num_machines) == (2, 3)


def test_roi_sampling_decides_which_proposals_teach_the_box_head():
    """--roi-fg-iou: a proposal covering 45 % of an object is background for the ROI head by default
    (IoU 0.5, detectron2's) and an example of the object at 0.4; --roi-positive-fraction reaches the sampler."""
    import torch

    from vqa.perception.clevr.compat import quiet_import

    with quiet_import():  # detectron2's notices, silenced by name as the package does
        from detectron2.structures import Boxes, Instances
        from detectron2.utils.events import EventStorage

        from vqa.perception.clevr.model import build_clevr_model
        from vqa.train.detector import DetectorTrainConfig, set_roi_sampling

    def label_of_half_box(tc):
        model = build_clevr_model(ClevrDetectorConfig())
        set_roi_sampling(model, tc)
        proposals = Instances((320, 480), proposal_boxes=Boxes(torch.tensor([[0.0, 0.0, 100.0, 45.0]])),
                              objectness_logits=torch.zeros(1))
        gt = Instances((320, 480), gt_boxes=Boxes(torch.tensor([[0.0, 0.0, 100.0, 100.0]])),
                       gt_classes=torch.zeros(1, dtype=torch.long))
        with EventStorage():  # detectron2 logs the sampled counts there
            sampled = model.roi_heads.label_and_sample_proposals([proposals], [gt])[0]
        half = (sampled.proposal_boxes.tensor[:, 3] == 45.0).nonzero()[0, 0]
        return int(sampled.gt_classes[half]), model.roi_heads.positive_fraction

    assert label_of_half_box(DetectorTrainConfig()) == (1, 0.25)  # class 1: background
    assert label_of_half_box(DetectorTrainConfig(roi_fg_iou=0.4, roi_positive_fraction=0.5)) == (0, 0.5)


def test_real_boxes_choose_how_the_real_images_are_boxed(clevr_dir):
    """--real-boxes: the same real images and objects, boxed as their visible parts (the default, the
    shipped recipe) or as whole objects; renders keep their exact boxes either way."""
    from vqa.cli.main import build_parser
    from vqa.train.detector import DetectorTrainConfig, build_records

    assert build_parser().parse_args(["train", "detector"]).real_boxes == "visible" == DetectorTrainConfig().real_boxes
    assert build_parser().parse_args(["train", "detector", "--real-boxes", "model"]).real_boxes == "model"
    visible = build_records(DetectorTrainConfig(shared=str(clevr_dir.parent)))[0]
    model = build_records(DetectorTrainConfig(shared=str(clevr_dir.parent), real_boxes="model"))[0]
    assert [r["file_name"] for r in model] == [r["file_name"] for r in visible]
    moved = 0
    for m, v in zip(model, visible):
        assert [a["center"] for a in m["annotations"]] == [a["center"] for a in v["annotations"]]
        same = [a["bbox"] == b["bbox"] for a, b in zip(m["annotations"], v["annotations"])]
        assert all(same) if m["source"] == "render" else True
        moved += not all(same)
    assert moved > 100  # most real images: their boxes are drawn, not predicted
