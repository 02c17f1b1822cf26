"""View-conditioned SANA fine-tuning (HOI3DGen step 2): flow matching on the
transformer, full or LoRA, with `accelerate` and `diffusers.training_utils`.

diffusers ships no SANA full fine-tune script, so the loop is ours, on the
library's pieces:

- timesteps: `compute_density_for_timestep_sampling` (logit-normal, mean 0,
  std 1, as SANA's configs) gives u in (0, 1); index = ⌊u · 1000⌋ into a
  `FlowMatchEulerDiscreteScheduler(shift=flow_shift)` built here, explicitly
  (SANA's shipped scheduler is a DPM-Solver whose config, loaded into the Euler
  class, silently gives shift 1.0), whose `sigmas[index]` and
  `timesteps[index]` are the noise level σ and the model's timestep.
- noising and target (rectified flow, as SANA): x_σ = (1 − σ) · x₀ + σ · ε,
  target ε − x₀ (the velocity the flow DPM-Solver / Euler samplers integrate);
  loss = mean over pixels of `compute_loss_weighting_for_sd3` · (v̂ − target)².
- latents: the frozen DC-AE's `encode(x).latent · scaling_factor` (what
  `SanaPipeline` divides by before decoding); images in [-1, 1].
- text: the frozen Gemma-2 through `SanaPipeline.encode_prompt`, the same call
  `SanaTextToImage` makes, with `SanaOptions`' complex-human-instruction prefix
  and token count, so training and inference see identical text embeddings.
  A caption dropped for classifier-free guidance (10 %) becomes the negative
  prompt's embedding from the same call's unconditional branch (the empty
  string without the prefix, as sampling encodes it).
- optimiser: AdamW over the trainable parameters (fp32 master weights under
  bf16 / fp16 mixed precision through `accelerate`), gradient clipping, linear
  warm-up, optional `EMAModel`, gradient checkpointing.
- modes (`modes.MODES`): "full" trains every transformer weight and writes a
  diffusers `transformer/` folder; "lora" trains peft LoRA adapters and writes
  `pytorch_lora_weights.safetensors` (`SanaPipeline.save_lora_weights`).

Randomness is counter-based: the images of micro-batch m of step s, and its
noise, timesteps and caption dropout, follow from (seed, s, m, process rank)
alone, so a run resumed from a checkpoint takes exactly the steps an
uninterrupted run would have.

Output folder (written through `atomic_directory`): the mode's weights (and their
EMA twin when trained with EMA) plus `finetune.json`, the provenance that
`SanaTextToImage.from_pretrained(base, finetune=OUT)` reads to pick its loader
(`hoiexport.sdk.generators.hoi3dgen.sana.FINETUNE_LOADERS`).
"""

from __future__ import annotations

import contextlib
import datetime
import importlib.metadata
import json
import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hoiexport.sdk.core.cache import atomic_directory
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.sana import FINETUNE_FORMAT, FINETUNE_MANIFEST, SANA_BASES
from hoiexport.sdk.generators.hoi3dgen.views import VIEWS
from hoiexport.sdk.models import load_lock, load_pretrained, resolve_weights
from hoiexport.sdk.training.finetune.checkpoint import (
    latest_checkpoint,
    load_checkpoint_state,
    read_checkpoint_meta,
    save_checkpoint,
)
from hoiexport.sdk.training.finetune.data import ImgDataset, ImgItem, load_image, read_img_dataset
from hoiexport.sdk.training.finetune.modes import MODES, compute_dtypes, save_dtype
from hoiexport.sdk.training.finetune.options import FinetuneOptions, FinetuneProgress, FinetuneResult

if TYPE_CHECKING:
    import torch

MANIFEST_VERSION = 1
"""`finetune.json`'s "version"."""

CHECKPOINTS_SUFFIX = ".checkpoints"
"""A run writing OUT keeps its checkpoints in the sibling folder `OUT.checkpoints`."""

MIXED_PRECISION = {"fp32": "no", "bf16": "bf16", "fp16": "fp16"}
"""`FinetuneOptions.precision` → `accelerate.Accelerator(mixed_precision=...)`."""

LOSS_CURVE_POINTS = 100
"""At most this many points in `finetune.json`'s loss curve (window means)."""

