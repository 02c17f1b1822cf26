"""Closed primitives and their union into one watertight, uv-mapped mesh.

Every object is a list of `Part`s: closed manifold solids (manifold3d) tagged with
a material slot and a uv projection. `assemble` unions them (and subtracts cut
solids such as a mug's cavity) with manifold3d's exact booleans, splits long
edges, and then gives every vertex a uv from the projection of the part its
faces come from (manifold3d tracks each triangle's source solid).

Frame: internal, right-handed, +Y up, metres. All helpers take and return
positions in that frame.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

import manifold3d
import numpy as np

Projection = Literal["box", "cylinder", "sphere"]

_M = manifold3d.Manifold


@dataclass
class Part:
    """One closed solid of an object.

    Attributes:
        solid: the manifold3d solid, internal frame, metres.
        slot: material slot name (e.g. "main", "accent", "metal").
        projection: how uv is projected: "box" (planar along the dominant
            normal axis of `frame`), "cylinder" (around the frame's Y axis, caps
            planar) or "sphere" (longitude / latitude about the frame's Y axis).
        frame: (4, 4) float64 part-to-object transform whose axes orient the
            projection (identity for axis-aligned parts).
        refine: split this part's long edges before the union (see `assemble`);
            False for parts that are already finely tessellated (tubes).
    """

    solid: manifold3d.Manifold
    slot: str
    projection: Projection = "box"
    frame: np.ndarray = field(default_factory=lambda: np.eye(4))
    refine: bool = True


@dataclass
class Assembled:
    """A unioned mesh with per-face part provenance.

    Attributes:
        vertices: (V, 3) float64 metres.
        faces: (F, 3) int64, outward-facing counter-clockwise triangles.
        face_part: (F,) int64 index into the list of parts (+ cuts) it came from.
    """

    vertices: np.ndarray
    faces: np.ndarray
    face_part: np.ndarray


# --------------------------------------------------------------------------- frames


def rotation_to(
    direction: np.ndarray | tuple[float, float, float], up: np.ndarray | tuple[float, float, float] | None = None
) -> np.ndarray:
    """(3, 3) rotation whose Y column is `direction` (unit), X column ⟂ to it.

    Args:
        direction: (3,) target Y axis.
        up: optional (3,) hint for the Z column (projected to be ⟂ to Y).
    """
    y = np.asarray(direction, float)
    y = y / np.linalg.norm(y)
    hint = np.array([0.0, 0.0, 1.0]) if up is None else np.asarray(up, float)
    if abs(hint @ y) > 0.95:
        hint = np.array([1.0, 0.0, 0.0])
    z = hint - (hint @ y) * y
    z /= np.linalg.norm(z)
    x = np.cross(y, z)
    return np.stack([x, y, z], axis=1)


def frame_of(rotation: np.ndarray, origin: np.ndarray | tuple[float, float, float]) -> np.ndarray:
    """(4, 4) transform from a (3, 3) rotation and an origin."""
    f = np.eye(4)
    f[:3, :3] = rotation
    f[:3, 3] = origin
    return f


def _affine(frame: np.ndarray) -> list[list[float]]:
    return [list(map(float, row)) for row in frame[:3, :4]]


# --------------------------------------------------------------------------- primitives


def rounded_box(
    size: tuple[float, float, float],
    center: tuple[float, float, float] = (0.0, 0.0, 0.0),
    radius: float = 0.005,
    rotation: np.ndarray | None = None,
    segments: int | None = None,
) -> manifold3d.Manifold:
    """A box with rounded edges (convex hull of 8 corner spheres).

    Args:
        size: (w, h, d) full extents along the box's own x, y, z, metres.
        center: box centre, metres.
        radius: edge radius, clamped below half the smallest extent.
        rotation: optional (3, 3) rotation of the box axes.
        segments: sphere segments per corner; default 4 (a 45° chamfer) below
            1 cm radius, 8 above.
    """
    half = np.asarray(size, float) / 2.0
    r = float(min(radius, half.min() * 0.95))
    if segments is None:
        segments = 4 if r < 0.01 else 8
    inner = half - r
    rot = np.eye(3) if rotation is None else np.asarray(rotation, float)
    corners = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)
    centers = (corners * inner) @ rot.T + np.asarray(center, float)
    ball = _M.sphere(r, segments)
    return _M.batch_hull([ball.translate(tuple(map(float, c))) for c in centers])


def tapered_box(
    bottom: tuple[float, float],
    top: tuple[float, float],
    height: float,
    y0: float = 0.0,
    radius: float = 0.01,
    top_radius: float | None = None,
    segments: int = 8,
) -> manifold3d.Manifold:
    """A rounded box whose footprint changes linearly from bottom (w, d) to top (w, d).

    The solid spans y0 .. y0 + height, centred on the Y axis.
    """
    rt = radius if top_radius is None else top_radius
    balls = []
    for (w, d), y, r in (((bottom[0], bottom[1]), y0 + radius, radius), ((top[0], top[1]), y0 + height - rt, rt)):
        s = _M.sphere(r, segments)
        for sx in (-1, 1):
            for sz in (-1, 1):
                balls.append(s.translate((sx * (w / 2 - r), y, sz * (d / 2 - r))))
    return _M.batch_hull(balls)


def cylinder(
    radius: float,
    height: float,
    base: tuple[float, float, float] = (0.0, 0.0, 0.0),
    radius_top: float | None = None,
    segments: int = 32,
) -> manifold3d.Manifold:
    """A vertical (+Y) cylinder or cone frustum standing on `base`."""
    rt = radius if radius_top is None else radius_top
    c = _M.cylinder(height, radius, rt, segments)
    return c.rotate((-90.0, 0.0, 0.0)).translate(tuple(map(float, base)))


def rod(
    p0: np.ndarray | tuple[float, float, float],
    p1: np.ndarray | tuple[float, float, float],
    radius: float,
    segments: int = 16,
) -> manifold3d.Manifold:
    """A cylinder from p0 to p1 with flat ends."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    length = float(np.linalg.norm(p1 - p0))
    c = _M.cylinder(length, radius, radius, segments).rotate((-90.0, 0.0, 0.0))
    return c.transform(_affine(frame_of(rotation_to(p1 - p0), p0)))


def capsule(
    p0: np.ndarray | tuple[float, float, float],
    p1: np.ndarray | tuple[float, float, float],
    radius: float,
    segments: int = 16,
) -> manifold3d.Manifold:
    """A capsule (hull of two spheres) from p0 to p1."""
    s = _M.sphere(radius, segments)
    return _M.batch_hull([s.translate(tuple(map(float, p0))), s.translate(tuple(map(float, p1)))])


def beam(
    p0: np.ndarray | tuple[float, float, float],
    p1: np.ndarray | tuple[float, float, float],
    width: float,
    depth: float,
    radius: float = 0.003,
    up: tuple[float, float, float] | None = None,
) -> tuple[manifold3d.Manifold, np.ndarray]:
    """A rounded rectangular beam from p0 to p1 (cross-section width × depth).

    Returns:
        The solid and its (4, 4) frame (Y along the beam, Z towards `up`).
    """
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    rot = rotation_to(p1 - p0, None if up is None else np.asarray(up, float))
    length = float(np.linalg.norm(p1 - p0))
    center = (p0 + p1) / 2.0
    return rounded_box((width, length, depth), tuple(center), radius, rot), frame_of(rot, center)


def arc_tube(
    radius: float,
    tube: float,
    degrees: float,
    frame: np.ndarray,
    segments: int = 24,
    tube_segments: int = 12,
) -> manifold3d.Manifold:
    """A partial torus: a circle of radius `tube` swept along an arc.

    In the local frame the arc lies in the XY plane, centred on the origin, from
    angle 0 (+X) counter-clockwise through +Y to `degrees`; both ends are capped.
    """
    ang = np.linspace(0.0, 2 * np.pi, tube_segments, endpoint=False)
    circle = np.stack([radius + tube * np.cos(ang), tube * np.sin(ang)], axis=1)
    arc = _M.revolve(manifold3d.CrossSection([circle]), segments, degrees)
    # revolve: profile (x, y) around y, y becomes z → arc in XY plane, tube along Z.
    return arc.transform(_affine(frame))


def tube_path(points: np.ndarray, radius: float, segments: int = 12) -> manifold3d.Manifold:
    """A round tube along a polyline: the union of capsules between consecutive points.

    Args:
        points: (N, 3) path, metres, N ≥ 2.
        radius: tube radius, metres.
        segments: circle segments of each capsule.
    """
    pts = np.asarray(points, float)
    return union([capsule(a, b, radius, segments) for a, b in itertools.pairwise(pts)])


def arch_points(span: float, height: float, center: tuple[float, float, float], n: int = 12) -> np.ndarray:
    """(n, 3) points of a half-ellipse arch in the XY plane: from (-span, 0) over the
    top (0, height) to (+span, 0), offset by `center`."""
    t = np.linspace(np.pi, 0.0, n)
    return np.stack([span * np.cos(t), height * np.sin(t), np.zeros(n)], axis=1) + np.asarray(center, float)


def lathe(
    profile: np.ndarray | list[tuple[float, float]], segments: int = 40, base=(0.0, 0.0, 0.0)
) -> manifold3d.Manifold:
    """A solid of revolution about +Y from a closed (radius, height) profile polygon.

    Args:
        profile: (N, 2) (r, y) points, counter-clockwise in the (r, y) plane, r ≥ 0
            (`ccw` orders a polygon; a clockwise one gives an empty solid).
        segments: segments around the axis.
        base: translation of the axis origin.
    """
    cs = manifold3d.CrossSection([np.asarray(profile, float)])
    return _M.revolve(cs, segments).rotate((-90.0, 0.0, 0.0)).translate(tuple(map(float, base)))


def ccw(points: np.ndarray | list[tuple[float, float]]) -> np.ndarray:
    """(N, 2) float64 copy of a simple polygon in counter-clockwise order (positive area)."""
    p = np.asarray(points, float)
    area = 0.5 * float(np.sum(p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1]))
    return p.copy() if area > 0 else p[::-1].copy()


