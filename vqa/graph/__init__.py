"""Scene graphs: objects, typed relations, CLEVR/GQA formats, networkx and PyG views."""
from .io import (CLEVR_ATTRIBUTES, load_clevr_scenes, load_gqa_scene_graphs, load_json, save_clevr_scenes,
                 scene_from_clevr, scene_from_gqa, scene_to_clevr, scene_to_gqa)
from .relations import CLEVR_PREDICATES, clevr_relations, relationships_dict, with_clevr_relations
from .scene_graph import Relation, SceneGraph, SceneObject

__all__ = ["SceneGraph", "SceneObject", "Relation", "CLEVR_ATTRIBUTES", "CLEVR_PREDICATES", "clevr_relations",
           "with_clevr_relations", "relationships_dict", "load_json", "load_clevr_scenes", "save_clevr_scenes",
           "scene_from_clevr", "scene_to_clevr", "load_gqa_scene_graphs", "scene_from_gqa", "scene_to_gqa"]
