"""Export stage 4: skin weights, the object's joint and the export skeleton (DESIGN §8).

- `transfer_skin_weights`: the human's weights come from the fitted body surface, in
  the manner of "Robust Skin Weights Transfer via Weight Inpainting" (Abdrashitov et
  al., SIGGRAPH Asia 2023): each target vertex whose closest point on the posed body
  is near (`SkinOptions.smooth_distance_m`) and faces the same way
  (`SkinOptions.max_normal_angle_deg`) takes the barycentric interpolation of the
  body's weights there; the other vertices (hair, loose clothes, the far side of a
  gap between fingers) are inpainted: their weights are the harmonic interpolation
  over the target mesh graph of the matched vertices' weights (one sparse solve), so
  they follow the surface they belong to rather than whichever body part is nearest.
- `rigid_binding`: every vertex on one joint with weight 1 (the object).
- `choose_object_joint`: which joint carries the object, from the contact config.
- `export_skeleton` / `add_root_joint`: the `ExportSkeleton` of a `BodyFit`, and the
  Unreal `root` joint above the pelvis.

Everything is in the internal frame (+Y up, metres, character faces +Z). Skinned
vertices keep at most `MAX_INFLUENCES` joints; weights are stored as float32 and each
row sums to 1 within 1e-6 after the cast (the rounding remainder goes on the largest
weight); a zero weight always pairs with joint index 0, as glTF asks.

Example::

    skin = transfer_skin_weights(human.vertices, human.faces, asset.body)
    mesh = ExportMesh(..., joints=skin.joints, weights=skin.weights)
    joint = choose_object_joint(asset.contacts, asset.contact_config)   # "right_wrist"
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg
import scipy.spatial
import trimesh

from hoiexport.exporters.skeletons import RIG_ROOT
from hoiexport.exporters.scene import ExportClip, ExportScene, ExportSkeleton
from hoiexport.sdk.core.errors import ExportError, InputError
from hoiexport.sdk.core.types import BodyFit, Contact, ContactConfig
from hoiexport.sdk.geometry.surface import SurfaceQuery

VERTEX_SNAP_M = 1e-6
"""A target vertex this close to a body vertex (metres) copies that vertex's weights."""

MAX_INFLUENCES = 4
"""Joints per skinned vertex (glTF JOINTS_0 / WEIGHTS_0 hold four)."""

ROOT_JOINT = RIG_ROOT
"""Name of the floor joint above the pelvis (`skeletons.RIG_ROOT`, before a naming preset)."""

HAND_JOINT: dict[str, str] = {"right_hand": "right_wrist", "left_hand": "left_wrist"}
"""Body part → the SMPL-24 joint that carries an object held by it.

The SMPL `*_wrist` joint is the palm's bone (the one engines call `hand_r` /
`hand_l`); SMPL's `*_hand` joint sits at the knuckles and only bends the fingers, so
an object held in the palm follows the wrist.
"""


@dataclass(frozen=True)
class SkinOptions:
    """How human skin weights are transferred from the body.

    Attributes:
        smooth_distance_m: target vertices farther than this from the body surface
            (metres) are inpainted from their mesh neighbours instead of taking the
            closest point's weights.
        max_normal_angle_deg: target vertices whose normal differs from the body
            normal at their closest point (the body's vertex normals interpolated)
            by more than this (degrees) are inpainted too (e.g. the closest point
            lies on the neighbouring finger).
            180 turns the test off.
        drop_islands: inpaint matched vertices whose dominant joint forms a
            stray island on the target mesh (`stray_islands`: a finger matched onto
            the thigh it rests on).
    """

    smooth_distance_m: float = 0.05
    max_normal_angle_deg: float = 60.0
    drop_islands: bool = True

    def __post_init__(self) -> None:
        if not (self.smooth_distance_m >= 0.0 and np.isfinite(self.smooth_distance_m)):
            raise InputError(
                f"smooth_distance_m must be a finite distance >= 0 metres, got {self.smooth_distance_m}"
            )
        if not 0.0 <= self.max_normal_angle_deg <= 180.0:
            raise InputError(
                f"max_normal_angle_deg must be in [0, 180] degrees, got {self.max_normal_angle_deg}"
            )


