"""Multi-view vertex voting: per-frame masks → per-vertex labels (DESIGN §7 stage 5).

For every view, each mesh vertex is projected into the frame; it is visible when
the pixel it lands on sees one of the vertex's own faces (face-id buffer) or a
surface within `depth_tolerance_px` pixel footprints of the vertex's depth. A
visible vertex votes for every label whose mask covers its pixel, with weight
`score × |cos θ|` (the mask's confidence times the cosine between the vertex
normal and the viewing ray), so grazing views and unsure masks count less.

Vertices with no vote (never seen, or seen only outside every mask) take their
label distribution by harmonic diffusion over the mesh graph: the graph-Laplacian
system L_uu X_u = -L_uk X_k is solved (sparse LU) with the voted vertices fixed;
parts of the mesh with no voted vertex take the label of the nearest voted vertex.
Finally, small islands (a connected patch of one label covering less than
`min_island_fraction` of the mesh's area and bordering another label, e.g.
where a wrong mask blob won the vote) take the label around them.

Vertices at the same position (split UV seams of a textured mesh) are welded for
voting and adjacency, so a seam never separates labels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.geometry.normals import vertex_normals
from hoiexport.sdk.geometry.orbit import OrbitRender
from hoiexport.sdk.generators.lift.segment import ViewMasks, face_labels_from_vertices
from hoiexport.sdk.core.types import Mesh, Texture
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class VoteOptions:
    """Settings of vertex voting.

    Attributes:
        depth_tolerance_px: a vertex whose depth is within this many pixel
            footprints (plus `depth_tolerance_m`) of the depth buffer counts as
            visible even if its pixel sees a neighbouring face.
        depth_tolerance_m: constant part of the depth tolerance, metres.
        min_cosine: views seeing a vertex more edge-on than this cosine do not vote.
        weld_tolerance_m: vertices closer than this are one vertex for voting.
        min_island_fraction: a connected patch of one label smaller than this
            share of the mesh's surface area, bordering another label, takes
            that label (stray blobs of wrong masks; 0 keeps every patch).
    """

    depth_tolerance_px: float = 2.0
    depth_tolerance_m: float = 0.002
    min_cosine: float = 0.05
    weld_tolerance_m: float = 1e-6
    min_island_fraction: float = 0.005


@dataclass
class VoteResult:
    """Per-vertex labels from multi-view voting.

    Attributes:
        labels: (V,) int8 index into `names` per vertex of the input mesh.
        probabilities: (V, L) float32 label distribution per vertex (rows sum to 1).
        voted: (V,) bool, True where the vertex got votes (False: diffused).
        views_seen: (V,) int16 number of views in which the vertex was visible.
        names: the L label names.
        timings_s: "vote" and "diffuse" seconds.
    """

    labels: np.ndarray
    probabilities: np.ndarray
    voted: np.ndarray
    views_seen: np.ndarray
    names: list[str]
    timings_s: dict[str, float] = field(default_factory=dict)


def weld_index(vertices: np.ndarray, tolerance: float = 1e-6) -> tuple[np.ndarray, int]:
    """(V,) int64 index of each vertex's welded representative, and the welded count."""
    key = np.round(np.asarray(vertices, np.float64) / max(tolerance, 1e-12)).astype(np.int64)
    _, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return inverse, int(inverse.max()) + 1 if len(inverse) else 0


def adjacency(faces: np.ndarray, n: int) -> sp.csr_matrix:
    """(n, n) symmetric 0/1 vertex adjacency of a triangle mesh's edges."""
    f = np.asarray(faces, np.int64)
    i = np.concatenate([f[:, 0], f[:, 1], f[:, 2]])
    j = np.concatenate([f[:, 1], f[:, 2], f[:, 0]])
    keep = i != j
    a = sp.coo_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n)).tocsr()
    a = a + a.T
    a.data[:] = 1.0
    return a


