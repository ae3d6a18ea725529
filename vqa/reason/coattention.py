"""Co-attention between question tokens and objects."""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["CoAttention"]


class CoAttention(nn.Module):
    r"""Parallel co-attention (Lu et al., "Hierarchical Question-Image Co-Attention", 2016).

    An affinity between every token :math:`l` and object :math:`i`, softmaxed both ways:

    .. math::
        A_{li} = \frac{(W_q w_l)^{\top} (W_k o_i)}{\sqrt{d}}, \qquad
        P^{w \to o}_{li} = \mathrm{softmax}_i A_{li}, \qquad
        P^{o \to w}_{li} = \mathrm{softmax}_l A_{li}

    Each object receives the words that describe it, :math:`\tilde o_i = o_i + W_v \sum_l
    P^{o \to w}_{li} w_l`, and the question the objects its words point to,
    :math:`\tilde q = q + W_u \frac{1}{L}\sum_l \sum_i P^{w \to o}_{li} o_i`.

    Shapes: words [B, L, D], word mask [B, L], objects [B, N, D], object mask [B, N] ->
    objects [B, N, D], question [B, D], affinity [B, L, N], P^{w->o} [B, L, N].
    """

    def __init__(self, dim: int):
        super().__init__()
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(dim, dim, bias=False)
        self.v = nn.Linear(dim, dim)
        self.u = nn.Linear(dim, dim)

    @staticmethod
    def keys_product_first(batch: int, objects: int, dim: int) -> bool:
        """Whether ``forward`` multiplies ``W_k^T W_q`` before the objects: when there are more
        objects in the batch than the width (``ExportedReasoner`` covers one way only)."""
        return batch * objects > dim

    def forward(self, words: Tensor, word_mask: Tensor, objects: Tensor, object_mask: Tensor, pooled: Tensor):
        # (W_q w)^T (W_k o) = w^T (W_q^T W_k o): the N objects are projected rather than the L words;
        # a batch multiplies W_k^T W_q first (one product per object), one question skips that D^3 step
        if self.keys_product_first(objects.shape[0], objects.shape[1], objects.shape[2]):
            keys = objects @ (self.k.weight.t() @ self.q.weight)  # [B, N, D]
        else:
            keys = self.k(objects) @ self.q.weight
        a = words @ keys.transpose(1, 2) / math.sqrt(words.shape[-1])  # [B, L, N]
        neg = torch.finfo(a.dtype).min
        w2o = a.masked_fill(~object_mask[:, None, :], neg).softmax(-1) * object_mask[:, None, :]
        o2w = a.masked_fill(~word_mask[:, :, None], neg).softmax(1) * word_mask[:, :, None]
        objects = objects + self.v(o2w.transpose(1, 2) @ words)
        lengths = word_mask.sum(1, keepdim=True).clamp_min(1)
        # padded token rows must not count: answers would depend on the batch's longest question
        # sum_l (P_l @ O) = (sum_l P_l) @ O: one [B, N] row per question instead of [B, L, D]
        attended = (w2o * word_mask[:, :, None]).sum(1, keepdim=True) @ objects  # [B, 1, D]
        question = pooled + self.u(attended.squeeze(1) / lengths)
        return objects, question, a, w2o
