"""Export stage 2: uv atlases with xatlas (DESIGN §8).

- `unwrap` / `unwrap_atlas`: one mesh → a new mesh whose `uv` is a packed atlas in
  [0, 1]². xatlas splits vertices along chart seams; every per-vertex attribute
  (position, normal, colour) is carried over through its `vmapping`. The old
  texture is dropped (it was addressed by the old uv); the bake stage makes the new
  one. With `UVOptions.keep_uv` the mesh's own uv are kept when
  `source_uv_problem` finds nothing wrong with them, and nothing is recomputed.
- `unwrap_many`: several meshes (human and object, kept in separate atlases) in
  parallel worker processes. xatlas holds the GIL while it works (measured: two
  threads take as long as running one after the other), so threads do not help.
- `rasterize_uv`: which texel centres each uv triangle covers, with barycentric
  coordinates; the bake stage and the overlap check use it.

uv convention everywhere (glTF): (0, 0) is the image's top-left corner, u grows to
the right, v grows downwards; texel (row r, column c) of a W×H image has its centre
at uv ((c + 0.5) / W, (r + 0.5) / H).

xatlas time grows faster than linearly with the face count (seconds for ~20k
faces): decimate with `prepare_mesh` first.

Example::

    atlas = unwrap_atlas(prepared.mesh, UVOptions(resolution=2048))
    atlas.mesh.uv            # (V', 2) float32 in [0, 1]
    atlas.vertex_map         # (V',) index of each new vertex in prepared.mesh
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np

from hoiexport.exporters.options import UVOptions
from hoiexport.sdk.errors import ExportError, InputError
from hoiexport.sdk.types import Mesh

_OVERLAP_GRID = 512
"""Edge, in cells, of the grid `source_uv_problem` rasterises uv triangles into."""


@dataclass
class UVAtlas:
    """Result of unwrapping one mesh.

    Attributes:
        mesh: the mesh with its new uv (V', 2) float32 in [0, 1]; positions,
            normals and colours carried over; no texture (bake makes it) unless
            the source uv were kept.
        vertex_map: (V',) int64 index of each output vertex in the input mesh.
        kept_source_uv: True when the input's uv were kept (`UVOptions.keep_uv`).
        rejected_reason: why the input's uv were not kept ("" when kept or not asked).
        chart_count: xatlas charts (0 when the source uv were kept).
        atlas_width: width of the packed atlas in xatlas texels (0 when kept).
        atlas_height: height of the packed atlas in xatlas texels (0 when kept).
            xatlas packs to about `UVOptions.resolution` but not always square
            (e.g. 2194×2407 for 2048); uv are normalised per axis, so a square
            bake stretches texel density a little along one axis.
        utilization: fraction of the atlas covered by charts (0 when kept).
        seconds: wall time of the unwrap (in the worker when run by `unwrap_many`).
    """

    mesh: Mesh
    vertex_map: np.ndarray
    kept_source_uv: bool
    rejected_reason: str
    chart_count: int
    atlas_width: int
    atlas_height: int
    utilization: float
    seconds: float


@dataclass
class UVRaster:
    """Texel centres covered by uv triangles.

    Attributes:
        texel: (N,) int64 flat texel index, row * width + column.
        face: (N,) int64 index of the covering face.
        bary: (N, 3) float32 barycentric coordinates of the texel centre in that
            face (sum to 1; on an edge a coordinate may be below 0 by ~1e-6).
    """

    texel: np.ndarray
    face: np.ndarray
    bary: np.ndarray


def rasterize_uv(
    uv: np.ndarray, faces: np.ndarray, width: int, height: int, inclusive: bool = True
) -> UVRaster:
    """Find every texel centre inside every uv triangle (vectorised scanlines).

    Each triangle is cut into texel rows; each row's covered span [x_start, x_end]
    comes from intersecting the row with the triangle's edges, so no texel outside
    a triangle is ever tested. Barycentric coordinates are affine along a row.
    Triangles with zero uv area cover nothing. Where triangles overlap, a texel is
    listed once per triangle, in face order.

    Args:
        uv: (V, 2) float texture coordinates, glTF convention (v down).
        faces: (F, 3) int faces into `uv`.
        width: image width, texels.
        height: image height, texels.
        inclusive: True counts centres exactly on an edge as inside (no cracks
            between neighbouring triangles; such centres are listed twice);
            False counts them as outside (no double counting).

    Returns:
        The covered texels with their faces and barycentric coordinates.
    """
    uv = np.asarray(uv, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    pts = uv[faces] * np.array([width, height]) - 0.5  # (F, 3, 2) texel-centre coordinates
    px, py = pts[..., 0], pts[..., 1]
    e1 = pts[:, 1] - pts[:, 0]
    e2 = pts[:, 2] - pts[:, 0]
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    valid = np.isfinite(det) & (np.abs(det) > 1e-12)
    eps = 1e-6 if inclusive else -1e-6  # texels; > 0 widens each span

    # One entry per (face, texel row).
    y_lo = np.clip(np.ceil(py.min(axis=1) - eps), 0, height)
    y_hi = np.clip(np.floor(py.max(axis=1) + eps), -1, height - 1)
    rows = np.where(valid, np.maximum(y_hi - y_lo + 1, 0), 0).astype(np.int64)
    row_face = np.repeat(np.arange(len(faces)), rows)
    row_start = np.repeat(np.cumsum(rows) - rows, rows)
    row_y = np.repeat(y_lo, rows) + (np.arange(len(row_face)) - row_start)

    x_left = np.full(len(row_face), np.inf)
    x_right = np.full(len(row_face), -np.inf)
    for i, j in ((0, 1), (1, 2), (2, 0)):
        ax, ay = px[row_face, i], py[row_face, i]
        bx, by = px[row_face, j], py[row_face, j]
        dy = by - ay
        tol = abs(eps)
        crosses = (row_y >= np.minimum(ay, by) - tol) & (row_y <= np.maximum(ay, by) + tol)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.clip(np.where(dy != 0, (row_y - ay) / dy, 0.0), 0.0, 1.0)
        x = ax + t * (bx - ax)
        x_left = np.where(crosses, np.minimum(x_left, x), x_left)
        x_right = np.where(crosses, np.maximum(x_right, x), x_right)
    with np.errstate(invalid="ignore"):
        x0 = np.clip(np.ceil(x_left - eps), 0, width)
        x1 = np.clip(np.floor(x_right + eps), -1, width - 1)
    finite = np.isfinite(x0) & np.isfinite(x1)
    span = np.where(finite, np.maximum(x1 - x0 + 1, 0), 0).astype(np.int64)

    # Barycentrics are affine in x along a row: l = slope * x + offset.
    f = row_face
    inv = 1.0 / np.where(valid, det, 1.0)[f]
    dyr = row_y - py[f, 0]
    s1 = e2[f, 1] * inv
    s2 = -e1[f, 1] * inv
    o1 = (-px[f, 0] * e2[f, 1] - dyr * e2[f, 0]) * inv
    o2 = (dyr * e1[f, 0] + px[f, 0] * e1[f, 1]) * inv

    keep = span > 0
    span, x0, row_y, f = span[keep], x0[keep], row_y[keep], f[keep]
    s1, s2, o1, o2 = s1[keep], s2[keep], o1[keep], o2[keep]
    n = int(span.sum())
    x = (np.repeat(x0 - (np.cumsum(span) - span), span) + np.arange(n)).astype(np.int64)
    xf = x.astype(np.float64)
    l1 = np.repeat(s1, span) * xf + np.repeat(o1, span)
    l2 = np.repeat(s2, span) * xf + np.repeat(o2, span)
    bary = np.empty((n, 3), dtype=np.float32)
    bary[:, 1] = l1
    bary[:, 2] = l2
    bary[:, 0] = 1.0 - l1 - l2
    texel = np.repeat(row_y.astype(np.int64) * width, span) + x
    return UVRaster(texel=texel, face=np.repeat(f, span), bary=bary)


def source_uv_problem(mesh: Mesh, opts: UVOptions) -> str | None:
    """Say why the mesh's own uv cannot serve as its atlas, or None when they can.

    The check is deliberately simple:
    - uv present, finite, and every coordinate in [0, 1];
    - at most `opts.keep_uv_max_degenerate` of the faces have zero uv area;
    - at most `opts.keep_uv_max_overlap` of the covered area is covered twice,
      measured by rasterising all uv triangles into a 512×512 grid (a mirrored or
      stacked layout, which a baked texture cannot represent, fails this).

    Args:
        mesh: the mesh whose `uv` to check.
        opts: thresholds.

    Returns:
        None when the uv are usable, else a short reason.
    """
    if mesh.uv is None:
        return "the mesh has no uv"
    uv = mesh.uv.astype(np.float64)
    if not np.isfinite(uv).all():
        return "uv contain NaN or inf"
    if uv.min() < 0.0 or uv.max() > 1.0:
        return f"uv outside [0, 1] (range {uv.min():.3f}..{uv.max():.3f})"
    tri = uv[mesh.faces]
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    area = 0.5 * np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
    degenerate = float(np.mean(area <= 1e-12))
    if degenerate > opts.keep_uv_max_degenerate:
        return f"{degenerate:.1%} of the faces have zero uv area"
    raster = rasterize_uv(uv, mesh.faces, _OVERLAP_GRID, _OVERLAP_GRID, inclusive=False)
    hits = np.bincount(raster.texel, minlength=_OVERLAP_GRID * _OVERLAP_GRID)
    covered = int((hits > 0).sum())
    if covered == 0:
        return "uv cover no area"
    overlap = float((hits > 1).sum()) / covered
    if overlap > opts.keep_uv_max_overlap:
        return f"{overlap:.1%} of the uv area is covered more than once"
    return None


def unwrap_atlas(mesh: Mesh, opts: UVOptions) -> UVAtlas:
    """Give `mesh` a packed uv atlas (or keep its own, see `UVOptions.keep_uv`).

    Args:
        mesh: the mesh, usually from `prepare_mesh`; internal frame, metres.
        opts: chart and pack options.

    Returns:
        The new mesh with uv in [0, 1], the vertex map and atlas stats.

    Raises:
        InputError: a mesh without faces or with bad values.
        ExportError: xatlas needed more than one atlas (raise `resolution` or
            lower `texels_per_unit`).
    """
    t0 = time.perf_counter()
    _check_mesh(mesh)
    reason = ""
    if opts.keep_uv:
        problem = source_uv_problem(mesh, opts)
        if problem is None:
            return _kept(mesh, time.perf_counter() - t0)
        reason = problem
    result = _run_xatlas(mesh.vertices, mesh.faces, mesh.normals, opts, mesh.name)
    return _assemble(mesh, result, reason, time.perf_counter() - t0)


def unwrap(mesh: Mesh, opts: UVOptions) -> Mesh:
    """`unwrap_atlas(mesh, opts).mesh`: the mesh with its new atlas uv."""
    return unwrap_atlas(mesh, opts).mesh


def unwrap_many(meshes: Sequence[Mesh], opts: UVOptions) -> list[UVAtlas]:
    """Unwrap several meshes, each into its own atlas, in parallel processes.

    Meshes that keep their own uv (`opts.keep_uv`) are handled here without a
    worker. With `opts.workers == 1`, or a single mesh to unwrap, everything runs
    in this process. Workers are forked on Linux (so scripts need no
    `if __name__ == "__main__"` guard) and spawned elsewhere.

    Args:
        meshes: meshes to unwrap (e.g. [human, object]).
        opts: options shared by all meshes.

    Returns:
        One `UVAtlas` per mesh, in order.

    Raises:
        The errors of `unwrap_atlas`; ExportError when a worker process died.
    """
    results: list[UVAtlas | None] = [None] * len(meshes)
    todo: list[int] = []
    reasons: dict[int, str] = {}
    for i, mesh in enumerate(meshes):
        t0 = time.perf_counter()
        _check_mesh(mesh)
        if opts.keep_uv:
            problem = source_uv_problem(mesh, opts)
            if problem is None:
                results[i] = _kept(mesh, time.perf_counter() - t0)
                continue
            reasons[i] = problem
        todo.append(i)

    workers = min(opts.workers, len(todo))
    if workers <= 1:
        for i in todo:
            m = meshes[i]
            res = _run_xatlas(m.vertices, m.faces, m.normals, opts, m.name)
            results[i] = _assemble(m, res, reasons.get(i, ""), res.seconds)
    else:
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        ctx = multiprocessing.get_context(method)
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                futures = {
                    i: pool.submit(
                        _run_xatlas,
                        meshes[i].vertices,
                        meshes[i].faces,
                        meshes[i].normals,
                        opts,
                        meshes[i].name,
                    )
                    for i in todo
                }
                for i, fut in futures.items():
                    res = fut.result()
                    results[i] = _assemble(meshes[i], res, reasons.get(i, ""), res.seconds)
        except BrokenProcessPool as exc:
            raise ExportError(
                f"a uv worker process died ({exc}); retry with UVOptions(workers=1)"
            ) from exc
    return [r for r in results if r is not None]


@dataclass
class _XAtlasResult:
    vmapping: np.ndarray
    indices: np.ndarray
    uvs: np.ndarray
    chart_count: int
    width: int
    height: int
    utilization: float
    seconds: float


def _kept(mesh: Mesh, seconds: float) -> UVAtlas:
    """The `UVAtlas` of a mesh that keeps its own uv."""
    return UVAtlas(
        mesh=mesh,
        vertex_map=np.arange(len(mesh.vertices), dtype=np.int64),
        kept_source_uv=True,
        rejected_reason="",
        chart_count=0,
        atlas_width=0,
        atlas_height=0,
        utilization=0.0,
        seconds=seconds,
    )


def _check_mesh(mesh: Mesh) -> None:
    mesh.validate()
    if len(mesh.faces) == 0:
        raise InputError(f"{mesh.name} has no faces; there is nothing to unwrap")


def _run_xatlas(
    vertices: np.ndarray, faces: np.ndarray, normals: np.ndarray | None, opts: UVOptions, name: str
) -> _XAtlasResult:
    """Chart and pack one mesh with xatlas (runs in a worker for `unwrap_many`)."""
    import xatlas

    t0 = time.perf_counter()
    atlas = xatlas.Atlas()
    atlas.add_mesh(
        np.ascontiguousarray(vertices, dtype=np.float32),
        np.ascontiguousarray(faces, dtype=np.uint32),
        None if normals is None else np.ascontiguousarray(normals, dtype=np.float32),
    )
    chart = xatlas.ChartOptions()
    chart.max_iterations = opts.max_iterations
    chart.max_cost = opts.max_cost
    pack = xatlas.PackOptions()
    pack.resolution = opts.resolution
    pack.padding = opts.padding
    pack.max_chart_size = opts.max_chart_size
    pack.texels_per_unit = opts.texels_per_unit
    pack.bilinear = opts.bilinear
    pack.blockAlign = opts.block_align
    pack.bruteForce = opts.brute_force
    pack.rotate_charts = opts.rotate_charts
    atlas.generate(chart, pack)
    if atlas.atlas_count != 1:
        raise ExportError(
            f"xatlas packed {name} into {atlas.atlas_count} atlases; one is needed: raise "
            f"UVOptions.resolution ({opts.resolution}) or lower texels_per_unit "
            f"({opts.texels_per_unit})"
        )
    vmapping, indices, uvs = atlas.get_mesh(0)
    return _XAtlasResult(
        vmapping=np.asarray(vmapping, dtype=np.int64),
        indices=np.asarray(indices, dtype=np.int64).reshape(-1, 3),
        uvs=np.asarray(uvs, dtype=np.float32),
        chart_count=int(atlas.chart_count),
        width=int(atlas.width),
        height=int(atlas.height),
        utilization=float(atlas.utilization),
        seconds=time.perf_counter() - t0,
    )


def _assemble(mesh: Mesh, res: _XAtlasResult, reason: str, seconds: float) -> UVAtlas:
    """Build the output mesh from xatlas's vertex map, faces and uv."""
    if len(res.indices) != len(mesh.faces):
        raise ExportError(
            f"xatlas returned {len(res.indices)} faces for {mesh.name}'s {len(mesh.faces)}"
        )
    vm = res.vmapping
    out = Mesh(
        vertices=mesh.vertices[vm],
        faces=res.indices,
        uv=np.clip(res.uvs, 0.0, 1.0),
        colors=None if mesh.colors is None else mesh.colors[vm],
        normals=None if mesh.normals is None else mesh.normals[vm],
        name=mesh.name,
    )
    return UVAtlas(
        mesh=out,
        vertex_map=vm,
        kept_source_uv=False,
        rejected_reason=reason,
        chart_count=res.chart_count,
        atlas_width=res.width,
        atlas_height=res.height,
        utilization=res.utilization,
        seconds=seconds,
    )
