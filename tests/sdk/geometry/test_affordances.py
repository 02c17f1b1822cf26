"""Affordances found on any mesh (`sdk.geometry.affordances`).

Two oracles: meshes built here from trimesh primitives (a mug, a stool, a wall,
a cube, a can, a hollow cup, an open box, a table) whose handle, seat, lean
faces, two-hand points, grip, rim and edges are known by construction; and the
procedural library's hand-written anchors (the 13 original categories, 3 seeds,
every shape variant they have), which `Affordances.anchors` must find within
2 cm and 30°.

Tolerances that differ from 2 cm / 30°, and why (`_CONVENTIONS`):

- side_left / side_right: the height on a vertical side is a convention of
  each builder (half the height of a carton, under a storage box's lid, at a
  crate's hand hole, 0.7 of a bin's height), not geometry; the point must
  lie on the same side face (horizontal distance <= 2 cm, normal <= 30°),
  at any height within the object.
- seat of the office chair: the builder centres the cushion at z = +2 cm but
  leaves the anchor at z = 0, so the cushion's centre is 2.0–2.1 cm from it;
  compared within 3 cm.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import trimesh

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh
from hoiexport.sdk.geometry.affordances import (
    ANCHOR_NAMES,
    AffordanceOptions,
    Affordances,
    find_affordances,
)

# --------------------------------------------------------------------------- meshes built here


def _mesh(tm: trimesh.Trimesh, name: str) -> Mesh:
    """A trimesh solid moved to rest on y = 0 with its box centred on x = z = 0."""
    lo, hi = tm.bounds
    tm = tm.copy()
    tm.apply_translation([-(lo[0] + hi[0]) / 2, -lo[1], -(lo[2] + hi[2]) / 2])
    return Mesh(np.asarray(tm.vertices, np.float32), np.asarray(tm.faces, np.int32), name=name)


def _cylinder(radius: float, height: float, at: tuple[float, float, float] = (0.0, 0.0, 0.0),
              sections: int = 48) -> trimesh.Trimesh:
    """A cylinder along +Y with its base centre at `at`."""
    c = trimesh.creation.cylinder(radius=radius, height=height, sections=sections)
    c.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
    c.apply_translation(np.asarray(at) + [0.0, height / 2, 0.0])
    return c


def _box(extents: tuple[float, float, float], centre: tuple[float, float, float]) -> trimesh.Trimesh:
    b = trimesh.creation.box(extents=extents)
    b.apply_translation(centre)
    return b


def _union(*parts: trimesh.Trimesh) -> trimesh.Trimesh:
    return trimesh.boolean.union(list(parts), engine="manifold")


@pytest.fixture(scope="module")
def mug() -> tuple[Mesh, np.ndarray]:
    """A 4 cm × 10 cm cylinder with a vertical torus handle (ring radius 3 cm, bar radius 6 mm) at +X.

    Returns the mesh and the handle's apex on its bar axis (after recentring).
    """
    body = _cylinder(0.04, 0.10)
    ring = trimesh.creation.torus(major_radius=0.03, minor_radius=0.006, major_sections=48, minor_sections=16)
    ring.apply_translation([0.045, 0.05, 0.0])  # trimesh's torus lies in the XY plane: a vertical ring
    tm = _union(body, ring)
    shift = -(tm.bounds[0][0] + tm.bounds[1][0]) / 2
    return _mesh(tm, "mug"), np.array([0.045 + 0.03 + shift, 0.05, 0.0])


@pytest.fixture(scope="module")
def found_mug(mug: tuple[Mesh, np.ndarray]) -> Affordances:
    return find_affordances(mug[0])


def test_a_torus_handle_on_a_cylinder_is_a_handle_at_its_apex(mug, found_mug):
    handle = found_mug.anchors()["handle"]
    assert handle.kind == "handle"
    assert np.linalg.norm(handle.point - mug[1]) < 0.01  # on the bar's axis, at the middle of the C
    assert abs(handle.axis[1]) > math.cos(math.radians(15))  # the bar runs vertically there
    assert handle.normal[0] > math.cos(math.radians(20))  # the hand comes from +X, away from the body
    assert handle.radius == pytest.approx(0.006, abs=0.002)


def test_the_mug_body_is_a_grip_on_its_axis(found_mug):
    grip = found_mug.anchors()["grip"]
    body_axis_x = float(found_mug.bounds[0][0]) + 0.04  # the body's left side is the box's left side
    assert grip.point[0] == pytest.approx(body_axis_x, abs=0.005)
    assert grip.point[1] == pytest.approx(0.05, abs=0.01)
    assert grip.radius == pytest.approx(0.04, abs=0.003)
    assert abs(grip.axis[1]) > 0.99
    assert found_mug.anchors()["top"].point[1] == pytest.approx(0.10, abs=0.002)


def test_a_stool_has_a_seat_at_its_top():
    legs = [_cylinder(0.015, 0.42, (0.12 * math.cos(a), 0.0, 0.12 * math.sin(a)), 16)
            for a in np.arange(4) * math.pi / 2 + math.pi / 4]
    found = find_affordances(_mesh(_union(_cylinder(0.18, 0.04, (0.0, 0.41, 0.0)), *legs), "stool"))
    seat = found.anchors()["seat"]
    assert np.allclose(seat.point, [0.0, 0.45, 0.0], atol=0.005)
    assert np.allclose(seat.normal, [0.0, 1.0, 0.0])
    assert seat.size[1] >= 0.3
    assert found.furniture
    assert "handle" not in found.anchors() and "grip" not in found.anchors()  # legs are not carried


def test_a_wall_is_leant_on_from_both_sides_and_not_held():
    found = find_affordances(_mesh(_box((2.0, 2.4, 0.1), (0.0, 1.2, 0.0)), "wall"))
    lean = {int(np.sign(a.normal[2])): a for a in found.lean_supports if abs(a.normal[2]) > 0.99}
    assert set(lean) == {-1, 1}
    for sign, face in lean.items():
        assert face.point[2] == pytest.approx(0.05 * sign, abs=1e-3)
        assert 0.5 <= face.point[1] <= 1.6
        assert face.size[0] >= 1.9  # the whole width
    assert {a.kind for a in found.push_surfaces} == {"push"}
    assert not found.whole_object  # 2 m wide and 0.48 m³: neither one hand nor two
    assert not found.seats


def test_a_30_cm_cube_is_held_between_two_palms():
    found = find_affordances(_mesh(_box((0.3, 0.3, 0.3), (0.0, 0.15, 0.0)), "cube"))
    kinds = {a.kind for a in found.whole_object}
    assert kinds == {"two_hands"}  # 30 cm in every direction: too big for one hand
    anchors = found.anchors()
    assert np.allclose(anchors["side_left"].point, [0.15, 0.15, 0.0], atol=0.005)
    assert np.allclose(anchors["side_right"].point, [-0.15, 0.15, 0.0], atol=0.005)
    assert np.allclose(anchors["side_left"].normal, [1.0, 0.0, 0.0])
    assert np.allclose(anchors["front"].point, [0.0, 0.15, 0.15], atol=0.01)
    assert np.allclose(anchors["top"].point, [0.0, 0.3, 0.0], atol=1e-3)


def test_a_5_by_15_cm_cylinder_is_a_one_hand_grip():
    found = find_affordances(_mesh(_cylinder(0.025, 0.15), "can"))
    grip = found.anchors()["grip"]
    assert np.allclose(grip.point, [0.0, 0.075, 0.0], atol=0.005)
    assert grip.radius == pytest.approx(0.025, abs=0.002)
    assert grip.size[0] >= 0.12
    one = [a for a in found.whole_object if a.kind == "one_hand"]
    assert len(one) == 1 and np.allclose(one[0].point, grip.point)
    assert "handle" not in found.anchors()  # a free body, not a loop


def test_a_hollow_cup_is_gripped_on_its_wall_and_hooked_at_its_rim():
    outer = _cylinder(0.04, 0.10)
    cavity = _cylinder(0.035, 0.10, (0.0, 0.006, 0.0))
    found = find_affordances(_mesh(trimesh.boolean.difference([outer, cavity], engine="manifold"), "cup"))
    anchors = found.anchors()
    grip = anchors["grip"]  # its axis runs through the cavity: the point goes onto the outer wall at +Z
    assert np.allclose(grip.point, [0.0, 0.05, 0.04], atol=0.006)
    assert np.allclose(grip.normal, [0.0, 0.0, 1.0], atol=1e-6)
    assert grip.radius == pytest.approx(0.04, abs=0.003)
    assert np.allclose(anchors["rim"].point, [0.0, 0.10, 0.0375], atol=0.005)  # the rim's front point
    assert anchors["top"].point[1] == pytest.approx(0.10, abs=1e-3)


def test_an_open_box_has_a_rim_and_its_floor_is_not_the_top():
    outer = _box((0.4, 0.3, 0.4), (0.0, 0.15, 0.0))
    inner = _box((0.38, 0.3, 0.38), (0.0, 0.16 + 0.15, 0.0))
    found = find_affordances(_mesh(trimesh.boolean.difference([outer, inner], engine="manifold"), "crate"))
    rim = found.anchors()["rim"]
    assert rim.point[1] == pytest.approx(0.3, abs=1e-3)
    assert rim.point[2] == pytest.approx(0.195, abs=0.01)  # a wide rim: its front point
    assert found.anchors()["top"].point[1] == pytest.approx(0.3, abs=1e-3)


def test_a_table_has_four_edges_and_no_seat():
    top = _box((1.2, 0.04, 0.7), (0.0, 0.73, 0.0))
    legs = [_box((0.05, 0.71, 0.05), (sx * 0.55, 0.355, sz * 0.3)) for sx in (-1, 1) for sz in (-1, 1)]
    found = find_affordances(_mesh(_union(top, *legs), "table"))
    anchors = found.anchors()
    assert not found.seats and found.furniture
    expected = {"edge_front": [0.0, 0.73, 0.35], "edge_back": [0.0, 0.73, -0.35],
                "edge_left": [0.6, 0.73, 0.0], "edge_right": [-0.6, 0.73, 0.0]}
    for name, point in expected.items():
        assert np.allclose(anchors[name].point, point, atol=0.005), name
    assert np.allclose(anchors["edge_front"].axis, [1.0, 0.0, 0.0])  # along the edge (compose's convention)
    assert any(abs(a.point[1] - 0.73) < 0.03 for a in found.lean_supports)  # a table edge to lean on


def test_anchor_names_are_the_compose_vocabulary_and_results_are_deterministic(found_mug, mug):
    assert set(found_mug.anchors()) <= set(ANCHOR_NAMES)
    again = find_affordances(mug[0])
    assert [a.to_json() for a in again.graspable] == [a.to_json() for a in found_mug.graspable]
    other = find_affordances(mug[0], AffordanceOptions(seed=1))
    assert np.linalg.norm(other.anchors()["handle"].point - found_mug.anchors()["handle"].point) < 0.01


def test_bad_input_raises_one_line_input_errors():
    with pytest.raises(InputError, match="samples"):
        AffordanceOptions(samples=10)
    with pytest.raises(InputError, match="seat_height_m"):
        AffordanceOptions(seat_height_m=(0.8, 0.3))
    with pytest.raises(InputError, match="no triangles"):
        find_affordances(Mesh(np.zeros((3, 3), np.float32), np.zeros((0, 3), np.int32), name="empty"))
    with pytest.raises(InputError, match="AffordanceOptions"):
        find_affordances(_mesh(_box((0.1, 0.1, 0.1), (0, 0.05, 0)), "cube"), options={"samples": 10})


# --------------------------------------------------------------------------- the library's hand-written anchors

_ORIGINAL = ("backpack", "bag", "ball", "bench", "bin", "bottle", "box", "briefcase", "chair", "mug", "stool",
             "suitcase", "table")
"""The 13 categories whose hand-written anchors are the issue's oracle."""

