"""Batches of many (question, scene) pairs, which `vqa eval` and validation share. (One question at a
time, the app's case, goes through ``vqa.reason.exported``.)"""
from __future__ import annotations

from typing import Iterator

import torch
from tqdm.auto import tqdm

from ..encode.encoder import pad_token_rows, token_rows
from ..graph.tensors import collate_graphs
from .batching import GraphCache
from .reasoner import Reasoner, ReasonerOutput

__all__ = ["run_batches"]


def run_batches(model: Reasoner, questions: list[str], scenes: list[str], cache: GraphCache,
                batch_size: int = 1024, progress: bool = False, rows: list[list[int]] | None = None
                ) -> Iterator[tuple[list[int], ReasonerOutput]]:
    """Yield (positions in the input, model output) per batch.

    Questions are sorted by token count first, so a batch pads to similar lengths (CLEVR questions
    run from 4 to 45 tokens; padding to the longest would double the encoder's work). ``rows``: the
    questions' :func:`~vqa.encode.encoder.token_rows`, when the caller has them already.
    """
    if rows is None:
        rows = token_rows(questions)
    order = sorted(range(len(questions)), key=lambda i: len(rows[i]))
    bar = tqdm(total=len(order), unit="q", disable=not progress, desc="answering")
    model.eval()
    device = next(model.parameters()).device
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start: start + batch_size]
            ids, mask = pad_token_rows([rows[i] for i in idx], model.config.encoder.max_tokens,
                                       [questions[i] for i in idx])
            graphs = collate_graphs([cache.data(scenes[i]) for i in idx])
            if device.type != "cpu":
                ids, mask, graphs = ids.to(device), mask.to(device), graphs.to(device)
            yield idx, model(ids, mask, graphs)
            bar.update(len(idx))
    bar.close()
