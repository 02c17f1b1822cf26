"""The Anny body (PyPI `anny`, CC0/Apache assets) posed through the 24 SMPL joints.

Anny's 104-bone rig is mapped onto SMPL-24 by summing each bone's skin weights
into one SMPL joint (`smpl_joint_of_anny_bone`), so posing the 24 joints equals
posing Anny with every bone moving rigidly with its SMPL joint (LBS is linear in
the weights). The mesh keeps Anny's topology (13,718 vertices, 27,420 triangles)
and its per-corner UVs (`corner_uv`, `face_uv_indices`, `uv_mesh`).

Frames: Anny is Z up, the character faces -Y, its left is +X, metres. It is
converted once, here, by `ANNY_TO_INTERNAL` to the internal frame (+Y up, faces
+Z, left +X, metres). The rest pose is Anny's A-pose with the pelvis near the
origin (feet at y ≈ -0.8 m for the default phenotype); it is not re-centred.

Fingers: the SMPL-24 skeleton has no finger joints (each hand's 15 finger bones
move rigidly with its `*_hand` joint). `forward_fingers` poses them anyway, one
rotation per finger bone (`FINGER_BONES`) on top of the SMPL-24 pose, so a grasp
can be baked into the posed surface (`hoiexport.sdk.bodies.grasp`).

Shape: Anny phenotypes `PHENOTYPES`, floats in [0, 1], default 0.5 each. Age
anchors are newborn -1/3, baby 0, child 1/3, young adult 2/3, old 1 (so 0.5 is an
adolescent); gender 0 = male, 1 = female.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from hoiexport.sdk.bodies.parts import part_labels_from_weights
from hoiexport.sdk.bodies.protocol import BodyOutput, BodyParams
from hoiexport.sdk.bodies.shape_space import ShapeSpaceBase
from hoiexport.sdk.bodies.skinning import (
    as_pose,
    axis_angle_to_matrix,
    evaluate_fit,
    place,
    pose_skeleton,
    skin_vertices,
    vertex_normals,
)
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.core.skeleton import JOINT_INDEX, SMPL_JOINT_NAMES, SMPL_PARENTS
from hoiexport.sdk.core.types import BodyFit, Mesh

if TYPE_CHECKING:
    import anny

ANNY_TO_INTERNAL: np.ndarray = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
"""(3, 3) rotation from Anny's frame (Z up, faces -Y) to the internal frame (Y up,
faces +Z): p_internal = ANNY_TO_INTERNAL @ p_anny (x stays, y = z_anny, z = -y_anny)."""

PHENOTYPES: tuple[str, ...] = ("gender", "age", "muscle", "weight", "height", "proportions")
"""Anny phenotype names accepted in `BodyParams.shape` (floats in [0, 1])."""
DEFAULT_PHENOTYPE_VALUE = 0.5

_FACE_BONE_STEMS = frozenset(
    {"head", "eye", "jaw", "tongue", "levator", "oris", "orbicularis", "special", "temporalis", "oculi", "risorius"}
)
_SIDED_STEMS = {  # bone stem (letters before any digit) → SMPL joint without the side prefix
    "upperleg": "hip",
    "lowerleg": "knee",
    "foot": "ankle",
    "toe": "foot",
    "clavicle": "collar",
    "shoulder": "collar",
    "upperarm": "shoulder",
    "lowerarm": "elbow",
    "wrist": "wrist",
    "metacarpal": "wrist",
    "finger": "hand",
}
FINGERS: tuple[str, ...] = ("thumb", "index", "middle", "ring", "little")
"""The five fingers, in Anny's numbering order (finger1 = thumb ... finger5 = little)."""
FINGER_JOINTS: dict[str, tuple[str, str, str]] = {
    "thumb": ("cmc", "mcp", "ip"),
    **{f: ("mcp", "pip", "dip") for f in FINGERS[1:]},
}
"""Each finger's three joints, proximal to distal: the head of its Anny bones
finger<i>-1, -2, -3 (thumb: carpometacarpal, metacarpophalangeal, interphalangeal;
fingers: metacarpophalangeal, proximal and distal interphalangeal)."""
HANDS: tuple[str, ...] = ("right", "left")
"""The hands, in the order of `FINGER_BONES`' halves."""
FINGER_BONES: tuple[str, ...] = tuple(
    f"finger{i}-{k}{s}" for s in (".R", ".L") for i in range(1, 6) for k in range(1, 4)
)
"""The 30 Anny finger bones posed by `AnnyBody.forward_fingers`: the right hand's
15 then the left hand's, finger by finger (thumb first), proximal to distal."""
FINGER_BONE_PARENTS: np.ndarray = np.array(
    [-1 if k == 0 else 3 * f + k - 1 for f in range(10) for k in range(3)], dtype=np.int64
)
"""(30,) int64 parent of each `FINGER_BONES` entry within `FINGER_BONES` (-1: the
finger's first bone, carried by its SMPL joint)."""
ThumbBase = Literal["hand", "wrist"]
"""What carries a thumb in `forward_fingers`: "hand" (its SMPL joint, as in
`forward`: the thumb turns with the knuckle joint) or "wrist" (the palm's bone,
as the thumb's metacarpal is: curling the `*_hand` joint leaves the thumb)."""
_THUMB_BASE_JOINT: dict[str, str] = {"hand": "hand", "wrist": "wrist"}
"""`ThumbBase` → SMPL joint name without the side prefix."""

