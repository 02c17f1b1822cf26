"""Contact analysis: touching parts, contact records, the 8 configurations.

Synthetic bodies are built from part-labelled boxes (a "box man" in T-pose);
the real Anny body is used once `hoiexport.sdk.bodies` can load it. Expected
values come from independent brute force (trimesh's exact closest-point query
over every vertex), never from the code under test.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import trimesh

from hoiexport.sdk.contacts import (
    PART_JOINTS,
    ContactOptions,
    analyze_asset,
    analyze_contacts,
    classify_contacts,
    vertex_areas,
)
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import JOINT_INDEX
from hoiexport.sdk.core.types import BODY_PARTS, ContactConfig, Mesh

# --------------------------------------------------------------------------- #
# A part-labelled box man: internal frame, +Y up, faces +Z, +X = his left.
# --------------------------------------------------------------------------- #
BOX_PARTS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float], str]] = {
    # part: (min corner, max corner, the joint whose weight its vertices carry)
    "torso_front": ((-0.15, 0.0, 0.0), (0.15, 0.5, 0.1), "spine2"),
    "back": ((-0.15, 0.0, -0.1), (0.15, 0.5, 0.0), "spine2"),
    "hips": ((-0.15, -0.15, -0.1), (0.15, -0.02, 0.1), "pelvis"),
    "head": ((-0.08, 0.56, -0.08), (0.08, 0.8, 0.08), "head"),
    "right_arm": ((-0.45, 0.4, -0.05), (-0.17, 0.5, 0.05), "right_elbow"),
    "left_arm": ((0.17, 0.4, -0.05), (0.45, 0.5, 0.05), "left_elbow"),
    "right_hand": ((-0.6, 0.4, -0.05), (-0.47, 0.5, 0.05), "right_wrist"),
    "left_hand": ((0.47, 0.4, -0.05), (0.6, 0.5, 0.05), "left_wrist"),
    "right_leg": ((-0.14, -0.85, -0.06), (-0.02, -0.17, 0.06), "right_knee"),
    "left_leg": ((0.02, -0.85, -0.06), (0.14, -0.17, 0.06), "left_knee"),
    "right_foot": ((-0.14, -0.95, -0.05), (-0.02, -0.87, 0.2), "right_ankle"),
    "left_foot": ((0.02, -0.95, -0.05), (0.14, -0.87, 0.2), "left_ankle"),
}


def _box(lo, hi, max_edge: float = 0.035) -> trimesh.Trimesh:
    b = trimesh.creation.box(bounds=np.array([lo, hi], dtype=float))
    v, f = trimesh.remesh.subdivide_to_size(b.vertices, b.faces, max_edge=max_edge)
    return trimesh.Trimesh(v, f, process=False)


def _mesh(tm: trimesh.Trimesh, name: str) -> Mesh:
    return Mesh(tm.vertices, tm.faces, name=name)


def _union(*meshes: trimesh.Trimesh) -> trimesh.Trimesh:
    """Concatenation without boolean union: overlapping closed parts."""
    return trimesh.util.concatenate(list(meshes))


@pytest.fixture(scope="module")
def box_man():
    """(human Mesh, labels (V,), one-hot skin weights (V, 24), joints (24, 3))."""
    parts, labels, weights = [], [], []
    for name, (lo, hi, joint) in BOX_PARTS.items():
        tm = _box(lo, hi)
        parts.append(tm)
        labels.append(np.full(len(tm.vertices), BODY_PARTS.index(name), np.int8))
        w = np.zeros((len(tm.vertices), 24), np.float32)
        w[:, JOINT_INDEX[joint]] = 1.0
        weights.append(w)
    human = _union(*parts)
    joints = np.zeros((24, 3))
    for name, (lo, hi, joint) in BOX_PARTS.items():
        joints[JOINT_INDEX[joint]] = (np.array(lo) + np.array(hi)) / 2
    # the hand joints sit at the finger ends of the hand boxes
    joints[JOINT_INDEX["right_hand"]] = (-0.6, 0.45, 0.0)
    joints[JOINT_INDEX["left_hand"]] = (0.6, 0.45, 0.0)
    return _mesh(human, "box_man"), np.concatenate(labels), np.concatenate(weights), joints


def _analyze(box_man, obj: trimesh.Trimesh, **kw):
    human, labels, weights, joints = box_man
    opts = ContactOptions(**kw)
    return analyze_contacts(human, labels, _mesh(obj, "object"), skin_weights=weights, joints=joints, options=opts)


def _brute_force(human: Mesh, labels: np.ndarray, lo, hi, threshold: float = 0.04):
    """Per-part exact min distance and touching-vertex count to the box [lo, hi].

    The distance from a point to an axis-aligned box is analytic (0 inside).
    """
    v = human.vertices.astype(float)
    dist = np.linalg.norm(np.maximum(np.maximum(np.asarray(lo) - v, v - np.asarray(hi)), 0.0), axis=1)
    mins, counts = {}, {}
    for i, name in enumerate(BODY_PARTS):
        m = labels == i
        mins[name] = float(dist[m].min())
        counts[name] = int((dist[m] <= threshold).sum())
    return mins, counts, dist


def _check_part_distances(report, mins: dict[str, float], threshold: float = 0.04, spacing: float = 0.01):
    """Exact for parts that may touch; within the sample spacing above it for the others."""
    for name in BODY_PARTS:
        got = report.part_distance_m[name]
        if mins[name] <= threshold:
            assert got == pytest.approx(mins[name], abs=1e-6), name
        else:
            assert mins[name] - 1e-6 <= got <= mins[name] + spacing, name


def _check_on_surfaces(report, human: Mesh, obj: trimesh.Trimesh) -> None:
    """Contacts' points lie on the surfaces and agree with their distance."""
    for c in report.contacts:
        _, d_obj, _ = trimesh.proximity.closest_point(obj, c.point_object[None])
        assert d_obj[0] < 1e-6
        # the human point is one of the part's vertices
        assert np.min(np.linalg.norm(human.vertices - c.point_human, axis=1)) < 1e-6
        if c.distance_m > 0:
            assert np.linalg.norm(c.point_human - c.point_object) == pytest.approx(c.distance_m, abs=1e-6)
        assert np.linalg.norm(c.normal) == pytest.approx(1.0, abs=1e-6)
        assert c.joint in PART_JOINTS[c.part]


