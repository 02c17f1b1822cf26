"""SANA-native transformer checkpoints → diffusers' `SanaTransformer2DModel`.

The HOI3DGen fine-tune (`epoch_1050_step_25201.pth`, lock entry `hoi3dgen-sana`)
was written by NVlabs/Sana's training code, not by diffusers. Its state dict uses
SANA's module names (`x_embedder`, `blocks.N.attn.qkv`, `blocks.N.cross_attn.kv_linear`,
`final_layer`, ...). This module renames those keys onto diffusers' layout, splits
the fused projections (self-attention `qkv` into q, k, v; cross-attention
`kv_linear` into k, v, both along the output dimension), drops the tensors
diffusers does not hold (SANA's stored positional embedding, the null caption
embedding `y_embedder.y_embedding`, `logvar_linear`), and checks the result
against the target configuration's own parameter names and shapes.

The mapping follows diffusers' `scripts/convert_sana_to_diffusers.py` and
`loaders/single_file_utils.convert_sana_transformer_to_diffusers` (read, not
copied), including SANA 1.5's query/key RMS norms (`attn.q_norm`, `attn.k_norm`,
`cross_attn.q_norm`, `cross_attn.k_norm` → `attn1/attn2.norm_q/norm_k`).

Checkpoint layouts accepted (SANA's `save_checkpoint`): `{"state_dict": ...,
"state_dict_ema": ..., "optimizer": ..., "rng_state": ...}` (DDP),
`{"state_dict": ...}` (FSDP), `{"model": ...}`, or a flat state dict; keys may
carry `module.` / `_orig_mod.` / `model.diffusion_model.` prefixes.

Loading stays on `torch.load(weights_only=True)` (`hoiexport.sdk.models.load`).
A DDP checkpoint also pickles the training RNG state, which includes a numpy
array; only the numpy array/dtype reconstructors are allow-listed for that, so
no pickled code can run.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoiexport.sdk.models import load_checkpoint
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

if TYPE_CHECKING:
    import torch
    # the defining module: mypy reads diffusers' top-level names as its torch-less dummy classes
    from diffusers.models.transformers.sana_transformer import SanaTransformer2DModel

QK_NORM = "rms_norm_across_heads"
"""diffusers' `qk_norm` value for SANA 1.5 / Sprint's query-key RMS norms."""

WRAPPER_PREFIXES = ("module.", "_orig_mod.", "model.diffusion_model.")
"""Prefixes that DDP, torch.compile and single-file exports put in front of keys."""

DROPPED_KEYS = frozenset({"pos_embed", "y_embedder.y_embedding", "logvar_linear.weight", "logvar_linear.bias"})
"""Native tensors with no counterpart in diffusers: SANA's stored sin-cos position
table (diffusers computes it), the null caption embedding (diffusers encodes the
negative prompt instead) and the training-only log-variance head."""

_B = r"^blocks\.(\d+)\."
_T = r"transformer_blocks.\1."

_RENAMES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(src), dst)
    for src, dst in (
        (r"^x_embedder\.proj\.(weight|bias)$", r"patch_embed.proj.\1"),
        (r"^y_embedder\.y_proj\.fc1\.(weight|bias)$", r"caption_projection.linear_1.\1"),
        (r"^y_embedder\.y_proj\.fc2\.(weight|bias)$", r"caption_projection.linear_2.\1"),
        (r"^t_embedder\.mlp\.0\.(weight|bias)$", r"time_embed.emb.timestep_embedder.linear_1.\1"),
        (r"^t_embedder\.mlp\.2\.(weight|bias)$", r"time_embed.emb.timestep_embedder.linear_2.\1"),
        (r"^t_block\.1\.(weight|bias)$", r"time_embed.linear.\1"),
        (r"^attention_y_norm\.weight$", "caption_norm.weight"),
        (r"^final_layer\.linear\.(weight|bias)$", r"proj_out.\1"),
        (r"^final_layer\.scale_shift_table$", "scale_shift_table"),
        (_B + r"scale_shift_table$", _T + "scale_shift_table"),
        (_B + r"attn\.q_norm\.weight$", _T + "attn1.norm_q.weight"),
        (_B + r"attn\.k_norm\.weight$", _T + "attn1.norm_k.weight"),
        (_B + r"attn\.proj\.(weight|bias)$", _T + r"attn1.to_out.0.\2"),
        (_B + r"cross_attn\.q_linear\.(weight|bias)$", _T + r"attn2.to_q.\2"),
        (_B + r"cross_attn\.q_norm\.weight$", _T + "attn2.norm_q.weight"),
        (_B + r"cross_attn\.k_norm\.weight$", _T + "attn2.norm_k.weight"),
        (_B + r"cross_attn\.proj\.(weight|bias)$", _T + r"attn2.to_out.0.\2"),
        (_B + r"mlp\.inverted_conv\.conv\.(weight|bias)$", _T + r"ff.conv_inverted.\2"),
        (_B + r"mlp\.depth_conv\.conv\.(weight|bias)$", _T + r"ff.conv_depth.\2"),
        (_B + r"mlp\.point_conv\.conv\.(weight|bias)$", _T + r"ff.conv_point.\2"),
    )
)
"""One native key → one diffusers key."""

_SPLITS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(_B + r"attn\.qkv\.(weight|bias)$"), (_T + r"attn1.to_q.\2", _T + r"attn1.to_k.\2", _T + r"attn1.to_v.\2")),
    (re.compile(_B + r"cross_attn\.kv_linear\.(weight|bias)$"), (_T + r"attn2.to_k.\2", _T + r"attn2.to_v.\2")),
)
"""One fused native projection → equal chunks along dim 0, in this order."""

_QK_NORM_RE = re.compile(r"^blocks\.\d+\.(attn|cross_attn)\.[qk]_norm\.weight$")

def strip_wrapper_prefixes(sd: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`sd` with `WRAPPER_PREFIXES` removed from the front of every key (repeatedly)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in sd.items():
        name = key
        changed = True
        while changed:
            changed = False
            for prefix in WRAPPER_PREFIXES:
                if name.startswith(prefix):
                    name, changed = name[len(prefix):], True
        if name in out:
            raise InputError(f"SANA checkpoint: keys {key!r} and another both become {name!r} once prefixes are removed")
        out[name] = value
    return out


def native_state_dict(checkpoint: Mapping[str, Any], *, use_ema: bool = False) -> dict[str, torch.Tensor]:
    """The transformer's state dict inside a SANA training checkpoint.

    Args:
        checkpoint: `{"state_dict": ...}` (optionally with "state_dict_ema",
            "optimizer", "rng_state", ...), `{"model": ...}`, or a flat state dict.
        use_ema: take "state_dict_ema" (SANA's inference script takes "state_dict").

    Returns:
        name → tensor with wrapper prefixes removed.

    Raises:
        InputError: no state dict where expected, or `use_ema` without EMA weights.
    """
    import torch

    if use_ema:
        if "state_dict_ema" not in checkpoint:
            raise InputError(
                f"SANA checkpoint has no 'state_dict_ema' (it has {sorted(map(str, checkpoint))[:10]}): use use_ema=False"
            )
        sd = checkpoint["state_dict_ema"]
    elif "state_dict" in checkpoint:
        sd = checkpoint["state_dict"]
    elif "model" in checkpoint and isinstance(checkpoint["model"], Mapping):
        sd = checkpoint["model"]
    else:
        sd = checkpoint
    bad = next((k for k, v in sd.items() if not isinstance(v, torch.Tensor)), None) if isinstance(sd, Mapping) else "?"
    if bad is not None:
        raise InputError(
            "SANA checkpoint: expected a flat name -> tensor state dict (top level, 'state_dict' or 'model'); "
            f"found a non-tensor entry {bad!r}"
        )
    return strip_wrapper_prefixes(sd)


def checkpoint_has_qk_norm(sd: Mapping[str, Any]) -> bool:
    """Whether a native state dict carries SANA 1.5's query/key RMS norms."""
    return any(_QK_NORM_RE.match(k) for k in strip_wrapper_prefixes(sd))


def _empty_transformer(config: Mapping[str, Any]) -> SanaTransformer2DModel:
    """A `SanaTransformer2DModel` of `config` with parameters on the meta device."""
    from accelerate import init_empty_weights
    from diffusers import SanaTransformer2DModel

    with init_empty_weights():
        return SanaTransformer2DModel.from_config(dict(config))


def _few(items: list[str], n: int = 5) -> str:
    shown = ", ".join(items[:n])
    return shown + (f" (+{len(items) - n} more)" if len(items) > n else "")


def convert_sana_state_dict(sd: Mapping[str, torch.Tensor], config: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """Rename a SANA-native transformer state dict onto diffusers' keys.

    Args:
        sd: native name → tensor (a flat state dict; see `native_state_dict` for
            training checkpoints). Wrapper prefixes are removed first.
        config: the target `SanaTransformer2DModel` config (e.g. the base model's
            `transformer/config.json` as a dict, or `model.config`).

    Returns:
        diffusers name → tensor, exactly the parameters of a model built from
        `config`, with matching shapes (tensors are views of the input's, not copies).

    Raises:
        InputError: keys no rule knows, parameters the model lacks or misses, or
            shape mismatches; one message lists a few of each.
    """
    import torch

    native = strip_wrapper_prefixes(sd)
    converted: dict[str, torch.Tensor] = {}
    unknown: list[str] = []
    problems: list[str] = []
    for key, tensor in native.items():
        if key in DROPPED_KEYS:
            continue
        for pattern, targets in _SPLITS:
            if pattern.match(key):
                if tensor.shape[0] % len(targets):
                    problems.append(f"{key} has {tensor.shape[0]} rows, not divisible into {len(targets)} projections")
                else:
                    for name, chunk in zip(targets, torch.chunk(tensor, len(targets), dim=0), strict=True):
                        converted[pattern.sub(name, key)] = chunk
                break
        else:
            for pattern, target in _RENAMES:
                if pattern.match(key):
                    converted[pattern.sub(target, key)] = tensor
                    break
            else:
                unknown.append(key)

    expected = {k: tuple(v.shape) for k, v in _empty_transformer(config).state_dict().items()}
    missing = sorted(k for k in expected if k not in converted)
    extra = sorted(k for k in converted if k not in expected)
    mismatched = sorted(
        f"{k} {tuple(converted[k].shape)} vs {expected[k]}"
        for k in converted
        if k in expected and tuple(converted[k].shape) != expected[k]
    )
    if unknown or missing or extra or mismatched or problems:
        parts = []
        if unknown:
            parts.append(f"{len(unknown)} native key(s) with no diffusers counterpart: {_few(sorted(unknown))}")
        if extra:
            parts.append(f"{len(extra)} converted key(s) the target model lacks: {_few(extra)}")
        if missing:
            parts.append(f"{len(missing)} parameter(s) the checkpoint does not provide: {_few(missing)}")
        if mismatched:
            parts.append(f"{len(mismatched)} shape mismatch(es): {_few(mismatched, 3)}")
        parts.extend(problems[:3])
        hint = "the checkpoint is not a SANA transformer of the base model's architecture"
        has_norm = any(_QK_NORM_RE.match(k) for k in native)
        if has_norm and not config.get("qk_norm"):
            hint = f"the checkpoint has SANA 1.5 query/key norms but the config has qk_norm=None; set qk_norm={QK_NORM!r}"
        elif config.get("qk_norm") and not has_norm:
            hint = "the config expects query/key norms (SANA 1.5) but the checkpoint has none; use a SANA 1.0 config"
        raise InputError(f"cannot convert SANA checkpoint to diffusers: {'; '.join(parts)}. Likely cause: {hint}")
    return converted


@functools.cache
def _numpy_rng_globals() -> tuple[Any, ...]:
    """The numpy reconstructors a pickled `np.random.get_state()` needs (data only)."""
    import numpy as np

    core: Any = np._core if hasattr(np, "_core") else np.core  # numpy 2 / numpy 1
    reconstruct = core.multiarray._reconstruct
    found: list[Any] = [reconstruct, (reconstruct, "numpy.core.multiarray._reconstruct"), np.ndarray, np.dtype]
    if hasattr(np, "dtypes"):
        found.append(np.dtypes.UInt32DType)  # numpy 2 pickles dtypes by their class
    return tuple(found)


def load_native_checkpoint(path: str | os.PathLike[str], *, use_ema: bool = False) -> dict[str, torch.Tensor]:
    """Read a SANA training checkpoint's transformer state dict.

    Args:
        path: `.pth` / `.pt` (torch.load weights_only=True) or `.safetensors`.
        use_ema: take the EMA weights ("state_dict_ema").

    Returns:
        native name → tensor (prefixes removed; memory-mapped for zip pickles).

    Raises:
        ModelUnavailableError: the file is missing, unreadable or holds code.
        InputError: no state dict where expected.
    """
    import torch

    *tries, last = ("state_dict_ema",) if use_ema else ("state_dict", "model", None)
    with torch.serialization.safe_globals(list(_numpy_rng_globals())):
        for key in tries:
            try:
                return native_state_dict(load_checkpoint(path, key=key))
            except InputError as exc:
                if f"no key {key!r}" not in str(exc):
                    raise
        return native_state_dict(load_checkpoint(path, key=last))


def transformer_config(base: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, Any]:
    """A `SanaTransformer2DModel` config as a plain dict.

    Args:
        base: a config mapping (e.g. `model.config`), a `config.json`, the
            transformer folder, or the base pipeline folder (its `transformer/`).

    Raises:
        ModelUnavailableError: no `config.json` at or under the path.
    """
    import json

    if isinstance(base, Mapping):
        return dict(base)
    p = Path(base)
    for candidate in (p, p / "config.json", p / "transformer" / "config.json"):
        if candidate.is_file():
            try:
                return json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise ModelUnavailableError(f"cannot read transformer config {candidate}: {exc}; re-download it") from exc
    raise ModelUnavailableError(
        f"no SANA transformer config at {p} (looked for config.json and transformer/config.json): pass the "
        "diffusers SANA base folder, or run `hoiexport models fetch sana1-5-1600m-1024px` (SANA 1.5, the default "
        "base) or `hoiexport models fetch sana-1600m-1024px` (SANA 1.0)"
    )


def load_sana_transformer(
    path: str | os.PathLike[str],
    base_config_folder_or_config: str | os.PathLike[str] | Mapping[str, Any],
    runtime: Runtime,
    *,
    use_ema: bool = False,
) -> SanaTransformer2DModel:
    """Load a SANA-native transformer checkpoint as diffusers' `SanaTransformer2DModel`.

    The architecture comes from the base model's transformer config; if the
    checkpoint carries SANA 1.5's query/key norms and that config does not, the
    config is switched to `qk_norm=QK_NORM` (SANA 1.5 1.6B otherwise has the
    same shape as SANA 1.0 1.6B), so a SANA 1.5 fine-tune loads on a SANA 1.0 base.

    Args:
        path: the native checkpoint (e.g. `epoch_1050_step_25201.pth`).
        base_config_folder_or_config: see `transformer_config`.
        runtime: weights are cast to `runtime.dtype` and moved to
            `runtime.device`, except under CPU offload (they stay on the CPU).
        use_ema: load the EMA weights instead of the trained ones.

    Returns:
        The model in eval mode, loaded with strict key and shape checking.

    Raises:
        ModelUnavailableError: missing/unreadable file or config.
        InputError: the checkpoint does not fit the architecture (see
            `convert_sana_state_dict`).
    """
    config = transformer_config(base_config_folder_or_config)
    native = load_native_checkpoint(path, use_ema=use_ema)
    if checkpoint_has_qk_norm(native) and not config.get("qk_norm"):
        config["qk_norm"] = QK_NORM
    converted = convert_sana_state_dict(native, config)
    model = _empty_transformer(config)
    model.load_state_dict(converted, strict=True, assign=True)
    device = "cpu" if runtime.offload else runtime.torch_device
    return model.to(device=device, dtype=runtime.dtype).eval()  # type: ignore[call-arg]  # `to` typed through wraps
