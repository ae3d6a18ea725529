"""Train, development and test splits of every model, fixed in code.

The rule everywhere: models train on *train*; every choice (epochs, thresholds, which run ships) is
made on *development*; *test* is scored once per shipped version and reported as such in the model
card. A set that was once used for choosing is development from then on, never test again.

CLEVR (the detector and the reasoner), by the shared scenes' ``image_index``:

* **train**: index not 0 or 1 modulo 5 (the real images and their questions), plus generated scenes
  and renders (``vqa render --seed 2026``, ``--seed 2027``, ``--seed 6060``, the crowded ``--seed 7070
  --min-objects 6``, the occlusion-rich ``--seed 8080 --occlude 0.6``, the shared renders). ``vqa train
  detector`` refuses render folders of the development and test splits (``refuse_held_out_renders``).
* **development**: index 0 modulo 5 (``is_validation``: 186 of the 932 scenes, 52 of the 199 real
  images) and index 1 modulo 5 (``is_development``: 34 real images). The shipped models were chosen
  on the first, so it is no longer a test set; ``vqa train detector --dev-holdout`` leaves the second
  out of training.
  Also development: ``DEV_RENDER_COUNT`` renders of ``vqa render --seed DEV_RENDER_SEED --prefix
  DEV_RENDER_PREFIX`` (``tests/data/clevr_dev_renders.json``), on which the detector's misses and extras
  are looked at and its next version is chosen, and ``DEV2_RENDER_COUNT`` more of ``--seed DEV2_RENDER_SEED
  --prefix DEV2_RENDER_PREFIX`` (``tests/data/clevr_dev2_renders.json``, split ``dev2``): one seed's 150
  renders put answers from pixels at 99.73 %, another's 300 at 98.93 %, so choices need both.
* **test**: renders that no model here has trained or been chosen on: ``TEST_RENDER_COUNT`` scenes
  drawn by ``vqa render --seed TEST_RENDER_SEED --prefix TEST_RENDER_PREFIX`` from CLEVR's own
  distribution (the render's scenes are the same for the same seed; Cycles' pixel noise is not
  bit-identical between runs). ``tests/data/clevr_test_renders.json`` keeps each scene file's
  SHA-256, so a rebuilt test set can be checked against the one that was scored. The real images
  cannot be a test set any more: every one was trained on or chosen on.

Human-style CLEVR questions (``tests/data/human_questions_v2_dev.json`` / ``_test.json``) and the
photo questions (``tests/data/photo_questions_dev.json`` / ``_test.json``) are split by file, by
scene and by photo respectively (``tests/data/README.md``).
"""

import json
from pathlib import Path

from ..errors import DataError

__all__ = ["is_validation", "is_development", "is_train", "split_of", "TEST_RENDER_SEED", "TEST_RENDER_COUNT",
           "TEST_RENDER_PREFIX", "DEV_RENDER_SEED", "DEV_RENDER_COUNT", "DEV_RENDER_PREFIX", "DEV2_RENDER_SEED",
           "DEV2_RENDER_COUNT", "DEV2_RENDER_PREFIX", "RENDER_SPLITS", "held_out_render_split",
           "recorded_render_config", "refuse_held_out_renders"]

TEST_RENDER_SEED = 4040
TEST_RENDER_COUNT = 300
TEST_RENDER_PREFIX = "TEST4040"
DEV_RENDER_SEED = 3030
DEV_RENDER_COUNT = 150
DEV_RENDER_PREFIX = "DEV3030"
DEV2_RENDER_SEED = 5050
DEV2_RENDER_COUNT = 300
DEV2_RENDER_PREFIX = "DEV5050"
# split -> (seed, count, file name prefix) of its `vqa render` scenes
RENDER_SPLITS = {"dev": (DEV_RENDER_SEED, DEV_RENDER_COUNT, DEV_RENDER_PREFIX),
                 "dev2": (DEV2_RENDER_SEED, DEV2_RENDER_COUNT, DEV2_RENDER_PREFIX),
                 "test": (TEST_RENDER_SEED, TEST_RENDER_COUNT, TEST_RENDER_PREFIX)}


def is_validation(image_index: int) -> bool:
    """Index 0 modulo 5: the held-out real images the shipped models were chosen on (development)."""
    return image_index % 5 == 0


def is_development(image_index: int) -> bool:
    """Index 1 modulo 5: real images ``--dev-holdout`` leaves out of the detector's training."""
    return image_index % 5 == 1


def is_train(image_index: int) -> bool:
    return image_index % 5 not in (0, 1)


def split_of(image_index: int) -> str:
    """``"train"`` or ``"dev"`` for a shared CLEVR scene (the test split is the fresh renders)."""
    return "train" if is_train(image_index) else "dev"


def held_out_render_split(seed: int | None, prefix: str | None) -> str | None:
    """The development or test split (``RENDER_SPLITS``) that renders of this ``vqa render --seed``
    or ``--prefix`` belong to, or None for training renders."""
    for split, (split_seed, _, split_prefix) in RENDER_SPLITS.items():
        if seed == split_seed or prefix == split_prefix:
            return split
    return None


def recorded_render_config(folder: str | Path) -> dict | None:
    """The ``RenderConfig`` fields ``vqa render`` recorded in ``folder/scenes.json``, or None when the
    folder is gone or was not written by it."""
    try:
        return json.loads(Path(folder, "scenes.json").read_text())["info"]["config"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def refuse_held_out_renders(folder: str | Path) -> None:
    """Raise ``DataError`` when ``folder`` (written by ``vqa render``) holds development or test
    renders, which choose and score models and are never trained on."""
    used = recorded_render_config(folder)
    if used is None:
        return  # not written by `vqa render`, or not there: the reader of the folder says what is wrong
    split = held_out_render_split(used.get("seed"), used.get("prefix"))
    if split:
        raise DataError(f"{folder} holds the {split} renders (vqa render --seed {used.get('seed')} --prefix "
                        f"{used.get('prefix')}): they choose and score models and are never trained on; "
                        "render training scenes with another seed and prefix")
