"""Export stage 4b: the rig — a canonical rest pose, the meshes un-posed into it, clips (#16).

A generated asset is posed: the human surface, the object and the contacts are in the
interaction pose. Engines retarget from a known rest pose, so the export binds the
meshes in a canonical one and carries the interaction as animation:

- `rest_skeleton`: the rest pose of the generated skeleton. Bone offsets come from
  the generated joints themselves (SMPL kinematics: a joint's offset in its parent's
  frame does not change with pose), every joint frame is aligned with the world axes
  (the zero pose), then the upper arms are rotated to the canonical angle below
  horizontal (`REST_POSES`: A = 45°, T = 0°) whatever the body model's own zero pose
  is. A floor `root` joint at the origin carries the pelvis, which stands so the
  un-posed human touches the floor (y = 0). `interaction` keeps the generated pose
  as the rest pose (bind = pose, no un-posing).
- `unpose`: the human's vertices by inverse linear blend skinning with its own
  exported weights, v_rest = (Σ w_j G_j B_j⁻¹)⁻¹ v_posed; re-posing with the same
  weights gives the generated surface back (float32 round trip measured in
  `RigStats`). The object either rides its contact joint rigidly (v_rest =
  B_k G_k⁻¹ v) or stays static on the root. Sockets move like the object.
- clips: `interaction` (one key: the generated pose) and optionally `approach`
  (rest → interaction in `approach_s` with a smooth step, slerped rotations, then
  held for `hold_s` with the contacts in place).

Frames: internal (+Y up, metres, character faces +Z); transforms are (4, 4)
column-vector float64.

Example::

    rig = build_rig(skeleton_world, parents, names, RigOptions(rest_pose="a"))
    rest = unpose_points(posed, joints, weights, rig.skinning)  # (N, 3) metres
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from hoiexport.exporters.scene import ExportClip, ExportMesh, ExportScene, ExportSkeleton
from hoiexport.exporters.skeletons import RIG_ROOT
from hoiexport.sdk.core.errors import ExportError, InputError

if TYPE_CHECKING:
    from hoiexport.sdk.core.types import BodyFit, HOIAsset

RestPoseName = Literal["a", "t", "interaction"]

INTERACTION_CLIP = "interaction"
"""Name of the one-key clip holding the generated pose."""

APPROACH_CLIP = "approach"
"""Name of the clip that moves from the rest pose into the interaction."""

ARM_CHAINS: dict[str, tuple[tuple[str, ...], float]] = {
    "left": (("left_shoulder", "left_elbow", "left_wrist", "left_hand"), 1.0),
    "right": (("right_shoulder", "right_elbow", "right_wrist", "right_hand"), -1.0),
}
"""Side → (shoulder, elbow, wrist, knuckles joints; side sign along +X: the character's
left is +X). Each joint of the chain is aimed so the arm is straight along the rest
pose's arm direction."""


@dataclass(frozen=True)
class RestPose:
    """A canonical rest pose.

    Attributes:
        name: "a" or "t".
        arm_deg: angle of each upper arm below horizontal, degrees, in the
            character's frontal plane (XY).
    """

    name: str
    arm_deg: float

    def arm_direction(self, side: float) -> np.ndarray:
        """(3,) unit direction of the upper arm on `side` (+1 left / +X, −1 right)."""
        a = np.radians(self.arm_deg)
        return np.array([side * np.cos(a), -np.sin(a), 0.0])


REST_POSES: dict[str, RestPose | None] = {
    "a": RestPose("a", 45.0),
    "t": RestPose("t", 0.0),
    "interaction": None,
}
"""`--rest-pose` name → its canonical pose (None: bind in the generated pose)."""


