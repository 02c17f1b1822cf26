"""`hoiexport.generate` (module `hoiexport.generation`): text → `HOIAsset` through the generator registry.

The one entry point every caller uses (SDK, CLI, batch): resolve the prompt once
(`sdk.prompt.resolve_prompt`: parse, overrides, the support-contact rule), pick
the generator by name (`sdk.generators.registry`, `auto` included), run it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.overrides import parse_assignments
from hoiexport.sdk.core.types import ContactConfig, HOIAsset, Prompt
from hoiexport.sdk.generators.base import GenerationOptions
from hoiexport.sdk.generators.registry import (
    AUTO,
    GENERATOR_CHOICES,
    GENERATORS,
    get_generator,
    make_settings,
    resolve_name,
)

__all__ = ["AUTO", "GENERATORS", "GENERATOR_CHOICES", "PRESET_CHOICES", "generate", "make_settings", "parse_assignments",
           "resolve_name"]

PRESET_CHOICES: tuple[str, ...] = tuple(dict.fromkeys(p for e in GENERATORS.values() for p in e.presets))
"""Every generator's preset names (`--preset`); each generator accepts its own."""


def generate(
    prompt: str | Prompt,
    generator: str = "compose",
    seed: int = 0,
    *,
    object: str | None = None,
    action: str | None = None,
    contact: str | ContactConfig | None = None,
    body: Mapping[str, float] | None = None,
    options: Any = None,
    preset: str | None = None,
    overrides: Mapping[str, str] | None = None,
    runtime: Any = None,
    object_mesh: Any = None,
    prop: Any = None,
    **shape: float,
) -> HOIAsset:
    """Generate one human–object interaction from text.

    Args:
        prompt: free text ("A man carrying a suitcase in his right hand") or a
            parsed `Prompt`.
        generator: a name of `GENERATORS` ("compose": CPU; "hoi3dgen": the
            paper's chain, needs the pinned weights and a CUDA GPU in practice)
            or "auto" (hoi3dgen where it can run, else compose).
        seed: non-negative random seed.
        object: object category or synonym overriding the text's.
        action: action overriding the text's.
        contact: contact configuration overriding the text's.
        body: body-shape overrides, e.g. {"height": 0.6, "weight": 0.3}.
        options: the generator's own settings (`ComposeOptions`, `ChainOptions`);
            None = built from `preset` and `overrides`.
        preset: one of the generator's presets (`GENERATORS[name].presets`,
            hoi3dgen: "best" or "paper"); None = its default.
        overrides: settings paths → value text applied on the preset, e.g.
            {"lift.orbit.views": "4"} (`hoiexport.sdk.core.overrides`).
        runtime: device / precision / offload of the hoi3dgen chain
            (`hoiexport.sdk.generators.hoi3dgen.runtime.Runtime`); compose ignores it.
        object_mesh: your own object: a `Mesh` or a .glb / .gltf / .obj / .ply
            path (compose only). The prompt's object is the prop, named by
            `prop.name` or the file stem, whatever noun the text uses; it keeps
            its texture through to the exports.
        prop: `PropOptions` of `object_mesh`: name, height in metres or scale,
            up axis (`hoiexport.sdk.generators.compose.prop`).
        **shape: body-shape overrides as keywords (gender, age, muscle, weight,
            height, proportions; floats in [0, 1]).

    Returns:
        The asset; provenance timings include "parse" (also counted in "total").

    Raises:
        InputError: an unknown generator, a bad seed, prompt or argument.
        ModelUnavailableError: the generator's weights or body model are missing.
        GenerationError: the generator could not meet the request.
    """
    import numpy as np

    from hoiexport.sdk.prompt import resolve_prompt  # the parser's tables load on first use

    name = resolve_name(generator)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    if options is None:
        options = make_settings(name, preset, overrides)
    elif preset is not None or overrides:
        raise InputError("give either options or preset/overrides, not both")
    mesh = None
    prop_name = None
    if object_mesh is not None:
        from hoiexport.sdk.generators.compose.prop import PropOptions, load_prop
        from hoiexport.sdk.generators.compose.prop import prop_name as _prop_name

        prop = prop if prop is not None else PropOptions()
        if not isinstance(prop, PropOptions):
            raise InputError(f"prop must be PropOptions, got {type(prop).__name__}")
        mesh = load_prop(object_mesh, prop)
        prop_name = _prop_name(object_mesh, prop)
    elif prop is not None:
        raise InputError("prop options need an object mesh: pass object_mesh=PATH or a Mesh")
    t0 = time.perf_counter()
    resolved = resolve_prompt(prompt, object, action, contact, prop=prop_name)
    t_parse = time.perf_counter() - t0
    request = GenerationOptions(body={**(body or {}), **shape}, settings=options, runtime=runtime,
                                object_mesh=mesh)
    asset = get_generator(name)(resolved, int(seed), request)
    timings = asset.provenance.timings_s
    if "total" in timings:
        timings["total"] += t_parse
    asset.provenance.timings_s = {"parse": t_parse, **timings}
    return asset
