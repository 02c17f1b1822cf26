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
from hoiexport.sdk.generators.hoi3dgen.depth import DepthOptions
from hoiexport.sdk.generators.hoi3dgen.sana import OFFICIAL_SEED, SanaOptions
from hoiexport.sdk.generators.lift.lift import LiftOptions
from hoiexport.sdk.geometry.orbit import OrbitOptions

PAPER_ORBIT = OrbitOptions(views=8, pitch_deg=0.0, fov_deg=40.0, resolution=512)
"""The official segmentation orbit: 8 yaws, pitch 0, FOV 40°, 512 px
(`scripts/render_scripts/*`)."""


def best() -> ChainOptions:
    """Our defaults (`ChainOptions()`)."""
    return ChainOptions(preset="best")


def paper() -> ChainOptions:
    """The official release's settings (docs/fidelity.md)."""
    lift = replace(LiftOptions(), orbit=PAPER_ORBIT)
    return ChainOptions(
        preset="paper",
        # SANA's scripts/inference.py: one generator seeded --seed (default 0), noise drawn prompt after prompt
        t2i_seed=OFFICIAL_SEED,
        sana=SanaOptions(seed_policy="sequential"),
        # scripts/flux/create_depth_images.py: V1-Large, saved as an 8-bit PNG
        depth=DepthOptions(model="v1-large", quantize_8bit=True),
        # scripts/flux/retexture_depth_images.py: torch.Generator().manual_seed(42) per image
        retexture_seed_policy="fixed",
        lift=lift,
    )


PRESETS: dict[str, Callable[[], ChainOptions]] = {"best": best, "paper": paper}
"""Preset name → settings factory (the registry entry lists the names)."""
