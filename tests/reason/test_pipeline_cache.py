"""GraphQA reuses a graph's batch for the next question about the same graph object only."""
import copy

from vqa.pipeline.ask import GraphQA


def test_graph_batch_is_reused_for_the_same_graph_only(tiny_weights, clevr_scenes):
    qa = GraphQA(tiny_weights)
    g = clevr_scenes[0]
    first = qa._graph_batch(g)
    assert qa._graph_batch(g) is first  # second question: no rebuild
    other = copy.deepcopy(g)
    other.objects = other.objects[:2]
    other.relations = [r for r in other.relations if max(r.subject, r.object) < 2]
    assert qa._graph_batch(other).x.shape[1] == 2 and qa._graph_batch(g) is first
    assert tuple(qa.explain("How many cubes are there?", g).node_attn.shape) == (qa.config.steps, len(g.objects))
    for s in clevr_scenes[1:30]:
        qa._graph_batch(s)
    assert len(qa._tensors) == 16  # bounded
