"""The narrow protocols every annotation / judging backend implements.

Images are (H, W, 3) uint8 sRGB arrays. Option scoring is constrained choice:
the model scores each option's tokens as a continuation (sum of token
log-likelihoods), and the scores are normalised over the options (log-softmax),
so no free text is ever parsed to pick a label.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class VisionLanguageModel(Protocol):
    """An MLLM that answers about images (InternVL)."""

    name: str
    """Lock entry name (or "template") for provenance."""
    revision: str | None
    """Pinned revision of the weights, None without weights."""

    def answer(self, images: Sequence[np.ndarray], question: str, max_new_tokens: int = 128) -> str:
        """Greedy free-text answer to `question` about `images`."""
        ...

    def option_logprobs(self, images: Sequence[np.ndarray], question: str, options: Sequence[str]) -> np.ndarray:
        """(len(options),) float64 log-probabilities of each option as the answer,
        normalised over the options (they exp-sum to 1)."""
        ...


@runtime_checkable
class LanguageModel(Protocol):
    """A text-only LLM (Llama 3.1) that composes captions."""

    name: str
    revision: str | None

    def complete(self, prompt: str, max_new_tokens: int = 96) -> str:
        """Greedy continuation of a chat-formatted `prompt` (the reply only)."""
        ...

    def option_logprobs(self, prompt: str, options: Sequence[str]) -> np.ndarray:
        """(len(options),) float64 log-probabilities of each option as the reply,
        normalised over the options."""
        ...
