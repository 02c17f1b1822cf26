"""`generate(prompt, generator="compose", seed=0, ...)`: text → `HOIAsset` on the CPU.

The compose generator (DESIGN §7):

1. parse the prompt (`prompt_parse.parse_prompt`; `object` / `action` /
   `contact` arguments override the text; `support_contact` reads "lying on a
   bench" and "sits on a bench, leaning against its backrest" as contact
   `other`);
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

Timings: "total" covers steps 1–7 of every attempt; loading the body model
(once per process) is reported apart as "body_model_load".

Deterministic: the same prompt, arguments and seed give the same asset (numpy
generators seeded per stage, torch on one thread); only provenance timings vary.
All geometry is in the internal frame (+Y up, metres, the character faces +Z),
the floor is y = 0.
"""

from __future__ import annotations

import importlib.metadata
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch

from hoiexport.sdk.bodies import BodyParams, load_body_model
from hoiexport.sdk.bodies.anny_body import PHENOTYPES
from hoiexport.sdk.generators.compose.actions import sample_pose
from hoiexport.sdk.generators.compose.appearance import appearance_from_prompt, body_regions, region_colors
from hoiexport.sdk.generators.compose.interaction import body_sites, build_problem, plan_interaction
from hoiexport.sdk.generators.compose.objects import make_object
from hoiexport.sdk.generators.compose.placement import (
    BodyRig,
    ObjectSurface,
    PlacementOptions,
    optimise_placement,
    vertex_normals,
)
from hoiexport.sdk.prompt.parse import parse_prompt
from hoiexport.sdk.contacts import ContactOptions, analyze_asset
from hoiexport.sdk.core.errors import HOIExportError, InputError
from hoiexport.sdk.core.types import ContactConfig, HOIAsset, Mesh, Prompt, Provenance

GeneratorName = Literal["compose", "hoi3dgen"]
GENERATORS: tuple[str, ...] = ("compose", "hoi3dgen")

ADULT_AGE = 0.67
"""Anny age phenotype used when the prompt names no age (young adult)."""
ADULT_HEIGHT = 0.35
"""Anny height phenotype used when the prompt names no height (≈1.75 m men, 1.61 m women)."""
HEIGHT_WORD_SCALE = 0.5
"""Prompt height words move the height phenotype by this fraction of their distance
from 0.5 ("tall" 0.8 → 0.50, ≈1.91 m for a man; "short" 0.2 → 0.20)."""


class GenerationError(HOIExportError):
    """The generator could not produce the requested interaction."""


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
    """

    max_attempts: int = 4
    max_penetration_cm: float = 0.5
    max_gap_m: float = 0.01
    placement: PlacementOptions = field(default_factory=PlacementOptions)
    contact: ContactOptions = field(default_factory=ContactOptions)
    body_model: str = "anny"

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


@contextmanager
def _one_thread():
    """Torch on one thread for the call (reproducible reductions), restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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


