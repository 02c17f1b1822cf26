"""Settings of `hoiexport finetune sana` (`FinetuneOptions`) and what a run reports.

The defaults follow NVlabs/Sana's SANA 1.5 1.6B 1024 px training config where it
states them (`configs/sana1-5_config/1024ms/Sana_1600M_1024px_allqknorm_bf16_lr2e5.yaml`:
lr 2e-5, bf16, flow shift 3.0, logit-normal timesteps with mean 0 and std 1, 10 %
caption dropout, gradient checkpointing); the rest are ours and named so in each
field's description.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.generators.hoi3dgen.runtime import Precision
from hoiexport.sdk.generators.hoi3dgen.sana import SanaOptions
from hoiexport.sdk.generators.hoi3dgen.views import ViewPhrases

TrainMode = Literal["full", "lora"]
"""What is trained: every transformer weight, or LoRA adapters (`sana.MODES`)."""

TimestepSampling = Literal["logit_normal", "uniform", "mode"]
"""`diffusers.training_utils.compute_density_for_timestep_sampling`'s schemes."""

LossWeighting = Literal["none", "sigma_sqrt", "cosmap"]
"""`diffusers.training_utils.compute_loss_weighting_for_sd3`'s schemes ("none": 1)."""

LORA_TARGETS: tuple[str, ...] = ("to_q", "to_k", "to_v", "to_out.0", "conv_inverted", "conv_point")
"""Module-name suffixes LoRA adapts: the query / key / value / output projections of
self- and cross-attention, and the feed-forward's two pointwise (1 × 1) convolutions
(its linear layers; the depthwise 3 × 3 is left alone)."""

DEFAULT_LR: dict[TrainMode, float] = {"full": 2e-5, "lora": 1e-4}
"""Learning rate when `FinetuneOptions.lr` is None: SANA 1.5's config (full), and
diffusers' SANA LoRA DreamBooth default (lora)."""

RESUME_IGNORED = frozenset({"steps", "checkpoint_every", "keep_checkpoints", "resume", "device", "text_cache",
                            "latent_cache"})
"""Fields a resumed run may change; every other field must match the checkpoint's."""


