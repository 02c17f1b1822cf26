"""Export stage 3b: the PBR maps of a mesh, baked into its base-colour atlas (DESIGN §8).

Where the source `Mesh` carries a `SurfacePBR` (per-face `SurfaceMaterial`s, and / or
a metallic-roughness texture such as Hunyuan3D-Paint 2.1's), `PBRShader` runs inside
the base-colour bake (`bake.bake(..., shader=...)`: the same raster, the same source
search, the same gutter) and fills two more images of the same atlas:

- ORM, linear (not sRGB), glTF layout: R = ambient occlusion (1.0: none is baked,
  see `PBRMaps.occlusion`), G = roughness, B = metallic. Roughness / metallic come
  from the metallic-roughness texture where there is one, else from the face's
  material.
- a tangent-space normal map, OpenGL / glTF convention: +X along increasing u, +Y
  towards the top of the image (decreasing glTF v), +Z out of the surface, stored
  as floor(127.5 · n + 128), so a flat texel is (128, 128, 255). The baked normal
  is the SOURCE surface's interpolated normal (on a decimated mesh this carries the
  full-resolution shape) tilted by the material's procedural relief (`DETAILS`),
  expressed in the target's tangent frame (`vertex_tangents`, MikkTSpace-style:
  per-vertex, angle-weighted, orthogonalised; the glTF writer stores the same
  tangents as TANGENT so viewers use exactly this frame).

Relief (`DETAILS`): each `SurfaceDetail` is a height field h(p) over the source
surface point p (metres, the frame the mesh is in), a sum of sine waves whose
gradient is analytic. The tilted normal is n' = normalize(n − ∇ₛh), ∇ₛh the
gradient's part in the tangent plane (bump mapping of a displacement h along n,
to first order). Waves shorter than `MIN_WAVELENGTH_TEXELS` texels of the face's
own texel size fade out (`_band`), so nothing aliases below the texture's
resolution: the finer the texture, the more of the relief it holds.

| detail        | height field                                                      |
|---------------|-------------------------------------------------------------------|
| wood_grain    | growth rings around the material's grain axis (its area-weighted principal axis), 5 mm apart, wandering along the grain, plus a third harmonic for sharp late-wood lines |
| leather_grain | pebbled: a soft |sum of three sine waves| at 2.5 mm and 6 mm (creases where it crosses 0) |
| fabric_weave  | two thread families, 3 mm, sin·sin products over the three axis planes (2.1 mm along the diagonals: at 2048² on a whole body, ≈ 0.8 mm texels, it is at the band limit and mostly left out) |

Example::

    shader = pbr_shader(prepared.source, atlas.mesh, normals, size=2048)
    result = bake(prepared.source, atlas.mesh, opts, source_face, shader=shader)
    maps = shader.maps(result.extra)         # PBRMaps: orm, normal textures
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from hoiexport.exporters.bake import TexelHits, encode_png
from hoiexport.sdk.core.errors import ExportError
from hoiexport.sdk.core.types import SURFACE_DETAILS, Mesh, SurfaceMaterial, Texture

FLAT_NORMAL = np.array([128, 128, 255], np.uint8)
"""Encoded tangent-space normal of a flat texel, (0, 0, 1)."""

MIN_WAVELENGTH_TEXELS = 3.0
"""Relief waves shorter than this many texels are left out (`_band`); 2 is the
sampling limit, the margin keeps moiré out of the bilinear / mip-mapped lookups."""

FULL_WAVELENGTH_TEXELS = 6.0
"""Relief waves this many texels long or longer are baked at full strength."""

CHANNELS = 6
"""Shader channels per texel: ORM (R, G, B), then the normal (X, Y, Z)."""

MAX_SOURCE_TILT_COS = float(np.cos(np.radians(50.0)))
"""On a decimated mesh, a source normal more than 50° from the target's own is taken
for a point on another part of the surface, and the target's normal is kept."""


