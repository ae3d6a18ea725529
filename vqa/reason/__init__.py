"""Multi-step question-conditioned graph reasoning: the ``Reasoner`` (CLEVR and photo weights alike),
its config and layers, and the rule-based and learned photo answerers."""
from .coattention import CoAttention
from .config import ReasonerConfig
from .controlled_gat import ControlledGATConv
from .reasoner import DEFAULT_WEIGHTS, Reasoner, ReasonerOutput

__all__ = ["Reasoner", "ReasonerOutput", "ReasonerConfig", "ControlledGATConv", "CoAttention", "DEFAULT_WEIGHTS"]
