"""The CLEVR detector's network, built with detectron2 (imported only when this module is).

A Faster R-CNN (``GeneralizedRCNN``: ResNet-18 + FPN backbone, RPN, ROI heads) with one
foreground class ("object", class-agnostic boxes) whose ROI head ``ClevrROIHeads`` adds, from
the same box features plus an embedding of the proposal's normalised box ``g``:

    p(a | roi) = softmax(W_a [h; g])          for a in size, colour, material, shape
    c = c_prop + (dx, dy) * (w_prop, h_prop)  the projected 3-D centre (CLEVR's ``pixel_coords``)

With ``config.crop_size`` set, ``model.crop_head`` (``vqa.perception.clevr.attributes``) reads the
attributes again from each detected box's full-resolution crop and replaces the ROI head's; with
``config.crop_centre_weight`` also set, ``model.crop_centre`` reads the centre again from the same crop.
Factorised attribute heads share what they learn across the 96 combinations (few examples per
combination here); the centre head exists because the centre of a partly hidden object is not the
centre of its visible box. Shapes: R proposals, F = ``fc_dim``, G = ``geo_dim``.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .compat import quiet_fx_tracing_notice, quiet_import

with quiet_import():
    from detectron2.config import CfgNode, configurable, get_cfg
    from detectron2.layers import batched_nms, cat
    from detectron2.modeling import ANCHOR_GENERATOR_REGISTRY, ROI_HEADS_REGISTRY, StandardROIHeads, build_model
    from detectron2.modeling.anchor_generator import DefaultAnchorGenerator
    from detectron2.structures import Boxes

from . import backbone  # noqa: F401  registers build_clevrnet_fpn_backbone with detectron2
from .attributes import AveragedHeads, CropAttributeHead, CropCentreHead, object_crops
from .config import CLEVR_ATTRIBUTE_VALUES, ClevrDetectorConfig

__all__ = ["ClevrROIHeads", "ClevrAnchorGenerator", "build_d2_config", "build_clevr_model", "predict"]

quiet_fx_tracing_notice()


@ANCHOR_GENERATOR_REGISTRY.register()
class ClevrAnchorGenerator(DefaultAnchorGenerator):
    """detectron2's ``DefaultAnchorGenerator`` with the grid of shifts built by ``torch.meshgrid(...,
    indexing="ij")``: the same anchors, without the deprecated call (``compat``). No weights of its own."""

    def _grid_anchors(self, grid_sizes: list[list[int]]) -> list[torch.Tensor]:
        anchors = []
        for (h, w), stride, base in zip(grid_sizes, self.strides, self.cell_anchors):
            xs = torch.arange(self.offset * stride, w * stride, step=stride, dtype=torch.float32, device=base.device)
            ys = torch.arange(self.offset * stride, h * stride, step=stride, dtype=torch.float32, device=base.device)
            shift_y, shift_x = torch.meshgrid(ys, xs, indexing="ij")
            shift_x, shift_y = shift_x.reshape(-1), shift_y.reshape(-1)
            shifts = torch.stack((shift_x, shift_y, shift_x, shift_y), dim=1)
            anchors.append((shifts.view(-1, 1, 4) + base.view(1, -1, 4)).reshape(-1, 4))
        return anchors


def build_d2_config(config: ClevrDetectorConfig) -> CfgNode:
    """Map our flat config onto detectron2's ``CfgNode``."""
    backbones = {"ClevrNet-FPN": "build_clevrnet_fpn_backbone", "R-18-FPN": "build_resnet_fpn_backbone"}
    if config.backbone not in backbones:
        raise NotImplementedError(f"backbone {config.backbone!r} is not implemented; use one of {sorted(backbones)}")
    cfg = get_cfg()
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.META_ARCHITECTURE = "GeneralizedRCNN"
    cfg.MODEL.BACKBONE.NAME = backbones[config.backbone]
    cfg.MODEL.BACKBONE.FREEZE_AT = 0  # trained from scratch: nothing to freeze
    cfg.MODEL.RESNETS.DEPTH = 18
    cfg.MODEL.RESNETS.RES2_OUT_CHANNELS = 64
    cfg.MODEL.RESNETS.NORM = config.norm
    cfg.MODEL.RESNETS.OUT_FEATURES = ["res2", "res3", "res4", "res5"]
    cfg.MODEL.FPN.IN_FEATURES = ["res2", "res3", "res4", "res5"]
    cfg.MODEL.FPN.OUT_CHANNELS = config.fpn_channels
    cfg.MODEL.ANCHOR_GENERATOR.NAME = "ClevrAnchorGenerator"  # detectron2's, without the deprecated meshgrid call
    cfg.MODEL.ANCHOR_GENERATOR.SIZES = [[s] for s in config.anchor_sizes]
    cfg.MODEL.ANCHOR_GENERATOR.ASPECT_RATIOS = [[0.67, 1.0, 1.5]]
    cfg.MODEL.RPN.IN_FEATURES = ["p2", "p3", "p4", "p5", "p6"]
    cfg.MODEL.RPN.PRE_NMS_TOPK_TRAIN = 1000
    # per FPN level, before the RPN's NMS: 200, not 500, gives the same 100 proposals on all 199 real
    # images (identical detections), and the NMS takes 1.1 ms per image instead of 3.1 (measured)
    cfg.MODEL.RPN.PRE_NMS_TOPK_TEST = 200
    cfg.MODEL.RPN.POST_NMS_TOPK_TRAIN = config.rpn_post_nms_train
    cfg.MODEL.RPN.POST_NMS_TOPK_TEST = config.rpn_post_nms_test
    cfg.MODEL.RPN.BATCH_SIZE_PER_IMAGE = 128
    cfg.MODEL.ROI_HEADS.NAME = "ClevrROIHeads"
    cfg.MODEL.ROI_HEADS.IN_FEATURES = ["p2", "p3", "p4", "p5"]
    cfg.MODEL.ROI_HEADS.NUM_CLASSES = 1
    cfg.MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE = config.roi_batch_per_image
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = config.score_threshold
    cfg.MODEL.ROI_HEADS.NMS_THRESH_TEST = config.nms_threshold
    cfg.MODEL.ROI_BOX_HEAD.NAME = "FastRCNNConvFCHead"
    cfg.MODEL.ROI_BOX_HEAD.NUM_FC = 2
    cfg.MODEL.ROI_BOX_HEAD.FC_DIM = config.fc_dim
    cfg.MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION = 7
    cfg.MODEL.ROI_BOX_HEAD.CLS_AGNOSTIC_BBOX_REG = True
    cfg.MODEL.ROI_BOX_HEAD.GEO_DIM = config.geo_dim  # our key: ClevrROIHeads' box embedding size
    cfg.MODEL.MASK_ON = False
    cfg.MODEL.PIXEL_MEAN = list(config.pixel_mean)
    cfg.MODEL.PIXEL_STD = list(config.pixel_std)
    cfg.INPUT.FORMAT = "RGB"
    cfg.INPUT.MIN_SIZE_TEST = config.min_size
    cfg.INPUT.MAX_SIZE_TEST = config.max_size
    cfg.TEST.DETECTIONS_PER_IMAGE = config.max_detections
    return cfg