def hull_spheres(
    points: np.ndarray | list[tuple[float, float, float]], radius: float, segments: int = 8
) -> manifold3d.Manifold:
    """The convex hull of small spheres at (N, 3) points, metres (a solid with rounded edges)."""
    s = _M.sphere(radius, segments)
    return _M.batch_hull([s.translate(tuple(map(float, p))) for p in np.asarray(points, float)])


def place(solid: manifold3d.Manifold, frame: np.ndarray) -> manifold3d.Manifold:
    """`solid` moved by a (4, 4) local-to-object transform."""
    return solid.transform(_affine(frame))


def rounded_outline(width: float, height: float, radius: float, segments: int = 24) -> manifold3d.CrossSection:
    """A 2-D rounded rectangle centred on the origin (width along x, height along y), metres."""
    r = float(min(radius, 0.49 * min(width, height)))
    core = manifold3d.CrossSection.square((width - 2 * r, height - 2 * r), center=True)
    return core.offset(r, manifold3d.JoinType.Round, 2.0, segments)


def prism(
    outline: manifold3d.CrossSection | np.ndarray | list[tuple[float, float]],
    depth: float,
    frame: np.ndarray | None = None,
) -> manifold3d.Manifold:
    """A prism: a 2-D outline in the local XY plane extruded `depth` metres along
    local Z, centred on z = 0, then moved by the (4, 4) `frame` (identity: object frame).

    Args:
        outline: a CrossSection, or an (N, 2) simple polygon (either orientation).
        depth: extrusion length, metres.
        frame: optional (4, 4) local-to-object transform.
    """
    cs = outline if isinstance(outline, manifold3d.CrossSection) else manifold3d.CrossSection([ccw(outline)])
    solid = _M.extrude(cs, float(depth)).translate((0.0, 0.0, -float(depth) / 2))
    return solid if frame is None else place(solid, frame)


