"""Weights on disk, shared by every trained model: ``<stem>.safetensors`` (floating tensors in fp16,
half the size, answers unchanged) plus ``<stem>.json``, the model's config dataclass.

Paths may name the ``.safetensors`` file, the ``.json`` config or their common stem. Loading
never unpickles anything; a missing or malformed pair raises ``WeightsError`` with the command
that rebuilds it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, TypeVar

import torch

from .errors import WeightsError

__all__ = ["weight_files", "save_weights", "load_weights"]

C = TypeVar("C")


def weight_files(path: str | Path) -> tuple[Path, Path]:
    """``(<stem>.safetensors, <stem>.json)`` for any of the three spellings of ``path``."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".safetensors", ".json") else path
    return Path(str(stem) + ".safetensors"), Path(str(stem) + ".json")


def save_weights(state: dict[str, torch.Tensor], write_config: Callable[[str], None], path: str | Path,
                 metadata: dict | None = None) -> Path:
    """Write ``state`` (floating tensors as fp16) and, through ``write_config(json_path)``, the config."""
    from safetensors.torch import save_file

    weights, config = weight_files(path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    state = {k: (v.detach().to(torch.float16) if v.is_floating_point() else v.detach()).contiguous()
             for k, v in state.items()}
    save_file(state, str(weights), metadata={k: str(v) for k, v in (metadata or {}).items()})
    write_config(str(config))
    return weights


def load_weights(path: str | Path, read_config: Callable[[Path], C], what: str,
                 rebuild: str) -> tuple[C, dict[str, torch.Tensor]]:
    """``(config, state with fp32 floating tensors)``; ``what`` names the model and ``rebuild``
    says how to get weights, in the error messages."""
    from safetensors.torch import load_file

    weights, config = weight_files(path)
    if not weights.is_file() or not config.is_file():
        raise WeightsError(f"{what} weights not found at {weights} (+ {config.name}); {rebuild}")
    try:
        cfg = read_config(config)
    except (json.JSONDecodeError, TypeError, ValueError) as e:
        raise WeightsError(f"{config} is not a valid {what} config ({e})") from None
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in load_file(str(weights)).items()}
    return cfg, state
