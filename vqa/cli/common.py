"""What several subcommands share: the epilog, the default reasoner, the --detector and --max-pixels
options, checks of numbers and output paths, picking a scene."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..device import DEVICE_CHOICES
from ..errors import DataError
from ..weights import shipped

__all__ = ["EPILOG", "DEFAULT_WEIGHTS", "add_detector_argument", "add_max_pixels_argument", "apply_max_pixels",
           "positive_int", "check_output", "pick_scene",
           "add_device_argument"]

EPILOG = ("Errors in the input (missing files, malformed JSON, bad images) exit with status 2 and a one-line message "
          "on stderr; other errors exit with status 1. --debug adds the traceback.")

DEFAULT_WEIGHTS = str(shipped("clevr-reasoner"))  # vqa.reason.reasoner.DEFAULT_WEIGHTS, without importing torch


def add_detector_argument(p: argparse.ArgumentParser, help: str) -> None:
    """``--detector``, the same choices and default (auto) in every subcommand that reads images."""
    p.add_argument("--detector", default="auto", choices=["auto", "clevr", "coco"], help=help)


def add_max_pixels_argument(p: argparse.ArgumentParser) -> None:
    """``--max-pixels``: the image size limit, checked from the file's header before decoding."""
    # the default is vqa.perception.image.MAX_PIXELS, written out so that `vqa --help` imports no image code
    p.add_argument("--max-pixels", type=positive_int, metavar="N",
                   help="refuse images of more than N pixels, read from the header before any pixel is decoded "
                        "(default 40,000,000); raise it knowingly: decoding takes about 4 bytes per pixel")


def apply_max_pixels(args) -> None:
    """Set the pixel limit of this process from ``--max-pixels``, when given."""
    if getattr(args, "max_pixels", None) is not None:
        from ..perception.image import set_max_pixels  # defers PIL, numpy and the detector registry

        set_max_pixels(args.max_pixels)


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (``--top-k 0`` and ``--threads -2`` fail at parsing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def check_output(path: str | None, flag: str, folder: bool = False) -> None:
    """Refuse, before any work, an output that cannot be written: a file path that is a folder (or a
    folder path that is a file), or a parent folder that cannot be created. Creates that folder."""
    if path is None:
        return
    out = Path(path)
    if folder and out.exists() and not out.is_dir():
        raise DataError(f"{flag} {path} is a file; give a folder")
    if not folder and out.is_dir():
        raise DataError(f"{flag} {path} is a folder; give a file name")
    try:
        (out if folder else out.parent).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"{flag} {path}: cannot create its folder ({e.strerror or e}); choose another path") from None


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
