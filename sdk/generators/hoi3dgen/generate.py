"""`generate(prompt, generator="hoi3dgen")`: build the chain from the pinned weights and run it.

`load_chain` first checks that every model the chain needs is present under
`$HOIEXPORT_MODELS` (lock entries `CHAIN_MODELS`, without hashing) and raises one
`ModelUnavailableError` naming all missing ones, their stages and the fetch
command; then it builds each backend with its `from_pretrained`, which verifies
the pinned files. `Hoi3dgenGenerator` (the registry's "hoi3dgen") keeps built
chains in its bounded `ChainCache`, so a batch loads the weights once per process;
`close()` (or `registry.release()`) frees them.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.chain import ChainOptions, Hoi3dgenChain
from hoiexport.sdk.generators.hoi3dgen.presets import PRESETS  # noqa: F401 - the registry reads it here
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.models import LockFile, get_models_dir, load_lock, presence
from hoiexport.sdk.core.types import HOIAsset, Prompt
from hoiexport.sdk.generators.base import GenerationOptions

def chain_models(options: ChainOptions | None = None) -> tuple[str, ...]:
    """Lock entries the chain cannot run without, for `options` (default
    `ChainOptions()`): the SANA base of `options.sana.base`, the fine-tune, the
    Depth Anything of `options.depth.model`, FLUX.1-Depth, Grounding DINO, SAM 2.1
    and Hunyuan3D-2 shape. Hunyuan3D paint and the body regressor are optional:
    the projection texturer and the point-cloud body estimate stand in, and
    provenance says which ran."""
    from hoiexport.sdk.generators.hoi3dgen.depth import DEPTH_MODELS
    from hoiexport.sdk.generators.hoi3dgen.sana import SANA_BASES

    o = options if options is not None else ChainOptions()
    return (
        SANA_BASES[o.sana.base].name,
        "hoi3dgen-sana",
        DEPTH_MODELS[o.depth.model].name,
        "flux1-depth-dev",
        "grounding-dino-base",
        "sam2-1-hiera-large",
        "hunyuan3d-2-shape",
    )


CHAIN_MODELS: tuple[str, ...] = chain_models()
"""`chain_models()` of the default settings."""


@dataclass(frozen=True)
class ChainWeights:
    """Explicit weight folders overriding the lock (None = the lock entry under
    `$HOIEXPORT_MODELS`).

    Attributes:
        sana_base: diffusers SANA pipeline folder.
        sana_finetune: the HOI3DGen fine-tuned transformer: the release's SANA-native
            checkpoint (.pth) or a `hoiexport finetune sana` output folder.
        depth: Depth Anything (transformers format).
        flux: FLUX.1-Depth-dev pipeline folder.
        grounding_dino: Grounding DINO (transformers format).
        sam2: SAM 2 (transformers format).
        hunyuan_shape: Hunyuan3D-2 shape folder.
        regressor: CameraHMR checkpoint; None = the lock entry when present,
            else the point-cloud estimator.
        retexture: run stage 2 (depth + FLUX).
    """

    sana_base: str | None = None
    sana_finetune: str | None = None
    depth: str | None = None
    flux: str | None = None
    grounding_dino: str | None = None
    sam2: str | None = None
    hunyuan_shape: str | None = None
    regressor: str | None = None
    retexture: bool = True


def missing_models(
    weights: ChainWeights = ChainWeights(),
    models_dir: str | os.PathLike[str] | None = None,
    lock: LockFile | None = None,
    options: ChainOptions | None = None,
) -> list[str]:
    """Lock entries of `chain_models(options)` with files missing (no hashing),
    skipping those overridden by an explicit folder in `weights` (`lock`:
    default `load_lock()`)."""
    sana_base, finetune, depth, flux, dino, sam2, shape = chain_models(options)
    overridden = {
        sana_base: weights.sana_base,
        finetune: weights.sana_finetune or (options.sana.finetune if options is not None else None),
        depth: weights.depth if weights.retexture else "skipped",
        flux: weights.flux if weights.retexture else "skipped",
        dino: weights.grounding_dino, sam2: weights.sam2, shape: weights.hunyuan_shape,
    }
    lock = lock if lock is not None else load_lock()
    return [n for n in chain_models(options)
            if overridden.get(n) is None and presence(lock.get(n), models_dir) != "present"]


def load_chain(
    runtime: Runtime | None = None,
    options: ChainOptions = ChainOptions(),
    weights: ChainWeights = ChainWeights(),
) -> Hoi3dgenChain:
    """Build every backend of the chain from its weights (module docstring).

    Raises:
        ModelUnavailableError: models missing (all named, with stages and the
            `hoiexport models fetch` command), or a backend's weights unusable.
    """
    weights = replace(weights, retexture=weights.retexture and options.retexture)
    lock = load_lock()
    missing = missing_models(weights, lock=lock, options=options)
    if missing:
        lines = "; ".join(f"{n} (stage {lock.get(n).stage})" for n in missing)
        raise ModelUnavailableError(
            f"the hoi3dgen generator needs model weights that are not under {get_models_dir()}: {lines}. "
            f"Fetch them on a machine with internet: `hoiexport models fetch {' '.join(missing)}` "
            "(then copy the folder and set HOIEXPORT_MODELS), or use --generator compose"
        )
    from hoiexport.sdk.generators.hoi3dgen.matting import GroundedSam2Matting
    from hoiexport.sdk.generators.hoi3dgen.sana import SanaTextToImage
    from hoiexport.sdk.generators.hoi3dgen.shape import Hunyuan3DShape
    from hoiexport.sdk.generators.hoi3dgen.texture import choose_texturer

    rt = runtime or Runtime()
    t2i = SanaTextToImage.from_pretrained(weights.sana_base, weights.sana_finetune, rt, options=options.sana)
    depth = retexturer = None
    if weights.retexture:
        from hoiexport.sdk.generators.hoi3dgen.depth import DepthAnythingEstimator
        from hoiexport.sdk.generators.hoi3dgen.retexture import FluxDepthRetexturer

        depth = DepthAnythingEstimator.from_pretrained(weights.depth, rt, options.depth)
        retexturer = FluxDepthRetexturer.from_pretrained(weights.flux, rt)
    matting = GroundedSam2Matting.from_pretrained(weights.grounding_dino, weights.sam2, rt, options.matting,
                                                  segment=options.segment)
    shape = Hunyuan3DShape.from_pretrained(weights.hunyuan_shape, rt, options.shape)
    texture = choose_texturer(rt, prefer=options.texturer, paint21=options.paint21)
    estimator = _regressor_estimator(weights.regressor, rt, options)
    used = [n for n in chain_models(options) if weights.retexture or n not in _retexture_models(options)]
    used += list(texture.lock_entries)
    if estimator is not None:
        used.append("camerahmr")
    models = {n: lock.get(n).revision for n in used}
    return Hoi3dgenChain(t2i, depth, retexturer, matting, shape, texture.texturer, matting.segmenter, rt,
                         estimator=estimator, options=replace(options, retexture=weights.retexture),
                         models=models, texture_reason=texture.reason)


def _retexture_models(options: ChainOptions) -> tuple[str, str]:
    """The lock entries of stage 2 (Depth Anything, FLUX.1-Depth)."""
    names = chain_models(options)
    return names[2], names[3]


def _regressor_estimator(path: str | None, runtime: Runtime, options: ChainOptions):
    """The CameraHMR estimator (`options.regressor` settings) when its weights
    are there, else None (the chain's point-cloud estimator runs and provenance
    says so)."""
    from hoiexport.sdk.generators.hoi3dgen.regressor import CameraHMRRegressor, RegressorEstimator

    try:
        regressor = CameraHMRRegressor.from_pretrained(path, runtime)
    except ModelUnavailableError:
        if path is not None:
            raise
        return None
    return RegressorEstimator(regressor, options=options.regressor)


class ChainCache:
    """Built chains by (device, precision, offload, settings), at most `max_chains` at once.

    A built chain holds every network of the chain (tens of GB on a GPU), so the
    cache is bounded (least recently used out) and owned: `close()` drops every
    chain and returns the GPU memory to the driver. Thread-safe.

    Attributes:
        max_chains: how many built chains are kept (>= 1).
    """

    def __init__(self, max_chains: int = 1) -> None:
        if not isinstance(max_chains, int) or max_chains < 1:
            raise InputError(f"ChainCache max_chains must be an integer >= 1, got {max_chains!r}")
        self.max_chains = max_chains
        self._chains: OrderedDict[tuple, Hoi3dgenChain] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._chains)

    def get(self, runtime: Runtime, options: ChainOptions | None = None) -> Hoi3dgenChain:
        """The chain for `runtime`'s device, precision and offload and for
        `options` (None = `ChainOptions()`), built on first use."""
        options = options if options is not None else ChainOptions()
        key = (runtime.device, runtime.precision, runtime.cpu_offload, repr(options))
        with self._lock:
            chain = self._chains.get(key)
            if chain is not None:
                self._chains.move_to_end(key)
                return chain
            while len(self._chains) >= self.max_chains:
                self._chains.popitem(last=False)
                _free_device_memory()
            chain = self._chains[key] = load_chain(runtime, options, ChainWeights())
            return chain

    def close(self) -> None:
        """Drop every built chain and free the accelerator's cached memory."""
        with self._lock:
            self._chains.clear()
        _free_device_memory()


