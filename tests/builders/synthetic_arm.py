"""A small synthetic posed body for the skin / glTF tests: a closed tube (an arm)
along right_shoulder → right_elbow → right_wrist → right_hand, embedded in the
SMPL-24 skeleton, skinned with smooth weights on up to 5 joints and posed by real
linear blend skinning with a non-trivial pose.

Internal frame: +Y up, metres, character faces +Z, +X is the character's left, so
the right arm points along −X in the rest (T) pose.
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from hoiexport.sdk.core.skeleton import JOINT_INDEX, SMPL_JOINT_NAMES, SMPL_PARENTS
from hoiexport.sdk.core.types import BODY_PARTS, BodyFit, Mesh, Skeleton

# Rest offsets of each joint from its parent (metres), roughly SMPL's T-pose.
REST_OFFSETS = np.array(
    [
        [0.0, 0.95, 0.0],  # pelvis (from the origin)
        [0.06, -0.09, 0.0],  # left_hip
        [-0.06, -0.09, 0.0],  # right_hip
        [0.0, 0.11, -0.02],  # spine1
        [0.04, -0.38, 0.0],  # left_knee
        [-0.04, -0.38, 0.0],  # right_knee
        [0.0, 0.13, 0.0],  # spine2
        [-0.01, -0.40, -0.03],  # left_ankle
        [0.01, -0.40, -0.03],  # right_ankle
        [0.0, 0.05, 0.02],  # spine3
        [0.02, -0.05, 0.12],  # left_foot
        [-0.02, -0.05, 0.12],  # right_foot
        [0.0, 0.22, -0.02],  # neck
        [0.08, 0.12, 0.0],  # left_collar
        [-0.08, 0.12, 0.0],  # right_collar
        [0.0, 0.09, 0.05],  # head
        [0.10, 0.03, 0.0],  # left_shoulder
        [-0.10, 0.03, 0.0],  # right_shoulder
        [0.26, 0.0, 0.0],  # left_elbow
        [-0.26, 0.0, 0.0],  # right_elbow
        [0.25, 0.0, 0.0],  # left_wrist
        [-0.25, 0.0, 0.0],  # right_wrist
        [0.08, 0.0, 0.0],  # left_hand
        [-0.08, 0.0, 0.0],  # right_hand
    ]
)

ARM_JOINTS = ("right_collar", "right_shoulder", "right_elbow", "right_wrist", "right_hand")
"""Joints whose weights the tube carries (the 3-joint chain plus its neighbours)."""


def rest_positions() -> np.ndarray:
    """(24, 3) float64 rest (T-pose) joint positions, metres."""
    pos = np.zeros((24, 3))
    for j, p in enumerate(SMPL_PARENTS):
        pos[j] = REST_OFFSETS[j] + (pos[p] if p >= 0 else 0.0)
    return pos


def posed_world(pose: np.ndarray) -> np.ndarray:
    """(24, 4, 4) float64 joint-to-world transforms for an axis-angle pose (24, 3)."""
    world = np.zeros((24, 4, 4))
    for j, p in enumerate(SMPL_PARENTS):
        local = np.eye(4)
        local[:3, :3] = Rotation.from_rotvec(pose[j]).as_matrix()
        local[:3, 3] = REST_OFFSETS[j]
        world[j] = local if p < 0 else world[p] @ local
    return world


def tube(start: np.ndarray, end: np.ndarray, radius: float, rings: int, segments: int) -> trimesh.Trimesh:
    """A closed tube (with flat caps) from `start` to `end`, outward normals."""
    axis = end - start
    length = np.linalg.norm(axis)
    a = axis / length
    ref = np.array([0.0, 1.0, 0.0]) if abs(a[1]) < 0.9 else np.array([0.0, 0.0, 1.0])
    u = np.cross(a, ref)
    u /= np.linalg.norm(u)
    v = np.cross(a, u)
    theta = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    s = np.linspace(0, 1, rings)
    ring = radius * (np.cos(theta)[:, None] * u + np.sin(theta)[:, None] * v)
    verts = (start + s[:, None, None] * axis + ring[None]).reshape(-1, 3)
    faces = []
    for r in range(rings - 1):
        for k in range(segments):
            a0, a1 = r * segments + k, r * segments + (k + 1) % segments
            b0, b1 = a0 + segments, a1 + segments
            faces += [[a0, a1, b1], [a0, b1, b0]]
    c0, c1 = len(verts), len(verts) + 1
    last = (rings - 1) * segments
    for k in range(segments):
        faces.append([c0, (k + 1) % segments, k])
        faces.append([c1, last + k, last + (k + 1) % segments])
    verts = np.vstack([verts, start, end])
    mesh = trimesh.Trimesh(verts, np.asarray(faces), process=False)
    if mesh.volume < 0:
        mesh.invert()
    return mesh


def arm_weights(rest_vertices: np.ndarray, sigma: float = 0.15) -> np.ndarray:
    """(V, 24) float64 smooth weights: Gaussians of the distance along the arm to each
    of `ARM_JOINTS`, cut below 1e-3 and normalised (up to 5 influences)."""
    rest = rest_positions()
    w = np.zeros((len(rest_vertices), 24))
    for name in ARM_JOINTS:
        j = JOINT_INDEX[name]
        w[:, j] = np.exp(-0.5 * ((rest_vertices[:, 0] - rest[j, 0]) / sigma) ** 2)
    w /= w.sum(axis=1, keepdims=True)
    w[w < 1e-3] = 0.0
    return w / w.sum(axis=1, keepdims=True)


def skin(rest_vertices: np.ndarray, weights: np.ndarray, world: np.ndarray) -> np.ndarray:
    """Linear blend skinning from the rest pose (joint frames = identity rotations)."""
    rest_world = np.tile(np.eye(4), (24, 1, 1))
    rest_world[:, :3, 3] = rest_positions()
    mats = world @ np.linalg.inv(rest_world)  # (24, 4, 4)
    blended = np.einsum("vj,jab->vab", weights, mats)
    return np.einsum("vab,vb->va", blended[:, :3, :3], rest_vertices) + blended[:, :3, 3]


def arm_pose(seed: int = 0) -> np.ndarray:
    """(24, 3) a non-trivial axis-angle pose: random joint bends, turned and bent arm."""
    rng = np.random.default_rng(seed)
    pose = rng.normal(0.0, 0.15, (24, 3))
    pose[0] = [0.1, 0.6, -0.05]  # global orientation: turned ~34° about +Y
    pose[JOINT_INDEX["right_shoulder"]] = [0.2, -0.3, 0.5]
    pose[JOINT_INDEX["right_elbow"]] = [0.0, -1.1, 0.1]
    pose[JOINT_INDEX["right_wrist"]] = [0.3, 0.2, -0.4]
    return pose


def make_arm_body(seed: int = 0, rings: int = 40, segments: int = 20) -> BodyFit:
    """A `BodyFit` whose surface is the posed tube; skin weights (V, 24), part right_arm."""
    rest = rest_positions()
    start = rest[JOINT_INDEX["right_shoulder"]] + [0.02, 0.0, 0.0]
    end = rest[JOINT_INDEX["right_hand"]] + [-0.04, 0.0, 0.0]
    mesh = tube(start, end, 0.045, rings, segments)
    rest_vertices = np.asarray(mesh.vertices)
    weights = arm_weights(rest_vertices)
    pose = arm_pose(seed)
    world = posed_world(pose)
    posed = skin(rest_vertices, weights, world)
    posed_mesh = trimesh.Trimesh(posed, mesh.faces, process=False)
    body_mesh = Mesh(
        vertices=posed,
        faces=mesh.faces,
        normals=np.asarray(posed_mesh.vertex_normals),
        name="body",
    )
    skeleton = Skeleton(list(SMPL_JOINT_NAMES), SMPL_PARENTS.copy(), world)
    labels = np.full(len(posed), BODY_PARTS.index("right_arm"), np.int8)
    return BodyFit(
        model="test",
        params={"pose": pose.tolist()},
        skeleton=skeleton,
        mesh=body_mesh,
        skin_weights=weights.astype(np.float32),
        part_labels=labels,
    )
