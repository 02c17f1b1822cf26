"""Export stage 2: uv atlases with xatlas (DESIGN §8).

- `unwrap` / `unwrap_atlas`: one mesh → a new mesh whose `uv` is a packed atlas in
  [0, 1]². xatlas splits vertices along chart seams; every per-vertex attribute
  (position, normal, colour) is carried over through its `vmapping`. The old
  texture is dropped (it was addressed by the old uv); the bake stage makes the new
  one. With `UVOptions.keep_uv` the mesh's own uv are kept when
  `source_uv_problem` finds nothing wrong with them, and nothing is recomputed.
- `start_unwrap` / `unwrap_many`: unwrap on an executor: worker processes
  (`uv_process_pool`) or, serially, this thread (`InlineExecutor`); `uv_executor`
  picks one by worker count. xatlas holds the GIL while it works (measured: two
  threads take as long as running one after the other), so threads do not help;
  a worker process lets this process do other work meanwhile.
- `raster_spans` / `rasterize_uv`: which texel centres each uv triangle covers,
  as runs along texel rows or texel by texel, with barycentric coordinates; the
  bake stage and the overlap check use them.

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
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import numpy as np

from hoiexport.sdk.geometry.options import UVOptions
from hoiexport.sdk.core.errors import ExportError, InputError
from hoiexport.sdk.core.types import Mesh

_P = ParamSpec("_P")
_T = TypeVar("_T")

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
            xatlas packs on a grid of about `UVOptions.resolution / pack_step`
            (`pack_grid`) but not always square (e.g. 1275×1301 for 1024); uv
            are normalised per axis, so a square bake stretches texel density a
            little along one axis.
        utilization: fraction of the atlas covered by charts (0 when kept).
        seconds: wall time of the unwrap (in the worker when run on a pool).
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


@dataclass
class UVSpans:
    """Texel centres covered by uv triangles, as runs along texel rows.

    One run per (face, texel row) that covers at least one centre, in face order,
    then row order. Barycentric coordinates are affine along a row, so a run is
    its first texel's coordinates plus a constant step per texel to the right.

    Attributes:
        face: (S,) int64 covering face.
        row: (S,) int64 texel row.
        x0: (S,) int64 column of the run's first texel.
        count: (S,) int64 texels in the run (>= 1).
        bary0: (S, 3) float64 barycentric coordinates at the first texel centre.
        step: (S, 3) float64 change of those coordinates per texel to the right
            (sums to 0).
        width: image width, texels.
    """

    face: np.ndarray
    row: np.ndarray
    x0: np.ndarray
    count: np.ndarray
    bary0: np.ndarray
    step: np.ndarray
    width: int

    @property
    def size(self) -> int:
        """N, the number of (texel, face) entries."""
        return int(self.count.sum())

    def offsets(self) -> np.ndarray:
        """(N,) int32 position of each entry within its run (0 at `x0`)."""
        n = self.size
        starts = np.cumsum(self.count) - self.count
        return (np.arange(n, dtype=np.int32) - np.repeat(starts.astype(np.int32), self.count)).astype(np.int32)

    def texels(self, offsets: np.ndarray | None = None) -> np.ndarray:
        """(N,) int64 flat texel index (row * width + column) of each entry."""
        k = self.offsets() if offsets is None else offsets
        return np.repeat(self.row * self.width + self.x0, self.count) + k

    def expand(self, start: np.ndarray, step: np.ndarray, offsets: np.ndarray | None = None) -> np.ndarray:
        """Per-entry values of quantities that are affine along each run.

        Args:
            start: (S, C) values at each run's first texel.
            step: (S, C) change per texel to the right.
            offsets: `offsets()` when already computed.

        Returns:
            (C, N) float32, channel-planar: start + k * step for the k-th texel of
            each run.
        """
        k = (self.offsets() if offsets is None else offsets).astype(np.float32)
        start = np.asarray(start, np.float32)
        step = np.asarray(step, np.float32)
        out = np.empty((start.shape[1], len(k)), dtype=np.float32)
        for c in range(start.shape[1]):
            np.multiply(np.repeat(step[:, c], self.count), k, out=out[c])
            out[c] += np.repeat(start[:, c], self.count)
        return out


def raster_spans(
    uv: np.ndarray, faces: np.ndarray, width: int, height: int, inclusive: bool = True
) -> UVSpans:
    """Find the runs of texel centres inside every uv triangle (vectorised scanlines).

    Each triangle is cut into texel rows; each row's covered span [x_start, x_end]
    comes from intersecting the row with the triangle's edges, so no texel outside
    a triangle is ever tested. Triangles with zero uv area cover nothing.

    Args:
        uv: (V, 2) float texture coordinates, glTF convention (v down).
        faces: (F, 3) int faces into `uv`.
        width: image width, texels.
        height: image height, texels.
        inclusive: True counts centres exactly on an edge as inside (no cracks
            between neighbouring triangles; such centres are listed twice);
            False counts them as outside (no double counting).

    Returns:
        The runs, with barycentric coordinates at their start and their step.
    """
    uv = np.asarray(uv, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
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

    keep = span > 0
    span, x0, row_y, f = span[keep], x0[keep], row_y[keep], row_face[keep]
    # Barycentrics are affine in x along a row: l = slope * x + offset.
    inv = 1.0 / np.where(valid, det, 1.0)[f]
    dyr = row_y - py[f, 0]
    s1 = e2[f, 1] * inv
    s2 = -e1[f, 1] * inv
    l1 = s1 * x0 + (-px[f, 0] * e2[f, 1] - dyr * e2[f, 0]) * inv
    l2 = s2 * x0 + (dyr * e1[f, 0] + px[f, 0] * e1[f, 1]) * inv
    return UVSpans(
        face=f,
        row=row_y.astype(np.int64),
        x0=x0.astype(np.int64),
        count=span,
        bary0=np.stack([1.0 - l1 - l2, l1, l2], axis=1),
        step=np.stack([-s1 - s2, s1, s2], axis=1),
        width=int(width),
    )


def rasterize_uv(
    uv: np.ndarray, faces: np.ndarray, width: int, height: int, inclusive: bool = True
) -> UVRaster:
    """Find every texel centre inside every uv triangle (`raster_spans`, expanded).

    Where triangles overlap, a texel is listed once per triangle, in face order.

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
    spans = raster_spans(uv, faces, width, height, inclusive)
    k = spans.offsets()
    kf = k.astype(np.float64)[:, None]
    bary = (np.repeat(spans.bary0, spans.count, axis=0) + kf * np.repeat(spans.step, spans.count, axis=0)).astype(np.float32)
    return UVRaster(texel=spans.texels(k), face=np.repeat(spans.face, spans.count), bary=bary)


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
    # Hits per cell from the runs' ends (a difference array per row), so the cost
    # does not grow with how often the uv cover each cell (stacked layouts).
    g = _OVERLAP_GRID
    spans = raster_spans(uv, mesh.faces, g, g, inclusive=False)
    start = spans.row * (g + 1) + spans.x0
    delta = np.bincount(start, minlength=g * (g + 1)) - np.bincount(start + spans.count, minlength=g * (g + 1))
    hits = np.cumsum(delta.reshape(g, g + 1)[:, :g], axis=1)
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


