"""Llama 3.1 8B Instruct (transformers `LlamaForCausalLM`) as a `LanguageModel`:
the caption composer of the decomposed annotation.

Lock entry "llama-3-1-8b-instruct" (meta-llama/Llama-3.1-8B-Instruct, Llama 3.1
Community Licence, gated). The prompt is the user turn of a one-message chat,
formatted by the tokenizer's own chat template; decoding is greedy.

The causal-LM helpers `score_options` (constrained choice) and `greedy_config`
serve both this backend and InternVL's language model (`internvl`).

Constrained choice (`score_options`): the prompt runs once with the KV cache; the
cache is repeated once per option and the options run as one right-padded batch
after it. An option's score is the sum of its tokens' log-probabilities given
the prompt and its earlier tokens; the scores are log-softmaxed across the
options, so `exp` of the result sums to 1. No free text is parsed.
"""

from __future__ import annotations

import copy
import inspect
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.models import GPU_EXTRA_HINT, LockFile, ModelRef, load_pretrained, resolve_weights

if TYPE_CHECKING:
    import torch
    from transformers import GenerationConfig, LlamaForCausalLM, PreTrainedTokenizerBase


def score_options(model: Any, prompt_inputs: dict[str, torch.Tensor], options_ids: Sequence[Sequence[int]],
                  pad_id: int) -> np.ndarray:
    """Log-probabilities of token continuations after a prompt, normalised over them.

    Args:
        model: a transformers causal LM (or an image-text model whose forward takes
            `input_ids`, `attention_mask`, `use_cache` and a KV cache (`cache`, or
            `past_key_values` before transformers 5.2x) and returns `.logits`
            (B, L, V) and the cache).
        prompt_inputs: the prompt's model inputs, batch 1 (`input_ids` (1, L),
            `attention_mask` (1, L), and e.g. `pixel_values`), on the model's device.
        options_ids: each option's token ids (non-empty), as appended after the prompt.
        pad_id: token id put in the padded positions (masked out).

    Returns:
        (len(options_ids),) float64: log-softmax over the options of each option's
        summed token log-likelihood.

    Raises:
        InputError: no options, or an option with no tokens.
    """
    import torch

    if not options_ids or any(len(ids) == 0 for ids in options_ids):
        raise InputError("score_options needs at least one option, each with at least one token")
    k, longest = len(options_ids), max(len(ids) for ids in options_ids)
    cache_arg = _cache_argument(model)
    with torch.inference_mode():
        out = model(**prompt_inputs, use_cache=True)
        first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
        scores = torch.stack([first[int(ids[0])] for ids in options_ids]).double()
        if longest > 1:
            device = prompt_inputs["input_ids"].device
            tokens = torch.full((k, longest - 1), int(pad_id), dtype=torch.long, device=device)
            mask = torch.zeros((k, longest - 1), dtype=torch.long, device=device)
            for row, ids in enumerate(options_ids):
                if len(ids) > 1:
                    tokens[row, : len(ids) - 1] = torch.tensor([int(t) for t in ids[:-1]], device=device)
                    mask[row, : len(ids) - 1] = 1
            cache = getattr(out, "cache", None) or getattr(out, "past_key_values", None)
            if cache is None:
                raise RuntimeError(f"{type(model).__name__} returned no KV cache with use_cache=True")
            cache.batch_repeat_interleave(k)
            prompt_mask = prompt_inputs.get("attention_mask")
            if prompt_mask is None:
                prompt_mask = torch.ones_like(prompt_inputs["input_ids"])
            attention = torch.cat([prompt_mask.to(mask.dtype).expand(k, -1), mask], dim=1)
            later = model(input_ids=tokens, attention_mask=attention, use_cache=True, **{cache_arg: cache})
            logp = torch.log_softmax(later.logits.float(), dim=-1)
            for row, ids in enumerate(options_ids):
                for j in range(1, len(ids)):
                    scores[row] += logp[row, j - 1, int(ids[j])].double()
        normalised = scores - torch.logsumexp(scores, dim=0)
    return normalised.cpu().numpy().astype(np.float64)


