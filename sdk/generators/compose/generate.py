"""`ComposeGenerator`: a resolved `Prompt` → `HOIAsset` on the CPU (registry name "compose").

The compose generator (docs/architecture.md §7); the application floor
(`hoiexport.generate`) has already resolved the prompt (`sdk.prompt.resolve_prompt`:
parsing, overrides, the support-contact rule):

2. body shape: Anny phenotypes from the prompt's body words, adult defaults
   otherwise (`body_shape`);
3. build the procedural object (`objects.make_object`);
4. stage the interaction (`interaction.plan_interaction` / `build_problem`:
   pose prior from the action library with seeded variation, analytic initial
   placement from the object's anchors);
5. optimise body and object placement (`placement.optimise_placement`);
6. pose the body (`BodyModel.fit`), split its UV seams so exports keep Anny's
   UVs, colour it from the prompt (`appearance`);
7. *measure* contacts, configuration and penetration (`contacts.analyze_asset`).
   When the measured configuration differs from the requested one, the
   penetration exceeds `ComposeOptions.max_penetration_cm`, or a touching
   part is farther than `max_gap_m` from the object, the next seed is tried
   (up to `max_attempts`); then `GenerationError`.

Timings: "total" covers steps 2–7 of every attempt; loading the body model
(once per process) is reported apart as "body_model_load" (the application floor
adds the parse time to both "parse" and "total").

Deterministic: the same prompt, arguments and seed give the same asset (numpy
generators seeded per stage, torch on one thread); only provenance timings vary.
All geometry is in the internal frame (+Y up, metres, the character faces +Z),
the floor is y = 0.
"""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hoiexport.sdk.bodies import BodyParams, load_body_model
from hoiexport.sdk.bodies.anny_body import PHENOTYPES
from hoiexport.sdk.bodies.grasp import (
    FingeredBody,
    FingerPose,
    GraspOptions,
    apply_finger_poses,
    close_fingers,
    fingers_note,
)
from hoiexport.sdk.bodies.pose_library import sample_pose
from hoiexport.sdk.generators.compose.appearance import (
    appearance_from_prompt,
    body_regions,
    region_colors,
    region_pbr,
)
from hoiexport.sdk.generators.compose.interaction import InteractionPlan, body_sites, build_problem, plan_interaction
from hoiexport.sdk.generators.compose.objects import ProceduralObject, make_object
from hoiexport.sdk.generators.compose.placement import (
    BodyRig,
    ObjectSurface,
    PlacementOptions,
    optimise_placement,
)
from hoiexport.sdk.generators.compose.prop import prop_object
from hoiexport.sdk.contacts import ContactOptions, analyze_asset
from hoiexport.sdk.core.errors import GenerationError, InputError
from hoiexport.sdk.core.threads import limit_threads
from hoiexport.sdk.core.types import ContactConfig, HOIAsset, Mesh, Penetration, Prompt, Provenance
from hoiexport.sdk.generators.base import GenerationOptions
from hoiexport.sdk.geometry.normals import vertex_normals
from hoiexport.sdk.geometry.surface import SurfaceQuery

ADULT_AGE = 0.67
"""Anny age phenotype used when the prompt names no age (young adult)."""
ADULT_HEIGHT = 0.35
"""Anny height phenotype used when the prompt names no height (≈1.75 m men, 1.61 m women)."""
HEIGHT_WORD_SCALE = 0.5
"""Prompt height words move the height phenotype by this fraction of their distance
from 0.5 ("tall" 0.8 → 0.50, ≈1.91 m for a man; "short" 0.2 → 0.20)."""


