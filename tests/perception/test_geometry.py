"""Ground-plane geometry: the shipped homographies and camera refit from the training scenes,
and relations from annotated pixel centres agree with CLEVR's annotation."""
import numpy as np

from vqa.data.splits import is_validation
from vqa.graph.relations import clevr_relations
from vqa.graph.scene_graph import Relation
from vqa.perception.geometry import (CAMERA_LOCATION, GROUND_HOMOGRAPHY, fit_camera, fit_ground_homography,
                                     pixel_to_ground)


def _train(scenes):
    return [g for g in scenes if not is_validation(g.image_index)]


def test_geometry_constants_refit_from_training_scenes(clevr_scenes):
    train = _train(clevr_scenes)
    for size in ("large", "small"):
        objs = [o for g in train for o in g.objects if o.attributes["size"] == size]
        H = fit_ground_homography(np.array([o.pixel[:2] for o in objs]), np.array([o.position[:2] for o in objs]))
        np.testing.assert_allclose(H, GROUND_HOMOGRAPHY[size], rtol=1e-4, atol=1e-6)
    objs = [o for g in train for o in g.objects]
    C = fit_camera(np.array([o.position for o in objs]), np.array([o.pixel[2] for o in objs]))
    np.testing.assert_allclose(C, CAMERA_LOCATION, atol=1e-4)


def test_geometry_relations_from_pixels_agree_on_held_out_scenes(clevr_scenes):
    agree = total = 0
    for g in clevr_scenes:
        if not is_validation(g.image_index):
            continue
        ground = pixel_to_ground(np.array([o.pixel[:2] for o in g.objects]), [o.attributes["size"] for o in g.objects])
        pred = set(clevr_relations(ground))
        gold = set(g.relations)
        n = len(g.objects)
        for p in ("left", "right", "front", "behind"):
            for i in range(n):
                for j in range(n):
                    if i != j:
                        total += 1
                        agree += (Relation(j, p, i) in pred) == (Relation(j, p, i) in gold)
    assert total > 10000
    assert agree / total >= 0.995


def test_geometry_ground_error_is_small(clevr_scenes):
    val = [g for g in clevr_scenes if is_validation(g.image_index)]
    err = [np.linalg.norm(pixel_to_ground(np.array([o.pixel[:2]]), [o.attributes["size"]])[0] - o.position[:2])
           for g in val for o in g.objects]
    assert np.median(err) < 0.25