def _box_geometry(boxes: Boxes, image_size: tuple[int, int]) -> torch.Tensor:
    """``Tensor[R, 6]``: x0, y0, x1, y1, w, h of xyxy boxes divided by the image width/height."""
    h, w = image_size
    b = boxes.tensor / boxes.tensor.new_tensor([w, h, w, h])
    return torch.cat([b, b[:, 2:] - b[:, :2]], dim=1)


@ROI_HEADS_REGISTRY.register()
class ClevrROIHeads(StandardROIHeads):
    """``StandardROIHeads`` plus attribute heads and a centre head (see the module docstring).

    Training adds ``loss_attr_<name>`` (cross-entropy over foreground proposals) and
    ``loss_centre`` (smooth L1 on the centre offset) to the Fast R-CNN losses; it needs the
    targets' ``gt_attrs`` (``Tensor[N, 4]``, value indices in ``CLEVR_ATTRIBUTE_VALUES`` order)
    and ``gt_centers`` (``Tensor[N, 2]`` pixels).
    """

    @configurable
    def __init__(self, *, geo_embed: nn.Module, attr_heads: nn.ModuleDict, centre_head: nn.Module, **kwargs):
        super().__init__(**kwargs)
        self.geo_embed = geo_embed
        self.attr_heads = attr_heads
        self.centre_head = centre_head

    @classmethod
    def from_config(cls, cfg, input_shape):
        ret = super().from_config(cfg, input_shape)
        fc_dim = ret["box_head"].output_shape.channels
        geo_dim = cfg.MODEL.ROI_BOX_HEAD.GEO_DIM
        ret["geo_embed"] = nn.Sequential(nn.Linear(6, geo_dim), nn.ReLU())
        ret["attr_heads"] = nn.ModuleDict({a: nn.Linear(fc_dim + geo_dim, len(v)) for a, v in CLEVR_ATTRIBUTE_VALUES.items()})
        ret["centre_head"] = nn.Linear(fc_dim + geo_dim, 2)
        return ret

    def _roi_features(self, features, proposals):
        """Box-head features ``[R, F]`` and the same joined with the box embedding ``[R, F + G]``."""
        feats = [features[f] for f in self.box_in_features]
        boxes = [x.proposal_boxes for x in proposals]
        h = self.box_head(self.box_pooler(feats, boxes))
        g = cat([_box_geometry(b, x.image_size) for b, x in zip(boxes, proposals)], dim=0)
        return h, torch.cat([h, self.geo_embed(g)], dim=1)

    def _forward_box(self, features, proposals):
        if not self.training:
            raise RuntimeError("ClevrROIHeads answers through clevr_model.predict(), not model.inference()")
        h, hg = self._roi_features(features, proposals)
        losses = self.box_predictor.losses(self.box_predictor(h), proposals)
        gt_classes = cat([p.gt_classes for p in proposals], dim=0)
        fg = (gt_classes >= 0) & (gt_classes < self.num_classes)
        if fg.any():
            # an image without objects has no gt_* fields: its (background) rows get placeholders
            gt_attrs = cat([p.gt_attrs if p.has("gt_attrs") else p.gt_classes.new_zeros(len(p), 4)
                            for p in proposals], dim=0)[fg]
            for k, (name, head) in enumerate(self.attr_heads.items()):
                losses[f"loss_attr_{name}"] = F.cross_entropy(head(hg[fg]), gt_attrs[:, k])
            prop = cat([p.proposal_boxes.tensor for p in proposals], dim=0)[fg]
            gt_c = cat([p.gt_centers if p.has("gt_centers") else p.proposal_boxes.tensor.new_zeros(len(p), 2)
                        for p in proposals], dim=0)[fg]
            target = (gt_c - (prop[:, :2] + prop[:, 2:]) / 2) / (prop[:, 2:] - prop[:, :2]).clamp(min=1.0)
            losses["loss_centre"] = F.smooth_l1_loss(self.centre_head(hg[fg]), target, beta=0.05)
        else:  # keep every parameter in the graph
            zero = sum(p.sum() for p in list(self.attr_heads.parameters()) + list(self.centre_head.parameters())) * 0.0
            for name in self.attr_heads:
                losses[f"loss_attr_{name}"] = zero
            losses["loss_centre"] = zero
        return losses

    @torch.no_grad()
    def predict(self, features, proposals, score_threshold: float, nms_threshold: float, max_detections: int):
        """Per image: a dict of ``boxes [D, 4]`` (xyxy), ``scores [D]``, ``centres [D, 2]``,
        ``attrs`` {name: ``[D, V]`` probabilities}, ``features [D, F]``, sorted by score."""
        h, hg = self._roi_features(features, proposals)
        logits, deltas = self.box_predictor(h)
        scores = F.softmax(logits, dim=1)[:, 0]  # class 0 = object, last = background
        out, start = [], 0
        for p in proposals:
            n = len(p)
            sl = slice(start, start + n)
            start += n
            prop = p.proposal_boxes.tensor
            boxes = Boxes(self.box_predictor.box2box_transform.apply_deltas(deltas[sl], prop))
            boxes.clip(p.image_size)
            centres = (prop[:, :2] + prop[:, 2:]) / 2 + self.centre_head(hg[sl]) * (prop[:, 2:] - prop[:, :2]).clamp(min=1.0)
            keep = torch.nonzero(scores[sl] >= score_threshold).squeeze(1)
            keep = keep[batched_nms(boxes.tensor[keep], scores[sl][keep], torch.zeros_like(keep), nms_threshold)]
            keep = keep[:max_detections]
            out.append({"boxes": boxes.tensor[keep], "scores": scores[sl][keep], "centres": centres[keep],
                        "attrs": {a: F.softmax(head(hg[sl][keep]), dim=1) for a, head in self.attr_heads.items()},
                        "features": h[sl][keep]})
        return out


