"""Skeleton naming presets: the joint names each engine's retargeter recognises (#16).

The export skeleton is always the SMPL-24 hierarchy under one floor `root` joint
(`rig.RIG_ROOT`); a `SkeletonPreset` only renames its joints, applied once, last,
by `apply_skeleton_preset`. The hierarchy of the 24 joints is the SMPL one; each
preset maps every SMPL joint onto the bone of its convention that sits at the same
place, so a joint's parent always maps to an ancestor of its image in the published
hierarchy (`tests/exporters/test_skeleton_presets.py` checks that against the
published lists in `tests/data/skeleton_names/`). The conventions' extra bones
(UE5's spine_04/05, twist and finger bones, Mixamo's finger chains) are absent:
retargeters accept a subset as long as the names they key on are there.

SMPL's `*_hand` joint sits at the knuckles and bends the fingers; it maps to each
convention's proximal middle-finger bone. Joint frames follow the preset's
`bone_axis`: SMPL's own (every joint's axes are the world axes in the T pose) for
smpl and unity-humanoid, +Y along each bone for mixamo (as Mixamo's rigs and
Blender's importer expect), +X along each bone for ue5 (Unreal's mannequin).
Turning the frames never changes the motion or the skinning (`reorient_joints`).

Names in glTF are the convention's own (Mixamo's carry the `mixamorig:` namespace
prefix, as Mixamo's FBX files do; three.js strips the colon as it does for those).
USD joint tokens must be identifiers, so `usd_name` turns `:` into `_`.

Example::

    preset = get_skeleton_preset("ue5")
    preset.names["left_shoulder"]      # "upperarm_l"
    scene = apply_skeleton_preset(scene, preset)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import SMPL_JOINT_NAMES

if TYPE_CHECKING:
    from hoiexport.exporters.scene import ExportScene, ExportSkeleton

RIG_ROOT = "root"
"""Internal name of the floor root joint above the pelvis (before a preset renames it)."""


@dataclass(frozen=True)
class SkeletonPreset:
    """The joint names of one engine convention.

    Attributes:
        name: preset name (`--skeleton`).
        names: SMPL-24 joint name → this convention's joint name, all 24.
        root: this convention's name of the floor root joint above the pelvis.
        documented_at: where the convention's bone names are published.
        bone_axis: the joint frames' convention (`BONE_AXES`): "world" keeps SMPL's
            world-aligned frames; "+y" / "+x" turn each joint's local +Y / +X along
            its bone (towards its child), the roll reference axis towards the
            character's front.
    """

    name: str
    names: Mapping[str, str]
    root: str
    documented_at: tuple[str, ...]
    bone_axis: str = "world"

    def __post_init__(self) -> None:
        missing = [j for j in SMPL_JOINT_NAMES if j not in self.names]
        if missing:
            raise InputError(f"skeleton preset {self.name!r} lacks names for {', '.join(missing)}")
        values = [*self.names.values(), self.root]
        if len(set(values)) != len(values):
            raise InputError(f"skeleton preset {self.name!r} maps two joints to one name")

    def rename(self, joint: str) -> str:
        """The preset's name of an internal joint name (SMPL-24 or `RIG_ROOT`)."""
        if joint == RIG_ROOT:
            return self.root
        try:
            return self.names[joint]
        except KeyError:
            raise InputError(
                f"joint {joint!r} is not an SMPL-24 joint; skeleton preset {self.name!r} names only those"
            ) from None

    def usd_name(self, joint: str) -> str:
        """The preset's name of `joint` as a USD identifier (`:` → `_`)."""
        return usd_identifier(self.rename(joint))


def usd_identifier(name: str) -> str:
    """A joint name as a USD path identifier: namespace colons become underscores."""
    return name.replace(":", "_")


def _preset(name: str, root: str, names: dict[str, str], *docs: str, bone_axis: str = "world") -> SkeletonPreset:
    return SkeletonPreset(name, MappingProxyType(dict(names)), root, tuple(docs), bone_axis)


def _sides(pattern: dict[str, str], left: str, right: str) -> dict[str, str]:
    """Expand `{"{s}_hip": "{S}UpLeg"}`-style pairs for the left and right sides."""
    out: dict[str, str] = {}
    for smpl, target in pattern.items():
        out[smpl.format(s="left")] = target.format(S=left)
        out[smpl.format(s="right")] = target.format(S=right)
    return out


_SMPL = _preset(
    "smpl",
    RIG_ROOT,
    {j: j for j in SMPL_JOINT_NAMES},
    "https://github.com/vchoutas/smplx/blob/main/smplx/joint_names.py",
    "https://smpl.is.tue.mpg.de/",
)

