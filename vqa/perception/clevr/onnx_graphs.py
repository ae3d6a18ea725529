"""The graphs of the CLEVR detector that ``ExportedDetector`` runs through ONNX Runtime, and
``export_onnx``, which the export child process runs (``vqa.exporting``)."""
from __future__ import annotations

from pathlib import Path

import torch

from .attributes import CropAttributeHead, CropCentreHead
from .detector import ClevrDetector
from .exported import MAX_CROPS, input_size

__all__ = ["export_onnx"]


class _BackboneAndRPNHead(torch.nn.Module):
    """The backbone and the RPN head with tuples out, as exporting needs: the feature maps in
    ``names`` order, then the head's objectness logits and anchor deltas, one per level of
    ``rpn.in_features``."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.backbone, self.rpn = model.backbone, model.proposal_generator
        self.names = list(self.backbone.output_shape())

    def forward(self, x):
        features = self.backbone(x)
        logits, deltas = self.rpn.rpn_head([features[f] for f in self.rpn.in_features])
        return tuple(features[n] for n in self.names) + tuple(logits) + tuple(deltas)


class _AttributeLogits(torch.nn.Module):
    """``CropAttributeHead`` with a tuple of logits out, in ``CLEVR_ATTRIBUTE_VALUES`` order."""

    def __init__(self, head: CropAttributeHead):
        super().__init__()
        self.head = head

    def forward(self, crops, geometry):
        return tuple(self.head(crops, geometry).values())


def export_onnx(weights: str | Path, folder: str | Path) -> list[Path]:
    """Export the detector of ``weights`` to ``folder``: ``backbone.onnx``, and ``crop_head.onnx`` and
    ``crop_centre.onnx`` for the crop heads it has (single heads; averaged ones stay eager). What
    the child process of ``ExportedDetector.start`` runs."""
    from torch.export import Dim  # defers torch.export and the ONNX exporter: only the export child needs them

    det = ClevrDetector.from_pretrained(weights)
    model, c = det.model, det.config
    image = torch.zeros(1, 3, *input_size(c, model.backbone.size_divisibility))
    parts = {"backbone": (_BackboneAndRPNHead(model), (image,), None)}
    crops, geometry = torch.rand(3, 4, c.crop_size, c.crop_size) * 255, torch.rand(3, 6)
    n = Dim("crops", min=1, max=MAX_CROPS)
    if isinstance(getattr(model, "crop_head", None), CropAttributeHead):
        parts["crop_head"] = (_AttributeLogits(model.crop_head), (crops, geometry), ({0: n}, {0: n}))
    if isinstance(getattr(model, "crop_centre", None), CropCentreHead):
        parts["crop_centre"] = (model.crop_centre, (crops, geometry), ({0: n}, {0: n}))
    written = []
    for name, (module, example, shapes) in parts.items():
        with torch.inference_mode():
            program = torch.onnx.export(module.eval(), example, dynamo=True, dynamic_shapes=shapes, optimize=True,
                                        verbose=False)
        written.append(Path(folder) / f"{name}.onnx")
        program.save(str(written[-1]))
    return written
