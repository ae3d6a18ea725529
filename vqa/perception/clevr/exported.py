"""The CLEVR detector's convolutional networks through ONNX Runtime, exported from the safetensors
weights at start-up (``ClevrDetector.from_pretrained(fast=True)``, ``SceneBuilder(fast=True)``: the
app, ``benchmarks/latency.py``).

Three graphs (``onnx_graphs.export_onnx``) are exported in a child process (``vqa.exporting``,
13-22 s here) while the eager model detects: the backbone with the RPN head (image -> p2..p6 and
the RPN's objectness logits and anchor deltas), the crop attribute head and the crop centre head
(crops and box geometry -> logits, offsets). ONNX Runtime folds each BatchNorm into its
convolution and runs the ReLU inside it: on one thread, per held-out CLEVR image, it ran the
backbone and RPN head in 0.69x the CPU time of eager PyTorch (channels-last), the attribute head
(both crop passes) in 0.61x and the centre head in 0.50x (measured). The proposals, the ROI head,
NMS and the geometry stay eager, as do inputs the export does not cover.

The backbone graph covers one image of the size a 480 x 320 CLEVR render has at the network's
input (other sizes go to the eager backbone); the head graphs cover 1 to ``MAX_CROPS`` crops. The
outputs equal the eager model's within float noise (tests/perception/test_clevr_exported.py), and
which path ran does not change the figures of ``benchmarks/detector_accuracy.py`` (``--fast``).
"""
from __future__ import annotations

from pathlib import Path

import torch

from ...exporting import NOT_INSTALLED, BackgroundExport, ExportedPath, runtime_available
from .config import CLEVR_ATTRIBUTE_VALUES

__all__ = ["ExportedDetector", "MAX_CROPS", "input_size"]

MAX_CROPS = 256  # crops per head call: the attribute head reads 2 per object (the crop and its mirror)


def input_size(config, divisibility: int) -> tuple[int, int]:
    """(height, width) of the backbone's input for a CLEVR render (``min_size`` x ``max_size``), padded
    to a multiple of the backbone's ``size_divisibility`` as detectron2's ``ImageList`` pads it."""
    def pad(n):
        return -(-n // divisibility) * divisibility

    return pad(config.min_size), pad(config.max_size)


class ExportedDetector(ExportedPath):
    """The detector's networks through ONNX Runtime once ``start``'s child process has exported them.

    ``backbone`` returns the feature maps and the RPN head's output on them, ``crop_head`` and
    ``crop_centre`` what the eager module's forward returns; each returns None where it cannot: not
    ready, not exported, or an input the export does not cover (then the caller runs the eager
    modules). ``ready``, ``wait()``, ``close()`` and ``failed`` as for ``vqa.reason.exported.ExportedReasoner``.
    """

    def __init__(self, export: BackgroundExport, feature_names: list[str], rpn_levels: int,
                 input_shape: tuple[int, ...]):
        self.export = export
        self.feature_names, self.rpn_levels = feature_names, rpn_levels
        self.input_shape = input_shape

    @classmethod
    def start(cls, weights: str | Path, config, model: torch.nn.Module, threads: int = 1) -> "ExportedDetector":
        """Start exporting ``weights`` (``model``: the eager detector built from them) in a child process
        and return at once; ``threads``: ONNX Runtime's threads per graph."""
        layout = (list(model.backbone.output_shape()), len(model.proposal_generator.in_features),
                  (1, 3, *input_size(config, model.backbone.size_divisibility)))
        if not runtime_available():
            return cls(BackgroundExport("detector", failed=NOT_INSTALLED), *layout)
        export = BackgroundExport.start("vqa.perception.clevr.onnx_graphs:export_onnx", weights, "detector", threads)
        return cls(export, *layout)

    def backbone(self, images: torch.Tensor) -> tuple[dict[str, torch.Tensor], tuple[list, list]] | None:
        """The feature maps by name (p2..p6) of ``images`` [1, 3, H, W] (normalised, padded), and the RPN
        head's output on them: (objectness logits, anchor deltas), a list of levels each."""
        if tuple(images.shape) != self.input_shape or images.device.type != "cpu":
            return None
        out = self._run("backbone", images)
        if out is None:
            return None
        k, n = len(self.feature_names), self.rpn_levels
        return dict(zip(self.feature_names, out[:k])), (out[k: k + n], out[k + n:])

    def crop_head(self, crops: torch.Tensor, geometry: torch.Tensor) -> dict[str, torch.Tensor] | None:
        """Attribute logits by name (``CropAttributeHead.forward``)."""
        out = self._run("crop_head", crops, geometry) if self._covers(crops) else None
        return None if out is None else dict(zip(CLEVR_ATTRIBUTE_VALUES, out))

    def crop_centre(self, crops: torch.Tensor, geometry: torch.Tensor) -> torch.Tensor | None:
        """Centre offsets (``CropCentreHead.forward``)."""
        out = self._run("crop_centre", crops, geometry) if self._covers(crops) else None
        return None if out is None else out[0]

    @staticmethod
    def _covers(crops: torch.Tensor) -> bool:
        return 1 <= len(crops) <= MAX_CROPS and crops.device.type == "cpu"

    def _run(self, name: str, *inputs: torch.Tensor) -> list[torch.Tensor] | None:
        out = self.export.run(name, *(x.contiguous().numpy() for x in inputs))
        return None if out is None else [torch.from_numpy(a) for a in out]
