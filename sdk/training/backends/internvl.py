"""InternVL3 (transformers `InternVLForConditionalGeneration`) as a
`VisionLanguageModel`: the MLLM of the decomposed annotation.

Lock entry "internvl3-8b-hf" (OpenGVLab/InternVL3-8B-hf, the transformers-native
conversion of InternVL3-8B; InternViT-300M vision tower, Qwen2.5-7B language
model). Answers are greedy; option scores come from `llama.score_options` over
InternVL's language model, the images in the prompt.

Inputs are assembled as transformers' `InternVLProcessor` assembles them, from
the folder's real parts: the chat template (`chat_template.jinja`, else the
tokenizer's) puts one context-image token per image in the user turn; the image
processor (`AutoImageProcessor`: GotOcr2, called with `crop_to_patches=True` as
`InternVLProcessor` calls it, which tiles each image into `num_patches` 448-pixel
crops plus a thumbnail when there are several) gives `pixel_values`; each placeholder becomes
`<img>` + `<IMG_CONTEXT>` × (`image_seq_length` × its patches) + `</img>`
(`image_seq_length` from `processor_config.json`). `InternVLProcessor` itself
is not constructed because transformers 5 requires its video processor, which
needs torchvision, and annotation never passes video.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.models import GPU_EXTRA_HINT, LockFile, ModelRef, load_pretrained, resolve_weights
from hoiexport.sdk.training.backends.llama import (
    PlacedModel,
    decode_new,
    greedy_config,
    lock_revision,
    option_token_ids,
    pad_token_id,
    score_options,
)

if TYPE_CHECKING:
    import torch
    from transformers import InternVLForConditionalGeneration, PreTrainedTokenizerBase

LOCK_ENTRY = "internvl3-8b-hf"
"""The `third_party_models.lock` entry `InternVLAnnotator.from_pretrained(None, ...)` resolves."""

DEFAULT_IMAGE_TOKENS: dict[str, str] = {
    "start_image_token": "<img>",
    "end_image_token": "</img>",
    "context_image_token": "<IMG_CONTEXT>",
}
"""InternVL's image tokens, used when neither the tokenizer nor `processor_config.json` names them."""


def _check_image(image: Any, index: int) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        shape = getattr(image, "shape", None)
        raise InputError(f"image {index} must be an (H, W, 3) uint8 sRGB array, got {type(image).__name__} {shape}")
    return image


