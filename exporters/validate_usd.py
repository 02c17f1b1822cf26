"""USD validation: every validator registered with OpenUSD's `pxr.UsdValidation`,
plus house rules on stage metadata and UsdSkel skinning.

OpenUSD 26.x replaced `UsdUtils.ComplianceChecker` with the validation framework:
validators are plugins (usdValidation, usdGeomValidators, usdShadeValidators,
usdSkelValidators, usdUtilsValidators — which holds the usdz package rules —,
usdPhysicsValidators, …) collected by `UsdValidation.ValidationRegistry` and run
on a stage by a `UsdValidation.ValidationContext`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pxr import Sdf, Tf, Usd, UsdGeom, UsdSkel, UsdValidation

from hoiexport.exporters.validate import (
    HouseRule,
    Severity,
    ValidationMessage,
    run_house_rules,
)

WEIGHT_SUM_TOLERANCE = 2e-3
"""Largest |sum of a point's joint weights − 1| the house rule accepts."""

MAX_INFLUENCES = 4
"""Most joints (non-zero weights) one point may be bound to (DESIGN §8 step 4)."""

STAGE = "/"
"""Location of stage-level findings; UsdValidation reports its stage checks there too."""

_SEVERITY: dict[str, Severity] = {"Error": "error", "Warn": "warning", "Info": "info"}


def openusd_version() -> str:
    """E.g. "OpenUSD 0.26.11"."""
    return "OpenUSD " + ".".join(str(v) for v in Usd.GetVersion())


def all_validators() -> list[UsdValidation.Validator]:
    """Every validator the registry knows, loading their plugins on first use."""
    return list(UsdValidation.ValidationRegistry().GetOrLoadAllValidators())


def _site_location(error: UsdValidation.ValidationError) -> str:
    for site in error.GetSites():
        if site.IsProperty():
            return str(site.GetProperty().GetPath())
        if site.IsPrim():
            return str(site.GetPrim().GetPath())
        layer = site.GetLayer()
        if layer:
            return layer.identifier
    return ""


def run_openusd(stage: Usd.Stage) -> list[ValidationMessage]:
    """Run every registered `UsdValidation` validator on `stage`.

    Returns:
        One finding per validation error; its code is the error identifier,
        "<validator>.<ErrorName>", e.g.
        "usdGeomValidators:StageMetadataChecker.MissingUpAxisMetadata".
    """
    context = UsdValidation.ValidationContext(all_validators())
    out = []
    for error in context.Validate(stage):
        if error.HasNoError():
            continue
        severity = _SEVERITY.get(error.GetType().displayName, "error")
        out.append(
            ValidationMessage(severity, error.GetIdentifier(), error.GetMessage(), _site_location(error), "openusd")
        )
    return out


# ---------------------------------------------------------------------------
# House rules.


def check_up_axis(stage: Usd.Stage) -> list[ValidationMessage]:
    """The stage authors upAxis as "Y" or "Z"."""
    if not stage.HasAuthoredMetadata(UsdGeom.Tokens.upAxis):
        return [ValidationMessage("error", "hoi:UpAxis", "upAxis is not authored; author \"Y\" or \"Z\" "
                                  "(the engine preset's axis)", STAGE)]
    axis = stage.GetMetadata(UsdGeom.Tokens.upAxis)
    if axis not in (UsdGeom.Tokens.y, UsdGeom.Tokens.z):
        return [ValidationMessage("error", "hoi:UpAxis", f"upAxis is {axis!r}; USD allows only \"Y\" or \"Z\"", STAGE)]
    return []


def check_meters_per_unit(stage: Usd.Stage) -> list[ValidationMessage]:
    """The stage authors metersPerUnit as a positive finite number."""
    if not UsdGeom.StageHasAuthoredMetersPerUnit(stage):
        return [ValidationMessage("error", "hoi:MetersPerUnit", "metersPerUnit is not authored; author it "
                                  "(1.0 for metres, 0.01 for centimetres)", STAGE)]
    mpu = UsdGeom.GetStageMetersPerUnit(stage)
    if not (math.isfinite(mpu) and mpu > 0):
        return [ValidationMessage("error", "hoi:MetersPerUnit", f"metersPerUnit is {mpu}; it must be a "
                                  "positive number of metres per scene unit", STAGE)]
    return []


