"""Seeded draws shared by the object builders (one place, so every builder draws alike)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    """One float drawn uniformly from [lo, hi)."""
    return float(rng.uniform(lo, hi))


def pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    """One element of `options`, uniformly."""
    return options[int(rng.integers(len(options)))]


def style(rng: np.random.Generator, variant: str | None, options: Sequence[str], default: str | None = None) -> str:
    """The variant asked for when it is one of `options`; else `default`, or a seeded
    choice among `options` when there is no default (the draw happens only then)."""
    if variant in options:
        return str(variant)
    if default is not None:
        return default
    return pick(rng, options)
