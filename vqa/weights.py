"""The one way a model is saved and loaded.

A model on disk is three files with one stem, beside each other:

* ``<stem>.safetensors``: the tensors (floating ones in fp16: half the size, answers unchanged);
* ``<stem>.json``: the model's config dataclass as JSON, plus ``"sha256"``, the SHA-256 of the
  ``.safetensors`` file, checked on every load;
* ``<stem>.md``: the model card (``write_model_card``): data, splits, figures, rebuild command.

Each file is written beside its destination and renamed into place (``vqa.atomic``): a killed save
leaves every file whole, old or new. Paths may name the ``.safetensors`` file, the ``.json`` config
or their common stem. Loading never unpickles anything; a missing, truncated or corrupted file, or
one whose SHA-256 is not the one in its config, raises ``WeightsError`` naming the file and the
command that rebuilds it.

The shipped models lie in ``WEIGHTS_DIR`` (the repository's ``weights/``): ``shipped(name)``.
"""
from __future__ import annotations

import hashlib
import json
import logging
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, TypeVar

from .atomic import atomic_path, write_text
from .errors import WeightsError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import torch

__all__ = ["WEIGHTS_DIR", "shipped", "weight_files", "file_sha256", "stored_sha256", "save_weights", "load_weights",
           "write_model_card", "skip_random_init"]

C = TypeVar("C")

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
SHA_KEY = "sha256"


def shipped(name: str) -> Path:
    """``weights/<name>.safetensors``: one of the shipped models (``clevr-reasoner``, ``photo-reasoner``,
    ``clevr-detector``)."""
    return WEIGHTS_DIR / f"{name}.safetensors"


def weight_files(path: str | Path) -> tuple[Path, Path]:
    """``(<stem>.safetensors, <stem>.json)`` for any of the three spellings of ``path``."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".safetensors", ".json", ".md") else path
    return Path(str(stem) + ".safetensors"), Path(str(stem) + ".json")


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (weights in their config; the inputs of a resumable run in its header)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def stored_sha256(path: str | Path) -> str | None:
    """The SHA-256 that ``path``'s config records for its weights file (checked by ``load_weights``;
    None when there is no config or it records none). Read, not computed: cheap after a load."""
    try:
        return json.loads(weight_files(path)[1].read_text()).get(SHA_KEY)
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return None


def save_weights(state: dict[str, "torch.Tensor"], config: Any, path: str | Path,
                 metadata: dict | None = None) -> Path:
    """Write ``state`` (floating tensors as fp16) and ``config`` (a dataclass) with the file's SHA-256."""
    import torch  # defers torch: `vqa --help` and the metrics import this module's neighbours without it
    from safetensors.torch import save_file

    weights, config_path = weight_files(path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    state = {k: (v.detach().to(torch.float16) if v.is_floating_point() else v.detach()).contiguous()
             for k, v in state.items()}
    with atomic_path(weights) as tmp:
        save_file(state, str(tmp), metadata={k: str(v) for k, v in (metadata or {}).items()})
        sha = file_sha256(tmp)
    # each file is replaced whole; a kill between the two leaves new weights beside the old config,
    # whose SHA-256 then differs: loading says so (and a resumed trainer writes both again)
    write_text(config_path, json.dumps(asdict(config) | {SHA_KEY: sha}, indent=2) + "\n")
    return weights


def load_weights(path: str | Path, config_type: type[C], what: str,
                 rebuild: str) -> tuple[C, dict[str, "torch.Tensor"]]:
    """``(config_type(**config), state with fp32 floating tensors)``; ``what`` names the model and
    ``rebuild`` says how to get weights, in the error messages."""
    from safetensors import SafetensorError  # defers torch (safetensors.torch imports it)
    from safetensors.torch import load_file

    weights, config_path = weight_files(path)
    if not weights.is_file() or not config_path.is_file():
        raise WeightsError(f"{what} weights not found at {weights} (+ {config_path.name}); {rebuild}")
    try:
        fields = json.loads(config_path.read_text())
        expected = fields.pop(SHA_KEY, None)
        cfg = config_type(**fields)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, ValueError, AttributeError) as e:
        raise WeightsError(f"{config_path} is not a valid {what} config ({e}); {rebuild}") from None
    if expected is not None and file_sha256(weights) != expected:
        raise WeightsError(f"{weights} is corrupted or not the file its config {config_path.name} was written "
                           f"for (SHA-256 differs); restore it (git checkout -- {weights.name} for shipped "
                           f"weights) or {rebuild}")
    try:
        loaded = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as e:
        raise WeightsError(f"{weights} is not a readable safetensors file ({e}); {rebuild}") from None
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in loaded.items()}
    log.debug("%s weights: %s (%d tensors)", what, weights, len(state))
    return cfg, state


@contextmanager
def skip_random_init() -> Iterator[None]:
    """Modules built inside skip their random initialisation: ``torch.nn.init``'s fills
    (``uniform_``, ``normal_``, which Linear, Conv and Embedding call) leave the new tensors as
    allocated. For a model whose every parameter the weights file fills next, so that it loads
    straight from the file: random numbers for about 2.5 M parameters (0.2 s here for the reasoner
    and the detector) would be thrown away. Only the calling thread is affected (torch function
    modes are per thread); constant fills (LayerNorm's ones, biases' zeros) still run."""
    import torch  # defers torch: `vqa --help` and the metrics import this module's neighbours without it
    from torch.overrides import TorchFunctionMode

    init = torch.nn.init  # the init functions that dispatch to a mode themselves, and the fills the others call
    fills = {init.uniform_, init.normal_, init.trunc_normal_, init.kaiming_uniform_, init.kaiming_normal_,
             torch.Tensor.uniform_, torch.Tensor.normal_}

    class _SkipFills(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if func in fills:  # the tensor comes first, or as tensor= (torch.nn.init hands its arguments on so)
                return args[0] if args else kwargs["tensor"]
            return func(*args, **(kwargs or {}))

    with _SkipFills():
        yield


def write_model_card(path: str | Path, title: str, summary: str, sections: dict[str, list[str]]) -> Path:
    """``<stem>.md`` beside the weights: ``# title``, the summary, then one ``## heading`` per section
    (its lines as given: bullets, tables). Every trainer writes its card through this."""
    lines = [f"# {title}", "", summary, ""]
    for heading, body in sections.items():
        lines += [f"## {heading}", *body, ""]
    card = Path(str(weight_files(path)[0].with_suffix("")) + ".md")
    write_text(card, "\n".join(lines))
    return card