@dataclass(frozen=True)
class FinetuneOptions:
    """How `finetune_sana` trains.

    Attributes:
        mode: "full" (every transformer weight) or "lora".
        steps: optimizer steps in total (a resumed run continues up to this).
        batch: images per micro-batch per process.
        grad_accum: micro-batches per optimizer step.
        lr: AdamW learning rate; None = `DEFAULT_LR[mode]`.
        rank: LoRA rank (mode "lora").
        lora_alpha: LoRA alpha (the adapters are scaled by alpha / rank); None = rank.
        lora_targets: module-name suffixes LoRA adapts (`LORA_TARGETS`).
        resolution: square training side, pixels (images are resized on their
            shorter side and centre-cropped; never flipped: a flip swaps the
            left and right diagonal views); a multiple of the VAE factor × patch.
        precision: "fp32", "bf16" (default) or "fp16" (CUDA only) mixed precision;
            the trainable weights stay fp32, the frozen Gemma-2 and VAE run in
            bf16 unless "fp32" (fp16 overflows in both).
        seed: seeds the data order, noise, timesteps, caption dropout and LoRA init.
        caption_dropout: fraction of captions replaced by the unconditional text
            (the negative prompt, encoded as at inference) for classifier-free guidance.
        timestep_sampling: density of training timesteps; logit_mean / logit_std
            ("logit_normal") and mode_scale ("mode") parametrise it.
        loss_weighting: per-sample weight of the flow-matching MSE.
        warmup_steps: linear learning-rate warm-up, then constant (ours).
        weight_decay: AdamW decoupled weight decay (SANA's configs: 0).
        adam_betas, adam_eps: AdamW's (PyTorch defaults).
        max_grad_norm: gradient clipping norm; 0 = none (ours: 1.0).
        gradient_checkpointing: recompute the transformer's blocks in backward.
        ema_decay: keep an exponential moving average of the trained weights with
            this decay (saved beside them; SANA: 0.9999); None = no EMA.
        text_cache: captions whose embeddings are kept (CPU memory; full size
            ≈ 1.4 MB each); 0 = encode every time. The encoders are frozen and
            each caption / image is encoded alone, so caching changes no value.
        latent_cache: images whose VAE latents are kept (full size at 1024²:
            128 KiB each); 0 = load and encode every time.
        checkpoint_every: steps between training checkpoints (0 = only the last).
        keep_checkpoints: how many of the newest checkpoints are kept (>= 1).
        resume: continue from the newest checkpoint (`RESUME_IGNORED` may change).
        device: "auto" (CUDA when present), "cpu" or "cuda" (which GPU and how
            many processes: `accelerate launch` / CUDA_VISIBLE_DEVICES).
        sana: the base (`base`), flow shift (`flow_shift`) and the text path
            (`complex_human_instruction`, `max_sequence_length`, `negative_prompt`)
            shared with inference; its sampling fields are not used here.
        phrases: the view phrases the captions use (recorded in provenance, and
            the captions of each view counted).
    """

    mode: TrainMode = "full"
    steps: int = 1000
    batch: int = 4
    grad_accum: int = 1
    lr: float | None = None
    rank: int = 16
    lora_alpha: int | None = None
    lora_targets: tuple[str, ...] = LORA_TARGETS
    resolution: int = 1024
    precision: Precision = "bf16"
    seed: int = 0
    caption_dropout: float = 0.1
    timestep_sampling: TimestepSampling = "logit_normal"
    logit_mean: float = 0.0
    logit_std: float = 1.0
    mode_scale: float = 1.29
    loss_weighting: LossWeighting = "none"
    warmup_steps: int = 0
    weight_decay: float = 0.0
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_eps: float = 1e-8
    max_grad_norm: float = 1.0
    gradient_checkpointing: bool = True
    ema_decay: float | None = None
    text_cache: int = 1024
    latent_cache: int = 16384
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    resume: bool = False
    device: str = "auto"
    sana: SanaOptions = field(default_factory=SanaOptions)
    phrases: ViewPhrases = field(default_factory=ViewPhrases)

    def __post_init__(self) -> None:
        for name, choices in (("mode", get_args(TrainMode)), ("precision", get_args(Precision)),
                              ("timestep_sampling", get_args(TimestepSampling)),
                              ("loss_weighting", get_args(LossWeighting))):
            if getattr(self, name) not in choices:
                raise InputError(f"FinetuneOptions.{name} {getattr(self, name)!r} is unknown: use one of {', '.join(choices)}")
        for name in ("steps", "batch", "grad_accum", "rank", "resolution", "keep_checkpoints"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"FinetuneOptions.{name} must be a positive integer, got {value!r}")
        for name in ("seed", "warmup_steps", "checkpoint_every", "text_cache", "latent_cache"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"FinetuneOptions.{name} must be an integer >= 0, got {value!r}")
        if self.lr is not None and not (math.isfinite(self.lr) and self.lr > 0):
            raise InputError(f"FinetuneOptions.lr must be a number > 0 (or None for the mode's default), got {self.lr!r}")
        if self.lora_alpha is not None and (isinstance(self.lora_alpha, bool) or not isinstance(self.lora_alpha, int)
                                            or self.lora_alpha < 1):
            raise InputError(f"FinetuneOptions.lora_alpha must be a positive integer or None, got {self.lora_alpha!r}")
        if not self.lora_targets or not all(isinstance(t, str) and t for t in self.lora_targets):
            raise InputError(f"FinetuneOptions.lora_targets must be non-empty module names, got {self.lora_targets!r}")
        if not 0.0 <= self.caption_dropout < 1.0:
            raise InputError(f"FinetuneOptions.caption_dropout must be in [0, 1), got {self.caption_dropout!r}")
        if not (math.isfinite(self.logit_std) and self.logit_std > 0 and math.isfinite(self.logit_mean)):
            raise InputError("FinetuneOptions.logit_mean must be finite and logit_std > 0, "
                             f"got {self.logit_mean!r}, {self.logit_std!r}")
        for name in ("weight_decay", "max_grad_norm", "adam_eps", "mode_scale"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InputError(f"FinetuneOptions.{name} must be a finite number >= 0, got {value!r}")
        if len(self.adam_betas) != 2 or not all(0.0 <= b < 1.0 for b in self.adam_betas):
            raise InputError(f"FinetuneOptions.adam_betas must be two numbers in [0, 1), got {self.adam_betas!r}")
        if self.ema_decay is not None and not 0.0 < self.ema_decay < 1.0:
            raise InputError(f"FinetuneOptions.ema_decay must be in (0, 1) or None, got {self.ema_decay!r}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise InputError(f"FinetuneOptions.device must be auto, cpu or cuda, got {self.device!r}")

    @property
    def learning_rate(self) -> float:
        """`lr`, or the mode's default."""
        return self.lr if self.lr is not None else DEFAULT_LR[self.mode]

    def fingerprint(self) -> dict[str, Any]:
        """The fields a checkpoint must share with a run that resumes it (JSON-able)."""
        from dataclasses import asdict

        return {f.name: _jsonable(asdict(self)[f.name]) for f in fields(self) if f.name not in RESUME_IGNORED}

    def to_json(self) -> dict[str, Any]:
        """Every field, JSON-able (provenance)."""
        from dataclasses import asdict

        return {k: _jsonable(v) for k, v in asdict(self).items()}


def _jsonable(value: Any) -> Any:
    """Tuples → lists, recursively (what a JSON round trip gives back)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class FinetuneProgress:
    """One optimizer step done (what the progress callback receives).

    Attributes:
        step: optimizer steps done so far (1-based; a resumed run starts above 1).
        steps: the run's total.
        loss: this step's loss (flow-matching MSE, mean over micro-batches and processes).
        lr: the learning rate the step used.
        elapsed_s: seconds since this process started training.
    """

    step: int
    steps: int
    loss: float
    lr: float
    elapsed_s: float


@dataclass(frozen=True)
class FinetuneResult:
    """What `finetune_sana` wrote.

    Attributes:
        out: the output folder (`finetune.json` + the weights).
        steps: optimizer steps the weights have seen.
        final_loss: the last step's loss (None when no step ran in this process
            and the checkpoint had none).
        losses: every step's loss, from step 1 (a resumed run includes the
            checkpoint's history).
        resumed_from: the step the run resumed at (0 = from the base).
        seconds: wall-clock seconds of this process's training.
    """

    out: Path
    steps: int
    final_loss: float | None
    losses: tuple[float, ...]
    resumed_from: int
    seconds: float