def build_clevr_model(config: ClevrDetectorConfig) -> nn.Module:
    """detectron2's ``GeneralizedRCNN`` plus, when ``config.crop_size``, the ``crop_head`` second stage
    (``config.second_stages`` of them, averaged)."""
    model = build_model(build_d2_config(config))

    def second_stage(kind):  # one head, or K averaged (state keys crop_head.0..., crop_head.1...)
        heads = [kind(config.crop_size, config.crop_margin, pixel_mean=config.pixel_mean[0],
                      pixel_std=config.pixel_std[0]) for _ in range(config.second_stages)]
        return heads[0] if len(heads) == 1 else AveragedHeads(heads)

    if config.crop_size:
        model.crop_head = second_stage(CropAttributeHead)
    if config.crop_size and config.crop_centre_weight:
        model.crop_centre = second_stage(CropCentreHead)
    return model


def _proposals(rpn, images, features: dict, head: tuple[list, list] | None = None) -> list:
    """detectron2's ``RPN.forward`` at test time, given the RPN head's output (objectness logits, anchor
    deltas) when the exported graph computed it."""
    features = [features[f] for f in rpn.in_features]
    anchors = rpn.anchor_generator(features)
    logits, deltas = head if head is not None else rpn.rpn_head(features)
    logits = [score.permute(0, 2, 3, 1).flatten(1) for score in logits]
    deltas = [x.view(x.shape[0], -1, rpn.anchor_generator.box_dim, x.shape[-2], x.shape[-1]).permute(0, 3, 4, 1, 2)
              .flatten(1, -2) for x in deltas]
    return rpn.predict_proposals(anchors, logits, deltas, images.image_sizes)


