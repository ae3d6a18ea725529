"""The multi-step, question-conditioned graph reasoner."""
from __future__ import annotations

import warnings
from contextlib import nullcontext
from dataclasses import dataclass, fields
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..encode.encoder import QuestionEncoder
from ..errors import WeightsError
from ..graph.tensors import PYG_IMPORT_NOTICE, GraphBatch
from ..weights import load_weights, save_weights, shipped, skip_random_init, weight_files
from .coattention import CoAttention
from .config import ReasonerConfig
from .controlled_gat import ControlledGATConv

__all__ = ["Reasoner", "ReasonerOutput", "DISTINCT_EDGES_FROM", "DEFAULT_WEIGHTS"]

DEFAULT_WEIGHTS = shipped("clevr-reasoner")
FROZEN_MINILM = "encoder.minilm."  # a frozen MiniLM's weights come from its package, not from the weights file
KNOWN_QUESTIONS = "known_questions"

# a batch with at least this many edges scores each distinct (graph, predicates) pair once
# (``ControlledGATConv.distinct_edges``); below it the extra operations cost more than they save
DISTINCT_EDGES_FROM = 4096


@dataclass
class ReasonerOutput:
    """What the reasoner saw and said, like a Hugging Face model output.

    Shapes (B questions, T steps, L tokens, N objects, E edges of the batch, A answers):
        logits [B, A]; type_logits [B, answer types];
        word_attn [B, T, L] (rows sum to 1 over real tokens);
        node_attn [B, T, N] (each step's selection normalised to sum to 1 over objects);
        node_select [B, T, N] (selection in [0, 1]: how much each object belongs to the step's set);
        coattn [B, L, N] (word -> object co-attention, rows sum to 1; zeros unless fusion="hybrid");
        edge_attn [T, E] with edge_index [2, E] over the flattened B*N nodes;
        slot_attn [B, 2, T] (which steps the answer head reads), slot_logits its logits;
        loss and losses (named) only when targets were given.
    """

    logits: Tensor
    type_logits: Tensor
    word_attn: Tensor
    node_attn: Tensor
    node_select: Tensor
    coattn: Tensor
    edge_attn: Tensor
    edge_index: Tensor
    slot_attn: Tensor
    slot_logits: Tensor | None = None
    controls: dict | None = None  # each step's control logits (sources, move, combine, filters), for training
    loss: Tensor | None = None
    losses: dict | None = None

    def to(self, *args) -> "ReasonerOutput":
        return ReasonerOutput(**{f.name: _to(getattr(self, f.name), *args) for f in fields(self)})


def _to(v, *args):
    return v.to(*args) if isinstance(v, Tensor) else v