@dataclass(frozen=True)
class ComposeOptions:
    """Settings of the compose generator.

    Attributes:
        max_attempts: seeds tried (seed, seed + 1, ...) before giving up.
        max_penetration_cm: largest accepted penetration depth, both ways, cm.
        max_gap_m: largest accepted distance between a part the interaction
            touches with (a hand, a foot, the back) and the object, metres;
            for "other" (sitting, lying, standing on) one touching part within
            it is enough, the others touching by the 4 cm rule.
        placement: optimiser settings.
        contact: contact-analysis settings (the measurement of the result).
        body_model: body model name.
        grasp: how the hands' fingers close (`bodies.grasp`): the hands the
            plan touches with close round the object with the plan's grip, the
            others take a relaxed curl; None leaves Anny's rest hands.
    """

    max_attempts: int = 4
    max_penetration_cm: float = 0.5
    max_gap_m: float = 0.01
    placement: PlacementOptions = field(default_factory=PlacementOptions)
    contact: ContactOptions = field(default_factory=ContactOptions)
    body_model: str = "anny"
    grasp: GraspOptions | None = field(default_factory=GraspOptions)

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise InputError(f"ComposeOptions.max_attempts must be an integer >= 1, got {self.max_attempts!r}")
        if not self.max_penetration_cm >= 0:
            raise InputError(f"ComposeOptions.max_penetration_cm must be >= 0, got {self.max_penetration_cm!r}")


@dataclass
class Attempt:
    """One seed's try: its asset (or None) and why it was rejected."""

    seed: int
    asset: HOIAsset | None
    reason: str | None
    timings_s: dict[str, float]


def body_shape(prompt: Prompt, rng: np.random.Generator, overrides: dict[str, float] | None = None) -> dict[str, float]:
    """Anny phenotype (all 6 values in [0, 1]) from the prompt's body words.

    Age defaults to `ADULT_AGE`, height to `ADULT_HEIGHT` (prompt height words are
    scaled by `HEIGHT_WORD_SCALE` around it), gender to a seeded choice of male
    (0) or female (1) when neither a noun nor a pronoun says; muscle, weight and
    proportions default to 0.5. `overrides` win over everything.

    Raises:
        InputError: an unknown phenotype name or a value outside [0, 1].
    """
    hints = dict(prompt.attributes.get("body") or {})
    gender_draw = float(rng.integers(2))  # always drawn: the stream stays aligned
    shape = {name: 0.5 for name in PHENOTYPES}
    shape["age"] = ADULT_AGE
    shape["height"] = ADULT_HEIGHT
    shape["gender"] = gender_draw
    for key in ("gender", "age", "muscle", "weight", "proportions"):
        if key in hints:
            shape[key] = float(hints[key])
    if "height" in hints:
        shape["height"] = float(np.clip(ADULT_HEIGHT + (float(hints["height"]) - 0.5) * HEIGHT_WORD_SCALE, 0.0, 1.0))
    for key, value in (overrides or {}).items():
        if key not in PHENOTYPES:
            raise InputError(f"unknown body shape {key!r}; use {', '.join(PHENOTYPES)} (floats in [0, 1])")
        if not 0.0 <= float(value) <= 1.0:
            raise InputError(f"body shape {key!r} must be in [0, 1], got {value!r}")
        shape[key] = float(value)
    return shape