@torch.no_grad()
def predict(model, config: ClevrDetectorConfig, batched_inputs: list[dict], fast=None) -> list[dict]:
    """Run the detector on detectron2-style inputs (``{"image": uint8 Tensor[3, H, W] RGB}``).

    Boxes and centres come back in the input tensor's pixels (the caller maps resized inputs back), on the
    CPU wherever the model runs. ``fast``: an ``ExportedDetector`` that runs the networks it covers.
    """
    device = model.pixel_mean.device
    batched_inputs = [dict(x, image=x["image"].to(device)) for x in batched_inputs]
    images = model.preprocess_image(batched_inputs)
    exported = fast.backbone(images.tensor) if fast is not None else None
    features, rpn_head = exported if exported is not None else (model.backbone(images.tensor), None)
    proposals = _proposals(model.proposal_generator, images, features, rpn_head)
    outs = model.roi_heads.predict(features, proposals, config.score_threshold, config.nms_threshold,
                                   config.max_detections)
    if hasattr(model, "crop_head"):  # second stage: attributes (and centres) from full-resolution crops
        for out, x in zip(outs, batched_inputs):
            # both heads are built with config.crop_size and crop_margin: one set of crops serves both
            nearness = out["centres"][:, 1] if config.crop_occluders else None  # the ROI head's centres
            crops, geo = object_crops(x["image"], out["boxes"], config.crop_size, config.crop_margin, nearness)
            out["attrs"] = model.crop_head.predict_crops(crops, geo, forward=None if fast is None else fast.crop_head)
            if hasattr(model, "crop_centre"):
                w = config.crop_centre_weight
                centres = model.crop_centre.predict_crops(crops, geo, out["boxes"],
                                                          forward=None if fast is None else fast.crop_centre)
                out["centres"] = w * centres + (1 - w) * out["centres"]
    if device.type != "cpu":
        outs = [{k: {a: p.cpu() for a, p in v.items()} if isinstance(v, dict) else v.cpu() for k, v in o.items()}
                for o in outs]
    return outs
