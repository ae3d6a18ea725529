"""Multi-step question-conditioned graph reasoning."""
from .coattention import CoAttention
from .config import ReasonerConfig
from .controlled_gat import ControlledGATConv
from .io import DEFAULT_WEIGHTS, load_reasoner, save_reasoner
from .reasoner import Reasoner, ReasonerOutput

__all__ = ["Reasoner", "ReasonerOutput", "ReasonerConfig", "ControlledGATConv", "CoAttention",
           "load_reasoner", "save_reasoner", "DEFAULT_WEIGHTS"]
