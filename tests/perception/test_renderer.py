"""The renderer: one small low-sample image with matching ground truth (CI installs blender)."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from vqa.data.render import RenderConfig, mask_rle, render_scenes


def test_renderer_mask_rle_is_coco_column_major():
    m = np.array([[0, 1], [1, 1]], dtype=bool)
    assert mask_rle(m) == {"size": [2, 2], "counts": [1, 3]}
    assert mask_rle(np.ones((1, 2), bool))["counts"] == [0, 2]


@pytest.mark.skipif(shutil.which("blender") is None, reason="blender is installed by scripts/setup.sh")
def test_renderer_writes_image_and_matching_ground_truth(tmp_path, clevr_dir):
    rc = RenderConfig(out_dir=str(tmp_path), assets=str(clevr_dir / "blender_assets"), num_images=1, width=240,
                      height=160, samples=2, min_pixels=40, max_objects=4, workers=1, threads=2, seed=3)
    path = render_scenes(rc, progress=False)
    scenes = json.loads(path.read_text())["scenes"]
    assert len(scenes) == 1
    s = scenes[0]
    img = Image.open(tmp_path / "images" / s["image_filename"])
    ids = np.asarray(Image.open(tmp_path / "masks" / s["image_filename"]))
    assert img.size == (240, 160) and img.mode == "RGB" and ids.shape == (160, 240)
    assert 3 <= len(s["objects"]) <= 4
    assert set(np.unique(ids)) == set(range(len(s["objects"]) + 1))
    for k, o in enumerate(s["objects"]):
        ys, xs = np.nonzero(ids == k + 1)
        assert o["bbox"] == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] and o["area"] == len(xs) >= 40
        assert sum(o["mask"]["counts"]) == 240 * 160
        u, v = o["pixel_coords"][:2]  # the projected centre lies on or next to its visible box
        assert o["bbox"][0] - 5 <= u <= o["bbox"][2] + 5 and o["bbox"][1] - 5 <= v <= o["bbox"][3] + 5
        assert o["3d_coords"][2] in (pytest.approx(0.35), pytest.approx(0.7))
    assert set(s["relationships"]) == {"left", "right", "front", "behind"}
    # a second run finds the image done and only re-merges (resume)
    before = (tmp_path / "images" / s["image_filename"]).stat().st_mtime
    render_scenes(rc, progress=False)
    assert (tmp_path / "images" / s["image_filename"]).stat().st_mtime == before


def test_renderer_says_when_blender_cannot_denoise(tmp_path, clevr_dir):
    from vqa.errors import DataError

    fake = tmp_path / "blender"  # fails as Debian's blender does when asked to denoise
    fake.write_text("#!/bin/sh\necho 'RuntimeError: Error: Build without OpenImageDenoiser'\nexit 1\n")
    fake.chmod(0o755)
    rc = RenderConfig(out_dir=str(tmp_path / "out"), assets=str(clevr_dir / "blender_assets"), num_images=1,
                      workers=1, denoise=True, blender=str(fake))
    with pytest.raises(DataError, match="--denoise needs a Blender built with OpenImageDenoise"):
        render_scenes(rc, progress=False)
