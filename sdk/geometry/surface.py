"""Closest points, distances and inside tests against one triangle mesh.

`SurfaceQuery` wraps a `Mesh` once and answers, vectorised, what contact and
penetration analysis, registration scores and texture baking ask of a surface:

- `distance_bounds`: for many points, an upper and a lower bound on the distance
  to the surface from a k-d tree over surface samples that cover every face
  (every surface point lies within `cover_radius` of a sample), so
  `upper - cover_radius <= true distance <= upper`; `coarse_bounds` gives
  looser bounds from a ~1k-sample subset, cheaply, for far points.
- `closest`: the exact closest surface point, distance and face (exact
  point–triangle tests against the faces whose bounding spheres come within the
  k-d tree's upper bound).
- `closest_near`: the closest point over the few faces with the nearest
  centroids, for many points near a surface of even faces (Chamfer scores):
  exact there, never below the true distance, cheap at any distance.
- `closest_coherent`: the closest point as (face, barycentric coordinates) for
  many coherent queries near the surface (texels of a decimated copy in raster
  order): a walk over the faces from nearest-centroid seeds, much faster than
  `closest` for such queries and exact on smooth, well-sampled surfaces.
- `contains`: inside tests by the ray winding number (embree rays, signed
  crossings), which stays right where closed parts of a mesh overlap (a chair
  made of intersecting boxes, a posed body whose arm sinks into the torso).
- `signed_distance`: the exact distance, negative inside.

Every search structure is built on first use, so a caller pays only for the
questions it asks; `build` makes them up front (before sharing one query
between threads, or to time the build apart from the queries).

All positions are metres in one frame (the mesh's), float64 unless stated.

Example::

    query = SurfaceQuery(obj)
    hit = query.closest(hand_points)          # ClosestPoints: points, distance, face
    inside = query.contains(hand_points)      # (N,) bool
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh

_RAY_DIRECTIONS = np.array(
    [
        [0.4395064455, 0.617598629942, 0.652231566745],
        [-0.5773502692, 0.2113248654, 0.7886751346],
    ]
)
"""Two skew unit directions: no axis-aligned face is parallel to them."""

_COARSE_POINTS = 1024
"""Size of the sample subset behind `SurfaceQuery.coarse_bounds`."""

_SEED_STRIDE = 8
"""Coherent queries (in the caller's order) that share one nearest-centroid seed face."""

_MAX_WALK = 64
"""Most steps a closest-point walk takes over the surface."""

_SAME_CORNER_TOLERANCE_M = 1e-6
"""Corners closer than this (metres) count as one point when walks cross edges."""

Structure = Literal["samples", "faces", "coarse", "walk", "inside"]
"""A search structure of `SurfaceQuery` that `SurfaceQuery.build` can make up front."""

_STRUCTURE_ATTRIBUTES: dict[Structure, str] = {
    "samples": "_tree",
    "faces": "_face_spheres",
    "coarse": "_coarse",
    "walk": "_walk",
    "inside": "_oriented",
}
"""Structure name → the cached attribute that holds it."""


@dataclass
class ClosestPoints:
    """Exact closest points on a surface.

    Attributes:
        points: (N, 3) float64 closest surface points, metres.
        distance: (N,) float64 unsigned distances, metres.
        face: (N,) int64 index of the surface face holding each point.
    """

    points: np.ndarray
    distance: np.ndarray
    face: np.ndarray


@dataclass
class SurfaceLocations:
    """Closest points on a surface as faces and barycentric coordinates.

    Attributes:
        face: (N,) int64 face holding each closest point.
        bary: (N, 3) float32 barycentric coordinates of the point in its face
            (non-negative, summing to 1).
        distance: (N,) float64 distance from the query point, metres.
    """

    face: np.ndarray
    bary: np.ndarray
    distance: np.ndarray


@dataclass
class _Oriented:
    """The mesh as trimesh objects for normals and inside tests (`SurfaceQuery`)."""

    surface: trimesh.Trimesh
    closed: trimesh.Trimesh
    was_watertight: bool
    bounds: np.ndarray


@dataclass
class _Samples:
    """Probe points covering the surface (`SurfaceQuery`)."""

    points: np.ndarray
    point_faces: np.ndarray
    on_surface: np.ndarray
    cover_radius: float


def _covering_samples(triangles: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Barycentric-grid samples that cover every triangle to within `spacing`.

    A triangle whose longest edge is L is split into n = ceil(L / spacing)
    rows; its grid points minus the 3 corners are returned (corners are the mesh
    vertices, which callers add themselves). Every point of a sub-triangle is
    within its longest edge, L / n <= spacing, of one of its corners.

    Args:
        triangles: (F, 3, 3) float64 corner positions, metres.
        spacing: target sample spacing, metres.

    Returns:
        (S, 3) float64 extra samples, (S,) int64 the face of each, and the
        cover radius max(L / n), metres.
    """
    edges = np.linalg.norm(triangles - np.roll(triangles, 1, axis=1), axis=2)
    longest = edges.max(axis=1)
    n = np.maximum(1, np.ceil(longest / spacing)).astype(np.int64)
    radius = float((longest / n).max()) if len(n) else 0.0
    extras, faces = [np.zeros((0, 3))], [np.zeros(0, np.int64)]
    for k in np.unique(n[n > 1]):
        i, j = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
        keep = (i + j <= k) & ~(((i == 0) | (i == k)) & (j == 0)) & ~((i == 0) & (j == k))
        a, b = i[keep] / k, j[keep] / k
        w = np.stack([1.0 - a - b, a, b], axis=1)  # (P, 3) barycentric weights
        sel = np.flatnonzero(n == k)
        extras.append(np.einsum("pk,fkd->fpd", w, triangles[sel]).reshape(-1, 3))
        faces.append(np.repeat(sel, len(w)))
    return np.concatenate(extras), np.concatenate(faces), radius


def _count_extra_samples(triangles: np.ndarray, spacing: float) -> int:
    edges = np.linalg.norm(triangles - np.roll(triangles, 1, axis=1), axis=2)
    n = np.maximum(1, np.ceil(edges.max(axis=1) / spacing))
    return int(((n + 1) * (n + 2) / 2 - 3).sum())


def _cap_boundary_loops(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """A copy of `mesh` with every boundary loop closed by a fan to its centroid.

    Boundary edges (used by one face) are grouped into connected loops; each loop
    gets one new vertex at the mean of its vertices and one triangle per boundary
    edge, wound opposite to the edge's face so orientation stays consistent.
    Fans are exact for planar convex holes and a good closure for the small
    holes of scanned or generated surfaces (eyes, mouth, neck cut).
    """
    boundary = trimesh.grouping.group_rows(mesh.edges_sorted, require_count=1)
    if len(boundary) == 0:
        return mesh
    edges = mesh.edges[boundary]  # (B, 2) directed as in their faces
    nv = len(mesh.vertices)
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(nv, nv))
    _, labels = connected_components(graph, directed=False)
    loop_of_edge = labels[edges[:, 0]]
    loops, loop_index = np.unique(loop_of_edge, return_inverse=True)
    verts = np.unique(edges.ravel())
    sums = np.zeros((len(loops), 3))
    counts = np.zeros(len(loops))
    vloop = np.searchsorted(loops, labels[verts])
    np.add.at(sums, vloop, mesh.vertices[verts])
    np.add.at(counts, vloop, 1.0)
    centroids = sums / counts[:, None]
    caps = np.column_stack([edges[:, 1], edges[:, 0], nv + loop_index])
    return trimesh.Trimesh(
        vertices=np.vstack([mesh.vertices, centroids]),
        faces=np.vstack([mesh.faces, caps]),
        process=False,
    )


def closest_on_triangles(
    p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Closest point on triangle (a, b, c) to p, vectorised (Ericson, RTCD §5.1.5).

    Args:
        p, a, b, c: (N, 3) float64 query points and triangle corners, metres.

    Returns:
        bary (N, 3) float64 barycentric coordinates of the closest point
        (degenerate triangles: a point of the triangle, never NaN), and the
        squared distance (N,) float64, metres².
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


class _FaceWalk:
    """Per-face data for nearest-face seeds and surface walks (`closest_coherent`)."""

    def __init__(self, vertices: np.ndarray, faces: np.ndarray, triangles: np.ndarray) -> None:
        """Args: vertices (V, 3) float64 metres; faces (F, 3) int64; triangles
        (F, 3, 3) float64 `vertices[faces]`."""
        v, f = vertices, faces
        tri = triangles
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
            b64, d2 = closest_on_triangles(
                points[out], self.tri[fo, 0], self.tri[fo, 1], self.tri[fo, 2]
            )
            bary[out] = b64
            dist[out] = np.sqrt(d2)
        np.clip(bary, 0.0, 1.0, out=bary)
        bary /= bary.sum(axis=1, keepdims=True)
        return cur, bary, dist, inside_all


class SurfaceQuery:
    """Distances to and inside tests against one mesh (see module docstring).

    Attributes (all but `name` and `triangles` built on first use):
        name: the mesh name, for messages.
        triangles: (F, 3, 3) float64 corners of the input mesh's faces.
        surface: the mesh as a `trimesh.Trimesh` (float64, coincident vertices
            merged, faces re-wound consistently and outwards where the mesh
            encloses a volume); `face_normals` refer to its faces.
        closed: `surface` with boundary loops capped by fans, used for inside
            tests; `surface` itself when it is already watertight.
        was_watertight: whether the input mesh (after merging coincident
            vertices, e.g. split UV seams) had no boundary edges.
        bounds: (2, 3) float64 lower and upper corner of `surface`'s box.
        points: (V + S, 3) float64 probe points: the input mesh's vertices in
            their original order, then the extra covering samples.
        point_faces: (V + S,) int64 a face of the input mesh holding each
            row of `points` (for a vertex: one of its faces).
        on_surface: (V + S,) bool, False for vertices no face uses; those are
            never used as samples.
        cover_radius: every surface point lies within this many metres of a
            row of `points`.

    Faces returned by `closest`, `closest_near` and `closest_coherent` index
    the input mesh's faces. Lazy structures are not built under a lock: `build` the ones a
    query shared between threads needs before sharing it.
    """

    def __init__(self, mesh: Mesh, spacing_m: float = 0.01, max_samples: int = 400_000):
        """Check the mesh and keep it; the search structures come on first use.

        Args:
            mesh: the surface (metres).
            spacing_m: target spacing of the covering samples, metres; faces
                whose longest edge is shorter add no samples.
            max_samples: cap on extra samples; the spacing grows to respect it.

        Raises:
            InputError: empty mesh, non-finite vertices or faces out of range.
        """
        if spacing_m <= 0:
            raise InputError(f"sample spacing must be > 0 metres, got {spacing_m}")
        if len(mesh.faces) == 0 or len(mesh.vertices) < 3:
            raise InputError(f"mesh {mesh.name!r} has no triangles; a surface query needs a surface")
        mesh.validate()
        self.name = mesh.name
        self._vertices = mesh.vertices.astype(np.float64)
        self._mesh_faces = np.array(mesh.faces)
        self._spacing_m = float(spacing_m)
        self._max_samples = max_samples
        self.triangles = self._vertices[mesh.faces]

    def build(self, *structures: Structure) -> SurfaceQuery:
        """Build the named search structures now (all when none is named); returns self.

        "samples": the covering samples and their k-d tree (`distance_bounds`,
        `closest`); "faces": the face centroids' k-d tree and bounding spheres
        (`closest`, `closest_near`); "coarse":
        the subset behind `coarse_bounds`; "walk": the face walk
        (`closest_coherent`); "inside": the oriented, capped surface (`contains`).
        """
        for name in structures or tuple(_STRUCTURE_ATTRIBUTES):
            getattr(self, _STRUCTURE_ATTRIBUTES[name])
        return self

    # -- lazily built structures

    @functools.cached_property
    def _oriented(self) -> _Oriented:
        surface = trimesh.Trimesh(vertices=self._vertices, faces=self._mesh_faces, process=False)
        surface.merge_vertices()
        if not surface.is_winding_consistent:
            trimesh.repair.fix_winding(surface)
        was_watertight = bool(surface.is_watertight)
        closed = surface if was_watertight else _cap_boundary_loops(surface)
        if closed.volume < 0:
            surface.invert()
            closed = surface if was_watertight else _cap_boundary_loops(surface)
        return _Oriented(surface, closed, was_watertight, surface.bounds.copy())

    @functools.cached_property
    def _samples(self) -> _Samples:
        vertices, faces, triangles = self._vertices, self._mesh_faces, self.triangles
        spacing = self._spacing_m
        total = _count_extra_samples(triangles, spacing)
        while total > self._max_samples:
            spacing *= 1.05 * np.sqrt(total / self._max_samples)
            total = _count_extra_samples(triangles, spacing)
        extras, extra_faces, cover_radius = _covering_samples(triangles, spacing)
        points = np.vstack([vertices, extras])
        vertex_faces = np.zeros(len(vertices), dtype=np.int64)
        vertex_faces[faces.ravel()] = np.repeat(np.arange(len(faces)), 3)
        on_surface = np.ones(len(points), dtype=bool)
        on_surface[: len(vertices)] = False
        on_surface[faces.ravel()] = True
        return _Samples(points, np.concatenate([vertex_faces, extra_faces]), on_surface, cover_radius)

    @functools.cached_property
    def _tree(self) -> cKDTree:
        return cKDTree(self.points[self.on_surface])

    @functools.cached_property
    def _face_spheres(self) -> tuple[cKDTree, np.ndarray, np.ndarray, float]:
        """k-d tree of face centroids, the centroids, bounding radii, largest radius."""
        centres = self.triangles.mean(axis=1)
        radius = np.linalg.norm(self.triangles - centres[:, None], axis=2).max(axis=1)
        return cKDTree(centres), centres, radius, float(radius.max())

    @functools.cached_property
    def _coarse(self) -> tuple[cKDTree, float]:
        """k-d tree of one sample per occupied voxel (~_COARSE_POINTS voxels), and its slack.

        Each sample lies within `spread` of its voxel's representative, so every
        surface point lies within cover_radius + spread of the subset.
        """
        points = self.points[self.on_surface]
        lo, hi = points.min(axis=0), points.max(axis=0)
        extent = np.maximum(hi - lo, 1e-9)
        # voxel edge for ~_COARSE_POINTS occupied voxels on a surface spanning the box
        area = 2.0 * (extent[0] * extent[1] + extent[1] * extent[2] + extent[0] * extent[2])
        h = max(float(np.sqrt(area / _COARSE_POINTS)), 1e-6)
        cell = np.floor((points - lo) / h).astype(np.int64)
        dims = cell.max(axis=0) + 1
        key = (cell[:, 0] * dims[1] + cell[:, 1]) * dims[2] + cell[:, 2]
        _, first, owner = np.unique(key, return_index=True, return_inverse=True)
        spread = float(np.linalg.norm(points - points[first][owner], axis=1).max())
        return cKDTree(points[first]), self.cover_radius + spread

    @functools.cached_property
    def _walk(self) -> _FaceWalk:
        return _FaceWalk(self._vertices, self._mesh_faces.astype(np.int64), self.triangles)

    # -- attributes over the lazy structures

    @property
    def surface(self) -> trimesh.Trimesh:
        return self._oriented.surface

    @property
    def closed(self) -> trimesh.Trimesh:
        return self._oriented.closed

    @property
    def was_watertight(self) -> bool:
        return self._oriented.was_watertight

    @property
    def bounds(self) -> np.ndarray:
        return self._oriented.bounds

    @property
    def points(self) -> np.ndarray:
        return self._samples.points

    @property
    def point_faces(self) -> np.ndarray:
        return self._samples.point_faces

    @property
    def on_surface(self) -> np.ndarray:
        return self._samples.on_surface

    @property
    def cover_radius(self) -> float:
        return self._samples.cover_radius

    @property
    def face_normals(self) -> np.ndarray:
        """(F, 3) float64 unit face normals of `surface` (outward when closable)."""
        return self.surface.face_normals

    # -- distances

    def coarse_bounds(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cheap, looser bounds from a ~1k-point, voxel-spread subset of the samples.

        A k-d tree query far from a finely sampled surface visits many nodes;
        the subset answers such queries in a fraction of the time, and callers
        run `distance_bounds` only on the points these bounds do not settle.

        Args:
            points: (N, 3) positions, metres.

        Returns:
            upper, lower: (N,) float64, metres, with lower <= distance <= upper.
        """
        tree, slack = self._coarse
        upper, _ = tree.query(np.asarray(points, dtype=np.float64), workers=-1)
        return upper, np.maximum(upper - slack, 0.0)

    def distance_bounds(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bounds on each point's distance to the surface, from all samples.

        Args:
            points: (N, 3) positions, metres.

        Returns:
            upper, lower: (N,) float64, metres, with
            lower = upper - cover_radius <= distance <= upper.
        """
        upper, _ = self._tree.query(np.asarray(points, dtype=np.float64), workers=-1)
        return upper, np.maximum(upper - self.cover_radius, 0.0)

    def closest(self, points: np.ndarray, upper: np.ndarray | None = None) -> ClosestPoints:
        """Exact closest surface points.

        Candidate faces are those whose bounding sphere (centroid, radius)
        comes within each point's upper distance bound; the exact
        point–triangle closest point (trimesh's vectorised Ericson test) is
        taken over those pairs.

        Args:
            points: (N, 3) positions, metres.
            upper: optional (N,) known upper bounds on the distances, metres
                (e.g. from `distance_bounds`); the k-d tree is asked otherwise.
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        if len(pts) == 0:
            return ClosestPoints(np.zeros((0, 3)), np.zeros(0), np.zeros(0, np.int64))
        if upper is None:
            upper, _ = self._tree.query(pts, workers=-1)
        return self._closest_among(pts, upper * (1 + 1e-9) + 1e-12)

    def _closest_among(self, pts: np.ndarray, reach: np.ndarray) -> ClosestPoints:
        """Closest points of `pts` over the faces whose bounding sphere comes
        within `reach` (N,) of each point; every point must have one."""
        face_tree, centres, radius, radius_max = self._face_spheres
        lists = face_tree.query_ball_point(pts, reach + radius_max, workers=-1)
        counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        face = np.fromiter(itertools.chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
        row = np.repeat(np.arange(len(pts)), counts)
        keep = np.linalg.norm(pts[row] - centres[face], axis=1) - radius[face] <= reach[row]
        row, face = row[keep], face[keep]
        missing = np.setdiff1d(np.arange(len(pts)), row)
        if len(missing):  # only from rounding in `reach`: fall back to every face
            row = np.concatenate([row, np.repeat(missing, len(centres))])
            face = np.concatenate([face, np.tile(np.arange(len(centres)), len(missing))])
        cand = trimesh.triangles.closest_point(self.triangles[face], pts[row])
        dist = np.linalg.norm(pts[row] - cand, axis=1)
        # Per point, the pair with the smallest distance.
        order = np.lexsort((dist, row))
        first = order[np.r_[0, np.flatnonzero(np.diff(row[order])) + 1]]
        return ClosestPoints(cand[first], dist[first], face[first])

    def closest_near(self, points: np.ndarray, candidates: int = 16) -> ClosestPoints:
        """Closest points over the `candidates` faces with the nearest centroids.

        The exact point–triangle closest point (trimesh's Ericson test) on each
        of those faces, the nearest kept. The distance equals `closest`'s
        whenever the closest face is among the candidates (always, for points
        near a surface whose faces are of similar size) and is never below it.
        Much cheaper than `closest` for points far from the surface (it needs
        no distance bound), and its cost does not depend on the distance.

        Args:
            points: (N, 3) positions, metres.
            candidates: faces tried per point (fewer when the mesh has fewer).

        Returns:
            `ClosestPoints` (faces of the input mesh).
        """
        pts = np.asarray(points, np.float64).reshape(-1, 3)
        face_tree = self._face_spheres[0]
        k = min(candidates, len(self.triangles))
        _, near = face_tree.query(pts, k=k, workers=-1)
        near = near.reshape(len(pts), k)
        closest = trimesh.triangles.closest_point(self.triangles[near.ravel()], np.repeat(pts, k, axis=0))
        dist = np.linalg.norm(closest - np.repeat(pts, k, axis=0), axis=1).reshape(len(pts), k)
        best = np.argmin(dist, axis=1)
        rows = np.arange(len(pts))
        return ClosestPoints(closest.reshape(len(pts), k, 3)[rows, best], dist[rows, best], near[rows, best])

    def closest_coherent(
        self, points: np.ndarray, group: np.ndarray | None = None, first: int = 0
    ) -> SurfaceLocations:
        """Closest points for many coherent queries near the surface.

        Designed for queries in an order where neighbours are close (texel
        points of a decimated copy of the surface, in raster order):

        1. seeds: the face with the nearest centroid (k-d tree) to the first
           point of every run of up to `_SEED_STRIDE` points with the same
           `group` label (e.g. the querying face) seeds the whole run;
        2. walk: from its seed each point steps across the edge opposite its
           most negative barycentric coordinate (projection onto the face's
           plane) until its projection lies inside the face, it would step
           back (a ridge: the closest point is on that edge), it meets an open
           border, or `_MAX_WALK` steps;
        3. the exact closest point on the final face (`closest_on_triangles`);
        4. points whose walk did not end inside a face (ridges, borders, long
           walks) or ended farther than two mean edge lengths from the surface
           (e.g. a seed on another piece of the mesh) walk again from their own
           nearest centroid, and the nearer answer is kept.

        The walk follows connectivity through shared positions, so uv seams are
        crossed. The answer is the closest point on the connected surface
        around the seed: exact on smooth, well-sampled surfaces, otherwise a
        point on a face next to the closest one (`closest` is exact always).
        Incoherent queries stay correct but run slower (step 4).

        Args:
            points: (N, 3) float query points, metres.
            group: optional (N,) labels of coherent runs; a new seed is taken
                where the label changes.
            first: the index of `points[0]` in a larger query split between
                workers, so the seed runs fall where they would for the whole
                query (0 for a whole query).

        Returns:
            `SurfaceLocations` (faces of the input mesh).
        """
        surf = self._walk
        points = np.asarray(points, dtype=np.float64)
        n = len(points)
        start = np.zeros(n, dtype=bool)
        start[(-first) % _SEED_STRIDE :: _SEED_STRIDE] = True
        start[:1] = True  # a worker's share starts at a new run anyway
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
        return SurfaceLocations(face, bary, dist)

    # -- inside

    def _winding(self, points: np.ndarray, direction: np.ndarray) -> np.ndarray:
        """(N,) float64 winding number along one ray per point: exits minus entries."""
        dirs = np.broadcast_to(direction, points.shape)
        tri, ray = self.closed.ray.intersects_id(points, dirs, multiple_hits=True)
        sign = np.sign(self.closed.face_normals[tri] @ direction)
        return np.bincount(ray, weights=sign, minlength=len(points))

    def contains(self, points: np.ndarray) -> np.ndarray:
        """Which points lie inside the (capped) surface.

        A point is inside when the winding number of the surface around it is
        positive, counted along a ray as exits minus entries of the outward
        surface. Rays in two opposite directions vote; where they disagree
        (a ray grazing an edge), a third skew ray decides. Points exactly on
        the surface may go either way.

        Args:
            points: (N, 3) positions, metres.

        Returns:
            (N,) bool.
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        out = np.zeros(len(pts), dtype=bool)
        lo, hi = self.bounds
        box = np.all((pts >= lo) & (pts <= hi), axis=1)
        if not box.any():
            return out
        p = pts[box]
        forward = self._winding(p, _RAY_DIRECTIONS[0]) > 0.5
        backward = self._winding(p, -_RAY_DIRECTIONS[0]) > 0.5
        inside = forward
        split = forward != backward
        if split.any():
            inside[split] = self._winding(p[split], _RAY_DIRECTIONS[1]) > 0.5
        out[box] = inside
        return out

    def signed_distance(self, points: np.ndarray) -> np.ndarray:
        """Exact distance to the surface, negative inside (`closest`, `contains`).

        Args:
            points: (N, 3) positions, metres.

        Returns:
            (N,) float64 signed distances, metres.
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        distance = self.closest(pts).distance
        return np.where(self.contains(pts), -distance, distance)
