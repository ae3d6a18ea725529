import pytest
import torch

from vqa.encode.encoder import tokenize
from vqa.graph.scene_graph import SceneGraph
from vqa.graph.tensors import collate_graphs, scene_to_tensors
from vqa.reason import Reasoner, ReasonerConfig
from vqa.reason.coattention import CoAttention


@pytest.fixture(scope="module")
def batch(clevr_scenes):
    ids, mask = tokenize(["How many red cubes are there?", "What color is the sphere left of the large cube?"])
    graphs = collate_graphs([scene_to_tensors(clevr_scenes[0]), scene_to_tensors(clevr_scenes[1])])
    return ids, mask, graphs


@pytest.mark.parametrize("fusion", ["hybrid", "early", "late"])
def test_reasoner_output_shapes_and_attention_sums(batch, fusion):
    cfg = ReasonerConfig(fusion=fusion, dim=32, steps=3)
    cfg.encoder.dim = 32
    model = Reasoner(cfg).eval()
    ids, mask, graphs = batch
    out = model(ids, mask, graphs)
    B, L = ids.shape
    N = graphs.node_mask.shape[1]
    assert out.logits.shape == (B, len(cfg.answers))
    assert out.word_attn.shape == (B, 3, L) and out.node_attn.shape == (B, 3, N)
    assert out.coattn.shape == (B, L, N)
    assert out.edge_attn.shape == (3, graphs.edge_index.shape[1])
    assert torch.allclose(out.word_attn.sum(-1), torch.ones(B, 3), atol=1e-5)
    assert torch.allclose(out.node_attn.sum(-1), torch.ones(B, 3), atol=1e-4)
    assert torch.all(out.node_attn[~graphs.node_mask[:, None, :].expand(-1, 3, -1)] == 0)


def test_reasoner_rejects_unknown_fusion():
    with pytest.raises(ValueError, match="fusion"):
        ReasonerConfig(fusion="middle")


def test_reasoner_empty_graph_gives_finite_answer():
    model = Reasoner(ReasonerConfig(dim=32, steps=2, encoder={"dim": 32})).eval()
    ids, mask = tokenize(["How many things are there?"])
    out = model(ids, mask, collate_graphs([scene_to_tensors(SceneGraph())]))
    assert torch.isfinite(out.logits).all()
    assert torch.all(out.node_select == 0)


def test_reasoner_losses_are_named_and_backpropagate(batch):
    cfg = ReasonerConfig(dim=32, steps=3, encoder={"dim": 32})
    model = Reasoner(cfg)
    ids, mask, graphs = batch
    N = graphs.node_mask.shape[1]
    targets = {"answer": torch.tensor([3, 14]), "type": torch.tensor([1, 2]), "steps": torch.zeros(2, 3, N),
               "step_valid": torch.ones(2, 3, dtype=torch.bool), "slots": torch.tensor([[0, 0], [1, 1]])}
    out = model(ids, mask, graphs, targets)
    assert set(out.losses) == {"answer", "type", "steps", "slots"}
    out.loss.backward()
    assert model.head[0].weight.grad is not None


def test_reasoner_config_and_weights_round_trip(tmp_path, batch):
    cfg = ReasonerConfig(dim=32, steps=2, encoder={"dim": 32})
    model = Reasoner(cfg).eval()
    path = model.save_pretrained(tmp_path / "m")
    assert (tmp_path / "m.json").is_file()
    loaded = Reasoner.from_pretrained(path)
    assert loaded.config == cfg
    ids, mask, graphs = batch
    with torch.no_grad():  # weights are stored in fp16: equal up to fp16 rounding
        assert torch.allclose(model(ids, mask, graphs).logits, loaded(ids, mask, graphs).logits, atol=0.05)


def test_coattention_rows_sum_to_one():
    co = CoAttention(16)
    words, objects = torch.randn(2, 5, 16), torch.randn(2, 4, 16)
    wmask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    omask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=torch.bool)
    o, q, affinity, w2o = co(words, wmask, objects, omask, torch.randn(2, 16))
    assert o.shape == (2, 4, 16) and q.shape == (2, 16) and affinity.shape == (2, 5, 4)
    assert torch.allclose(w2o.sum(-1)[wmask], torch.ones(int(wmask.sum())), atol=1e-5)
    assert torch.all(w2o[0, :, 2:] == 0)