# --------------------------------------------------------------------------- #
# Classification rule
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((), ContactConfig.NO_CONTACT),
        (("right_hand",), ContactConfig.RIGHT_HAND),
        (("right_hand", "right_arm", "torso_front"), ContactConfig.RIGHT_HAND),
        (("left_hand", "left_arm"), ContactConfig.LEFT_HAND),
        (("right_hand", "left_hand"), ContactConfig.BOTH_HANDS),
        (("right_hand", "left_hand", "right_arm", "left_arm", "torso_front"), ContactConfig.BOTH_HANDS),
        (("back",), ContactConfig.BACK),
        (("back", "hips", "head"), ContactConfig.BACK),
        (("right_foot",), ContactConfig.RIGHT_LEG),
        (("right_leg", "right_foot"), ContactConfig.RIGHT_LEG),
        (("left_leg",), ContactConfig.LEFT_LEG),
        (("hips",), ContactConfig.OTHER),
        (("hips", "right_leg", "left_leg"), ContactConfig.OTHER),
        (("back", "hips", "right_leg", "left_leg"), ContactConfig.OTHER),
        (("right_foot", "left_foot"), ContactConfig.OTHER),
        (("right_arm",), ContactConfig.OTHER),
        (("head",), ContactConfig.OTHER),
        (("right_hand", "right_foot"), ContactConfig.OTHER),
        (("right_hand", "left_hand", "back"), ContactConfig.OTHER),
    ],
)
def test_classify_contacts(parts, expected):
    assert classify_contacts(parts) == expected


def test_classify_rejects_unknown_part():
    with pytest.raises(InputError, match="unknown body part"):
        classify_contacts(["tail"])


