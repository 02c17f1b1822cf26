"""Export stage 3: bake the source appearance into the target's uv atlas (DESIGN §8).

For every texel centre inside a target uv triangle (`rasterize_uv`):

1. its point on the target surface (barycentric interpolation of the corners);
2. the matching point on the SOURCE surface:
   - same topology (target faces correspond one-to-one to source faces, as after
     `unwrap` of an undecimated mesh or with kept uv): the texel's own face and
     barycentric coordinates, no search;
   - otherwise (a decimated target): the closest point on the source surface
     (`closest_source_points`: cKDTree seeds, then a walk over the source faces,
     then the exact point–triangle closest point);
3. the source appearance there: its texture through the barycentric source uv with
   bilinear filtering, and / or its vertex colours interpolated barycentrically
   (both present: multiplied, as glTF multiplies COLOR_0 into the base colour).

Colour math: source textures and vertex colours are sRGB (see `Mesh`); with
`BakeOptions.linear_blend` (default) they are decoded to linear light, every
interpolation happens there, and the result is encoded back to sRGB. Alpha is
dropped: the output is an opaque base colour.

Gutter: texels outside every chart but within `gutter_px` of one take the colour
of the nearest covered texel (one chessboard distance transform), so bilinear
filtering and mip-maps sample chart colours rather than background across seams;
texels farther away take the mean chart colour, so the smallest mip levels keep
the asset's average colour.

Example::

    texture = bake_base_color(prepared.source, atlas.mesh, BakeOptions(size=2048))
    png = encode_png(texture)
"""

from __future__ import annotations

import functools
import io
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.ndimage
from scipy.spatial import cKDTree

from hoiexport.exporters.options import BakeOptions
from hoiexport.exporters.uv import rasterize_uv
from hoiexport.sdk.errors import InputError
from hoiexport.sdk.types import Mesh, Texture

_SEED_STRIDE = 8
"""Texels (in raster order) that share one nearest-centroid seed face."""

_MAX_WALK = 64
"""Most steps a closest-point walk takes over the source surface."""

_SAME_CORNER_TOLERANCE_M = 1e-6
"""Corners closer than this (metres) count as the same point for the topology check."""


@dataclass
class BakeResult:
    """A baked base-colour texture and how it was made.

    Attributes:
        texture: (size, size, 3) uint8 sRGB base colour.
        coverage: fraction of texels whose centre lies inside a chart.
        path: "same_topology" (texel's own face) or "closest_point" (searched).
        appearance: what was sampled: "texture", "vertex_colors" or
            "texture*vertex_colors".
        mean_distance_m: mean distance from texel points to the source surface,
            metres (0 on the same-topology path).
        max_distance_m: largest such distance, metres.
        seconds: wall time per step ("raster", "locate", "sample", "gutter",
            "encode", "total").
    """

    texture: Texture
    coverage: float
    path: Literal["same_topology", "closest_point"]
    appearance: str
    mean_distance_m: float
    max_distance_m: float
    seconds: dict[str, float] = field(default_factory=dict)


def bake_base_color(
    source: Mesh, target: Mesh, opts: BakeOptions, source_face: np.ndarray | None = None
) -> Texture:
    """`bake(...).texture`: the source appearance re-sampled into `target.uv`.

    See `bake` for the arguments.
    """
    return bake(source, target, opts, source_face).texture