@dataclass(frozen=True)
class RigOptions:
    """How the export skeleton is rested, named and animated.

    Attributes:
        rest_pose: "a" (default), "t" or "interaction" (bind in the generated pose).
        skeleton: joint naming preset (`skeletons.SKELETON_PRESETS`) or "auto"
            (from the engine target: unreal → ue5, unity → unity-humanoid, else smpl).
        approach: add the `approach` clip (rest → interaction); ignored for
            rest_pose "interaction".
        approach_s: seconds the approach takes.
        hold_s: seconds the interaction is held at the end of the approach.
        fps: keys per second of the approach clip.
        measure: also measure how un-posing moves the human off the body
            (`measure_body_gap`; two signed-distance queries, ~0.5 s).
    """

    rest_pose: str = "a"
    skeleton: str = "auto"
    approach: bool = True
    approach_s: float = 1.0
    hold_s: float = 0.25
    fps: int = 30
    measure: bool = False

    def __post_init__(self) -> None:
        from hoiexport.exporters.skeletons import SKELETON_PRESETS

        if self.rest_pose not in REST_POSES:
            raise InputError(f"rest pose must be one of {', '.join(REST_POSES)}, got {self.rest_pose!r}")
        if self.skeleton != "auto" and self.skeleton not in SKELETON_PRESETS:
            raise InputError(
                f"skeleton preset must be auto or one of {', '.join(SKELETON_PRESETS)}, got {self.skeleton!r}"
            )
        if not (np.isfinite(self.approach_s) and 0.1 <= self.approach_s <= 60.0):
            raise InputError(f"approach_s must be in [0.1, 60] seconds, got {self.approach_s!r}")
        if not (np.isfinite(self.hold_s) and 0.0 <= self.hold_s <= 60.0):
            raise InputError(f"hold_s must be in [0, 60] seconds, got {self.hold_s!r}")
        if not (isinstance(self.fps, int) and 1 <= self.fps <= 240):
            raise InputError(f"fps must be an integer in [1, 240], got {self.fps!r}")


@dataclass
class Rig:
    """The rested skeleton and what moves points from the generated pose into it.

    Attributes:
        skeleton: export skeleton (root + SMPL-24, internal names) with rest pose and clips.
        generated_world: (J, 4, 4) float64 joint-to-world transforms of the
            generated pose (root = identity), the `interaction` clip chained.
        skinning: (J, 4, 4) float64 G_j B_j⁻¹: bind (rest) space → generated pose.
    """

    skeleton: ExportSkeleton
    generated_world: np.ndarray
    skinning: np.ndarray

    def to_rest(self, joint: int) -> np.ndarray:
        """(4, 4) float64 map of a point rigidly on `joint` from the generated pose to rest."""
        return np.linalg.inv(self.skinning[joint])


@dataclass
class RigStats:
    """Measured artefacts of un-posing (metres).

    Attributes:
        rest_pose: the rest pose name.
        roundtrip_max_m / roundtrip_p99_m: |re-posed − generated| over the human's
            vertices, re-posing the float32 rest vertices with float32 matrices (what a
            reader computes).
        body_gap_change_max_m / body_gap_change_p99_m: change of each human vertex's
            signed distance to the body surface between the generated pose and the
            rest pose (the body un-posed with its own full weights): how far un-posing
            with the mesh's top-4 weights moves the surface off the body.
        penetration_introduced: human vertices more than 5 mm inside the rest-pose
            body that were not inside the posed body.
    """

    rest_pose: str
    roundtrip_max_m: float = 0.0
    roundtrip_p99_m: float = 0.0
    body_gap_change_max_m: float = 0.0
    body_gap_change_p99_m: float = 0.0
    penetration_introduced: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, float | int | str]:
        return {
            "rest_pose": self.rest_pose,
            "roundtrip_max_m": self.roundtrip_max_m,
            "roundtrip_p99_m": self.roundtrip_p99_m,
            "body_gap_change_max_m": self.body_gap_change_max_m,
            "body_gap_change_p99_m": self.body_gap_change_p99_m,
            "penetration_introduced": self.penetration_introduced,
            **self.extra,
        }


# ---------------------------------------------------------------------------
# Transforms.