def uv_process_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for xatlas runs (`start_unwrap`), forked on Linux (scripts need
    no `if __name__ == "__main__"` guard) and spawned elsewhere.

    With fork, all `workers` processes start at the first submit; submit before
    starting threads of your own, as a forked child copies only the calling thread.
    """
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )


class InlineExecutor(Executor):
    """An `Executor` that runs each task in the calling thread, at `submit`.

    The serial stand-in for a pool: code written against `Executor` (submit, then
    `Future.result()`) runs unchanged, one task after the other in submission
    order, and a task's exception comes back from `result()` as from a pool.
    `shutdown` has nothing to wait for.
    """

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        future: Future[_T] = Future()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - handed to the caller by `result()`, as a pool does
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future


def uv_executor(workers: int) -> Executor:
    """Where xatlas runs for `workers` (`UVOptions.workers`): `uv_process_pool(workers)`
    when more than one, else an `InlineExecutor` (this thread). Use it as a context
    manager (or call `shutdown`) so pool workers end with it."""
    return uv_process_pool(workers) if workers > 1 else InlineExecutor()


def _die_with_parent(parent: int) -> None:
    """Worker initializer: on Linux, ask the kernel to kill this worker when the
    process that started it dies (a forked worker of a killed parent would
    otherwise wait on its task queue forever)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


