"""Export stage 3: bake the source appearance into the target's uv atlas (DESIGN §8).

For every texel centre inside a target uv triangle (`raster_spans`: runs of texels
along texel rows, barycentric coordinates affine along each run):

1. its point on the target surface (barycentric interpolation of the corners);
2. the matching point on the SOURCE surface:
   - same topology (target faces correspond one-to-one to source faces, as after
     `unwrap` of an undecimated mesh or with kept uv): the texel's own face and
     barycentric coordinates, no search;
   - otherwise (a decimated target): the closest point on the source surface
     (`SurfaceQuery.closest_coherent`: cKDTree seeds, then a walk over the source
     faces, then the exact point–triangle closest point);
3. the source appearance there: its texture through the barycentric source uv with
   bilinear filtering, and / or its vertex colours interpolated barycentrically
   (both present: multiplied, as glTF multiplies COLOR_0 into the base colour).

Colour math: source textures and vertex colours are sRGB (see `Mesh`); with
`BakeOptions.linear_blend` (default) they are decoded to linear light, every
interpolation happens there, and the result is encoded back to sRGB. Alpha is
dropped: the output is an opaque base colour.

Gutter: texels outside every chart but within `gutter_px` of one take the colour
of the nearest covered texel (chessboard distance, a breadth-first fill), so bilinear
filtering and mip-maps sample chart colours rather than background across seams;
texels farther away take the mean chart colour, so the smallest mip levels keep
the asset's average colour.

Extra maps: a `TexelShader` (e.g. `pbr.PBRShader`: ORM + normal map) gets every
texel's target and source surface point (`TexelHits`) on the same workers, after
the one raster and the one source search, and its channels go through the same
gutter into images of the same atlas.

Example::

    texture = bake_base_color(prepared.source, atlas.mesh, BakeOptions(size=2048))
    png = encode_png(texture)
"""

from __future__ import annotations

import functools
import io
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import scipy.ndimage

