"""Re-implementations of the official VQA v2, GQA and CLEVR evaluation metrics (pure Python),
plus the bookkeeping of long model-mode runs (chunks, shards, resuming, merging)."""

from vqa.eval.clevr import evaluate as evaluate_clevr
from vqa.eval.gqa import evaluate as evaluate_gqa
from vqa.eval.merge import merge_predictions
from vqa.eval.report import format_table
from vqa.eval.score import score
from vqa.eval.vqav2 import evaluate as evaluate_vqav2

__all__ = ["evaluate_vqav2", "evaluate_gqa", "evaluate_clevr", "format_table", "score", "merge_predictions"]