@dataclass
class SkinBinding:
    """Per-vertex joint influences of one mesh.

    Attributes:
        joints: (N, 4) uint16 joint indices, largest weight first; index 0 where the
            weight is 0.
        weights: (N, 4) float32 weights in [0, 1], non-increasing along a row, each
            row summing to 1 within 1e-6.
        rigid_joint: the joint every vertex is bound to with weight 1, or None.
        distance_m: (N,) float32 distance of each vertex to the body surface,
            metres (zeros for a rigid binding).
        inpainted: (N,) bool, True where the closest-body-point match was rejected
            (too far, or facing away); those vertices are inpainted from matched
            mesh neighbours (or keep the closest point's weights when no matched
            vertex is connected to them).
    """

    joints: np.ndarray
    weights: np.ndarray
    rigid_joint: int | None = None
    distance_m: np.ndarray | None = None
    inpainted: np.ndarray | None = None


def top_influences(dense: np.ndarray, k: int = MAX_INFLUENCES) -> tuple[np.ndarray, np.ndarray]:
    """Keep the `k` largest weights of each row and renormalise them in float32.

    Ties are broken towards the lower joint index, after rounding the weights to
    1e-9 so that floating-point noise does not decide them.

    Args:
        dense: (N, J) non-negative weights (any float dtype); rows must not be all 0.
        k: influences to keep.

    Returns:
        joints (N, k) uint16, largest weight first, 0 where the weight is 0;
        weights (N, k) float32 whose rows sum to 1 within 1e-6 as stored: the
        remainder after the float32 cast is put on the largest weight.

    Raises:
        ExportError: a row has no positive weight, or J > 65536.
    """
    w = np.clip(np.asarray(dense, dtype=np.float64), 0.0, None)
    n, j = w.shape
    if j > np.iinfo(np.uint16).max + 1:
        raise ExportError(f"skin weights have {j} joints; at most 65536 fit uint16 joint indices")
    if k > j:
        w = np.concatenate([w, np.zeros((n, k - j))], axis=1)
    order = np.argsort(-np.round(w, 9), axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(w, order, axis=1)
    total = top.sum(axis=1)
    if n and not (total > 0).all():
        bad = int(np.flatnonzero(~(total > 0))[0])
        raise ExportError(f"skin weights of vertex {bad} are all zero; every vertex needs a joint")
    top /= total[:, None]
    out = top.astype(np.float32)
    # Put the float32 rounding remainder on the largest weight (column 0).
    out[:, 0] = (1.0 - out[:, 1:].astype(np.float64).sum(axis=1)).astype(np.float32)
    joints = np.where(out > 0, order, 0).astype(np.uint16)
    return joints, out


@dataclass
class _BodyMatch:
    dense: np.ndarray  # (N, J) float64 interpolated body weights
    distance: np.ndarray  # (N,) metres
    normal: np.ndarray  # (N, 3) body vertex normals interpolated at the closest point
    on_vertex: np.ndarray  # (N,) bool, the point lies on a body vertex (weights copied)


def _closest_on_body(body: BodyFit, points: np.ndarray) -> _BodyMatch:
    """Closest point on the posed body surface and the body's weights interpolated there.

    Uses the closest-point walk (`SurfaceQuery.closest_coherent`), which is
    exact on smooth surfaces and an order of magnitude faster than
    `trimesh.proximity.closest_point` on a 14k-vertex body.
    """
    hit = SurfaceQuery(body.mesh).closest_coherent(points)
    face, bary, distance = hit.face, hit.bary, hit.distance
    corners = body.mesh.faces[face].astype(np.int64)  # (N, 3)
    bary = np.clip(np.nan_to_num(bary.astype(np.float64), nan=1.0 / 3.0), 0.0, None)
    bary /= bary.sum(axis=1, keepdims=True)
    sw = body.skin_weights.astype(np.float64)
    dense = np.einsum("nk,nkj->nj", bary, sw[corners])
    vn = body.mesh.normals
    if vn is None:
        vn = trimesh.Trimesh(body.mesh.vertices, body.mesh.faces, process=False).vertex_normals
    normal = np.einsum("nk,nkd->nd", bary, np.asarray(vn, np.float64)[corners])
    distance = np.asarray(distance, np.float64)
    # A point lying on a body vertex takes that vertex's weights: the walk can end on
    # another surface touching it (a hand resting on the hip) at the same distance.
    snap_d, snap_v = scipy.spatial.cKDTree(body.mesh.vertices).query(points, distance_upper_bound=VERTEX_SNAP_M)
    on_vertex = np.isfinite(snap_d)
    if on_vertex.any():
        v = snap_v[on_vertex]
        dense[on_vertex] = sw[v]
        normal[on_vertex] = np.asarray(vn, np.float64)[v]
        distance[on_vertex] = snap_d[on_vertex]
    return _BodyMatch(dense, distance, normal, on_vertex)


def _adjacency(faces: np.ndarray, n: int) -> scipy.sparse.csr_matrix:
    """(n, n) symmetric 0/1 matrix of the mesh edges."""
    f = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    a = np.concatenate([f[:, 0], f[:, 1], f[:, 2]])
    b = np.concatenate([f[:, 1], f[:, 2], f[:, 0]])
    rows, cols = np.concatenate([a, b]), np.concatenate([b, a])
    adj = scipy.sparse.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n)).tocsr()
    adj.data[:] = 1.0  # an edge shared by two faces counts once
    adj.setdiag(0.0)
    adj.eliminate_zeros()
    return adj


