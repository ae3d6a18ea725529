"""Choosing the detector: CLEVR images and renders go to ``clevr``, photos to ``coco``."""
import io
from pathlib import Path

import pytest
from PIL import Image

from vqa.perception import get_detector
from vqa.perception.auto import AutoDetector, choose_detector, image_stats
from vqa.perception.base import Detections
from vqa.perception.image import load_image

ROOT = Path(__file__).resolve().parents[2]
RENDERS = ROOT.parent / "shared" / "data" / "clevr_renders" / "images"


def _photo(name: str) -> Image.Image:
    import matplotlib
    import skimage
    import sklearn

    folders = [Path(skimage.__file__).parent / "data", Path(sklearn.__file__).parent / "datasets" / "images",
               Path(matplotlib.get_data_path()) / "sample_data"]
    path = next(f / name for f in folders if (f / name).is_file())
    return load_image(path)


@pytest.fixture(scope="module")
def clevr_images(clevr_dir):
    paths = sorted((clevr_dir / "images").glob("*.png"))[::40] + sorted(RENDERS.glob("*.png"))[::80]
    assert len(paths) >= 8, "shared CLEVR images or renders missing"
    return [load_image(p) for p in paths]


def test_auto_chooses_clevr_for_clevr_images_and_renders(clevr_images):
    assert [choose_detector(im) for im in clevr_images] == ["clevr"] * len(clevr_images)


# the first five are 3:2 like CLEVR, so the aspect test alone would not do
@pytest.mark.parametrize("name", ["chelsea.png", "coffee.png", "rocket.jpg", "china.jpg", "flower.jpg",
                                  "astronaut.png", "camera.png", "motorcycle_left.png", "grace_hopper.jpg"])
def test_auto_chooses_coco_for_photos(name):
    assert choose_detector(_photo(name)) == "coco"


def test_auto_greyscale_3_2_photo_is_not_clevr():
    camera = _photo("camera.png").crop((0, 85, 512, 426)).resize((480, 320))  # 3:2, grey, mid-bright
    stats = image_stats(camera)
    assert abs(stats.aspect - 1.5) < 0.01 and stats.frame_chroma == 0.0
    assert choose_detector(camera) == "coco"  # only the chroma floor says so


def test_auto_survives_jpeg_and_resizing_but_not_cropping(clevr_images):
    image = clevr_images[0]
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=70)
    assert choose_detector(Image.open(io.BytesIO(buf.getvalue()))) == "clevr"
    assert choose_detector(image.resize((960, 640))) == "clevr"
    assert choose_detector(image.resize((240, 160))) == "clevr"
    assert choose_detector(image.crop((80, 0, 400, 320))) == "coco"  # square: documented miss


class _Fake:
    def __init__(self, name):
        self.name, self.seen = name, 0

    def detect(self, image):
        self.seen += 1
        return Detections([], width=image.size[0], height=image.size[1], detector=self.name)


def test_auto_detector_delegates_and_builds_lazily(clevr_images):
    built = []

    def factory(name):
        built.append(name)
        return _Fake(name)

    auto = AutoDetector(factory=factory)
    assert auto.detect(_photo("chelsea.png")).detector == "coco"
    assert built == ["coco"]  # the CLEVR detector is not built until a CLEVR image comes
    assert auto.detect(clevr_images[0]).detector == "clevr"
    assert auto.detect(clevr_images[1]).detector == "clevr"
    assert built == ["coco", "clevr"] and auto.delegate("clevr").seen == 2


def test_auto_is_in_the_registry():
    auto = get_detector("auto")
    assert isinstance(auto, AutoDetector) and auto.name == "auto"