def object_action(prompt: Prompt) -> str | None:
    """The action hint passed to the object library: a suitcase pulled along or held
    in one hand gets its trolley handle extended."""
    one_hand = prompt.requested_config in (ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND)
    if prompt.object == "suitcase" and one_hand and prompt.action in ("carry", "hold", "lift", "drag", "pull", "push"):
        return "drag"
    return prompt.action


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("hoiexport", "anny", "torch", "numpy", "scipy", "trimesh"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


PRESETS: dict[str, Callable[[], ComposeOptions]] = {"default": ComposeOptions}
"""Settings presets by name (`registry.make_settings`); compose has one."""


class ComposeGenerator:
    """The compose generator behind the `Generator` protocol (registry name "compose")."""

    name = "compose"

    def unavailable(self) -> str | None:
        """Always None: compose needs only the CPU and the embedded body model."""
        return None

    def close(self) -> None:
        """Nothing to release (the body model is the process's shared cache)."""

    def __call__(self, prompt: Prompt, seed: int, options: GenerationOptions) -> HOIAsset:
        """Generate one human–object interaction for a resolved prompt.

        Args:
            prompt: the resolved `Prompt` (object category, action, requested
                configuration and parts).
            seed: random seed; attempts use seed, seed + 1, ...
                (`ComposeOptions.max_attempts`).
            options: `options.body` = Anny phenotype overrides (floats in
                [0, 1]); `options.settings` = `ComposeOptions` or None.

        Returns:
            The `HOIAsset`: human = Anny's posed surface with its UVs (seams
            split) and vertex colours; contacts, configuration and penetration
            measured on the result; provenance with the seed used, stage
            timings and versions.

        Raises:
            InputError: bad settings, or an interaction the compose generator
                cannot stage (the message says why).
            ModelUnavailableError: the body model is missing.
            GenerationError: no attempt met the requested configuration and the
                penetration limit.
        """
        opts = options.settings if options.settings is not None else ComposeOptions()
        if not isinstance(opts, ComposeOptions):
            raise InputError(f"the compose generator takes ComposeOptions settings, got {type(opts).__name__}")
        overrides = dict(options.body)
        prop = prop_object(options.object_mesh, prompt.object or "prop") if options.object_mesh is not None else None
        t_load = time.perf_counter()
        model = load_body_model(opts.body_model)  # type: ignore[arg-type]  # cached after the first call
        t0 = time.perf_counter()
        t_load = t0 - t_load
        attempts: list[Attempt] = []
        with limit_threads(torch_threads=1):  # reproducible reductions
            for k in range(opts.max_attempts):
                attempt = _attempt(prompt, int(seed) + k, model, opts, overrides, prop)
                attempts.append(attempt)
                if attempt.asset is not None:
                    asset = attempt.asset
                    prov = asset.provenance
                    prov.timings_s = {"body_model_load": t_load, **attempt.timings_s,
                                      "total": time.perf_counter() - t0}
                    prov.notes["requested_seed"] = int(seed)
                    prov.notes["attempts"] = [{"seed": a.seed, "rejected": a.reason} for a in attempts]
                    return asset
        reasons = "; ".join(f"seed {a.seed}: {a.reason}" for a in attempts)
        cfg = prompt.requested_config.value if prompt.requested_config else "?"
        raise GenerationError(
            f"could not generate {prompt.action!r} with a {prompt.object} and contact {cfg!r} for prompt "
            f"{prompt.text!r} in {opts.max_attempts} attempts ({reasons}); try another seed, object or contact"
        )


def _attempt(prompt: Prompt, seed: int, model, opts: ComposeOptions, overrides: dict[str, float],
             prop: ProceduralObject | None = None) -> Attempt:
    """One seed: build (or take the user's `prop`), place, measure. Returns the
    asset or the rejection reason."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    streams = np.random.SeedSequence(seed).spawn(5)
    rng_shape, rng_object, rng_pose, rng_place, rng_look = (np.random.default_rng(s) for s in streams)
    shape = body_shape(prompt, rng_shape, overrides)
    attrs = prompt.attributes
    colors = attrs.get("colors") or {}
    obj = prop if prop is not None else make_object(
        prompt.object or "box",
        rng_object,
        color=tuple(colors["object"]) if "object" in colors else None,
        material=attrs.get("material"),
        variant=attrs.get("object_variant"),
        action=object_action(prompt),
    )
    timings["object"] = time.perf_counter() - t

    t = time.perf_counter()
    rig = BodyRig(model, shape)
    sites = body_sites(rig)
    surface = ObjectSurface(obj.mesh, opts.placement.sample_spacing_m)
    plan = plan_interaction(prompt, obj)
    pose = sample_pose(plan.pose, plan.side, rng_pose)
    staging = build_problem(plan, rig, sites, obj, surface, pose, rng_place)
    timings["stage"] = time.perf_counter() - t

    t = time.perf_counter()
    result = optimise_placement(rig, surface, staging.problem, opts.placement)
    timings["placement"] = time.perf_counter() - t

    t = time.perf_counter()
    # centre the scene on the body: pelvis above the origin, floor unchanged
    pelvis = rig.posed_numpy(result.pose, result.transl)[1][0, :3, 3]
    shift = np.array([-pelvis[0], 0.0, -pelvis[2]])
    transl = result.transl + shift
    params = BodyParams(pose=result.pose.astype(np.float32), shape=shape, transl=transl.astype(np.float32))
    fit = model.fit(params)
    object_vertices = obj.mesh.vertices.astype(np.float64) @ result.object_rotation.T \
        + result.object_translation + shift
    object_mesh = Mesh(object_vertices.astype(np.float32), obj.mesh.faces, uv=obj.mesh.uv,
                       colors=obj.mesh.colors, texture=obj.mesh.texture, name=obj.category, pbr=obj.mesh.pbr)
    timings["body"] = time.perf_counter() - t

    t = time.perf_counter()
    fingers = _close_hands(model, params, plan, object_mesh, opts.grasp)
    if fingers:
        fit = apply_finger_poses(model, fit, fingers)  # baked into the body and (below) the human mesh
    timings["fingers"] = time.perf_counter() - t

    t = time.perf_counter()
    human, vertex_map = model.uv_mesh(fit.mesh)
    look = appearance_from_prompt(prompt, rng_look)
    rest = rig.rest_vertices.numpy().astype(np.float64)
    regions = body_regions(rest, vertex_normals(rest, rig.faces), rig.rest_joints.numpy(), rig.part_labels,
                           rig.weights.numpy(), look)
    human.colors = region_colors(regions, look)[vertex_map]
    human.pbr = region_pbr(regions[vertex_map], human.faces)
    human.name = "human"
    timings["body"] += time.perf_counter() - t

    t = time.perf_counter()
    report = analyze_asset(fit, human, object_mesh, opts.contact)
    timings["contacts"] = time.perf_counter() - t
    pen = report.penetration
    requested = prompt.requested_config or ContactConfig.NO_CONTACT  # what plan_interaction staged
    reason = None
    gaps = {p: report.part_distance_m[p] for p in plan.touch if report.part_distance_m[p] > opts.max_gap_m}
    if requested is ContactConfig.OTHER and any(c.distance_m <= opts.max_gap_m for c in report.contacts):
        # a body resting on a support: one part within the gap, the others touching (4 cm) is enough;
        # a backrest the text names still needs the back within the gap
        gaps = {p: d for p, d in gaps.items() if p == "back"}
    if report.contact_config is not requested:
        touching = ", ".join(report.touching_parts) or "nothing"
        reason = f"measured {report.contact_config.value} (touching: {touching}), requested {requested.value}"
    elif pen is not None and pen.max_depth_cm > opts.max_penetration_cm:
        reason = f"penetration {pen.max_depth_cm:.2f} cm > {opts.max_penetration_cm} cm"
    elif gaps:
        reason = "gap " + ", ".join(f"{p} {100 * d:.1f} cm" for p, d in gaps.items()) + \
            f" > {100 * opts.max_gap_m:.0f} cm"
    if reason is not None:
        return Attempt(seed, None, reason, timings)

    provenance = Provenance(
        generator="compose",
        models={"anny": _versions()["anny"], "compose": _versions()["hoiexport"]},
        seed=seed,
        versions=_versions(),
        notes={
            "mode": plan.mode,
            "pose": plan.pose,
            "side": plan.side,
            "object": {"category": obj.category, "kind": obj.kind, "style": dict(obj.style),
                       "variant": obj.variant, "dims_m": {k: round(v, 4) for k, v in obj.dims.items()}},
            "staging": _plain(staging.notes),
            "placement": {"losses": {k: round(v, 5) for k, v in result.losses.items()},
                          "evaluations": result.steps},
            "appearance": look.to_json(),
            "body_shape": {k: round(v, 4) for k, v in shape.items()},
            "fingers": fingers_note(fingers) if fingers else None,
        },
    )
    asset = HOIAsset(
        prompt=prompt,
        human=human,
        object=object_mesh,
        body=fit,
        contacts=report.contacts,
        contact_config=report.contact_config,
        penetration=pen if pen is not None else Penetration(),  # not measured (ContactOptions.penetration=None)
        provenance=provenance,
    )
    return Attempt(seed, asset, None, timings)


def _close_hands(model: Any, params: BodyParams, plan: InteractionPlan, object_mesh: Mesh,
                 options: GraspOptions | None) -> list[FingerPose]:
    """Both hands' finger poses (`bodies.grasp`): a hand the plan touches with
    (`InteractionPlan.touch`) closes round the placed object with the plan's grip,
    the other a relaxed curl kept out of it. Empty when `options` is None or the
    body model has no finger bones (SMPL)."""
    if options is None or not isinstance(model, FingeredBody):
        return []
    query = SurfaceQuery(object_mesh)
    poses = []
    for side in ("right", "left"):
        grip = plan.grip if f"{side}_hand" in plan.touch else "none"
        poses.append(close_fingers(model, params, side, query, grip, options))
    return poses


def _plain(value: Any) -> Any:
    """JSON-able copy of staging notes (numpy numbers to floats)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return round(float(value), 5)
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
