"""Scene graphs as tensors and padded batches; PyG only where PyG is used."""
import subprocess
import sys

import torch

from vqa.graph.scene_graph import SceneGraph
from vqa.graph.tensors import GraphTensors, collate_graphs, scene_to_pyg, scene_to_tensors


def test_collate_pads_nodes_and_offsets_edges(clevr_scenes):
    graphs = [scene_to_tensors(clevr_scenes[0]), scene_to_tensors(SceneGraph()), scene_to_tensors(clevr_scenes[1])]
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


def test_tensors_to_pyg_keeps_every_field(clevr_scenes):
    t = scene_to_tensors(clevr_scenes[0])
    assert isinstance(t, GraphTensors) and t.num_nodes == len(clevr_scenes[0].objects)
    d = scene_to_pyg(clevr_scenes[0])
    assert type(d).__module__.startswith("torch_geometric") and d.num_nodes == t.num_nodes
    for name in ("x", "pos", "edge_index", "edge_attr"):
        assert torch.equal(getattr(d, name), getattr(t, name))
    one, other = collate_graphs([t]), collate_graphs([d])  # collate takes either
    assert torch.equal(one.edge_index, other.edge_index) and torch.equal(one.x, other.x)


def test_tensors_answering_imports_no_torch_geometric(tiny_weights, clevr_dir):
    """PyG's package imports its datasets and LLM modules (about 1.2 s): answering never needs them."""
    code = ("import sys; from vqa.graph.io import load_clevr_scenes; from vqa.pipeline.ask import GraphQA; "
            f"g = load_clevr_scenes({str(clevr_dir / 'CLEVR_train_scenes.json')!r})[0]; "
            f"GraphQA({str(tiny_weights)!r}).ask('How many cubes are there?', g); "
            "assert 'torch_geometric' not in sys.modules, 'torch_geometric imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]