# --------------------------------------------------------------------------- #
# Box man
# --------------------------------------------------------------------------- #
def test_right_hand_on_a_box(box_man):
    human, labels, _, _ = box_man
    # a box under the right hand, its top 1 cm below the palm
    lo, hi = (-0.62, 0.2, -0.1), (-0.52, 0.39, 0.1)
    obj = _box(lo, hi, max_edge=0.05)
    report = _analyze(box_man, obj)
    assert report.contact_config == ContactConfig.RIGHT_HAND
    assert report.touching_parts == ("right_hand",)
    c = report.contacts[0]
    assert c.distance_m == pytest.approx(0.01, abs=1e-6)
    np.testing.assert_allclose(c.normal, [0, 1, 0], atol=1e-6)
    assert c.joint == "right_wrist"  # the one-hot weights of the hand box
    _check_on_surfaces(report, human, obj)

    mins, counts, dist = _brute_force(human, labels, lo, hi)
    _check_part_distances(report, mins)
    for name in BODY_PARTS:
        assert report.part_touch_vertices[name] == counts[name]
    touch = (labels == BODY_PARTS.index("right_hand")) & (dist <= 0.04)
    assert c.area_m2 == pytest.approx(vertex_areas(human)[touch].sum(), rel=1e-9)
    # most of the palm face (0.13 x 0.1 m) plus strips of the side faces
    assert 0.01 < c.area_m2 < 0.013 + 2 * (0.13 + 0.1) * 0.04
    assert report.penetration is not None and report.penetration.max_depth_cm == 0.0


def test_nearest_joint_rule(box_man):
    obj = trimesh.creation.icosphere(subdivisions=3, radius=0.015)
    obj.apply_translation((-0.62, 0.45, 0.0))  # 5 mm off the finger end
    report = _analyze(box_man, obj, joint_rule="nearest")
    assert report.contacts[0].joint == "right_hand"
    human, labels, weights, _ = box_man
    # without joint positions the skin weights decide whatever the rule
    only_weights = analyze_contacts(human, labels, _mesh(obj, "o"), skin_weights=weights)
    assert only_weights.contacts[0].joint == "right_wrist"


def test_both_hands(box_man):
    human, _, _, _ = box_man
    obj = _union(
        _box((-0.62, 0.2, -0.1), (-0.52, 0.38, 0.1), max_edge=0.05),
        _box((0.52, 0.2, -0.1), (0.62, 0.38, 0.1), max_edge=0.05),
    )
    report = _analyze(box_man, obj)
    assert report.contact_config == ContactConfig.BOTH_HANDS
    assert report.touching_parts == ("right_hand", "left_hand")
    assert {c.joint for c in report.contacts} == {"right_wrist", "left_wrist"}
    _check_on_surfaces(report, human, obj)


def test_back_against_a_chair_back(box_man):
    human, labels, _, _ = box_man
    lo, hi = (-0.2, 0.05, -0.14), (0.2, 0.45, -0.12)
    obj = _box(lo, hi, max_edge=0.05)
    report = _analyze(box_man, obj)
    assert report.contact_config == ContactConfig.BACK
    assert report.touching_parts == ("back",)
    c = report.contacts[0]
    np.testing.assert_allclose(c.normal, [0, 0, 1], atol=1e-6)
    assert c.distance_m == pytest.approx(0.02, abs=1e-6)
    assert c.joint == "spine2"
    mins, _, _ = _brute_force(human, labels, lo, hi)
    _check_part_distances(report, mins)
    assert report.part_distance_m["hips"] > 0.04
    _check_on_surfaces(report, human, obj)


def test_sitting_on_a_stool_is_other(box_man):
    obj = _box((-0.2, -0.5, -0.15), (0.2, -0.16, 0.15), max_edge=0.05)  # stool top under the hips
    report = _analyze(box_man, obj, penetration=None)
    assert report.penetration is None
    assert "hips" in report.touching_parts
    assert report.contact_config == ContactConfig.OTHER


def test_far_object_is_no_contact(box_man):
    human, labels, _, _ = box_man
    lo, hi = (1.0, 0.1, 0.8), (1.4, 0.6, 1.1)
    report = _analyze(box_man, _box(lo, hi, max_edge=0.01))
    assert report.contact_config == ContactConfig.NO_CONTACT
    assert report.contacts == []
    mins, _, _ = _brute_force(human, labels, lo, hi)
    _check_part_distances(report, mins)
    for name in BODY_PARTS:
        assert report.part_touch_vertices[name] == 0
    assert report.penetration.human_in_object_volume_cm3 == 0.0