def bake(
    source: Mesh, target: Mesh, opts: BakeOptions, source_face: np.ndarray | None = None
) -> BakeResult:
    """Bake `source`'s texture / vertex colours into a texture over `target.uv`.

    Args:
        source: the mesh carrying the appearance (e.g. `PreparedMesh.source`):
            `texture` + `uv`, and / or `colors`; internal frame, metres.
        target: the mesh to texture, with atlas `uv` (from `unwrap`); same frame.
        opts: texture size, gutter and colour options.
        source_face: optional (F_target,) index into `source.faces` of the source
            face each target face copies, same corner order (e.g.
            `PreparedMesh.source_face`). Without it, the same-topology path is
            used when both meshes have the same faces at the same corners.

    Returns:
        The texture and bake stats.

    Raises:
        InputError: `target` has no uv; `source` has neither texture nor colours;
            `source_face` has the wrong shape or does not match the corners.
    """
    t_start = time.perf_counter()
    times: dict[str, float] = {}
    if target.uv is None:
        raise InputError(f"{target.name} has no uv to bake into; run uv.unwrap on it first")
    if source.texture is None and source.colors is None:
        raise InputError(
            f"{source.name} has neither a texture nor vertex colours; there is no appearance "
            "to bake (give it colours, or export it with a constant base colour)"
        )
    target.validate()
    source.validate()
    size = opts.size

    t = time.perf_counter()
    raster = rasterize_uv(target.uv, target.faces, size, size, inclusive=True)
    times["raster"] = time.perf_counter() - t

    t = time.perf_counter()
    mapping = _face_mapping(source, target, source_face)
    if mapping is not None:
        path: Literal["same_topology", "closest_point"] = "same_topology"
        src_face = mapping[raster.face]
        src_bary = raster.bary
        dist = np.zeros(1)
    else:
        path = "closest_point"
        tv = target.vertices.astype(np.float64)
        c = target.faces[raster.face]
        b = raster.bary
        points = b[:, 0:1] * tv[c[:, 0]] + b[:, 1:2] * tv[c[:, 1]] + b[:, 2:3] * tv[c[:, 2]]
        src_face, src_bary, dist = closest_source_points(source, points, raster.face)
    times["locate"] = time.perf_counter() - t

    t = time.perf_counter()
    colors, appearance = _sample_appearance(source, src_face, src_bary, opts)
    flat = np.zeros((size * size, 3), dtype=np.float32)
    flat[raster.texel] = colors
    covered = np.zeros(size * size, dtype=bool)
    covered[raster.texel] = True
    times["sample"] = time.perf_counter() - t

    t = time.perf_counter()
    background = colors.mean(axis=0) if len(colors) else np.zeros(3, dtype=np.float32)
    image = _fill_gutter(
        flat.reshape(size, size, 3), covered.reshape(size, size), opts.gutter_px, background
    )
    times["gutter"] = time.perf_counter() - t

    t = time.perf_counter()
    if opts.linear_blend:
        out = _linear_to_srgb8(image)
    else:
        out = np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)
    times["encode"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - t_start
    return BakeResult(
        texture=Texture(out),
        coverage=float(covered.mean()),
        path=path,
        appearance=appearance,
        mean_distance_m=float(dist.mean()) if len(dist) else 0.0,
        max_distance_m=float(dist.max()) if len(dist) else 0.0,
        seconds=times,
    )


def encode_png(texture: Texture, compress_level: int = 1) -> bytes:
    """PNG bytes of a texture (pillow).

    Args:
        texture: the texture (RGB or RGBA uint8).
        compress_level: zlib level 0..9 (1: fast, a little larger).

    Raises:
        InputError: `compress_level` outside 0..9.
    """
    from PIL import Image

    if not isinstance(compress_level, int) or not 0 <= compress_level <= 9:
        raise InputError(f"compress_level must be an integer in 0..9, got {compress_level!r}")
    mode = "RGBA" if texture.image.shape[2] == 4 else "RGB"
    buf = io.BytesIO()
    Image.fromarray(texture.image, mode=mode).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def closest_source_points(
    source: Mesh, points: np.ndarray, group: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closest points on the source surface to points near it, as (face, barycentric).

    Designed for many coherent queries (texel points of a decimated copy of the
    source, in raster order):

    1. seeds: the nearest source face by centroid (cKDTree) of the first point of
       every run of up to `_SEED_STRIDE` points with the same `group` label (e.g.
       the target face) seeds the whole run;
    2. walk: from its seed each point steps across the edge opposite its most
       negative barycentric coordinate (projection onto the face's plane) until its
       projection lies inside the face, it would step back (a ridge: the closest
       point is on that edge), it meets an open border, or `_MAX_WALK` steps;
    3. the exact closest point on the final face (Ericson, clamped to the triangle);
    4. points whose walk did not end inside a face (ridges, borders, long walks) or
       ended farther than two mean source edge lengths from the surface (e.g. a
       seed on another piece of the mesh) walk again from their own nearest
       centroid, and the nearer answer is kept.

    The walk follows connectivity through shared positions, so uv seams are crossed.
    The answer is the closest point on the connected surface around the seed; it is
    exact on smooth, well-sampled surfaces and otherwise a point on a face next to
    the closest one. Incoherent queries stay correct but run slower (step 4).

    Args:
        source: the mesh to project onto; metres.
        points: (N, 3) float query points, same frame.
        group: optional (N,) labels of coherent runs; a new seed is taken where
            the label changes.

    Returns:
        face (N,) int64, bary (N, 3) float32, distance (N,) float64 metres.
    """
    points = np.asarray(points, dtype=np.float64)
    n = len(points)
    surf = _SurfaceIndex(source)
    start = np.zeros(n, dtype=bool)
    start[::_SEED_STRIDE] = True
    if group is not None and n:
        g = np.asarray(group)
        start[1:] |= g[1:] != g[:-1]
    heads = np.flatnonzero(start)
    seeds = np.repeat(surf.nearest_face(points[heads]), np.diff(np.append(heads, n)))
    face, bary, dist, inside = surf.walk(points, seeds)
    if n:
        far = np.flatnonzero(~inside | (dist > 2.0 * surf.mean_edge))
        if len(far):
            f2, b2, d2, _ = surf.walk(points[far], surf.nearest_face(points[far]))
            better = d2 < dist[far]
            idx = far[better]
            face[idx], bary[idx], dist[idx] = f2[better], b2[better], d2[better]
    return face, bary, dist


class _SurfaceIndex:
    """Per-face data of a source mesh for nearest-face seeds and surface walks."""

    def __init__(self, mesh: Mesh) -> None:
        v = mesh.vertices.astype(np.float64)
        f = mesh.faces.astype(np.int64)
        tri = v[f]
        self.tri = tri
        self._tree = cKDTree(tri.mean(axis=1))
        a = tri[:, 0]
        e1 = tri[:, 1] - a
        e2 = tri[:, 2] - a
        g11 = np.einsum("ij,ij->i", e1, e1)
        g12 = np.einsum("ij,ij->i", e1, e2)
        g22 = np.einsum("ij,ij->i", e2, e2)
        den = g11 * g22 - g12 * g12
        ok = den > 1e-12 * g11 * g22
        # Degenerate faces get inv = NaN: their projections compare false with
        # everything, so walks never stop on them.
        inv = np.where(ok, 1.0 / np.where(ok, den, 1.0), np.nan)
        normal = np.cross(e1, e2)
        normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-300)
        self.mean_edge = float(np.linalg.norm(e1, axis=1).mean()) if len(f) else 0.0
        # Struct-of-arrays float32 rows (the walk is bandwidth-bound; metre-scale
        # meshes keep ~1e-7 m precision, far below a texel):
        # 0-2 corner a, 3-5 edge ab, 6-8 edge ac, 9-11 g11 g12 g22, 12 1/det, 13-15 normal.
        self.rows = np.concatenate(
            [a.T, e1.T, e2.T, np.stack([g11, g12, g22, inv]), normal.T]
        ).astype(np.float32)
        self.adj = _edge_adjacency(v, f).reshape(-1)

    def nearest_face(self, points: np.ndarray) -> np.ndarray:
        """(N,) int64 face whose centroid is nearest to each point."""
        if len(points) == 0:
            return np.zeros(0, dtype=np.int64)
        _, idx = self._tree.query(points, k=1, workers=-1)
        return np.asarray(idx, dtype=np.int64)

    def _project(self, p: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Barycentrics (3, N) of each point's projection onto its face's plane.

        Args:
            p: (3, N) float32 points.
            faces: (N,) face per point.

        Returns:
            bary (3, N) float32 (NaN on degenerate faces), and the gathered face
            rows (16, N).
        """
        d = np.take(self.rows, faces, axis=1)
        rx, ry, rz = p[0] - d[0], p[1] - d[1], p[2] - d[2]
        d1 = d[3] * rx + d[4] * ry + d[5] * rz
        d2 = d[6] * rx + d[7] * ry + d[8] * rz
        v = (d[11] * d1 - d[10] * d2) * d[12]
        w = (d[9] * d2 - d[10] * d1) * d[12]
        return np.stack([1.0 - v - w, v, w]), d

    def walk(
        self, points: np.ndarray, seeds: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Walk from `seeds` to the face holding each point's closest point.

        Returns:
            face (N,) int64, bary (N, 3) float32, distance (N,) float64 metres,
            and (N,) bool: the walk ended with the projection inside the face.
        """
        n = len(points)
        p32 = np.ascontiguousarray(points.T, dtype=np.float32)
        cur = seeds.astype(np.int64)
        prev = np.full(n, -1, dtype=np.int64)
        bary = np.zeros((3, n), dtype=np.float32)
        dist = np.zeros(n, dtype=np.float64)
        inside_all = np.zeros(n, dtype=bool)
        idx = np.arange(n)
        for step in range(_MAX_WALK):
            if len(idx) == 0:
                break
            f = cur if step == 0 else cur[idx]
            b, d = self._project(p32 if step == 0 else p32[:, idx], f)
            bmin = b.min(axis=0)
            inside = bmin >= -1e-6
            done = idx[inside]
            inside_all[done] = True
            bary[:, done] = b[:, inside]
            pin = p32[:, done]
            dist[done] = np.abs(
                d[13, inside] * (pin[0] - d[0, inside])
                + d[14, inside] * (pin[1] - d[1, inside])
                + d[15, inside] * (pin[2] - d[2, inside])
            )
            worst = np.argmin(b, axis=0)
            nxt = self.adj[f * 3 + worst]
            move = ~inside & (nxt >= 0) & (nxt != prev[idx])
            moving = idx[move]
            prev[moving] = cur[moving]
            cur[moving] = nxt[move]
            idx = moving
        bary = np.ascontiguousarray(bary.T)
        out = np.flatnonzero(~inside_all)
        if len(out):
            fo = cur[out]
            b64, d2 = _closest_on_triangles(
                points[out], self.tri[fo, 0], self.tri[fo, 1], self.tri[fo, 2]
            )
            bary[out] = b64
            dist[out] = np.sqrt(d2)
        np.clip(bary, 0.0, 1.0, out=bary)
        bary /= bary.sum(axis=1, keepdims=True)
        return cur, bary, dist, inside_all


def _edge_adjacency(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(F, 3) int64 face across the edge opposite each corner, -1 on open borders.

    Vertices at the same position (within `_SAME_CORNER_TOLERANCE_M`) count as one,
    so uv seams do not cut the mesh.
    Edges shared by more than two faces link the faces pairwise in sorted order.
    """
    q = np.round(vertices / _SAME_CORNER_TOLERANCE_M).astype(np.int64)
    _, geo = np.unique(q, axis=0, return_inverse=True)
    g = geo.reshape(-1)[faces]
    a = np.stack([g[:, 1], g[:, 2], g[:, 0]], axis=1).reshape(-1)  # edge opposite corner 0, 1, 2
    b = np.stack([g[:, 2], g[:, 0], g[:, 1]], axis=1).reshape(-1)
    n = int(g.max()) + 1 if len(g) else 1
    key = np.minimum(a, b) * n + np.maximum(a, b)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    pair = np.flatnonzero(ks[1:] == ks[:-1])
    adj = np.full(len(key), -1, dtype=np.int64)
    first, second = order[pair], order[pair + 1]
    adj[first] = second // 3
    adj[second] = first // 3
    return adj.reshape(-1, 3)


def _closest_on_triangles(
    p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Closest point on triangle (a, b, c) to p, vectorised (Ericson, RTCD §5.1.5).

    Args:
        p, a, b, c: (N, 3) float64.

    Returns:
        bary (N, 3) float64 of the closest point, squared distance (N,).
    """
    ab, ac, ap = b - a, c - a, p - a
    d1 = np.einsum("ij,ij->i", ab, ap)
    d2 = np.einsum("ij,ij->i", ac, ap)
    bp = p - b
    d3 = np.einsum("ij,ij->i", ab, bp)
    d4 = np.einsum("ij,ij->i", ac, bp)
    cp = p - c
    d5 = np.einsum("ij,ij->i", ab, cp)
    d6 = np.einsum("ij,ij->i", ac, cp)
    va = d3 * d6 - d5 * d4
    vb = d5 * d2 - d1 * d6
    vc = d1 * d4 - d3 * d2

    with np.errstate(divide="ignore", invalid="ignore"):
        denom = va + vb + vc
        v = np.where(denom != 0, vb / denom, 1.0 / 3.0)
        w = np.where(denom != 0, vc / denom, 1.0 / 3.0)
        bary = np.stack([1.0 - v - w, v, w], axis=1)

        def put(mask: np.ndarray, value: np.ndarray) -> None:
            bary[mask] = value[mask] if value.ndim == 2 else value

        # Regions in reverse priority order: later writes win.
        t_bc = (d4 - d3) / ((d4 - d3) + (d5 - d6))
        put(
            (va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0),
            np.stack([np.zeros_like(t_bc), 1.0 - t_bc, t_bc], axis=1),
        )
        t_ac = d2 / (d2 - d6)
        put(
            (vb <= 0) & (d2 >= 0) & (d6 <= 0),
            np.stack([1.0 - t_ac, np.zeros_like(t_ac), t_ac], axis=1),
        )
        put((d6 >= 0) & (d5 <= d6), np.array([0.0, 0.0, 1.0]))
        t_ab = d1 / (d1 - d3)
        put(
            (vc <= 0) & (d1 >= 0) & (d3 <= 0),
            np.stack([1.0 - t_ab, t_ab, np.zeros_like(t_ab)], axis=1),
        )
        put((d3 >= 0) & (d4 <= d3), np.array([0.0, 1.0, 0.0]))
        put((d1 <= 0) & (d2 <= 0), np.array([1.0, 0.0, 0.0]))
    bary = np.nan_to_num(bary, nan=1.0 / 3.0)
    q = bary[:, :1] * a + bary[:, 1:2] * b + bary[:, 2:] * c
    return bary, np.einsum("ij,ij->i", p - q, p - q)


def _face_mapping(source: Mesh, target: Mesh, source_face: np.ndarray | None) -> np.ndarray | None:
    """Target face → source face when their corners coincide, else None."""
    tc = target.vertices[target.faces]
    if source_face is not None:
        sf = np.asarray(source_face)
        if sf.shape != (len(target.faces),) or sf.dtype.kind not in "iu":
            raise InputError(
                f"source_face must be ({len(target.faces)},) integer face indices, got "
                f"{sf.shape} {sf.dtype}"
            )
        if len(sf) and (sf.min() < 0 or sf.max() >= len(source.faces)):
            raise InputError(
                f"source_face indexes outside {source.name}'s {len(source.faces)} faces"
            )
        sc = source.vertices[source.faces[sf]]
        if not np.allclose(tc, sc, atol=_SAME_CORNER_TOLERANCE_M, rtol=0):
            raise InputError(
                f"source_face does not map {target.name}'s faces onto {source.name}'s faces with "
                "the same corners; pass None to search the closest source points instead"
            )
        return sf.astype(np.int64)
    if len(source.faces) == len(target.faces):
        sc = source.vertices[source.faces]
        if np.allclose(tc, sc, atol=_SAME_CORNER_TOLERANCE_M, rtol=0):
            return np.arange(len(target.faces), dtype=np.int64)
    return None


@functools.cache
def _srgb_to_linear_lut() -> np.ndarray:
    """(256,) float32: sRGB code value → linear light in [0, 1] (IEC 61966-2-1)."""
    c = np.arange(256, dtype=np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(np.float32)


@functools.cache
def _linear_to_srgb_lut() -> np.ndarray:
    """(65536,) uint8: linear light quantised to 16 bits → sRGB code value."""
    x = np.arange(65536, dtype=np.float64) / 65535.0
    s = np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)
    return np.clip(np.round(s * 255.0), 0, 255).astype(np.uint8)


def _linear_to_srgb8(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) float linear in [0, 1] → uint8 sRGB."""
    idx = np.clip(image * 65535.0 + 0.5, 0, 65535).astype(np.uint16)
    return _linear_to_srgb_lut()[idx]


def _sample_appearance(
    source: Mesh, face: np.ndarray, bary: np.ndarray, opts: BakeOptions
) -> tuple[np.ndarray, str]:
    """(N, 3) float32 colours at source points (linear light when `opts.linear_blend`).

    Args:
        source: mesh with `texture` + `uv` and / or `colors`.
        face: (N,) source face per point.
        bary: (N, 3) float32 barycentric coordinates in that face.
        opts: colour options.

    Returns:
        colours, and the name of what was sampled.
    """
    if opts.linear_blend:
        decode = _srgb_to_linear_lut()
    else:
        decode = np.arange(256, dtype=np.float32) / 255.0
    corners = source.faces[face]
    c0, c1, c2 = corners[:, 0], corners[:, 1], corners[:, 2]
    b0, b1, b2 = bary[:, 0:1], bary[:, 1:2], bary[:, 2:3]

    def interpolate(values: np.ndarray) -> np.ndarray:
        return (
            b0 * np.take(values, c0, axis=0)
            + b1 * np.take(values, c1, axis=0)
            + b2 * np.take(values, c2, axis=0)
        )

    out: np.ndarray | None = None
    kinds = []
    if source.texture is not None and source.uv is not None:
        image = decode[source.texture.image[..., :3]]
        out = _bilinear(image, interpolate(source.uv), opts.source_wrap)
        kinds.append("texture")
    if source.colors is not None:
        col = interpolate(decode[source.colors[:, :3]])
        out = col if out is None else out * col
        kinds.append("vertex_colors")
    assert out is not None  # `bake` checked that the source has an appearance
    return out.astype(np.float32, copy=False), "*".join(kinds)


def _bilinear(image: np.ndarray, uv: np.ndarray, wrap: Literal["repeat", "clamp"]) -> np.ndarray:
    """Bilinear samples of an image at uv.

    Args:
        image: (H, W, C) float32.
        uv: (N, 2) float32 coordinates, glTF convention (v down).
        wrap: "repeat" or "clamp" for coordinates outside [0, 1].

    Returns:
        (N, C) float32.
    """
    h, w, ch = image.shape
    flat = image.reshape(-1, ch)
    x = uv[:, 0] * np.float32(w) - np.float32(0.5)
    y = uv[:, 1] * np.float32(h) - np.float32(0.5)
    xf = np.floor(x)
    yf = np.floor(y)
    fx = x - xf
    fy = y - yf
    itype = np.int32 if h * w < 2**31 else np.int64
    x0 = xf.astype(itype)
    y0 = yf.astype(itype)
    x1 = x0 + 1
    y1 = y0 + 1
    for idx, n in ((x0, w), (x1, w), (y0, h), (y1, h)):
        if wrap == "repeat":
            np.remainder(idx, n, out=idx)
        else:
            np.clip(idx, 0, n - 1, out=idx)
    y0 *= w
    y1 *= w
    gx = 1 - fx
    gy = 1 - fy
    out = np.take(flat, y0 + x0, axis=0) * (gx * gy)[:, None]
    out += np.take(flat, y0 + x1, axis=0) * (fx * gy)[:, None]
    out += np.take(flat, y1 + x0, axis=0) * (gx * fy)[:, None]
    out += np.take(flat, y1 + x1, axis=0) * (fx * fy)[:, None]
    return out


def _fill_gutter(
    image: np.ndarray, covered: np.ndarray, gutter_px: int, background: np.ndarray
) -> np.ndarray:
    """Fill uncovered texels in place: nearest covered colour within `gutter_px`, else `background`.

    "Nearest" and "within" use the chessboard distance (a square neighbourhood,
    the shape of a mip-map block), from one `scipy.ndimage.distance_transform_cdt`.

    Args:
        image: (H, W, 3) float32 colours, valid where `covered`; modified.
        covered: (H, W) bool.
        gutter_px: gutter width, texels.
        background: (3,) colour for texels beyond the gutter.

    Returns:
        `image`.
    """
    _, w, ch = image.shape
    flat = image.reshape(-1, ch)
    empty = ~covered.reshape(-1)
    if not empty.any():
        return image
    if covered.any() and gutter_px > 0:
        dist, (iy, ix) = scipy.ndimage.distance_transform_cdt(
            ~covered, metric="chessboard", return_distances=True, return_indices=True
        )
        near = np.flatnonzero(empty & (dist.reshape(-1) <= gutter_px))
        flat[near] = np.take(flat, iy.reshape(-1)[near] * w + ix.reshape(-1)[near], axis=0)
        empty[near] = False
    flat[empty] = background
    return image
