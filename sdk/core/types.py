"""The data model every stage reads and writes (DESIGN §3).

Plain typed dataclasses holding numpy arrays. Torch lives inside backends only.

Frame and units everywhere in this module: right-handed, +Y up, metres, the
character faces +Z (DESIGN §4). Exporters convert at write time only.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np

from hoiexport.sdk.core.errors import InputError

SCHEMA_VERSION = 1
"""Version of the bundle / metadata schema written by this release."""


class ContactConfig(str, enum.Enum):
    """The 8 contact configurations of HOI3DGen (DESIGN §6)."""

    RIGHT_HAND = "right_hand"
    LEFT_HAND = "left_hand"
    BOTH_HANDS = "both_hands"
    BACK = "back"
    RIGHT_LEG = "right_leg"
    LEFT_LEG = "left_leg"
    NO_CONTACT = "no_contact"
    OTHER = "other"

    @classmethod
    def parse(cls, value: str | ContactConfig) -> ContactConfig:
        """Parse a config name, raising an `InputError` listing the valid ones."""
        if isinstance(value, ContactConfig):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            names = ", ".join(c.value for c in cls)
            raise InputError(
                f"unknown contact configuration {value!r}; use one of: {names}"
            ) from None


BodyPart = Literal[
    "right_hand",
    "left_hand",
    "right_arm",
    "left_arm",
    "back",
    "torso_front",
    "hips",
    "right_leg",
    "left_leg",
    "right_foot",
    "left_foot",
    "head",
]
BODY_PARTS: tuple[str, ...] = get_args(BodyPart)
"""Body-part label names; a part label array stores indices into this tuple."""


def _as_array(name: str, value: Any, dtype: type, shape_tail: tuple[int, ...]) -> np.ndarray:
    """Convert to a C-contiguous array of `dtype` and check its trailing shape.

    Args:
        name: field name used in the error message.
        value: array-like input.
        dtype: numpy dtype to convert to.
        shape_tail: required trailing dimensions; -1 matches any size.

    Raises:
        InputError: wrong number of dimensions or trailing size.
    """
    arr: np.ndarray = np.ascontiguousarray(np.asarray(value), dtype=dtype)
    want_ndim = 1 + len(shape_tail)
    if arr.ndim != want_ndim or any(
        s != -1 and a != s for a, s in zip(arr.shape[1:], shape_tail, strict=True)
    ):
        want = "(N, " + ", ".join("*" if s == -1 else str(s) for s in shape_tail) + ")"
        if not shape_tail:
            want = "(N,)"
        raise InputError(f"{name} must have shape {want}, got {arr.shape}")
    return arr


@dataclass
class Texture:
    """A colour texture.

    Attributes:
        image: (H, W, 3|4) uint8, sRGB-encoded base colour, row 0 is the top of
            the image (glTF convention: uv (0, 0) is the image's top-left corner).
    """

    image: np.ndarray

    def __post_init__(self) -> None:
        img = np.ascontiguousarray(self.image)
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] not in (3, 4):
            raise InputError(
                f"texture image must be (H, W, 3|4) uint8, got {img.shape} {img.dtype}"
            )
        self.image = img


SurfaceDetail = Literal["none", "wood_grain", "leather_grain", "fabric_weave"]
"""Procedural relief an exporter bakes into a surface's normal map (`exporters.pbr`
holds one height field per kind; "none" is flat)."""
SURFACE_DETAILS: tuple[str, ...] = get_args(SurfaceDetail)


@dataclass(frozen=True)
class SurfaceMaterial:
    """PBR parameters of one kind of surface (metallic-roughness model, glTF 2.0).

    Attributes:
        kind: what the surface is ("wood", "metal", "skin", ...), for people and
            metadata.
        roughness: perceptual roughness in [0, 1] (glTF `roughnessFactor`).
        metallic: metalness in [0, 1]; 1 for bare metal, 0 for dielectrics.
        detail: the procedural relief of its normal map (`SurfaceDetail`).
    """

    kind: str
    roughness: float
    metallic: float
    detail: SurfaceDetail = "none"

    def __post_init__(self) -> None:
        for name in ("roughness", "metallic"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
                raise InputError(f"material {self.kind!r} {name} must be a number in [0, 1], got {value!r}")
        if self.detail not in SURFACE_DETAILS:
            raise InputError(
                f"material {self.kind!r} detail {self.detail!r} is unknown; use one of: {', '.join(SURFACE_DETAILS)}"
            )

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "roughness": float(self.roughness), "metallic": float(self.metallic),
                "detail": self.detail}


@dataclass
class SurfacePBR:
    """What a mesh's surface is made of beyond its base colour (all optional parts).

    Attributes:
        materials: (M,) the surface materials `face_material` indexes.
        face_material: optional (F,) int32 index into `materials` of each face.
        metallic_roughness: optional linear (not sRGB) texture addressed by the
            mesh's `uv`, glTF layout: G = roughness, B = metallic (R unused); e.g.
            Hunyuan3D-Paint 2.1's maps. Where present it gives roughness and
            metallic; `materials` then still give the normal detail.
    """

    materials: tuple[SurfaceMaterial, ...] = ()
    face_material: np.ndarray | None = None
    metallic_roughness: Texture | None = None

    def __post_init__(self) -> None:
        self.materials = tuple(self.materials)
        if self.face_material is not None:
            self.face_material = _as_array("pbr.face_material", self.face_material, np.int32, ())
            if len(self.face_material) and (
                self.face_material.min() < 0 or self.face_material.max() >= len(self.materials)
            ):
                raise InputError(
                    f"pbr.face_material indexes outside the {len(self.materials)} materials; "
                    "give every face an index into pbr.materials"
                )
        if self.face_material is None and self.metallic_roughness is None:
            raise InputError("SurfacePBR needs face_material (with materials) or a metallic_roughness texture")

    def take_faces(self, index: np.ndarray) -> SurfacePBR:
        """The same description for a mesh made of faces `index` ((F',) int) of this one."""
        faces = None if self.face_material is None else self.face_material[np.asarray(index, np.int64)]
        return SurfacePBR(self.materials, faces, self.metallic_roughness)


@dataclass
class Mesh:
    """A triangle mesh in the internal frame (+Y up, metres, faces +Z).

    Attributes:
        vertices: (V, 3) float32, metres.
        faces: (F, 3) int32, indices into `vertices`, counter-clockwise = front.
        uv: optional (V, 2) float32 texture coordinates, glTF convention
            (v grows downwards in the image).
        colors: optional (V, 3|4) uint8 sRGB vertex colours.
        texture: optional base-colour `Texture` addressed by `uv`.
        normals: optional (V, 3) float32 unit vertex normals.
        name: mesh name used by exporters.
        pbr: optional `SurfacePBR` (per-face materials and / or a
            metallic-roughness texture); None = base colour only, and exporters
            write a constant roughness.
    """

    vertices: np.ndarray
    faces: np.ndarray
    uv: np.ndarray | None = None
    colors: np.ndarray | None = None
    texture: Texture | None = None
    normals: np.ndarray | None = None
    name: str = "mesh"
    pbr: SurfacePBR | None = None

    def __post_init__(self) -> None:
        self.vertices = _as_array(f"{self.name}.vertices", self.vertices, np.float32, (3,))
        self.faces = _as_array(f"{self.name}.faces", self.faces, np.int32, (3,))
        n = len(self.vertices)
        if self.uv is not None:
            self.uv = _as_array(f"{self.name}.uv", self.uv, np.float32, (2,))
            if len(self.uv) != n:
                raise InputError(f"{self.name}.uv has {len(self.uv)} rows, expected {n}")
        if self.colors is not None:
            c = np.asarray(self.colors)
            if c.dtype != np.uint8:
                c = np.clip(np.round(c * 255.0 if c.dtype.kind == "f" else c), 0, 255)
            self.colors = _as_array(f"{self.name}.colors", c, np.uint8, (-1,))
            if len(self.colors) != n or self.colors.shape[1] not in (3, 4):
                raise InputError(f"{self.name}.colors must be ({n}, 3|4), got {self.colors.shape}")
        if self.normals is not None:
            self.normals = _as_array(f"{self.name}.normals", self.normals, np.float32, (3,))
            if len(self.normals) != n:
                raise InputError(f"{self.name}.normals has {len(self.normals)} rows, expected {n}")
        if self.texture is not None and self.uv is None:
            raise InputError(f"{self.name} has a texture but no uv coordinates")
        if self.pbr is not None:
            fm = self.pbr.face_material
            if fm is not None and len(fm) != len(self.faces):
                raise InputError(f"{self.name}.pbr.face_material has {len(fm)} rows, expected {len(self.faces)} (one per face)")
            if self.pbr.metallic_roughness is not None and self.uv is None:
                raise InputError(f"{self.name} has a metallic-roughness texture but no uv coordinates")

    def validate(self) -> None:
        """Check values: finite coordinates and face indices in range.

        Raises:
            InputError: naming the field and the problem.
        """
        for fname in ("vertices", "uv", "normals"):
            arr = getattr(self, fname)
            if arr is not None and not np.isfinite(arr).all():
                bad = int((~np.isfinite(arr)).any(axis=1).sum())
                raise InputError(f"{self.name}.{fname} has {bad} rows with NaN or inf values")
        if len(self.faces) and (self.faces.min() < 0 or self.faces.max() >= len(self.vertices)):
            raise InputError(
                f"{self.name}.faces index out of range [0, {len(self.vertices)}): "
                f"min {int(self.faces.min())}, max {int(self.faces.max())}"
            )

    def to_trimesh(self, process: bool = False):  # -> trimesh.Trimesh
        """This mesh as a `trimesh.Trimesh` (geometry only, plus vertex colours)."""
        import trimesh

        return trimesh.Trimesh(
            vertices=self.vertices,
            faces=self.faces,
            vertex_colors=self.colors,
            process=process,
        )


@dataclass
class Skeleton:
    """A joint hierarchy in a given pose.

    Attributes:
        joint_names: J names.
        parents: (J,) int32, parent index per joint, -1 for the root; parents
            come before children.
        world_transforms: (J, 4, 4) float32 joint-to-world rigid transforms in
            the internal frame, metres.
    """

    joint_names: list[str]
    parents: np.ndarray
    world_transforms: np.ndarray

    def __post_init__(self) -> None:
        self.parents = np.asarray(self.parents, dtype=np.int32)
        self.world_transforms = np.asarray(self.world_transforms, dtype=np.float32)
        j = len(self.joint_names)
        if self.parents.shape != (j,) or self.world_transforms.shape != (j, 4, 4):
            raise InputError(
                f"skeleton with {j} joints needs parents ({j},) and transforms ({j}, 4, 4), "
                f"got {self.parents.shape} and {self.world_transforms.shape}"
            )
        for i, p in enumerate(self.parents):
            if p >= i or p < -1 or (p == -1 and i != 0):
                raise InputError(f"skeleton joint {self.joint_names[i]!r} has invalid parent {p}")

    @property
    def positions(self) -> np.ndarray:
        """(J, 3) float32 joint positions, metres."""
        return self.world_transforms[:, :3, 3].copy()

    def local_transforms(self) -> np.ndarray:
        """(J, 4, 4) float32 joint-to-parent transforms (root: joint-to-world)."""
        out = self.world_transforms.astype(np.float64).copy()
        inv = np.linalg.inv(self.world_transforms.astype(np.float64))
        for i, p in enumerate(self.parents):
            if p >= 0:
                out[i] = inv[p] @ self.world_transforms[i]
        return out.astype(np.float32)


@dataclass
class BodyFit:
    """A posed body model: parameters, skeleton, mesh, skinning and part labels.

    Attributes:
        model: body-model name ("anny" or "smpl").
        params: model parameters as plain JSON-able values and float arrays
            (e.g. "pose" (24, 3) axis-angle radians, "betas", "phenotype",
            "global_orient", "transl" metres, "scale").
        skeleton: SMPL-24 `Skeleton` in the generated pose.
        mesh: the posed body surface.
        skin_weights: (V, J) float32, rows sum to 1.
        part_labels: (V,) int8 indices into `BODY_PARTS`.
    """

    model: str
    params: dict[str, Any]
    skeleton: Skeleton
    mesh: Mesh
    skin_weights: np.ndarray
    part_labels: np.ndarray

    def __post_init__(self) -> None:
        self.skin_weights = np.asarray(self.skin_weights, dtype=np.float32)
        self.part_labels = np.asarray(self.part_labels, dtype=np.int8)
        v, j = len(self.mesh.vertices), len(self.skeleton.joint_names)
        if self.skin_weights.shape != (v, j):
            raise InputError(f"body skin_weights must be ({v}, {j}), got {self.skin_weights.shape}")
        if self.part_labels.shape != (v,):
            raise InputError(f"body part_labels must be ({v},), got {self.part_labels.shape}")

    @property
    def joints(self) -> np.ndarray:
        """(J, 3) float32 posed joint positions, metres."""
        return self.skeleton.positions


@dataclass
class Contact:
    """One body part touching the object.

    Attributes:
        part: body-part name from `BODY_PARTS`.
        joint: SMPL-24 joint name nearest to the contact (the socket's parent).
        point_human: (3,) closest point on the human surface, metres.
        point_object: (3,) closest point on the object surface, metres.
        normal: (3,) unit object-surface normal at `point_object`, pointing
            out of the object (towards the human).
        distance_m: min distance between part and object, metres (0 if touching
            or penetrating).
        area_m2: area of the part's surface within the contact threshold, m².
    """

    part: str
    joint: str
    point_human: np.ndarray
    point_object: np.ndarray
    normal: np.ndarray
    distance_m: float
    area_m2: float

    def __post_init__(self) -> None:
        for f in ("point_human", "point_object", "normal"):
            setattr(self, f, np.asarray(getattr(self, f), dtype=np.float64).reshape(3))

    def to_json(self) -> dict[str, Any]:
        """JSON-able dict (lists of floats, metres)."""
        return {
            "part": self.part,
            "joint": self.joint,
            "point_human": [float(x) for x in self.point_human],
            "point_object": [float(x) for x in self.point_object],
            "normal": [float(x) for x in self.normal],
            "distance_m": float(self.distance_m),
            "area_m2": float(self.area_m2),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Contact:
        return cls(**{k: d[k] for k in (f.name for f in dataclasses.fields(cls))})


@dataclass
class Penetration:
    """Interpenetration between human and object.

    Attributes:
        human_in_object_depth_cm: max depth of human surface inside the object, cm.
        human_in_object_volume_cm3: volume of the human inside the object, cm³.
        object_in_human_depth_cm: max depth of object surface inside the human, cm.
        object_in_human_volume_cm3: volume of the object inside the human, cm³.
    """

    human_in_object_depth_cm: float = 0.0
    human_in_object_volume_cm3: float = 0.0
    object_in_human_depth_cm: float = 0.0
    object_in_human_volume_cm3: float = 0.0

    def to_json(self) -> dict[str, float]:
        return {k: float(v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Penetration:
        return cls(**{k: float(d[k]) for k in (f.name for f in dataclasses.fields(cls))})

    @property
    def max_depth_cm(self) -> float:
        return max(self.human_in_object_depth_cm, self.object_in_human_depth_cm)


@dataclass
class Prompt:
    """A text prompt and its structured parts (HOI3DGen's decomposed caption).

    Attributes:
        text: the free text as given.
        appearance: appearance words of the person ("a tall man in a red shirt").
        object: object category from the object library ("suitcase").
        action: action from the action library ("carry").
        contact_parts: body parts the text says touch the object.
        requested_config: contact configuration the text asks for, if any.
        attributes: further parsed words (colours, materials, body shape).
    """

    text: str
    appearance: str = ""
    object: str | None = None
    action: str | None = None
    contact_parts: list[str] = field(default_factory=list)
    requested_config: ContactConfig | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "appearance": self.appearance,
            "object": self.object,
            "action": self.action,
            "contact_parts": list(self.contact_parts),
            "requested_config": self.requested_config.value if self.requested_config else None,
            "attributes": self.attributes,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Prompt:
        rc = d.get("requested_config")
        return cls(
            text=d["text"],
            appearance=d.get("appearance", ""),
            object=d.get("object"),
            action=d.get("action"),
            contact_parts=list(d.get("contact_parts", [])),
            requested_config=ContactConfig.parse(rc) if rc else None,
            attributes=dict(d.get("attributes", {})),
        )


@dataclass
class Provenance:
    """Where an asset came from.

    Attributes:
        generator: generator name ("compose", "hoi3dgen", "lift", "test").
        models: model name → revision (from the lock) or version.
        seed: random seed used.
        timings_s: stage name → seconds.
        versions: package name → version.
        notes: free-form facts (e.g. which texture path ran).
    """

    generator: str
    models: dict[str, str] = field(default_factory=dict)
    seed: int | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Provenance:
        return cls(**{k: d[k] for k in (f.name for f in dataclasses.fields(cls)) if k in d})


@dataclass
class HOIAsset:
    """One generated human–object interaction: the unit every stage passes on.

    Attributes:
        prompt: the parsed prompt.
        human: the human surface (may differ from `body.mesh` for generated
            humans with clothes/hair; for compose it is the body mesh).
        object: the object surface.
        body: the fitted, animatable body.
        contacts: measured contacts (never copied from the request).
        contact_config: measured contact configuration.
        penetration: measured interpenetration.
        provenance: generator, models, seeds, timings.
    """

    prompt: Prompt
    human: Mesh
    object: Mesh
    body: BodyFit
    contacts: list[Contact]
    contact_config: ContactConfig
    penetration: Penetration
    provenance: Provenance

    def validate(self) -> None:
        """Check every mesh's values (finite, indices in range)."""
        self.human.validate()
        self.object.validate()
        self.body.mesh.validate()
        if not np.isfinite(self.body.skeleton.world_transforms).all():
            raise InputError("body.skeleton.world_transforms has NaN or inf values")
        if not np.isfinite(self.body.skin_weights).all():
            raise InputError("body.skin_weights has NaN or inf values")