@dataclass
class InternVLPrompter:
    """Builds InternVL's model inputs for images and a question (module docstring).

    Attributes:
        tokenizer: the Qwen2 tokenizer with InternVL's image tokens.
        image_processor: GotOcr2's image processor (returns `pixel_values`, `num_patches`).
        image_seq_length: context tokens per image patch (256 for 448-pixel patches).
        chat_template: the processor's chat template (None: the tokenizer's).
        image_tokens: "start_image_token" / "end_image_token" / "context_image_token" → token text.
    """

    tokenizer: PreTrainedTokenizerBase
    image_processor: Any
    image_seq_length: int
    chat_template: str | None
    image_tokens: dict[str, str]

    @classmethod
    def from_folder(cls, folder: Path, tokenizer: PreTrainedTokenizerBase, image_processor: Any) -> InternVLPrompter:
        """The prompter of a transformers-format InternVL folder (`processor_config.json`,
        optional `chat_template.jinja`).

        Raises:
            ModelUnavailableError: `processor_config.json` is missing or unreadable.
        """
        where = folder / "processor_config.json"
        try:
            config = json.loads(where.read_text(encoding="utf-8"))
            length = int(config["image_seq_length"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelUnavailableError(f"cannot read InternVL processor config {where} ({exc}); re-download "
                                        f"it with `hoiexport models fetch {LOCK_ENTRY}`") from None
        template_file = folder / "chat_template.jinja"
        template = template_file.read_text(encoding="utf-8") if template_file.is_file() else None
        tokens = {key: str(getattr(tokenizer, key, None) or config.get(key) or default)
                  for key, default in DEFAULT_IMAGE_TOKENS.items()}
        return cls(tokenizer, image_processor, length, template, tokens)

    def text(self, n_images: int, question: str) -> str:
        """The chat text with one context-image placeholder per image (before expansion)."""
        content: list[dict[str, str]] = [{"type": "image"} for _ in range(n_images)]
        content.append({"type": "text", "text": question})
        messages: Any = [{"role": "user", "content": content}]  # multimodal content: a list of parts
        kwargs: dict[str, Any] = {"chat_template": self.chat_template} if self.chat_template else {}
        return str(self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True,
                                                      **kwargs))

    def __call__(self, images: Sequence[np.ndarray], question: str) -> dict[str, torch.Tensor]:
        """Model inputs, batch 1.

        Args:
            images: (H, W, 3) uint8 sRGB arrays, in the order the question refers to them.
            question: the user's text.

        Returns:
            `input_ids` (1, L) int64, `attention_mask` (1, L) int64, and with images
            `pixel_values` (P, 3, S, S) float32 (P = the images' patches in order).

        Raises:
            InputError: a malformed image, an empty question, or a chat template that
                does not place one placeholder per image.
        """
        import torch

        if not isinstance(question, str) or not question.strip():
            raise InputError("the vision-language model's question is empty")
        arrays = [_check_image(im, i) for i, im in enumerate(images)]
        text = self.text(len(arrays), question)
        ctx = self.image_tokens["context_image_token"]
        pieces = text.split(ctx)
        if len(pieces) - 1 != len(arrays):
            raise InputError(f"the chat template placed {len(pieces) - 1} image placeholder(s) {ctx!r} for "
                             f"{len(arrays)} image(s); re-download the model's chat template")
        out: dict[str, torch.Tensor] = {}
        if arrays:
            processed = self.image_processor(images=arrays, crop_to_patches=True, return_tensors="pt")
            patches = [int(n) for n in np.asarray(processed["num_patches"]).reshape(-1)]
            out["pixel_values"] = processed["pixel_values"]
            expanded = [pieces[0]]
            for n, rest in zip(patches, pieces[1:]):
                expanded.append(self.image_tokens["start_image_token"] + ctx * (self.image_seq_length * n)
                                + self.image_tokens["end_image_token"] + rest)
            text = "".join(expanded)
        enc = self.tokenizer(text, add_special_tokens=False, return_tensors="pt")
        out["input_ids"] = enc["input_ids"]
        out["attention_mask"] = enc.get("attention_mask", torch.ones_like(enc["input_ids"]))
        return out


class InternVLAnnotator(PlacedModel):
    """InternVL3 as a `protocols.VisionLanguageModel`.

    Args:
        model: the network (any size; the tests build a tiny random one).
        prompter: builds its inputs (`InternVLPrompter`).
        runtime: device and dtype; the model is moved there.
        name: lock entry name, for provenance.
        revision: the lock's revision of the weights, for provenance.
    """

    def __init__(self, model: InternVLForConditionalGeneration, prompter: InternVLPrompter, runtime: Runtime,
                 name: str = LOCK_ENTRY, revision: str | None = None) -> None:
        context_id = prompter.tokenizer.convert_tokens_to_ids(prompter.image_tokens["context_image_token"])
        if context_id != model.config.image_token_id:
            raise ModelUnavailableError(
                f"{name}: the tokenizer's context-image token has id {context_id} but the model expects "
                f"{model.config.image_token_id}; the tokenizer and weights do not belong together, re-download both")
        super().__init__(model, runtime, name, revision)
        self.prompter = prompter

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike[str] | None, runtime: Runtime, ref: ModelRef, *,
                        lock: LockFile | None = None,
                        models_dir: str | os.PathLike[str] | None = None) -> InternVLAnnotator:
        """Load a transformers-format InternVL folder (config, safetensors, tokenizer,
        `preprocessor_config.json`, `processor_config.json`).

        Args:
            folder: the model folder; None resolves `ref`'s lock entry under the
                models dir, checking its files against the lock.
            runtime: device and dtype.
            ref: the lock entry and the folder layout (`registry.VLM_MODELS`).
            lock: the lock (default: the repository's).
            models_dir: models root (default `HOIEXPORT_MODELS`).

        Raises:
            ModelUnavailableError: missing or unreadable weights, tokenizer or processor files.
        """
        path = resolve_weights(ref, folder, lock=lock, models_dir=models_dir)
        try:
            from transformers import AutoImageProcessor, AutoTokenizer, InternVLForConditionalGeneration
        except ImportError:
            raise ModelUnavailableError(f"the InternVL annotator needs transformers: run {GPU_EXTRA_HINT}") from None
        tokenizer = load_pretrained(AutoTokenizer.from_pretrained, path, ref, local_safetensors=False,
                                    local_files_only=True)
        images = load_pretrained(AutoImageProcessor.from_pretrained, path, ref, local_safetensors=False,
                                 local_files_only=True)
        model = load_pretrained(InternVLForConditionalGeneration.from_pretrained, path, ref, dtype=runtime.dtype)
        prompter = InternVLPrompter.from_folder(path, tokenizer, images)
        return cls(model, prompter, runtime, ref.name, lock_revision(ref, folder, lock))

    def _inputs(self, images: Sequence[np.ndarray], question: str) -> dict[str, torch.Tensor]:
        inputs = self.prompter(images, question)
        device = self.runtime.torch_device
        return {k: (v.to(device=device, dtype=self.runtime.dtype) if k == "pixel_values" else v.to(device))
                for k, v in inputs.items()}

    def answer(self, images: Sequence[np.ndarray], question: str, max_new_tokens: int = 128) -> str:
        """Greedy free-text answer to `question` about `images` (stripped)."""
        import torch

        inputs = self._inputs(images, question)
        pad = pad_token_id(self.prompter.tokenizer)
        with torch.inference_mode():
            out = self.model.generate(**inputs, generation_config=greedy_config(self.model, max_new_tokens, pad))
        return decode_new(self.prompter.tokenizer, out[0], inputs["input_ids"].shape[1])

    def option_logprobs(self, images: Sequence[np.ndarray], question: str, options: Sequence[str]) -> np.ndarray:
        """(len(options),) float64 log-probabilities of each option as the answer
        (`llama.score_options`; they exp-sum to 1)."""
        tokenizer = self.prompter.tokenizer
        return score_options(self.model, self._inputs(images, question), option_token_ids(tokenizer, options),
                             pad_token_id(tokenizer))