PACKAGES = ("hoiexport", "torch", "diffusers", "transformers", "accelerate", "peft", "safetensors")
"""Versions recorded in `finetune.json`."""



class LRUCache:
    """At most `capacity` key → value pairs, the least recently used dropped first
    (capacity 0 keeps nothing). Owned by one `SanaFinetuner`."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Any] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> Any | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: str, value: Any) -> None:
        if self.capacity <= 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)


# ----------------------------------------------------------------------------- randomness and data order


def step_generator(seed: int, step: int, micro: int, rank: int = 0) -> torch.Generator:
    """The CPU generator of micro-batch `micro` of optimizer step `step` (0-based)
    on process `rank`: noise, timesteps and caption dropout come from it."""
    import torch

    state = np.random.SeedSequence([seed, step, micro, rank]).generate_state(2, dtype=np.uint32)
    return torch.Generator("cpu").manual_seed(int(state[0]) << 31 | int(state[1]) >> 1)


class EpochOrder:
    """Dataset indices of each micro-batch: one seeded permutation per epoch,
    walked in order across steps, micro-batches and processes.

    Args:
        size: number of images.
        seed: the run's seed.
    """

    def __init__(self, size: int, seed: int) -> None:
        self.size, self.seed = size, seed
        self._epoch, self._perm = -1, np.arange(size)

    def _permutation(self, epoch: int) -> np.ndarray:
        if epoch != self._epoch:
            self._epoch, self._perm = epoch, np.random.default_rng([self.seed, epoch]).permutation(self.size)
        return self._perm

    def indices(self, step: int, micro: int, grad_accum: int, batch: int, rank: int = 0, world: int = 1) -> list[int]:
        """The `batch` dataset indices of micro-batch `micro` of step `step` on process `rank` of `world`."""
        start = ((step * grad_accum + micro) * world + rank) * batch
        return [int(self._permutation(g // self.size)[g % self.size]) for g in range(start, start + batch)]


# ----------------------------------------------------------------------------- the trainer


class SanaFinetuner:
    """The SANA components under training, and one optimizer step at a time.

    Build it from components (tests, benchmarks: random-weight models of
    `tests/builders/sana.py`) or with `from_pretrained` (a diffusers SANA base).

    Args:
        tokenizer: Gemma tokenizer.
        text_encoder: `transformers.Gemma2Model` (frozen).
        vae: `diffusers.AutoencoderDC` (frozen).
        transformer: `diffusers.SanaTransformer2DModel` (trained, in place).
        options: the run's settings.

    Raises:
        InputError: a resolution the model cannot take, or fp16 / CUDA asked for
            without a CUDA GPU.
    """

    def __init__(self, *, tokenizer: Any, text_encoder: Any, vae: Any, transformer: Any,
                 options: FinetuneOptions) -> None:
        import torch
        from diffusers import FlowMatchEulerDiscreteScheduler, SanaPipeline
        from diffusers.training_utils import EMAModel

        self.options = options
        self.accelerator = _accelerator(options)
        device = self.accelerator.device
        self.weight_dtype, self.aux_dtype = compute_dtypes(options.precision)
        for frozen in (text_encoder, vae):
            frozen.requires_grad_(False)
            frozen.to(device=device, dtype=self.aux_dtype)
            frozen.eval()
        MODES[options.mode].prepare(transformer, options, self.weight_dtype)
        transformer.to(device)
        transformer.train()
        if options.gradient_checkpointing:
            transformer.enable_gradient_checkpointing()
        self.transformer = transformer
        self.names = [n for n, p in transformer.named_parameters() if p.requires_grad]
        self.params = [p for p in transformer.parameters() if p.requires_grad]
        # Any: mypy reads diffusers' top-level scheduler names as their torch-less dummy classes
        self.scheduler: Any = FlowMatchEulerDiscreteScheduler(shift=options.sana.flow_shift)
        # the text path of inference (encode_prompt); the scheduler here is the training one
        pipeline: Any = SanaPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae,
                                     transformer=transformer, scheduler=self.scheduler)
        self.pipeline = pipeline
        multiple = int(pipeline.vae_scale_factor) * int(transformer.config.patch_size)
        if options.resolution % multiple:
            raise InputError(f"resolution {options.resolution} must be a multiple of {multiple} pixels "
                             "(VAE factor x patch size) for this SANA model")
        optimizer = torch.optim.AdamW(self.params, lr=options.learning_rate, betas=options.adam_betas,
                                      eps=options.adam_eps, weight_decay=options.weight_decay)
        warmup = options.warmup_steps
        self.lr_scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: min(1.0, (s + 1) / warmup) if warmup else 1.0)
        self.model, self.optimizer = self.accelerator.prepare(transformer, optimizer)
        self.ema = EMAModel(self.params, decay=options.ema_decay) if options.ema_decay is not None else None
        self.step = 0
        self.losses: list[float] = []
        self._null: tuple[torch.Tensor, torch.Tensor] | None = None
        self.text_cache = LRUCache(options.text_cache)
        self.latent_cache = LRUCache(options.latent_cache)
        self.base_folder: Path | None = None  # set by `from_pretrained`, for provenance

    @classmethod
    def from_pretrained(cls, base_folder: str | os.PathLike[str] | None, options: FinetuneOptions) -> SanaFinetuner:
        """Load the SANA base (`options.sana.base` through the lock, or `base_folder`).

        Raises:
            ModelUnavailableError: the base is missing or unreadable (names the
                entry and `hoiexport models fetch ...`).
        """
        import torch
        from diffusers import SanaPipeline

        ref = SANA_BASES[options.sana.base]
        base = resolve_weights(ref, base_folder)
        weight, aux = compute_dtypes(options.precision)
        dtypes = {"default": aux, "transformer": torch.float32 if options.mode == "full" else weight}
        pipe = load_pretrained(SanaPipeline.from_pretrained, base, ref, local_safetensors=False, torch_dtype=dtypes)
        trainer = cls(tokenizer=pipe.tokenizer, text_encoder=pipe.text_encoder, vae=pipe.vae,
                      transformer=pipe.transformer, options=options)
        trainer.base_folder = base
        return trainer

    @property
    def device(self) -> torch.device:
        return self.accelerator.device

    @property
    def lr(self) -> float:
        """The learning rate of the next step."""
        return float(self.lr_scheduler.get_last_lr()[0])

    # ------------------------------------------------------------------ text and latents

    def encode_text(self, captions: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Text embeddings of `captions` as `SanaTextToImage` encodes prompts.

        Returns:
            (B, L, C) embeddings in the text encoder's dtype and the (B, L) int
            attention mask, L = `sana.max_sequence_length`.
        """
        import torch

        o = self.options.sana
        chi = list(o.complex_human_instruction) if o.complex_human_instruction else None
        with torch.no_grad():
            embeds, mask, _, _ = self.pipeline.encode_prompt(
                list(captions), do_classifier_free_guidance=False, device=self.device,
                max_sequence_length=o.max_sequence_length, complex_human_instruction=chi)
        return embeds, mask

    def null_text(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(1, L, C) embedding and (1, L) mask of the unconditional prompt, from
        `encode_prompt`'s classifier-free-guidance branch (the negative prompt
        without the instruction prefix, as sampling encodes it)."""
        import torch

        if self._null is None:
            o = self.options.sana
            chi = list(o.complex_human_instruction) if o.complex_human_instruction else None
            with torch.no_grad():
                _, _, neg, neg_mask = self.pipeline.encode_prompt(
                    [o.negative_prompt], do_classifier_free_guidance=True, negative_prompt=o.negative_prompt,
                    device=self.device, max_sequence_length=o.max_sequence_length, complex_human_instruction=chi)
            self._null = (neg, neg_mask)
        return self._null

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        """(B, 3, R, R) in [-1, 1] → (B, C, R/f, R/f) float32 latents × `scaling_factor`."""
        import torch

        with torch.no_grad():
            latents = self.pipeline.vae.encode(pixels.to(self.device, self.aux_dtype)).latent
        return latents.float() * float(self.pipeline.vae.config.scaling_factor)

    def text_of(self, items: Sequence[ImgItem], drop: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, L, C) embeddings and (B, L) masks of the items' captions; rows where
        `drop` is set get the unconditional text. Each caption is encoded on its
        own (so its embedding does not depend on the batch) and kept in `text_cache`."""
        import torch

        null, null_mask = self.null_text()
        rows, masks = [], []
        for item, dropped in zip(items, drop.tolist(), strict=True):
            if dropped:
                rows.append(null[0])
                masks.append(null_mask[0])
                continue
            cached = self.text_cache.get(item.caption)
            if cached is None:
                embeds, mask = self.encode_text([item.caption])
                cached = (embeds[0], mask[0])
                if self.text_cache.capacity:
                    self.text_cache.put(item.caption, (cached[0].cpu(), cached[1].cpu()))
            rows.append(cached[0].to(self.device))
            masks.append(cached[1].to(self.device))
        return torch.stack(rows), torch.stack(masks)

    def latents_of(self, items: Sequence[ImgItem]) -> torch.Tensor:
        """(B, C, R/f, R/f) float32 latents of the items' images, each encoded on
        its own (independent of the batch) and kept in `latent_cache`."""
        import torch

        rows = []
        for item in items:
            key = str(item.image)
            cached = self.latent_cache.get(key)
            if cached is None:
                cached = self.encode_images(load_image(item.image, self.options.resolution)[None])[0]
                if self.latent_cache.capacity:
                    self.latent_cache.put(key, cached.cpu())
            rows.append(cached.to(self.device))
        return torch.stack(rows)

    # ------------------------------------------------------------------ the loss

    def loss(self, items: Sequence[ImgItem], generator: torch.Generator) -> torch.Tensor:
        """The flow-matching loss of one micro-batch (module docstring).

        Args:
            items: the micro-batch's images and captions.
            generator: CPU generator of this micro-batch's noise, timesteps and dropout.

        Returns:
            Scalar float32 loss, differentiable in the trainable parameters.
        """
        import torch
        from diffusers.training_utils import compute_density_for_timestep_sampling, compute_loss_weighting_for_sd3

        o = self.options
        b = len(items)
        latents = self.latents_of(items)
        noise = torch.randn(latents.shape, generator=generator, dtype=torch.float32).to(self.device)
        u = compute_density_for_timestep_sampling(
            o.timestep_sampling, b, logit_mean=o.logit_mean, logit_std=o.logit_std, mode_scale=o.mode_scale,
            generator=generator)
        drop = torch.rand(b, generator=generator) < o.caption_dropout
        n = int(self.scheduler.config.num_train_timesteps)
        index = (u * n).long().clamp(0, len(self.scheduler.timesteps) - 1)
        sigmas = self.scheduler.sigmas[index].to(self.device, torch.float32).view(b, 1, 1, 1)
        timesteps = self.scheduler.timesteps[index].to(self.device) * float(self.transformer.config.timestep_scale)
        noisy = (1.0 - sigmas) * latents + sigmas * noise

        embeds, mask = self.text_of(items, drop)
        pred = self.model(noisy, encoder_hidden_states=embeds, encoder_attention_mask=mask, timestep=timesteps,
                          return_dict=False)[0]
        if self.transformer.config.out_channels // 2 == latents.shape[1]:  # learned sigma, as SanaPipeline
            pred = pred.chunk(2, dim=1)[0]
        target = noise - latents
        weighting = compute_loss_weighting_for_sd3(o.loss_weighting, sigmas).float()
        per_sample = (weighting * (pred.float() - target) ** 2).reshape(b, -1).mean(dim=1)
        return per_sample.mean()

    # ------------------------------------------------------------------ one optimizer step

    def train_step(self, micro_batches: Sequence[Sequence[ImgItem]]) -> float:
        """One optimizer step over `micro_batches` (gradients accumulated).

        Micro-batch m draws its randomness from `step_generator(seed, self.step, m, rank)`.

        Returns:
            The step's loss: the mean over micro-batches and processes.
        """
        import torch

        acc = self.accelerator
        total = torch.zeros((), device=self.device)
        count = len(micro_batches)
        for m, items in enumerate(micro_batches):
            generator = step_generator(self.options.seed, self.step, m, acc.process_index)
            sync = m == count - 1
            with contextlib.nullcontext() if sync else acc.no_sync(self.model):
                loss = self.loss(items, generator)
                acc.backward(loss / count)
            total += loss.detach() / count
        if self.options.max_grad_norm > 0:
            acc.clip_grad_norm_(self.params, self.options.max_grad_norm)
        self.optimizer.step()
        self.lr_scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.ema is not None:
            self.ema.step(self.params)
        self.step += 1
        value = float(acc.reduce(total, reduction="mean").item())
        self.losses.append(value)
        return value

    # ------------------------------------------------------------------ state

    def state(self) -> dict[str, Any]:
        """The training state a checkpoint holds (tensors and JSON scalars)."""
        scaler = getattr(self.accelerator, "scaler", None)
        return {
            "trainable": dict(zip(self.names, self.params, strict=True)),
            "optimizer": self.optimizer.state_dict(),
            "lr_scheduler": self.lr_scheduler.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "scaler": scaler.state_dict() if scaler is not None else None,
        }

    def load_state(self, step: int, state: dict[str, Any], losses: Sequence[float]) -> None:
        """Restore `state()` of the checkpoint after `step` steps.

        Raises:
            InputError: the checkpoint's trainable parameters are not this model's.
        """
        import torch

        trainable = state["trainable"]
        if sorted(trainable) != sorted(self.names):
            missing = sorted(set(self.names) - set(trainable))[:3]
            extra = sorted(set(trainable) - set(self.names))[:3]
            raise InputError(f"the checkpoint's trainable parameters are not this model's (missing {missing}, "
                             f"extra {extra}): resume with the mode, rank and base it was written with")
        with torch.no_grad():
            for name, param in zip(self.names, self.params, strict=True):
                param.copy_(trainable[name])
        self.optimizer.load_state_dict(state["optimizer"])
        self.lr_scheduler.load_state_dict(state["lr_scheduler"])
        if self.ema is not None and state.get("ema") is not None:
            ema = dict(state["ema"])
            ema["shadow_params"] = [t.to(self.device) for t in ema["shadow_params"]]
            self.ema.load_state_dict(ema)
        scaler = getattr(self.accelerator, "scaler", None)
        if scaler is not None and state.get("scaler") is not None:
            scaler.load_state_dict(state["scaler"])
        self.step = step
        self.losses = [float(x) for x in losses]

    def export(self, folder: Path) -> dict[str, str | None]:
        """Write the trained weights (and their EMA twin) into `folder`.

        Returns:
            {"weights": name, "ema": name or None} inside `folder`.
        """
        model = self.accelerator.unwrap_model(self.model)
        dtype = save_dtype(self.options.precision)
        entry = MODES[self.options.mode]
        written: dict[str, str | None] = {"weights": entry.export(model, folder, dtype, False), "ema": None}
        if self.ema is not None:
            self.ema.store(self.params)
            self.ema.copy_to(self.params)
            try:
                written["ema"] = entry.export(model, folder, dtype, True)
            finally:
                self.ema.restore(self.params)
        return written


