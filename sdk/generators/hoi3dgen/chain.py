"""The `hoi3dgen` chain: text → 3 views → re-textured → cut out → lifted → one
contact-verified `HOIAsset` (DESIGN §7).

The chain is data: a `Hoi3dgenChain` holds one backend per stage (the protocols
in `protocols.py`) and `ChainOptions`; `run` walks the stages in order:

1. `TextToImage`: one image per view, prompt = description + view phrase +
   suffix (`views.view_prompt`), one seed (image k drawn with seed + k).
2. `DepthEstimator` → `Retexturer` on each view (skipped when
   `ChainOptions.retexture` is off), prompt `views.retexture_prompt`.
3. `Matting`: "person" + the object cut out on white, zoomed to the subject.
4. `ImageToShape` (Hunyuan3D-2) → `Texturer` (Hunyuan3D paint, or the
   projection fall-back; `Texturer.name` goes into provenance).
5–7. Each lifted mesh is brought to metric scale and lifted by
   `hoiexport.sdk.generators.lift.lift_candidates` (orbit renders, Grounding DINO + SAM 2
   masks, vertex voting, body estimate, registration, contacts); the
   candidate whose measured contact configuration matches the prompt is kept.

Metric scale. Hunyuan3D's meshes are normalised (the largest side ≈ 2), so a
mesh is first scaled to `ChainOptions.assumed_height_m` tall; after lifting,
the registered body's similarity scale s says how far off that was (the body
model has its own metric size), and when |log s| exceeds
`ChainOptions.rescale_tolerance` the mesh is divided by s and lifted again, so
contacts (4 cm) and penetration are measured in metres.

Every stage runs inside `Runtime.stage`, which records seconds and peak memory;
memory is freed between stages.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import cast

import numpy as np

from hoiexport.sdk.core.errors import GenerationError, HOIExportError, InputError
from hoiexport.sdk.generators.hoi3dgen import views as view_table
from hoiexport.sdk.generators.hoi3dgen.protocols import (
    Cutout,
    DepthEstimator,
    ImageToShape,
    Matting,
    Retexturer,
    TextToImage,
    Texturer,
)
from hoiexport.sdk.generators.hoi3dgen.depth import DepthOptions
from hoiexport.sdk.generators.hoi3dgen.matting import MattingOptions
from hoiexport.sdk.generators.hoi3dgen.regressor import RegressorEstimatorOptions
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.sana import SanaOptions
from hoiexport.sdk.generators.hoi3dgen.shape import ShapeOptions
from hoiexport.sdk.generators.hoi3dgen.texture import Paint21Options, Preference
from hoiexport.sdk.generators.lift.estimate import BodyEstimator
from hoiexport.sdk.generators.lift.lift import LiftOptions, LiftResult, lift_mesh
from hoiexport.sdk.generators.lift.segment import PERSON_LABEL, GroundedSam2Options, Segmenter
from hoiexport.sdk.generators.lift.select import Selection, choose_candidate
from hoiexport.sdk.core.types import HOIAsset, Mesh, Prompt


@dataclass(frozen=True)
class ChainOptions:
    """Settings of one `hoi3dgen` run.

    Attributes:
        views: view names from `views.VIEWS` ("front", "left_diagonal", "right_diagonal").
        image_size: side of the generated and re-textured images, pixels.
        t2i_steps, t2i_guidance: SANA's denoising steps and guidance.
        retexture: run depth + FLUX re-texturing (stage 2).
        retexture_steps, retexture_guidance: FLUX.1-Depth's steps and guidance.
        retexture_seed_policy: FLUX's seed per view (`views.SEED_POLICIES`):
            "per_view" (seed + k) or "fixed" (42 for every view, as released).
        t2i_seed: SANA's seed; None = the run's seed (the release: 0, the
            default of SANA's inference script).
        sana: which SANA base, sampler, shift and seeding `load_chain` builds
            (its steps / guidance / size are taken from the fields above).
        depth: which Depth Anything weights and how depth maps are prepared.
        assumed_height_m: the height a lifted mesh is first scaled to, metres.
        rescale_tolerance: |log s| above which a mesh is rescaled by the
            registered body's scale s and lifted again.
        lift: orbit, voting, registration and contact settings (stages 5–7).
        matting: stage 3's cut-out (square size, margin) handed to Hunyuan3D.
        shape: Hunyuan3D-2 shape settings (stage 4a: steps, guidance, octree
            resolution, face budget).
        segment: Grounding DINO + SAM 2 settings of the cut-out (stage 3) and
            the orbit masks (stage 5); its `device` follows the runtime.
        regressor: CameraHMR estimator settings (stage 6, when its weights are there).
        texturer: stage 4b's texturer: "auto" (`texture.AUTO_ORDER`, the first
            that runs) or a `texture.TEXTURERS` name (fail when it cannot run).
        paint21: Hunyuan3D-Paint 2.1 settings (when that texturer runs).
        preset: the `presets.PRESETS` name these settings started from ("best"
            or "paper"), recorded in provenance.
    """

    views: tuple[view_table.ViewName, ...] = ("front", "left_diagonal", "right_diagonal")
    image_size: int = 1024
    t2i_steps: int = 50
    t2i_guidance: float = 4.5
    retexture: bool = True
    retexture_steps: int = 30
    retexture_guidance: float = 10.0
    assumed_height_m: float = 1.7
    rescale_tolerance: float = 0.03
    retexture_seed_policy: view_table.SeedPolicy = "per_view"
    t2i_seed: int | None = None
    sana: SanaOptions = field(default_factory=SanaOptions)
    depth: DepthOptions = field(default_factory=DepthOptions)
    lift: LiftOptions = field(default_factory=LiftOptions)
    matting: MattingOptions = field(default_factory=MattingOptions)
    shape: ShapeOptions = field(default_factory=ShapeOptions)
    segment: GroundedSam2Options = field(default_factory=GroundedSam2Options)
    regressor: RegressorEstimatorOptions = field(default_factory=RegressorEstimatorOptions)
    texturer: Preference = "auto"
    paint21: Paint21Options = field(default_factory=Paint21Options)
    preset: str = "best"

    def __post_init__(self) -> None:
        if not self.views:
            raise InputError("ChainOptions.views is empty; use one or more of " + ", ".join(view_table.VIEWS))
        unknown = [v for v in self.views if v not in view_table.VIEWS]
        if unknown:
            raise InputError(f"unknown view(s) {unknown}; use names from: {', '.join(view_table.VIEWS)}")
        if self.image_size < 16 or self.image_size % 16:
            raise InputError(f"image_size must be a multiple of 16 (>= 16), got {self.image_size}")
        if not 0.3 <= self.assumed_height_m <= 3.0:
            raise InputError(f"assumed_height_m must be in [0.3, 3] metres, got {self.assumed_height_m}")
        if self.retexture_seed_policy not in view_table.SEED_POLICIES:
            raise InputError(f"retexture_seed_policy {self.retexture_seed_policy!r} is unknown; use one of: "
                             + ", ".join(view_table.SEED_POLICIES))
        if self.t2i_seed is not None and (isinstance(self.t2i_seed, bool) or self.t2i_seed < 0):
            raise InputError(f"t2i_seed must be None or an integer >= 0, got {self.t2i_seed!r}")


@dataclass
class ViewRun:
    """What one view went through.

    Attributes:
        view: view name.
        prompt: the text-to-image prompt.
        image: (S, S, 3) uint8, stage 1's image.
        depth: (S, S) float32 or None (stage 2 skipped).
        retextured: (S, S, 3) uint8 or None.
        cutout: stage 3's `Cutout`.
        mesh: stage 4's textured mesh, internal frame, metric scale.
        scale_factor: total factor applied to Hunyuan3D's mesh.
    """

    view: str
    prompt: str
    image: np.ndarray
    depth: np.ndarray | None
    retextured: np.ndarray | None
    cutout: Cutout
    mesh: Mesh
    scale_factor: float


@dataclass
class ChainResult:
    """One run: the kept asset, every view and candidate, and the choice.

    Attributes:
        asset: the contact-verified `HOIAsset`.
        views: one `ViewRun` per view, in `ChainOptions.views` order.
        candidates: one `LiftResult` per view that could be lifted.
        selection: which candidate was kept and why (indices into `candidates`).
        candidate_views: the view name of each candidate.
    """

    asset: HOIAsset
    views: list[ViewRun]
    candidates: list[LiftResult]
    selection: Selection
    candidate_views: list[str]


def scale_to_height(mesh: Mesh, height_m: float) -> tuple[Mesh, float]:
    """`mesh` scaled about its base centre so its +Y extent is `height_m`,
    standing on y = 0. Returns the mesh and the factor applied."""
    v = mesh.vertices.astype(np.float64)
    lo, hi = v.min(axis=0), v.max(axis=0)
    extent = float(hi[1] - lo[1])
    if not math.isfinite(extent) or extent <= 0:
        raise InputError(f"lifted mesh {mesh.name!r} has no height to scale (y extent {extent})")
    factor = height_m / extent
    base = np.array([(lo[0] + hi[0]) / 2.0, lo[1], (lo[2] + hi[2]) / 2.0])
    return _scaled(mesh, factor, base), factor


def _scaled(mesh: Mesh, factor: float, origin: np.ndarray) -> Mesh:
    v = (mesh.vertices.astype(np.float64) - origin) * factor
    return replace(mesh, vertices=v.astype(np.float32))


SegmenterFactory = Callable[[Mesh], Segmenter]
"""A segmenter made for one lifted mesh (a labels-based backend is mesh-specific)."""


@dataclass
class Hoi3dgenChain:
    """The stages' backends and the options (module docstring).

    Attributes:
        text_to_image: stage 1 (SANA with the HOI3DGen fine-tune).
        depth: stage 2a (Depth Anything), None to skip re-texturing.
        retexturer: stage 2b (FLUX.1-Depth), None to skip re-texturing.
        matting: stage 3 (Grounding DINO + SAM 2 cut-out).
        shape: stage 4a (Hunyuan3D-2 shape).
        texturer: stage 4b (Hunyuan3D paint or projection).
        segmenter: stage 5's orbit-frame masks (Grounding DINO + SAM 2), or a
            factory making one per lifted mesh.
        runtime: device, precision, per-stage records.
        estimator: stage 6's first body guess; None = the CPU point-cloud estimator.
        options: settings.
        models: lock entry name → revision, recorded in provenance.
        texture_reason: why the texturers tried before `texturer` did not run
            ("" when the first one tried runs), recorded in provenance.
    """

    text_to_image: TextToImage
    depth: DepthEstimator | None
    retexturer: Retexturer | None
    matting: Matting
    shape: ImageToShape
    texturer: Texturer
    segmenter: Segmenter | SegmenterFactory
    runtime: Runtime
    estimator: BodyEstimator | None = None
    options: ChainOptions = field(default_factory=ChainOptions)
    models: dict[str, str] = field(default_factory=dict)
    texture_reason: str = ""

    def run(self, prompt: Prompt, seed: int = 0) -> ChainResult:
        """Generate one asset for `prompt` (module docstring).

        Args:
            prompt: the parsed prompt; `prompt.text` is the description and
                `prompt.object` the object label for the masks.
            seed: one seed for every stochastic stage.

        Raises:
            InputError: an empty prompt, or a stage that found nothing to work on
                (no subject in a view, an empty lifted mesh); the message names it.
            GenerationError: every view failed to lift (each view's reason listed).
        """
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise InputError(f"seed must be a non-negative integer, got {seed!r}")
        o, rt = self.options, self.runtime
        description = prompt.text.strip()
        if not description:
            raise InputError("the prompt is empty; describe the person, the object and the interaction")
        object_label = (prompt.object or "object").strip()
        labels = [PERSON_LABEL, object_label]
        started = len(rt.records)
        t_total = time.perf_counter()

        prompts = [view_table.view_prompt(description, v) for v in o.views]
        with rt.stage("text_to_image"):
            t2i_seed = int(seed) if o.t2i_seed is None else o.t2i_seed
            images = self.text_to_image.generate(prompts, seed=t2i_seed, height=o.image_size, width=o.image_size,
                                                 steps=o.t2i_steps, guidance=o.t2i_guidance)
        runs: list[ViewRun] = []
        for k, (view, text, image) in enumerate(zip(o.views, prompts, images, strict=True)):
            depth = retextured = None
            source = image
            if o.retexture and self.depth is not None and self.retexturer is not None:
                with rt.stage(f"depth[{view}]"):
                    depth = self.depth.estimate(image)
                with rt.stage(f"retexture[{view}]"):
                    retextured = self.retexturer.retexture(
                        view_table.retexture_prompt(description), depth,
                        seed=view_table.view_seed(o.retexture_seed_policy, int(seed), k),
                        height=o.image_size, width=o.image_size, steps=o.retexture_steps,
                        guidance=o.retexture_guidance)
                source = retextured
            with rt.stage(f"matting[{view}]"):
                cutout = self.matting.cutout(source, labels)
            with rt.stage(f"shape[{view}]"):
                raw = self.shape.lift(cutout.image, seed=int(seed) + k)
            with rt.stage(f"texture[{view}]"):
                textured = self.texturer.texture(raw, cutout.image)
            mesh, factor = scale_to_height(textured, o.assumed_height_m)
            mesh = replace(mesh, name=f"hoi3dgen_{view}")
            runs.append(ViewRun(view, text, image, depth, retextured, cutout, mesh, factor))

        candidates: list[LiftResult] = []
        lifted: list[ViewRun] = []
        failed: dict[str, str] = {}
        for run in runs:
            try:
                with rt.stage(f"lift[{run.view}]"):
                    result = self._lift_metric(run, prompt, object_label, seed)
            except HOIExportError as exc:  # e.g. a view whose masks left no object: the other views may do
                failed[run.view] = str(exc)
                continue
            candidates.append(result)
            lifted.append(run)
        if not candidates:
            raise GenerationError("no view could be lifted into a person and an object: "
                                  + "; ".join(f"{v}: {why}" for v, why in failed.items())
                                  + "; try another seed or a simpler prompt")
        selection = choose_candidate([c.summary() for c in candidates], prompt.requested_config)
        kept = candidates[selection.index]
        asset = kept.asset
        records = rt.records[started:]
        prov = asset.provenance
        prov.generator = "hoi3dgen"
        prov.models = {**self.models, **prov.models}
        prov.seed = int(seed)
        prov.timings_s = {r.stage: round(r.seconds, 4) for r in records}
        prov.timings_s["total"] = round(time.perf_counter() - t_total, 4)
        prov.notes.update({
            "preset": o.preset,
            "views": list(o.views),
            "view_prompts": prompts,
            "retexture_prompt": view_table.retexture_prompt(description) if o.retexture else None,
            "retextured": bool(o.retexture and self.depth is not None and self.retexturer is not None),
            "texture_path": self.texturer.name,
            "texture_reason": self.texture_reason,
            "body_estimator": "point_cloud" if self.estimator is None else type(self.estimator).__name__,
            "kept_view": lifted[selection.index].view,
            "failed_views": failed,
            "selection": {"index": selection.index, "matched": selection.matched, "ranking": selection.ranking,
                          "reason": selection.reason},
            "candidates": [{"view": r.view, **_summary_json(c)} for r, c in zip(lifted, candidates, strict=True)],
            "scale_factor": round(lifted[selection.index].scale_factor, 6),
            "stages": [r.to_json() for r in records],
            "device": rt.device,
            "precision": rt.precision if rt.device.startswith("cuda") else "fp32",
            "cpu_offload": rt.offload,
        })
        return ChainResult(asset, runs, candidates, selection, [r.view for r in lifted])

    def _lift_metric(self, run: ViewRun, prompt: Prompt, object_label: str, seed: int) -> LiftResult:
        """Lift, then rescale by the registered body's scale and lift again when needed."""
        o = self.options

        def lift(mesh: Mesh) -> LiftResult:
            if hasattr(self.segmenter, "segment"):
                segmenter = cast(Segmenter, self.segmenter)
            else:
                segmenter = self.segmenter(mesh)
            return lift_mesh(mesh, prompt, segmenter, object_label=object_label, estimator=self.estimator,
                             options=o.lift, seed=seed)

        result = lift(run.mesh)
        s = float(result.asset.body.params.get("scale", 1.0))
        if s > 0 and abs(math.log(s)) > o.rescale_tolerance:
            run.mesh = _scaled(run.mesh, 1.0 / s, np.zeros(3))
            run.scale_factor /= s
            result = lift(run.mesh)
        return result


def _summary_json(result: LiftResult) -> dict:
    s = result.summary()
    return {"contact_config": s.contact_config.value, "penetration_cm": round(s.penetration_cm, 3),
            "chamfer_cm": round(s.chamfer_cm, 3)}