def check_default_prim(stage: Usd.Stage) -> list[ValidationMessage]:
    """The root layer's defaultPrim names a defined (not over / class) root prim."""
    layer = stage.GetRootLayer()
    if not layer.HasDefaultPrim():
        return [ValidationMessage("error", "hoi:DefaultPrim", "defaultPrim is not set; set it to the asset's "
                                  "root prim so the file can be referenced", STAGE)]
    prim = stage.GetDefaultPrim()
    if not prim or not prim.IsDefined() or prim.IsAbstract():
        what = "missing" if not prim else ("a class" if prim.IsAbstract() else "only an over")
        return [ValidationMessage("error", "hoi:DefaultPrim", f"defaultPrim {layer.defaultPrim!r} is {what}; "
                                  "point it at a defined root prim", STAGE)]
    return []


@dataclass
class SkinTarget:
    """One skinned prim's influences as UsdSkel resolves them.

    Attributes:
        path: the skinned prim.
        indices: (P, n) int joint indices into the prim's joint order.
        weights: (P, n) float joint weights; P = 1 for constant interpolation.
        num_joints: joints in the prim's joint order (its skel:joints or the
            bound skeleton's joints).
    """

    path: str
    indices: np.ndarray
    weights: np.ndarray
    num_joints: int


def skin_targets(stage: Usd.Stage) -> list[SkinTarget]:
    """Every skinned prim under a SkelRoot, through `UsdSkel.Cache` bindings."""
    cache = UsdSkel.Cache()
    out = []
    for prim in stage.Traverse():
        if not prim.IsA(UsdSkel.Root):
            continue
        root = UsdSkel.Root(prim)
        cache.Populate(root, Usd.PrimDefaultPredicate)
        for binding in cache.ComputeSkelBindings(root, Usd.PrimDefaultPredicate):
            skel_joints = binding.GetSkeleton().GetJointsAttr().Get() or []
            for query in binding.GetSkinningTargets():
                result = query.ComputeJointInfluences()
                if not result:
                    continue
                indices, weights = result
                n = max(int(query.GetNumInfluencesPerComponent()), 1)
                order = query.GetJointOrder()
                out.append(
                    SkinTarget(
                        str(query.GetPrim().GetPath()),
                        np.asarray(indices, np.int64).reshape(-1, n),
                        np.asarray(weights, np.float64).reshape(-1, n),
                        len(order) if order else len(skel_joints),
                    )
                )
    return out


def check_skin_weights_normalised(stage: Usd.Stage) -> list[ValidationMessage]:
    """Each skinned point's joint weights sum to 1 within 2e-3."""
    found = []
    for t in skin_targets(stage):
        sums = t.weights.sum(axis=1)
        off = np.abs(sums - 1.0)
        bad = np.flatnonzero(off > WEIGHT_SUM_TOLERANCE)
        if bad.size:
            worst = int(bad[np.argmax(off[bad])])
            found.append(ValidationMessage(
                "error", "hoi:SkinWeightsNormalised",
                f"{bad.size} of {sums.size} points have joint weights whose sum is off 1 by more than "
                f"{WEIGHT_SUM_TOLERANCE:g} (worst: point {worst}, sum {sums[worst]:.6f}); renormalise the weights",
                t.path,
            ))
    return found


