"""Saving and loading the reasoner: ``<stem>.safetensors`` + ``<stem>.json`` (its config)."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from ..errors import WeightsError
from .config import ReasonerConfig

__all__ = ["save_reasoner", "load_reasoner", "DEFAULT_WEIGHTS"]

DEFAULT_WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "clevr-reasoner.safetensors"


def _stem(path: str | Path) -> Path:
    path = Path(path)
    return path.with_suffix("") if path.suffix in (".safetensors", ".json") else path


def save_reasoner(model, path: str | Path, metadata: dict | None = None) -> Path:
    """Write fp16 weights (half the size; answers are unchanged, see the model card) and config."""
    from safetensors.torch import save_file

    stem = _stem(path)
    stem.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(stem) + ".safetensors", metadata={k: str(v) for k, v in (metadata or {}).items()})
    model.config.to_json(str(stem) + ".json")
    return Path(str(stem) + ".safetensors")


def load_reasoner(path: str | Path = DEFAULT_WEIGHTS):
    from safetensors.torch import load_file

    from .reasoner import Reasoner

    stem = _stem(path)
    weights, config = Path(str(stem) + ".safetensors"), Path(str(stem) + ".json")
    if not weights.is_file() or not config.is_file():
        raise WeightsError(f"reasoner weights not found at {weights} (+ {config.name}); "
                           "train them with `vqa train reasoner` or pass --weights")
    try:
        cfg = ReasonerConfig.from_json(config)
    except (json.JSONDecodeError, TypeError, ValueError) as e:
        raise WeightsError(f"{config} is not a valid reasoner config ({e})") from None
    model = Reasoner(cfg)
    state = {k: v.float() for k, v in load_file(str(weights)).items()}
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as e:  # same names, other shapes: weights from another version of the model
        raise WeightsError(f"{weights} does not match its config or this version of the reasoner "
                           f"({str(e).splitlines()[-1].strip()}); retrain with `vqa train reasoner`") from None
    if missing or unexpected:
        raise WeightsError(f"{weights} does not match its config: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return model.eval()