def _free_device_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def generate(
    prompt: Prompt,
    seed: int = 0,
    *,
    chain: Hoi3dgenChain | None = None,
    runtime: Runtime | None = None,
    options: ChainOptions | None = None,
    weights: ChainWeights = ChainWeights(),
    cache: ChainCache | None = None,
) -> HOIAsset:
    """Run the hoi3dgen chain for a parsed prompt.

    Args:
        prompt: the parsed prompt (object label, requested configuration).
        seed: one seed for every stage.
        chain: a built chain (tests, or a caller that keeps one); default
            `load_chain`, kept in `cache` when `weights` are the defaults.
        runtime: device and precision for a chain built here.
        options: chain settings for a chain built here.
        weights: explicit weight folders for a chain built here.
        cache: where a default chain is kept between calls (None: built for this
            call only).

    Raises:
        InputError: bad prompt or seed.
        ModelUnavailableError: weights missing (see `load_chain`).
        GenerationError: no view could be lifted.
    """
    if not isinstance(prompt, Prompt):
        raise InputError(f"hoi3dgen.generate needs a parsed Prompt, got {type(prompt).__name__}")
    if chain is None:
        rt = runtime or Runtime()
        if weights == ChainWeights() and cache is not None:
            chain = cache.get(rt, options)
        else:
            chain = load_chain(rt, options or ChainOptions(), weights)
    return chain.run(prompt, seed).asset


