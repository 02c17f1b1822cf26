"""Point-to-surface distances and inside tests for one triangle mesh.

`SurfaceQuery` wraps a `Mesh` once and answers the three questions contact and
penetration analysis ask, vectorised:

- `distance_bounds`: for many points, an upper and a lower bound on the distance
  to the surface from a k-d tree over surface samples that cover every face
  (every surface point lies within `cover_radius` of a sample), so
  `upper - cover_radius <= true distance <= upper`; `coarse_bounds` gives
  looser bounds from a ~1k-sample subset, cheaply, for far points.
- `closest`: the exact closest surface point, distance and face, for the few
  points whose bounds are not decisive (exact point–triangle tests against the
  faces whose bounding spheres come within the k-d tree's upper bound).
- `contains`: inside tests by the ray winding number (embree rays, signed
  crossings), which stays right where closed parts of a mesh overlap (a chair
  made of intersecting boxes, a posed body whose arm sinks into the torso).

All positions are metres in the internal frame.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

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


class SurfaceQuery:
    """Distances to and inside tests against one mesh (see module docstring).

    Attributes:
        name: the mesh name, for messages.
        surface: the mesh as a `trimesh.Trimesh` (float64, coincident vertices
            merged, faces re-wound consistently and outwards where the mesh
            encloses a volume); closest points and normals refer to its faces.
        closed: `surface` with boundary loops capped by fans, used for inside
            tests; `surface` itself when it is already watertight.
        was_watertight: whether the input mesh (after merging coincident
            vertices, e.g. split UV seams) had no boundary edges.
        points: (V + S, 3) float64 probe points: the input mesh's vertices in
            their original order, then the extra covering samples.
        point_faces: (V + S,) int64 a face of the input mesh holding each
            row of `points` (for a vertex: one of its faces).
        on_surface: (V + S,) bool, False for vertices no face uses; those are
            never used as samples.
        triangles: (F, 3, 3) float64 corners of the input mesh's faces.
        cover_radius: every surface point lies within this many metres of a
            row of `points`.
    """

    def __init__(self, mesh: Mesh, spacing_m: float = 0.01, max_samples: int = 400_000):
        """Build the query structures.

        Args:
            mesh: the surface (metres, internal frame).
            spacing_m: target spacing of the covering samples, metres; faces
                whose longest edge is shorter add no samples.
            max_samples: cap on extra samples; the spacing grows to respect it.

        Raises:
            InputError: empty mesh or non-finite vertices.
        """
        if spacing_m <= 0:
            raise InputError(f"sample spacing must be > 0 metres, got {spacing_m}")
        if len(mesh.faces) == 0 or len(mesh.vertices) < 3:
            raise InputError(f"mesh {mesh.name!r} has no triangles; contacts need a surface")
        mesh.validate()
        self.name = mesh.name
        vertices = mesh.vertices.astype(np.float64)
        surface = trimesh.Trimesh(vertices=vertices, faces=mesh.faces, process=False)
        surface.merge_vertices()
        if not surface.is_winding_consistent:
            trimesh.repair.fix_winding(surface)
        self.was_watertight = bool(surface.is_watertight)
        closed = surface if self.was_watertight else _cap_boundary_loops(surface)
        if closed.volume < 0:
            surface.invert()
            closed = surface if self.was_watertight else _cap_boundary_loops(surface)
        self.surface = surface
        self.closed = closed

        triangles = vertices[mesh.faces]
        spacing = float(spacing_m)
        total = _count_extra_samples(triangles, spacing)
        while total > max_samples:
            spacing *= 1.05 * np.sqrt(total / max_samples)
            total = _count_extra_samples(triangles, spacing)
        extras, extra_faces, self.cover_radius = _covering_samples(triangles, spacing)
        self.points = np.vstack([vertices, extras])
        vertex_faces = np.zeros(len(vertices), dtype=np.int64)
        vertex_faces[mesh.faces.ravel()] = np.repeat(np.arange(len(mesh.faces)), 3)
        self.point_faces = np.concatenate([vertex_faces, extra_faces])
        self.on_surface = np.ones(len(self.points), dtype=bool)
        self.on_surface[: len(vertices)] = False
        self.on_surface[mesh.faces.ravel()] = True
        self.triangles = triangles
        self.bounds = surface.bounds.copy()

    # The search structures are built on first use: an analysis that never
    # asks a question of one surface does not pay for them.
    @functools.cached_property
    def _tree(self) -> cKDTree:
        return cKDTree(self.points[self.on_surface])

    @functools.cached_property
    def _faces(self) -> tuple[cKDTree, np.ndarray, np.ndarray, float]:
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

    @property
    def face_normals(self) -> np.ndarray:
        """(F, 3) float64 unit face normals of `surface` (outward when closable)."""
        return self.surface.face_normals

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
        face_tree, centres, radius, radius_max = self._faces
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