def _accelerator(options: FinetuneOptions) -> Any:
    """An `accelerate.Accelerator` for `options.precision` / `options.device`."""
    import torch
    from accelerate import Accelerator

    cuda = torch.cuda.is_available()
    if options.device.startswith("cuda") and not cuda:
        raise InputError(f"device {options.device!r} asked for but no CUDA GPU is visible: use device='cpu'")
    on_cpu = options.device == "cpu" or not cuda
    if options.precision == "fp16" and on_cpu:
        raise InputError("precision fp16 needs a CUDA GPU: use bf16 or fp32 on the CPU")
    mixed = MIXED_PRECISION[options.precision]
    try:
        return Accelerator(mixed_precision=mixed, cpu=on_cpu)
    except ValueError as exc:
        from accelerate.state import AcceleratorState, PartialState

        # accelerate keeps one precision per process in shared state; a single process
        # whose earlier run used another one starts afresh (that run's Accelerator is done)
        if PartialState().num_processes != 1:
            raise InputError(f"cannot train at precision {options.precision!r} here ({exc}): launch the "
                             "processes with that precision") from exc
        AcceleratorState._reset_state(reset_partial_state=False)
        return Accelerator(mixed_precision=mixed, cpu=on_cpu)


# ----------------------------------------------------------------------------- the run