class Reasoner(nn.Module):
    r"""Question encoder + T reasoning steps over the scene graph + answer head.

    Each step :math:`t` (MAC-style control, Hudson & Manning 2018; set operations as in the
    Neural State Machine):

    1. **Word attention**: :math:`u_t = W_t[q; c_{t-1}]`,
       :math:`a_{tl} = \mathrm{softmax}_l\, w^{\top}(u_t \odot h_l)`, :math:`c_t = \sum_l a_{tl} h_l`.
    2. **Source**: the step starts from all objects or from an earlier step's selection,
       :math:`s = \sum_k \beta_{tk} m_k` with :math:`\beta_t = \mathrm{softmax}(W_\beta c_t)`
       over :math:`m_0 = \mathbf{1}, m_1, \dots, m_{t-1}` (and a second source :math:`s^{(2)}`).
    3. **Relate** along typed edges with ``ControlledGATConv`` (edge attention conditioned on
       :math:`c_t`), gated: :math:`b = g_t\, \mathrm{relate}(s) + (1 - g_t)\, s`.
    4. **Combine** with the second source: none / union (max) / intersection (min).
    5. **Filter**, factored by attribute type :math:`k` (colour, shape, ...): the control picks a
       value or "any" per type, :math:`\pi_k = \mathrm{softmax}(W_k c_t)`, and
       :math:`m_{ti} = \mathrm{combine}_i \cdot \prod_k \big(\pi_k(\text{any}) + \sum_v \pi_k(v)\, x_{ikv}\big)`
       with :math:`x_{ik}` the object's attribute distribution (one-hot for gold graphs).
       (``filter="mlp"``: :math:`\sigma(\mathrm{MLP}(o_i \odot W_f c_t, \sum_l a_{tl} A_{li}))` with the
       co-attention affinity :math:`A`.)

    The answer head reads two steps' selections (attention over steps): the attention-weighted
    object vector and attribute distribution :math:`\bar x`, a soft count :math:`\sum_i m_{ti}`, the
    vectors' product, the counts' difference, per attribute type the chance that the two read
    objects share a value :math:`\sum_v \bar x^{a}_{kv} \bar x^{b}_{kv}`, plus the question vector. An answer-type head multiplies in :math:`p(\text{type})`.

    Fusion variants (``config.fusion``): ``hybrid`` = word attention + co-attention at every
    step (default); ``early`` = the pooled question is fused into the node features once and
    each step's control comes from the pooled question only; ``late`` = question-agnostic GATv2
    layers, the graph is pooled, then fused with the question.

    Multi-task training: answer cross-entropy, BCE of each step's selection against the object
    set the CLEVR program computes there, cross-entropy of the slots and of the answer type.
    The program is never an input.
    """

    def __init__(self, config: ReasonerConfig):
        super().__init__()
        self.config = c = config
        d, T = c.dim, c.steps
        v, r = len(c.vocab.node_tokens), len(c.vocab.edge_types)
        self.encoder = QuestionEncoder(c.encoder)
        self.question_proj = nn.Identity() if c.encoder.dim == d else nn.Linear(c.encoder.dim, d)
        self.node_in = nn.Linear(v, d)
        self.pos_in = nn.Linear(2, d)
        self.node_norm = nn.LayerNorm(d)
        if c.fusion == "late":
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=PYG_IMPORT_NOTICE, category=FutureWarning)
                from torch_geometric.nn import GATv2Conv  # defers torch_geometric: only the late-fusion variant uses it

            self.gnn = nn.ModuleList([GATv2Conv(d, d // 4, heads=4, edge_dim=r) for _ in range(2)])
        else:
            self.coattention = CoAttention(d)
            self.early_fuse = nn.Linear(2 * d, d) if c.fusion == "early" else None
            self.control0 = nn.Parameter(torch.zeros(d))
            self.step_query = nn.ModuleList([nn.Linear(2 * d, d) for _ in range(T)])
            self.word_score = nn.Linear(d, 1)
            self.source = nn.Linear(d, 2 * (T + 1))  # logits over m_0..m_T, for both sources
            self.source_bias = nn.Parameter(torch.zeros(T, 2, T + 1))
            self.relate = ControlledGATConv(r, d, hidden=c.edge_hidden)
            self.relate_gate = nn.Linear(d, 1)
            self.combine = nn.Linear(d, 3)
            if c.filter == "factored":
                # per attribute type: logits over its values plus one "any value" option
                self.groups = [len(vs) for vs in c.vocab.attributes.values()]
                self.filter_values = nn.Linear(d, v + len(self.groups))
                # lays the logits out one attribute type per row: its values, padding, "any" last
                G, S = len(self.groups), max(self.groups)
                index, start = torch.full((G, S + 1), v + G), 0  # v + G: a padding column
                for k, size in enumerate(self.groups):
                    index[k, :size] = torch.arange(start, start + size)
                    index[k, S] = v + k
                    start += size
                self.register_buffer("filter_index", index, persistent=False)
            else:
                self.filter_control = nn.Linear(d, d)
                self.filter_in = nn.Linear(d, d)
                self.filter_coatt = nn.Linear(1, d, bias=False)
                self.filter_out = nn.Linear(d, 1)
            self.slots = nn.Linear(d, 2 * T)
        bins = c.count_bins
        self.register_buffer("count_centres", torch.arange(bins, dtype=torch.float), persistent=False)
        self.register_buffer("diff_centres", torch.arange(-bins + 1, bins, dtype=torch.float), persistent=False)
        # answer head input: question, the two read selections' vectors and their product, soft counts,
        # and (exact on gold graphs) the read objects' attribute distributions and "same value" per type
        head_in = 4 * d + 2 * bins + (2 * bins - 1) + 2 * v + len(c.vocab.attributes) if c.fusion != "late" else 3 * d
        self.group_sizes = [len(vs) for vs in c.vocab.attributes.values()]
        self.head = nn.Sequential(nn.Linear(head_in, 2 * d), nn.GELU(), nn.Dropout(c.dropout), nn.Linear(2 * d, len(c.answers)))
        self.type_head = nn.Linear(d, len(c.answer_types))
        type_index = [c.answer_types.index(t) if t in c.answer_types else 0 for t in c.answer_type_of]
        self.register_buffer("answer_type_index", torch.tensor(type_index, dtype=torch.long), persistent=False)

    @classmethod
    def from_config(cls, config: ReasonerConfig) -> "Reasoner":
        return cls(config)

    @classmethod
    def from_pretrained(cls, path: str | Path = DEFAULT_WEIGHTS) -> "Reasoner":
        """Build from ``<stem>.json`` and load ``<stem>.safetensors`` (``vqa.weights``), in eval mode.

        Loads the CLEVR and the photo reasoner alike: a frozen MiniLM encoder comes from its
        package, not the file, and a photo reasoner's ``known_questions`` (its training questions'
        sentence embeddings) become the attribute of that name (None for the CLEVR reasoner)."""
        cfg, state = load_weights(path, ReasonerConfig, "reasoner", "rebuild them with `vqa train reasoner` "
                                  "(or `vqa train photo-reasoner`) or pass --weights")
        known = state.pop(KNOWN_QUESTIONS, None)
        # straight from the file: no random initialisation to overwrite, the file's tensors become the
        # parameters (assign). A frozen MiniLM is not in the file: its package's loading fills it as it must
        with skip_random_init() if cfg.encoder.kind != "minilm" else nullcontext():
            model = cls(cfg)
        model.known_questions = known
        try:
            missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
        except RuntimeError as e:  # same names, other shapes: weights from another version of the model
            raise WeightsError(f"{weight_files(path)[0]} does not match its config or this version of the reasoner "
                               f"({str(e).splitlines()[-1].strip()}); retrain it") from None
        missing = [k for k in missing if not k.startswith(FROZEN_MINILM)]
        if missing or unexpected:
            raise WeightsError(f"{weight_files(path)[0]} does not match its config: missing {missing[:3]}, "
                               f"unexpected {unexpected[:3]}")
        return model.eval()

    def save_pretrained(self, path: str | Path, metadata: dict | None = None,
                        known_questions: Tensor | None = None) -> Path:
        """Write fp16 weights (without a frozen MiniLM's), ``known_questions`` when given, and the config."""
        state = {k: v for k, v in self.state_dict().items() if not k.startswith(FROZEN_MINILM)}
        if known_questions is not None:
            state[KNOWN_QUESTIONS] = known_questions
        return save_weights(state, self.config, path, metadata)

    # ---------------------------------------------------------------- forward
    def forward(self, ids: Tensor, mask: Tensor, graphs: GraphBatch, targets: dict | None = None) -> ReasonerOutput:
        c = self.config
        enc = self.encoder(ids, mask)
        words, wmask = self.question_proj(enc.tokens), enc.mask
        q = self.question_proj(enc.pooled)
        nodes = self.node_norm(self.node_in(graphs.x) + self.pos_in(graphs.pos))  # [B, N, D]
        nmask = graphs.node_mask
        if c.fusion == "late":
            out = self._late(words, wmask, q, nodes, nmask, graphs)
        else:
            teacher = None  # training: sometimes start later steps from the true sets (faster, steadier learning)
            if targets is not None and self.training and float(torch.rand(())) < c.teacher_forcing:
                teacher = (targets["steps"] * nmask[:, None, :], targets["step_valid"])
            out = self._steps(words, wmask, q, nodes, nmask, graphs, teacher, keep_controls=targets is not None)
        if targets is not None:
            out.losses = self._losses(out, nmask, targets)
            out.loss = sum(out.losses.values())
        return out

    def _control_heads(self) -> tuple[list[nn.Linear], Tensor, Tensor]:
        """The linear heads every step applies to its control, and their weights stacked: one
        matrix product per step instead of five (a question's latency is mostly per-op overhead)."""
        heads = [self.source, self.relate_gate, self.combine, self.relate.lin_control]
        if self.config.filter == "factored":
            heads.append(self.filter_values)
        return heads, torch.cat([h.weight for h in heads]), torch.cat([h.bias for h in heads])

    def _filter(self, control, x_groups, nodes, word_attn, affinity, value_logits=None) -> tuple[Tensor, Tensor | None]:
        """How much each object passes the step's filter, in [0, 1]: [B, N]; and (factored) the
        logits over each attribute type's values, padding, and "any" last: [B, G, S + 1]."""
        if self.config.filter == "mlp":
            z = self.filter_in(nodes * self.filter_control(control)[:, None])
            if self.config.fusion == "hybrid":
                z = z + self.filter_coatt((word_attn[:, :, None] * affinity).sum(1)[..., None])
            return torch.sigmoid(self.filter_out(F.gelu(z))).squeeze(-1), None
        # factored: prod_k ( p_k(any) + sum_v p_k(v) x_{i,k,v} ), all types at once (padding gets p = 0)
        if value_logits is None:
            value_logits = self.filter_values(control)
        logits = F.pad(value_logits, (0, 1), value=torch.finfo(control.dtype).min)[:, self.filter_index]
        p = logits.softmax(-1)  # [B, G, S + 1]
        match = p[:, None, :, -1] + (x_groups * p[:, None, :, :-1]).sum(-1)  # [B, N, G]
        return match.prod(-1), logits

    def _attribute_groups(self, x: Tensor) -> Tensor:
        """Attribute distributions [B, N, V] -> [B, N, G, S], one row per type, zero-padded."""
        G = len(self.groups)
        return F.pad(x, (0, G + 1))[..., self.filter_index[:, :-1]]

    def _steps(self, words, wmask, q, nodes, nmask, graphs, teacher=None, keep_controls=True) -> ReasonerOutput:
        c = self.config
        if teacher is not None:
            teacher, teacher_valid = teacher
        B, N, D = nodes.shape
        T = c.steps
        if c.fusion == "hybrid":
            nodes, q, affinity, coattn = self.coattention(words, wmask, nodes, nmask, q)
        else:
            nodes = nodes + self.early_fuse(torch.cat([nodes, q[:, None].expand(-1, N, -1)], -1))
            affinity = coattn = words.new_zeros(B, words.shape[1], N)
        neg = torch.finfo(words.dtype).min
        if c.fusion == "hybrid":
            words_t = words.transpose(1, 2).contiguous()  # [B, D, L]: a row-vector product per step is 3x faster on it
        else:
            uniform_words = wmask.float() / wmask.sum(1, keepdim=True).clamp_min(1)
        pad_words = ~wmask
        node_weight = nmask.to(nodes.dtype)
        sources = [node_weight]  # m_0: every object
        control = self.control0.expand(B, D)
        word_attn, edge_attn, selected = [], [], []
        ctl = {"sources": [], "move": [], "combine": [], "filters": []}
        x_groups = self._attribute_groups(graphs.x) if c.filter == "factored" else None
        # the edges are the same at every step: project them once; a batch scores each distinct kind
        # of edge once
        many = graphs.edge_attr.shape[0] >= DISTINCT_EDGES_FROM
        distinct = self.relate.distinct_edges(graphs.edge_attr, graphs.edge_graph) if many else None
        edge_emb = self.relate.lin_edge(graphs.edge_attr if distinct is None else distinct[0])
        heads, head_w, head_b = self._control_heads()
        head_sizes = [h.out_features for h in heads]
        for t in range(T):
            u = self.step_query[t](torch.cat([q, control], -1))
            if c.fusion == "hybrid":
                # w^T (u * h_l) + b as one batched product, without the [B, L, D] intermediate
                score = ((u * self.word_score.weight)[:, None] @ words_t).squeeze(1) + self.word_score.bias
                a = score.masked_fill(pad_words, neg).softmax(-1)
                control = (a[:, None] @ words).squeeze(1)
            else:
                a, control = uniform_words, u
            word_attn.append(a)
            source_logits, move, op_logits, control_emb, *value_logits = F.linear(control, head_w, head_b).split(head_sizes, -1)
            prev = torch.stack(sources, 1)  # [B, t+1, N]
            logits = source_logits.view(B, 2, T + 1)[:, :, : t + 1] + self.source_bias[t, :, : t + 1]
            beta = logits.softmax(-1)  # [B, 2, t+1]
            if keep_controls:  # only the training losses read them; answering skips the bookkeeping
                ctl["sources"].append(F.pad(logits, (0, T - t), value=neg))
                ctl["move"].append(move.squeeze(-1))
                ctl["combine"].append(op_logits)
            s, s2 = (beta @ prev).unbind(1)  # [B, N] each
            related, alpha = self.relate(s.reshape(-1), graphs.edge_index, graphs.edge_attr, control, graphs.edge_graph,
                                         edge_emb=edge_emb, control_emb=control_emb, distinct=distinct)
            edge_attn.append(alpha)
            g = torch.sigmoid(move)
            base = g * related.view(B, N) + (1 - g) * s
            op = op_logits.softmax(-1)
            combined = op[:, :1] * base + op[:, 1:2] * torch.maximum(base, s2) + op[:, 2:] * torch.minimum(base, s2)
            keep, group_logits = self._filter(control, x_groups, nodes, a, affinity, *value_logits)
            if keep_controls:
                ctl["filters"].append(group_logits)
            m = combined * keep * node_weight
            selected.append(m)
            sources.append(m if teacher is None else torch.where(teacher_valid[:, t, None], teacher[:, t], m))
        select = torch.stack(selected, 1)  # [B, T, N]
        slot_logits = self.slots(q).view(B, 2, T)
        psi = slot_logits.softmax(-1)
        read = psi @ select  # [B, 2, N]: the two selections the answer reads
        mass = read.sum(-1)  # soft counts [B, 2]
        vec = (read @ nodes) / mass.clamp_min(1e-3)[..., None]  # [B, 2, D]
        va, vb = vec.unbind(1)
        attrs = (read @ graphs.x) / mass.clamp_min(1e-3)[..., None]  # [B, 2, V]
        same = torch.stack([(g[:, 0] * g[:, 1]).sum(-1) for g in attrs.split(self.group_sizes, -1)], -1)  # [B, G]
        feats = torch.cat([q, va, vb, va * vb, attrs[:, 0], attrs[:, 1], same, self._bins(mass[:, 0], self.count_centres),
                           self._bins(mass[:, 1], self.count_centres),
                           self._bins(mass[:, 0] - mass[:, 1], self.diff_centres)], -1)
        node_attn = select / select.sum(-1, keepdim=True).clamp_min(1e-6)
        type_logits = self.type_head(q)
        logits = self.head(feats) + type_logits.log_softmax(-1)[:, self.answer_type_index]
        controls = None
        if keep_controls:
            controls = {"sources": torch.stack(ctl["sources"], 1), "move": torch.stack(ctl["move"], 1),
                        "combine": torch.stack(ctl["combine"], 1),
                        "filters": torch.stack(ctl["filters"], 1) if ctl["filters"][0] is not None else None,
                        "edge_graph": graphs.edge_graph, "edge_attr": graphs.edge_attr}
        return ReasonerOutput(logits, type_logits, torch.stack(word_attn, 1), node_attn, select, coattn,
                              torch.stack(edge_attn), graphs.edge_index, psi, slot_logits, controls)

    def _late(self, words, wmask, q, nodes, nmask, graphs) -> ReasonerOutput:
        B, N, D = nodes.shape
        T = self.config.steps
        h = nodes.reshape(B * N, D)
        for conv in self.gnn:
            h = h + F.gelu(conv(h, graphs.edge_index, graphs.edge_attr))
        h = h.view(B, N, D)
        m = nmask[..., None].to(h.dtype)
        mean = (h * m).sum(1) / m.sum(1).clamp_min(1)
        mx = h.masked_fill(~nmask[..., None], -1e4).amax(1)
        type_logits = self.type_head(q)
        logits = self.head(torch.cat([q, mean, mx], -1)) + type_logits.log_softmax(-1)[:, self.answer_type_index]
        uniform = (nmask.float() / nmask.sum(1, keepdim=True).clamp_min(1))[:, None].expand(B, T, N)
        uw = (wmask.float() / wmask.sum(1, keepdim=True).clamp_min(1))[:, None].expand(B, T, -1)
        E = graphs.edge_index.shape[1]
        out = ReasonerOutput(logits, type_logits, uw, uniform, uniform, words.new_zeros(B, words.shape[1], N),
                             words.new_zeros(T, E), graphs.edge_index, words.new_full((B, 2, T), 1.0 / T))
        return out

    @staticmethod
    def _bins(x: Tensor, centres: Tensor, width: float = 0.3) -> Tensor:
        return torch.exp(-((x[:, None] - centres[None]) ** 2) / (2 * width**2))

    def _losses(self, out: ReasonerOutput, nmask: Tensor, targets: dict) -> dict:
        c = self.config
        losses = {"answer": F.cross_entropy(out.logits, targets["answer"]),
                  "type": c.type_loss_weight * F.cross_entropy(out.type_logits, targets["type"])}
        if c.fusion != "late":
            w = (nmask[:, None, :] & targets["step_valid"][:, :, None]).float()
            sel = out.node_select.clamp(1e-6, 1 - 1e-6)
            bce = F.binary_cross_entropy(sel, targets["steps"], weight=w, reduction="sum")
            losses["steps"] = c.step_loss_weight * bce / w.sum().clamp_min(1)
            losses["slots"] = c.slot_loss_weight * F.cross_entropy(out.slot_logits.reshape(-1, c.steps),
                                                                   targets["slots"].reshape(-1), ignore_index=-1)
            if c.control_loss_weight and "sources" in targets:
                losses["controls"] = c.control_loss_weight * self._control_loss(out, targets)
        return losses

    @staticmethod
    def _control_loss(out: ReasonerOutput, targets: dict) -> Tensor:
        """Supervise what each step does, read off the program (training only): where it starts,
        whether and along which predicate it moves (edge attention vs. the edges of that
        predicate), how it combines two sets, and which attribute values it keeps."""
        ctl = out.controls
        src = ctl["sources"]  # [B, T, 2, T+1]
        loss = F.cross_entropy(src.reshape(-1, src.shape[-1]), targets["sources"].reshape(-1), ignore_index=-1)
        move_t = targets["move"]
        m = move_t >= 0
        if m.any():
            loss = loss + F.binary_cross_entropy_with_logits(ctl["move"][m], move_t[m].float())
        loss = loss + F.cross_entropy(ctl["combine"].reshape(-1, 3), targets["combine"].reshape(-1), ignore_index=-1)
        if ctl["filters"] is not None:  # [B, T, G, S + 1]; targets [B, T, G] index the same layout
            lg = ctl["filters"]  # x G: one loss term per attribute type, each the mean over its valid steps
            loss = loss + lg.shape[2] * F.cross_entropy(lg.reshape(-1, lg.shape[-1]), targets["filters"].reshape(-1),
                                                        ignore_index=-1)
        pred = targets["predicate"][ctl["edge_graph"]]  # [E, T]: the predicate each edge's graph moves along
        w = (pred >= 0).float()
        if w.sum() > 0:
            edge_target = ctl["edge_attr"].gather(1, pred.clamp_min(0))  # [E, T]
            alpha = out.edge_attn.t().clamp(1e-6, 1 - 1e-6)  # [E, T]
            loss = loss + F.binary_cross_entropy(alpha, edge_target, weight=w, reduction="sum") / w.sum()
        return loss
