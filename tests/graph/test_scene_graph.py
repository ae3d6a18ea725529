import json

import networkx as nx
import torch

from vqa.graph import (SceneGraph, clevr_relations, load_gqa_scene_graphs, relationships_dict, scene_from_clevr,
                       scene_to_clevr, scene_to_gqa, with_clevr_relations)
from vqa.graph.tensors import CLEVR_VOCAB, collate_graphs, scene_to_pyg


def test_scene_graph_clevr_json_round_trip(clevr_dir):
    raw = json.loads((clevr_dir / "CLEVR_train_scenes.json").read_text())["scenes"]
    for scene in raw[:50]:
        back = scene_to_clevr(scene_from_clevr(scene))
        assert back["objects"] == scene["objects"]
        assert back["relationships"] == scene["relationships"]
        assert back["directions"] == scene["directions"]
        assert back["image_filename"] == scene["image_filename"]


def test_scene_graph_networkx_round_trip(clevr_scenes):
    g = clevr_scenes[3]
    nxg = g.to_networkx()
    assert isinstance(nxg, nx.MultiDiGraph)
    assert nxg.number_of_nodes() == len(g.objects)
    assert nxg.number_of_edges() == len(g.relations)
    back = SceneGraph.from_networkx(nxg)
    assert [o.attributes for o in back.objects] == [o.attributes for o in g.objects]
    assert set(back.relations) == set(g.relations)


def test_scene_graph_to_pyg_shapes_and_edges(clevr_scenes):
    g = clevr_scenes[0]
    n = len(g.objects)
    data = scene_to_pyg(g, CLEVR_VOCAB)
    assert data.x.shape == (n, len(CLEVR_VOCAB.node_tokens))
    assert torch.all(data.x.sum(1) == 4)  # one value per attribute type
    assert data.edge_index.shape == (2, n * (n - 1))
    left = CLEVR_VOCAB.edge_types.index("left")
    pairs = {(int(j), int(i)) for (j, i), a in zip(data.edge_index.t(), data.edge_attr) if a[left] == 1}
    assert pairs == {(r.subject, r.object) for r in g.relations if r.predicate == "left"}


def test_collate_graphs_handles_empty_graph():
    batch = collate_graphs([scene_to_pyg(SceneGraph(), CLEVR_VOCAB)])
    assert batch.node_mask.shape == (1, 1) and not batch.node_mask.any()
    assert batch.edge_index.shape == (2, 0)


def test_relation_builder_matches_annotations(clevr_scenes):
    for g in clevr_scenes:
        coords = [o.position for o in g.objects]
        rebuilt = SceneGraph(g.objects, clevr_relations(coords, g.directions))
        assert relationships_dict(rebuilt) == relationships_dict(g), g.image_filename


def test_relation_builder_uses_default_camera_without_directions(clevr_scenes):
    g = clevr_scenes[1]
    copy = SceneGraph(g.objects, [], image_filename=g.image_filename)
    assert relationships_dict(with_clevr_relations(copy)) == relationships_dict(g)


def test_gqa_scene_graph_round_trip(clevr_dir):
    path = clevr_dir.parent / "gqa" / "sample_sceneGraphs.json"
    raw = json.loads(path.read_text())
    graphs = load_gqa_scene_graphs(path)
    assert set(graphs) == set(raw)
    for k, g in graphs.items():
        assert scene_to_gqa(g) == raw[k]
        assert g.to_networkx().number_of_nodes() == len(raw[k]["objects"])