def test_foot_on_a_ball_is_the_leg_class(box_man):
    human, _, _, _ = box_man
    ball = trimesh.creation.icosphere(subdivisions=4, radius=0.1)
    ball.apply_translation((-0.08, -0.88, 0.2 + 0.1 + 0.015))  # 1.5 cm in front of the toes
    report = _analyze(box_man, ball)
    assert report.contact_config == ContactConfig.RIGHT_LEG
    assert report.touching_parts == ("right_foot",)
    c = report.contacts[0]
    assert c.joint == "right_ankle"
    assert c.normal[2] < -0.9  # out of the ball, towards the toes
    _check_on_surfaces(report, human, ball)


def test_min_vertices(box_man):
    # a thin rod 3.5 cm below the hand's front corner: few vertices within 4 cm
    rod = _box((-0.605, 0.2, 0.045), (-0.595, 0.365, 0.055), max_edge=0.01)
    many = _analyze(box_man, rod, min_vertices=1)
    few = _analyze(box_man, rod, min_vertices=1000)
    assert many.touching_parts == ("right_hand",)
    assert few.touching_parts == ()
    assert few.contact_config == ContactConfig.NO_CONTACT
    n = many.part_touch_vertices["right_hand"]
    assert 1 <= n < 1000
    assert _analyze(box_man, rod, min_vertices=n).touching_parts == ("right_hand",)
    assert _analyze(box_man, rod, min_vertices=n + 1).touching_parts == ()


def test_penetrating_contact(box_man):
    human, _, _, _ = box_man
    # a box pushed 3 cm up into the right hand (and 5 mm from the arm)
    obj = _box((-0.66, 0.2, -0.1), (-0.455, 0.43, 0.1), max_edge=0.05)
    report = _analyze(box_man, obj)
    assert report.contact_config == ContactConfig.RIGHT_HAND
    c = report.contacts[0]
    assert c.part == "right_hand" and c.distance_m == 0.0
    assert report.part_distance_m["right_hand"] == 0.0
    np.testing.assert_allclose(c.normal, [0, 1, 0], atol=1e-6)
    # the deepest hand vertex is 3 cm inside, straight under the box top
    assert np.linalg.norm(c.point_human - c.point_object) == pytest.approx(0.03, abs=1e-6)
    pen = report.penetration
    assert pen.human_in_object_depth_cm == pytest.approx(3.0, abs=1e-3)
    # hand ∩ box = 0.13 (x: -0.60..-0.47) * 0.03 * 0.1 m
    assert pen.human_in_object_volume_cm3 == pytest.approx(0.13 * 0.03 * 0.1 * 1e6, rel=0.1)
    _check_on_surfaces(report, human, obj)


def test_open_human_mesh(box_man):
    """A human with holes (missing faces) still gets inside tests via capped loops."""
    human, labels, weights, joints = box_man
    # drop 2 faces on the top of the right hand box: the hand is no longer watertight
    tm = trimesh.Trimesh(human.vertices, human.faces, process=False)
    top = np.flatnonzero(
        (labels[tm.faces[:, 0]] == 0) & np.all(np.isclose(tm.vertices[tm.faces][:, :, 1], 0.5), axis=1)
    )[:2]
    open_human = Mesh(human.vertices, np.delete(human.faces, top, axis=0), name="open")
    ball = trimesh.creation.icosphere(subdivisions=3, radius=0.02)
    ball.apply_translation((-0.53, 0.45, 0.0))  # inside the right hand
    report = analyze_contacts(open_human, labels, _mesh(ball, "ball"), skin_weights=weights, joints=joints)
    pen = report.penetration
    assert pen.object_in_human_volume_cm3 == pytest.approx(ball.volume * 1e6, rel=0.1)
    # the ball's points on the line y = 0.45, z = 0 are 5 cm from the hand's y and z faces
    assert pen.object_in_human_depth_cm == pytest.approx(5.0, abs=0.05)
    assert pen.human_in_object_depth_cm == 0.0