_SEEDS = (0, 1, 2)


def _side_face(found_point: np.ndarray, ref_point: np.ndarray) -> float:
    """Horizontal distance: the height on a side is a builder's convention (module docs)."""
    return float(np.linalg.norm((found_point - ref_point)[[0, 2]]))


def _distance(found_point: np.ndarray, ref_point: np.ndarray) -> float:
    return float(np.linalg.norm(found_point - ref_point))


_CONVENTIONS: dict[tuple[str, str | None], tuple[Callable[[np.ndarray, np.ndarray], float], float]] = {
    ("side_left", None): (_side_face, 0.02),
    ("side_right", None): (_side_face, 0.02),
    ("seat", "office"): (_distance, 0.03),
}
"""(anchor, variant or None for any) → the distance compared instead of the 3D one, and its tolerance
(metres); everything else: the 3D distance within 2 cm."""


def _cases() -> list[tuple[str, str | None]]:
    from hoiexport.sdk.generators.compose.objects import VARIANTS

    return [(cat, var) for cat in _ORIGINAL for var in (VARIANTS.get(cat) or (None,))]


@pytest.mark.parametrize(("category", "variant"), _cases())
def test_found_anchors_match_the_hand_written_ones(category, variant):
    from hoiexport.sdk.generators.compose.objects import make_object

    misses = []
    compared = 0
    for seed in _SEEDS:
        obj = make_object(category, seed, variant=variant)
        found = find_affordances(obj.mesh).anchors()
        for name, ref in obj.anchors.items():
            if name not in ANCHOR_NAMES:
                continue  # trolley_handle, neck, pedal, ...: not in the vocabulary
            if name not in found:
                misses.append(f"seed {seed}: {name} not found")
                continue
            compared += 1
            got = found[name]
            measure, tolerance = _CONVENTIONS.get((name, variant)) or _CONVENTIONS.get((name, None)) or (
                _distance, 0.02)
            distance = measure(got.point, ref.point)
            angle = math.degrees(math.acos(float(np.clip(got.normal @ ref.normal, -1.0, 1.0))))
            if distance > tolerance or angle > 30.0:
                misses.append(f"seed {seed}: {name} {distance * 100:.1f} cm, {angle:.0f}° off")
    assert compared > 0
    assert not misses, f"{category}/{variant}: " + "; ".join(misses)
