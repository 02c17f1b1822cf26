"""UsdSkel gatherers for the USD writer: Skeleton, SkelAnimation and skin bindings.

All inputs are in the internal frame (+Y up, metres); every transform is converted
to the preset's USD frame with `TargetPreset.to_usd_transforms` (M T M⁻¹, rigid).

USD matrices are row-vector (`p' = p · M`), so a column-vector numpy transform T is
authored as Tᵀ; `usd_matrices` is the one place that transposes.
"""

from __future__ import annotations

import numpy as np
from pxr import Gf, Sdf, Tf, Usd, UsdSkel, Vt

from hoiexport.exporters.presets import TargetPreset
from hoiexport.exporters.scene import ExportMesh, ExportSkeleton
from hoiexport.exporters.skeletons import usd_identifier
from hoiexport.exporters.skin import MAX_INFLUENCES
from hoiexport.sdk.core.errors import ExportError

POSE_TOLERANCE_M = 1e-4
"""Largest distance, metres, between `bind_world` and the chained `rest_local`."""


def usd_matrices(transforms: np.ndarray) -> Vt.Matrix4dArray:
    """(N, 4, 4) column-vector transforms → USD's row-vector `Vt.Matrix4dArray`."""
    t = np.ascontiguousarray(np.transpose(np.asarray(transforms, np.float64), (0, 2, 1)))
    return Vt.Matrix4dArray.FromNumpy(t)


def usd_matrix(transform: np.ndarray) -> Gf.Matrix4d:
    """One (4, 4) column-vector transform → USD's row-vector `Gf.Matrix4d`."""
    return Gf.Matrix4d(np.asarray(transform, np.float64).T.tolist())


def interaction_world(skeleton: ExportSkeleton) -> np.ndarray:
    """(J, 4, 4) float64 joint-to-world transforms of the first clip (`interaction`)."""
    local = np.asarray(skeleton.clips[0].local[0], np.float64)
    world = np.empty_like(local)
    for j, p in enumerate(np.asarray(skeleton.parents)):
        world[j] = local[j] if p < 0 else world[p] @ local[j]
    return world


def chain_world(skeleton: ExportSkeleton) -> np.ndarray:
    """(J, 4, 4) float64 joint-to-world transforms obtained by chaining `rest_local`."""
    local = np.asarray(skeleton.rest_local, np.float64)
    world = np.empty_like(local)
    for j, p in enumerate(np.asarray(skeleton.parents)):
        world[j] = local[j] if p < 0 else world[p] @ local[j]
    return world


def check_skeleton(skeleton: ExportSkeleton) -> None:
    """Check shapes, joint names, parent order and that the pose chains to the bind pose.

    Raises:
        ExportError: naming the field at fault.
    """
    names = skeleton.joint_names
    j = len(names)
    parents = np.asarray(skeleton.parents)
    if j == 0:
        raise ExportError("export skeleton has no joints; the scene needs the SMPL-24 skeleton")
    for field in ("bind_world", "rest_local"):
        shape = np.shape(getattr(skeleton, field))
        if shape != (j, 4, 4):
            raise ExportError(f"skeleton.{field} must be ({j}, 4, 4) for {j} joints, got {shape}")
    if parents.shape != (j,):
        raise ExportError(f"skeleton.parents must be ({j},), got {parents.shape}")
    for i, (name, p) in enumerate(zip(names, parents, strict=True)):
        if not Sdf.Path.IsValidIdentifier(usd_identifier(name)):
            raise ExportError(
                f"skeleton joint {i} name {name!r} is not a valid USD identifier; "
                "use letters, digits and underscores"
            )
        if (i == 0) != (p == -1) or p >= i:
            raise ExportError(
                f"skeleton joint {name!r} has parent {int(p)}; joint 0 must be the only root (-1) "
                "and every parent must come before its children"
            )
    if len(set(names)) != j:
        raise ExportError("skeleton.joint_names has duplicates; joint names must be unique")
    for field in ("bind_world", "rest_local"):
        if not np.isfinite(np.asarray(getattr(skeleton, field), np.float64)).all():
            raise ExportError(f"skeleton.{field} has NaN or inf values")
    gap = np.abs(chain_world(skeleton) - np.asarray(skeleton.bind_world, np.float64))
    if gap.max() > POSE_TOLERANCE_M:
        worst = names[int(np.argmax(gap.reshape(j, -1).max(axis=1)))]
        raise ExportError(
            f"skeleton.rest_local does not chain to skeleton.bind_world (off by {gap.max():.3g} at "
            f"joint {worst!r}); the meshes must be bound in the rest pose"
        )


def usd_joint_names(skeleton: ExportSkeleton) -> list[str]:
    """The joint names as USD identifiers (`skeletons.usd_identifier`)."""
    return [usd_identifier(n) for n in skeleton.joint_names]


def joint_paths(skeleton: ExportSkeleton) -> list[str]:
    """UsdSkel joint tokens: each joint's path from the root, e.g. "root/pelvis/spine1"
    (names as USD identifiers: `mixamorig:Hips` → `mixamorig_Hips`)."""
    paths: list[str] = []
    for name, p in zip(usd_joint_names(skeleton), np.asarray(skeleton.parents), strict=True):
        paths.append(name if p < 0 else f"{paths[p]}/{name}")
    return paths


