"""Penetration depth and volume against shapes whose overlap is known exactly."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from hoiexport.sdk.contacts import PenetrationOptions, measure_penetration
from hoiexport.sdk.geometry.surface import SurfaceQuery
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh


def _mesh(tm: trimesh.Trimesh, name: str = "m") -> Mesh:
    return Mesh(tm.vertices, tm.faces, name=name)


def _box(lo, hi) -> trimesh.Trimesh:
    return trimesh.creation.box(bounds=np.array([lo, hi], dtype=float))


def _ball(centre, radius: float, subdivisions: int = 3) -> trimesh.Trimesh:
    ball = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    ball.apply_translation(centre)
    return ball


def test_overlapping_boxes():
    a = _box((-0.2, -0.2, -0.2), (0.2, 0.2, 0.2))
    b = _box((0.1, -0.05, -0.1), (0.3, 0.15, 0.1))  # overlap 0.1 x 0.2 x 0.2 m
    pen = measure_penetration(_mesh(a), _mesh(b))
    assert pen.human_in_object_volume_cm3 == pytest.approx(4000.0, rel=0.02)
    assert pen.object_in_human_volume_cm3 == pen.human_in_object_volume_cm3
    # a's face x = 0.2 inside b is 10 cm from b's faces at its centre, and
    # b's face x = 0.1 inside a is 10 cm from a's face x = 0.2
    assert pen.human_in_object_depth_cm == pytest.approx(10.0, abs=0.01)
    assert pen.object_in_human_depth_cm == pytest.approx(10.0, abs=0.01)
    assert pen.max_depth_cm == pytest.approx(10.0, abs=0.01)


def test_ball_centred_on_a_face():
    box = _box((-0.2, -0.2, -0.2), (0.2, 0.2, 0.2))
    ball = _ball((0.0, 0.2, 0.0), 0.05)
    pen = measure_penetration(_mesh(box, "box"), _mesh(ball, "ball"))
    assert pen.object_in_human_volume_cm3 == pytest.approx(ball.volume / 2 * 1e6, rel=0.05)
    # the ball's lowest point is 5 cm under the face; the face's centre is 5 cm
    # (less the faceting of the icosphere) inside the ball
    assert pen.object_in_human_depth_cm == pytest.approx(5.0, abs=0.01)
    _, d, _ = trimesh.proximity.closest_point(ball, [[0.0, 0.2, 0.0]])
    assert pen.human_in_object_depth_cm == pytest.approx(100 * d[0], abs=0.01)


def test_disjoint_and_touching_meshes():
    a = _box((0, 0, 0), (0.1, 0.1, 0.1))
    far = _box((0.3, 0, 0), (0.4, 0.1, 0.1))
    pen = measure_penetration(_mesh(a), _mesh(far))
    assert pen.to_json() == {k: 0.0 for k in pen.to_json()}
    touching = _box((0.1, 0, 0), (0.2, 0.1, 0.1))  # shares the face x = 0.1
    pen = measure_penetration(_mesh(a), _mesh(touching))
    assert pen.max_depth_cm < 1e-6
    assert pen.human_in_object_volume_cm3 < 1.0


def test_plate_through_a_rod_between_its_vertices():
    """No vertex of either mesh is inside the other: only face samples see it."""
    rod = _box((-0.01, -0.2, -0.01), (0.01, 0.2, 0.01))  # 8 vertices, at y = ±0.2
    plate = _box((-0.5, -0.01, -0.5), (0.5, 0.01, 0.5))  # 8 vertices, far outside the rod
    assert not plate.contains(rod.vertices).any() and not rod.contains(plate.vertices).any()
    pen = measure_penetration(_mesh(rod, "rod"), _mesh(plate, "plate"))
    assert pen.human_in_object_volume_cm3 == pytest.approx(8.0, rel=0.1)  # 2 x 2 x 2 cm
    assert pen.human_in_object_depth_cm == pytest.approx(1.0, abs=0.01)
    assert pen.object_in_human_depth_cm == pytest.approx(1.0, abs=0.01)


def test_overlapping_parts_of_one_mesh():
    """A ball inside the overlap of two closed parts of one object (no boolean
    union): ray parity would call it outside; the winding number does not."""
    seat = _box((-0.2, 0.4, -0.2), (0.2, 0.5, 0.2))
    leg = _box((-0.2, 0.0, -0.2), (-0.1, 0.48, -0.1))  # its top sinks 8 cm into the seat
    chair = trimesh.util.concatenate([seat, leg])
    ball = _ball((-0.15, 0.45, -0.15), 0.02)
    pen = measure_penetration(_mesh(ball, "ball"), _mesh(chair, "chair"))
    assert pen.human_in_object_volume_cm3 == pytest.approx(ball.volume * 1e6, rel=0.05)
    query = SurfaceQuery(_mesh(chair, "chair"))
    assert query.contains(np.array([[-0.15, 0.45, -0.15], [-0.15, 0.3, -0.15], [0.0, 0.6, 0.0]])).tolist() == [
        True,
        True,
        False,
    ]


def test_open_and_inverted_meshes():
    box = _box((-0.1, -0.1, -0.1), (0.1, 0.1, 0.1))
    ball = _ball((0.0, 0.0, 0.0), 0.03)
    expected = ball.volume * 1e6
    # open: the two triangles of the top face removed
    top = np.flatnonzero(np.all(np.isclose(box.vertices[box.faces][:, :, 1], 0.1), axis=1))
    assert len(top) == 2
    open_box = Mesh(box.vertices, np.delete(box.faces, top, axis=0), name="open")
    assert not SurfaceQuery(open_box).was_watertight
    # inverted: every face wound inwards
    inverted = Mesh(box.vertices, box.faces[:, ::-1], name="inverted")
    # split: every face with its own 3 vertices (as UV seams leave them)
    split = Mesh(box.vertices[box.faces].reshape(-1, 3), np.arange(36).reshape(12, 3), name="split")
    assert SurfaceQuery(split).was_watertight
    # the deepest ball point: on a diagonal, 10 - 3 / sqrt(3) cm from three faces;
    # with the top face missing, straight up, 10 cm from the four sides
    diagonal = 100 * (0.1 - 0.03 / np.sqrt(3))
    # stray: an extra vertex no face uses, far away (never a sample of the surface)
    stray = Mesh(np.vstack([box.vertices, [[5.0, 5.0, 5.0]]]), box.faces, name="stray")
    for obj, depth in ((open_box, 10.0), (inverted, diagonal), (split, diagonal), (stray, diagonal)):
        pen = measure_penetration(_mesh(ball, "ball"), obj)
        assert pen.human_in_object_volume_cm3 == pytest.approx(expected, rel=0.05), obj.name
        assert pen.human_in_object_depth_cm == pytest.approx(depth, abs=0.05), obj.name
        assert pen.object_in_human_depth_cm == 0.0


def test_grid_resolution_options():
    a = _box((-0.2, -0.2, -0.2), (0.2, 0.2, 0.2))
    r, h = 0.1, 0.05  # the ball sticks out of the face x = 0.2 by a cap of height h
    ball = _ball((0.2 + h - r, 0.0, 0.0), r)
    sphere = 4 / 3 * np.pi * r**3
    cap = np.pi * h**2 * (3 * r - h) / 3
    expected = ball.volume * (sphere - cap) / sphere * 1e6
    fine = measure_penetration(_mesh(a), _mesh(ball))
    coarse = measure_penetration(_mesh(a), _mesh(ball), PenetrationOptions(voxel_m=0.05, min_cells=2, max_voxels=64))
    assert fine.human_in_object_volume_cm3 == pytest.approx(expected, rel=0.02)
    # 64 cells at most over a 15 x 20 x 20 cm box: a rough but bounded estimate
    assert 0 < coarse.human_in_object_volume_cm3 < 2 * expected
    assert coarse.human_in_object_volume_cm3 != fine.human_in_object_volume_cm3


def test_options_and_input_errors():
    with pytest.raises(InputError, match="voxel_m"):
        PenetrationOptions(voxel_m=0)
    with pytest.raises(InputError, match="min_cells"):
        PenetrationOptions(min_cells=0)
    with pytest.raises(InputError, match="max_voxels"):
        PenetrationOptions(max_voxels=0)
    with pytest.raises(InputError, match="sample_spacing_m"):
        PenetrationOptions(sample_spacing_m=-1.0)
    box = _mesh(_box((0, 0, 0), (0.1, 0.1, 0.1)))
    with pytest.raises(InputError, match="'empty' has no triangles"):
        measure_penetration(box, Mesh(np.zeros((3, 3)), np.zeros((0, 3)), name="empty"))
    bad = Mesh(np.array([[0, 0, 0], [1, 0, 0], [np.nan, 1, 0]]), np.array([[0, 1, 2]]), name="bad")
    with pytest.raises(InputError, match="NaN"):
        measure_penetration(box, bad)
