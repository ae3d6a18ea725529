"""The reasoner's hyper-parameters, saved as JSON beside its weights."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import atomic
from ..encode.encoder import EncoderConfig
from ..graph.tensors import CLEVR_VOCAB, GraphVocab
from ..vocab.clevr import ANSWER_TYPES, CLEVR_ANSWERS, clevr_answer_type

__all__ = ["ReasonerConfig"]


@dataclass
class ReasonerConfig:
    dim: int = 128
    steps: int = 5  # CLEVR programs need at most 5 set-producing steps
    fusion: str = "hybrid"  # "early" | "late" | "hybrid" (see Reasoner's docstring)
    filter: str = "factored"  # "factored" (per attribute type, see Reasoner) | "mlp"
    teacher_forcing: float = 0.5  # training only: share of batches whose steps start from the true earlier sets
    edge_hidden: int = 64
    count_bins: int = 11  # counts 0..10 get a soft one-hot
    dropout: float = 0.1
    answers: list[str] = field(default_factory=lambda: list(CLEVR_ANSWERS))
    answer_types: list[str] = field(default_factory=lambda: list(ANSWER_TYPES))
    answer_type_of: list[str] = field(default_factory=list)  # per answer; filled by from_answers
    vocab: GraphVocab = field(default_factory=lambda: CLEVR_VOCAB)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    # loss weights of the multi-task objective
    step_loss_weight: float = 1.0
    slot_loss_weight: float = 0.5
    type_loss_weight: float = 0.5
    control_loss_weight: float = 1.0  # each step's controls vs. the program (sources, move, predicate, combine, filters)

    def __post_init__(self):
        if isinstance(self.vocab, dict):
            self.vocab = GraphVocab(**{**self.vocab, "image_size": tuple(self.vocab.get("image_size", (480, 320)))})
        if isinstance(self.encoder, dict):
            self.encoder = EncoderConfig(**self.encoder)
        if self.filter not in ("factored", "mlp"):
            raise ValueError(f"filter must be 'factored' or 'mlp', got {self.filter!r}")
        if self.fusion not in ("early", "late", "hybrid"):
            raise ValueError(f"fusion must be 'early', 'late' or 'hybrid', got {self.fusion!r}")
        if not self.answer_type_of:
            self.answer_type_of = [clevr_answer_type(a) for a in self.answers]

    def to_json(self, path: str | Path) -> None:
        atomic.write_text(path, json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def from_json(cls, path: str | Path) -> "ReasonerConfig":
        return cls(**json.loads(Path(path).read_text()))