def stray_islands(dense: np.ndarray, known: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Matched vertices whose dominant joint forms a stray island on the mesh.

    A closest-point match can land on another limb that touches the surface (a hand
    resting on the thigh, a foot on the other shin): those vertices then carry the
    wrong limb's weights, invisible in the generated pose and torn apart once posed
    otherwise. Among matched vertices, each joint's region (vertices whose largest
    weight is that joint, joined by mesh edges between such vertices) should be one
    piece: every piece but the joint's largest is an island.

    Args:
        dense: (N, J) matched weights.
        known: (N,) bool, the matched vertices.
        faces: (F, 3) triangles.

    Returns:
        (N,) bool, True on vertices of islands (never on unmatched ones).
    """
    n = len(dense)
    out = np.zeros(n, bool)
    if n == 0 or len(faces) == 0 or not known.any():
        return out
    label = np.where(known, np.argmax(dense, axis=1), -1)
    adj = _adjacency(faces, n).tocoo()
    same = (label[adj.row] == label[adj.col]) & (label[adj.row] >= 0)
    graph = scipy.sparse.coo_matrix((np.ones(int(same.sum())), (adj.row[same], adj.col[same])), shape=(n, n))
    _, comp = scipy.sparse.csgraph.connected_components(graph, directed=False)
    sizes = np.bincount(comp[known], minlength=comp.max() + 1)
    best: dict[int, int] = {}
    for c in np.unique(comp[known]):
        j = int(label[np.flatnonzero(comp == c)[0]])
        if j not in best or sizes[c] > sizes[best[j]]:
            best[j] = int(c)
    keep = np.zeros(comp.max() + 1, bool)
    keep[list(best.values())] = True
    out[known] = ~keep[comp[known]]
    return out


def inpaint_weights(dense: np.ndarray, known: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Harmonic interpolation of per-vertex weights over a mesh graph.

    The unknown rows are set so that each equals the mean of its edge neighbours
    (uniform graph Laplacian, L_uu x_u = A_uk x_k), with the known rows fixed. Each
    result row is a convex combination of known rows, so rows stay non-negative and
    keep summing to 1. Connected groups of unknown vertices with no known neighbour
    keep their input rows.

    Args:
        dense: (N, J) float64 weights; unknown rows are replaced.
        known: (N,) bool.
        faces: (F, 3) triangles of the mesh.

    Returns:
        (N, J) float64 weights.
    """
    out = np.array(dense, dtype=np.float64, copy=True)
    unknown = np.flatnonzero(~known)
    if unknown.size == 0 or not known.any() or len(faces) == 0:
        return out
    adj = _adjacency(faces, len(out))
    a_u = adj[unknown]
    a_uu = a_u[:, unknown]
    a_uk = a_u[:, np.flatnonzero(known)]
    count, label = scipy.sparse.csgraph.connected_components(a_uu, directed=False)
    anchored = np.bincount(label, weights=np.asarray(a_uk.sum(axis=1)).ravel(), minlength=count) > 0
    keep = anchored[label]
    if not keep.any():
        return out
    rows = unknown[keep]
    a_s = adj[rows]
    lap = scipy.sparse.diags(np.asarray(a_s.sum(axis=1)).ravel()) - a_s[:, rows]
    rhs = a_s[:, np.flatnonzero(known)] @ out[known]
    solution = scipy.sparse.linalg.splu(lap.tocsc()).solve(rhs)
    out[rows] = np.clip(solution, 0.0, None)
    return out