def test_input_errors(box_man):
    human, labels, weights, joints = box_man
    obj = _mesh(_box((0, 0, 0), (0.1, 0.1, 0.1)), "o")
    with pytest.raises(InputError, match="part_labels must have shape"):
        analyze_contacts(human, labels[:-1], obj, joints=joints)
    with pytest.raises(InputError, match="part_labels must index BODY_PARTS"):
        analyze_contacts(human, np.full_like(labels, 12), obj, joints=joints)
    with pytest.raises(InputError, match="skin_weights .* or joints"):
        analyze_contacts(human, labels, obj)
    with pytest.raises(InputError, match="skin_weights must be"):
        analyze_contacts(human, labels, obj, skin_weights=weights[:, :10])
    with pytest.raises(InputError, match="joints must be"):
        analyze_contacts(human, labels, obj, joints=joints[:5])
    with pytest.raises(InputError, match="no triangles"):
        analyze_contacts(human, labels, Mesh(np.zeros((3, 3)), np.zeros((0, 3)), name="empty"), joints=joints)
    with pytest.raises(InputError, match="threshold_m"):
        ContactOptions(threshold_m=0)
    with pytest.raises(InputError, match="min_vertices"):
        ContactOptions(min_vertices=0)
    with pytest.raises(InputError, match="joint_rule"):
        ContactOptions(joint_rule="closest")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- #
# The real Anny body
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def anny_fit():
    bodies = pytest.importorskip("hoiexport.sdk.bodies")
    return bodies.load_body_model("anny").fit(bodies.BodyParams())


def _part_vertices(fit, part: str) -> np.ndarray:
    return fit.mesh.vertices[fit.part_labels == BODY_PARTS.index(part)].astype(float)