_REST_CACHE_SIZE = 8
"""Rest shapes (without gradient) each `AnnyBody` remembers."""

PHENOTYPE_STEP = 0.02
"""A small change of one phenotype value (finite differences)."""


@dataclass(frozen=True, eq=False)
class PhenotypeSpace(ShapeSpaceBase):
    """Anny's shape space: the `PHENOTYPES` in order, each in [0, 1], default 0.5;
    the shape dict holds one float per phenotype (`{"height": 0.7, ...}`).

    Attributes:
        phenotype: `AnnyBody.phenotype` (validates a shape dict, fills defaults).
    """

    phenotype: Callable[[dict[str, Any] | None], dict[str, float]] = field(repr=False, kw_only=True)

    def vector(self, shape: Mapping[str, Any] | None) -> np.ndarray:
        """(6,) float64 phenotype values of a shape dict (defaults 0.5).

        Raises:
            InputError: unknown names or values outside [0, 1].
        """
        values = self.phenotype(dict(shape) if shape is not None else None)
        return np.array([values[n] for n in self.names], dtype=np.float64)

    def shape_dict(self, values: torch.Tensor) -> dict[str, Any]:
        """{phenotype: (B,) tensor} of (6,) or (B, 6) values (B = 1 for (6,))."""
        batch = values.reshape(-1, self.size)
        return {n: batch[:, i] for i, n in enumerate(self.names)}

    def to_json(self, values: np.ndarray) -> dict[str, Any]:
        """{phenotype: float} of (6,) values."""
        return {n: float(values[i]) for i, n in enumerate(self.names)}


_SPINE = {"spine05": "pelvis", "spine04": "spine1", "spine03": "spine1", "spine02": "spine2", "spine01": "spine3"}


def smpl_joint_of_anny_bone(label: str) -> str:
    """The SMPL-24 joint an Anny bone's skin weights are added to.

    pelvis ← root, pelvis.L/R, spine05; spine1 ← spine04, spine03; spine2 ← spine02;
    spine3 ← spine01 (and breast bones, absent from the default rig); neck ← neck01-03;
    head ← head, eyes and every face bone (jaw, tongue, ...); hip ← upperleg01/02;
    knee ← lowerleg01/02; ankle ← foot; foot ← toes; collar ← clavicle, shoulder01;
    shoulder ← upperarm01/02; elbow ← lowerarm01/02; wrist ← wrist, metacarpals;
    hand ← all finger bones (thumb included). `.L` → left_*, `.R` → right_*.

    Raises:
        ModelUnavailableError: a bone this mapping does not know (another anny rig).
    """
    side = {".L": "left_", ".R": "right_"}.get(label[-2:], "")
    base = label[:-2] if side else label
    stem_match = re.match(r"[a-z]*", base)
    assert stem_match is not None  # "[a-z]*" matches every string (maybe empty)
    stem = stem_match.group(0)
    if base in ("root", "pelvis") or base in _SPINE:
        return _SPINE.get(base, "pelvis")
    if stem == "neck":
        return "neck"
    if stem in _FACE_BONE_STEMS:
        return "head"
    if stem == "breast":
        return "spine3"
    if side and stem in _SIDED_STEMS:
        return side + _SIDED_STEMS[stem]
    raise ModelUnavailableError(
        f"Anny bone {label!r} has no SMPL-24 joint in hoiexport's mapping; "
        "use the anny version pinned in pyproject (anny==0.6.2)"
    )