def chain(local: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """(..., J, 4, 4) world transforms from joint-to-parent ones (parents first)."""
    local = np.asarray(local, np.float64)
    world = np.empty_like(local)
    for j, p in enumerate(np.asarray(parents)):
        world[..., j, :, :] = local[..., j, :, :] if p < 0 else world[..., p, :, :] @ local[..., j, :, :]
    return world


def to_local(world: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """(J, 4, 4) joint-to-parent transforms of rigid world ones (root: itself)."""
    world = np.asarray(world, np.float64)
    inv = np.linalg.inv(world)
    local = world.copy()
    for j, p in enumerate(np.asarray(parents)):
        if p >= 0:
            local[j] = inv[p] @ world[j]
    local[:, 3, :] = (0.0, 0.0, 0.0, 1.0)
    return local


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(3, 3) smallest rotation taking direction `a` onto direction `b`."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    axis = np.cross(a, b)
    s, c = np.linalg.norm(axis), float(a @ b)
    if s < 1e-12:
        if c > 0:
            return np.eye(3)
        perp = np.cross(a, [0.0, 0.0, 1.0] if abs(a[2]) < 0.9 else [1.0, 0.0, 0.0])
        return Rotation.from_rotvec(np.pi * perp / np.linalg.norm(perp)).as_matrix()
    return Rotation.from_rotvec(axis / s * np.arctan2(s, c)).as_matrix()


def with_root(names: list[str], parents: np.ndarray, world: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Prepend the floor root joint (identity) above the skeleton's root."""
    if names and names[0] == RIG_ROOT:
        return list(names), np.asarray(parents, np.int32), np.asarray(world, np.float64)
    p = np.asarray(parents, np.int32)
    return (
        [RIG_ROOT, *names],
        np.concatenate([[-1], np.where(p < 0, 0, p + 1)]).astype(np.int32),
        np.concatenate([np.eye(4)[None], np.asarray(world, np.float64)]),
    )


def canonical_rest_local(
    names: list[str], parents: np.ndarray, generated_world: np.ndarray, pose: RestPose
) -> np.ndarray:
    """Joint-to-parent transforms of the canonical rest pose, pelvis at its generated height.

    Offsets are the generated skeleton's bone offsets in their parents' frames; every
    joint frame is world-aligned (zero pose); then each arm is straightened along
    `pose.arm_direction`: shoulder, elbow and wrist are aimed in turn so the upper
    arm, the forearm and the hand (wrist → knuckles) all point that way (a body
    model whose zero pose bends the elbows still rests with straight arms). The pelvis sits
    above the root's origin (x = z = 0) at the generated pelvis height; `build_rig`'s
    `lift_m` moves it afterwards.

    Args:
        names: J joint names (root + SMPL-24).
        parents: (J,) parents.
        generated_world: (J, 4, 4) generated world transforms, rigid.
        pose: the canonical pose.

    Returns:
        (J, 4, 4) float64 rest joint-to-parent transforms.
    """
    gen_local = to_local(generated_world, parents)
    rest = np.tile(np.eye(4), (len(names), 1, 1))
    rest[:, :3, 3] = gen_local[:, :3, 3]
    index = {n: i for i, n in enumerate(names)}
    pelvis = index.get("pelvis")
    if pelvis is None:
        raise ExportError("the export skeleton has no pelvis joint; rest poses need the SMPL-24 skeleton")
    rest[pelvis, :3, 3] = (0.0, float(generated_world[pelvis, 1, 3]), 0.0)
    for chain_names, side in ARM_CHAINS.values():
        if not all(n in index for n in chain_names):
            continue
        target = pose.arm_direction(side)
        for start, end in zip(chain_names[:-1], chain_names[1:], strict=True):
            _aim(rest, parents, index[start], index[end], target)
    return rest


def _aim(rest: np.ndarray, parents: np.ndarray, joint: int, child: int, target: np.ndarray) -> None:
    """Rotate `joint` in place (its local rotation in `rest`) by the smallest world
    rotation that points the bone joint → child along `target`."""
    world = chain(rest, parents)
    current = world[child, :3, 3] - world[joint, :3, 3]
    if np.linalg.norm(current) < 1e-6:
        return
    turn = _rotation_between(current, target)
    parent = parents[joint]
    parent_rot = world[parent, :3, :3] if parent >= 0 else np.eye(3)
    rest[joint, :3, :3] = parent_rot.T @ turn @ world[joint, :3, :3]


def build_rig(
    names: list[str], parents: np.ndarray, generated_world: np.ndarray, opts: RigOptions, lift_m: float = 0.0
) -> Rig:
    """The rested skeleton of a generated one, with its clips.

    Args:
        names: SMPL-24 joint names (the root is added here).
        parents: (J,) parents, -1 for the pelvis.
        generated_world: (J, 4, 4) rigid joint-to-world transforms of the generated
            pose, metres, internal frame.
        opts: rest pose and clip options.
        lift_m: metres the rest pelvis is raised (to ground the un-posed surface:
            every rest point moves up by exactly this); ignored for rest pose
            "interaction".

    Returns:
        A `Rig` whose skeleton has the root joint, the rest pose and the clips.
    """
    names, parents, world = with_root(names, parents, generated_world)
    gen_local = to_local(world, parents)
    pose = REST_POSES[opts.rest_pose]
    if pose is None:
        rest_local = gen_local.copy()
    else:
        rest_local = canonical_rest_local(names, parents, world, pose)
        rest_local[names.index("pelvis"), 1, 3] += lift_m
    bind = chain(rest_local, parents)
    clips = [ExportClip(INTERACTION_CLIP, np.zeros(1, np.float32), gen_local[None])]
    if opts.approach and pose is not None:
        clips.append(approach_clip(rest_local, gen_local, opts))
    skeleton = ExportSkeleton(list(names), parents, bind, rest_local, clips, opts.rest_pose)
    return Rig(skeleton, world, world @ np.linalg.inv(bind))


def approach_clip(rest_local: np.ndarray, gen_local: np.ndarray, opts: RigOptions) -> ExportClip:
    """The `approach` clip: rest → interaction over `approach_s`, then held `hold_s`.

    Rotations are slerped and translations interpolated per joint along a smooth
    step s(t) = 3u² − 2u³ (zero velocity at both ends); the last keys are the
    interaction pose exactly.

    Returns:
        `ExportClip` with T = round(approach_s · fps) + 1 (+ 1 hold key when hold_s > 0).
    """
    moves = int(round(opts.approach_s * opts.fps))
    u = np.linspace(0.0, 1.0, moves + 1)
    s = 3 * u**2 - 2 * u**3
    times = u * opts.approach_s
    if opts.hold_s > 0:
        times = np.append(times, opts.approach_s + opts.hold_s)
        s = np.append(s, 1.0)
    j = len(rest_local)
    local = np.tile(np.eye(4), (len(s), j, 1, 1))
    for k in range(j):
        rots = Rotation.from_matrix(np.stack([rest_local[k, :3, :3], gen_local[k, :3, :3]]))
        local[:, k, :3, :3] = Slerp([0.0, 1.0], rots)(s).as_matrix()
        local[:, k, :3, 3] = (1 - s)[:, None] * rest_local[k, :3, 3] + s[:, None] * gen_local[k, :3, 3]
    local[-1] = gen_local
    if opts.hold_s > 0:
        local[-2] = gen_local
    return ExportClip(APPROACH_CLIP, times.astype(np.float32), local)


# ---------------------------------------------------------------------------
# Points.


def blend_matrices(joints: np.ndarray, weights: np.ndarray, skinning: np.ndarray) -> np.ndarray:
    """(N, 4, 4) per-vertex blended skinning matrices Σ_k w_k S_{j_k}.

    Args:
        joints: (N, K) joint indices.
        weights: (N, K) weights, rows summing to 1.
        skinning: (J, 4, 4) per-joint skinning matrices.
    """
    w = np.asarray(weights, np.float64)
    return np.einsum("nk,nkab->nab", w, np.asarray(skinning, np.float64)[np.asarray(joints, np.int64)])


def pose_points(points: np.ndarray, joints: np.ndarray, weights: np.ndarray, skinning: np.ndarray) -> np.ndarray:
    """(N, 3) float64 linear-blend-skinned positions of rest `points` (N, 3)."""
    m = blend_matrices(joints, weights, skinning)
    p = np.asarray(points, np.float64)
    return np.einsum("nab,nb->na", m[:, :3, :3], p) + m[:, :3, 3]


def unpose_points(
    points: np.ndarray, joints: np.ndarray, weights: np.ndarray, skinning: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Inverse linear blend skinning: generated-pose points back to the rest pose.

    Args:
        points: (N, 3) posed positions, metres.
        joints / weights: (N, K) influences (rows sum to 1).
        skinning: (J, 4, 4) G_j B_j⁻¹ (rest → generated).

    Returns:
        (N, 3) float64 rest positions, and the (N, 3, 3) float64 blended linear
        parts (for normals: n_rest ∝ Mᵀ n_posed).

    Raises:
        ExportError: a blended matrix is singular (opposite rotations blended).
    """
    m = blend_matrices(joints, weights, skinning)
    lin = m[:, :3, :3]
    det = np.linalg.det(lin)
    if len(det) and np.abs(det).min() < 1e-6:
        bad = int(np.argmin(np.abs(det)))
        raise ExportError(
            f"vertex {bad} cannot be un-posed: its blended joint rotations cancel (det {det[bad]:.2g}); "
            "export with --rest-pose interaction"
        )
    rest = np.linalg.solve(lin, (np.asarray(points, np.float64) - m[:, :3, 3])[..., None])[..., 0]
    return rest, lin


def unpose_normals(normals: np.ndarray, linear: np.ndarray) -> np.ndarray:
    """(N, 3) float32 unit rest normals of posed `normals` under blended `linear` parts."""
    n = np.einsum("nba,nb->na", linear, np.asarray(normals, np.float64))
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.where(length > 1e-12, n / np.maximum(length, 1e-12), np.array([0.0, 1.0, 0.0])).astype(np.float32)


def rigid_to_rest(points: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """(N, 3) float64 points moved by a (4, 4) transform."""
    p = np.asarray(points, np.float64)
    t = np.asarray(transform, np.float64)
    return p @ t[:3, :3].T + t[:3, 3]


def roundtrip_error(
    rest: np.ndarray, posed: np.ndarray, joints: np.ndarray, weights: np.ndarray, skeleton: ExportSkeleton
) -> np.ndarray:
    """(N,) float64 |re-posed − posed| metres when a reader skins the float32 rest
    vertices with the float32 inverse bind matrices and the interaction clip."""
    ibm = np.linalg.inv(skeleton.bind_world).astype(np.float32).astype(np.float64)
    world = chain(skeleton.clip(INTERACTION_CLIP).local[0].astype(np.float32).astype(np.float64), skeleton.parents)
    again = pose_points(np.asarray(rest, np.float32), joints, np.asarray(weights, np.float32), world @ ibm)
    return np.linalg.norm(again - np.asarray(posed, np.float64), axis=1)


# ---------------------------------------------------------------------------
# The scene.


@dataclass
class RiggedScene:
    """What `rig_scene` returns.

    Attributes:
        scene: the scene bound in the rest pose (internal joint names).
        stats: measured un-posing artefacts.
        object_joint: internal name of the joint carrying the object (`root` when static).
    """

    scene: ExportScene
    stats: RigStats
    object_joint: str


def rig_scene(
    asset: HOIAsset,
    human: ExportMesh,
    obj: ExportMesh,
    opts: RigOptions,
    name: str,
    metadata: dict[str, Any],
) -> RiggedScene:
    """Bind the generated meshes in the rest pose and assemble the `ExportScene`.

    Args:
        asset: the interaction (body, contacts, configuration).
        human: the human mesh in the generated pose, skinned on the SMPL-24 joints
            of `asset.body` (indices without the root).
        obj: the object mesh in the generated pose (its binding is replaced).
        opts: rig options.
        name: scene name.
        metadata: the `hoi` metadata block; a "rig" and a "body" entry are added.

    Returns:
        The rested scene (root + SMPL-24, internal names), its un-posing stats and
        the object's joint.

    Raises:
        ExportError: a vertex cannot be un-posed.
    """
    from hoiexport.exporters.skin import choose_object_joint, export_skeleton, rigid_binding
    from hoiexport.exporters.sockets import make_sockets

    gen = export_skeleton(asset.body)
    rig = build_rig(gen.joint_names, gen.parents, gen.bind_world, opts)
    weights = np.asarray(human.weights, np.float32)
    joints = np.where(weights > 0, np.asarray(human.joints, np.int64) + 1, 0)
    posed = np.asarray(human.vertices, np.float64)
    rest, linear = unpose_points(posed, joints, weights, rig.skinning)
    if opts.rest_pose != "interaction" and len(rest):
        lift = -float(rest[:, 1].min())
        rig = build_rig(gen.joint_names, gen.parents, gen.bind_world, opts, lift_m=lift)
        rest[:, 1] += lift
    skel = rig.skeleton
    object_joint = choose_object_joint(asset.contacts, asset.contact_config) or RIG_ROOT
    k = skel.joint_names.index(object_joint)
    to_rest = rig.to_rest(k)
    obj_binding = rigid_binding(len(obj.vertices), k)
    rested_object = dataclasses.replace(
        obj,
        vertices=rigid_to_rest(obj.vertices, to_rest).astype(np.float32),
        normals=(np.asarray(obj.normals, np.float64) @ to_rest[:3, :3].T).astype(np.float32),
        joints=obj_binding.joints,
        weights=obj_binding.weights,
        rigid_joint=k,
    )
    rested_human = dataclasses.replace(
        human,
        vertices=rest.astype(np.float32),
        normals=unpose_normals(human.normals, linear),
        joints=joints.astype(np.uint16),
    )
    sockets = [
        dataclasses.replace(s, world=rig.to_rest(s.joint) @ np.asarray(s.world, np.float64))
        for s in make_sockets(asset.contacts, skel)
    ]
    error = roundtrip_error(rest, posed, joints, weights, skel)
    stats = RigStats(
        opts.rest_pose,
        roundtrip_max_m=float(error.max(initial=0.0)),
        roundtrip_p99_m=float(np.percentile(error, 99)) if len(error) else 0.0,
    )
    if opts.measure:
        measure_body_gap(asset.body, rig, posed, rest, stats)
    params = asset.body.params
    meta = {
        **metadata,
        "body": {
            "model": asset.body.model,
            "shape": params.get("shape", {}),
            "scale": float(params.get("scale", 1.0)),
        },
        "rig": {
            "rest_pose": opts.rest_pose,
            "clips": [c.name for c in skel.clips],
            "object_joint": object_joint,
            "unpose": stats.to_json(),
        },
    }
    scene = ExportScene(name, skel, [rested_human, rested_object], sockets, meta)
    return RiggedScene(scene, stats, object_joint)


def measure_body_gap(body: BodyFit, rig: Rig, posed: np.ndarray, rest: np.ndarray, stats: RigStats) -> None:
    """Fill `stats`' body-gap fields: how un-posing moved the human off the body.

    The body is un-posed with its own full (V, 24) weights (the exact inverse of
    its linear blend skinning); each human vertex's signed distance to the body is
    compared before (generated pose) and after (rest pose).

    Args:
        body: the fitted body in the generated pose.
        rig: the rig (root + SMPL-24).
        posed: (N, 3) human vertices in the generated pose, metres.
        rest: (N, 3) the same vertices un-posed.
        stats: updated in place.
    """
    from hoiexport.sdk.core.types import Mesh
    from hoiexport.sdk.geometry.surface import SurfaceQuery

    w = np.asarray(body.skin_weights, np.float64)
    dense_joints = np.broadcast_to(np.arange(1, w.shape[1] + 1), w.shape)
    body_rest, _ = unpose_points(np.asarray(body.mesh.vertices, np.float64), dense_joints, w, rig.skinning)
    before = SurfaceQuery(body.mesh).signed_distance(posed)
    after = SurfaceQuery(Mesh(body_rest.astype(np.float32), body.mesh.faces, name="body_rest")).signed_distance(rest)
    change = np.abs(after - before)
    stats.body_gap_change_max_m = float(change.max(initial=0.0))
    stats.body_gap_change_p99_m = float(np.percentile(change, 99)) if len(change) else 0.0
    inside = -0.005
    stats.penetration_introduced = int(((after < inside) & (before >= inside)).sum())
