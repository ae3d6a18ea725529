"""What several subcommands share: the epilog, the default reasoner, the --detector option, picking a scene."""
from __future__ import annotations

import argparse

from ..device import DEVICE_CHOICES
from ..errors import DataError
from ..weights import shipped

__all__ = ["EPILOG", "DEFAULT_WEIGHTS", "add_detector_argument", "add_device_argument", "pick_scene"]

EPILOG = "Errors in the input (missing files, malformed JSON, bad images) exit with status 2 and a one-line message."

DEFAULT_WEIGHTS = str(shipped("clevr-reasoner"))  # vqa.reason.reasoner.DEFAULT_WEIGHTS, without importing torch


def add_detector_argument(p: argparse.ArgumentParser, help: str) -> None:
    """``--detector``, the same choices and default (auto) in every subcommand that reads images."""
    p.add_argument("--detector", default="auto", choices=["auto", "clevr", "coco"], help=help)


def add_device_argument(p: argparse.ArgumentParser) -> None:
    """``--device``, the same choices and default (auto) in every subcommand that runs the models."""
    p.add_argument("--device", default="auto", choices=DEVICE_CHOICES,
                   help="where the models run: auto (default: a CUDA GPU when torch sees one, else the CPU), cpu, or "
                        "cuda (an error when there is none). The coco detector and the photo answerer stay on the CPU")


def pick_scene(scenes: list, filename: str | None, path: str):
    """The scene of ``scenes`` (read from ``path``) whose image is ``filename``, or the only one."""
    if not scenes:
        raise DataError(f"{path} has no scenes")
    if filename is None:
        if len(scenes) == 1:
            return scenes[0]
        raise DataError(f"{path} has {len(scenes)} scenes; choose one with --image-filename")
    for g in scenes:
        if g.image_filename == filename:
            return g
    raise DataError(f"no scene for image {filename!r} in {path}; first ones: {[g.image_filename for g in scenes[:3]]}")
