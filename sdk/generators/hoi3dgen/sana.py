"""Stage 1 of `hoi3dgen`: view-conditioned SANA text → image (diffusers' `SanaPipeline`).

A diffusers-format SANA base supplies the Gemma-2 text encoder and tokenizer,
the DC-AE VAE and the transformer's config (`SANA_BASES`, picked by
`SanaOptions.base`); the transformer's weights are HOI3DGen's fine-tune (lock
entry `hoi3dgen-sana`, a SANA-native `.pth` converted by
`hoiexport.sdk.generators.hoi3dgen.sana_convert`). Prompts come from
`hoiexport.sdk.generators.hoi3dgen.views` (one per view).

What HOI3DGen's release runs (agshar96/Hoi3DGen `run_t23d_pipe.sh` step 1): the
fork's `scripts/inference.py --config
configs/sana1-5_config/1024ms/Sana_1600M_1024px_infer.yaml --model_path
weights/epoch_1050_step_25201.pth --step 50`. That infer config is only in the
fork (agshar96/Sana, not readable here); its name and folder are those of NVlabs/
Sana's SANA 1.5 1.6B configs (`configs/sana1-5_config/1024ms/
Sana_1600M_1024px_allqknorm_bf16_lr2e5.yaml`, read for this module): model
SanaMS_1600M_P1_D20 with `qk_norm` and `cross_norm` (query/key RMS norms), VAE
`mit-han-lab/dc-ae-f32c32-sana-1.0-diffusers` (scale 0.41407), text encoder
`gemma-2-2b-it` with 300 tokens, `y_norm`, the CHI prefix below, scheduler
`flow_shift: 3.0` and sampler `flow_dpm-solver`. NVlabs/Sana's
`scripts/inference.py` then samples with classifier-free guidance 4.5
(`cfg_scale` default) against the empty prompt, with one generator seeded
`args.seed` (default 0: the run script passes none) from which the noise of each
prompt is drawn in turn.

Here (the defaults are that setup, except the seed policy):

- base "sana-1.5" (lock entry `sana1-5-1600m-1024px`,
  Efficient-Large-Model/SANA1.5_1.6B_1024px_diffusers: the SANA 1.5 1.6B
  transformer config with `qk_norm`, Gemma-2-2B-IT, DC-AE); "sana-1.0" (lock
  entry `sana-1600m-1024px`) is kept selectable. A fine-tune with query/key
  norms also loads on the 1.0 config (`load_sana_transformer` switches qk_norm on).
- scheduler "flow_dpm_solver": diffusers' port of SANA's sampler,
  `DPMSolverMultistepScheduler(flow_shift=3.0, use_flow_sigmas=True,
  prediction_type="flow_prediction")` (what diffusers'
  `convert_sana_to_diffusers.py` writes for "flow-dpm_solver"); "flow_euler" and
  "base" (the folder's own scheduler) are selectable.
- 1024², 50 steps, guidance 4.5, empty negative prompt, 300 text tokens, and
  SANA's "complex human instruction" (CHI) prefix worded as in NVlabs/Sana's
  configs (diffusers' default differs only in its quote marks).
- seeds: "per_image" (ours, default) draws image k from seed + k, so an image
  does not depend on the batch it is in; "sequential" is the release's: one
  generator seeded once, the prompts' noise drawn in order.

The fine-tuned transformer comes from one of `FINETUNE_LOADERS`, picked by
`finetune_kind(path)`: a file is a SANA-native checkpoint ("sana-native", the
release's `.pth`); a folder with `finetune.json` is the output of
`hoiexport finetune sana` (`hoiexport.sdk.training.finetune`), whose manifest
names its mode: "full" (a diffusers `transformer/` folder) or "lora"
(`pytorch_lora_weights.safetensors`, fused into the base transformer).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.sana_convert import load_sana_transformer
from hoiexport.sdk.models import ModelRef, RequiredPaths, load_pretrained, resolve_file, resolve_weights

SanaBase = Literal["sana-1.5", "sana-1.0"]
"""Which diffusers-format SANA base supplies text encoder, VAE and transformer config."""

_BASE_LAYOUT = RequiredPaths("the diffusers-format SANA folder", files=("model_index.json",))

SANA_BASES: dict[SanaBase, ModelRef] = {
    "sana-1.5": ModelRef("sana1-5-1600m-1024px", "text_to_image", _BASE_LAYOUT),
    "sana-1.0": ModelRef("sana-1600m-1024px", "text_to_image", _BASE_LAYOUT),
}
"""Base name → its lock entry (SANA 1.5 1.6B: the release's config; SANA 1.0 1.6B)."""

DEFAULT_BASE: SanaBase = "sana-1.5"
"""The base of HOI3DGen's release (a SANA 1.5 config)."""
BASE_WEIGHTS = SANA_BASES[DEFAULT_BASE]
"""Where `SanaTextToImage.from_pretrained` finds the default base pipeline."""
BASE_MODEL = BASE_WEIGHTS.name
"""Lock entry of the default diffusers-format base."""
FINETUNE_MODEL = "hoi3dgen-sana"
"""Lock entry of HOI3DGen's fine-tuned transformer."""
FINETUNE_FILE = "epoch_1050_step_25201.pth"
"""The fine-tune's file in that entry."""

FINETUNE_MANIFEST = "finetune.json"
"""The provenance file that marks a `hoiexport finetune sana` output folder."""
FINETUNE_FORMAT = "hoiexport-sana-finetune"
"""`finetune.json`'s "format" value."""
FINETUNE_TRANSFORMER = "transformer"
"""Full fine-tune: the diffusers `SanaTransformer2DModel` folder (config.json + safetensors)."""
FINETUNE_TRANSFORMER_EMA = "transformer_ema"
"""Full fine-tune: the EMA weights' folder (when trained with EMA)."""
FINETUNE_LORA = "pytorch_lora_weights.safetensors"
"""LoRA fine-tune: diffusers' LoRA file (`SanaPipeline.save_lora_weights`, keys "transformer.*")."""
FINETUNE_LORA_EMA = "pytorch_lora_weights_ema.safetensors"
"""LoRA fine-tune: the EMA weights' LoRA file (when trained with EMA)."""

FLOW_SHIFT = 3.0
"""SANA 1.5 1.6B's `scheduler.flow_shift` (1024 px)."""

OFFICIAL_SEED = 0
"""The seed of HOI3DGen's SANA run: NVlabs/Sana `scripts/inference.py`'s default
(`seed: int = 0`), since `run_t23d_pipe.sh` passes none (unverified for the fork)."""

SanaScheduler = Literal["flow_dpm_solver", "flow_euler", "base"]
"""The sampler (`SCHEDULERS`)."""


def _flow_dpm_solver(scheduler: Any, flow_shift: float) -> Any:
    from diffusers import DPMSolverMultistepScheduler

    return DPMSolverMultistepScheduler(flow_shift=flow_shift, use_flow_sigmas=True, prediction_type="flow_prediction")


def _flow_euler(scheduler: Any, flow_shift: float) -> Any:
    from diffusers import FlowMatchEulerDiscreteScheduler

    return FlowMatchEulerDiscreteScheduler(shift=flow_shift)


def _base_scheduler(scheduler: Any, flow_shift: float) -> Any:
    return scheduler


SCHEDULERS: dict[SanaScheduler, Callable[[Any, float], Any]] = {
    "flow_dpm_solver": _flow_dpm_solver,
    "flow_euler": _flow_euler,
    "base": _base_scheduler,
}
"""Sampler name → (the components' scheduler, flow shift) → the scheduler to run:
SANA's flow DPM-Solver (the release's `flow_dpm-solver`), flow-matching Euler,
or the base folder's own scheduler unchanged."""

SanaSeedPolicy = Literal["per_image", "sequential"]
"""How the noise of each image is seeded (see the module docstring)."""

SANA_CHI: tuple[str, ...] = (
    ('Given a user prompt, generate an "Enhanced prompt" that provides detailed visual descriptions suitable for '
     "image generation. Evaluate the level of detail in the user prompt:"),
    ("- If the prompt is simple, focus on adding specifics about colors, shapes, sizes, textures, and spatial "
     "relationships to create vivid and concrete scenes."),
    "- If the prompt is already detailed, refine and enhance the existing details slightly without overcomplicating.",
    "Here are examples of how to transform or refine prompts:",
    ("- User Prompt: A cat sleeping -> Enhanced: A small, fluffy white cat curled up in a round shape, sleeping "
     "peacefully on a warm sunny windowsill, surrounded by pots of blooming red flowers."),
    ("- User Prompt: A busy city street -> Enhanced: A bustling city street scene at dusk, featuring glowing street "
     "lamps, a diverse crowd of people in colorful clothing, and a double-decker bus passing by towering glass "
     "skyscrapers."),
    ("Please generate only the enhanced description for the prompt below and avoid including any additional "
     "commentary or evaluations:"),
    "User Prompt: ",
)
"""SANA's complex-human-instruction lines (`text_encoder.chi_prompt` of NVlabs/Sana's
1600M 1024px configs), joined with newlines and put in front of each prompt."""

_BINNED_SAMPLE_SIZES = (16, 32, 64, 128)
"""Transformer sample sizes diffusers has aspect-ratio bins for (512 px … 4K)."""


@dataclass(frozen=True)
class SanaOptions:
    """Defaults and settings of `SanaTextToImage`.

    Attributes:
        height, width: pixels when `generate` is not told (multiples of 32).
        steps: denoising steps when not told (HOI3DGen: 50).
        guidance: classifier-free guidance scale when not told (SANA: 4.5).
        negative_prompt: the unconditional prompt (HOI3DGen / SANA: empty).
        max_sequence_length: text tokens the transformer attends to (SANA: 300).
        complex_human_instruction: CHI lines put before each prompt; None = none.
        resolution_binning: snap to SANA's aspect-ratio bins and resize back (a
            no-op at 1024²); only where diffusers has bins for the model's size.
        batch_size: prompts denoised together (the 3 views of an asset: 3).
        use_ema: load the fine-tune's EMA weights instead (SANA's inference
            script loads the non-EMA "state_dict").
        base: the diffusers base `from_pretrained` resolves (`SANA_BASES`;
            "sana-1.5" = the release's).
        scheduler: the sampler (`SCHEDULERS`; "flow_dpm_solver" = the release's).
        flow_shift: the flow-matching timestep shift of "flow_dpm_solver" /
            "flow_euler" (SANA 1.5 1.6B at 1024 px: 3.0).
        seed_policy: "per_image" (image k from seed + k) or "sequential" (one
            generator seeded once, noise drawn prompt after prompt: the release's).
        finetune: the fine-tuned transformer `from_pretrained` loads when it is
            not given one: a SANA-native `.pth` or a `hoiexport finetune sana`
            output folder (`FINETUNE_LOADERS`); None = lock entry `hoi3dgen-sana`
            (`--set sana.finetune=PATH`).
    """

    height: int = 1024
    width: int = 1024
    steps: int = 50
    guidance: float = 4.5
    negative_prompt: str = ""
    max_sequence_length: int = 300
    complex_human_instruction: tuple[str, ...] | None = SANA_CHI
    resolution_binning: bool = True
    batch_size: int = 3
    use_ema: bool = False
    base: SanaBase = DEFAULT_BASE
    scheduler: SanaScheduler = "flow_dpm_solver"
    flow_shift: float = FLOW_SHIFT
    seed_policy: SanaSeedPolicy = "per_image"
    finetune: str | None = None

    def __post_init__(self) -> None:
        if self.base not in SANA_BASES:
            raise InputError(f"SanaOptions.base {self.base!r} is unknown: use one of {', '.join(SANA_BASES)}")
        if self.scheduler not in SCHEDULERS:
            raise InputError(f"SanaOptions.scheduler {self.scheduler!r} is unknown: use one of {', '.join(SCHEDULERS)}")
        if self.seed_policy not in get_args(SanaSeedPolicy):
            known = ", ".join(get_args(SanaSeedPolicy))
            raise InputError(f"SanaOptions.seed_policy {self.seed_policy!r} is unknown: use one of {known}")
        if not np.isfinite(self.flow_shift) or self.flow_shift <= 0:
            raise InputError(f"SanaOptions.flow_shift must be a finite number > 0, got {self.flow_shift!r}")
        for name in ("height", "width", "steps", "max_sequence_length", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"SanaOptions.{name} must be a positive integer, got {value!r}")
        if not np.isfinite(self.guidance) or self.guidance < 0:
            raise InputError(f"SanaOptions.guidance must be a finite number >= 0, got {self.guidance!r}")
        if self.finetune is not None and (not isinstance(self.finetune, str) or not self.finetune.strip()):
            raise InputError(f"SanaOptions.finetune must be None or a path, got {self.finetune!r}")


def _aux_dtype(runtime: Runtime):
    """dtype of the Gemma-2 text encoder and the VAE: fp16 overflows in both, so
    they run in bf16 when the transformer runs in fp16."""
    import torch

    return torch.bfloat16 if runtime.dtype == torch.float16 else runtime.dtype


# ----------------------------------------------------------------------------- fine-tunes

FinetuneKind = Literal["sana-native", "full", "lora"]
"""What a fine-tune path holds (`finetune_kind`)."""

FinetuneLoader = Callable[[Path, Path, Runtime, SanaOptions], Any]
"""(fine-tune path, base pipeline folder, runtime, options) → `SanaTransformer2DModel`
on `runtime` (on the CPU under offload), in eval mode."""

_INTERFACE_KEYS = ("in_channels", "out_channels", "patch_size", "caption_channels")
"""Transformer config keys that must agree with the base's VAE and text encoder."""


def read_finetune_manifest(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """`finetune.json` of a `hoiexport finetune sana` output folder.

    Raises:
        ModelUnavailableError: no readable manifest in `folder`.
        InputError: the manifest is not this format or names no known mode.
    """
    path = Path(folder) / FINETUNE_MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelUnavailableError(
            f"{folder} is a folder without {FINETUNE_MANIFEST}: pass a SANA-native .pth or a folder written by "
            "`hoiexport finetune sana`"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelUnavailableError(f"cannot read {path}: {exc}; re-run `hoiexport finetune sana`") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FINETUNE_FORMAT:
        raise InputError(f"{path} is not a {FINETUNE_FORMAT!r} manifest: pass a folder written by `hoiexport finetune sana`")
    return manifest


def finetune_kind(path: str | os.PathLike[str]) -> FinetuneKind:
    """Which `FINETUNE_LOADERS` entry loads `path`: a folder → its manifest's mode
    ("full" or "lora"); anything else → "sana-native" (a training checkpoint file).

    Raises:
        ModelUnavailableError / InputError: a folder without a valid manifest, or
            whose mode is unknown.
    """
    p = Path(path)
    if not p.is_dir():
        return "sana-native"
    mode = read_finetune_manifest(p).get("mode")
    if mode not in FINETUNE_LOADERS or mode == "sana-native":
        known = ", ".join(k for k in FINETUNE_LOADERS if k != "sana-native")
        raise InputError(f"{p / FINETUNE_MANIFEST} names mode {mode!r}: this version loads {known}")
    return mode


def _check_text_setup(folder: Path, manifest: Mapping[str, Any], options: SanaOptions) -> None:
    """The fine-tune was trained on the text path `options` encodes (CHI prefix, token count)."""
    text = manifest.get("text", {})
    chi = list(options.complex_human_instruction) if options.complex_human_instruction else None
    trained_chi = text.get("complex_human_instruction") or None
    if trained_chi != chi:
        raise InputError(
            f"{folder} was trained with a different complex_human_instruction than SanaOptions has: "
            f"set it as in {FINETUNE_MANIFEST} (text.complex_human_instruction)"
        )
    if text.get("max_sequence_length") != options.max_sequence_length:
        raise InputError(
            f"{folder} was trained with max_sequence_length {text.get('max_sequence_length')!r}, SanaOptions has "
            f"{options.max_sequence_length}: set SanaOptions.max_sequence_length to match"
        )


def _check_interface(folder: Path, config: Mapping[str, Any], base: Path) -> None:
    """`config` (a fine-tune's transformer) fits the base's VAE and text encoder."""
    from hoiexport.sdk.generators.hoi3dgen.sana_convert import transformer_config

    base_config = transformer_config(base)
    bad = [f"{k} {config.get(k)!r} vs {base_config.get(k)!r}" for k in _INTERFACE_KEYS if config.get(k) != base_config.get(k)]
    if bad:
        raise InputError(f"fine-tune {folder} does not fit the base {base} ({'; '.join(bad)}): pass the base it was trained on")


def _placed(model: Any, runtime: Runtime) -> Any:
    device = "cpu" if runtime.offload else runtime.torch_device
    return model.to(device=device, dtype=runtime.dtype).eval()


def _load_native(path: Path, base: Path, runtime: Runtime, options: SanaOptions) -> Any:
    return load_sana_transformer(path, base / "transformer", runtime, use_ema=options.use_ema)


def _load_full(folder: Path, base: Path, runtime: Runtime, options: SanaOptions) -> Any:
    from diffusers.models.transformers.sana_transformer import SanaTransformer2DModel

    manifest = read_finetune_manifest(folder)
    _check_text_setup(folder, manifest, options)
    sub = folder / (FINETUNE_TRANSFORMER_EMA if options.use_ema else FINETUNE_TRANSFORMER)
    if options.use_ema and not sub.is_dir():
        raise InputError(f"fine-tune {folder} has no EMA weights ({sub.name}/; trained without EMA): use use_ema=False")
    try:
        model = SanaTransformer2DModel.from_pretrained(sub, torch_dtype=runtime.dtype, local_files_only=True,
                                                       use_safetensors=True)
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(f"cannot load the fine-tuned transformer {sub}: {exc}") from exc
    _check_interface(folder, model.config, base)
    return _placed(model, runtime)


def _load_lora(folder: Path, base: Path, runtime: Runtime, options: SanaOptions) -> Any:
    from diffusers.models.transformers.sana_transformer import SanaTransformer2DModel

    from hoiexport.sdk.generators.hoi3dgen.sana_convert import transformer_config

    manifest = read_finetune_manifest(folder)
    _check_text_setup(folder, manifest, options)
    name = FINETUNE_LORA_EMA if options.use_ema else FINETUNE_LORA
    if not (folder / name).is_file():
        if options.use_ema:
            raise InputError(f"fine-tune {folder} has no EMA weights ({name}; trained without EMA): use use_ema=False")
        raise ModelUnavailableError(f"fine-tune {folder} has no {name}: re-run `hoiexport finetune sana`")
    trained_on = manifest.get("base", {}).get("transformer_config", {})
    here = transformer_config(base)
    differ = sorted(k for k in trained_on if not k.startswith("_") and k in here and here[k] != trained_on[k])
    if differ:
        raise InputError(f"LoRA {folder} was trained on another base transformer (config {', '.join(differ)} differ): "
                         "pass the base it was trained on")
    ref = SANA_BASES[options.base]
    model = load_pretrained(SanaTransformer2DModel.from_pretrained, base / "transformer", ref, local_safetensors=False,
                            torch_dtype=runtime.dtype)
    try:
        model.load_lora_adapter(str(folder), weight_name=name, prefix="transformer", adapter_name="finetune",
                                local_files_only=True)
    except (OSError, ValueError, RuntimeError) as exc:
        raise InputError(f"LoRA {folder / name} does not fit the base transformer {base}: {exc}") from exc
    model.fuse_lora(adapter_names=["finetune"])
    model.unload_lora()
    return _placed(model, runtime)


FINETUNE_LOADERS: dict[FinetuneKind, FinetuneLoader] = {
    "sana-native": _load_native,
    "full": _load_full,
    "lora": _load_lora,
}
"""Fine-tune kind (`finetune_kind`) → its loader: NVlabs/Sana's training checkpoint
(`sana_convert`), our full fine-tune's `transformer/` folder, or our LoRA fused into
the base transformer. `SanaOptions.use_ema` picks each kind's EMA weights."""


def load_finetuned_transformer(
    path: str | os.PathLike[str], base_folder: str | os.PathLike[str], runtime: Runtime, options: SanaOptions
) -> Any:
    """The fine-tuned `SanaTransformer2DModel` at `path` on the base at `base_folder`.

    Args:
        path: a SANA-native checkpoint file or a `hoiexport finetune sana` folder.
        base_folder: the diffusers SANA pipeline folder (its `transformer/` config).
        runtime: device and dtype.
        options: `use_ema`, the text setup the fine-tune must have been trained on.

    Raises:
        ModelUnavailableError: missing or unreadable files.
        InputError: the fine-tune does not fit the base or the text setup.
    """
    p = Path(path).expanduser()
    return FINETUNE_LOADERS[finetune_kind(p)](p, Path(base_folder), runtime, options)


class SanaTextToImage:
    """`protocols.TextToImage` on diffusers' `SanaPipeline`.

    Build it from components (tests: tiny random-weight models) or with
    `from_pretrained` (the pinned weights).

    Args:
        tokenizer: Gemma tokenizer (a `transformers` tokenizer).
        text_encoder: `transformers.Gemma2Model` (the decoder, no LM head).
        vae: `diffusers.AutoencoderDC`.
        transformer: `diffusers.SanaTransformer2DModel`.
        scheduler: the base's scheduler; replaced by `options.scheduler`'s
            (`SCHEDULERS`) unless that is "base".
        runtime: device, precision and offload; components are moved and cast here.
        options: defaults (`SanaOptions`).
    """

    def __init__(
        self,
        *,
        tokenizer: Any,
        text_encoder: Any,
        vae: Any,
        transformer: Any,
        scheduler: Any,
        runtime: Runtime,
        options: SanaOptions | None = None,
    ) -> None:
        from diffusers import SanaPipeline

        self.runtime = runtime
        self.options = options or SanaOptions()
        aux = _aux_dtype(runtime)
        for module, dtype in ((transformer, runtime.dtype), (text_encoder, aux), (vae, aux)):
            if module.dtype != dtype:
                module.to(dtype=dtype)
        scheduler = SCHEDULERS[self.options.scheduler](scheduler, self.options.flow_shift)
        # Any: mypy reads diffusers' top-level SanaPipeline as its torch-less dummy class
        pipe: Any = SanaPipeline(
            tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=scheduler
        )
        self.pipeline = pipe
        pipe.set_progress_bar_config(disable=True)
        if runtime.offload:
            pipe.enable_model_cpu_offload(device=runtime.torch_device)
        else:
            pipe.to(runtime.torch_device)

    @classmethod
    def from_pretrained(
        cls,
        base_folder: str | os.PathLike[str] | None = None,
        finetune: str | os.PathLike[str] | None = None,
        runtime: Runtime | None = None,
        *,
        options: SanaOptions | None = None,
        use_finetune: bool = True,
    ) -> SanaTextToImage:
        """Load the pinned SANA base and HOI3DGen's fine-tuned transformer.

        Args:
            base_folder: diffusers-format SANA pipeline folder (`model_index.json`,
                `tokenizer/`, `text_encoder/`, `vae/`, `scheduler/`, `transformer/`);
                None = the lock entry of `options.base` (default
                `sana1-5-1600m-1024px`).
            finetune: the fine-tuned transformer: a SANA-native checkpoint
                (`epoch_1050_step_25201.pth`) or a `hoiexport finetune sana` output
                folder (full or LoRA; `FINETUNE_LOADERS`); None = `options.finetune`,
                else lock entry `hoi3dgen-sana`.
            runtime: device / precision / offload (default `Runtime()`).
            options: sampling defaults.
            use_finetune: False runs the base transformer (to compare against).

        Raises:
            ModelUnavailableError: a folder or file is missing or mismatches the
                lock; the message names the model, stage, path and fix command.
            InputError: the fine-tune does not fit the base architecture or the
                text setup of `options`.
        """
        from diffusers import SanaPipeline

        runtime = runtime or Runtime()
        options = options or SanaOptions()
        ref = SANA_BASES[options.base]
        base = resolve_weights(ref, base_folder)
        aux = _aux_dtype(runtime)
        dtypes: dict[str, Any] = {"default": aux, "transformer": runtime.dtype}
        extra: dict[str, Any] = {}
        if use_finetune:
            finetune = finetune if finetune is not None else options.finetune
            ckpt = Path(finetune).expanduser() if finetune is not None else resolve_file(FINETUNE_MODEL, FINETUNE_FILE)
            extra["transformer"] = load_finetuned_transformer(ckpt, base, runtime, options)
        pipe = load_pretrained(SanaPipeline.from_pretrained, base, ref, local_safetensors=False,
                               torch_dtype=dtypes, **extra)
        return cls(
            tokenizer=pipe.tokenizer,
            text_encoder=pipe.text_encoder,
            vae=pipe.vae,
            transformer=pipe.transformer,
            scheduler=pipe.scheduler,
            runtime=runtime,
            options=options,
        )

    @property
    def pixel_multiple(self) -> int:
        """Height and width must be multiples of this (VAE factor × patch size)."""
        return int(self.pipeline.vae_scale_factor) * int(self.pipeline.transformer.config.patch_size)

    def generate(
        self,
        prompts: Sequence[str],
        *,
        seed: int,
        height: int | None = None,
        width: int | None = None,
        steps: int | None = None,
        guidance: float | None = None,
    ) -> list[np.ndarray]:
        """Images for `prompts` (see `protocols.TextToImage.generate`).

        Prompts are denoised `options.batch_size` at a time. Noise comes from CPU
        generators: with `options.seed_policy` "per_image" image k starts from
        noise drawn by a generator seeded `seed + k` (independent of batching);
        with "sequential" one generator seeded `seed` draws every image's noise in
        prompt order (SANA's inference script). None arguments take the `options`
        defaults.

        Returns:
            One (height, width, 3) uint8 sRGB image per prompt.

        Raises:
            InputError: no or empty prompts, sizes that are not positive multiples
                of `pixel_multiple`, steps < 1, negative guidance, or non-finite
                pixels (e.g. fp16 overflow; use bf16 or fp32).
        """
        import torch

        o = self.options
        height = o.height if height is None else height
        width = o.width if width is None else width
        steps = o.steps if steps is None else steps
        guidance = o.guidance if guidance is None else guidance
        if isinstance(prompts, str) or not prompts:
            raise InputError("prompts must be a non-empty list of strings (one prompt per image)")
        for i, p in enumerate(prompts):
            if not isinstance(p, str) or not p.strip():
                raise InputError(f"prompts[{i}] is empty: every image needs a prompt")
        m = self.pixel_multiple
        for name, value in (("height", height), ("width", width)):
            if not isinstance(value, int) or value < m or value % m:
                raise InputError(f"{name} must be a positive multiple of {m} pixels, got {value!r}")
        if not isinstance(steps, int) or steps < 1:
            raise InputError(f"steps must be a positive integer, got {steps!r}")
        if not np.isfinite(guidance) or guidance < 0:
            raise InputError(f"guidance must be a finite number >= 0, got {guidance!r}")

        binning = o.resolution_binning and self.pipeline.transformer.config.sample_size in _BINNED_SAMPLE_SIZES
        chi = list(o.complex_human_instruction) if o.complex_human_instruction else None
        images: list[np.ndarray] = []
        shared = self.runtime.generator(seed) if o.seed_policy == "sequential" else None
        for start in range(0, len(prompts), o.batch_size):
            chunk = list(prompts[start : start + o.batch_size])
            generators: Any = shared if shared is not None else [
                self.runtime.generator(seed + start + k) for k in range(len(chunk))
            ]
            with torch.inference_mode():
                out = self.pipeline(
                    prompt=chunk,
                    negative_prompt=o.negative_prompt,
                    num_inference_steps=steps,
                    guidance_scale=float(guidance),
                    height=height,
                    width=width,
                    generator=generators,
                    output_type="np",
                    use_resolution_binning=binning,
                    max_sequence_length=o.max_sequence_length,
                    complex_human_instruction=chi,
                )
            batch = np.asarray(out.images, dtype=np.float32)  # (B, H, W, 3) in [0, 1]
            if not np.isfinite(batch).all():
                raise InputError(
                    f"SANA produced non-finite pixels at precision {self.runtime.precision!r}: "
                    "run with precision='bf16' or 'fp32'"
                )
            images.extend(np.round(np.clip(img, 0.0, 1.0) * 255.0).astype(np.uint8) for img in batch)
        return images
