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

from hoiexport.sdk.bodies import BodyModelName
from hoiexport.sdk.core.errors import ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.chain import ChainOptions
from hoiexport.sdk.generators.hoi3dgen.depth import DepthOptions
from hoiexport.sdk.generators.hoi3dgen.regressor import RegressorEstimatorOptions
from hoiexport.sdk.generators.hoi3dgen.sana import OFFICIAL_SEED, SanaOptions
from hoiexport.sdk.generators.lift.lift import LIFT_PRESETS
from hoiexport.sdk.generators.lift.segment import GroundedSam2Options

PAPER_SEGMENT = GroundedSam2Options(masks="track", erode_iterations=2)
"""The release's orbit masks (`scripts/segmentMeshes/*`): Grounding DINO on the
start frame, SAM 2 video tracking around the orbit, every mask eroded twice by a
3 × 3 square."""

PAPER_REGRESSOR = RegressorEstimatorOptions(refacing_views=8, fallback=False)
"""The release's CameraHMR use (agshar96/CameraHMR `mesh_estimator_hoi3d.py`):
the second estimate from the nearest of the 8 orbit views to the body's front,
and no point-cloud hypotheses beside it."""


def paper_body_model() -> BodyModelName:
    """"smpl" when the user's licensed SMPL files are set up (`HOIEXPORT_SMPL_DIR`
    or `$HOIEXPORT_MODELS/smpl`), as the release registers SMPL; else "anny"
    (the free embedded body; provenance records which one ran)."""
    from hoiexport.sdk.bodies.smpl_body import find_smpl_file

    try:
        find_smpl_file()
    except ModelUnavailableError:
        return "anny"
    return "smpl"


def best() -> ChainOptions:
    """Our defaults (`ChainOptions()`)."""
    return ChainOptions(preset="best")


def paper() -> ChainOptions:
    """The official release's settings (docs/fidelity.md)."""
    # the segmenter erodes the masks already (PAPER_SEGMENT), so the point cloud takes them as they are
    lift = replace(LIFT_PRESETS["paper"], body_model=paper_body_model(), cloud_erode_iterations=0)
    return ChainOptions(
        preset="paper",
        # SANA's scripts/inference.py: one generator seeded --seed (default 0), noise drawn prompt after prompt
        t2i_seed=OFFICIAL_SEED,
        sana=SanaOptions(seed_policy="sequential"),
        # scripts/flux/create_depth_images.py: V1-Large, saved as an 8-bit PNG
        depth=DepthOptions(model="v1-large", quantize_8bit=True),
        # scripts/flux/retexture_depth_images.py: torch.Generator().manual_seed(42) per image
        retexture_seed_policy="fixed",
        # orbit (render_interaction.py), registration (reproject_and_align_camHMR.py)
        lift=lift,
        segment=PAPER_SEGMENT,
        regressor=PAPER_REGRESSOR,
        # run_t23d_pipe.sh step 6 paints with Hunyuan3D-2.1; "auto" tries it first and provenance says what ran
        texturer="auto",
    )


PRESETS: dict[str, Callable[[], ChainOptions]] = {"best": best, "paper": paper}
"""Preset name → settings factory (the registry entry lists the names)."""
