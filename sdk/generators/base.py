"""The generator seam: one protocol every generator implements.

A generator turns a resolved `Prompt` (`hoiexport.sdk.prompt.resolve_prompt`) and a
seed into an `HOIAsset` in the internal frame (+Y up, metres, the character faces
+Z, floor y = 0) with contacts, configuration and penetration measured on the
result. The application floor (`hoiexport.generate`) picks one from
`registry.GENERATORS` by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from hoiexport.sdk.core.types import HOIAsset, Mesh, Prompt


@dataclass(frozen=True)
class GenerationOptions:
    """What a caller may set for any generator; each reads the fields it uses.

    Attributes:
        body: body-shape overrides by phenotype name (Anny: gender, age, muscle,
            weight, height, proportions; floats in [0, 1]); read by generators
            that pose the body themselves (compose).
        settings: the generator's own settings object (`ComposeOptions` for
            compose, `ChainOptions` for hoi3dgen) or None for its defaults; a
            generator given another type raises `InputError`.
        runtime: device / precision / offload of GPU generators
            (`hoiexport.sdk.generators.hoi3dgen.runtime.Runtime`); None = auto.
        object_mesh: the user's own object (`compose.prop.load_prop`: internal
            frame, metres, resting on y = 0); the prompt's object is its name.
            Generators that make their own object (hoi3dgen) refuse it.
    """

    body: Mapping[str, float] = field(default_factory=dict)
    settings: Any = None
    runtime: Any = None
    object_mesh: Mesh | None = None


@runtime_checkable
class Generator(Protocol):
    """Prompt + seed → `HOIAsset`.

    Attributes:
        name: the registry name (`--generator NAME`).
    """

    name: ClassVar[str]

    def __call__(self, prompt: Prompt, seed: int, options: GenerationOptions) -> HOIAsset:
        """Generate one interaction.

        Args:
            prompt: the resolved prompt (object, action, requested configuration).
            seed: non-negative random seed; the same inputs and seed give the same asset.
            options: the caller's settings.

        Returns:
            The asset, its provenance naming this generator, the seed used and
            per-stage seconds.

        Raises:
            InputError: a prompt or setting this generator cannot take.
            ModelUnavailableError: weights or body-model files missing.
            GenerationError: no attempt met the request.
        """
        ...

    def unavailable(self) -> str | None:
        """Why this generator cannot run on this machine now (None = it can).

        Cheap: no weights are loaded. `auto` takes the first generator in
        `registry.AUTO_ORDER` for which this is None.
        """
        ...

    def close(self) -> None:
        """Release what the generator holds (loaded networks, GPU memory)."""
        ...
