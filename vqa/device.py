"""Which device the models run on: the one place that reads ``--device auto|cpu|cuda``.

``vqa ask``, ``vqa attention`` and ``vqa serve`` (the app) take ``--device``, and training and
evaluation can use the same function. ``auto`` picks the first CUDA GPU when torch sees one and
the CPU otherwise; naming a device that is not there is an error, not a silent fallback.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .errors import DeviceError

if TYPE_CHECKING:
    import torch

__all__ = ["DEVICE_CHOICES", "resolve_device"]

log = logging.getLogger(__name__)

DEVICE_CHOICES = ("auto", "cpu", "cuda")  # what --device offers; resolve_device also takes "cuda:N"


def resolve_device(name: str | None = "auto") -> "torch.device":
    """``"auto"`` (or None): ``cuda`` when ``torch.cuda.is_available()``, else ``cpu``; ``"cpu"``;
    ``"cuda"`` or ``"cuda:N"``: that GPU.

    Raises:
        DeviceError: an unknown name, or a CUDA device torch cannot see.
    """
    import torch  # defers torch: the CLI's parsers import this module

    name = (name or "auto").strip().lower()
    if name == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        log.debug("device: %s (--device auto)", device)
        return device
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        device = None
    if device is None or device.type not in ("cpu", "cuda"):
        raise DeviceError(f"unknown device {name!r}; use auto, cpu or cuda (cuda:N for one GPU of several)")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {name!r} asked for, but torch sees no CUDA GPU (torch.cuda.is_available() is "
                              "False); use --device cpu, or auto to take a GPU only when there is one")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(f"device {name!r} asked for, but torch sees {torch.cuda.device_count()} CUDA GPU(s) "
                              f"(cuda:0..cuda:{torch.cuda.device_count() - 1})")
    log.debug("device: %s", device)
    return device