def default_checkpoint_dir(out: str | os.PathLike[str]) -> Path:
    """Where a run writing `out` keeps its checkpoints: the sibling `OUT.checkpoints/`."""
    p = Path(out).expanduser()
    return p.with_name(p.name + CHECKPOINTS_SUFFIX)


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def loss_curve(losses: Sequence[float], points: int = LOSS_CURVE_POINTS) -> list[list[float]]:
    """[[last step of the window (1-based), mean loss of the window], ...], at most `points` windows."""
    if not losses:
        return []
    width = max(1, math.ceil(len(losses) / points))
    return [[min(i + width, len(losses)), float(np.mean(losses[i:i + width]))] for i in range(0, len(losses), width)]


def _base_identity(options: FinetuneOptions, base_folder: str | os.PathLike[str] | None,
                   trainer: SanaFinetuner) -> dict[str, Any]:
    """Which base was trained on: name, lock entry and its revision (when the lock
    supplied it), folder, and the transformer's config (architecture)."""
    ref = SANA_BASES[options.sana.base]
    revision = None
    if base_folder is None and trainer.base_folder is not None:
        with contextlib.suppress(InputError, ModelUnavailableError):
            revision = load_lock().get(ref.name).revision
    config = {k: _plain(v) for k, v in dict(trainer.transformer.config).items() if not k.startswith("_")}
    folder = str(trainer.base_folder) if trainer.base_folder is not None else None
    return {"name": options.sana.base, "lock_entry": ref.name, "revision": revision,
            "folder": folder, "explicit": base_folder is not None, "transformer_config": config}