from hoiexport.exporters.options import BakeOptions
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh, Texture
from hoiexport.sdk.geometry.surface import SurfaceQuery
from hoiexport.sdk.geometry.uv import UVSpans, raster_spans

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
        seconds: wall time per step ("raster", "prepare", "locate", "sample",
            "encode", "gutter", "total"; locate / sample / encode: the slowest
            worker's).
    """

    texture: Texture
    coverage: float
    path: Literal["same_topology", "closest_point"]
    appearance: str
    mean_distance_m: float
    max_distance_m: float
    seconds: dict[str, float] = field(default_factory=dict)
    extra: np.ndarray | None = None
    """(size, size, shader.channels) uint8 channels of the `TexelShader`, when one was given."""


@dataclass
class TexelHits:
    """Where a share of the bake's texel entries lie on the target and the source.

    Attributes:
        target_face: (N,) int64 target face of each entry.
        target_bary: (3, N) float32 barycentric coordinates on that face.
        source_face: (N,) int64 source face the entry samples.
        source_bary: (3, N) float32 barycentric coordinates on it (the same array
            as `target_bary` on the same-topology path).
        same_topology: target faces copy source faces one-to-one (the same point
            on both surfaces); False when the source points were searched.
    """

    target_face: np.ndarray
    target_bary: np.ndarray
    source_face: np.ndarray
    source_bary: np.ndarray
    same_topology: bool


class TexelShader(Protocol):
    """Extra per-texel channels baked into the same atlas as the base colour.

    Attributes:
        channels: channels per texel, C.
        background: (C,) uint8 value of texels outside every chart and its gutter.
    """

    channels: int
    background: np.ndarray

    def __call__(self, hits: TexelHits, /) -> np.ndarray:
        """(C, N) uint8 channels of the entries of `hits` (called from worker threads)."""
        ...


def bake_base_color(
    source: Mesh, target: Mesh, opts: BakeOptions, source_face: np.ndarray | None = None
) -> Texture:
    """`bake(...).texture`: the source appearance re-sampled into `target.uv`.

    See `bake` for the arguments.
    """
    return bake(source, target, opts, source_face).texture


def bake(
    source: Mesh,
    target: Mesh,
    opts: BakeOptions,
    source_face: np.ndarray | None = None,
    shader: TexelShader | None = None,
) -> BakeResult:
    """Bake `source`'s texture / vertex colours into a texture over `target.uv`.

    The target faces are split into `opts.workers` contiguous groups, each
    rasterised (`raster_spans`: runs along texel rows) and sampled on its own
    thread (numpy releases the GIL), while one more thread finds the gutter's
    nearest covered texels from the coverage alone. Colours are encoded to sRGB
    per texel and written in face order, so where uv triangles overlap the last
    face wins, as with one thread.

    Args:
        source: the mesh carrying the appearance (e.g. `PreparedMesh.source`):
            `texture` + `uv`, and / or `colors`; internal frame, metres.
        target: the mesh to texture, with atlas `uv` (from `unwrap`); same frame.
        opts: texture size, gutter, colour options and threads.
        source_face: optional (F_target,) index into `source.faces` of the source
            face each target face copies, same corner order (e.g.
            `PreparedMesh.source_face`). Without it, the same-topology path is
            used when both meshes have the same faces at the same corners.
        shader: optional extra channels per texel (`TexelShader`), returned as
            `BakeResult.extra` with the same gutter.

    Returns:
        The texture (and extra channels) and bake stats.

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

    mapping = _face_mapping(source, target, source_face)
    path: Literal["same_topology", "closest_point"] = "same_topology" if mapping is not None else "closest_point"
    workers = max(1, opts.workers)
    cuts = np.linspace(0, len(target.faces), workers + 1).astype(np.int64)
    covered = np.zeros(size * size, dtype=bool)
    target_uv: np.ndarray = target.uv  # not None: checked above

    def raster(lo: int, hi: int) -> tuple[UVSpans, np.ndarray, np.ndarray]:
        spans = raster_spans(target_uv, target.faces[lo:hi], size, size, inclusive=True)
        spans.face += lo
        offsets = spans.offsets()
        texel = spans.texels(offsets)
        covered[texel] = True
        return spans, offsets, texel

    with ThreadPoolExecutor(max_workers=workers + 1) as pool:
        t = time.perf_counter()
        groups = list(pool.map(raster, cuts[:-1], cuts[1:]))
        times["raster"] = time.perf_counter() - t
        gutter_f = pool.submit(_gutter_sources, covered, size, opts.gutter_px)
        t = time.perf_counter()
        look = _Appearance(source, opts)
        surface = SurfaceQuery(source).build("walk") if mapping is None else None
        times["prepare"] = time.perf_counter() - t
        firsts = np.cumsum([0] + [len(g[2]) for g in groups])[:-1]
        parts = list(
            pool.map(
                lambda g, first: _bake_runs(g[0], g[1], int(first), target, look, mapping, surface, shader),
                groups,
                firsts,
            )
        )
        for key in ("locate", "sample", "encode", *(("shade",) if shader is not None else ())):
            times[key] = max(p.seconds[key] for p in parts)

        t = time.perf_counter()
        image = np.zeros(size * size, dtype=np.uint32)  # packed sRGB8, byte order R G B 0
        for (_, _, texel), part in zip(groups, parts, strict=True):
            image[texel] = part.packed
        count = sum(p.count for p in parts)
        total = np.sum([p.color_sum for p in parts], axis=0)
        mean = (total / count).astype(np.float32)[:, None] if count else np.zeros((3, 1), np.float32)
        background = look.encode(mean)[0]
        near, nearest = gutter_f.result()
        image[near] = image[nearest]
        empty = ~covered
        empty[near] = False
        image[empty] = background
        extra = None
        if shader is not None:  # channel-planar while scattering: contiguous rows
            planes = np.empty((shader.channels, size * size), dtype=np.uint8)
            for c in range(shader.channels):
                plane = planes[c]
                for (_, _, texel), part in zip(groups, parts, strict=True):
                    assert part.extra is not None
                    plane[texel] = part.extra[c]
                plane[near] = plane[nearest]
                plane[empty] = shader.background[c]
            extra = np.ascontiguousarray(np.moveaxis(planes.reshape(shader.channels, size, size), 0, 2))
        times["gutter"] = time.perf_counter() - t
    out = np.empty((size, size, 3), dtype=np.uint8)
    rgbx = image.view(np.uint8).reshape(size, size, 4)
    for c in range(3):  # channel by channel: much faster than one strided copy
        out[..., c] = rgbx[..., c]
    dist_n = sum(p.dist_count for p in parts)
    times["total"] = time.perf_counter() - t_start
    return BakeResult(
        texture=Texture(out),
        coverage=float(covered.mean()),
        path=path,
        appearance=look.kind,
        mean_distance_m=sum(p.dist_sum for p in parts) / dist_n if dist_n else 0.0,
        max_distance_m=max(p.dist_max for p in parts),
        seconds=times,
        extra=extra,
    )


@dataclass
class _BakedRuns:
    """The colours of one group of runs."""

    packed: np.ndarray  # (n,) uint32 sRGB8 per entry, bytes R G B 0
    color_sum: np.ndarray  # (3,) float64 sum of the (linear) colours
    count: int
    dist_sum: float
    dist_max: float
    dist_count: int
    seconds: dict[str, float]
    extra: np.ndarray | None = None  # (C, n) uint8 shader channels


def _bake_runs(
    spans: UVSpans,
    offsets: np.ndarray,
    first: int,
    target: Mesh,
    look: _Appearance,
    mapping: np.ndarray | None,
    surface: SurfaceQuery | None,
    shader: TexelShader | None = None,
) -> _BakedRuns:
    """Locate, sample and encode the texels of `spans` (one worker's share; its
    first texel entry is entry `first` of the whole bake), and shade them when a
    `shader` is given."""
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    dist = np.zeros(0)
    face: np.ndarray | None = None
    bary: np.ndarray | None = None
    if mapping is not None:
        # Same topology: anything interpolated over the source face is affine along a run.
        seconds["locate"] = time.perf_counter() - t
        t = time.perf_counter()
        colors = look.along_runs(spans, offsets, mapping[spans.face])
    else:
        assert surface is not None
        corners = target.vertices[target.faces[spans.face]].astype(np.float64)  # (S, 3, 3)
        p0 = np.einsum("sk,skd->sd", spans.bary0, corners)
        dp = np.einsum("sk,skd->sd", spans.step, corners)
        k = offsets.astype(np.float64)[:, None]
        points = np.repeat(p0, spans.count, axis=0) + np.repeat(dp, spans.count, axis=0) * k
        hit = surface.closest_coherent(points, np.repeat(spans.face, spans.count), first)
        face, bary, dist = hit.face, hit.bary, hit.distance
        seconds["locate"] = time.perf_counter() - t
        t = time.perf_counter()
        colors = look.at_points(face, bary)
    seconds["sample"] = time.perf_counter() - t
    t = time.perf_counter()
    packed = look.encode(colors)
    seconds["encode"] = time.perf_counter() - t
    extra = None
    if shader is not None:
        t = time.perf_counter()
        target_face = np.repeat(spans.face, spans.count)
        target_bary = spans.expand(spans.bary0, spans.step, offsets)
        if mapping is not None:
            hits = TexelHits(target_face, target_bary, mapping[target_face], target_bary, True)
        else:
            assert face is not None and bary is not None
            hits = TexelHits(target_face, target_bary, face, np.ascontiguousarray(bary.T, dtype=np.float32), False)
        extra = shader(hits)
        seconds["shade"] = time.perf_counter() - t
    return _BakedRuns(
        packed=packed,
        color_sum=colors.sum(axis=1, dtype=np.float64),
        count=colors.shape[1],
        dist_sum=float(dist.sum()),
        dist_max=float(dist.max()) if len(dist) else 0.0,
        dist_count=len(dist),
        seconds=seconds,
        extra=extra,
    )


def _gutter_sources(covered: np.ndarray, size: int, gutter_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Which empty texels the gutter fills, and from which covered texel.

    A breadth-first fill over the 8-neighbourhood from the charts' border texels,
    `gutter_px` rings deep: ring k holds exactly the empty texels at chessboard
    distance k (a square neighbourhood, the shape of a mip-map block) from the
    charts, and each takes the source of a ring k - 1 neighbour, so its source is
    a covered texel at that nearest distance. The work grows with the gutter's
    area, not the image's.

    Args:
        covered: (size * size,) bool texels inside a chart.
        size: image edge, texels.
        gutter_px: gutter width, texels.

    Returns:
        (M,) int64 flat index of each gutter texel and (M,) int64 flat index of
        its nearest covered texel.
    """
    none = np.zeros(0, dtype=np.int64)
    if gutter_px <= 0 or covered.all() or not covered.any():
        return none, none
    grid = covered.reshape(size, size)
    interior = scipy.ndimage.binary_erosion(grid, structure=np.ones((3, 3), bool), border_value=1)
    front = np.flatnonzero(grid & ~interior)  # covered texels with an empty neighbour
    source = front
    filled = covered.copy()
    near: list[np.ndarray] = []
    nearest: list[np.ndarray] = []
    for _ in range(gutter_px):
        column = front % size
        ring: list[np.ndarray] = []
        ring_source: list[np.ndarray] = []
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dy == 0 and dx == 0:
                    continue
                ok = (column + dx >= 0) & (column + dx < size)
                n = front[ok] + (dy * size + dx)
                src = source[ok]
                inside = (n >= 0) & (n < size * size)
                n, src = n[inside], src[inside]
                free = ~filled[n]
                n, src = n[free], src[free]
                filled[n] = True
                ring.append(n)
                ring_source.append(src)
        front = np.concatenate(ring)
        source = np.concatenate(ring_source)
        if len(front) == 0:
            break
        near.append(front)
        nearest.append(source)
    if not near:
        return none, none
    return np.concatenate(near), np.concatenate(nearest)


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


class _Appearance:
    """A source mesh's appearance, decoded once and sampled by every bake worker.

    Colours are linear light when `BakeOptions.linear_blend` (sRGB decoded), else
    sRGB values / 255; `encode` turns them back into sRGB8. Colours are
    channel-planar, (3, N) float32, so every numpy loop runs over N.
    """

    def __init__(self, source: Mesh, opts: BakeOptions) -> None:
        if opts.linear_blend:
            decode = _srgb_to_linear_lut()
        else:
            decode = np.arange(256, dtype=np.float32) / np.float32(255.0)
        self.linear_blend = opts.linear_blend
        self.faces = source.faces.astype(np.int64)
        self.uv: np.ndarray | None = None
        self.planes: np.ndarray | None = None
        self.wrap = opts.source_wrap
        kinds = []
        if source.texture is not None and source.uv is not None:
            self.uv = source.uv.astype(np.float64)
            # One texel of border (wrapped for "repeat", edge for "clamp") so the
            # bilinear taps of any in-range coordinate need no index wrapping.
            image = source.texture.image[..., :3]
            mode: Literal["wrap", "edge"] = "wrap" if opts.source_wrap == "repeat" else "edge"
            padded = np.pad(image, ((1, 1), (1, 1), (0, 0)), mode=mode)
            self.shape = padded.shape[:2]
            self.planes = decode[np.moveaxis(padded, 2, 0).reshape(3, -1)]  # (3, (H+2)*(W+2))
            kinds.append("texture")
        self.colors: np.ndarray | None = None
        if source.colors is not None:
            self.colors = decode[source.colors[:, :3]].astype(np.float64)
            kinds.append("vertex_colors")
        self.kind = "*".join(kinds)

    def along_runs(self, spans: UVSpans, offsets: np.ndarray, source_face: np.ndarray) -> np.ndarray:
        """(3, N) float32 colours of every texel of `spans`, each run lying in one
        source face (`source_face`, (S,)) with the runs' barycentric coordinates."""
        corners = self.faces[source_face]  # (S, 3)
        out: np.ndarray | None = None
        if self.uv is not None:
            uvc = self.uv[corners]  # (S, 3, 2)
            uv = spans.expand(
                np.einsum("sk,skd->sd", spans.bary0, uvc), np.einsum("sk,skd->sd", spans.step, uvc), offsets
            )
            out = self._bilinear(uv[0], uv[1])
        if self.colors is not None:
            cc = self.colors[corners]  # (S, 3, 3)
            col = spans.expand(
                np.einsum("sk,skc->sc", spans.bary0, cc), np.einsum("sk,skc->sc", spans.step, cc), offsets
            )
            out = col if out is None else _mul(out, col)
        assert out is not None  # `bake` checked that the source has an appearance
        return out

    def at_points(self, face: np.ndarray, bary: np.ndarray) -> np.ndarray:
        """(3, N) float32 colours at source points given as (face (N,), bary (N, 3))."""
        corners = self.faces[face]
        c0, c1, c2 = corners[:, 0], corners[:, 1], corners[:, 2]
        b = np.ascontiguousarray(bary.T, dtype=np.float32)  # (3, N)

        def interpolate(values: np.ndarray) -> np.ndarray:
            out = np.empty((values.shape[1], len(face)), dtype=np.float32)
            for c in range(values.shape[1]):
                v = values[:, c].astype(np.float32)
                np.multiply(b[0], np.take(v, c0), out=out[c])
                out[c] += b[1] * np.take(v, c1)
                out[c] += b[2] * np.take(v, c2)
            return out

        out: np.ndarray | None = None
        if self.uv is not None:
            uv = interpolate(self.uv)
            out = self._bilinear(uv[0], uv[1])
        if self.colors is not None:
            col = interpolate(self.colors)
            out = col if out is None else _mul(out, col)
        assert out is not None
        return out

    def _bilinear(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Bilinear samples of the source texture at (u, v) ((N,) each, glTF
        convention, v down; outside [0, 1] wrapped or clamped per `source_wrap`),
        texel centres at (i + 0.5) / size.

        Returns:
            (3, N) float32.
        """
        assert self.planes is not None
        hp, wp = self.shape
        h, w = hp - 2, wp - 2
        u = u.astype(np.float32)  # copies: modified below
        v = v.astype(np.float32)
        if self.wrap == "repeat":
            u -= np.floor(u)
            v -= np.floor(v)
        else:
            np.clip(u, 0.0, 1.0, out=u)
            np.clip(v, 0.0, 1.0, out=v)
        # + 0.5 instead of - 0.5: the padded image's texel 0 is the border.
        u *= np.float32(w)
        u += np.float32(0.5)
        v *= np.float32(h)
        v += np.float32(0.5)
        x0 = np.minimum(u.astype(np.int32), w)  # u >= 0, so truncation is floor
        y0 = np.minimum(v.astype(np.int32), h)
        fx = u - x0.astype(np.float32)  # (float32 - int32 would be float64)
        fy = v - y0.astype(np.float32)
        gx = np.float32(1.0) - fx
        gy = np.float32(1.0) - fy
        i00 = y0 * wp + x0
        taps = ((i00, gx * gy), (i00 + 1, fx * gy), (i00 + wp, gx * fy), (i00 + wp + 1, fx * fy))
        out = np.zeros((3, len(u)), dtype=np.float32)
        for c in range(3):
            plane = self.planes[c]
            for index, weight in taps:
                out[c] += np.take(plane, index) * weight
        return out

    def encode(self, colors: np.ndarray) -> np.ndarray:
        """(N,) uint32 sRGB8 of (3, N) float colours, bytes R G B 0 (little-endian)."""
        packed = np.zeros(colors.shape[1], dtype=np.uint32)
        for c in range(3):
            if self.linear_blend:
                idx = np.clip(colors[c] * np.float32(65535.0) + np.float32(0.5), 0, 65535).astype(np.uint16)
                packed |= np.take(_linear_to_srgb_lut32(c), idx)
            else:
                packed |= np.clip(np.round(colors[c] * np.float32(255.0)), 0, 255).astype(np.uint32) << np.uint32(8 * c)
        return packed


@functools.cache
def _linear_to_srgb_lut32(channel: int) -> np.ndarray:
    """(65536,) uint32: `_linear_to_srgb_lut` shifted into byte `channel` of a packed texel."""
    return _linear_to_srgb_lut().astype(np.uint32) << np.uint32(8 * channel)


def _mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Texture × vertex colour, as glTF multiplies COLOR_0 into the base colour."""
    a *= b
    return a
