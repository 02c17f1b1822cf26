"""Export stage 2: uv atlases (`hoiexport.sdk.geometry.uv`)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh

from hoiexport.exporters.options import UVOptions
from hoiexport.sdk.geometry.uv import (
    pack_grid,
    raster_spans,
    rasterize_uv,
    source_uv_problem,
    start_unwrap,
    unwrap,
    unwrap_atlas,
    unwrap_many,
    uv_process_pool,
)
from hoiexport.sdk.core.errors import ExportError, InputError
from hoiexport.sdk.core.types import Mesh

OPTS = UVOptions(resolution=512, padding=2)


@pytest.fixture(scope="module")
def ball() -> Mesh:
    """Icosphere (1280 faces) with normals and position-coded colours."""
    tm = trimesh.creation.icosphere(subdivisions=3, radius=0.5)
    colors = ((tm.vertices + 0.5) * 255).clip(0, 255).astype(np.uint8)
    return Mesh(tm.vertices, tm.faces, colors=colors, normals=tm.vertex_normals, name="ball")


@pytest.fixture(scope="module")
def capsule() -> Mesh:
    tm = trimesh.creation.capsule(height=0.6, radius=0.2, count=[16, 16])
    return Mesh(tm.vertices, tm.faces, normals=tm.vertex_normals, name="capsule")


@pytest.fixture(scope="module")
def ball_atlas(ball):
    return unwrap_atlas(ball, OPTS)


def test_unwrap_gives_uv_in_unit_square_and_keeps_vertex_data(ball, ball_atlas):
    out = ball_atlas.mesh
    assert out.uv is not None and np.isfinite(out.uv).all()
    assert out.uv.min() >= 0.0 and out.uv.max() <= 1.0
    vm = ball_atlas.vertex_map
    np.testing.assert_array_equal(out.vertices, ball.vertices[vm])
    np.testing.assert_array_equal(out.colors, ball.colors[vm])
    np.testing.assert_array_equal(out.normals, ball.normals[vm])
    # Same triangles, same order, same corner order (the bake relies on this).
    np.testing.assert_array_equal(out.vertices[out.faces], ball.vertices[ball.faces])
    assert len(out.vertices) >= len(ball.vertices)  # seams split vertices
    assert ball_atlas.chart_count >= 1 and 0.3 < ball_atlas.utilization <= 1.0
    assert not ball_atlas.kept_source_uv
    # A real atlas: uv triangles do not overlap.
    assert source_uv_problem(out, UVOptions()) is None


def test_unwrap_returns_the_atlas_mesh(ball, ball_atlas):
    np.testing.assert_array_equal(unwrap(ball, OPTS).uv, ball_atlas.mesh.uv)


def test_keep_uv_keeps_valid_uv(ball_atlas):
    kept = unwrap_atlas(ball_atlas.mesh, UVOptions(resolution=512, keep_uv=True))
    assert kept.kept_source_uv and kept.mesh is ball_atlas.mesh
    np.testing.assert_array_equal(kept.vertex_map, np.arange(len(ball_atlas.mesh.vertices)))


def test_keep_uv_rejects_bad_uv(ball):
    n = len(ball.vertices)
    # A planar projection maps front and back onto the same region: overlapping.
    tilted = ball.vertices @ trimesh.transformations.rotation_matrix(0.3, [1, 1, 0])[:3, :3].T
    planar = Mesh(ball.vertices, ball.faces, uv=(tilted[:, :2] * 0.9 + 0.5))
    assert "more than once" in source_uv_problem(planar, UVOptions())
    out = unwrap_atlas(planar, UVOptions(resolution=512, keep_uv=True))
    assert not out.kept_source_uv and "more than once" in out.rejected_reason
    assert source_uv_problem(out.mesh, UVOptions()) is None
    outside = Mesh(ball.vertices, ball.faces, uv=np.full((n, 2), 1.5))
    assert "outside [0, 1]" in source_uv_problem(outside, UVOptions())
    collapsed = Mesh(ball.vertices, ball.faces, uv=np.full((n, 2), 0.5))
    assert "zero uv area" in source_uv_problem(collapsed, UVOptions())
    assert source_uv_problem(Mesh(ball.vertices, ball.faces), UVOptions()) == "the mesh has no uv"


def test_unwrap_many_matches_one_by_one(ball, capsule, ball_atlas):
    results = unwrap_many([ball, capsule], OPTS)
    assert len(results) == 2
    np.testing.assert_array_equal(results[0].mesh.uv, ball_atlas.mesh.uv)
    np.testing.assert_array_equal(results[0].vertex_map, ball_atlas.vertex_map)
    single = unwrap_atlas(capsule, OPTS)
    np.testing.assert_array_equal(results[1].mesh.uv, single.mesh.uv)
    assert results[1].mesh.name == "capsule"
    serial = unwrap_many([ball, capsule], UVOptions(resolution=512, padding=2, workers=1))
    np.testing.assert_array_equal(serial[1].mesh.uv, single.mesh.uv)


def test_rasterize_uv_finds_exactly_the_centres_inside():
    # Lower-left half of a 16×16 image: centres (c+.5)/16, (r+.5)/16 with u + v < 1.
    uv = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    r = rasterize_uv(uv, np.array([[0, 1, 2]]), 16, 16)
    col, row = r.texel % 16, r.texel // 16
    expected = {(c, rr) for rr in range(16) for c in range(16) if (c + 0.5) + (rr + 0.5) <= 16}
    assert set(zip(col.tolist(), row.tolist(), strict=True)) == expected
    # Barycentrics reproduce each texel centre.
    centre = r.bary.astype(np.float64) @ uv
    np.testing.assert_allclose(centre, np.stack([(col + 0.5) / 16, (row + 0.5) / 16], 1), atol=1e-6)
    # Centres exactly on the diagonal count only when inclusive.
    strict = rasterize_uv(uv, np.array([[0, 1, 2]]), 16, 16, inclusive=False)
    assert len(r.texel) - len(strict.texel) == 16


def test_rasterize_uv_two_triangles_tile_the_square_once():
    uv = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    r = rasterize_uv(uv, faces, 32, 24, inclusive=False)
    hits = np.bincount(r.texel, minlength=32 * 24)
    # Off-diagonal centres are covered exactly once; none are missed.
    assert hits.max() == 1 and (hits == 0).sum() == 0


def test_errors(ball):
    with pytest.raises(InputError, match="no faces"):
        unwrap(Mesh(np.eye(3), np.zeros((0, 3))), OPTS)
    with pytest.raises(InputError, match="resolution"):
        UVOptions(resolution=10)
    with pytest.raises(InputError, match="workers"):
        UVOptions(workers=0)
    # A texel density far too high for a 64-texel atlas needs several atlases.
    with pytest.raises(ExportError, match="atlases"):
        unwrap(ball, UVOptions(resolution=64, texels_per_unit=2000.0))


def test_raster_spans_expand_to_the_texels(ball_atlas):
    mesh = ball_atlas.mesh
    spans = raster_spans(mesh.uv, mesh.faces, 64, 48)
    r = rasterize_uv(mesh.uv, mesh.faces, 64, 48)
    np.testing.assert_array_equal(spans.texels(), r.texel)
    assert spans.size == len(r.texel) and (spans.count >= 1).all()
    # Affine quantities along runs: the barycentric coordinates themselves.
    bary = spans.expand(spans.bary0, spans.step)
    np.testing.assert_allclose(bary.T, r.bary, atol=1e-5)
    np.testing.assert_allclose(bary.sum(axis=0), 1.0, atol=1e-5)


def test_stacked_uv_are_rejected_quickly(ball):
    # Every face maps onto the same big triangle: the layout is stacked 1280 times.
    n = len(ball.vertices)
    uv = np.tile([[0.05, 0.05], [0.95, 0.05], [0.5, 0.95]], (n // 3 + 1, 1))[:n]
    faces = np.arange(3 * len(ball.faces)).reshape(-1, 3) % n
    stacked = Mesh(ball.vertices[: n], faces, uv=uv)
    t = time.perf_counter()
    assert "covered more than once" in source_uv_problem(stacked, UVOptions())
    assert time.perf_counter() - t < 2.0  # ~0.3 billion texel hits if counted one by one


def test_pack_grid_scales_resolution_and_padding(ball):
    opts = UVOptions(resolution=512, padding=3)
    assert pack_grid(opts) == (256, 2)  # padding rounded up: >= 3 texels at 512
    assert pack_grid(UVOptions(resolution=512, padding=3, pack_step=1)) == (512, 3)
    coarse = unwrap_atlas(ball, opts)
    fine = unwrap_atlas(ball, UVOptions(resolution=512, padding=3, pack_step=1))
    # The coarse grid packs about half as many texels per side, as well.
    assert 0.35 < coarse.atlas_width / fine.atlas_width < 0.65
    assert abs(coarse.utilization - fine.utilization) < 0.1
    with pytest.raises(InputError, match="pack_step"):
        UVOptions(pack_step=0)


def test_start_unwrap_on_a_pool_matches_unwrap_atlas(ball, capsule, ball_atlas):
    with uv_process_pool(2) as pool:
        pending = [start_unwrap(m, OPTS, pool) for m in (ball, capsule)]
        kept = start_unwrap(ball_atlas.mesh, UVOptions(resolution=512, keep_uv=True), pool)
        atlases = [p.result() for p in pending]
    np.testing.assert_array_equal(atlases[0].mesh.uv, ball_atlas.mesh.uv)
    assert atlases[1].chart_count >= 1 and atlases[1].seconds > 0
    assert kept.result().kept_source_uv


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_uv_workers_die_with_their_parent():
    """A SIGKILLed parent takes its forked xatlas workers with it (no orphans)."""
    code = (
        "import time\n"
        "from hoiexport.sdk.geometry.uv import uv_process_pool\n"
        "pool = uv_process_pool(2)\n"
        "pool.submit(time.sleep, 60)\n"
        "time.sleep(0.5)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        children = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        assert len(children) == 2
    finally:
        proc.kill()
        proc.wait()

    def alive(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 5
    while any(alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(c) for c in children)