def _plain(value: Any) -> Any:
    """A config value as JSON gives it back (tuples → lists)."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _check_resume(meta: dict[str, Any], options: FinetuneOptions, data_sha: str, base: dict[str, Any],
                  path: Path) -> None:
    """A checkpoint may be resumed only by a run with the same settings, data and base."""
    problems = [k for k, v in options.fingerprint().items() if meta.get("fingerprint", {}).get(k) != v]
    if meta.get("data_sha256") != data_sha:
        problems.append("the training data")
    if meta.get("base", {}).get("transformer_config") != base["transformer_config"]:
        problems.append("the base transformer")
    if problems:
        raise InputError(f"cannot resume {path}: {', '.join(problems)} differ from the run that wrote it; "
                         "resume with the same settings or start a new output without --resume")


def finetune_sana(
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    options: FinetuneOptions | None = None,
    *,
    base_folder: str | os.PathLike[str] | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    progress: Callable[[FinetuneProgress], None] | None = None,
    trainer: SanaFinetuner | None = None,
) -> FinetuneResult:
    """Fine-tune SANA's transformer on a `SanaImgDataset` folder and write OUT.

    Args:
        data: the dataset folder (`data.read_img_dataset`).
        out: the output folder: the weights of `options.mode` + `finetune.json`;
            written atomically when training ends.
        options: settings (default `FinetuneOptions()`).
        base_folder: diffusers SANA pipeline folder; None = the lock entry of
            `options.sana.base`.
        checkpoint_dir: where checkpoints go (default `default_checkpoint_dir(out)`);
            every `options.checkpoint_every` steps and after the last.
        overwrite: replace an existing `out`.
        progress: called after each optimizer step (main process only).
        trainer: components already built with `options` (tests and
            benchmarks); None = `SanaFinetuner.from_pretrained(base_folder, options)`.

    Returns:
        What was written (`FinetuneResult`).

    Raises:
        InputError: bad data, `out` exists without `overwrite`, `--resume`
            without a checkpoint or with different settings / data / base.
        ModelUnavailableError: the base is missing or unreadable.
    """
    options = options or FinetuneOptions()
    dataset = read_img_dataset(data)
    out = Path(out).expanduser()
    if out.exists() and not overwrite:
        raise InputError(f"output {out} exists: pass overwrite=True (CLI --overwrite) or choose another folder")
    ckpt_dir = Path(checkpoint_dir).expanduser() if checkpoint_dir is not None else default_checkpoint_dir(out)
    resume_path = None
    if options.resume:
        resume_path = latest_checkpoint(ckpt_dir)
        if resume_path is None:
            raise InputError(f"resume: no checkpoint under {ckpt_dir}; run without --resume to start from the base")
    if trainer is not None and trainer.options != options:
        raise InputError("finetune_sana: the trainer was built with other options than the run's; build it with the same")
    data_sha = dataset.sha256()
    trainer = trainer or SanaFinetuner.from_pretrained(base_folder, options)
    base = _base_identity(options, base_folder, trainer)
    if resume_path is not None:
        step, meta = read_checkpoint_meta(resume_path)
        _check_resume(meta, options, data_sha, base, resume_path)
        _, state = load_checkpoint_state(resume_path)
        trainer.load_state(step, state, meta.get("losses", []))
    resumed_from = trainer.step

    acc = trainer.accelerator
    order = EpochOrder(len(dataset), options.seed)
    start = time.perf_counter()

    def save() -> None:
        if acc.is_main_process:
            meta = {"fingerprint": options.fingerprint(), "data_sha256": data_sha, "base": base,
                    "losses": trainer.losses}
            save_checkpoint(ckpt_dir, trainer.step, trainer.state(), options.keep_checkpoints, meta)
        acc.wait_for_everyone()

    for micro_batches in _batches(dataset, order, trainer, options):
        lr = trainer.lr
        loss = trainer.train_step(micro_batches)
        if progress is not None and acc.is_main_process:
            progress(FinetuneProgress(trainer.step, options.steps, loss, lr, time.perf_counter() - start))
        if trainer.step == options.steps or (options.checkpoint_every and trainer.step % options.checkpoint_every == 0):
            save()
    seconds = time.perf_counter() - start

    final = trainer.losses[-1] if trainer.losses else None
    if acc.is_main_process:
        with atomic_directory(out, overwrite=overwrite) as tmp:
            files = trainer.export(tmp)
            manifest = _manifest(options, dataset, data_sha, base, trainer, files, resumed_from, seconds)
            (tmp / FINETUNE_MANIFEST).write_text(json.dumps(manifest, indent=2, allow_nan=True), encoding="utf-8")
    acc.wait_for_everyone()
    return FinetuneResult(out, trainer.step, final, tuple(trainer.losses), resumed_from, seconds)


def _batches(dataset: ImgDataset, order: EpochOrder, trainer: SanaFinetuner,
             options: FinetuneOptions) -> Iterator[list[list[ImgItem]]]:
    """The micro-batches of each remaining step (`EpochOrder`)."""
    acc = trainer.accelerator
    for step in range(trainer.step, options.steps):
        yield [
            [dataset.items[i] for i in order.indices(step, m, options.grad_accum, options.batch,
                                                     acc.process_index, acc.num_processes)]
            for m in range(options.grad_accum)
        ]


def _manifest(options: FinetuneOptions, dataset: ImgDataset, data_sha: str, base: dict[str, Any],
              trainer: SanaFinetuner, files: dict[str, str | None], resumed_from: int,
              seconds: float) -> dict[str, Any]:
    """`finetune.json`: what was trained, on what, how, and with which software."""
    o = options.sana
    return {
        "format": FINETUNE_FORMAT,
        "version": MANIFEST_VERSION,
        "mode": options.mode,
        "files": files,
        "save_dtype": str(save_dtype(options.precision)).removeprefix("torch."),
        "base": base,
        "text": {
            "complex_human_instruction": list(o.complex_human_instruction) if o.complex_human_instruction else None,
            "max_sequence_length": o.max_sequence_length,
            "negative_prompt": o.negative_prompt,
            "caption_dropout": options.caption_dropout,
        },
        "scheduler": {"class": type(trainer.scheduler).__name__, "shift": float(trainer.scheduler.config.shift),
                      "num_train_timesteps": int(trainer.scheduler.config.num_train_timesteps)},
        "hyperparameters": options.to_json(),
        "learning_rate": options.learning_rate,
        "steps": trainer.step,
        "resumed_from": resumed_from,
        "final_loss": trainer.losses[-1] if trainer.losses else None,
        "loss_curve": loss_curve(trainer.losses),
        "dataset": {"folder": str(dataset.folder), "name": dataset.name, "images": len(dataset),
                    "sha256": data_sha, "view_counts": dataset.view_counts(options.phrases)},
        "view_phrases": {v: getattr(options.phrases, v) for v in VIEWS},
        "versions": _versions(),
        "seconds": round(seconds, 3),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
