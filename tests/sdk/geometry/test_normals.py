"""Area-weighted vertex normals (`sdk.geometry.normals`)."""

from __future__ import annotations

import numpy as np
import trimesh

from hoiexport.sdk.geometry.normals import face_normals_area_weighted, vertex_normals


def test_cube_corner_normals_point_outward_and_are_unit():
    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))  # centred on the origin, wound outwards
    n = vertex_normals(box.vertices, box.faces)
    assert n.shape == (8, 3) and n.dtype == np.float64
    assert np.allclose(np.linalg.norm(n, axis=1), 1.0)
    # every corner's normal leans out along all three of its axes
    assert np.array_equal(np.sign(n), np.sign(box.vertices))


def test_sphere_normals_are_radial():
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.25)
    centre = np.array([0.1, -2.0, 0.3])
    n = vertex_normals(sphere.vertices + centre, sphere.faces)
    radial = sphere.vertices / np.linalg.norm(sphere.vertices, axis=1, keepdims=True)
    assert np.allclose(np.linalg.norm(n, axis=1), 1.0)
    assert np.einsum("ij,ij->i", n, radial).min() > 0.999


def test_reversed_winding_flips_normals():
    sphere = trimesh.creation.icosphere(subdivisions=2)
    n = vertex_normals(sphere.vertices, sphere.faces)
    assert np.allclose(vertex_normals(sphere.vertices, sphere.faces[:, ::-1]), -n)


def test_faces_weigh_by_area_so_splitting_a_face_at_a_corner_changes_nothing():
    # a pyramid tip: one big and two small faces meet at vertex 0
    v = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-3.0, -3.0, 0.0]])
    f = np.array([[0, 1, 2], [0, 2, 3], [0, 3, 1]])
    before = vertex_normals(v, f)
    # split face 1 from vertex 0 to the middle of its far edge: the same surface
    # around vertex 0, now as two faces of half the area each
    v2 = np.vstack([v, 0.5 * (v[2] + v[3])])
    f2 = np.array([[0, 1, 2], [0, 2, 4], [0, 4, 3], [0, 3, 1]])
    assert np.allclose(vertex_normals(v2, f2)[0], before[0])
    # the face normals' lengths are twice the areas
    face_n = face_normals_area_weighted(v, f)
    assert np.allclose(np.linalg.norm(face_n, axis=1), 2 * trimesh.Trimesh(v, f, process=False).area_faces)
    # an unweighted mean of unit face normals would move
    unit = face_n / np.linalg.norm(face_n, axis=1, keepdims=True)
    assert not np.allclose(unit.mean(axis=0) / np.linalg.norm(unit.mean(axis=0)), before[0], atol=1e-3)


def test_groups_share_one_normal_across_a_seam():
    sphere = trimesh.creation.icosphere(subdivisions=2)
    v, f = sphere.vertices, sphere.faces.copy()
    welded = vertex_normals(v, f)
    # split vertex 0: the first face using it gets a copy at the same position
    first = int(np.flatnonzero((f == 0).any(axis=1))[0])
    v2 = np.vstack([v, v[:1]])
    f2 = f.copy()
    f2[first][f2[first] == 0] = len(v)
    split = vertex_normals(v2, f2)
    assert not np.allclose(split[0], welded[0])  # without groups the seam creases
    groups = np.r_[np.arange(len(v)), 0]
    shared = vertex_normals(v2, f2, groups=groups)
    assert np.allclose(shared[0], welded[0]) and np.array_equal(shared[0], shared[-1])
    assert np.allclose(shared[:-1], welded)


def test_vertices_without_area_get_zero_or_the_fallback():
    v = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [5.0, 5.0, 5.0]])
    f = np.array([[0, 1, 2]])
    assert np.array_equal(vertex_normals(v, f)[3], np.zeros(3))
    up = np.array([0.0, 1.0, 0.0])
    n = vertex_normals(v, f, fallback=up)
    assert np.array_equal(n[3], up) and np.allclose(n[:3], [0.0, 0.0, 1.0])
