"""Closest points, distances and inside tests (`sdk.geometry.surface.SurfaceQuery`)."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh
from hoiexport.sdk.geometry.surface import SurfaceQuery, closest_on_triangles


def _mesh(tm: trimesh.Trimesh, name: str) -> Mesh:
    return Mesh(np.asarray(tm.vertices, np.float32), np.asarray(tm.faces, np.int32), name=name)


def _plane(half: float = 1.0, cells: int = 8) -> Mesh:
    """A square of 2·cells² triangles in z = 0, |x|, |y| <= half metres."""
    g = np.linspace(-half, half, cells + 1)
    x, y = np.meshgrid(g, g, indexing="ij")
    v = np.stack([x.ravel(), y.ravel(), np.zeros(x.size)], axis=1)
    i = np.arange(cells)[:, None] * (cells + 1) + np.arange(cells)[None, :]
    a, b, c, d = i.ravel(), i.ravel() + cells + 1, i.ravel() + cells + 2, i.ravel() + 1
    f = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    return Mesh(v.astype(np.float32), f.astype(np.int32), name="plane")


def test_closest_point_on_a_plane_is_the_foot_of_the_perpendicular():
    rng = np.random.default_rng(0)
    pts = np.column_stack([rng.uniform(-0.9, 0.9, (200, 2)), rng.uniform(-0.3, 0.3, 200)])
    query = SurfaceQuery(_plane())
    foot = pts * [1.0, 1.0, 0.0]
    for hit in (query.closest(pts), query.closest_near(pts)):
        assert np.allclose(hit.points, foot, atol=1e-9)
        assert np.allclose(hit.distance, np.abs(pts[:, 2]), atol=1e-9)
        corners = query.triangles[hit.face]  # the face holds its point
        bary, d2 = closest_on_triangles(hit.points, corners[:, 0], corners[:, 1], corners[:, 2])
        assert np.all(d2 < 1e-18) and np.all(bary >= -1e-9)
    coherent = query.closest_coherent(pts)
    assert coherent.bary.dtype == np.float32
    on = np.einsum("nk,nkd->nd", coherent.bary.astype(np.float64), query.triangles[coherent.face])
    assert np.allclose(on, foot, atol=1e-5)
    assert np.allclose(coherent.distance, np.abs(pts[:, 2]), atol=1e-5)


def test_closest_point_off_the_edge_of_a_plane_is_on_its_border():
    query = SurfaceQuery(_plane())
    pts = np.array([[2.0, 0.25, 0.0], [1.3, 1.4, 0.3]])
    hit = query.closest(pts)
    assert np.allclose(hit.points, [[1.0, 0.25, 0.0], [1.0, 1.0, 0.0]], atol=1e-9)
    assert np.allclose(hit.distance, [1.0, np.sqrt(0.09 + 0.16 + 0.09)])


def test_distance_to_a_sphere_matches_the_analytic_answer():
    radius = 0.5
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=radius)
    query = SurfaceQuery(_mesh(sphere, "ball"))
    rng = np.random.default_rng(1)
    direction = rng.normal(size=(300, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    r = rng.uniform(0.1, 1.5, 300)
    pts = direction * r[:, None]
    # the polygon lies inside the sphere by at most this much
    sag = radius * (1 - np.cos(np.max(sphere.edges_unique_length) / radius))
    hit = query.closest(pts)
    assert np.all(np.abs(hit.distance - np.abs(r - radius)) <= sag + 1e-9)
    assert np.allclose(np.linalg.norm(hit.points, axis=1), radius, atol=sag + 1e-9)
    # exact: the same as trimesh's brute-force answer
    _, exact, _ = trimesh.proximity.closest_point(sphere, pts)
    assert np.allclose(hit.distance, exact, atol=1e-6)


def test_signed_distance_is_negative_inside_and_positive_outside():
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.4)
    query = SurfaceQuery(_mesh(sphere, "ball"))
    inside = np.array([[0.0, 0.0, 0.0], [0.2, -0.1, 0.1], [0.0, 0.35, 0.0]])
    outside = np.array([[0.0, 0.0, 0.6], [1.0, 1.0, 1.0], [-0.45, 0.0, 0.0]])
    assert query.contains(inside).all() and not query.contains(outside).any()
    sd = query.signed_distance(np.vstack([inside, outside]))
    assert np.all(sd[:3] < 0) and np.all(sd[3:] > 0)
    assert np.allclose(np.abs(sd), query.closest(np.vstack([inside, outside])).distance)
    assert sd[0] == pytest.approx(-0.4, abs=0.01)


def test_an_open_box_is_closed_for_inside_tests():
    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    top = np.flatnonzero(box.face_normals[:, 2] > 0.5)
    open_box = _mesh(trimesh.Trimesh(box.vertices, np.delete(box.faces, top, axis=0), process=False), "open")
    query = SurfaceQuery(open_box)
    assert not query.was_watertight
    assert query.contains(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.45]])).all()
    assert not query.contains(np.array([[0.0, 0.0, 0.7]])).any()


def test_closest_near_never_undercuts_and_is_exact_near_the_surface():
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.3)
    query = SurfaceQuery(_mesh(sphere, "ball"))
    rng = np.random.default_rng(2)
    near = sphere.vertices * rng.uniform(0.95, 1.05, (len(sphere.vertices), 1))
    assert np.array_equal(query.closest_near(near).distance, query.closest(near).distance)
    far = rng.normal(size=(100, 3)) * 2.0
    assert np.all(query.closest_near(far, candidates=2).distance >= query.closest(far).distance - 1e-12)


def test_coherent_walk_finds_the_closest_face_on_a_smooth_surface():
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.3)
    query = SurfaceQuery(_mesh(sphere, "ball")).build("walk")
    rng = np.random.default_rng(3)
    direction = rng.normal(size=(500, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    pts = direction * rng.uniform(0.29, 0.31, (500, 1))
    walk, exact = query.closest_coherent(pts), query.closest(pts)
    # float32 walks: exact to ~1e-6 m where the walk ends inside the closest
    # face; at a ridge, a point of a face next to it (never nearer than exact)
    diff = walk.distance - exact.distance
    assert np.mean(np.abs(diff) < 1e-6) > 0.95
    assert diff.min() > -1e-6 and diff.max() < 1e-4
    assert np.allclose(walk.bary.sum(axis=1), 1.0, atol=1e-6) and walk.bary.min() >= 0


def test_structures_are_built_on_first_use():
    query = SurfaceQuery(_mesh(trimesh.creation.icosphere(subdivisions=2), "ball"))
    assert "_samples" not in vars(query) and "_oriented" not in vars(query)
    query.closest_near(np.zeros((1, 3)))
    assert "_samples" not in vars(query)  # nearest centroids need no samples
    assert query.build() is query
    assert {"_samples", "_tree", "_face_spheres", "_coarse", "_walk", "_oriented"} <= set(vars(query))


def test_a_mesh_without_triangles_is_refused():
    with pytest.raises(InputError, match="'empty' has no triangles"):
        SurfaceQuery(Mesh(np.zeros((3, 3), np.float32), np.zeros((0, 3), np.int32), name="empty"))
    with pytest.raises(InputError, match="spacing"):
        SurfaceQuery(_plane(), spacing_m=0.0)