def joint_anchor_bones(joint: str) -> tuple[str, ...]:
    """Anny bones whose rest head positions (averaged) define an SMPL joint's position.

    pelvis: root; hips: upperleg01; knees: lowerleg01; ankles: foot; feet: the
    five toeN-1 heads (ball of the foot); spine1: spine04; spine2: spine02;
    spine3: spine01; neck: neck01; head: head; collars: clavicle; shoulders:
    upperarm01; elbows: lowerarm01; wrists: wrist; hands: finger2-1..finger5-1
    heads (the knuckles, thumb excluded).
    """
    side = {"left_": ".L", "right_": ".R"}
    for prefix, s in side.items():
        if joint.startswith(prefix):
            part = joint[len(prefix) :]
            if part == "foot":
                return tuple(f"toe{i}-1{s}" for i in range(1, 6))
            if part == "hand":
                return tuple(f"finger{i}-1{s}" for i in range(2, 6))
            bone = {
                "hip": "upperleg01",
                "knee": "lowerleg01",
                "ankle": "foot",
                "collar": "clavicle",
                "shoulder": "upperarm01",
                "elbow": "lowerarm01",
                "wrist": "wrist",
            }[part]
            return (bone + s,)
    return ({"pelvis": "root", "spine1": "spine04", "spine2": "spine02", "spine3": "spine01", "neck": "neck01"}.get(
        joint, joint
    ),)


def split_uv_seams(
    mesh: Mesh, corner_uv: np.ndarray, face_uv_indices: np.ndarray
) -> tuple[Mesh, np.ndarray]:
    """Give a mesh with per-corner UVs one UV per vertex by splitting seam vertices.

    Args:
        mesh: (V, 3) vertices and (F, 3) faces.
        corner_uv: (T, 2) texture coordinates.
        face_uv_indices: (F, 3) index into `corner_uv` for each face corner.

    Returns:
        (split mesh with `uv`, (V',) int64 original vertex index of each new vertex).
        Normals and colours are carried over.
    """
    corner_uv = np.asarray(corner_uv)
    face_uv_indices = np.asarray(face_uv_indices, dtype=np.int64)
    if face_uv_indices.shape != mesh.faces.shape:
        raise InputError(f"face_uv_indices must be {mesh.faces.shape}, got {face_uv_indices.shape}")
    num_uv = len(corner_uv)
    keys = mesh.faces.reshape(-1).astype(np.int64) * num_uv + face_uv_indices.reshape(-1)
    unique, inverse = np.unique(keys, return_inverse=True)
    vertex_map = unique // num_uv
    split = Mesh(
        vertices=mesh.vertices[vertex_map],
        faces=inverse.reshape(-1, 3),
        uv=corner_uv[unique % num_uv],
        colors=None if mesh.colors is None else mesh.colors[vertex_map],
        normals=None if mesh.normals is None else mesh.normals[vertex_map],
        name=mesh.name,
    )
    return split, vertex_map


