"""GPU figures of the hoi3dgen chain's generative stages at full size (issue 6).

Each stage's backend is built at full size with RANDOM weights by the tests'
builders (`tests/builders/*.py` at size "full": the pinned models' architectures
and resolutions, each citing where its config comes from) and run for one
asset's worth of work (3 views at 1024², SANA 50 steps, FLUX.1-Depth 30 steps,
Hunyuan3D-2 shape, CameraHMR on 3 views). Printed per stage: seconds and peak
GPU memory (`Runtime.stage`), then the per-asset sum against the 60 s goal. A
warm-up call of each stage (1 step) comes first so CUDA kernel selection and
allocator growth are not timed.

Random weights give meaningless images, which is fine for timing the diffusion
stages; Hunyuan3D's surface extraction on a random field may find no surface, in
which case its figure is the DiT + VAE decode time and the script says so.

    .venv/bin/python benchmarks/gpu_chain.py [--precision bf16] [--stages sana,depth,flux,hunyuan,regressor]

Needs a CUDA GPU and the gpu extra (diffusers, transformers) plus hy3dgen
(`scripts/install_hunyuan.sh`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.builders

if TYPE_CHECKING:
    from hoiexport.sdk.generators.hoi3dgen.depth import DepthAnythingEstimator
    from hoiexport.sdk.generators.hoi3dgen.protocols import Texturer
    from hoiexport.sdk.generators.hoi3dgen.regressor import CameraHMRRegressor
    from hoiexport.sdk.generators.hoi3dgen.retexture import FluxDepthRetexturer
    from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
    from hoiexport.sdk.generators.hoi3dgen.sana import SanaTextToImage
    from hoiexport.sdk.generators.hoi3dgen.shape import Hunyuan3DShape

GOAL_S = 60.0
VIEWS = 3
"""Views per asset."""
IMAGE_SIZE = 1024
"""Side of each view image, px."""
TEXTURE_SIZE = 1024
"""Side of the baked texture, px."""
REGRESSIONS_PER_VIEW = 2
"""The regressor runs a second time when its first estimate faces away from the camera:
timed as the worst case."""
RENDER_SIZE = 512
"""Side of the front view the regressor sees (`RegressorEstimatorOptions`' render size), px."""


def _weights_device(runtime: Runtime) -> str:
    """Where the diffusion pipelines' weights are created: the CPU when the runtime
    offloads them (diffusers then moves each model in turn), else the runtime's device."""
    return "cpu" if runtime.offload else runtime.device


# --- stage 1: SANA text to image ------------------------------------------------


def build_sana(runtime: Runtime) -> SanaTextToImage:
    """SANA 1600M 1024px, random weights: the transformer in the runtime's dtype, the
    Gemma-2 encoder and the VAE in bf16 when that is fp16 (their range needs it)."""
    import torch

    from tests.builders.sana import build_sana as build

    aux = torch.bfloat16 if runtime.dtype == torch.float16 else runtime.dtype
    return build("full", runtime, device=_weights_device(runtime), dtype=runtime.dtype, aux_dtype=aux)


def run_sana(backend: SanaTextToImage, seed: int, warmup: bool) -> str:
    """Render one asset: the 3 view prompts at 1024², 50 steps, guidance 4.5, in one
    batch (warm-up: one view, 1 step).

    Returns:
        A note for the figures table: what ran and the mean output pixel value.
    """
    from hoiexport.sdk.core.errors import InputError
    from hoiexport.sdk.generators.hoi3dgen.views import view_prompts

    from tests.builders.sana import FULL_DESCRIPTION

    prompts = view_prompts(FULL_DESCRIPTION)
    prompts, steps = (prompts[:1], 1) if warmup else (prompts, backend.options.steps)
    try:
        images = backend.generate(prompts, seed=seed, steps=steps)
        mean = f"mean pixel {float(np.mean([im.mean() for im in images])):.1f}"
    except InputError as exc:  # random weights may decode non-finite pixels
        if "non-finite" not in str(exc):
            raise
        mean = "non-finite pixels (random weights)"
    o = backend.options
    return f"{len(prompts)} view(s) {o.width}x{o.height}, {steps} steps, guidance {o.guidance:g}, {mean}"


# --- stage 2: depth -------------------------------------------------------------


def build_depth(runtime: Runtime) -> DepthAnythingEstimator:
    """Depth Anything V1 Large (the release's; V2 has the same size), random fp32 weights, on the runtime's device."""
    from tests.builders.depth import build_depth as build

    return build("full", runtime, device=runtime.device)


def run_depth(backend: DepthAnythingEstimator, seed: int, warmup: bool) -> str:
    """Depth of one asset: `VIEWS` random 1024² RGB images (warm-up: one image).

    Returns:
        A note for the figures table: what ran.
    """
    rng = np.random.default_rng(seed)
    views = 1 if warmup else VIEWS
    images = [rng.integers(0, 256, (IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8) for _ in range(views)]
    depths = [backend.estimate(image) for image in images]
    h, w = backend.options.network_size(IMAGE_SIZE, IMAGE_SIZE)
    return f"{len(depths)} view(s) {IMAGE_SIZE}x{IMAGE_SIZE}, network input {w}x{h}"


# --- stage 3: FLUX.1-Depth re-texturing -----------------------------------------


def build_flux(runtime: Runtime) -> FluxDepthRetexturer:
    """FLUX.1-Depth-dev, random weights in the runtime's dtype."""
    from tests.builders.flux import build_flux as build

    return build("full", runtime, device=_weights_device(runtime), dtype=runtime.dtype)


def synthetic_depth(seed: int, size: int = IMAGE_SIZE) -> np.ndarray:
    """A (size, size) float32 depth map in [0, 1]: a random near blob on a far floor ramp."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    cx, cy, r = rng.uniform(0.35, 0.65), rng.uniform(0.35, 0.65), rng.uniform(0.15, 0.3)
    blob = np.clip(1.0 - ((xx - cx) ** 2 + (yy - cy) ** 2) / r**2, 0.0, 1.0)
    return np.clip(0.3 * yy + 0.7 * blob, 0.0, 1.0).astype(np.float32)


def run_flux(backend: FluxDepthRetexturer, seed: int, warmup: bool) -> str:
    """Re-texture one asset: `VIEWS` views at 1024², 30 steps, guidance 10 (warm-up:
    one view, 1 step).

    Returns:
        A note for the figures table: what ran and the mean output pixel value.
    """
    from hoiexport.sdk.generators.hoi3dgen.views import retexture_prompt

    from tests.builders.sana import FULL_DESCRIPTION

    prompt = retexture_prompt(FULL_DESCRIPTION)
    views, steps = (1, 1) if warmup else (VIEWS, backend.options.steps)
    with np.errstate(invalid="ignore"):  # random weights may decode non-finite pixels
        images = [
            backend.retexture(prompt, synthetic_depth(seed + k), seed=seed + k, steps=steps) for k in range(views)
        ]
    o = backend.options
    mean = float(np.mean([im.mean() for im in images]))
    return f"{views} view(s) {o.width}x{o.height}, {steps} steps, guidance {o.guidance:g}, mean pixel {mean:.1f}"


# --- stage 4: Hunyuan3D-2 shape and texturing -----------------------------------


@dataclass
class HunyuanStage:
    """Stage 4 at full size: the shape backend and the texturer."""

    shape: Hunyuan3DShape
    texturer: Texturer
    texturer_reason: str


def build_hunyuan(runtime: Runtime) -> HunyuanStage:
    """Hunyuan3D-2 shape at full size (random fp32 weights) with the default
    `ShapeOptions`, and the texturer `choose_texturer` picks (projection unless
    Hunyuan3D-Paint and its weights are there), baking 1024² textures."""
    from hoiexport.sdk.generators.hoi3dgen.texture import ProjectionOptions, choose_texturer

    from tests.builders.hunyuan import build_hunyuan as build

    shape = build("full", runtime, device=runtime.device)
    choice = choose_texturer(runtime, options=ProjectionOptions(size=TEXTURE_SIZE))
    return HunyuanStage(shape, choice.texturer, choice.reason)


def _cutout(rng: np.random.Generator) -> np.ndarray:
    """A 1024² cut-out: a random-coloured figure on white, with a margin."""
    image = np.full((IMAGE_SIZE, IMAGE_SIZE, 3), 255, dtype=np.uint8)
    m = IMAGE_SIZE // 8
    figure = rng.integers(0, 230, (IMAGE_SIZE - 2 * m, IMAGE_SIZE - 6 * m, 3))
    image[m : IMAGE_SIZE - m, 3 * m : IMAGE_SIZE - 3 * m] = figure
    return image


def run_hunyuan(stage: HunyuanStage, seed: int, warmup: bool) -> str:
    """Lift and texture `VIEWS` 1024² cut-outs (warm-up: one view, 1 step, octree 64).

    Returns:
        A note for the figures table: seconds per part, faces, which texturer.
    """
    from hoiexport.sdk.core.errors import InputError

    rng = np.random.default_rng(seed)
    full = stage.shape.options
    views = 1 if warmup else VIEWS
    opts = replace(full, steps=1, octree_resolution=64) if warmup else full
    stage.shape.options = opts
    lift_s = texture_s = 0.0
    faces: list[int] = []
    empty = 0
    try:
        for k in range(views):
            image = _cutout(rng)
            t = time.perf_counter()
            try:
                mesh = stage.shape.lift(image, seed=seed + k)
            except InputError:  # random weights: no zero crossing in the field
                lift_s += time.perf_counter() - t
                empty += 1
                continue
            lift_s += time.perf_counter() - t
            faces.append(len(mesh.faces))
            t = time.perf_counter()
            stage.texturer.texture(mesh, image)
            texture_s += time.perf_counter() - t
    finally:
        stage.shape.options = full
    note = (f"{views} view(s) {IMAGE_SIZE}², {opts.steps} steps, octree {opts.octree_resolution}: "
            f"lift {lift_s:.1f} s, texture ({stage.texturer.name}) {texture_s:.1f} s, faces {faces}")
    if empty:
        note += f"; {empty} view(s) without a surface (random field): their time is DiT + VAE decode only"
    return note


# --- stage 5: body regressor ----------------------------------------------------


def build_regressor(runtime: Runtime) -> CameraHMRRegressor:
    """CameraHMR at the released size, random fp32 weights, on the runtime's device."""
    from tests.builders.regressor import build_regressor as build

    return build("full", runtime, device=runtime.torch_device)


def run_regressor(backend: CameraHMRRegressor, seed: int, warmup: bool) -> str:
    """Regress `VIEWS` × `REGRESSIONS_PER_VIEW` (one regression when `warmup`) random
    512² images with a person-sized box. The CPU parts of `RegressorEstimator`
    (embree render, body placement, point-cloud fallback) are not timed.

    Returns:
        A note for the figures table: what ran.
    """
    rng = np.random.default_rng(seed)
    count = 1 if warmup else VIEWS * REGRESSIONS_PER_VIEW
    box = np.array([176.0, 40.0, 336.0, 472.0])  # a standing person in a 40° render
    focal = 0.5 * RENDER_SIZE / np.tan(np.radians(40.0) / 2.0)
    for _ in range(count):
        image = rng.integers(0, 256, (RENDER_SIZE, RENDER_SIZE, 3), dtype=np.uint8)
        backend.predict(image, box, focal=float(focal))
    return f"{count} regressions (ViT-H 256x192 + 6-layer decoder), CPU render/placement not timed"


@dataclass(frozen=True)
class Stage:
    """One generative stage of the chain at full size.

    Attributes:
        build: the stage's backend on a runtime, full size, random weights.
        run: (backend, seed, warmup) -> a note for the figures table; one asset's
            worth of work, or one view and one step when warming up.
    """

    build: Callable[[Runtime], Any]
    run: Callable[[Any, int, bool], str]


STAGES: dict[str, Stage] = {
    "sana": Stage(build_sana, run_sana),
    "depth": Stage(build_depth, run_depth),
    "flux": Stage(build_flux, run_flux),
    "hunyuan": Stage(build_hunyuan, run_hunyuan),
    "regressor": Stage(build_regressor, run_regressor),
}
"""The stages in chain order."""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--precision", default="bf16", choices=("bf16", "fp16", "fp32"))
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()

    import torch

    from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

    if not torch.cuda.is_available():
        print("gpu_chain: no CUDA GPU visible; these figures need one", file=sys.stderr)
        return 1
    names = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in names if s not in STAGES]
    if unknown:
        print(f"unknown stage(s) {unknown}; choose from {tuple(STAGES)}", file=sys.stderr)
        return 2
    print(f"device: {torch.cuda.get_device_name(0)}, precision {args.precision}, torch {torch.__version__}")
    figures: dict[str, dict[str, Any]] = {}
    for name in names:
        stage = STAGES[name]
        rt = Runtime(device="cuda", precision=args.precision, cpu_offload=False)
        t = time.perf_counter()
        backend = stage.build(rt)
        build_s = time.perf_counter() - t
        with rt.stage(f"{name}:warmup"):
            stage.run(backend, args.seed, True)
        with rt.stage(name):
            note = stage.run(backend, args.seed, False)
        rec = rt.records[-1]
        figures[name] = {"seconds": round(rec.seconds, 2), "peak_gpu_gib": round((rec.peak_gpu_mib or 0) / 1024, 2),
                         "build_s": round(build_s, 1), "note": note or ""}
        print(f"{name:8s} {rec.seconds:8.2f} s   peak {figures[name]['peak_gpu_gib']:6.2f} GiB   "
              f"(build {build_s:.1f} s) {note or ''}", flush=True)
        del backend
        rt.free()
    total = sum(f["seconds"] for f in figures.values())
    peak = max((f["peak_gpu_gib"] for f in figures.values()), default=0.0)
    print(f"per asset (3 views): {total:.2f} s, peak {peak:.2f} GiB; goal {GOAL_S:.0f} s -> "
          f"{GOAL_S / total if total else float('nan'):.2f}x of the budget left")
    if args.json:
        args.json.write_text(json.dumps({"stages": figures, "total_s": total, "peak_gib": peak}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
