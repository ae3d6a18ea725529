"""The renderer: one small low-sample image with matching ground truth (CI installs blender)."""
import json
import shutil
from pathlib import Path

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


@pytest.mark.skipif(shutil.which("blender") is None, reason="blender is installed by scripts/setup.sh")
def test_renderer_occlude_puts_a_small_object_just_behind_a_large_one(tmp_path, clevr_dir):
    rc = RenderConfig(out_dir=str(tmp_path), assets=str(clevr_dir / "blender_assets"), num_images=1, width=240,
                      height=160, samples=1, min_pixels=40, min_objects=6, max_objects=6, workers=1, threads=2,
                      seed=10, occlude=1.0)
    s = json.loads(render_scenes(rc, progress=False).read_text())["scenes"][0]
    behind, left = np.array(s["directions"]["behind"][:2]), np.array(s["directions"]["left"][:2])
    hidden = []
    for i, a in enumerate(s["objects"]):
        for j, b in enumerate(s["objects"]):
            if a["size"] == "large" and b["size"] == "small":
                d = np.array(b["3d_coords"][:2]) - np.array(a["3d_coords"][:2])
                depth, side = d @ behind, abs(d @ left)
                if 0.7 + 0.35 + rc.min_dist - 1e-6 <= depth <= 0.7 + 0.35 + rc.min_dist + 1.0 and \
                        rc.margin <= side <= rc.margin + 0.6:
                    hidden.append((i, j))
                    assert j in s["relationships"]["behind"][i]  # CLEVR's own relation agrees
    assert hidden, "no small object was placed just behind a large one"


def test_render_cli_refuses_an_occlusion_probability_outside_0_1(tmp_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "vqa", "render", "--out", str(tmp_path / "r"), "--occlude", "1.5"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--occlude must be in [0, 1]" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.skipif(shutil.which("blender") is None, reason="blender is installed by scripts/setup.sh")
def test_renderer_draws_the_development_split_scene_it_drew_when_it_was_scored(tmp_path, clevr_dir):
    """Options added since (``occlude``) leave the draws alone: image 0 of the dev split is the same scene."""
    import hashlib

    from vqa.data.splits import RENDER_SPLITS

    seed, _, prefix = RENDER_SPLITS["dev"]
    manifest = json.loads((Path(__file__).resolve().parents[1] / "data" / "clevr_dev_renders.json").read_text())
    rc = RenderConfig(out_dir=str(tmp_path), assets=str(clevr_dir / "blender_assets"), num_images=1, seed=seed,
                      prefix=prefix, samples=1, workers=1, threads=2)
    render_scenes(rc, progress=False)
    name = f"{prefix}_000000.json"
    assert hashlib.sha256((tmp_path / "scenes" / name).read_bytes()).hexdigest() == manifest["scene_sha256"][name]