class AnnyBody:
    """Anny as a `BodyModel` over the 24 SMPL joints (see module docstring).

    Attributes:
        name: "anny".
        joint_names: SMPL-24 names.
        parents: (24,) int32 SMPL parents.
        faces: (27420, 3) int32 triangles, counter-clockwise seen from outside.
        shape_space: the phenotypes as a vector (`PhenotypeSpace`).
        bone_labels: Anny's 104 bone names.
        bone_joints: (104,) int64 SMPL joint index of each Anny bone.
    """

    name = "anny"
    joint_names: tuple[str, ...] = SMPL_JOINT_NAMES
    parents: np.ndarray = SMPL_PARENTS

    def __init__(self, model: anny.Anny) -> None:
        """Wrap a constructed `anny.Anny` (see `anny_cache.load_anny_model`)."""
        from anny.skinning.skinning import dense_bone_weights

        if model.local_change_labels or model.facial_action_labels:
            raise ModelUnavailableError("AnnyBody needs an Anny model without local changes or facial actions")
        if list(model.phenotype_labels) != list(PHENOTYPES):
            raise ModelUnavailableError(
                f"AnnyBody needs Anny's default phenotypes {PHENOTYPES}, got {model.phenotype_labels}"
            )
        self._model = model
        self._rest_cache: OrderedDict[tuple[Any, ...], tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self._rest_lock = threading.Lock()
        self.bone_labels: tuple[str, ...] = tuple(model.bone_labels)
        self.bone_joints = np.array(
            [JOINT_INDEX[smpl_joint_of_anny_bone(b)] for b in self.bone_labels], dtype=np.int64
        )
        nb, nj = len(self.bone_labels), len(SMPL_JOINT_NAMES)

        with torch.no_grad():
            to_internal = torch.as_tensor(ANNY_TO_INTERNAL, dtype=model.dtype)
            bone_to_joint = torch.zeros(nb, nj, dtype=model.dtype)
            bone_to_joint[torch.arange(nb), torch.as_tensor(self.bone_joints)] = 1.0
            bone_weights = dense_bone_weights(model.vertex_bone_weights, model.vertex_bone_indices, nb)  # (V, 104)
            weights = bone_weights @ bone_to_joint
            regressor = torch.zeros(nj, nb, dtype=model.dtype)
            for j, joint in enumerate(SMPL_JOINT_NAMES):
                anchors = [self.bone_labels.index(b) for b in joint_anchor_bones(joint)]
                regressor[j, anchors] = 1.0 / len(anchors)
            f32 = torch.float32
            self._template = (model.template_vertices @ to_internal.T).to(f32)  # (V, 3)
            self._blendshapes = (model.blendshapes @ to_internal.T).to(f32)  # (K, V, 3)
            self._joint_template = (regressor @ model.template_bone_heads @ to_internal.T).to(f32)  # (24, 3)
            self._joint_blendshapes = torch.einsum(
                "jb,kbc->kjc", regressor, model.bone_heads_blendshapes @ to_internal.T
            ).to(f32)  # (K, 24, 3)
            self._weights = weights.to(f32)  # (V, 24)
            self._bone_heads_template = (model.template_bone_heads @ to_internal.T).to(f32)  # (104, 3)
            self._bone_heads_blendshapes = (model.bone_heads_blendshapes @ to_internal.T).to(f32)  # (K, 104, 3)
            self._finger_bone_ids = np.array([self.bone_labels.index(b) for b in FINGER_BONES], dtype=np.int64)
            finger_weights = bone_weights[:, torch.as_tensor(self._finger_bone_ids)]  # (V, 30)
            self._finger_vertex_ids = np.flatnonzero((finger_weights > 0).any(dim=1).numpy())
            self._finger_weights = finger_weights[torch.as_tensor(self._finger_vertex_ids)].to(f32)  # (N, 30)
        self._parents_t = torch.as_tensor(SMPL_PARENTS, dtype=torch.int64)
        self.faces = model.faces.cpu().numpy().astype(np.int32)
        uv = model.texture_coordinates.cpu().numpy().astype(np.float32)
        self._corner_uv = np.stack([uv[:, 0], 1.0 - uv[:, 1]], axis=1)
        self._face_uv_indices = model.face_texture_coordinate_indices.cpu().numpy().astype(np.int32)

        rest = self._rest(None, 1, f32)[0][0].numpy()
        self._part_labels = part_labels_from_weights(self.skin_weights, vertex_normals(rest, self.faces))
        self.shape_space = PhenotypeSpace(
            names=PHENOTYPES,
            default_values=(DEFAULT_PHENOTYPE_VALUE,) * len(PHENOTYPES),
            bounds=(0.0, 1.0),
            step=PHENOTYPE_STEP,
            prior_centre="start",
            forward=self.forward,
            num_joints=nj,
            phenotype=self.phenotype,
        )

    # --- static data -------------------------------------------------------------------

    @property
    def anny_model(self) -> anny.Anny:
        """The wrapped `anny.Anny` (Anny frame, 104 bones), for Anny-native use."""
        return self._model

    @property
    def skin_weights(self) -> np.ndarray:
        """(13718, 24) float32 skin weights onto the SMPL-24 joints, rows sum to 1."""
        return self._weights.numpy().copy()

    @property
    def part_labels(self) -> np.ndarray:
        """(13718,) int8 body-part indices into `BODY_PARTS` (see `parts.py`)."""
        return self._part_labels.copy()

    @property
    def corner_uv(self) -> np.ndarray:
        """(T, 2) float32 Anny texture coordinates, glTF convention (v = 1 - v_anny, v grows down)."""
        return self._corner_uv.copy()

    @property
    def face_uv_indices(self) -> np.ndarray:
        """(F, 3) int32 index into `corner_uv` for each corner of `faces`."""
        return self._face_uv_indices.copy()

    def uv_mesh(self, mesh: Mesh) -> tuple[Mesh, np.ndarray]:
        """Split an Anny-topology mesh (e.g. `fit(...).mesh`) along UV seams.

        Returns:
            (mesh with per-vertex `uv` (14,898 vertices for Anny 0.6.2),
             (V',) int64 index of each new vertex in `mesh`); use the index to
            carry skin weights and part labels over.
        """
        if mesh.faces.shape != self.faces.shape or not np.array_equal(mesh.faces, self.faces):
            raise InputError(f"{mesh.name} does not have Anny's topology ({len(self.faces)} faces)")
        return split_uv_seams(mesh, self._corner_uv, self._face_uv_indices)

    # --- shape -------------------------------------------------------------------------

    def phenotype(self, shape: dict[str, Any] | None) -> dict[str, float]:
        """All 6 phenotype values (defaults filled in) as plain floats; validates `shape`."""
        coeffs = self._phenotype_tensor(shape, 1)
        return {name: float(coeffs[0, i]) for i, name in enumerate(PHENOTYPES)}

    def _phenotype_tensor(self, shape: dict[str, Any] | None, batch: int) -> torch.Tensor:
        """(B, 6) float64 phenotype values from a shape dict (floats or (B,) tensors)."""
        shape = dict(shape or {})
        unknown = sorted(set(shape) - set(PHENOTYPES))
        if unknown:
            raise InputError(f"unknown Anny shape key(s) {unknown}; use {list(PHENOTYPES)} (floats in [0, 1])")
        columns = []
        for name in PHENOTYPES:
            value = shape.get(name, DEFAULT_PHENOTYPE_VALUE)
            if torch.is_tensor(value):
                t = value.to(device="cpu", dtype=torch.float64)  # Anny's phenotype buffers live on the CPU
            else:
                t = torch.as_tensor(np.asarray(value, dtype=np.float64))
            if t.dim() == 0 or t.shape == (1,):
                t = t.expand(batch)
            elif t.shape != (batch,):
                raise InputError(f"Anny shape {name!r} must be a float or ({batch},), got {tuple(t.shape)}")
            if not t.requires_grad and not bool(((t >= 0.0) & (t <= 1.0)).all()):
                raise InputError(f"Anny shape {name!r} must be in [0, 1], got {t.tolist()}")
            columns.append(t)
        return torch.stack(columns, dim=1)

    def _coefficients(self, shape: dict[str, Any] | None, batch: int) -> torch.Tensor:
        """(B, K) float64 blend-shape coefficients of the phenotypes (Anny's own formula)."""
        return self._blend_weights(self._phenotype_tensor(shape, batch))

    def _blend_weights(self, phenotype: torch.Tensor) -> torch.Tensor:
        """(B, K) float64 blend-shape coefficients of (B, 6) phenotype values."""
        from anny.models.phenotype import phenotype_blendshape_weights

        m = self._model
        weights = phenotype_blendshape_weights(
            phenotype,
            list(m.phenotype_labels),
            m.anchors,
            m.stacked_phenotype_blend_shapes_mask,
            extrapolate=m.extrapolate_phenotypes,
        )
        if m.phenotype_blendshape_projection is not None:
            weights = weights @ m.phenotype_blendshape_projection
        return weights

    def _rest(
        self, shape: dict[str, Any] | None, batch: int, dtype: torch.dtype, device: torch.device | str = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Rest vertices (B, V, 3) and rest joints (B, 24, 3) of a shape, internal frame, metres.

        Shapes without gradient are remembered (the last `_REST_CACHE_SIZE`):
        fitting and registration pose one shape many times, and the blend
        (136 shapes × 13718 vertices) costs more than the posing. Callers get
        copies.
        """
        phenotype = self._phenotype_tensor(shape, batch)
        key = None
        if not phenotype.requires_grad:
            key = (phenotype.numpy().tobytes(), batch, dtype, str(device))
            with self._rest_lock:
                hit = self._rest_cache.get(key)
                if hit is not None:
                    self._rest_cache.move_to_end(key)
                    return hit[0].clone(), hit[1].clone()
        like: dict[str, Any] = {"dtype": dtype, "device": device}
        coeffs = self._blend_weights(phenotype).to(**like)
        vertices = self._template.to(**like) + torch.einsum("bk,kvc->bvc", coeffs, self._blendshapes.to(**like))
        joints = self._joint_template.to(**like) + torch.einsum(
            "bk,kjc->bjc", coeffs, self._joint_blendshapes.to(**like)
        )
        if key is not None and not (vertices.requires_grad or joints.requires_grad):
            with self._rest_lock:
                self._rest_cache[key] = (vertices.clone(), joints.clone())
                while len(self._rest_cache) > _REST_CACHE_SIZE:
                    self._rest_cache.popitem(last=False)
        return vertices, joints

    # --- posing ------------------------------------------------------------------------

    def forward(
        self,
        pose: torch.Tensor,
        shape: dict[str, Any] | None = None,
        transl: torch.Tensor | None = None,
        scale: torch.Tensor | float = 1.0,
    ) -> BodyOutput:
        """Pose the body through the 24 SMPL joints (differentiable).

        Args:
            pose: (B, 24, 3) axis-angle radians, SMPL convention (`protocol.py`);
                float32 (float64 computes in float64); outputs follow its device.
            shape: phenotype dict (`PHENOTYPES`), floats or (B,) tensors (tensors
                with grad are differentiable); missing keys are 0.5.
            transl: (B, 3) metres, added after posing and scaling.
            scale: uniform scale about the origin, scalar or (B,).

        Returns:
            `BodyOutput`: vertices (B, 13718, 3), joints (B, 24, 3), joint_transforms
            (B, 24, 4, 4), rest_joints (B, 24, 3) (unscaled), metres, internal frame.
        """
        dtype = pose.dtype if torch.is_tensor(pose) and pose.dtype == torch.float64 else torch.float32
        pose_t = as_pose(pose, len(SMPL_JOINT_NAMES), dtype)
        rest_vertices, rest_joints = self._rest(shape, pose_t.shape[0], dtype, pose_t.device)
        world, skin = pose_skeleton(axis_angle_to_matrix(pose_t), rest_joints, self._parents_t.to(pose_t.device))
        vertices = skin_vertices(rest_vertices, self._weights.to(dtype=dtype, device=pose_t.device), skin)
        vertices, world = place(vertices, world, scale, transl)
        return BodyOutput(
            vertices=vertices, joints=world[..., :3, 3], joint_transforms=world, rest_joints=rest_joints
        )

    def fit(self, params: BodyParams) -> BodyFit:
        """Evaluate `params` (no grad) into a `BodyFit` (mesh without UVs: see `uv_mesh`)."""
        phenotype = self.phenotype(params.shape)
        return evaluate_fit(self, params, phenotype, {"shape": phenotype, "phenotype": phenotype})

    # --- fingers -----------------------------------------------------------------------

    @property
    def finger_vertex_ids(self) -> np.ndarray:
        """(N,) int64 ids of the vertices some finger bone moves (both hands, ~3000)."""
        return self._finger_vertex_ids.copy()

    @property
    def finger_weights(self) -> np.ndarray:
        """(N, 30) float32 skin weights of the `finger_vertex_ids` vertices on the
        `FINGER_BONES` (Anny's own weights; the rest of each row is on other bones)."""
        return self._finger_weights.numpy().copy()

    def rest_bone_heads(self, shape: dict[str, Any] | None = None) -> np.ndarray:
        """(104, 3) float64 rest positions of Anny's bone heads (`bone_labels` order),
        metres, internal frame, for one shape (phenotype dict of floats, defaults 0.5).

        A finger bone's head is the joint it turns about (`FINGER_JOINTS`); SMPL
        joints are averages of these (`joint_anchor_bones`).
        """
        with torch.no_grad():
            return self._bone_heads(shape, 1, torch.float64)[0].numpy()

    def _bone_heads(self, shape: dict[str, Any] | None, batch: int, dtype: torch.dtype) -> torch.Tensor:
        """(B, 104, 3) rest bone heads of a shape (as `forward`'s), internal frame, metres."""
        coeffs = self._coefficients(shape, batch).to(dtype)
        return self._bone_heads_template.to(dtype) + torch.einsum(
            "bk,kjc->bjc", coeffs, self._bone_heads_blendshapes.to(dtype)
        )

    def finger_skin(
        self,
        pose: torch.Tensor | np.ndarray,
        shape: dict[str, Any] | None = None,
        transl: torch.Tensor | np.ndarray | None = None,
        scale: torch.Tensor | float = 1.0,
        vertex_ids: np.ndarray | None = None,
        thumb_base: ThumbBase = "hand",
    ) -> FingerSkin:
        """The skinning of some vertices with the SMPL-24 pose fixed and the finger bones free.

        Args:
            pose: (B, 24, 3) or (24, 3) axis-angle radians (as `forward`); float64
                computes in float64, anything else in float32.
            shape: phenotype dict (as `forward`).
            transl: (B, 3) or (3,) metres (as `forward`).
            scale: uniform scale (as `forward`).
            vertex_ids: (n,) int64 vertex ids to pose; None: `finger_vertex_ids`.
            thumb_base: what carries the thumbs (`ThumbBase`).

        Returns:
            A `FingerSkin`; `skin(finger_pose)` gives the (B, n, 3) posed points.

        Raises:
            InputError: a bad pose, shape, `vertex_ids` or `thumb_base`.
        """
        if thumb_base not in _THUMB_BASE_JOINT:
            raise InputError(f"thumb_base must be one of {sorted(_THUMB_BASE_JOINT)}, got {thumb_base!r}")
        dtype = pose.dtype if torch.is_tensor(pose) and pose.dtype == torch.float64 else torch.float32
        pose_t = as_pose(pose, len(SMPL_JOINT_NAMES), dtype)
        batch = pose_t.shape[0]
        ids = self._finger_vertex_ids if vertex_ids is None else np.asarray(vertex_ids, dtype=np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self._template)):
            raise InputError(f"vertex_ids must index Anny's {len(self._template)} vertices")
        ids_t = torch.as_tensor(ids)
        with torch.no_grad():
            rest_vertices, rest_joints = self._rest(shape, batch, dtype)
            world, skin = pose_skeleton(axis_angle_to_matrix(pose_t), rest_joints, self._parents_t)
            rest = rest_vertices[:, ids_t]
            base = skin_vertices(rest, self._weights[ids_t].to(dtype), skin)
            heads = self._bone_heads(shape, batch, dtype)[:, torch.as_tensor(self._finger_bone_ids)]
            # finger weights of the chosen vertices (zero rows for vertices no finger bone moves)
            row = np.searchsorted(self._finger_vertex_ids, ids)
            row = np.minimum(row, len(self._finger_vertex_ids) - 1)
            has = self._finger_vertex_ids[row] == ids
            weights = torch.zeros(len(ids), len(FINGER_BONES), dtype=dtype)
            weights[torch.as_tensor(has)] = self._finger_weights[torch.as_tensor(row[has])].to(dtype)
            own = torch.as_tensor(self.bone_joints[self._finger_bone_ids])  # (30,) the SMPL joint of each bone
            carrier = own.clone()
            for h, side in enumerate(HANDS):
                carrier[15 * h : 15 * h + 3] = JOINT_INDEX[f"{side}_{_THUMB_BASE_JOINT[thumb_base]}"]
        return FingerSkin(
            rest=rest,
            base=base,
            weights=weights,
            carrier=skin[:, carrier, :3, :],
            own=skin[:, own, :3, :],
            heads=heads,
            world=world,
            scale=scale,
            transl=_as_tensor(transl, dtype),
        )

    def forward_fingers(
        self,
        pose: torch.Tensor | np.ndarray,
        finger_pose: torch.Tensor | np.ndarray,
        shape: dict[str, Any] | None = None,
        transl: torch.Tensor | np.ndarray | None = None,
        scale: torch.Tensor | float = 1.0,
        thumb_base: ThumbBase = "hand",
    ) -> BodyOutput:
        """Pose the body through the 24 SMPL joints and the 30 finger bones (no grad).

        Each finger bone turns by its `finger_pose` rotation about its rest head,
        relative to its parent finger bone (the finger's first bone relative to
        its carrier: the SMPL `*_hand` joint, or the `*_wrist` for thumbs with
        `thumb_base="wrist"`): the SMPL convention of `protocol.py` (axes in the
        rest frame, internal axes). A zero `finger_pose` with `thumb_base="hand"`
        equals `forward`.

        Args:
            pose: (B, 24, 3) axis-angle radians (as `forward`).
            finger_pose: (B, 30, 3) or (30, 3) axis-angle radians, one per `FINGER_BONES` entry.
            shape, transl, scale: as `forward`.
            thumb_base: what carries the thumbs (`ThumbBase`).

        Returns:
            `BodyOutput` as `forward`'s (joints and transforms are the SMPL-24
            ones, unchanged by the fingers); vertices (B, 13718, 3) with the
            fingers posed.

        Raises:
            InputError: bad shapes or values.
        """
        with torch.no_grad():
            pose_t = pose if torch.is_tensor(pose) else torch.as_tensor(np.asarray(pose, dtype=np.float32))
            out = self.forward(pose_t, shape, _as_tensor(transl, pose_t.dtype), scale)
            skin = self.finger_skin(pose, shape, transl, scale, None, thumb_base)
            points = skin(finger_pose)
            vertices = out.vertices.clone()
            vertices[:, torch.as_tensor(self._finger_vertex_ids)] = points.to(vertices.dtype)
        return BodyOutput(vertices=vertices, joints=out.joints, joint_transforms=out.joint_transforms,
                          rest_joints=out.rest_joints)


def _as_tensor(value: torch.Tensor | np.ndarray | None, dtype: torch.dtype) -> torch.Tensor | None:
    """A translation as a tensor of `dtype` (None stays None)."""
    if value is None:
        return None
    return (value if torch.is_tensor(value) else torch.as_tensor(np.asarray(value))).to(dtype)


@dataclass(frozen=True, eq=False)
class FingerSkin:
    """Linear blend skinning of n vertices of one posed body (batch B) with the
    finger bones free (`AnnyBody.finger_skin`); torch, no grad.

    A vertex v with SMPL-24 weights w_j and finger-bone weights u_b goes to
    s · (Σ_j w_j G_j v + Σ_b u_b (C_b F_b − G_{j(b)}) v) + t: G the SMPL-24 skin
    transforms of the pose, C_b the skin transform of bone b's carrier (`own`
    for every bone but thumbs carried by the wrist), F_b the rest-frame finger
    chain of the finger pose.

    Attributes:
        rest: (B, n, 3) rest positions, metres, internal frame.
        base: (B, n, 3) the points posed by the SMPL-24 pose alone, before scale and translation.
        weights: (n, 30) weights on the `FINGER_BONES`.
        carrier: (B, 30, 3, 4) skin transform of what carries each finger bone.
        own: (B, 30, 3, 4) skin transform of each finger bone's SMPL joint.
        heads: (B, 30, 3) rest heads of the finger bones.
        world: (B, 24, 4, 4) SMPL-24 joint-to-world transforms (before scale and translation).
        scale: uniform scale (as `forward`).
        transl: (B, 3) or (3,) metres, or None.
    """

    rest: torch.Tensor
    base: torch.Tensor
    weights: torch.Tensor
    carrier: torch.Tensor
    own: torch.Tensor
    heads: torch.Tensor
    world: torch.Tensor
    scale: torch.Tensor | float
    transl: torch.Tensor | None

    def __call__(self, finger_pose: torch.Tensor | np.ndarray) -> torch.Tensor:
        """(B, n, 3) posed points (metres, internal frame) for a (B, 30, 3) or (30, 3)
        finger pose; a skin of one body (B = 1) takes (K, 30, 3) finger poses and
        gives (K, n, 3).

        Raises:
            InputError: a finger pose of the wrong shape or with non-finite values.
        """
        dtype = self.rest.dtype
        fp = as_pose(finger_pose, len(FINGER_BONES), dtype)
        batch = self.rest.shape[0]
        if batch != 1 and fp.shape[0] not in (1, batch):
            raise InputError(f"finger_pose must be ({batch}, {len(FINGER_BONES)}, 3), got {tuple(fp.shape)}")
        size = max(batch, fp.shape[0])  # one body tries many finger poses at once
        fp = fp.expand(size, -1, -1)
        with torch.no_grad():
            heads = self.heads.expand(size, -1, -1)
            _, chain = pose_skeleton(axis_angle_to_matrix(fp), heads, torch.as_tensor(FINGER_BONE_PARENTS))
            delta = self.carrier @ chain - self.own  # (B, 30, 3, 4)
            blend = torch.einsum("nb,Bbrc->Bnrc", self.weights, delta)
            points = self.base + (blend[..., :3] @ self.rest[..., None])[..., 0] + blend[..., 3]
            points, _ = place(points, self.world.expand(size, -1, -1, -1), self.scale, self.transl)
        return points

