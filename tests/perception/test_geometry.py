"""Ground-plane geometry: the shipped homographies and camera refit from the training scenes,
and relations from annotated pixel centres agree with CLEVR's annotation."""
import numpy as np
import pytest

from vqa.data.splits import is_validation
from vqa.graph.relations import clevr_relations
from vqa.graph.scene_graph import Relation
from vqa.perception.clevr.geometry import (CAMERA_LOCATION, GROUND_HOMOGRAPHY, fit_camera, fit_ground_homography,
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


def test_solid_overlap_nms_drops_an_object_found_twice_and_keeps_legal_neighbours():
    from vqa.perception.clevr.geometry import footprint_radius, solid_overlap_nms

    assert footprint_radius("large", "cube") == pytest.approx(0.7 / np.sqrt(2))
    assert footprint_radius("small", "sphere") == 0.35
    # a small sphere seen twice, 0.45 apart (one detection on its visible part): the weaker goes
    ground = np.array([[0.0, 0.0], [0.45, 0.0], [3.0, 0.0]])
    keep = solid_overlap_nms(ground, ["small"] * 3, ["sphere"] * 3, np.array([0.6, 0.9, 0.99]))
    assert sorted(keep.tolist()) == [1, 2]
    # the closest CLEVR allows: centres r_i + r_j + 0.25 apart, for every size and shape pair
    for a, b in [("small", "small"), ("large", "large"), ("large", "small")]:
        for sa, sb in [("cube", "cube"), ("sphere", "cylinder"), ("cube", "sphere")]:
            d = footprint_radius(a, sa) + footprint_radius(b, sb) + 0.25
            keep = solid_overlap_nms(np.array([[0.0, 0.0], [0.0, d]]), [a, b], [sa, sb], np.array([0.9, 0.8]))
            assert len(keep) == 2, (a, b, sa, sb)
    assert solid_overlap_nms(np.zeros((0, 2)), [], [], np.zeros(0)).tolist() == []


def test_solid_overlap_nms_keeps_every_annotated_object_of_the_training_scenes(clevr_scenes):
    from vqa.perception.clevr.geometry import solid_overlap_nms

    for g in _train(clevr_scenes):
        sizes = [o.attributes["size"] for o in g.objects]
        ground = pixel_to_ground(np.array([o.pixel[:2] for o in g.objects]), sizes)
        keep = solid_overlap_nms(ground, sizes, [o.attributes["shape"] for o in g.objects], np.ones(len(sizes)))
        assert len(keep) == len(sizes), g.image_filename


def test_hidden_part_nms_drops_a_same_coloured_patch_behind_a_nearer_object():
    from vqa.perception.clevr.geometry import hidden_part_nms

    cube = [100.0, 100.0, 200.0, 200.0]  # a large cube, nearest the camera
    patch = [110.0, 105.0, 140.0, 135.0]  # inside its box
    red, green = np.eye(8)[1], np.eye(8)[3]
    boxes, scores = np.array([cube, patch]), np.array([1.0, 0.7])
    # the patch is farther away and has the cube's colour: a highlight on the cube
    assert hidden_part_nms(boxes, np.array([10.0, 12.0]), np.stack([red, red]), scores).tolist() == [0]
    # another colour: an object behind, seen past the cube's silhouette
    assert sorted(hidden_part_nms(boxes, np.array([10.0, 12.0]), np.stack([red, green]), scores).tolist()) == [0, 1]
    # nearer than the cube: an object in front of it
    assert sorted(hidden_part_nms(boxes, np.array([10.0, 9.0]), np.stack([red, red]), scores).tolist()) == [0, 1]
    # half outside the cube's box
    out = np.array([cube, [180.0, 105.0, 220.0, 135.0]])
    assert sorted(hidden_part_nms(out, np.array([10.0, 12.0]), np.stack([red, red]), scores).tolist()) == [0, 1]
    # the better score decides which one is the object
    assert hidden_part_nms(boxes, np.array([10.0, 12.0]), np.stack([red, red]), np.array([0.6, 0.9])).tolist() == [1, 0]
    # a confident detection is an object of its own, even behind a same-coloured one
    sure = np.array([1.0, 0.95])
    assert sorted(hidden_part_nms(boxes, np.array([10.0, 12.0]), np.stack([red, red]), sure).tolist()) == [0, 1]
    assert hidden_part_nms(boxes, np.array([10.0, 12.0]), np.stack([red, red]), sure, max_score=1.0).tolist() == [0]
    assert hidden_part_nms(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 8)), np.zeros(0)).tolist() == []
