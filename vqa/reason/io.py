"""Saving and loading the reasoner: ``<stem>.safetensors`` + ``<stem>.json`` (its config)."""
from __future__ import annotations

from pathlib import Path

from ..errors import WeightsError
from ..weights import load_weights, save_weights, weight_files
from .config import ReasonerConfig

__all__ = ["save_reasoner", "load_reasoner", "DEFAULT_WEIGHTS"]

DEFAULT_WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "clevr-reasoner.safetensors"


def save_reasoner(model, path: str | Path, metadata: dict | None = None) -> Path:
    """Write fp16 weights and the config (``vqa.weights``)."""
    return save_weights(model.state_dict(), model.config.to_json, path, metadata)


def load_reasoner(path: str | Path = DEFAULT_WEIGHTS):
    from .reasoner import Reasoner

    cfg, state = load_weights(path, ReasonerConfig.from_json, "reasoner",
                              "train them with `vqa train reasoner` or pass --weights")
    weights = weight_files(path)[0]
    model = Reasoner(cfg)
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as e:  # same names, other shapes: weights from another version of the model
        raise WeightsError(f"{weights} does not match its config or this version of the reasoner "
                           f"({str(e).splitlines()[-1].strip()}); retrain with `vqa train reasoner`") from None
    if missing or unexpected:
        raise WeightsError(f"{weights} does not match its config: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return model.eval()