class Hoi3dgenGenerator:
    """The paper's chain behind the `Generator` protocol (registry name "hoi3dgen").

    It owns the `ChainCache` of built chains, so a batch loads the weights once
    per process; `close()` releases them.
    """

    name = "hoi3dgen"

    def __init__(self, max_chains: int = 1) -> None:
        self.cache = ChainCache(max_chains)

    def unavailable(self) -> str | None:
        """Why the chain cannot run here: no CUDA GPU, or weights missing (named)."""
        import torch

        if not torch.cuda.is_available():
            return "no CUDA GPU"
        missing = missing_models()
        return f"weights missing: {', '.join(missing)}" if missing else None

    def close(self) -> None:
        """Drop the built chains (see `ChainCache.close`)."""
        self.cache.close()

    def __call__(self, prompt: Prompt, seed: int, options: GenerationOptions) -> HOIAsset:
        """Run the chain (`generate`) with `options.runtime` and `options.settings`
        (`ChainOptions`, e.g. from `PRESETS`; None = the "best" preset); the
        built chain is cached."""
        settings = options.settings
        if settings is not None and not isinstance(settings, ChainOptions):
            raise InputError(f"the hoi3dgen generator takes ChainOptions settings, got {type(settings).__name__}")
        if options.object_mesh is not None:
            raise InputError("the hoi3dgen generator makes its own object from the text; your own object mesh "
                             "(--object-mesh) works with --generator compose")
        return generate(prompt, int(seed), runtime=options.runtime, options=settings, cache=self.cache)