def frustum_shell(
    r_bottom: float, r_top: float, height: float, thickness: float, y0: float = 0.0, segments: int = 40
) -> manifold3d.Manifold:
    """An open conical tube about +Y (a lampshade, a bucket's wall without a floor):
    outer radius r_bottom at y0 to r_top at y0 + height, wall `thickness` metres inwards."""
    profile = [(r_bottom, 0.0), (r_top, height), (r_top - thickness, height), (r_bottom - thickness, 0.0)]
    cs = manifold3d.CrossSection([ccw(profile)])
    return _M.revolve(cs, segments).rotate((-90.0, 0.0, 0.0)).translate((0.0, float(y0), 0.0))


def axis_rotation(axis: str, degrees: float) -> np.ndarray:
    """(3, 3) rotation by `degrees` about the object axis "x", "y" or "z" (right-handed)."""
    c, s = float(np.cos(np.radians(degrees))), float(np.sin(np.radians(degrees)))
    if axis == "x":
        return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    if axis == "y":
        return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def sphere(radius: float, center=(0.0, 0.0, 0.0), segments: int = 48) -> manifold3d.Manifold:
    """A geodesic sphere."""
    return _M.sphere(radius, segments).translate(tuple(map(float, center)))


def union(solids: list[manifold3d.Manifold]) -> manifold3d.Manifold:
    """Boolean union of solids."""
    return _M.batch_boolean(solids, manifold3d.OpType.Add)