def define_skeleton(
    stage: Usd.Stage, path: Sdf.Path, skeleton: ExportSkeleton, preset: TargetPreset
) -> UsdSkel.Skeleton:
    """Author a UsdSkel Skeleton and one SkelAnimation per clip.

    The Skeleton holds joints (path tokens), jointNames, bindTransforms (the rest
    pose, joint-to-skeleton-space) and restTransforms (the rest pose, local). Each
    clip becomes `<path>/<clip name>` with translations, rotations (quatf) and scales
    sampled at time code t · timeCodesPerSecond (and, for the one-key `interaction`,
    also at the default time). `interaction` is bound with skel:animationSource, so
    a USD viewer shows the generated pose; `approach` is there to bind instead.

    Args:
        stage: stage to author on (its timeCodesPerSecond converts clip seconds).
        path: the Skeleton prim path (under the SkelRoot).
        skeleton: checked export skeleton, internal frame.
        preset: target preset (axes, units).
    """
    tokens = Vt.TokenArray(joint_paths(skeleton))
    bind = preset.to_usd_transforms(skeleton.bind_world)
    rest = preset.to_usd_transforms(skeleton.rest_local)

    skel = UsdSkel.Skeleton.Define(stage, path)
    skel.CreateJointsAttr(tokens)
    skel.CreateJointNamesAttr(Vt.TokenArray(usd_joint_names(skeleton)))
    skel.CreateBindTransformsAttr(usd_matrices(bind))
    skel.CreateRestTransformsAttr(usd_matrices(rest))

    fps = stage.GetTimeCodesPerSecond()
    bound = None
    for clip in skeleton.clips:
        anim = UsdSkel.Animation.Define(stage, path.AppendChild(Tf.MakeValidIdentifier(clip.name)))
        anim.CreateJointsAttr(tokens)
        attrs = (anim.CreateTranslationsAttr(), anim.CreateRotationsAttr(), anim.CreateScalesAttr())
        local = preset.to_usd_transforms(np.asarray(clip.local, np.float64))
        for time, key in zip(np.asarray(clip.times, np.float64), local, strict=True):
            values = UsdSkel.DecomposeTransforms(usd_matrices(key))
            for attr, value in zip(attrs, values, strict=True):
                attr.Set(value, Usd.TimeCode(float(time) * fps))
                if len(clip.times) == 1:
                    attr.Set(value)
        if bound is None:
            bound = anim
    if bound is not None:
        UsdSkel.BindingAPI.Apply(skel.GetPrim()).CreateAnimationSourceRel().SetTargets([bound.GetPath()])
    return skel


def bind_mesh(prim: Usd.Prim, mesh: ExportMesh, skeleton: UsdSkel.Skeleton, num_joints: int) -> None:
    """Apply UsdSkel.BindingAPI to a mesh prim and author its joint influences.

    A rigid mesh (`mesh.rigid_joint` set) gets constant interpolation, elementSize 1,
    weight 1; any other mesh gets per-vertex top-4 influences (elementSize 4). The
    mesh points are authored in skeleton space, so geomBindTransform is the identity.

    Raises:
        ExportError: influences with the wrong shape, out-of-range joints or
            weights that do not sum to 1.
    """
    binding = UsdSkel.BindingAPI.Apply(prim)
    binding.CreateSkeletonRel().SetTargets([skeleton.GetPath()])
    binding.CreateGeomBindTransformAttr(Gf.Matrix4d(1.0))
    if mesh.rigid_joint is not None:
        j = int(mesh.rigid_joint)
        if not 0 <= j < num_joints:
            raise ExportError(f"mesh {mesh.name!r} rigid_joint {j} is outside 0..{num_joints - 1}")
        binding.CreateJointIndicesPrimvar(True, 1).Set(Vt.IntArray([j]))
        binding.CreateJointWeightsPrimvar(True, 1).Set(Vt.FloatArray([1.0]))
        return
    v = len(mesh.vertices)
    joints = np.asarray(mesh.joints)
    weights = np.asarray(mesh.weights, np.float32)
    if joints.shape != (v, MAX_INFLUENCES) or weights.shape != (v, MAX_INFLUENCES):
        raise ExportError(
            f"mesh {mesh.name!r} joints / weights must be ({v}, {MAX_INFLUENCES}), "
            f"got {joints.shape} / {weights.shape}; keep the top-4 influences"
        )
    used = joints[weights > 0]
    if used.size and (used.min() < 0 or used.max() >= num_joints):
        raise ExportError(f"mesh {mesh.name!r} joint indices lie outside 0..{num_joints - 1}")
    sums = weights.sum(axis=1, dtype=np.float64)
    if not np.isfinite(weights).all() or weights.min() < 0 or np.abs(sums - 1.0).max() > 1e-3:
        raise ExportError(
            f"mesh {mesh.name!r} weights must be finite, non-negative and sum to 1 per vertex "
            f"(worst sum {sums[np.argmax(np.abs(sums - 1.0))]:.4f}); renormalise them"
        )
    # zero-weight slots point at joint 0 so every authored index is in range
    indices = np.where(weights > 0, joints, 0).astype(np.int32)
    binding.CreateJointIndicesPrimvar(False, MAX_INFLUENCES).Set(Vt.IntArray.FromNumpy(indices.ravel()))
    binding.CreateJointWeightsPrimvar(False, MAX_INFLUENCES).Set(
        Vt.FloatArray.FromNumpy(np.ascontiguousarray(weights / sums[:, None], np.float32).ravel())
    )
