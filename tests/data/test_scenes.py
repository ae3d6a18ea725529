"""Tests for the CLEVR scene sampler."""
import math
import random

import numpy as np
import pytest

from vqa.graph.io import scene_from_clevr, scene_to_clevr
from vqa.graph.relations import DEFAULT_DIRECTIONS, clevr_relations
from vqa.data.scenes import (COLORS, IMAGE_HEIGHT, IMAGE_WIDTH, MATERIALS, SHAPES, SIZES, project_to_pixel,
                             sample_scene, sample_scenes)


@pytest.fixture(scope="module")
def scenes():
    return sample_scenes(200, seed=0)


def test_sample_scenes_object_count_in_range(scenes):
    counts = [len(s) for s in scenes]
    assert min(counts) >= 3 and max(counts) <= 10
    assert len(set(counts)) == 8  # every count 3..10 occurs in 200 scenes


def test_sample_scene_respects_custom_count_range():
    rng = random.Random(1)
    assert all(4 <= len(sample_scene(rng, 4, 5)) <= 5 for _ in range(20))


def test_sample_scenes_attributes_are_clevr_values(scenes):
    for s in scenes:
        for o in s.objects:
            a = o.attributes
            assert a["color"] in COLORS and a["shape"] in SHAPES and a["material"] in MATERIALS
            assert a["size"] in SIZES and o.name == a["shape"]
            x, y, z = o.position
            assert -3 <= x <= 3 and -3 <= y <= 3 and z == SIZES[a["size"]]
            assert 0 <= o.extra["rotation"] < 360
            assert 0 <= o.pixel[0] < IMAGE_WIDTH and 0 <= o.pixel[1] < IMAGE_HEIGHT


def test_sample_scenes_spacing_and_margin(scenes):
    left, front = DEFAULT_DIRECTIONS["left"], DEFAULT_DIRECTIONS["front"]
    for s in scenes:
        objs = s.objects
        for i in range(len(objs)):
            for j in range(i + 1, len(objs)):
                (x1, y1, r1), (x2, y2, r2) = objs[i].position, objs[j].position
                dx, dy = x2 - x1, y2 - y1
                assert math.hypot(dx, dy) - r1 - r2 >= 0.25
                for d in (left, front):
                    assert abs(dx * d[0] + dy * d[1]) >= 0.4


def test_sample_scenes_relations_match_clevr_relations(scenes):
    for s in scenes:
        expected = clevr_relations(np.array([o.position for o in s.objects]), eps=0.2)
        assert sorted(s.relations, key=repr) == sorted(expected, key=repr)


def test_sample_scenes_deterministic_with_seed():
    a, b, c = sample_scenes(5, seed=3), sample_scenes(5, seed=3), sample_scenes(5, seed=4)
    assert [scene_to_clevr(s) for s in a] == [scene_to_clevr(s) for s in b]
    assert [scene_to_clevr(s) for s in a] != [scene_to_clevr(s) for s in c]


def test_sample_scene_accepts_numpy_generator():
    s = sample_scene(np.random.default_rng(0), image_index=7)
    assert 3 <= len(s) <= 10 and s.image_filename == "GEN_000007.png" and s.image_index == 7


def test_sample_scene_round_trips_through_clevr_format(scenes):
    s = scenes[0]
    back = scene_from_clevr(scene_to_clevr(s))
    assert sorted(back.relations, key=repr) == sorted(s.relations, key=repr)
    assert [o.attributes for o in back.objects] == [o.attributes for o in s.objects]


def test_project_to_pixel_close_to_clevr_annotation():
    # First object of CLEVR_train_000000: 3d_coords -> pixel_coords [269, 88, 12.66].
    u, v, depth = project_to_pixel([-1.3705521821975708, 2.0794010162353516, 0.699999988079071])
    assert abs(u - 269) <= 5 and abs(v - 88) <= 5 and abs(depth - 12.66) < 1.0