_MIXAMO_SIDE = {
    "{s}_hip": "{S}UpLeg", "{s}_knee": "{S}Leg", "{s}_ankle": "{S}Foot", "{s}_foot": "{S}ToeBase",
    "{s}_collar": "{S}Shoulder", "{s}_shoulder": "{S}Arm", "{s}_elbow": "{S}ForeArm",
    "{s}_wrist": "{S}Hand", "{s}_hand": "{S}HandMiddle1",
}
_MIXAMO = _preset(
    "mixamo",
    "mixamorig:Root",
    {
        k: f"mixamorig:{v}"
        for k, v in {
            "pelvis": "Hips", "spine1": "Spine", "spine2": "Spine1", "spine3": "Spine2",
            "neck": "Neck", "head": "Head", **_sides(_MIXAMO_SIDE, "Left", "Right"),
        }.items()
    },
    "https://www.mixamo.com/ (rigs downloaded as FBX: mixamorig:Hips … mixamorig:RightHandMiddle1)",
    "https://docs.unrealengine.com/5.3/en-US/ik-rig-retargeting-in-unreal-engine/ (Mixamo source chains)",
    bone_axis="+y",
)

_UE5_SIDE = {
    "{s}_hip": "thigh_{S}", "{s}_knee": "calf_{S}", "{s}_ankle": "foot_{S}", "{s}_foot": "ball_{S}",
    "{s}_collar": "clavicle_{S}", "{s}_shoulder": "upperarm_{S}", "{s}_elbow": "lowerarm_{S}",
    "{s}_wrist": "hand_{S}", "{s}_hand": "middle_01_{S}",
}
_UE5 = _preset(
    "ue5",
    "root",
    {
        "pelvis": "pelvis", "spine1": "spine_01", "spine2": "spine_03", "spine3": "spine_05",
        "neck": "neck_01", "head": "head", **_sides(_UE5_SIDE, "l", "r"),
    },
    "https://dev.epicgames.com/documentation/en-us/unreal-engine/skeleton-assets-in-unreal-engine",
    "Unreal Engine 5 Manny / Quinn mannequin skeleton (SK_Mannequin); bone list hard-coded in "
    "Engine/Plugins/Animation/IKRig/Source/IKRigEditor/Private/RigEditor/IKRigAutoCharacterizer.cpp",
    bone_axis="+x",
)

_UNITY_SIDE = {
    "{s}_hip": "{S}UpperLeg", "{s}_knee": "{S}LowerLeg", "{s}_ankle": "{S}Foot", "{s}_foot": "{S}Toes",
    "{s}_collar": "{S}Shoulder", "{s}_shoulder": "{S}UpperArm", "{s}_elbow": "{S}LowerArm",
    "{s}_wrist": "{S}Hand", "{s}_hand": "{S}MiddleProximal",
}
_UNITY = _preset(
    "unity-humanoid",
    "Root",
    {
        "pelvis": "Hips", "spine1": "Spine", "spine2": "Chest", "spine3": "UpperChest",
        "neck": "Neck", "head": "Head", **_sides(_UNITY_SIDE, "Left", "Right"),
    },
    "https://docs.unity3d.com/ScriptReference/HumanBodyBones.html",
    "https://docs.unity3d.com/Manual/ConfiguringtheAvatar.html",
)

SKELETON_PRESETS: dict[str, SkeletonPreset] = {p.name: p for p in (_SMPL, _MIXAMO, _UE5, _UNITY)}
"""`--skeleton` name → its `SkeletonPreset`."""

SKELETON_FOR_TARGET: dict[str, str] = {
    "unity": "unity-humanoid",
    "unreal": "ue5",
    "omniverse": "smpl",
    "blender": "smpl",
}
"""The skeleton preset `--skeleton auto` picks for each engine target."""


def get_skeleton_preset(name: str) -> SkeletonPreset:
    """Look up a skeleton preset, with an error listing the known ones."""
    try:
        return SKELETON_PRESETS[name]
    except KeyError:
        raise InputError(
            f"unknown skeleton preset {name!r}; use one of: {', '.join(SKELETON_PRESETS)} (or auto)"
        ) from None


def resolve_skeleton(name: str, target: str) -> SkeletonPreset:
    """The preset `name` names, or for "auto" the one of engine `target`."""
    if name == "auto":
        return get_skeleton_preset(SKELETON_FOR_TARGET.get(target, "smpl"))
    return get_skeleton_preset(name)


BONE_AXES: tuple[str, ...] = ("world", "+x", "+y")
"""Joint-frame conventions: SMPL's world-aligned frames (Unity's Humanoid reads only
positions and the rest pose), +Y along the bone (Mixamo, Blender's own rigs), +X along
the bone (Unreal's mannequin)."""

PRIMARY_CHILD: dict[str, str] = {"pelvis": "spine1", "spine3": "neck"}
"""For a joint with several children, the one its bone points at (internal names)."""

