"""The procedural object library: watertight, metric, seeded, textured objects."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from hoiexport.sdk.generators.compose.objects import (
    DIM_RANGES,
    OBJECT_CATEGORIES,
    VARIANTS,
    make_object,
)
from hoiexport.sdk.generators.compose.objects.materials import atlas_layout
from hoiexport.sdk.prompt.parse import parse_prompt
from hoiexport.sdk.core.errors import InputError

SEEDS = (0, 1, 2)
TOL = 1e-3  # metres of slack on the documented ranges


@pytest.fixture(scope="module")
def objects():
    return {(c, s): make_object(c, np.random.default_rng(s)) for c in OBJECT_CATEGORIES for s in SEEDS}


def _tm(obj) -> trimesh.Trimesh:
    return trimesh.Trimesh(obj.mesh.vertices, obj.mesh.faces, process=False)


def _main_tile_mean(obj) -> np.ndarray:
    r0, c0, side = atlas_layout(len(obj.materials))[0]
    return obj.mesh.texture.image[r0 : r0 + side, c0 : c0 + side].reshape(-1, 3).mean(axis=0)


def test_at_least_twelve_categories():
    assert len(OBJECT_CATEGORIES) >= 12
    assert set(OBJECT_CATEGORIES) >= {"chair", "stool", "table", "box", "suitcase", "briefcase", "backpack",
                                      "ball", "bottle", "mug", "bin", "bag", "bench"}
    assert set(DIM_RANGES) == set(OBJECT_CATEGORIES) == set(VARIANTS)


@pytest.mark.parametrize("category", OBJECT_CATEGORIES)
def test_watertight_finite_single_shell(objects, category):
    for s in SEEDS:
        obj = objects[category, s]
        obj.mesh.validate()
        tm = _tm(obj)
        assert tm.is_watertight and tm.is_winding_consistent, (category, s)
        assert tm.volume > 0, (category, s)
        assert len(tm.split(only_watertight=False)) == 1, (category, s)
        assert np.isfinite(obj.mesh.vertices).all()
        # resting on the floor, centred in x / z
        lo, hi = obj.mesh.vertices.min(axis=0), obj.mesh.vertices.max(axis=0)
        assert abs(lo[1]) < 1e-5
        assert abs(lo[0] + hi[0]) < 1e-5 and abs(lo[2] + hi[2]) < 1e-5


@pytest.mark.parametrize("category", OBJECT_CATEGORIES)
def test_sizes_within_documented_ranges(objects, category):
    for s in SEEDS:
        obj = objects[category, s]
        ext = obj.mesh.vertices.max(axis=0) - obj.mesh.vertices.min(axis=0)
        measured = {"width": ext[0], "height": ext[1], "depth": ext[2]}
        for name, (lo, hi) in DIM_RANGES[category].items():
            value = measured.get(name, obj.dims[name])
            assert lo - TOL <= value <= hi + TOL, (category, s, name, value, (lo, hi))


@pytest.mark.parametrize("category", OBJECT_CATEGORIES)
def test_uv_and_texture(objects, category):
    obj = objects[category, 0]
    m = obj.mesh
    assert m.uv is not None and m.uv.shape == (len(m.vertices), 2)
    assert (m.uv >= 0).all() and (m.uv <= 1).all()
    assert m.texture.image.shape == (256, 256, 3)
    assert m.texture.image.std() > 1.0  # a real pattern, not a flat fill
    assert obj.materials and next(iter(obj.materials)) == "main"


def test_seeds_change_dims(objects):
    for category in OBJECT_CATEGORIES:
        dims = [objects[category, s].dims for s in SEEDS]
        assert dims[0] != dims[1] and dims[1] != dims[2], category


def test_same_seed_same_mesh_and_colour_word_changes_only_colours(objects):
    for category in OBJECT_CATEGORIES:
        base = objects[category, 0]
        red = make_object(category, np.random.default_rng(0), color="red")
        # same seed → identical geometry and uv, whatever the colour
        assert np.array_equal(red.mesh.vertices, base.mesh.vertices), category
        assert np.array_equal(red.mesh.faces, base.mesh.faces), category
        assert np.array_equal(red.mesh.uv, base.mesh.uv), category
        assert red.dims == base.dims and red.style == base.style
        # ... and the colour word recolours the main material
        assert not np.array_equal(red.mesh.texture.image, base.mesh.texture.image), category
        r, g, b = _main_tile_mean(red)
        assert r > 1.5 * g and r > 1.5 * b, (category, (r, g, b))


@pytest.mark.parametrize("category", ["chair", "ball", "suitcase"])
def test_same_seed_same_texture(objects, category):
    again = make_object(category, np.random.default_rng(0))
    assert np.array_equal(again.mesh.texture.image, objects[category, 0].mesh.texture.image)
    assert np.array_equal(again.mesh.vertices, objects[category, 0].mesh.vertices)


def test_colour_names_rgb_and_materials():
    silver = make_object("suitcase", 3, color="silver")
    dark = make_object("suitcase", 3, color="dark green")
    assert _main_tile_mean(silver).mean() > 150
    g = _main_tile_mean(dark)
    assert g[1] > g[0] and g[1] > g[2] and g.mean() < 80
    rgb = make_object("mug", 3, color=(10, 200, 30))
    assert rgb.materials["main"].color == (10, 200, 30)
    wooden = make_object("box", 3, material="wooden", variant="storage")
    leather = make_object("box", 3, material="leather", variant="storage")
    assert wooden.materials["main"].kind == "wood" and leather.materials["main"].kind == "leather"
    # leather is darker than wood, and the wood tile has grain (variation across v)
    assert _main_tile_mean(leather).mean() < _main_tile_mean(wooden).mean()
    tile = wooden.mesh.texture.image[:128, :128].astype(float).mean(axis=2)
    assert tile.mean(axis=1).std() > 3.0


def test_anchors(objects):
    for (category, s), obj in objects.items():
        for name, a in obj.anchors.items():
            assert a.point.shape == (3,) and np.isfinite(a.point).all()
            assert abs(np.linalg.norm(a.normal) - 1) < 1e-9 and abs(np.linalg.norm(a.axis) - 1) < 1e-9
            if name.endswith("_left"):
                assert a.point[0] > 0, (category, name)  # left = +X
            if name.endswith("_right"):
                assert a.point[0] < 0, (category, name)
    required = {"chair": {"seat", "backrest"}, "bench": {"seat", "backrest"}, "stool": {"seat"},
                "table": {"top"}, "box": {"top", "side_left", "side_right"}, "ball": {"center"},
                "suitcase": {"handle", "trolley_handle"}, "briefcase": {"handle"}, "bag": {"handle"},
                "backpack": {"handle"}, "mug": {"handle"}, "bottle": {"grip"}}
    for category, names in required.items():
        assert names <= set(objects[category, 0].anchors), category


def test_anchor_points_sit_on_the_surface(objects):
    for s in SEEDS:
        for category, name in (("chair", "seat"), ("bench", "seat"), ("stool", "seat"), ("table", "top"),
                               ("box", "top"), ("chair", "backrest"), ("bench", "backrest")):
            obj = objects[category, s]
            a = obj.anchors[name]
            # a ray shot back along the normal from 2 cm outside hits the surface at the anchor
            hits, _, _ = _tm(obj).ray.intersects_location([a.point + 0.02 * a.normal], [-a.normal])
            first = np.linalg.norm(hits - (a.point + 0.02 * a.normal), axis=1).min()
            assert abs(first - 0.02) < 0.004, (category, name, s, first)
        for category in ("suitcase", "briefcase", "mug", "backpack"):
            obj = objects[category, s]
            a = obj.anchors["handle"]
            _, dist, _ = trimesh.proximity.closest_point(_tm(obj), a.point[None])
            bar = obj.dims.get("handle_bar_radius", 0.007)
            assert dist[0] < bar + 0.004, (category, s, dist[0])
        assert abs(objects["chair", s].anchors["seat"].point[1] - objects["chair", s].dims["seat_height"]) < 1e-6


def test_action_and_variant_shape_the_object():
    carried = make_object("suitcase", 5, action="carry")
    dragged = make_object("suitcase", 5, action="drag")
    assert dragged.style["trolley"] == "extended" and carried.style["trolley"] == "retracted"
    assert dragged.anchors["trolley_handle"].point[1] > carried.anchors["handle"].point[1] + 0.2
    assert 0.95 - TOL <= dragged.dims["height"] <= 1.10 + TOL
    assert make_object("ball", 0, variant="basketball").dims["radius"] > make_object("ball", 0, variant="volleyball").dims["radius"]
    assert make_object("stool", 0, variant="bar").dims["seat_height"] > 0.62
    assert make_object("table", 0, variant="coffee").dims["height"] < 0.5
    assert "armrest_left" in make_object("chair", 0, variant="armchair").anchors
    # the mug's handle sticks out on +X
    mug = make_object("mug", 0)
    assert mug.anchors["handle"].point[0] > mug.dims["mug_radius"]


def test_lexicon_and_library_agree():
    from hoiexport.sdk.prompt import lexicon

    assert {w.category for w in lexicon.OBJECT_WORDS.values()} == set(OBJECT_CATEGORIES)
    for phrase, word in lexicon.OBJECT_WORDS.items():
        assert word.variant is None or word.variant in VARIANTS[word.category], phrase
        assert word.material is None or word.material in lexicon.MATERIALS, phrase


def test_prompt_attributes_drive_the_object():
    p = parse_prompt("A girl holds a dark green leather bag")
    obj = make_object(p.object, 0, color=p.attributes["colors"]["object"], material=p.attributes["material"],
                      variant=p.attributes["object_variant"], action=p.action)
    assert obj.category == "bag" and obj.materials["main"].kind == "leather"
    assert obj.materials["main"].color == tuple(p.attributes["colors"]["object"])
    p = parse_prompt("A boy kicks a basketball")
    ball = make_object(p.object, 0, variant=p.attributes["object_variant"])
    assert ball.style["variant"] == "basketball" and 0.117 <= ball.dims["radius"] <= 0.122


def test_bad_inputs():
    with pytest.raises(InputError, match=r"unknown object category 'chiar'.*closest match: 'chair'"):
        make_object("chiar", 0)
    with pytest.raises(InputError, match="unknown colour 'redd'.*'red'"):
        make_object("box", 0, color="redd")
    with pytest.raises(InputError, match="sRGB"):
        make_object("box", 0, color=(300, 0, 0))
    with pytest.raises(InputError, match="unknown material 'velcro'"):
        make_object("box", 0, material="velcro")
    with pytest.raises(InputError, match="rng"):
        make_object("box", "seed")
