"""The CLEVR detector's networks through ONNX Runtime (exported from the safetensors weights at
start-up): the eager detector's detections within float noise, eager where the export does not
cover the input or cannot run, and the RPN's proposals as detectron2's own forward gives them."""
import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("detectron2", reason="detectron2 is installed by scripts/setup.sh")
pytest.importorskip("onnxruntime", reason="the fast path's runtime is a dependency: pip install -e .")

from vqa.perception.clevr import exported  # noqa: E402
from vqa.perception.clevr.detector import DEFAULT_DETECTOR_WEIGHTS, ClevrDetector  # noqa: E402
from vqa.perception.clevr.model import _proposals  # noqa: E402
from vqa.pipeline.scenes import SceneBuilder  # noqa: E402

pytestmark = pytest.mark.skipif(not DEFAULT_DETECTOR_WEIGHTS.is_file(),
                                reason="weights/clevr-detector.safetensors not trained yet")

EXPORT_SECONDS = 900  # 15-20 s alone; much longer on a busy machine
NAMES = ["CLEVR_train_000005.png", "CLEVR_train_000045.png", "CLEVR_train_000425.png", "CLEVR_train_000773.png"]


@pytest.fixture(scope="module")
def fast():
    det = ClevrDetector.from_pretrained(fast=True)
    assert det.fast.wait(EXPORT_SECONDS), det.fast.failed
    yield det
    det.fast.close()


def _same(a, b):
    assert [o.name for o in a.objects] == [o.name for o in b.objects]
    for x, y in zip(a.objects, b.objects):
        np.testing.assert_allclose(x.box, y.box, atol=0.02)  # rounded to 0.01 px: one step either way
        np.testing.assert_allclose(x.pixel[:2], y.pixel[:2], atol=0.02)
        assert x.score == pytest.approx(y.score, abs=1e-5)
        for attribute, probs in x.attributes.items():
            for value, p in probs.items():
                assert p == pytest.approx(y.attributes[attribute][value], abs=1e-4)
        np.testing.assert_allclose(x.feature, y.feature, atol=1e-3)


def test_exported_detector_detects_as_eager(fast, clevr_dir, monkeypatch):
    eager = ClevrDetector.from_pretrained()
    ran = []
    run = exported.BackgroundExport.run
    monkeypatch.setattr(exported.BackgroundExport, "run",
                        lambda self, name, *a: ran.append(name) or run(self, name, *a))
    for name in NAMES:
        image = Image.open(clevr_dir / "images" / name).convert("RGB")
        _same(fast.detect(image), eager.detect(image))
    assert set(ran) == {"backbone", "crop_head", "crop_centre"}  # every exported network ran


def test_exported_detector_steps_aside_for_other_image_sizes(fast, clevr_dir):
    image = Image.open(clevr_dir / "images" / NAMES[0]).convert("RGB").resize((400, 400))  # a 320 x 320 input
    assert fast.fast.backbone(torch.zeros(1, 3, 320, 320)) is None
    _same(fast.detect(image), ClevrDetector.from_pretrained().detect(image))


def test_exported_detector_without_its_packages_detects_eagerly(clevr_dir, monkeypatch):
    monkeypatch.setattr(exported, "runtime_available", lambda: False)
    det = ClevrDetector.from_pretrained(fast=True)
    assert not det.fast.wait(0) and "not installed" in det.fast.failed
    assert det.detect(Image.open(clevr_dir / "images" / NAMES[0]).convert("RGB")).objects


def test_scene_builder_fast_starts_the_export_with_its_detect_threads(monkeypatch):
    started = []
    monkeypatch.setattr(exported.ExportedDetector, "start",
                        classmethod(lambda cls, weights, config, model, threads=1: started.append(threads)))
    SceneBuilder("clevr", fast=True, detect_threads=2).detector("clevr")
    SceneBuilder("clevr").detector("clevr")
    assert started == [2]  # once, with the builder's threads; not without fast


def test_proposals_are_detectron2s_rpn_forward(clevr_dir):
    """``_proposals`` (which takes the exported RPN head's output) is detectron2's ``RPN.forward``."""
    det = ClevrDetector.from_pretrained()
    x, _, _ = det._input(Image.open(clevr_dir / "images" / NAMES[1]).convert("RGB"))
    model = det.model
    with torch.no_grad():
        images = model.preprocess_image([x])
        features = model.backbone(images.tensor)
        ours = _proposals(model.proposal_generator, images, features)[0]
        theirs = model.proposal_generator(images, features, None)[0][0]
    assert torch.equal(ours.proposal_boxes.tensor, theirs.proposal_boxes.tensor)
    assert torch.equal(ours.objectness_logits, theirs.objectness_logits)