# --------------------------------------------------------------------------- assembly


def assemble(parts: list[Part], cuts: list[Part], edge_length: float, floor_trim: bool = True) -> Assembled:
    """Union `parts`, subtract `cuts` and trim below y = 0.

    Parts whose slot is not "main" are refined to `edge_length` first, so that
    where two materials meet, the triangles that must interpolate between two
    atlas tiles are small (the large "main" faces keep their vertices).

    Args:
        parts: solids to union.
        cuts: solids to subtract (their faces, where they bound the result, are
            attributed to them).
        edge_length: maximum edge length of non-main parts, metres.
        floor_trim: cut everything below the floor plane y = 0.

    Returns:
        `Assembled` with a welded, watertight triangle mesh.
    """
    every = parts + cuts
    multi = len({p.slot for p in every}) > 1
    originals = []
    for p in every:
        solid = p.solid.refine_to_length(edge_length) if multi and p.refine and p.slot != "main" else p.solid
        originals.append(solid.as_original())
    ids = {int(s.original_id()): k for k, s in enumerate(originals)}
    solid = _M.batch_boolean(originals[: len(parts)], manifold3d.OpType.Add)
    if cuts:
        solid = _M.batch_boolean([solid, *originals[len(parts) :]], manifold3d.OpType.Subtract)
    if floor_trim:
        solid = solid.trim_by_plane((0.0, 1.0, 0.0), 0.0)
    mesh = solid.to_mesh()
    verts = np.asarray(mesh.vert_properties, float)[:, :3]
    faces = np.asarray(mesh.tri_verts, np.int64)
    run_index = np.asarray(mesh.run_index, np.int64) // 3
    run_ids = np.asarray(mesh.run_original_id, np.int64)
    face_part = np.full(len(faces), -1, np.int64)
    for k, oid in enumerate(run_ids):
        face_part[run_index[k] : run_index[k + 1]] = ids.get(int(oid), -1)
    if (face_part < 0).any():  # faces made by the floor trim: attribute to a neighbour part
        face_part = _fill_unknown(faces, face_part)
    return Assembled(verts, faces, face_part)


