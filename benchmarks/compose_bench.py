"""Compose generator: contact accuracy, penetration and seconds per asset.

Runs `hoiexport.generate` (CPU, compose) on a prompt set covering the 8 contact
configurations (default `samples/prompts.jsonl`, five prompts each) and prints,
per configuration and overall:

- accuracy: the share of prompts whose *measured* configuration equals the one
  the file states, with penetration ≤ 0.5 cm both ways (a prompt the generator
  gives up on counts as a miss);
- first-attempt rate: the share that needed no retry with the next seed;
- the largest penetration depth (cm, either way) and the largest gap between a
  requested part and the object;
- seconds per asset (prompt parsing to measured asset, retries included,
  exports excluded; the one-time body-model load is reported apart).

- pose plausibility per asset: the largest joint-limit excess (degrees beyond
  the pose library's `JOINT_LIMITS`) and the distance to the nearest library
  pose (root-mean-square joint rotation difference, degrees, body joints
  without the global orientation);

a row with a "prop" (a `tests/builders/props.py` name) runs with that prop
written as a .glb and passed as `object_mesh` (bring your own prop).

    .venv/bin/python benchmarks/compose_bench.py [--prompts FILE] [--seeds 0,1] [--limit N]
    .venv/bin/python benchmarks/compose_bench.py --prompts samples/prompts_vocabulary.jsonl

Goals (issues #4, #15): accuracy ≥ 98 %, max penetration ≤ 0.5 cm, ≤ 5 s per asset.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

import tempfile

import numpy as np

from hoiexport.sdk.bodies import load_body_model
from hoiexport.generation import generate
from hoiexport.sdk.core.errors import GenerationError
from hoiexport.sdk.core.errors import HOIExportError

DEFAULT_PROMPTS = Path(__file__).resolve().parents[1] / "samples" / "prompts.jsonl"


def _load(path: Path) -> list[tuple[str, str, str | None]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            rows.append((d["text"], d["contact"], d.get("prop")))
    return rows


def _library_poses() -> list[np.ndarray]:
    """(24, 3) axis-angle poses of the library, both sides."""
    from hoiexport.sdk.bodies.pose_library import POSES, mirror_pose, rotations_to_pose

    out = []
    for prior in POSES.values():
        pose = rotations_to_pose(prior.rotations)
        out += [pose, mirror_pose(pose)]
    return out


def _plausibility(pose: np.ndarray, library: list[np.ndarray]) -> tuple[float, float]:
    """(largest joint-limit excess, degrees; RMS distance to the nearest library pose, degrees)."""
    from scipy.spatial.transform import Rotation

    from hoiexport.sdk.bodies.pose_library import limit_excess_deg

    pose = np.asarray(pose, np.float64).reshape(24, 3)
    excess = max(limit_excess_deg(pose).values())
    rot = Rotation.from_rotvec(pose[1:])
    dists = [float(np.sqrt(np.mean(np.degrees((rot.inv() * Rotation.from_rotvec(lib[1:])).magnitude()) ** 2)))
             for lib in library]
    return excess, min(dists)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=Path, default=DEFAULT_PROMPTS, help="jsonl with text and contact")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (each prompt runs once per seed)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N prompts (0: all)")
    args = parser.parse_args()
    rows = _load(args.prompts)
    if args.limit:
        rows = rows[: args.limit]
    seeds = [int(s) for s in args.seeds.split(",")]

    t = time.perf_counter()
    load_body_model("anny")
    load_s = time.perf_counter() - t

    library = _library_poses()
    prop_dir = Path(tempfile.mkdtemp(prefix="compose_bench_props_"))
    plaus: list[tuple[float, float]] = []
    per_config: dict[str, list[bool]] = defaultdict(list)
    first: list[bool] = []
    seconds: list[float] = []
    max_pen = 0.0
    max_gap = 0.0
    misses = []
    for text, expected, prop in rows:
        mesh_file = None
        if prop:
            import sys

            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
            from tests.builders.props import BUILDERS, write_prop

            mesh_file = write_prop(BUILDERS[prop](), prop_dir / f"{prop}.glb", node_name="mesh_0")
        for seed in seeds:
            t = time.perf_counter()
            try:
                asset = generate(text, seed=seed, object_mesh=mesh_file)
            except (GenerationError, HOIExportError) as exc:
                seconds.append(time.perf_counter() - t)
                per_config[expected].append(False)
                first.append(False)
                misses.append((text, seed, str(exc)[:160]))
                print(f"MISS {expected:<10} s{seed} {seconds[-1]:5.2f}s {text}: {exc}"[:220])
                continue
            seconds.append(time.perf_counter() - t)
            pen = asset.penetration.max_depth_cm
            ok = asset.contact_config.value == expected and pen <= 0.5
            per_config[expected].append(ok)
            first.append(ok and len(asset.provenance.notes["attempts"]) == 1)
            excess, nearest = _plausibility(asset.body.params["pose"], library)
            plaus.append((excess, nearest))
            max_pen = max(max_pen, pen)
            gaps = [c.distance_m for c in asset.contacts]
            if gaps:
                max_gap = max(max_gap, min(gaps))
            if not ok:
                misses.append((text, seed, f"measured {asset.contact_config.value}, pen {pen:.2f}"))
            print(f"{'ok  ' if ok else 'MISS'} {expected:<10} s{seed} {seconds[-1]:5.2f}s "
                  f"attempts {len(asset.provenance.notes['attempts'])} pen {pen:.2f} cm "
                  f"limits +{excess:.1f}° lib {nearest:.1f}°  {'[prop] ' if prop else ''}{text}")

    total = [ok for oks in per_config.values() for ok in oks]
    print()
    print(f"{'configuration':<12} {'accuracy':>9}")
    for config, oks in per_config.items():
        print(f"{config:<12} {100 * sum(oks) / len(oks):8.1f}%  ({sum(oks)}/{len(oks)})")
    print()
    print(f"contact accuracy     {100 * sum(total) / len(total):.1f}%  ({sum(total)}/{len(total)}, goal >= 98%)")
    print(f"first-attempt rate   {100 * sum(first) / len(first):.1f}%")
    print(f"max penetration      {max_pen:.2f} cm (goal <= 0.5)")
    print(f"max closest gap      {100 * max_gap:.2f} cm (contacts' closest part)")
    print(f"seconds per asset    mean {statistics.mean(seconds):.2f}  median {statistics.median(seconds):.2f}  "
          f"max {max(seconds):.2f}  (goal <= 5; exports excluded)")
    print(f"body model load      {load_s:.2f} s (once per process)")
    if plaus:
        ex = [p[0] for p in plaus]
        near = [p[1] for p in plaus]
        print(f"pose joint-limit excess  max {max(ex):.2f}°  (assets over 1°: {sum(e > 1 for e in ex)})")
        print(f"pose to nearest library pose  median {statistics.median(near):.1f}°  max {max(near):.1f}° "
              "(RMS over body joints)")
    print(f"props                {sum(1 for r in rows if r[2])} prompts with a user prop")
    if misses:
        print("misses:")
        for text, seed, why in misses:
            print(f"  seed {seed}: {text}: {why}")


if __name__ == "__main__":
    main()