@dataclass
class PBRMaps:
    """The PBR images of one mesh, same atlas (and size) as its base colour.

    Attributes:
        orm: (H, W, 3) uint8 linear ORM: R occlusion, G roughness, B metallic.
        normal: (H, W, 3) uint8 tangent-space normal map (OpenGL / glTF, +Y up).
        occlusion: whether R holds baked ambient occlusion (False: R is 1.0
            everywhere, and writers do not reference it as occlusion).
        orm_png_bytes / normal_png_bytes: PNG encodings, made once (`orm_png`,
            `normal_png`) and shared by every writer of one export.
    """

    orm: Texture
    normal: Texture
    occlusion: bool = False
    orm_png_bytes: bytes | None = field(default=None, repr=False)
    normal_png_bytes: bytes | None = field(default=None, repr=False)

    def orm_png(self) -> bytes:
        """`orm` as PNG bytes, encoded once."""
        if self.orm_png_bytes is None:
            self.orm_png_bytes = encode_png(self.orm)
        return self.orm_png_bytes

    def normal_png(self) -> bytes:
        """`normal` as PNG bytes, encoded once."""
        if self.normal_png_bytes is None:
            self.normal_png_bytes = encode_png(self.normal)
        return self.normal_png_bytes

    def encode(self) -> PBRMaps:
        """Encode both PNGs now (e.g. on a worker thread); returns self."""
        self.orm_png()
        self.normal_png()
        return self


# ---------------------------------------------------------------------------
# Tangent frames


