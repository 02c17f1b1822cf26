"""`--preset paper|best`: the chain's settings as the official code has them, or ours.

- `paper`: every setting the released HOI3DGen code fixes (agshar96/Hoi3DGen and
  its CameraHMR fork; docs/fidelity.md lists each with its file), so a run
  reproduces the release as closely as the public code allows.
- `best` (default): our improvements where we measured them to help (per-frame
  detection with voting, robust registration with pose refinement, ...).

Each preset is a factory of a fresh `ChainOptions`; `registry.make_settings`
applies `--set KEY=VALUE` overrides on top.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from hoiexport.sdk.generators.hoi3dgen.chain import ChainOptions
from hoiexport.sdk.generators.lift.lift import LiftOptions
from hoiexport.sdk.geometry.orbit import OrbitOptions

PAPER_SEED = 42
"""The seed the official scripts fix (`manual_seed(42)`)."""

PAPER_ORBIT = OrbitOptions(views=8, pitch_deg=0.0, fov_deg=40.0, resolution=512)
"""The official segmentation orbit: 8 yaws, pitch 0, FOV 40°, 512 px
(`scripts/render_scripts/*`)."""


def best() -> ChainOptions:
    """Our defaults (`ChainOptions()`)."""
    return ChainOptions(preset="best")


def paper() -> ChainOptions:
    """The official release's settings (docs/fidelity.md)."""
    base = ChainOptions()
    lift = replace(LiftOptions(), orbit=PAPER_ORBIT)
    return replace(base, preset="paper", lift=lift)


PRESETS: dict[str, Callable[[], ChainOptions]] = {"best": best, "paper": paper}
"""Preset name → settings factory (the registry entry lists the names)."""
