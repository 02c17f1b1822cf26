"""The object library's 30+ categories (issue #15).

Every category and every variant builds watertight, metric, centred and
textured; anchors sit on the surface or on a bar's axis; the prompt nouns name
the new categories; and the compose generator stages one interaction with each
new category, measured as the configuration asked for.

Objects are built once per module (~10 s); the compose cases are generated
lazily, once each (~1–3 s per asset on one core).
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from hoiexport.sdk.core.types import ContactConfig
from hoiexport.sdk.generators.base import GenerationOptions
from hoiexport.sdk.generators.compose.objects import DIM_RANGES, OBJECT_CATEGORIES, VARIANTS, make_object
from hoiexport.sdk.generators.compose.objects.containers import BOX_SIZES
from hoiexport.sdk.generators.compose.objects.library import BUILDERS
from hoiexport.sdk.generators.registry import get_generator
from hoiexport.sdk.prompt.resolve import resolve_prompt

ORIGINAL = ("backpack", "bag", "ball", "bench", "bin", "bottle", "box", "briefcase", "chair", "mug", "stool",
            "suitcase", "table")
NEW = ("sword", "axe", "shield", "umbrella", "guitar", "skateboard", "scooter", "phone", "book", "cup", "bucket",
       "broom", "barrel", "crate", "lamp", "keyboard", "monitor", "toolbox", "container", "mat")
SEEDS = (0, 1, 2)
TOL = 1e-3  # metres of slack on the documented ranges
SURFACE_M = 0.01  # an anchor on the surface is at most this far from it

AXIS_ANCHORS: dict[tuple[str, str], str | float] = {
    ("ball", "center"): "radius",
    ("bottle", "grip"): "grip_radius",
    ("bottle", "neck"): "body_radius",
    ("mug", "handle"): "handle_bar_radius",
    ("suitcase", "handle"): "handle_bar_radius",
    ("suitcase", "trolley_handle"): 0.0175,
    ("briefcase", "handle"): "handle_bar_radius",
    ("backpack", "handle"): 0.007,
    ("bag", "handle"): "handle_bar_radius",
    ("bin", "handle"): 0.011,
    ("chair", "backrest_top"): "backrest_bar_radius",
    ("sword", "grip"): "grip_radius",
    ("axe", "grip"): "grip_radius",
    ("axe", "grip_low"): "grip_radius",
    ("umbrella", "grip"): "grip_radius",
    ("broom", "grip"): "grip_radius",
    ("broom", "grip_low"): "grip_radius",
    ("lamp", "grip"): "grip_radius",
    ("guitar", "grip"): "grip_radius",
    ("guitar", "neck"): "grip_radius",
    ("phone", "grip"): "grip_radius",
    ("book", "grip"): "grip_radius",
    ("book", "spine"): "grip_radius",
    ("mat", "grip"): "grip_radius",
    ("bucket", "handle"): "handle_bar_radius",
    ("toolbox", "handle"): "handle_bar_radius",
    ("shield", "handle"): "handle_bar_radius",
    ("scooter", "handle"): "handle_bar_radius",
    ("scooter", "handlebar_left"): 0.016,
    ("scooter", "handlebar_right"): 0.016,
}
"""(category, anchor) → the dims key of its bar's radius (or the radius, metres):
points on a bar's axis, inside the object no deeper than that radius. Where the
variant has no such dims key, the anchor must lie on the surface instead."""

OFF_SURFACE: dict[tuple[str, str, str | None], str] = {
    ("bin", "top", "open"): "an open wastebasket's top is its opening",
    ("bag", "handle", "tote"): "a tote's hand goes between its two straps",
    ("backpack", "back_panel", None): "the nominal back plane; the rounded top bulges behind it "
                                       "(`_wear_back` uses what sticks out beyond it)",
}
"""(category, anchor, style variant or None for every one) → why that anchor is not on the surface."""

KEYS = ([(c, None, s) for c in NEW for s in SEEDS] + [(c, None, 0) for c in ORIGINAL]
        + [(c, v, 0) for c in OBJECT_CATEGORIES for v in VARIANTS[c]])


@pytest.fixture(scope="module")
def objects():
    return {key: make_object(key[0], np.random.default_rng(key[2]), variant=key[1]) for key in KEYS}


def _tm(obj) -> trimesh.Trimesh:
    return trimesh.Trimesh(obj.mesh.vertices.astype(np.float64), obj.mesh.faces, process=False)


def test_thirty_categories_each_with_its_own_builder():
    assert len(OBJECT_CATEGORIES) >= 30
    assert set(OBJECT_CATEGORIES) == set(ORIGINAL) | set(NEW)
    assert set(DIM_RANGES) == set(OBJECT_CATEGORIES) == set(VARIANTS)
    assert len(set(BUILDERS.values())) == len(BUILDERS)  # no category borrows another's builder
    # BEHAVE's objects: boxes in five sizes, chairs, tables, a yoga ball, a trash bin, a basketball
    assert set(BOX_SIZES) == {"tiny", "small", "medium", "large", "huge"} <= set(VARIANTS["box"])
    assert {"folding", "office"} <= set(VARIANTS["chair"]) and {"square", "small"} <= set(VARIANTS["table"])
    assert {"yoga", "basketball"} <= set(VARIANTS["ball"]) and "lidded" in VARIANTS["bin"]


@pytest.mark.parametrize("category", OBJECT_CATEGORIES)
def test_every_variant_is_watertight_metric_centred_and_textured(objects, category):
    for key in [k for k in KEYS if k[0] == category]:
        obj = objects[key]
        obj.mesh.validate()
        tm = _tm(obj)
        assert tm.is_watertight and tm.is_winding_consistent and tm.volume > 0, key
        assert len(tm.split(only_watertight=False)) == 1, key
        lo, hi = obj.mesh.vertices.min(axis=0), obj.mesh.vertices.max(axis=0)
        assert abs(lo[1]) < 1e-5 and abs(lo[0] + hi[0]) < 1e-5 and abs(lo[2] + hi[2]) < 1e-5, key
        ext = hi - lo
        measured = {"width": ext[0], "height": ext[1], "depth": ext[2]}
        for name, (a, b) in DIM_RANGES[category].items():
            value = measured.get(name, obj.dims.get(name))
            assert value is not None and a - TOL <= value <= b + TOL, (key, name, value, (a, b))
        m = obj.mesh
        assert m.uv is not None and m.uv.shape == (len(m.vertices), 2) and (m.uv >= 0).all() and (m.uv <= 1).all()
        assert m.texture is not None and m.texture.image.shape == (256, 256, 3) and m.texture.image.std() > 1.0
        assert next(iter(obj.materials)) == "main" and obj.kind in ("held", "support", "floor"), key
        for name, a in obj.anchors.items():
            assert abs(np.linalg.norm(a.normal) - 1) < 1e-9 and abs(np.linalg.norm(a.axis) - 1) < 1e-9
            if name.endswith("_left"):
                assert a.point[0] > 0, (key, name)
            if name.endswith("_right"):
                assert a.point[0] < 0, (key, name)


@pytest.mark.parametrize("category", OBJECT_CATEGORIES)
def test_anchors_lie_on_the_surface_or_on_a_bar_axis(objects, category):
    for key in [k for k in KEYS if k[0] == category]:
        obj = objects[key]
        tm = _tm(obj)
        names = list(obj.anchors)
        points = np.array([obj.anchors[n].point for n in names])
        _, dist, _ = trimesh.proximity.closest_point(tm, points)
        inside = tm.contains(points)
        for name, d, ins in zip(names, dist, inside, strict=True):
            if (category, name, obj.style.get("variant")) in OFF_SURFACE or (category, name, None) in OFF_SURFACE:
                continue
            radius = AXIS_ANCHORS.get((category, name))
            r = obj.dims.get(radius) if isinstance(radius, str) else radius
            if r is not None and d > SURFACE_M / 2:  # on a bar's axis: inside, no deeper than the bar
                assert ins and d <= r + 0.003, (key, name, d, r)
            else:
                assert d <= SURFACE_M, (key, name, d)


def test_variants_shape_the_object(objects):
    volumes = [_tm(make_object("box", 0, variant=size)).volume for size in BOX_SIZES]
    assert volumes == sorted(volumes) and volumes[-1] > 50 * volumes[0]
    assert "size" not in make_object("box", 0).style  # the seeded box is as before
    assert objects["chair", "office", 0].style["legs"] == "five-star"
    assert objects["chair", "folding", 0].style["back"] == "folding"
    assert objects["table", "small", 0].dims["width"] < objects["table", "square", 0].dims["width"]
    assert objects["table", "square", 0].dims["width"] == pytest.approx(objects["table", "square", 0].dims["depth"])
    assert 0.275 <= objects["ball", "yoga", 0].dims["radius"] <= 0.375
    assert objects["umbrella", "open", 0].dims["width"] > 5 * objects["umbrella", "closed", 0].dims["width"]
    assert make_object("umbrella", 3).style["variant"] == "closed" and make_object("lamp", 3).style["variant"] == "floor"
    assert objects["lamp", "table", 0].dims["height"] < 0.7 < objects["lamp", "floor", 0].dims["height"]
    assert objects["mat", "rolled", 0].kind == "held" and objects["mat", "flat", 0].kind == "floor"
    assert objects["skateboard", "longboard", 0].dims["width"] > objects["skateboard", "street", 0].dims["width"]
    assert objects["guitar", "acoustic", 0].dims["body_depth"] > 2 * objects["guitar", "electric", 0].dims["body_depth"]
    # the sword stands on its pommel, blade up; its grip is low, its tip at the top
    sword = objects["sword", None, 0]
    assert sword.anchors["grip"].point[1] < 0.3 < sword.dims["height"] - 0.05 < sword.anchors["tip"].point[1]
    # a skateboard's deck is where both feet go: its top is the deck's top, between the kicks
    board = objects["skateboard", None, 0]
    assert 0.09 < board.anchors["top"].point[1] < 0.14 and board.kind == "support"
    # kinds: worn / carried props are held, seats support, floor things stay on the floor
    assert {objects[c, None, 0].kind for c in ("sword", "phone", "crate", "bucket")} == {"held"}
    assert objects["barrel", None, 0].kind == "support" and objects["scooter", None, 0].kind == "floor"


NOUNS = [
    ("A man holding a sword in his right hand", "sword", None),
    ("A samurai holding a katana", "sword", "katana"),
    ("A knight holding a longsword", "sword", "longsword"),
    ("A man holding a blade", "sword", None),
    ("A man holding an axe", "axe", None),
    ("A man carrying an ax", "axe", None),
    ("A man holding a hatchet", "axe", "hatchet"),
    ("A knight holding a shield", "shield", None),
    ("A man holding a round shield", "shield", "round"),
    ("A man holding a kite shield", "shield", "heater"),
    ("A woman holding an umbrella", "umbrella", None),
    ("A woman holding a parasol", "umbrella", "open"),
    ("A man holding a closed umbrella", "umbrella", "closed"),
    ("A man holding a guitar", "guitar", None),
    ("A man holding an electric guitar", "guitar", "electric"),
    ("A man holding an acoustic guitar", "guitar", "acoustic"),
    ("A boy standing on a skateboard", "skateboard", None),
    ("A boy standing on a longboard", "skateboard", "longboard"),
    ("A boy pushing a kick scooter", "scooter", None),
    ("A man holding a cellphone", "phone", None),
    ("A man holding a smartphone", "phone", None),
    ("A man holding a cell phone", "phone", None),
    ("A man holding a mobile phone", "phone", None),
    ("A woman holding a book", "book", None),
    ("A woman holding a paperback", "book", "paperback"),
    ("A woman holding a hardcover book", "book", "hardcover"),
    ("A woman holding a cup", "cup", None),
    ("A woman holding a paper cup", "cup", "paper"),
    ("A woman holding a coffee cup", "cup", "takeaway"),
    ("A man holding a teacup", "mug", None),
    ("A woman carrying a bucket", "bucket", None),
    ("A woman carrying a pail", "bucket", "metal"),
    ("A man holding a broom", "broom", None),
    ("A man sitting on a barrel", "barrel", None),
    ("A man sitting on an oil drum", "barrel", "drum"),
    ("A man lifts a keg", "barrel", "wooden"),
    ("A woman lifts a crate", "crate", None),
    ("A woman lifts a wooden box", "box", "crate"),
    ("A man pushing a lamp", "lamp", None),
    ("A man pushing a floor lamp", "lamp", "floor"),
    ("A man holding a desk lamp", "lamp", "table"),
    ("A man holding a keyboard", "keyboard", None),
    ("A man carrying a computer monitor", "monitor", None),
    ("A man carrying a toolbox", "toolbox", None),
    ("A man carrying a tool box", "toolbox", None),
    ("A woman holding a plastic container", "container", None),
    ("A woman holding a lunch box", "container", None),
    ("A woman standing on a yoga mat", "mat", None),
    ("A woman carrying a rolled yoga mat", "mat", "rolled"),
    ("A boy kicks a basketball", "ball", "basketball"),
    ("A girl sits on an exercise ball", "ball", "yoga"),
    ("A girl sits on a yoga ball", "ball", "yoga"),
    ("A man carrying a tiny box", "box", "tiny"),
    ("A man carrying a small box", "box", "small"),
    ("A man carrying a medium box", "box", "medium"),
    ("A man carrying a large box", "box", "large"),
    ("A man carrying a big box", "box", "large"),
    ("A man carrying a huge box", "box", "huge"),
    ("A man sits on an office chair", "chair", "office"),
    ("A man sits on a folding chair", "chair", "folding"),
    ("A man stands next to a square table", "table", "square"),
    ("A man stands next to a small table", "table", "small"),
    ("A woman pushes a trash bin", "bin", "lidded"),
    ("A man in a phone booth holding a cup", "cup", None),  # "phone booth" is no phone
    ("A sword fighter holding a shield", "shield", None),
]


@pytest.mark.parametrize(("text", "category", "variant"), NOUNS, ids=[t for t, _, _ in NOUNS])
def test_new_nouns_parse_to_their_category(text, category, variant):
    p = resolve_prompt(text)
    assert (p.object, p.attributes["object_variant"]) == (category, variant)
    assert p.object in OBJECT_CATEGORIES and (variant is None or variant in VARIANTS[p.object])


def test_noun_implied_materials_and_variants_reach_the_object():
    p = resolve_prompt("A woman holding a plastic container with both hands")
    assert p.attributes["material"] == "plastic"
    obj = make_object(p.object, 0, material=p.attributes["material"], variant=p.attributes["object_variant"])
    assert obj.category == "container" and obj.materials["main"].kind == "plastic"
    p = resolve_prompt("A man carrying a tiny box in his right hand")
    assert make_object(p.object, 0, variant=p.attributes["object_variant"]).style["size"] == "tiny"
    p = resolve_prompt("A man sits on a wooden chair")  # a material word, not a variant: the default chair is wooden
    assert (p.object, p.attributes["material"]) == ("chair", "wood")


# --------------------------------------------------------------------------- compose

CASES = [
    ("sword", "A man holding a sword in his right hand", ContactConfig.RIGHT_HAND, "hold_one", "wrap"),
    ("axe", "A man holding an axe in his right hand", ContactConfig.RIGHT_HAND, "hold_one", "wrap"),
    ("shield", "A knight carrying a shield in his left hand", ContactConfig.LEFT_HAND, "hold_one", "hook"),
    ("umbrella", "A woman holding an umbrella in her right hand", ContactConfig.RIGHT_HAND, "hold_one", "wrap"),
    ("guitar", "A man carrying a guitar on his back", ContactConfig.BACK, "wear_back", None),
    ("skateboard", "A boy standing on a skateboard", ContactConfig.OTHER, "stand_on", None),
    ("phone", "A woman holding a phone in her right hand", ContactConfig.RIGHT_HAND, "hold_one", "wrap"),
    ("book", "A man holding a book in his right hand", ContactConfig.RIGHT_HAND, "hold_one", "wrap"),
    ("cup", "A woman holding a cup in her right hand", ContactConfig.RIGHT_HAND, "hold_one", "wrap"),
    ("bucket", "A woman carrying a bucket in her right hand", ContactConfig.RIGHT_HAND, "hold_one", "hook"),
    ("broom", "A woman holding a broom in her right hand", ContactConfig.RIGHT_HAND, "hold_one", "wrap"),
    ("barrel", "A man sitting on a barrel", ContactConfig.OTHER, "sit", None),
    ("crate", "A man carrying a crate with both hands", ContactConfig.BOTH_HANDS, "hold_two", "press"),
    ("lamp", "A man pushing a lamp with his right hand", ContactConfig.RIGHT_HAND, "reach_one", "press"),
    ("scooter", "A boy pulling a scooter", ContactConfig.RIGHT_HAND, "reach_one", "hook"),
    ("keyboard", "A man holding a keyboard with both hands", ContactConfig.BOTH_HANDS, "hold_two", "press"),
    ("monitor", "A man carrying a monitor with both hands", ContactConfig.BOTH_HANDS, "hold_two", "press"),
    ("toolbox", "A man carrying a toolbox in his right hand", ContactConfig.RIGHT_HAND, "hold_one", "hook"),
    ("container", "A woman holding a plastic container with both hands", ContactConfig.BOTH_HANDS, "hold_two",
     "press"),
    ("mat", "A woman standing on a yoga mat", ContactConfig.OTHER, "stand_on", None),
    # BEHAVE's variants of the original categories
    ("ball", "A boy kicking a basketball", ContactConfig.RIGHT_LEG, "foot", None),
    ("ball", "A girl sitting on a yoga ball", ContactConfig.OTHER, "sit", None),
    ("box", "A man holding a tiny box in his right hand", ContactConfig.RIGHT_HAND, "hold_one", "support"),
    ("chair", "A man sitting on an office chair", ContactConfig.OTHER, "sit", None),
    ("chair", "A man leaning against a folding chair", ContactConfig.BACK, "lean_back", None),
]
"""(category, prompt, configuration, staging mode, grip) — one interaction per new category."""

EFFECTORS = {
    ContactConfig.RIGHT_HAND: ("right_hand",),
    ContactConfig.LEFT_HAND: ("left_hand",),
    ContactConfig.BOTH_HANDS: ("right_hand", "left_hand"),
    ContactConfig.BACK: ("back",),
    ContactConfig.RIGHT_LEG: ("right_foot",),
}


class _Generated(dict):
    """Prompt text → its compose asset (seed 0), generated on first use."""

    def __missing__(self, text: str):
        asset = get_generator("compose")(resolve_prompt(text), 0, GenerationOptions())
        self[text] = asset
        return asset


@pytest.fixture(scope="module")
def generated() -> _Generated:
    return _Generated()


def test_every_new_category_has_a_compose_case():
    assert set(NEW) <= {c for c, *_ in CASES}


@pytest.mark.parametrize(("category", "text", "config", "mode", "grip"), CASES, ids=[c[1] for c in CASES])
def test_compose_stages_the_category_as_asked(generated, category, text, config, mode, grip):
    asset = generated[text]
    notes = asset.provenance.notes
    assert asset.prompt.object == category and notes["object"]["category"] == category
    assert asset.prompt.requested_config is config
    assert asset.contact_config is config, [(c.part, round(c.distance_m, 3)) for c in asset.contacts]
    assert asset.penetration.max_depth_cm <= 0.5
    touching = {c.part: c.distance_m for c in asset.contacts}
    for part in EFFECTORS.get(config, ()):
        assert touching.get(part, 1.0) <= 0.01, (part, touching)
    if config is ContactConfig.OTHER:
        assert min(touching.values()) <= 0.01
    assert notes["mode"] == mode
    if grip is not None:
        assert notes["staging"]["grip"] == grip
    assert asset.object.vertices[:, 1].min() >= -0.005
