"""Training modes of `finetune_sana` (`MODES`): which transformer parameters
train, in which dtypes, and how the result is written.

- "full": every weight trains, in fp32 (master weights; `accelerate` autocasts
  the forward to the compute dtype). Written as diffusers' model folder
  `transformer/` (config.json + diffusion_pytorch_model.safetensors).
- "lora": peft LoRA adapters (`LoraConfig`, Gaussian init, so step 0 is the
  base) on `FinetuneOptions.lora_targets`, added with diffusers'
  `add_adapter`; the base weights stay frozen in the compute dtype and
  `cast_training_params` lifts the adapters to fp32. Written with
  `SanaPipeline.save_lora_weights` (keys "transformer.*", the adapter config in
  the safetensors metadata).

Weights are written in fp32 after an fp32 run, else in bf16 (SANA 1.5's release
dtype), cast tensor by tensor on the way out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.generators.hoi3dgen.sana import (
    FINETUNE_LORA,
    FINETUNE_LORA_EMA,
    FINETUNE_TRANSFORMER,
    FINETUNE_TRANSFORMER_EMA,
)
from hoiexport.sdk.training.finetune.options import FinetuneOptions, TrainMode

if TYPE_CHECKING:
    import torch


# ----------------------------------------------------------------------------- precision


def compute_dtypes(precision: str) -> tuple[torch.dtype, torch.dtype]:
    """(weight dtype of frozen transformer weights, dtype of Gemma-2 and the VAE).

    "fp32" → fp32 / fp32; "bf16" → bf16 / bf16; "fp16" → fp16 / bf16 (Gemma-2 and
    DC-AE overflow in fp16, as at inference).
    """
    import torch

    weight = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    return weight, (torch.float32 if precision == "fp32" else torch.bfloat16)


def save_dtype(precision: str) -> torch.dtype:
    """Weights are written in fp32 after an fp32 run, else in bf16 (SANA 1.5's release dtype)."""
    import torch

    return torch.float32 if precision == "fp32" else torch.bfloat16


# ----------------------------------------------------------------------------- modes


def _prepare_full(transformer: Any, options: FinetuneOptions, weight_dtype: torch.dtype) -> None:
    import torch

    transformer.to(dtype=torch.float32)  # fp32 master weights; accelerate autocasts the forward
    transformer.requires_grad_(True)


def _prepare_lora(transformer: Any, options: FinetuneOptions, weight_dtype: torch.dtype) -> None:
    import torch
    from diffusers.training_utils import cast_training_params
    from peft import LoraConfig

    transformer.requires_grad_(False)
    transformer.to(dtype=weight_dtype)
    config = LoraConfig(
        r=options.rank,
        lora_alpha=options.lora_alpha if options.lora_alpha is not None else options.rank,
        init_lora_weights="gaussian",
        target_modules=list(options.lora_targets),
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(options.seed)
        try:
            transformer.add_adapter(config)
        except ValueError as exc:
            raise InputError(f"FinetuneOptions.lora_targets {list(options.lora_targets)} do not fit the SANA "
                             f"transformer ({exc}); use module names such as {', '.join(('to_q', 'to_k', 'to_v'))}") from exc
    cast_training_params(transformer, dtype=torch.float32)


def _export_full(transformer: Any, folder: Path, dtype: torch.dtype, ema: bool) -> str:
    """diffusers' model folder (what `save_pretrained` writes: config.json +
    diffusion_pytorch_model.safetensors), each tensor cast to `dtype` on the way
    out so the fp32 master weights are never cast in place."""
    from safetensors.torch import save_file

    sub = folder / (FINETUNE_TRANSFORMER_EMA if ema else FINETUNE_TRANSFORMER)
    sub.mkdir(parents=True)
    transformer.save_config(sub)
    tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in transformer.state_dict().items()}
    save_file(tensors, str(sub / "diffusion_pytorch_model.safetensors"), metadata={"format": "pt"})
    return sub.name


def _export_lora(transformer: Any, folder: Path, dtype: torch.dtype, ema: bool) -> str:
    from diffusers import SanaPipeline
    from peft.utils import get_peft_model_state_dict

    name = FINETUNE_LORA_EMA if ema else FINETUNE_LORA
    layers = {k: v.detach().to("cpu", dtype).contiguous() for k, v in get_peft_model_state_dict(transformer).items()}
    pipeline: Any = SanaPipeline  # mypy reads diffusers' top-level SanaPipeline as its torch-less dummy class
    pipeline.save_lora_weights(folder, transformer_lora_layers=layers, weight_name=name,
                               transformer_lora_adapter_metadata=transformer.peft_config["default"].to_dict())
    return name


@dataclass(frozen=True)
class ModeEntry:
    """One training mode.

    Attributes:
        prepare: (transformer, options, weight dtype) → None: sets which
            parameters train (and adds adapters), and their dtypes.
        export: (unwrapped transformer, output folder, save dtype, is the EMA
            copy) → the file or folder name written inside the output folder.
    """

    prepare: Callable[[Any, FinetuneOptions, "torch.dtype"], None]
    export: Callable[[Any, Path, "torch.dtype", bool], str]


MODES: dict[TrainMode, ModeEntry] = {
    "full": ModeEntry(_prepare_full, _export_full),
    "lora": ModeEntry(_prepare_lora, _export_lora),
}
"""Training mode → how the transformer is prepared and written (module docstring)."""
