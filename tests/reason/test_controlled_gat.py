import torch

from vqa.reason.controlled_gat import ControlledGATConv


def test_controlled_gat_conv_shapes_and_range():
    conv = ControlledGATConv(edge_dim=3, control_dim=8)
    edge_index = torch.tensor([[0, 1, 2, 0], [1, 2, 0, 2]])
    edge_attr = torch.eye(3)[[0, 1, 2, 0]]
    out, alpha = conv(torch.tensor([1.0, 0.0, 0.5]), edge_index, edge_attr, torch.randn(1, 8), torch.zeros(4, dtype=torch.long))
    assert out.shape == (3,) and alpha.shape == (4,)
    assert torch.all((alpha > 0) & (alpha < 1))
    assert torch.all((out >= 0) & (out <= 1))
    assert "ControlledGATConv" in repr(conv)


def test_controlled_gat_conv_moves_selection_along_chosen_edges():
    conv = ControlledGATConv(edge_dim=2, control_dim=2, hidden=2)
    with torch.no_grad():  # attention = sigmoid(20 * (edge type 0) - 10): only type-0 edges pass
        conv.lin_edge.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 0.0]]))
        conv.lin_control.weight.zero_(); conv.lin_control.bias.zero_()
        conv.att.weight.copy_(torch.tensor([[20.0, 0.0]])); conv.att.bias.fill_(-10.0)
    edge_index = torch.tensor([[0, 0], [1, 2]])  # 0 -> 1 (type 0), 0 -> 2 (type 1)
    out, _ = conv(torch.tensor([1.0, 0.0, 0.0]), edge_index, torch.eye(2), torch.zeros(1, 2), torch.zeros(2, dtype=torch.long))
    assert out[1] > 0.99 and out[2] < 0.01 and out[0] == 0


def test_distinct_edges_give_the_same_attention_as_every_edge():
    torch.manual_seed(0)
    conv = ControlledGATConv(edge_dim=4, control_dim=8)
    edge_attr = torch.randint(0, 2, (200, 4)).float()
    edge_graph = torch.randint(0, 3, (200,)).sort().values
    edge_index = torch.randint(0, 30, (2, 200))
    control, s = torch.randn(3, 8), torch.rand(30)
    distinct = conv.distinct_edges(edge_attr, edge_graph)
    attr, graph, inverse = distinct
    assert len(attr) < 200 and torch.equal(attr[inverse], edge_attr) and torch.equal(graph[inverse], edge_graph)
    out, alpha = conv(s, edge_index, edge_attr, control, edge_graph)
    out2, alpha2 = conv(s, edge_index, edge_attr, control, edge_graph, edge_emb=conv.lin_edge(attr), distinct=distinct)
    assert torch.allclose(alpha, alpha2, atol=1e-6) and torch.allclose(out, out2, atol=1e-6)
    assert conv.distinct_edges(edge_attr * 0.5, edge_graph) is None  # soft predicates: every edge scored
