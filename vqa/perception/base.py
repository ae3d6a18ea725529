"""The detector contract (``Detector``), its output (``Detections``) and the registry."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from ..errors import VqaError

__all__ = ["DetectedObject", "Detections", "Detector", "register_detector", "get_detector", "available_detectors"]


@dataclass
class DetectedObject:
    """One detection.

    Attributes:
        box: ``[x0, y0, x1, y1]`` in image pixels (xyxy).
        name: most likely class (``"cube"``, ``"cat"``).
        score: detection confidence in [0, 1].
        attributes: attribute type -> {value: probability} (e.g. ``{"color": {"red": 0.97, ...}}``).
        pixel: ``[x, y, depth]`` centre in pixels plus a depth estimate (larger = farther), when known.
        mask: optional ``[H, W]`` boolean mask (numpy) of the object's visible pixels.
        feature: optional visual feature vector for the reasoner.
    """

    box: list[float]
    name: str
    score: float
    attributes: dict[str, dict[str, float]] = field(default_factory=dict)
    pixel: list[float] | None = None
    mask: object | None = None
    feature: list[float] | None = None


@dataclass
class Detections:
    """Everything a detector found in one image (``width`` x ``height`` pixels)."""

    objects: list[DetectedObject]
    width: int
    height: int
    detector: str = ""
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.objects)


class Detector(Protocol):
    name: str

    def detect(self, image) -> Detections: ...


_REGISTRY: dict[str, Callable[[], Detector]] = {}


def register_detector(name: str):
    """Decorator: ``@register_detector("clevr")`` on a zero-argument factory returning a ``Detector``."""

    def wrap(factory):
        _REGISTRY[name] = factory
        return factory

    return wrap


def available_detectors() -> list[str]:
    return sorted(_REGISTRY)


def get_detector(name: str) -> Detector:
    """Build the detector registered as ``name`` (an unknown name lists the known ones)."""
    if name not in _REGISTRY:
        raise VqaError(f"unknown detector {name!r}; choose one of {available_detectors()}")
    return _REGISTRY[name]()