def transfer_skin_weights(
    target_vertices: np.ndarray,
    target_faces: np.ndarray,
    body: BodyFit,
    opts: SkinOptions | None = None,
    target_normals: np.ndarray | None = None,
) -> SkinBinding:
    """Skin weights of a surface (the human) transferred from the fitted body.

    Each target vertex is matched to its closest point on the posed body surface.
    A match counts when it is within `opts.smooth_distance_m` and the body's normal
    there (its vertex normals interpolated) is within `opts.max_normal_angle_deg` of the vertex normal; then the
    vertex takes the barycentric interpolation of the body's weights. Unmatched
    vertices are inpainted (`inpaint_weights`) from the matched ones over the target
    mesh's edges; unmatched vertices with no path to a matched one keep their closest
    point's weights. Finally the top `MAX_INFLUENCES` weights are kept and renormalised.

    Args:
        target_vertices: (N, 3) positions in the bind (generated) pose, metres,
            internal frame, in the same space as `body.mesh`.
        target_faces: (F, 3) triangles of the target mesh (the graph unmatched
            vertices are inpainted over; F may be 0 for a point set).
        body: the fitted body: posed `mesh` and (V, J) `skin_weights`.
        opts: transfer options (default `SkinOptions()`).
        target_normals: (N, 3) vertex normals; default: area-weighted normals of
            `target_faces` (vertices on no face skip the normal test).

    Returns:
        A `SkinBinding` with joints (N, 4) uint16, weights (N, 4) float32, the
        distances to the body and which vertices were inpainted.

    Raises:
        InputError: wrong shapes, non-finite positions or out-of-range faces.
    """
    opts = opts or SkinOptions()
    verts = np.asarray(target_vertices, dtype=np.float64)
    faces = np.asarray(target_faces)
    if verts.ndim != 2 or verts.shape[1] != 3:
        raise InputError(f"target_vertices must have shape (N, 3), got {verts.shape}")
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise InputError(f"target_faces must have shape (F, 3), got {faces.shape}")
    if not np.isfinite(verts).all():
        raise InputError("target_vertices has NaN or inf values; clean the mesh before skinning")
    if faces.size and (faces.min() < 0 or faces.max() >= len(verts)):
        raise InputError(f"target_faces index out of range [0, {len(verts)})")
    if len(body.mesh.faces) == 0:
        raise InputError("body.mesh has no faces; skin weights need the posed body surface")
    n = len(verts)
    if target_normals is None:
        if len(faces):
            target_normals = trimesh.Trimesh(verts, faces, process=False).vertex_normals
        else:
            target_normals = np.zeros((n, 3))
    normals = np.asarray(target_normals, dtype=np.float64)
    if normals.shape != (n, 3):
        raise InputError(f"target_normals must have shape ({n}, 3), got {normals.shape}")
    if n == 0:
        return SkinBinding(
            np.zeros((0, MAX_INFLUENCES), np.uint16),
            np.zeros((0, MAX_INFLUENCES), np.float32),
            distance_m=np.zeros(0, np.float32),
            inpainted=np.zeros(0, bool),
        )

    match = _closest_on_body(body, verts)
    length = np.linalg.norm(normals, axis=1)
    body_length = np.linalg.norm(match.normal, axis=1)
    scale = np.where(length > 0, length, 1.0) * np.where(body_length > 0, body_length, 1.0)
    cos = np.einsum("ij,ij->i", normals, match.normal) / scale
    # a vertex or body point without a normal skips the test
    facing = (length == 0) | (body_length == 0) | (cos >= np.cos(np.radians(opts.max_normal_angle_deg)) - 1e-12)
    known = (match.distance <= opts.smooth_distance_m) & facing
    if opts.drop_islands:
        known &= match.on_vertex | ~stray_islands(match.dense, known, faces)
    dense = inpaint_weights(match.dense, known, faces)
    joints, weights = top_influences(dense)
    return SkinBinding(joints, weights, None, match.distance.astype(np.float32), ~known)


def rigid_binding(n: int, joint_index: int) -> SkinBinding:
    """Bind `n` vertices rigidly to one joint (weight 1, the other slots 0 on joint 0).

    Args:
        n: vertex count.
        joint_index: the joint, an index into the export skeleton.

    Raises:
        InputError: negative `n` or a joint index outside uint16.
    """
    if n < 0:
        raise InputError(f"vertex count must be >= 0, got {n}")
    if not 0 <= joint_index <= np.iinfo(np.uint16).max:
        raise InputError(f"joint index must be in 0..65535, got {joint_index}")
    joints = np.zeros((n, MAX_INFLUENCES), np.uint16)
    joints[:, 0] = joint_index
    weights = np.zeros((n, MAX_INFLUENCES), np.float32)
    weights[:, 0] = 1.0
    return SkinBinding(joints, weights, int(joint_index), np.zeros(n, np.float32), np.zeros(n, bool))