def _box_below(points: np.ndarray, gap: float) -> tuple[trimesh.Trimesh, np.ndarray, np.ndarray]:
    """A 20 cm tall box under `points`' footprint, its top `gap` below their lowest."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    lo, hi = np.array([lo[0], lo[1] - gap - 0.2, lo[2]]), np.array([hi[0], lo[1] - gap, hi[2]])
    return _box(lo, hi, 0.05), lo, hi


def test_anny_right_hand(anny_fit):
    obj, lo, hi = _box_below(_part_vertices(anny_fit, "right_hand"), gap=0.01)
    report = analyze_asset(anny_fit, anny_fit.mesh, _mesh(obj, "box"))
    assert report.contact_config == ContactConfig.RIGHT_HAND, report.touching_parts
    c = report.contacts[0]
    assert c.joint in ("right_wrist", "right_hand")
    assert c.distance_m == pytest.approx(0.01, abs=1e-6)
    _check_on_surfaces(report, anny_fit.mesh, obj)
    mins, counts, _ = _brute_force(anny_fit.mesh, anny_fit.part_labels, lo, hi)
    _check_part_distances(report, mins)
    for name in BODY_PARTS:
        assert report.part_touch_vertices[name] == counts[name]


def test_anny_both_hands(anny_fit):
    obj = _union(
        _box_below(_part_vertices(anny_fit, "right_hand"), gap=0.005)[0],
        _box_below(_part_vertices(anny_fit, "left_hand"), gap=0.005)[0],
    )
    report = analyze_asset(anny_fit, anny_fit.mesh, _mesh(obj, "boxes"))
    assert report.contact_config == ContactConfig.BOTH_HANDS, report.touching_parts


def test_anny_back(anny_fit):
    back = _part_vertices(anny_fit, "back")
    lo, hi = back.min(axis=0), back.max(axis=0)
    z = lo[2] - 0.01  # a board 1 cm behind the back's rearmost point
    board = _box((lo[0], lo[1], z - 0.03), (hi[0], hi[1] - 0.05, z), 0.05)
    report = analyze_asset(anny_fit, anny_fit.mesh, _mesh(board, "board"))
    assert report.contact_config == ContactConfig.BACK, report.touching_parts
    back_contact = next(c for c in report.contacts if c.part == "back")
    assert back_contact.joint in PART_JOINTS["back"]
    assert back_contact.normal[2] > 0.9


def test_anny_right_foot_on_a_ball(anny_fit):
    foot = _part_vertices(anny_fit, "right_foot")
    toe = foot[np.argmax(foot[:, 2])]
    ball = trimesh.creation.icosphere(subdivisions=4, radius=0.11)
    ball.apply_translation(toe + (0.0, 0.03, 0.11 + 0.01))
    report = analyze_asset(anny_fit, anny_fit.mesh, _mesh(ball, "ball"))
    assert report.contact_config == ContactConfig.RIGHT_LEG, report.touching_parts
    assert report.contacts[0].joint in ("right_ankle", "right_foot")


def test_anny_no_contact_and_transferred_labels(anny_fit):
    lo, hi = np.array([-0.2, 0.0, 0.6]), np.array([0.2, 0.3, 0.8])
    # a "generated human" with its own vertices: the body surface, subdivided
    v, f = trimesh.remesh.subdivide(anny_fit.mesh.vertices, anny_fit.mesh.faces)
    lifted = Mesh(v, f, name="lifted")
    report = analyze_asset(anny_fit, lifted, _mesh(_box(lo, hi, 0.05), "box"))
    assert report.contact_config == ContactConfig.NO_CONTACT
    assert sum(report.part_touch_vertices.values()) == 0
    closest_part = min(report.part_distance_m, key=report.part_distance_m.get)
    assert closest_part in ("right_hand", "left_hand")  # the rest pose reaches forward
    d = np.linalg.norm(np.maximum(np.maximum(lo - v, v - hi), 0.0), axis=1)
    assert d.min() - 1e-6 <= report.part_distance_m[closest_part] <= d.min() + 0.01


def test_anny_timing_20k_face_object(anny_fit):
    """14k-vertex body vs a 20k-face ball at the right hand: contacts + penetration."""
    hand = _part_vertices(anny_fit, "right_hand").mean(axis=0)
    ball = trimesh.creation.icosphere(subdivisions=5, radius=0.12)
    ball.apply_translation(hand + (0.0, -0.13, 0.0))
    obj = _mesh(ball, "ball")
    assert len(ball.faces) == 20480 and len(anny_fit.mesh.vertices) == 13718
    analyze_asset(anny_fit, anny_fit.mesh, obj)  # warm-up (imports, embree)
    t0 = time.perf_counter()
    report = analyze_asset(anny_fit, anny_fit.mesh, obj)
    elapsed = time.perf_counter() - t0
    print(f"\nanalyze_asset, Anny 13,718 v vs 20,480-face ball: {elapsed:.3f} s {report.timings_s}")
    assert report.contact_config == ContactConfig.RIGHT_HAND
    assert report.penetration is not None
    assert elapsed < 5.0  # target ~1 s on 2 shared cores; generous bound against load noise


def test_anny_sphere_inside_the_chest(anny_fit):
    """A small ball wholly inside the torso: the overlap is the ball's volume."""
    human_tm = trimesh.Trimesh(anny_fit.mesh.vertices, anny_fit.mesh.faces, process=False)
    centre = np.array([0.0, 0.3, 0.05])
    assert human_tm.contains(centre[None])[0]
    ball = trimesh.creation.icosphere(subdivisions=3, radius=0.03)
    ball.apply_translation(centre)
    report = analyze_asset(anny_fit, anny_fit.mesh, _mesh(ball, "ball"))
    pen = report.penetration
    assert pen.object_in_human_volume_cm3 == pytest.approx(ball.volume * 1e6, rel=0.1)
    assert pen.human_in_object_volume_cm3 == pen.object_in_human_volume_cm3
    # deepest ball point: brute force over the ball's vertices (a lower bound)
    _, d, _ = trimesh.proximity.closest_point(human_tm, ball.vertices)
    assert pen.object_in_human_depth_cm == pytest.approx(100 * d.max(), abs=0.2)
    assert pen.object_in_human_depth_cm >= 100 * d.max() - 1e-6
    assert pen.human_in_object_depth_cm == 0.0