def support_contact(prompt: Prompt) -> Prompt:
    """Lying or sitting *on* a support: the requested configuration becomes "other".

    The parser reads "lying on a bench" as back + hips and "sits on a bench,
    leaning against its backrest" as hips + back, i.e. `back`. But a body lying
    on a bench, table or bed touches it with the back, the hips and the legs, and
    a seated body rests on its hips and thighs, which `contacts.classify` calls
    `other` ("lying on a bed", "sitting on a chair"). When the text says nothing
    more specific ("lying on his back" keeps `back`; an explicit `contact`
    override is kept), the prompt is returned with `other`, the legs among its
    parts, and `attributes["contact_adjusted"]` saying why. The back stays among
    the parts, so a seated body still leans on the backrest.
    """
    parts = set(prompt.contact_parts)
    source = prompt.attributes.get("contact_source")
    phrases = " ".join(prompt.attributes.get("contact_phrases") or [])
    if source not in ("text", "default") or parts != {"back", "hips"}:
        return prompt
    if prompt.action == "lie" and "back" not in phrases.split():
        why = "lying on a support touches it with the back, hips and legs: contact 'other' (contacts.classify)"
    elif prompt.action == "sit":
        why = ("sitting on a seat touches it with the hips and thighs, the backrest with the back: "
               "contact 'other' (contacts.classify)")
    else:
        return prompt
    attributes = dict(prompt.attributes)
    attributes["contact_adjusted"] = why
    return Prompt(
        text=prompt.text,
        appearance=prompt.appearance,
        object=prompt.object,
        action=prompt.action,
        contact_parts=["back", "hips", "right_leg", "left_leg"],
        requested_config=ContactConfig.OTHER,
        attributes=attributes,
    )


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("hoiexport", "anny", "torch", "numpy", "scipy", "trimesh"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def _resolve_prompt(prompt: str | Prompt, object: str | None, action: str | None,
                    contact: str | ContactConfig | None) -> Prompt:
    if isinstance(prompt, Prompt):
        if object is None and action is None and contact is None and prompt.requested_config is not None \
                and prompt.object and prompt.action:
            return support_contact(prompt)
        return support_contact(parse_prompt(prompt.text, object=object, action=action, contact=contact))
    if not isinstance(prompt, str):
        raise InputError(f"prompt must be text or a Prompt, got {type(prompt).__name__}")
    return support_contact(parse_prompt(prompt, object=object, action=action, contact=contact))


def generate(
    prompt: str | Prompt,
    generator: GeneratorName = "compose",
    seed: int = 0,
    *,
    object: str | None = None,
    action: str | None = None,
    contact: str | ContactConfig | None = None,
    body: dict[str, float] | None = None,
    options: ComposeOptions | None = None,
    runtime: Any = None,
    **shape: float,
) -> HOIAsset:
    """Generate one human–object interaction from text.

    Args:
        prompt: free text ("A man carrying a suitcase in his right hand") or a
            parsed `Prompt`.
        generator: "compose" (CPU, this module) or "hoi3dgen" (the paper's
            chain, `hoiexport.sdk.generators.hoi3dgen`; needs the pinned weights, a CUDA
            GPU in practice).
        seed: random seed; attempts use seed, seed + 1, ... (`ComposeOptions.max_attempts`).
        object: object category or synonym overriding the text's.
        action: action overriding the text's.
        contact: contact configuration overriding the text's.
        body: Anny phenotype overrides, e.g. {"height": 0.6, "weight": 0.3}.
        options: generator settings.
        runtime: `hoiexport.sdk.generators.hoi3dgen.runtime.Runtime` (device, precision,
            offload) of the hoi3dgen chain; ignored by compose.
        **shape: phenotype overrides as keywords (gender, age, muscle, weight,
            height, proportions; floats in [0, 1]).

    Returns:
        The `HOIAsset`: human = Anny's posed surface with its UVs (seams split)
        and vertex colours; contacts, configuration and penetration measured on
        the result; provenance with the seed used, stage timings and versions.

    Raises:
        InputError: bad prompt or arguments, or an interaction the compose
            generator cannot stage (the message says why).
        ModelUnavailableError: `generator="hoi3dgen"` without its weights, or
            the body model is missing.
        GenerationError: no attempt met the requested configuration and the
            penetration limit.
    """
    if generator not in GENERATORS:
        raise InputError(f"unknown generator {generator!r}; use one of: {', '.join(GENERATORS)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    if generator == "hoi3dgen":
        from hoiexport.sdk.generators.hoi3dgen.generate import generate as hoi3dgen_generate

        return hoi3dgen_generate(_resolve_prompt(prompt, object, action, contact), int(seed), runtime=runtime)
    opts = options or ComposeOptions()
    overrides = {**(body or {}), **shape}
    t_load = time.perf_counter()
    model = load_body_model(opts.body_model)  # type: ignore[arg-type]  # cached after the first call
    t0 = time.perf_counter()
    t_load = t0 - t_load
    parsed = _resolve_prompt(prompt, object, action, contact)
    t_parse = time.perf_counter() - t0
    attempts: list[Attempt] = []
    with _one_thread():
        for k in range(opts.max_attempts):
            attempt = _attempt(parsed, int(seed) + k, model, opts, overrides)
            attempts.append(attempt)
            if attempt.asset is not None:
                asset = attempt.asset
                prov = asset.provenance
                prov.timings_s = {"body_model_load": t_load, "parse": t_parse, **attempt.timings_s,
                                  "total": time.perf_counter() - t0}
                prov.notes["requested_seed"] = int(seed)
                prov.notes["attempts"] = [{"seed": a.seed, "rejected": a.reason} for a in attempts]
                return asset
    reasons = "; ".join(f"seed {a.seed}: {a.reason}" for a in attempts)
    cfg = parsed.requested_config.value if parsed.requested_config else "?"
    raise GenerationError(
        f"could not generate {parsed.action!r} with a {parsed.object} and contact {cfg!r} for prompt "
        f"{parsed.text!r} in {opts.max_attempts} attempts ({reasons}); try another seed, object or contact"
    )


def _attempt(prompt: Prompt, seed: int, model, opts: ComposeOptions, overrides: dict[str, float]) -> Attempt:
    """One seed: build, place, measure. Returns the asset or the rejection reason."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    streams = np.random.SeedSequence(seed).spawn(5)
    rng_shape, rng_object, rng_pose, rng_place, rng_look = (np.random.default_rng(s) for s in streams)
    shape = body_shape(prompt, rng_shape, overrides)
    attrs = prompt.attributes
    colors = attrs.get("colors") or {}
    obj = make_object(
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
    fit = model.fit(BodyParams(pose=result.pose.astype(np.float32), shape=shape, transl=transl.astype(np.float32)))
    human, vertex_map = model.uv_mesh(fit.mesh)
    look = appearance_from_prompt(prompt, rng_look)
    rest = rig.rest_vertices.numpy().astype(np.float64)
    regions = body_regions(rest, vertex_normals(rest, rig.faces), rig.rest_joints.numpy(), rig.part_labels,
                           rig.weights.numpy(), look)
    human.colors = region_colors(regions, look)[vertex_map]
    human.name = "human"
    object_vertices = obj.mesh.vertices.astype(np.float64) @ result.object_rotation.T \
        + result.object_translation + shift
    object_mesh = Mesh(object_vertices.astype(np.float32), obj.mesh.faces, uv=obj.mesh.uv,
                       texture=obj.mesh.texture, name=obj.category)
    timings["body"] = time.perf_counter() - t

    t = time.perf_counter()
    report = analyze_asset(fit, human, object_mesh, opts.contact)
    timings["contacts"] = time.perf_counter() - t
    pen = report.penetration
    requested = prompt.requested_config
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
        },
    )
    asset = HOIAsset(
        prompt=prompt,
        human=human,
        object=object_mesh,
        body=fit,
        contacts=report.contacts,
        contact_config=report.contact_config,
        penetration=pen,
        provenance=provenance,
    )
    return Attempt(seed, asset, None, timings)


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