def diffuse_labels(adj: sp.csr_matrix, known: np.ndarray, values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Harmonic extension of per-vertex label distributions over a graph.

    Args:
        adj: (n, n) symmetric adjacency.
        known: (n,) bool, vertices whose values are fixed.
        values: (n, L) float distributions; rows of unknown vertices are ignored.
        points: (n, 3) positions, for parts of the graph without a known vertex.

    Returns:
        (n, L) float64 distributions: known rows unchanged, unknown rows harmonic.
    """
    out = np.asarray(values, np.float64).copy()
    unknown = ~known
    if not unknown.any():
        return out
    if not known.any():
        raise InputError("no vertex got a vote: every mask missed the mesh; check the segmentation labels")
    _, comp = connected_components(adj, directed=False)
    comp_has_known = np.zeros(comp.max() + 1, bool)
    comp_has_known[comp[known]] = True
    solvable = unknown & comp_has_known[comp]
    orphan = unknown & ~comp_has_known[comp]
    if solvable.any():
        lap = sp.diags(np.asarray(adj.sum(axis=1)).ravel()) - adj
        u = np.flatnonzero(solvable)
        k = np.flatnonzero(known)
        l_uu = lap[u][:, u].tocsc()
        rhs = -(lap[u][:, k] @ out[k])
        out[u] = splu(l_uu).solve(np.asarray(rhs))
    if orphan.any():
        _, nearest = cKDTree(points[known]).query(points[orphan])
        out[orphan] = out[np.flatnonzero(known)[nearest]]
    out = np.clip(out, 0.0, None)
    out /= np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
    return out


def remove_islands(adj: sp.csr_matrix, labels: np.ndarray, areas: np.ndarray, min_fraction: float) -> np.ndarray:
    """Relabel small patches of one label that lie inside another label's region.

    A patch is a connected set of same-label vertices. One whose area is below
    `min_fraction` of the whole mesh's area and that borders other labels takes
    the label it shares the most edges with; patches that border nothing (a
    separate piece of the mesh) keep their label. (Relative to the whole mesh,
    not to the patch's label: a 10 cm² blob is noise on a person even when the
    object it is labelled with is a 300 cm² mug.)

    Args:
        adj: (n, n) vertex adjacency.
        labels: (n,) int label per vertex.
        areas: (n,) vertex areas, m².
        min_fraction: share of the mesh's area below which a bordered patch is relabelled.

    Returns:
        (n,) int64 new labels.
    """
    out = np.asarray(labels, np.int64).copy()
    if min_fraction <= 0 or len(out) == 0:
        return out
    coo = adj.tocoo()
    same = out[coo.row] == out[coo.col]
    graph = sp.coo_matrix((np.ones(int(same.sum())), (coo.row[same], coo.col[same])), shape=adj.shape).tocsr()
    n_comp, comp = connected_components(graph, directed=False)
    comp_area = np.bincount(comp, weights=areas, minlength=n_comp)
    comp_label = np.zeros(n_comp, np.int64)
    comp_label[comp] = out
    n_labels = int(out.max()) + 1
    # edges from each patch to each other label
    cross = ~same
    border = sp.coo_matrix(
        (np.ones(int(cross.sum())), (comp[coo.row[cross]], out[coo.col[cross]])), shape=(n_comp, n_labels)
    ).toarray()
    small = (comp_area < min_fraction * areas.sum()) & (border.sum(axis=1) > 0)
    new_label = border.argmax(axis=1)
    flip = small[comp]
    out[flip] = new_label[comp[flip]]
    return out


def vote_labels(mesh: Mesh, views: OrbitRender, masks: ViewMasks, options: VoteOptions = VoteOptions()) -> VoteResult:
    """Label every vertex of `mesh` from masks on its orbit frames (module docstring).

    Args:
        mesh: the rendered mesh (same faces as `views.face_ids` index).
        views: its orbit rendering.
        masks: per-frame masks of the labels, frames as in `views`.
        options: visibility and weighting settings.

    Returns:
        `VoteResult`.

    Raises:
        InputError: masks and frames disagree in count or size, or nothing got a vote.
    """
    t0 = time.perf_counter()
    n_views, h, w = views.face_ids.shape
    if masks.masks.shape[0] != n_views or masks.masks.shape[2:] != (h, w):
        raise InputError(
            f"masks {masks.masks.shape} do not match the {n_views} frames of {h}x{w} pixels they should cover"
        )
    weld, n = weld_index(mesh.vertices, options.weld_tolerance_m)
    faces = weld[mesh.faces]
    points = np.zeros((n, 3))
    points[weld] = mesh.vertices.astype(np.float64)
    normals = vertex_normals(points, faces)
    # faces around each welded vertex, to recognise "the pixel sees one of my faces"
    vertex_of_face = mesh.faces.astype(np.int64)
    nl = len(masks.labels)
    votes = np.zeros((n, nl))
    seen = np.zeros(n, np.int16)
    for v, cam in enumerate(views.cameras):
        pix, z = cam.project(points)
        col = np.floor(pix[:, 0]).astype(np.int64)
        row = np.floor(pix[:, 1]).astype(np.int64)
        inside = (z > 0) & (col >= 0) & (col < w) & (row >= 0) & (row < h)
        idx = np.flatnonzero(inside)
        r, c = row[idx], col[idx]
        fid = views.face_ids[v, r, c]
        zbuf = views.depth[v, r, c].astype(np.float64)
        hit = fid >= 0
        own = np.zeros(len(idx), bool)
        own[hit] = (weld[vertex_of_face[fid[hit]]] == idx[hit, None]).any(axis=1)
        footprint = z[idx] / cam.intrinsics[0, 0]
        near = hit & (np.abs(z[idx] - zbuf) <= options.depth_tolerance_px * footprint + options.depth_tolerance_m)
        ray = cam.position - points[idx]
        cos = np.abs(np.einsum("nc,nc->n", normals[idx], ray)) / np.maximum(np.linalg.norm(ray, axis=1), 1e-12)
        visible = (own | near) & (cos >= options.min_cosine)
        vi, r, c, cos = idx[visible], r[visible], c[visible], cos[visible]
        seen[vi] += 1
        for li in range(nl):
            score = float(masks.scores[v, li])
            if score <= 0:
                continue
            covered = masks.masks[v, li, r, c]
            votes[vi[covered], li] += score * cos[covered]
    t1 = time.perf_counter()
    total = votes.sum(axis=1)
    voted = total > 0
    probs = np.zeros((n, nl))
    probs[voted] = votes[voted] / total[voted, None]
    adj = adjacency(faces, n)
    probs = diffuse_labels(adj, voted, probs, points)
    tri = points[faces]
    face_area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    areas = np.bincount(faces.ravel(), weights=np.repeat(face_area / 3.0, 3), minlength=n)
    labels = remove_islands(adj, probs.argmax(axis=1), areas, options.min_island_fraction)
    t2 = time.perf_counter()
    return VoteResult(
        labels=labels.astype(np.int8)[weld],
        probabilities=probs.astype(np.float32)[weld],
        voted=voted[weld],
        views_seen=seen[weld],
        names=list(masks.labels),
        timings_s={"vote": t1 - t0, "diffuse": t2 - t1},
    )


def label_accuracy(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Fraction of vertices whose predicted label equals the ground truth (0..1)."""
    predicted, truth = np.asarray(predicted), np.asarray(truth)
    if predicted.shape != truth.shape:
        raise InputError(f"label arrays differ in shape: {predicted.shape} vs {truth.shape}")
    return float((predicted == truth).mean()) if len(truth) else 1.0


def submesh(mesh: Mesh, face_mask: np.ndarray, name: str) -> Mesh:
    """The faces of `mesh` selected by `face_mask` with their vertices, uv, colours,
    normals, texture and PBR description carried over (vertices re-indexed in their
    original order)."""
    faces = mesh.faces[np.asarray(face_mask, bool)]
    used = np.unique(faces)
    remap = np.full(len(mesh.vertices), -1, np.int64)
    remap[used] = np.arange(len(used))
    texture = Texture(mesh.texture.image) if mesh.texture is not None else None
    return Mesh(
        vertices=mesh.vertices[used],
        faces=remap[faces],
        uv=None if mesh.uv is None else mesh.uv[used],
        colors=None if mesh.colors is None else mesh.colors[used],
        texture=texture,
        normals=None if mesh.normals is None else mesh.normals[used],
        name=name,
        pbr=None if mesh.pbr is None else mesh.pbr.take_faces(np.flatnonzero(np.asarray(face_mask, bool))),
    )


def split_mesh(mesh: Mesh, labels: np.ndarray, names: tuple[str, ...] = ("human", "object")) -> list[Mesh]:
    """Split `mesh` by per-vertex labels: each face goes to the majority label of its corners.

    Args:
        mesh: the combined mesh.
        labels: (V,) int label per vertex, indices into `names`.
        names: mesh name of each label's part.

    Returns:
        One `Mesh` per name (uv, colours, normals and texture preserved).

    Raises:
        InputError: a label with no faces (nothing to register or export).
    """
    labels = np.asarray(labels, np.int64)
    if labels.shape != (len(mesh.vertices),):
        raise InputError(f"labels must be ({len(mesh.vertices)},) like {mesh.name}.vertices, got {labels.shape}")
    face_label = face_labels_from_vertices(mesh.faces, labels, len(names))
    parts = []
    for i, name in enumerate(names):
        sel = face_label == i
        if not sel.any():
            raise InputError(f"segmentation left no faces for the {name}; check the labels / masks")
        parts.append(submesh(mesh, sel, name))
    return parts


def reassign_fragments(
    mesh: Mesh,
    labels: np.ndarray,
    body: Mesh,
    max_fraction: float = 0.05,
    weld_tolerance_m: float = 1e-6,
    snap_m: float = 0.02,
) -> np.ndarray:
    """Move small fragments of the split to the side they belong to, using the registered body.

    Segmentation leaves debris: a mug handle hidden behind the fingers in most
    frames comes out "person", a strip of sleeve "object". Once the body is
    registered, each small connected piece of one label (below `max_fraction`
    of that label's area) is compared by its median distance to the body
    surface and to the object's largest piece: a person piece nearer that
    object piece goes to the object, an object piece nearer the body to the
    person. A piece of any size moves when it clearly lies on the other side's
    surface: median distance to it within `snap_m` and at most half the
    distance to its own side (a patch of forehead the masks called "object"
    can be larger than a small object's 5 %). The largest piece of each label
    never moves.

    Args:
        mesh: the combined mesh.
        labels: (V,) int 0 = person, 1 = object.
        body: the registered body surface, same frame.
        max_fraction: pieces below this share of their label's area may move.
        weld_tolerance_m: vertices closer than this are one vertex.
        snap_m: pieces of any size within this median distance (metres) of the
            other side's surface, and twice as close to it as to their own,
            move.

    Returns:
        (V,) int8 new labels.
    """
    from hoiexport.sdk.generators.lift.chamfer import point_to_surface

    labels = np.asarray(labels, np.int64)
    weld, n = weld_index(mesh.vertices, weld_tolerance_m)
    wl = np.zeros(n, np.int64)
    wl[weld] = labels
    faces = weld[mesh.faces]
    points = np.zeros((n, 3))
    points[weld] = mesh.vertices.astype(np.float64)
    coo = adjacency(faces, n).tocoo()
    same = wl[coo.row] == wl[coo.col]
    graph = sp.coo_matrix((np.ones(int(same.sum())), (coo.row[same], coo.col[same])), shape=(n, n)).tocsr()
    n_comp, comp = connected_components(graph, directed=False)
    tri = points[faces]
    face_area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    areas = np.bincount(faces.ravel(), weights=np.repeat(face_area / 3.0, 3), minlength=n)
    comp_area = np.bincount(comp, weights=areas, minlength=n_comp)
    comp_label = np.zeros(n_comp, np.int64)
    comp_label[comp] = wl
    out = wl.copy()
    objects = np.flatnonzero(comp_label == 1)
    persons = np.flatnonzero(comp_label == 0)
    if len(objects) == 0 or len(persons) == 0:
        return labels.astype(np.int8)
    main = {0: persons[np.argmax(comp_area[persons])], 1: objects[np.argmax(comp_area[objects])]}
    main_object = Mesh(points, faces[(comp[faces] == main[1]).all(axis=1)])
    if len(main_object.faces) == 0:
        return labels.astype(np.int8)
    for side, pieces in ((0, persons), (1, objects)):
        total = comp_area[pieces].sum()
        for c in pieces:
            if c == main[side]:
                continue
            pts = points[comp == c]
            d_body = float(np.median(point_to_surface(pts, body)))
            d_object = float(np.median(point_to_surface(pts, main_object)))
            d_own, d_other = (d_body, d_object) if side == 0 else (d_object, d_body)
            small = comp_area[c] < max_fraction * total
            if (small and d_other < d_own) or (d_other < snap_m and 2.0 * d_other <= d_own):
                out[comp == c] = 1 - side
    return out[weld].astype(np.int8)
