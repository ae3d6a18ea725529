"""Scene graphs as padded batches."""
import torch

from vqa.graph.scene_graph import SceneGraph
from vqa.graph.tensors import collate_graphs, scene_to_pyg


def test_collate_pads_nodes_and_offsets_edges(clevr_scenes):
    graphs = [scene_to_pyg(clevr_scenes[0]), scene_to_pyg(SceneGraph()), scene_to_pyg(clevr_scenes[1])]
    b = collate_graphs(graphs)
    n = max(g.num_nodes for g in graphs)
    assert b.x.shape == (3, n, graphs[0].x.shape[1]) and b.node_mask.shape == (3, n)
    for k, g in enumerate(graphs):
        s = g.num_nodes
        assert b.node_mask[k].sum() == s
        assert torch.equal(b.x[k, :s], g.x) and not b.x[k, s:].any()
        assert torch.equal(b.pos[k, :s], g.pos)
        mine = b.edge_graph == k
        assert torch.equal(b.edge_index[:, mine], g.edge_index + k * n)
        assert torch.equal(b.edge_attr[mine], g.edge_attr)
