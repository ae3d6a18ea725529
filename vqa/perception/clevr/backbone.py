"""``ClevrNet``: a small residual CNN for CLEVR, registered in detectron2's backbone registry.

CLEVR has 8 colours, 3 shapes and 2 materials on a plain floor, and this machine trains on two
CPU cores, so a backbone about 6x cheaper than ResNet-18 + FPN-256 is worth its lower capacity:
measured here, it makes training affordable from scratch. Stages (stride: channels):
stem 2: 16, 4: 32, then res2 4: 32, res3 8: 64, res4 16: 128, res5 32: 192, each stage one
strided 3x3 conv and one residual block (two 3x3 convs), BatchNorm + ReLU throughout; detectron2's
``FPN`` on top gives p2..p6 with ``MODEL.FPN.OUT_CHANNELS`` channels.
"""
from __future__ import annotations

from torch import nn
from torch.nn import functional as F

from .compat import quiet_import

with quiet_import():
    from detectron2.layers import ShapeSpec
    from detectron2.modeling import BACKBONE_REGISTRY, Backbone
    from detectron2.modeling.backbone.fpn import FPN, LastLevelMaxPool

__all__ = ["ClevrNet", "build_clevrnet_fpn_backbone"]


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class _Residual(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.a = _conv(c, c)
        self.b = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return F.relu(x + self.b(self.a(x)))


class ClevrNet(Backbone):
    """Bottom-up features ``res2..res5`` (strides 4, 8, 16, 32)."""

    def __init__(self, widths=(32, 64, 128, 192), stem: int = 16):
        super().__init__()
        self.stem = nn.Sequential(_conv(3, stem, 2), _conv(stem, widths[0], 2))
        self.stages = nn.ModuleList()
        cin = widths[0]
        for k, c in enumerate(widths):
            self.stages.append(nn.Sequential(_conv(cin, c, 1 if k == 0 else 2), _Residual(c)))
            cin = c
        self._names = [f"res{k + 2}" for k in range(len(widths))]
        self._out_feature_channels = dict(zip(self._names, widths))
        self._out_feature_strides = {n: 4 * 2 ** k for k, n in enumerate(self._names)}
        self._out_features = list(self._names)

    def forward(self, x):
        out = {}
        x = self.stem(x)
        for name, stage in zip(self._names, self.stages):
            x = stage(x)
            out[name] = x
        return out

    def output_shape(self):
        return {n: ShapeSpec(channels=self._out_feature_channels[n], stride=self._out_feature_strides[n]) for n in self._names}


@BACKBONE_REGISTRY.register()
def build_clevrnet_fpn_backbone(cfg, input_shape: ShapeSpec):
    bottom_up = ClevrNet()
    return FPN(bottom_up=bottom_up, in_features=cfg.MODEL.FPN.IN_FEATURES, out_channels=cfg.MODEL.FPN.OUT_CHANNELS,
               norm=cfg.MODEL.FPN.NORM, top_block=LastLevelMaxPool(), fuse_type=cfg.MODEL.FPN.FUSE_TYPE)
