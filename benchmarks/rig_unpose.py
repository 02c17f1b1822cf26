"""Un-posing artefacts of the A-pose rig (#16), compose and lifted (generated) humans.

For each prompt: the compose asset is exported with `--rest-pose a` (its human is the
body surface itself); then its posed glb (`--rest-pose interaction`, nodes human /
object) is lifted back with `hoiexport.lift_files` — a registered body under a
surface that is not the body's, as for the GPU chain's meshes — and that asset is
exported with `--rest-pose a` too. Printed per case: the float32 round trip of
re-posing the exported rest mesh with the exported `interaction` clip (max, p99) and
how far un-posing moved the human off the un-posed body (max, p99, vertices pushed
> 5 mm inside).

    .venv/bin/python benchmarks/rig_unpose.py [--prompts N]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


import hoiexport
from hoiexport.exporters.export import ExportOptions
from hoiexport.exporters.options import BakeOptions
from hoiexport.exporters.rig import RigOptions

PROMPTS = [
    "a person holding a mug in the right hand",
    "a man sitting on a chair",
    "a woman carrying a box with both hands",
    "a person kicking a ball with the left foot",
    "a person sitting on a bench",
    "a man holding an umbrella with his left hand",
]


def _options(rest: str) -> ExportOptions:
    return ExportOptions(bake=BakeOptions(size=512, gutter_px=4), rig=RigOptions(rest_pose=rest, measure=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=len(PROMPTS))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(PROMPTS[: args.prompts]):
            asset = hoiexport.generate(text, seed=0)
            compose = hoiexport.export(asset, Path(tmp, f"c{i}"), formats="glb", options=_options("a"))
            rows.append(("compose", text, compose.stats["rig"]))
            posed = hoiexport.export(asset, Path(tmp, f"p{i}"), formats="glb", options=_options("interaction"))
            lifted = hoiexport.lift_files([posed.files["glb"]], text, segmenter="labels", seed=0).asset
            result = hoiexport.export(lifted, Path(tmp, f"l{i}"), formats="glb", options=_options("a"))
            rows.append(("lifted", text, result.stats["rig"]))
    print(f"{'case':8} {'roundtrip max/p99 (m)':>24} {'body gap max/p99 (mm)':>24} {'pushed in':>9}  prompt")
    for case, text, s in rows:
        print(f"{case:8} {s['roundtrip_max_m']:>11.2e} / {s['roundtrip_p99_m']:<10.2e} "
              f"{s['body_gap_change_max_m'] * 1e3:>11.2f} / {s['body_gap_change_p99_m'] * 1e3:<10.3f} "
              f"{s['penetration_introduced']:>9}  {text}")
    for case in ("compose", "lifted"):
        sel = [s for c, _, s in rows if c == case]
        print(f"{case}: worst round trip {max(s['roundtrip_max_m'] for s in sel):.2e} m, "
              f"worst body-gap p99 {max(s['body_gap_change_p99_m'] for s in sel) * 1e3:.3f} mm, "
              f"max {max(s['body_gap_change_max_m'] for s in sel) * 1e3:.2f} mm, "
              f"pushed in {sum(s['penetration_introduced'] for s in sel)} vertices ({len(sel)} assets)")


if __name__ == "__main__":
    main()