def _cache_argument(model: Any) -> str:
    """The forward argument that takes a KV cache: "cache" (transformers >= 5.2x)
    or "past_key_values" (earlier releases)."""
    params = inspect.signature(model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def greedy_config(model: Any, max_new_tokens: int, pad_id: int) -> GenerationConfig:
    """The model's generation config (its end-of-turn ids) with greedy decoding.

    Sampling settings a repository ships (Llama 3.1: temperature 0.6, top-p 0.9)
    are cleared: annotation answers are deterministic.
    """
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise InputError(f"max_new_tokens must be an integer >= 1, got {max_new_tokens!r}")
    config = copy.deepcopy(model.generation_config)
    config.do_sample = False
    config.num_beams = 1
    config.temperature = None
    config.top_p = None
    config.top_k = None
    config.max_new_tokens = max_new_tokens
    config.pad_token_id = pad_id
    return config


def pad_token_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """The tokenizer's pad id, else its first end-of-sequence id (Llama 3.1 has no pad token)."""
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if isinstance(pad, list):
        pad = pad[0]
    if pad is None:
        raise ModelUnavailableError("the tokenizer has neither a pad nor an end-of-sequence token; re-download it")
    return int(pad)


def option_token_ids(tokenizer: PreTrainedTokenizerBase, options: Sequence[str]) -> list[list[int]]:
    """Each option's token ids as appended after a prompt (no special tokens added).

    Raises:
        InputError: no options, a repeated option, or one that tokenises to nothing.
    """
    if not options or len(set(options)) != len(options):
        raise InputError(f"options must be distinct and non-empty, got {list(options)!r}")
    ids = [list(tokenizer(str(o), add_special_tokens=False)["input_ids"]) for o in options]
    empty = [o for o, t in zip(options, ids) if not t]
    if empty:
        raise InputError(f"option(s) {empty!r} tokenise to nothing; use words")
    return ids


def decode_new(tokenizer: PreTrainedTokenizerBase, sequence: torch.Tensor, prompt_length: int) -> str:
    """The generated part of `sequence` (1-D token ids), special tokens dropped, stripped."""
    return str(tokenizer.decode(sequence[prompt_length:], skip_special_tokens=True)).strip()


class PlacedModel:
    """A transformers model on its runtime's device and dtype, in eval mode, with
    its lock entry and revision for provenance (the base of the backends).

    Args:
        model: the network.
        runtime: device and dtype; the model is moved there.
        name: lock entry name.
        revision: the lock's revision of the weights.
    """

    def __init__(self, model: Any, runtime: Runtime, name: str, revision: str | None) -> None:
        # transformers types PreTrainedModel.to through functools.wraps, which loses `self`
        self.model = model.to(device=runtime.torch_device, dtype=runtime.dtype).eval()
        self.runtime = runtime
        self.name = name
        self.revision = revision

    def close(self) -> None:
        """Drop the weights (the CUDA cache is emptied)."""
        import torch

        del self.model
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


LOCK_ENTRY = "llama-3-1-8b-instruct"
"""The `third_party_models.lock` entry `LlamaAnnotator.from_pretrained(None, ...)` resolves."""


class LlamaAnnotator(PlacedModel):
    """A chat LLM (Llama 3.1 Instruct) as a `protocols.LanguageModel`.

    Args:
        model: the network (any size; the tests build a tiny random one).
        tokenizer: its tokenizer, with a chat template.
        runtime: device and dtype; the model is moved there.
        name: lock entry name, for provenance.
        revision: the lock's revision of the weights, for provenance.
    """

    def __init__(self, model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerBase, runtime: Runtime,
                 name: str = LOCK_ENTRY, revision: str | None = None) -> None:
        if not getattr(tokenizer, "chat_template", None):
            raise ModelUnavailableError(f"{name}: the tokenizer has no chat template; re-download the model")
        super().__init__(model, runtime, name, revision)
        self.tokenizer = tokenizer

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike[str] | None, runtime: Runtime, ref: ModelRef, *,
                        lock: LockFile | None = None,
                        models_dir: str | os.PathLike[str] | None = None) -> LlamaAnnotator:
        """Load a transformers-format Llama folder (config, safetensors, tokenizer).

        Args:
            folder: the model folder; None resolves `ref`'s lock entry under the
                models dir, checking its files against the lock.
            runtime: device and dtype.
            ref: the lock entry and the folder layout (`registry.LLM_MODELS`).
            lock: the lock (default: the repository's).
            models_dir: models root (default `HOIEXPORT_MODELS`).

        Raises:
            ModelUnavailableError: missing or unreadable weights or tokenizer.
        """
        path = resolve_weights(ref, folder, lock=lock, models_dir=models_dir)
        try:
            from transformers import AutoTokenizer, LlamaForCausalLM
        except ImportError:
            raise ModelUnavailableError(f"the Llama annotator needs transformers: run {GPU_EXTRA_HINT}") from None
        tokenizer = load_pretrained(AutoTokenizer.from_pretrained, path, ref, local_safetensors=False,
                                    local_files_only=True)
        model = load_pretrained(LlamaForCausalLM.from_pretrained, path, ref, dtype=runtime.dtype)
        revision = lock_revision(ref, folder, lock)
        return cls(model, tokenizer, runtime, ref.name, revision)

    def _inputs(self, prompt: str) -> dict[str, torch.Tensor]:
        if not isinstance(prompt, str) or not prompt.strip():
            raise InputError("the language model's prompt is empty")
        text = self.tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                                  add_generation_prompt=True)
        enc = self.tokenizer(str(text), add_special_tokens=False, return_tensors="pt")
        return {k: v.to(self.runtime.torch_device) for k, v in enc.items() if k in ("input_ids", "attention_mask")}

    def complete(self, prompt: str, max_new_tokens: int = 96) -> str:
        """Greedy reply to `prompt` as the user turn of a chat (the reply only, stripped)."""
        import torch

        inputs = self._inputs(prompt)
        pad = pad_token_id(self.tokenizer)
        with torch.inference_mode():
            out = self.model.generate(**inputs, generation_config=greedy_config(self.model, max_new_tokens, pad))
        return decode_new(self.tokenizer, out[0], inputs["input_ids"].shape[1])

    def option_logprobs(self, prompt: str, options: Sequence[str]) -> np.ndarray:
        """(len(options),) float64 log-probabilities of each option as the reply (`score_options`)."""
        return score_options(self.model, self._inputs(prompt), option_token_ids(self.tokenizer, options),
                             pad_token_id(self.tokenizer))


def lock_revision(ref: ModelRef, folder: str | os.PathLike[str] | None, lock: LockFile | None) -> str | None:
    """The lock's revision of `ref` ("unresolved" until pinned) when the weights
    came from the lock; None for a folder the caller gave (its revision is unknown)."""
    if folder is not None:
        return None
    from hoiexport.sdk.models import load_lock

    return (lock or load_lock()).get(ref.name).revision
