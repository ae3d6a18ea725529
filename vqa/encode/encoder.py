"""Question encoders: token states, mask and a pooled vector, on ``transformers``' tokenizer.

Two kinds behind one config switch:

* ``"small"`` (default): a 2-layer Transformer encoder trained from scratch with the reasoner,
  its word embeddings initialised from MiniLM's input embeddings (PCA to ``dim``). It is ~50x
  faster than MiniLM on this CPU, which is what lets ``vqa eval`` answer thousands of questions
  per second.
* ``"minilm"``: the pretrained all-MiniLM-L6-v2 (frozen) with a trained projection to ``dim``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..errors import QuestionError
from .tokenizer import load_tokenizer, minilm_path

__all__ = ["EncoderConfig", "QuestionEncoding", "QuestionEncoder", "tokenize", "token_strings"]


@dataclass
class EncoderConfig:
    kind: str = "small"  # "small" | "minilm"
    dim: int = 128
    layers: int = 2
    heads: int = 4
    ffn: int = 256
    max_tokens: int = 64  # longer questions fail with a message, as nanoGPT does for long inputs
    dropout: float = 0.0  # augmentation regularises enough; dropout's RNG costs ~10% of a step on CPU
    vocab_size: int = 30522


@dataclass
class QuestionEncoding:
    """``tokens`` [B, L, D], ``mask`` [B, L] (True = real token), ``pooled`` [B, D]."""

    tokens: Tensor
    mask: Tensor
    pooled: Tensor


def tokenize(questions: list[str], max_tokens: int = 64) -> tuple[Tensor, Tensor]:
    """Token ids [B, L] and mask [B, L] (True = real token), padded to the longest question."""
    for q in questions:
        if not isinstance(q, str) or not q.strip():
            raise QuestionError(f"empty question {q!r}; ask something about the image, e.g. 'How many cubes are there?'")
    enc = load_tokenizer().encode_batch([q.strip() for q in questions])
    ids = torch.tensor([e.ids for e in enc])
    mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.bool)
    if ids.shape[1] > max_tokens:
        longest = int(mask.sum(1).argmax())
        raise QuestionError(f"question is {int(mask[longest].sum())} tokens long, the limit is {max_tokens}: "
                            f"{questions[longest][:80]!r}...; shorten it")
    return ids, mask


def token_strings(ids: Tensor, mask: Tensor) -> list[list[str]]:
    """The word pieces behind ``ids`` (for attention plots), padding dropped."""
    tok = load_tokenizer()
    return [[tok.id_to_token(i) for i in row[: int(m.sum())]] for row, m in zip(ids.tolist(), mask)]


class QuestionEncoder(nn.Module):
    def __init__(self, config: EncoderConfig):
        super().__init__()
        self.config = c = config
        if c.kind == "small":
            # Word embeddings stay frozen at MiniLM's (see init_from_minilm): pieces of typos
            # never seen in training still land where MiniLM put them; an adapter is trained.
            self.embed = nn.Embedding(c.vocab_size, c.dim, padding_idx=0)
            self.embed.weight.requires_grad_(False)
            self.adapter = nn.Linear(c.dim, c.dim)
            self.pos = nn.Embedding(c.max_tokens, c.dim)
            layer = nn.TransformerEncoderLayer(c.dim, c.heads, c.ffn, c.dropout, batch_first=True, norm_first=True)
            self.layers = nn.TransformerEncoder(layer, c.layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(c.dim)
        elif c.kind == "minilm":
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from transformers import AutoModel

            self.minilm = AutoModel.from_pretrained(minilm_path())
            self.minilm.requires_grad_(False)
            self.proj = nn.Linear(self.minilm.config.hidden_size, c.dim)
            self.norm = nn.LayerNorm(c.dim)
        else:
            raise ValueError(f"unknown encoder kind {c.kind!r}; use 'small' or 'minilm'")

    def init_from_minilm(self) -> None:
        """Start the small encoder's word embeddings from MiniLM's, reduced to ``dim`` by PCA."""
        from safetensors.torch import load_file

        w = load_file(os.path.join(minilm_path(), "model.safetensors"))
        key = next(k for k in w if k.endswith("word_embeddings.weight"))
        e = w[key].float()
        e = e - e.mean(0, keepdim=True)
        _, _, v = torch.pca_lowrank(e, q=self.config.dim, center=False)
        z = e @ v[:, : self.config.dim]
        with torch.no_grad():
            self.embed.weight.copy_(z / z.std() * 0.5)

    def forward(self, ids: Tensor, mask: Tensor) -> QuestionEncoding:
        if self.config.kind == "minilm":
            with torch.no_grad():
                h = self.minilm(input_ids=ids, attention_mask=mask.long()).last_hidden_state
            h = self.norm(self.proj(h))
        else:
            pos = torch.arange(ids.shape[1], device=ids.device)
            h = self.adapter(self.embed(ids)) + self.pos(pos)[None]
            h = self.norm(self.layers(h, src_key_padding_mask=~mask))
        m = mask.unsqueeze(-1).to(h.dtype)
        pooled = (h * m).sum(1) / m.sum(1).clamp_min(1.0)
        return QuestionEncoding(h, mask, pooled)