def check_skin_influences(stage: Usd.Stage) -> list[ValidationMessage]:
    """Each skinned point has at most 4 joints with a non-zero weight."""
    found = []
    for t in skin_targets(stage):
        counts = (t.weights > 0).sum(axis=1)
        bad = np.flatnonzero(counts > MAX_INFLUENCES)
        if bad.size:
            found.append(ValidationMessage(
                "error", "hoi:SkinInfluencesAtMost4",
                f"{bad.size} of {counts.size} points are bound to more than {MAX_INFLUENCES} joints "
                f"(most: {int(counts.max())}); keep the top-4 influences and renormalise",
                t.path,
            ))
    return found


def check_skin_joint_indices(stage: Usd.Stage) -> list[ValidationMessage]:
    """Every joint index with a non-zero weight names a joint of the prim's joint order."""
    found = []
    for t in skin_targets(stage):
        used = t.indices[t.weights > 0]
        bad = used[(used < 0) | (used >= t.num_joints)]
        if bad.size:
            found.append(ValidationMessage(
                "error", "hoi:SkinJointIndices",
                f"{bad.size} joint indices lie outside 0..{t.num_joints - 1} (e.g. {int(bad[0])}); "
                "index the skeleton's joints",
                t.path,
            ))
    return found


USD_HOUSE_RULES: tuple[HouseRule[Usd.Stage], ...] = (
    HouseRule("hoi:UpAxis", 'The stage authors upAxis as "Y" or "Z".', check_up_axis,
              ("usdGeomValidators:StageMetadataChecker.MissingUpAxisMetadata",)),
    HouseRule("hoi:MetersPerUnit", "The stage authors metersPerUnit as a positive finite number.",
              check_meters_per_unit, ("usdGeomValidators:StageMetadataChecker.MissingMetersPerUnitMetadata",)),
    HouseRule("hoi:DefaultPrim", "The root layer's defaultPrim names a defined (not over / class) root prim.",
              check_default_prim, ("usdValidation:StageMetadataChecker.MissingDefaultPrim",)),
    HouseRule("hoi:SkinWeightsNormalised", "Each skinned point's joint weights sum to 1 within 2e-3.",
              check_skin_weights_normalised),
    HouseRule("hoi:SkinInfluencesAtMost4", "Each skinned point has at most 4 joints with a non-zero weight.",
              check_skin_influences),
    HouseRule("hoi:SkinJointIndices", "Every joint index with a non-zero weight names a joint of the prim's "
              "joint order.", check_skin_joint_indices),
)
"""The USD house rules, run after `pxr.UsdValidation` on every stage."""


# ---------------------------------------------------------------------------


def _tf_messages(exc: Exception) -> str:
    """The quoted messages of a Tf.ErrorException, without C++ file and line noise."""
    text = str(exc)
    found = re.findall(r" : '(.*?)'\s*(?=\n\s*Error in |\Z)", text, flags=re.S)
    return "; ".join(m.strip() for m in found) if found else text.strip()


def open_stage(path: Path) -> Usd.Stage:
    """Open `path` fresh (a layer already in memory is reloaded from disk).

    Raises:
        ValueError: USD cannot open the file; the message says why.
    """
    layer = Sdf.Layer.Find(str(path))
    try:
        if layer is not None:
            layer.Reload(True)
        stage = Usd.Stage.Open(str(path), Usd.Stage.LoadAll)
    except Tf.ErrorException as exc:
        raise ValueError(_tf_messages(exc)) from None
    if stage is None:
        raise ValueError(f"USD could not open {path}")
    return stage


def validate_usd_file(path: Path) -> tuple[list[ValidationMessage], str]:
    """Every `pxr.UsdValidation` validator, then `USD_HOUSE_RULES`, on one file.

    A file USD cannot open yields one error "USD_OPEN_FAILED" with USD's reason.

    Returns:
        (findings, validator version string).
    """
    version = openusd_version()
    try:
        stage = open_stage(path)
    except ValueError as exc:
        return [ValidationMessage("error", "USD_OPEN_FAILED", f"cannot open as USD: {exc}", "", "openusd")], version
    upstream = run_openusd(stage)
    return upstream + run_house_rules(USD_HOUSE_RULES, stage, upstream), version
