"""Export stage 1: weld, clean, drop floaters, decimate (`hoiexport.sdk.geometry.prepare`)."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from hoiexport.exporters.options import PrepareOptions
from hoiexport.sdk.geometry.prepare import prepare_mesh
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh, Texture


@pytest.fixture(scope="module")
def sphere() -> trimesh.Trimesh:
    """Icosphere, radius 0.5 m, 5120 faces."""
    return trimesh.creation.icosphere(subdivisions=4, radius=0.5)


def _split_faces(tm: trimesh.Trimesh) -> Mesh:
    """Every face with its own three vertices (a "triangle soup")."""
    v = tm.vertices[tm.faces].reshape(-1, 3)
    return Mesh(vertices=v, faces=np.arange(len(v)).reshape(-1, 3), name="soup")


def test_weld_restores_shared_vertices(sphere):
    out = prepare_mesh(_split_faces(sphere), 100_000, PrepareOptions())
    assert len(out.mesh.vertices) == len(sphere.vertices)
    assert out.stats.welded_vertices == 3 * len(sphere.faces) - len(sphere.vertices)
    assert len(out.mesh.faces) == len(sphere.faces)
    # Same surface: every output corner is an input corner.
    np.testing.assert_allclose(
        out.mesh.vertices[out.mesh.faces], sphere.vertices[sphere.faces], atol=1e-6
    )
    # input_vertex points at input vertices with the same position.
    soup = _split_faces(sphere)
    np.testing.assert_allclose(soup.vertices[out.input_vertex], out.mesh.vertices, atol=1e-6)


def test_weld_keeps_uv_seams():
    # A quad of two triangles; the shared edge's vertices are duplicated, once with
    # the same uv (must merge) and once with a different uv (must stay split).
    v = np.array(
        [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=np.float32
    )
    f = np.array([[0, 1, 2], [3, 4, 5]])
    uv_same = np.array([[0, 0], [1, 0], [1, 1], [0, 0], [1, 1], [0, 1]], dtype=np.float32)
    uv_seam = uv_same.copy()
    uv_seam[3] = [0.5, 0.5]  # vertex 3 sits on a uv seam
    merged = prepare_mesh(Mesh(v, f, uv=uv_same), 100, PrepareOptions())
    split = prepare_mesh(Mesh(v, f, uv=uv_seam), 100, PrepareOptions())
    assert len(merged.mesh.vertices) == 4
    assert len(split.mesh.vertices) == 5
    # uv survive welding unchanged per corner.
    np.testing.assert_array_equal(split.mesh.uv[split.mesh.faces], uv_seam[f])
    # Both triangles are still one piece (seams do not split connectivity).
    assert split.stats.floater_components == 0


def test_removes_floater_degenerate_and_duplicate(sphere):
    v = np.asarray(sphere.vertices, dtype=np.float64)
    f = np.asarray(sphere.faces)
    n = len(v)
    floater = np.array([[3.0, 0, 0], [3.001, 0, 0], [3.0, 0.001, 0]])
    v2 = np.concatenate([v, floater])
    extra = np.array(
        [
            [n, n + 1, n + 2],  # floater: a 0.5 mm² triangle 2.5 m away
            [0, 1, 1],  # degenerate: repeated corner
            f[10][::-1],  # duplicate of face 10, flipped
        ]
    )
    mesh = Mesh(v2, np.concatenate([f, extra]), name="dirty")
    out = prepare_mesh(mesh, 100_000, PrepareOptions())
    s = out.stats
    assert s.degenerate_faces == 1
    assert s.duplicate_faces == 1
    assert s.floater_components == 1 and s.floater_faces == 1
    assert s.faces_out == len(f)
    assert np.linalg.norm(out.mesh.vertices, axis=1).max() < 0.51  # floater gone
    assert not s.decimated


def test_floater_measure_by_faces_keeps_big_pieces(sphere):
    # Two equal spheres: neither is a floater whatever the measure.
    v = np.concatenate([sphere.vertices, sphere.vertices + [2.0, 0, 0]])
    f = np.concatenate([sphere.faces, sphere.faces + len(sphere.vertices)])
    for measure in ("area", "faces"):
        out = prepare_mesh(Mesh(v, f), 100_000, PrepareOptions(floater_measure=measure))
        assert out.stats.floater_components == 0
        assert out.stats.faces_out == len(f)


@pytest.mark.parametrize("budget", [1000, 2500])
def test_decimation_hits_budget(sphere, budget):
    uv = (sphere.vertices[:, :2] * 0.5 + 0.5).astype(np.float32)
    tex = Texture(np.full((4, 4, 3), 200, dtype=np.uint8))
    mesh = Mesh(sphere.vertices, sphere.faces, uv=uv, texture=tex, name="ball")
    out = prepare_mesh(mesh, budget, PrepareOptions())
    assert out.stats.decimated
    assert abs(out.stats.faces_out - budget) <= 0.01 * budget
    assert out.stats.faces_out <= budget
    # Decimation drops appearance; the source keeps it for the bake.
    assert out.mesh.uv is None and out.mesh.texture is None
    assert out.source.texture is tex and len(out.source.faces) == len(sphere.faces)
    assert out.source_face is None
    # Still a sphere of radius 0.5 m (within 1 cm), with outward unit normals.
    r = np.linalg.norm(out.mesh.vertices, axis=1)
    assert np.abs(r - 0.5).max() < 0.01
    np.testing.assert_allclose(np.linalg.norm(out.mesh.normals, axis=1), 1.0, atol=1e-5)
    assert (np.einsum("ij,ij->i", out.mesh.normals, out.mesh.vertices / r[:, None]) > 0.95).all()
    # input_vertex: the nearest input vertex, so within one edge length.
    d = np.linalg.norm(sphere.vertices[out.input_vertex] - out.mesh.vertices, axis=1)
    assert d.max() < sphere.edges_unique_length.max()


def test_under_budget_keeps_everything(sphere):
    colors = (np.abs(sphere.vertices) * 400).clip(0, 255).astype(np.uint8)
    mesh = Mesh(sphere.vertices, sphere.faces, colors=colors)
    out = prepare_mesh(mesh, 40_000, PrepareOptions())
    assert out.mesh is out.source
    np.testing.assert_array_equal(out.source_face, np.arange(len(sphere.faces)))
    np.testing.assert_array_equal(out.mesh.colors, colors[out.input_vertex])
    assert out.mesh.normals is not None


def test_bad_input():
    with pytest.raises(InputError, match="max_faces"):
        prepare_mesh(Mesh(np.eye(3), [[0, 1, 2]]), 2, PrepareOptions())
    with pytest.raises(InputError, match="NaN"):
        bad = Mesh([[0, 0, 0], [1, 0, 0], [np.nan, 1, 0]], [[0, 1, 2]])
        prepare_mesh(bad, 10, PrepareOptions())
    with pytest.raises(InputError, match="no faces"):
        prepare_mesh(Mesh(np.eye(3), np.zeros((0, 3))), 10, PrepareOptions())
    with pytest.raises(InputError, match="degenerate"):
        prepare_mesh(Mesh(np.eye(3), [[0, 1, 1]]), 10, PrepareOptions())
    with pytest.raises(InputError, match="floater_measure"):
        PrepareOptions(floater_measure="volume")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="human_max_faces"):
        PrepareOptions(human_max_faces=0)


def test_decimation_is_thread_safe(sphere):
    # fast_simplification keeps global state; prepare_mesh serialises it, so two
    # threads decimating different meshes get the same results as one by one.
    from concurrent.futures import ThreadPoolExecutor

    cap = trimesh.creation.capsule(height=1.0, radius=0.1, count=[32, 32])
    a, b = Mesh(sphere.vertices, sphere.faces), Mesh(cap.vertices, cap.faces)
    ref_a = prepare_mesh(a, 1000, PrepareOptions()).mesh.vertices
    ref_b = prepare_mesh(b, 500, PrepareOptions()).mesh.vertices
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(3):
            fa = pool.submit(prepare_mesh, a, 1000, PrepareOptions())
            fb = pool.submit(prepare_mesh, b, 500, PrepareOptions())
            np.testing.assert_array_equal(fa.result().mesh.vertices, ref_a)
            np.testing.assert_array_equal(fb.result().mesh.vertices, ref_b)