_FORWARD = np.array([0.0, 0.0, 1.0])
_UP = np.array([0.0, 1.0, 0.0])


def bone_frame(direction: np.ndarray, axis: str) -> np.ndarray:
    """(3, 3) world rotation whose `axis` column is `direction` (normalised) and whose
    roll puts the remaining axes so the Z column leans towards the character's
    front (+Z), or up (+Y) for a bone pointing forward. Right-handed."""
    d = np.asarray(direction, np.float64)
    d = d / np.linalg.norm(d)
    ref = _FORWARD if abs(d @ _FORWARD) < 0.9 else _UP
    z = ref - (ref @ d) * d
    z /= np.linalg.norm(z)
    frame = np.empty((3, 3))
    if axis == "+y":
        frame[:, 1], frame[:, 2] = d, z
        frame[:, 0] = np.cross(d, z)
    else:
        frame[:, 0], frame[:, 2] = d, z
        frame[:, 1] = np.cross(z, d)
    return frame


def reorient_joints(skel: ExportSkeleton, axis: str) -> ExportSkeleton:
    """The same skeleton with each joint's frame turned to the `axis` convention.

    Only joint frames rotate (about each joint's own origin): every joint j gets a
    constant rotation offset O_j, applied to its rest world transform and to its
    world transform at every clip key (B'_j = B_j O_j, G'_j = G_j O_j), so the
    skinning matrices G'_j B'_j⁻¹ = G_j B_j⁻¹, the meshes, the sockets' world frames
    and every clip's motion are unchanged. The root stays the identity. A joint's
    bone points at its child (`PRIMARY_CHILD` when it has several); a leaf's
    continues its parent's bone.

    Args:
        skel: skeleton with internal joint names (root + SMPL-24).
        axis: one of `BONE_AXES`.

    Raises:
        InputError: unknown axis.
    """
    if axis not in BONE_AXES:
        raise InputError(f"bone axis must be one of {', '.join(BONE_AXES)}, got {axis!r}")
    if axis == "world":
        return skel
    from hoiexport.exporters.rig import chain, to_local

    names = list(skel.joint_names)
    parents = np.asarray(skel.parents)
    bind = np.asarray(skel.bind_world, np.float64)
    children: dict[int, list[int]] = {}
    for j, p in enumerate(parents):
        children.setdefault(int(p), []).append(j)
    offset = np.tile(np.eye(4), (len(names), 1, 1))
    for j, name in enumerate(names):
        p = int(parents[j])
        if p < 0:
            continue
        kids = children.get(j, [])
        aim = [k for k in kids if names[k] == PRIMARY_CHILD.get(name)] or (kids if len(kids) == 1 else [])
        d = bind[aim[0], :3, 3] - bind[j, :3, 3] if aim else bind[j, :3, 3] - bind[p, :3, 3]
        if np.linalg.norm(d) < 1e-9:
            continue
        offset[j, :3, :3] = bind[j, :3, :3].T @ bone_frame(d, axis)
    new_bind = bind @ offset
    clips = [
        dataclasses.replace(c, local=np.stack([to_local(chain(k, parents) @ offset, parents) for k in c.local]))
        for c in skel.clips
    ]
    return dataclasses.replace(skel, bind_world=new_bind, rest_local=to_local(new_bind, parents), clips=clips)


def apply_skeleton_preset(scene: ExportScene, preset: SkeletonPreset) -> ExportScene:
    """A copy of `scene` whose joints (and socket metadata) follow the preset.

    Joint frames are turned to the preset's `bone_axis` (`reorient_joints`; the
    motion and the meshes do not change); then joints are renamed. Joint order and
    hierarchy stay. Socket extras' `joint` is renamed too, and
    `scene.metadata["rig"]` records the preset, its bone axis and the map from
    internal (SMPL-24) names to the written ones.

    Args:
        scene: scene with internal joint names (`RIG_ROOT` + SMPL-24).
        preset: the naming preset.

    Raises:
        InputError: a joint that is neither SMPL-24 nor the root.
    """
    skel = reorient_joints(scene.skeleton, preset.bone_axis)
    mapping = {j: preset.rename(j) for j in skel.joint_names}
    new_skel = dataclasses.replace(skel, joint_names=[mapping[j] for j in skel.joint_names])
    sockets = [
        dataclasses.replace(s, extras={**s.extras, "joint": mapping.get(s.extras.get("joint", ""), s.extras.get("joint"))})
        for s in scene.sockets
    ]
    rig = dict(scene.metadata.get("rig", {}))
    rig.update({"skeleton": preset.name, "bone_axis": preset.bone_axis, "joint_names": mapping})
    return dataclasses.replace(scene, skeleton=new_skel, sockets=sockets, metadata={**scene.metadata, "rig": rig})