def choose_object_joint(contacts: list[Contact], config: ContactConfig | str) -> str | None:
    """The joint that carries the object, or None to leave it static at the root.

    - right_hand / left_hand → that hand's wrist joint (`HAND_JOINT`).
    - both_hands → the wrist of the hand with the larger total contact area in
      `contacts` (the right one on a tie or when neither is listed). The object
      keeps its generated placement between the hands; in the bind pose it does
      not move, and under other poses it follows that hand only.
    - back, right_leg, left_leg, no_contact, other → None: the object is bound to
      the skeleton root (pelvis, or `root` when added), i.e. it stays where it is
      for the one-frame pose and is not dragged by a limb.

    Args:
        contacts: measured contacts (used only to break the both-hands choice).
        config: the measured contact configuration (name or enum).

    Raises:
        InputError: unknown configuration name.
    """
    cfg = ContactConfig.parse(config)
    if cfg is ContactConfig.RIGHT_HAND:
        return HAND_JOINT["right_hand"]
    if cfg is ContactConfig.LEFT_HAND:
        return HAND_JOINT["left_hand"]
    if cfg is ContactConfig.BOTH_HANDS:
        area = {part: 0.0 for part in HAND_JOINT}
        for c in contacts:
            if c.part in area:
                area[c.part] += float(c.area_m2)
        part = "left_hand" if area["left_hand"] > area["right_hand"] else "right_hand"
        return HAND_JOINT[part]
    return None


def export_skeleton(body: BodyFit) -> ExportSkeleton:
    """The export skeleton of a fitted body bound in its generated pose (no root joint).

    Args:
        body: the fitted body; its `skeleton.world_transforms` are rigid
            joint-to-world transforms, metres, internal frame.

    Returns:
        `ExportSkeleton` with float64 `bind_world` = the world transforms,
        `rest_local` = their joint-to-parent form (root: joint-to-world) and one
        clip `interaction` holding the same pose. `exporters.rig.build_rig` makes
        the engine rig (floor root, canonical rest pose, approach clip).
    """
    from hoiexport.exporters.rig import INTERACTION_CLIP, to_local

    world = np.asarray(body.skeleton.world_transforms, dtype=np.float64)
    parents = np.asarray(body.skeleton.parents, dtype=np.int32)
    local = to_local(world, parents)
    clip = ExportClip(INTERACTION_CLIP, np.zeros(1, np.float32), local[None].copy())
    return ExportSkeleton(list(body.skeleton.joint_names), parents.copy(), world.copy(), local, [clip])


def add_root_joint(scene: ExportScene) -> ExportScene:
    """A copy of `scene` with a `root` joint (identity, at the origin) above its root.

    The pelvis becomes the child of a `root` bone on the floor origin, in the rest
    pose and in every clip. Joint indices of meshes (`joints`, `rigid_joint`) and
    sockets shift by one; a scene whose first joint is already `root` is returned
    unchanged (scenes from `export.gather` always have it).

    Args:
        scene: the scene, internal frame.

    Returns:
        The scene with J + 1 joints.
    """
    skel = scene.skeleton
    if skel.joint_names and skel.joint_names[0] == ROOT_JOINT:
        return scene
    eye = np.eye(4)[None]
    parents = np.asarray(skel.parents, np.int32)
    clips = [
        dataclasses.replace(c, local=np.concatenate([np.tile(eye, (len(c.local), 1, 1, 1)), c.local], axis=1))
        for c in skel.clips
    ]
    new_skel = dataclasses.replace(
        skel,
        joint_names=[ROOT_JOINT, *skel.joint_names],
        parents=np.concatenate([[-1], np.where(parents < 0, 0, parents + 1)]).astype(np.int32),
        bind_world=np.concatenate([eye, np.asarray(skel.bind_world, np.float64)]),
        # the old root's local transform was joint-to-world = joint-to-identity-root
        rest_local=np.concatenate([eye, np.asarray(skel.rest_local, np.float64)]),
        clips=clips,
    )
    meshes = []
    for m in scene.meshes:
        joints = np.asarray(m.joints).astype(np.int64)
        weights = np.asarray(m.weights)
        shifted = np.where(weights > 0, joints + 1, 0).astype(np.uint16)
        meshes.append(
            dataclasses.replace(
                m, joints=shifted, rigid_joint=None if m.rigid_joint is None else m.rigid_joint + 1
            )
        )
    sockets = [dataclasses.replace(s, joint=s.joint + 1) for s in scene.sockets]
    return dataclasses.replace(scene, skeleton=new_skel, meshes=meshes, sockets=sockets)
