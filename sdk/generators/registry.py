"""Generator names → implementations, in one dict (as diffusers' auto pipelines
keep their mapping), plus `auto`.

Implementations are imported on first use, so naming the compose generator
never imports the GPU chain's libraries. One instance per name per process:
an instance may hold loaded networks (hoi3dgen keeps its built chain), which
`release()` frees.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.core.overrides import apply_overrides
from hoiexport.sdk.generators.base import Generator


@dataclass(frozen=True)
class GeneratorEntry:
    """Where a generator lives and what it is, for `--help` and `doctor`.

    Attributes:
        module: import path of the module defining it.
        attr: class name in that module (constructed without arguments).
        summary: one line for help texts.
        presets: names of the generator's settings presets (the first is its
            default); each is a factory in the module's `PRESETS` dict.
    """

    module: str
    attr: str
    summary: str
    presets: tuple[str, ...] = ("default",)


GENERATORS: dict[str, GeneratorEntry] = {
    "compose": GeneratorEntry(
        "hoiexport.sdk.generators.compose.generate", "ComposeGenerator",
        "CPU, procedural: Anny posed from an action library, a procedural object placed by contact optimisation"),
    "hoi3dgen": GeneratorEntry(
        "hoiexport.sdk.generators.hoi3dgen.generate", "Hoi3dgenGenerator",
        "the paper's GPU chain (SANA views, FLUX re-texturing, Hunyuan3D, segmentation, registration)",
        presets=("best", "paper")),
}
"""Every generator by its `--generator` name."""

AUTO = "auto"
"""The name that picks the first available generator of `AUTO_ORDER`."""

AUTO_ORDER: tuple[str, ...] = ("hoi3dgen", "compose")
"""`auto`'s preference: the paper's chain where it can run, else compose."""

GENERATOR_CHOICES: tuple[str, ...] = (AUTO, *GENERATORS)
"""Names a caller may give (`--generator`, batch prompt files)."""

_instances: dict[str, Generator] = {}
_lock = threading.Lock()


def get_generator(name: str) -> Generator:
    """The process's instance of generator `name` (`auto` resolved first).

    Raises:
        InputError: an unknown name (the message lists the known ones).
    """
    name = resolve_name(name)
    with _lock:
        generator = _instances.get(name)
        if generator is None:
            entry = GENERATORS[name]
            generator = _instances[name] = getattr(import_module(entry.module), entry.attr)()
    return generator


def make_settings(name: str, preset: str | None = None, overrides: Mapping[str, str] | None = None) -> Any:
    """Generator `name`'s settings object from one of its presets, with
    `KEY=VALUE` overrides applied (`hoiexport.sdk.core.overrides`).

    Args:
        name: a registered generator (not `auto`: resolve it first).
        preset: one of `GENERATORS[name].presets`; None = its first (the default).
        overrides: dotted field path → value text, e.g. {"lift.orbit.views": "4"}.

    Raises:
        InputError: an unknown generator, preset or setting, or a bad value.
    """
    if name not in GENERATORS:
        raise InputError(f"unknown generator {name!r}; use one of: {', '.join(GENERATORS)}")
    entry = GENERATORS[name]
    preset = entry.presets[0] if preset is None else preset
    if preset not in entry.presets:
        raise InputError(f"the {name} generator has no preset {preset!r}; use one of: {', '.join(entry.presets)}")
    settings = import_module(entry.module).PRESETS[preset]()
    return apply_overrides(settings, overrides or {})


def resolve_name(name: str) -> str:
    """`name` itself when it is a registered generator; for `auto`, the first
    generator of `AUTO_ORDER` that can run here.

    Raises:
        InputError: an unknown name.
        ModelUnavailableError: `auto` and no generator can run (compose always can
            once its body model is built, so in practice never).
    """
    if name in GENERATORS:
        return name
    if name != AUTO:
        raise InputError(f"unknown generator {name!r}; use one of: {', '.join(GENERATOR_CHOICES)}")
    reasons = []
    for candidate in AUTO_ORDER:
        why = get_generator(candidate).unavailable()
        if why is None:
            return candidate
        reasons.append(f"{candidate}: {why}")
    raise ModelUnavailableError("no generator can run here (" + "; ".join(reasons) + "); run `hoiexport doctor`")


def release() -> None:
    """Close every generator instance (frees loaded networks and GPU memory)."""
    with _lock:
        instances = list(_instances.values())
        _instances.clear()
    for generator in instances:
        generator.close()