def _fill_unknown(faces: np.ndarray, face_part: np.ndarray) -> np.ndarray:
    """Give faces with no source part the part of an adjacent face (floor caps)."""
    out = face_part.copy()
    vert_part = np.full(faces.max() + 1, -1, np.int64)
    for _ in range(64):
        known = out >= 0
        vert_part[faces[known].ravel()] = np.repeat(out[known], 3)
        unknown = np.flatnonzero(~known)
        if unknown.size == 0:
            break
        cand = vert_part[faces[unknown]].max(axis=1)
        out[unknown] = cand
        if (cand < 0).all():
            out[unknown] = 0
    out[out < 0] = 0
    return out


# --------------------------------------------------------------------------- uv


def project_uv(asm: Assembled, parts: list[Part]) -> tuple[np.ndarray, np.ndarray]:
    """Per-vertex uv in [0, 1]² of each vertex's part, and that part's index.

    A vertex takes the part that owns the largest area of its adjacent faces.
    "box" parts map the two in-plane axes of the dominant local normal axis,
    normalised by the part's bounds; "cylinder" maps the mirrored angle
    |atan2(z, x)| / π (seamless) and height; "sphere" maps the mirrored
    longitude and the latitude.

    Returns:
        uv: (V, 2) float64 in [0, 1]; vert_part: (V,) int64 part index.
    """
    v, f = asm.vertices, asm.faces
    tri = v[f]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area = np.linalg.norm(cross, axis=1) / 2.0
    n_parts = len(parts)
    n_v = len(v)
    # area of adjacent faces per (vertex, part) → the vertex's part
    key = f.ravel() * n_parts + np.repeat(asm.face_part, 3)
    acc = np.bincount(key, weights=np.repeat(area, 3), minlength=n_v * n_parts).reshape(n_v, n_parts)
    vert_part = acc.argmax(axis=1)
    # per-vertex normal from the faces of the vertex's own part
    same = (vert_part[f] == asm.face_part[:, None]).ravel()
    idx = f.ravel()[same]
    fc = np.repeat(cross, 3, axis=0)[same]
    # float64: bincount with weights (numpy's stubs say intp)
    normals: np.ndarray = np.stack([np.bincount(idx, weights=fc[:, c], minlength=n_v) for c in range(3)], axis=1)
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    owned_mask = np.zeros((n_parts, n_v), bool)
    owned_mask[np.repeat(asm.face_part, 3), f.ravel()] = True

    uv = np.zeros((len(v), 2))
    for k, part in enumerate(parts):
        idx = np.flatnonzero(vert_part == k)
        if idx.size == 0:
            continue
        inv = np.linalg.inv(part.frame)
        local = v[idx] @ inv[:3, :3].T + inv[:3, 3]
        nloc = normals[idx] @ inv[:3, :3].T
        lv = v[owned_mask[k]] @ inv[:3, :3].T + inv[:3, 3]
        lo, hi = lv.min(axis=0), lv.max(axis=0)
        t = (local - lo) / np.maximum(hi - lo, 1e-9)
        if part.projection == "box":
            dom = np.abs(nloc).argmax(axis=1)
            ext = hi - lo
            for axis in range(3):
                sel = dom == axis
                a, b = [i for i in range(3) if i != axis]
                if ext[a] < ext[b]:
                    a, b = b, a
                uv[idx[sel]] = np.stack([t[sel, a], t[sel, b]], axis=1)
        elif part.projection == "cylinder":
            ang = np.abs(np.arctan2(local[:, 2], local[:, 0])) / np.pi
            cap = np.abs(nloc[:, 1]) > 0.7
            uv[idx] = np.stack([ang, 1.0 - t[:, 1]], axis=1)
            uv[idx[cap]] = np.stack([t[cap, 0], t[cap, 2]], axis=1)
        else:
            c = (lo + hi) / 2.0
            d = local - c
            d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
            uv[idx] = np.stack(
                [np.abs(np.arctan2(d[:, 2], d[:, 0])) / np.pi, np.arccos(np.clip(d[:, 1], -1, 1)) / np.pi],
                axis=1,
            )
    return np.clip(uv, 0.0, 1.0), vert_part