def vertex_tangents(vertices: np.ndarray, normals: np.ndarray, uv: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Per-vertex tangents with handedness, MikkTSpace-style, glTF TANGENT layout.

    Per face: T = ∂p/∂u and B = ∂p/∂t with t = −v (glTF v grows downwards, so B
    points to the top of the image: the normal map's +Y). Per corner, T and B are
    projected onto the vertex's tangent plane, normalised and weighted by the
    corner angle (as MikkTSpace weights them); per vertex the sums are normalised,
    T orthogonalised against the normal, and w = sign((N × T) · B). Vertices are
    not shared across uv seams (each chart has its own), so one tangent per vertex
    suffices. Faces with no uv area add nothing; a vertex with none gets any unit
    tangent perpendicular to its normal, w = +1.

    Args:
        vertices: (V, 3) float positions, metres.
        normals: (V, 3) float unit normals.
        uv: (V, 2) float texture coordinates, glTF convention (v down).
        faces: (F, 3) int triangles.

    Returns:
        (V, 4) float32: unit tangent xyz ⟂ normal, and w = ±1 (bitangent = w · N × T).
    """
    p = np.asarray(vertices, np.float64)
    n = np.asarray(normals, np.float64)
    n = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    st = np.asarray(uv, np.float64) * np.array([1.0, -1.0])
    f = np.asarray(faces, np.int64).reshape(-1, 3)
    e1 = p[f[:, 1]] - p[f[:, 0]]
    e2 = p[f[:, 2]] - p[f[:, 0]]
    s1 = st[f[:, 1]] - st[f[:, 0]]
    s2 = st[f[:, 2]] - st[f[:, 0]]
    r = s1[:, 0] * s2[:, 1] - s2[:, 0] * s1[:, 1]
    valid = np.abs(r) > 1e-20
    r = np.where(valid, r, 1.0)[:, None]
    tf = (e1 * s2[:, 1:2] - e2 * s1[:, 1:2]) / r
    bf = (e2 * s1[:, 0:1] - e1 * s2[:, 0:1]) / r
    acc_t = np.zeros_like(p)
    acc_b = np.zeros_like(p)
    for k in range(3):
        v = f[:, k]
        a = p[f[:, (k + 1) % 3]] - p[v]
        b = p[f[:, (k + 2) % 3]] - p[v]
        cos = np.einsum("ij,ij->i", a, b) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-30)
        angle = np.where(valid, np.arccos(np.clip(cos, -1.0, 1.0)), 0.0)[:, None]
        nv = n[v]
        for vec, acc in ((tf, acc_t), (bf, acc_b)):
            proj = vec - nv * np.einsum("ij,ij->i", vec, nv)[:, None]
            proj /= np.maximum(np.linalg.norm(proj, axis=1, keepdims=True), 1e-30)
            np.add.at(acc, v, proj * angle)
    t = acc_t - n * np.einsum("ij,ij->i", acc_t, n)[:, None]
    length = np.linalg.norm(t, axis=1)
    missing = length < 1e-12
    if missing.any():  # any unit vector ⟂ n: cross with the axis least aligned to n
        axis = np.eye(3)[np.argmin(np.abs(n[missing]), axis=1)]
        t[missing] = np.cross(n[missing], axis)
        length[missing] = np.linalg.norm(t[missing], axis=1)
    t /= length[:, None]
    w = np.where(np.einsum("ij,ij->i", np.cross(n, t), acc_b) < 0.0, -1.0, 1.0)
    return np.concatenate([t, w[:, None]], axis=1).astype(np.float32)


# ---------------------------------------------------------------------------
# Relief: procedural height fields


@dataclass(frozen=True)
class RegionFrame:
    """Where one material lies on the source surface (for oriented relief).

    Attributes:
        axis: (3,) unit principal direction of the material's faces (area-weighted),
            the grain direction.
        across: (3,) unit second principal direction.
        centre: (3,) area-weighted centroid of its faces, metres.
    """

    axis: np.ndarray
    across: np.ndarray
    centre: np.ndarray


HeightSlope = Callable[[np.ndarray, np.ndarray, RegionFrame], np.ndarray]
"""(points (3, N) metres, texel size (N,) metres, region) → (3, N) gradient of the
height h (metres per metre) at the points."""


def _band(wavelength_m: float, texel_m: np.ndarray) -> np.ndarray:
    """(N,) weight of a wave of `wavelength_m` on texels of `texel_m`: 0 below
    `MIN_WAVELENGTH_TEXELS` texels, 1 from `FULL_WAVELENGTH_TEXELS` on, linear between."""
    texels = np.float32(wavelength_m) / texel_m
    span = FULL_WAVELENGTH_TEXELS - MIN_WAVELENGTH_TEXELS
    return np.clip((texels - np.float32(MIN_WAVELENGTH_TEXELS)) / np.float32(span), 0.0, 1.0).astype(np.float32)


def _dot(d: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """(N,) d · p for a (3,) direction and (3, N) points."""
    return (d[0] * pts[0] + d[1] * pts[1] + d[2] * pts[2]).astype(np.float32)


def _unit(v: ArrayLike) -> np.ndarray:
    """`v` as a float64 unit vector."""
    a = np.asarray(v, np.float64)
    return a / np.linalg.norm(a)


def _wood_grain(pts: np.ndarray, texel_m: np.ndarray, region: RegionFrame) -> np.ndarray:
    """Growth rings: h = a·(sin φ + ⅓·sin(3φ + 1)), φ = 2π·ρ/λ + wander, ρ the distance
    from a log axis along the grain 0.25 m beside the material."""
    ring_m, slope = 0.005, 0.12
    g = region.axis.astype(np.float32)
    centre = (region.centre + 0.25 * region.across).astype(np.float32)
    rel = pts - centre[:, None]
    r = rel - g[:, None] * _dot(g, rel)[None]
    rho = np.sqrt(np.maximum((r * r).sum(axis=0), 1e-12))
    radial = r / rho[None]
    wander_m = 0.09
    along = _dot(g, rel)
    k = np.float32(2 * np.pi / ring_m)
    kw = np.float32(2 * np.pi / wander_m)
    phase = k * rho + np.float32(1.5) * np.sin(kw * along)
    dphase = k * radial + (np.float32(1.5) * kw * np.cos(kw * along))[None] * g[:, None]
    a = np.float32(slope / (2 * np.pi / ring_m))
    w1 = _band(ring_m, texel_m)
    w3 = _band(ring_m / 3, texel_m)
    dh = a * (w1 * np.cos(phase) + w3 * np.cos(3 * phase + 1))
    return (dh[None] * dphase).astype(np.float32)


_LEATHER_DIRS = np.array([_unit((1.0, 0.3, 0.2)), _unit((-0.4, 1.0, 0.5)), _unit((0.2, -0.6, 1.0))])


def _leather_grain(pts: np.ndarray, texel_m: np.ndarray, region: RegionFrame) -> np.ndarray:
    """Pebbled grain: h = a·√(S² + ε²), S = Σ sin(2π·dᵢ·p/λ + φᵢ) over three
    directions, at two scales; soft creases where S crosses 0 (ε = 0.5 keeps the
    crease's harmonics low enough for the band limit of the fundamental)."""
    out = np.zeros_like(pts, dtype=np.float32)
    for wavelength, slope, phase0 in ((0.0025, 0.15, 0.0), (0.006, 0.1, 1.7)):
        band = _band(wavelength / 2, texel_m)  # the crease doubles the frequency
        if not band.any():
            continue
        k = np.float32(2 * np.pi / wavelength)
        s = np.zeros(pts.shape[1], np.float32)
        ds = np.zeros_like(out)
        for i, d in enumerate(_LEATHER_DIRS.astype(np.float32)):
            arg = k * _dot(d, pts) + np.float32(phase0 + 2.1 * i)
            s += np.sin(arg)
            ds += (k * np.cos(arg))[None] * d[:, None]
        a = np.float32(slope / (3.0 * k)) * band
        out += (a * s / np.sqrt(s * s + np.float32(0.25)))[None] * ds
    return out


def _fabric_weave(pts: np.ndarray, texel_m: np.ndarray, region: RegionFrame) -> np.ndarray:
    """Weave: h = a·Σ over the axis planes of sin(k·x_i)·sin(k·x_j): two thread
    families crossing on any surface."""
    wavelength, slope = 0.003, 0.2
    band = _band(wavelength / np.sqrt(2), texel_m)  # sin·sin holds waves λ/√2 along the diagonals
    if not band.any():
        return np.zeros_like(pts, dtype=np.float32)
    k = np.float32(2 * np.pi / wavelength)
    s = np.sin(k * pts)
    c = np.cos(k * pts) * k
    a = np.float32(slope / (2.0 * k)) * band
    grad = np.stack([c[0] * (s[1] + s[2]), c[1] * (s[0] + s[2]), c[2] * (s[0] + s[1])])
    return (a[None] * grad).astype(np.float32)


@dataclass(frozen=True)
class Relief:
    """A procedural height field of `DETAILS`.

    Attributes:
        gradient: its gradient (`HeightSlope`).
        longest_m: the shortest wavelength along any direction of its longest
            wave, metres: on texels coarser than longest_m / MIN_WAVELENGTH_TEXELS
            every wave is left out, and the shader skips the face (flat).
    """

    gradient: HeightSlope
    longest_m: float

    def resolved_below_m(self) -> float:
        """Texel size under which some of the relief is baked, metres."""
        return self.longest_m / MIN_WAVELENGTH_TEXELS


DETAILS: dict[str, Relief | None] = {
    "none": None,
    "wood_grain": Relief(_wood_grain, 0.005),
    "leather_grain": Relief(_leather_grain, 0.003),
    "fabric_weave": Relief(_fabric_weave, 0.003 / np.sqrt(2)),
}
"""`SurfaceDetail` → its height field (None: flat)."""

assert tuple(DETAILS) == SURFACE_DETAILS, "DETAILS must list every SurfaceDetail"


# ---------------------------------------------------------------------------
# The shader


CHUNK = 32768
"""Texel entries the shader works on at once."""


def _to_u8(x: ArrayLike) -> np.ndarray:
    """Values in [0, 1] → uint8 0..255 (rounded)."""
    return np.clip(np.round(np.asarray(x, np.float32) * np.float32(255.0)), 0, 255).astype(np.uint8)


def _interp(values: np.ndarray, corners: np.ndarray, bary: np.ndarray) -> np.ndarray:
    """(C, N) float32 barycentric interpolation of channel-planar per-vertex
    `values` (C, V) over `corners` (3, N) with `bary` (3, N)."""
    out = np.empty((values.shape[0], corners.shape[1]), np.float32)
    for c in range(values.shape[0]):
        v = values[c]
        np.multiply(bary[0], np.take(v, corners[0]), out=out[c])
        out[c] += bary[1] * np.take(v, corners[1])
        out[c] += bary[2] * np.take(v, corners[2])
    return out


def _normalize(v: np.ndarray) -> np.ndarray:
    """(3, N) rows divided by their length (column-wise unit vectors)."""
    length = np.sqrt(np.maximum((v * v).sum(axis=0), np.float32(1e-30)))
    return (v / length[None]).astype(np.float32)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Column-wise cross product of (3, N) arrays."""
    return np.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def _region_frames(source: Mesh, face_material: np.ndarray, count: int) -> list[RegionFrame]:
    """The `RegionFrame` of each material index (identity axes for an unused one)."""
    tri = source.vertices[source.faces].astype(np.float64)
    centroid = tri.mean(axis=1)
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    frames = []
    for m in range(count):
        sel = face_material == m
        w = area[sel]
        if w.sum() <= 0:
            frames.append(RegionFrame(np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), np.zeros(3)))
            continue
        c = (centroid[sel] * w[:, None]).sum(axis=0) / w.sum()
        d = centroid[sel] - c
        cov = (d * w[:, None]).T @ d / w.sum()
        _, vecs = np.linalg.eigh(cov)
        frames.append(RegionFrame(vecs[:, 2], vecs[:, 1], c))
    return frames


@dataclass
class PBRShader:
    """`bake.TexelShader` of the ORM and normal maps (see the module docstring).

    Build it with `pbr_shader`. Read-only after construction: the bake's worker
    threads call it at once.

    Attributes:
        source: the mesh with `pbr` (the bake's source).
        target: the atlas mesh (the bake's target) with uv.
        target_normals: (V_t, 3) float32 unit normals the exporter writes.
        target_tangents: (V_t, 4) float32 `vertex_tangents` of the target.
        texel_m: (F_t,) float32 edge of one texel on each target face, metres.
        materials: the source's materials ((M,)).
        face_material: (F_s,) int32 material of each source face (zeros when the
            source has none).
        frames: `RegionFrame` per material.
        channels / background: `TexelShader`'s.
    """

    source: Mesh
    target: Mesh
    target_normals: np.ndarray
    target_tangents: np.ndarray
    texel_m: np.ndarray
    materials: tuple[SurfaceMaterial, ...]
    face_material: np.ndarray
    frames: list[RegionFrame]
    channels: int = CHANNELS
    background: np.ndarray = field(default_factory=lambda: np.zeros(CHANNELS, np.uint8))

    def __post_init__(self) -> None:
        rough = np.array([m.roughness for m in self.materials] or [1.0], np.float32)
        metal = np.array([m.metallic for m in self.materials] or [0.0], np.float32)
        self._detail = [DETAILS[m.detail] for m in self.materials]
        pbr = self.source.pbr
        assert pbr is not None
        fm = self.face_material
        # texel size under which a source face's relief is baked (0: none)
        limit = np.array([0.0 if r is None else r.resolved_below_m() for r in self._detail] or [0.0], np.float32)
        self._face_limit = limit[fm]
        # ORM per source face (no texture): R 255, G roughness, B metallic.
        self._face_orm = np.stack(
            [np.full(len(fm), 255, np.uint8), _to_u8(rough[fm]), _to_u8(metal[fm])], axis=1
        )
        self._mr: np.ndarray | None = None
        self._src_uv: np.ndarray | None = None
        if pbr.metallic_roughness is not None and self.source.uv is not None:
            image = pbr.metallic_roughness.image
            self._mr = np.pad(image[..., 1:3], ((0, 1), (0, 1), (0, 0)), mode="wrap").astype(np.float32) / 255.0
            self._src_uv = np.ascontiguousarray(self.source.uv.T, np.float32)
        # channel-planar per-vertex arrays and corner rows: every gather reads contiguous memory
        self._src_corners = np.ascontiguousarray(self.source.faces.T, np.int64)  # (3, F_s)
        self._src_points = np.ascontiguousarray(self.source.vertices.T, np.float32)  # (3, V_s)
        assert self.source.normals is not None
        self._src_normals = np.ascontiguousarray(self.source.normals.T, np.float32)
        self._tgt_corners = np.ascontiguousarray(self.target.faces.T, np.int64)  # (3, F_t)
        n = self.target_normals.astype(np.float32)
        t = self.target_tangents[:, :3].astype(np.float32)
        b = (np.cross(n, t) * self.target_tangents[:, 3:4]).astype(np.float32)
        self._tgt_frame = np.ascontiguousarray(np.concatenate([t, b, n], axis=1).T)  # (9, V_t): T, B, N
        self.background = np.array(
            [255, _to_u8(np.float32(np.mean(rough))), _to_u8(np.float32(np.mean(metal))), *FLAT_NORMAL], np.uint8
        )

    def __call__(self, hits: TexelHits) -> np.ndarray:
        """(6, N) uint8: ORM then encoded normal of every entry of `hits`, in chunks
        of `CHUNK` entries (every temporary stays in cache)."""
        n = len(hits.target_face)
        out = np.empty((CHANNELS, n), np.uint8)
        for lo in range(0, n, CHUNK):
            hi = min(n, lo + CHUNK)
            out[:, lo:hi] = self._shade(
                TexelHits(
                    hits.target_face[lo:hi],
                    hits.target_bary[:, lo:hi],
                    hits.source_face[lo:hi],
                    hits.source_bary[:, lo:hi],
                    hits.same_topology,
                )
            )
        return out

    def _shade(self, hits: TexelHits) -> np.ndarray:
        """`__call__` for one chunk."""
        n = len(hits.target_face)
        out = np.empty((CHANNELS, n), np.uint8)
        if self._mr is not None:
            assert self._src_uv is not None
            uv = _interp(self._src_uv, self._src_corners[:, hits.source_face], hits.source_bary)
            rough, metal = self._sample_mr(uv[0], uv[1])
            out[0] = 255
            out[1] = _to_u8(rough)
            out[2] = _to_u8(metal)
        else:
            out[:3] = self._face_orm[hits.source_face].T
        out[3:] = FLAT_NORMAL[:, None]
        relief = self.texel_m[hits.target_face] < self._face_limit[hits.source_face]
        if hits.same_topology and not relief.all():  # source normal = target normal: only relief tilts it
            idx = np.flatnonzero(relief)
            if len(idx) == 0:
                return out
            hits = TexelHits(
                hits.target_face[idx], hits.target_bary[:, idx], hits.source_face[idx], hits.source_bary[:, idx], True
            )
            relief = relief[idx]
        else:
            idx = np.arange(n)
        frame = _interp(self._tgt_frame, self._tgt_corners[:, hits.target_face], hits.target_bary)
        t, b, nn = _normalize(frame[0:3]), _normalize(frame[3:6]), _normalize(frame[6:9])
        if hits.same_topology:
            normal = nn
        else:
            sc = self._src_corners[:, hits.source_face]
            normal = _normalize(_interp(self._src_normals, sc, hits.source_bary))
            # a searched point on another sheet (a crease, fingers side by side) is no
            # detail of this surface: keep the target's own normal there
            stray = (normal * nn).sum(axis=0) < np.float32(MAX_SOURCE_TILT_COS)
            normal[:, stray] = nn[:, stray]
        if relief.any():
            every = bool(relief.all())
            r = slice(None) if every else np.flatnonzero(relief)
            sf = hits.source_face[r]
            points = _interp(self._src_points, self._src_corners[:, sf], hits.source_bary[:, r])
            texel = self.texel_m[hits.target_face[r]]
            mat = self.face_material[sf]
            grad = np.zeros_like(points)
            for m, field_m in enumerate(self._detail):
                if field_m is None:
                    continue
                sel = np.flatnonzero(mat == m)
                if len(sel) == len(mat):
                    grad = field_m.gradient(points, texel, self.frames[m])
                elif len(sel):
                    grad[:, sel] = field_m.gradient(points[:, sel], texel[sel], self.frames[m])
            nr = normal[:, r]
            tilted = _normalize(nr - (grad - nr * (grad * nr).sum(axis=0)[None]))
            if every:
                normal = tilted
            else:
                normal = normal.copy()
                normal[:, r] = tilted
        # Solve [t b n]·m = normal: m = (b×n, n×t, t×b)·normal / det (what a viewer's
        # TBN · m gives back, up to the length it normalises away).
        bn, nt, tbx = _cross(b, nn), _cross(nn, t), _cross(t, b)
        det = (t * bn).sum(axis=0)
        det = np.where(np.abs(det) < 1e-6, np.float32(1e-6), det)
        ts = np.stack([(bn * normal).sum(axis=0), (nt * normal).sum(axis=0), (tbx * normal).sum(axis=0)]) / det[None]
        ts[2] = np.maximum(ts[2], np.float32(0.05))
        ts = _normalize(ts)
        out[3:, idx] = np.clip(np.floor(ts * np.float32(127.5) + np.float32(128.0)), 0, 255).astype(np.uint8)
        return out

    def _sample_mr(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bilinear roughness and metallic of the metallic-roughness texture at
        (u, v) (glTF convention, repeat wrap), linear values in [0, 1]."""
        assert self._mr is not None
        h, w = self._mr.shape[0] - 1, self._mr.shape[1] - 1
        x = (u - np.floor(u)) * np.float32(w) - np.float32(0.5)
        y = (v - np.floor(v)) * np.float32(h) - np.float32(0.5)
        x0 = np.floor(x).astype(np.int64)
        y0 = np.floor(y).astype(np.int64)
        fx = (x - x0).astype(np.float32)
        fy = (y - y0).astype(np.float32)
        x0 %= w
        y0 %= h
        img = self._mr
        top = img[y0, x0] * (1 - fx)[:, None] + img[y0, x0 + 1] * fx[:, None]
        bottom = img[y0 + 1, x0] * (1 - fx)[:, None] + img[y0 + 1, x0 + 1] * fx[:, None]
        value = top * (1 - fy)[:, None] + bottom * fy[:, None]
        return value[:, 0], value[:, 1]

    def maps(self, extra: np.ndarray | None) -> PBRMaps:
        """The `PBRMaps` of the bake's `extra` channels ((size, size, 6) uint8).

        Raises:
            ExportError: `extra` is missing or has the wrong shape (the bake ran
                without this shader).
        """
        if extra is None or extra.ndim != 3 or extra.shape[2] != CHANNELS:
            raise ExportError(
                f"the PBR bake of {self.source.name} returned no ORM / normal channels; "
                "pass the shader to bake(shader=...)"
            )
        orm = np.ascontiguousarray(extra[..., :3])
        normal = np.ascontiguousarray(extra[..., 3:])
        return PBRMaps(Texture(orm), Texture(normal), occlusion=False)


def texel_sizes(target: Mesh, size: int) -> np.ndarray:
    """(F,) float32 edge of one texel on each face of `target` (metres): the square
    root of its 3-D area over its uv area in texels; faces with no uv area take the
    mesh's median."""
    if target.uv is None:
        raise ExportError(f"{target.name} has no uv; unwrap it before the PBR bake")
    p = target.vertices.astype(np.float64)[target.faces]
    q = target.uv.astype(np.float64)[target.faces] * size
    area3 = 0.5 * np.linalg.norm(np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), axis=1)
    e1, e2 = q[:, 1] - q[:, 0], q[:, 2] - q[:, 0]
    area_uv = 0.5 * np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
    ok = area_uv > 1e-9
    texel = np.full(len(area3), np.nan)
    texel[ok] = np.sqrt(area3[ok] / area_uv[ok])
    fill = float(np.median(texel[ok])) if ok.any() else 1e-3
    return np.where(ok, texel, fill).astype(np.float32)


def pbr_shader(source: Mesh, target: Mesh, target_normals: np.ndarray, size: int) -> PBRShader | None:
    """The `PBRShader` baking `source.pbr` over `target`'s atlas, or None when the
    source has no PBR description (the export then writes base colour only).

    Args:
        source: the bake's source mesh (`PreparedMesh.source`), with normals.
        target: the atlas mesh with uv.
        target_normals: (V_t, 3) the normals the exporter writes for `target`.
        size: texture edge, texels.

    Raises:
        ExportError: the target has no uv or the source has no normals.
    """
    pbr = source.pbr
    if pbr is None:
        return None
    if target.uv is None:
        raise ExportError(f"{target.name} has no uv; unwrap it before the PBR bake")
    if source.normals is None:
        raise ExportError(f"{source.name} has no normals; prepare it (prepare_mesh) before the PBR bake")
    materials = pbr.materials
    face_material = (
        pbr.face_material.astype(np.int32)
        if pbr.face_material is not None
        else np.zeros(len(source.faces), np.int32)
    )
    normals = np.asarray(target_normals, np.float32)
    return PBRShader(
        source=source,
        target=target,
        target_normals=normals,
        target_tangents=vertex_tangents(target.vertices, normals, target.uv, target.faces),
        texel_m=texel_sizes(target, size),
        materials=materials,
        face_material=face_material,
        frames=_region_frames(source, face_material, max(len(materials), 1)),
    )