class PendingAtlas:
    """An unwrap started by `start_unwrap`; `result()` waits for its `UVAtlas`."""

    def __init__(self, mesh: Mesh, reason: str, job: Future[_XAtlasResult] | None, done: UVAtlas | None) -> None:
        self._mesh = mesh
        self._reason = reason
        self._job = job
        self._done = done

    def result(self) -> UVAtlas:
        """The atlas (blocks while xatlas runs in its worker).

        Raises:
            ExportError: xatlas failed, or its worker process died.
        """
        if self._done is None:
            assert self._job is not None
            try:
                res = self._job.result()
            except BrokenProcessPool as exc:
                raise ExportError(
                    f"the uv worker process for {self._mesh.name} died ({exc}); retry with UVOptions(workers=1)"
                ) from exc
            self._done = _assemble(self._mesh, res, self._reason, res.seconds)
        return self._done


def start_unwrap(mesh: Mesh, opts: UVOptions, pool: Executor | None = None) -> PendingAtlas:
    """Start unwrapping `mesh`: check it (and, with `keep_uv`, its own uv) now, then
    run xatlas on `pool` (e.g. `uv_executor`), or here when `pool` is None.

    xatlas holds the GIL while it works, so a worker process is what lets this
    process do other work (another mesh, the skin transfer) at the same time.

    Args:
        mesh: the mesh to unwrap.
        opts: chart and pack options.
        pool: where xatlas runs; None (or an `InlineExecutor`) runs it before
            returning.

    Returns:
        The pending atlas.

    Raises:
        InputError: a mesh without faces or with bad values.
        ExportError: (pool None) the errors of `unwrap_atlas`.
    """
    t0 = time.perf_counter()
    _check_mesh(mesh)
    reason = ""
    if opts.keep_uv:
        problem = source_uv_problem(mesh, opts)
        if problem is None:
            return PendingAtlas(mesh, "", None, _kept(mesh, time.perf_counter() - t0))
        reason = problem
    if pool is None:
        res = _run_xatlas(mesh.vertices, mesh.faces, mesh.normals, opts, mesh.name)
        return PendingAtlas(mesh, reason, None, _assemble(mesh, res, reason, time.perf_counter() - t0))
    job = pool.submit(_run_xatlas, mesh.vertices, mesh.faces, mesh.normals, opts, mesh.name)
    return PendingAtlas(mesh, reason, job, None)


def unwrap_many(meshes: Sequence[Mesh], opts: UVOptions) -> list[UVAtlas]:
    """Unwrap several meshes, each into its own atlas, in parallel processes.

    Meshes that keep their own uv (`opts.keep_uv`) are handled here; xatlas runs in
    `uv_process_pool` workers (forked only when some mesh needs it), or in this
    thread with `opts.workers == 1` or a single mesh (`uv_executor`).

    Args:
        meshes: meshes to unwrap (e.g. [human, object]).
        opts: options shared by all meshes.

    Returns:
        One `UVAtlas` per mesh, in order.

    Raises:
        The errors of `unwrap_atlas`; ExportError when a worker process died.
    """
    with uv_executor(min(opts.workers, len(meshes))) as pool:
        pending = [start_unwrap(m, opts, pool) for m in meshes]
        return [p.result() for p in pending]


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
    pack.resolution, pack.padding = pack_grid(opts)
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


def pack_grid(opts: UVOptions) -> tuple[int, int]:
    """(resolution, padding) xatlas packs with: a grid `opts.pack_step` times
    coarser than `opts.resolution`, the padding divided by the same step (rounded
    up), so charts keep the same spacing once the atlas is stretched to
    `opts.resolution`.

    xatlas picks the texel density for its resolution assuming 75 % of the atlas
    is used, so the atlas it returns is often up to ~1.25× that resolution and
    the spacing at `opts.resolution` about 0.8× `opts.padding`, as when packing
    at full resolution; the bake's gutter (`BakeOptions.gutter_px`) fills it.
    """
    step = opts.pack_step
    return max(16, -(-opts.resolution // step)), -(-opts.padding // step)


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
