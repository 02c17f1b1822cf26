"""Batch throughput of the compose generator: 1 worker, 2 workers, Ray, in one run.

The same N prompts (several objects and contact configurations) run three times,
each into a fresh folder: the local process pool with 1 and with 2 workers, and
Ray with 2 workers on a local cluster started beforehand (its start-up time is
printed apart, the throughput excludes it). Each pool pays its own worker start-up
(process spawn, imports, body-model load). Printed: wall seconds, assets/min, mean
seconds per item, the pool processes' CPU seconds, the load average when the run
started (other work on the machine skews the ratios) and each throughput as a
ratio of the 1-worker one.

Usage: python benchmarks/batch_bench.py [--items 6] [--format glb] [--texture-size 512] [--no-ray]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

PROMPTS = (
    "A man carrying a suitcase in his right hand",
    "A woman holding a mug in her left hand",
    "A man carrying a box with both hands",
    "A woman leaning against a bench",
    "A boy kicking a ball with his right foot",
    "A man carrying a backpack on his back",
    "A girl holding a bottle in her right hand",
    "A man sitting on a stool",
)


def _one(label: str, prompts: list[str], root: Path, **options) -> dict:
    import hoiexport.batch

    load = os.getloadavg()[0]
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    summary = hoiexport.batch.run(prompts, root / label, **options)
    wall = time.perf_counter() - t
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    with hoiexport.batch.Manifest(summary.manifest) as m:
        per_item = [r.timings_s.get("total", 0.0) for r in m.rows() if r.state == "done"]
    return {
        "label": label,
        "done": summary.done,
        "failed": summary.failed,
        "wall_s": wall,
        "assets_per_min": summary.done / wall * 60.0,
        "item_s": statistics.mean(per_item) if per_item else float("nan"),
        "worker_cpu_s": cpu if "ray" not in options else float("nan"),
        "load": load,
        "failures": summary.failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=6)
    parser.add_argument("--format", default="glb")
    parser.add_argument("--texture-size", type=int, default=512)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    prompts = [PROMPTS[i % len(PROMPTS)] for i in range(args.items)]
    seeds = [i // len(PROMPTS) for i in range(args.items)]
    items = [{"text": p, "seed": s} for p, s in zip(prompts, seeds, strict=True)]
    common = {"formats": args.format, "texture_size": args.texture_size}

    rows = []
    with tempfile.TemporaryDirectory(prefix="batch_bench_") as tmp:
        root = Path(tmp)
        rows.append(_one("local 1 worker", items, root, workers=1, **common))
        rows.append(_one("local 2 workers", items, root, workers=2, **common))
        if not args.no_ray:
            try:
                import ray
            except ImportError:
                print("ray is not installed: skipping the Ray run (pip install 'hoiexport[ray]')")
            else:
                t = time.perf_counter()
                ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
                start = time.perf_counter() - t
                try:
                    rows.append(_one("ray 2 workers", items, root, ray="auto", workers=2, **common))
                finally:
                    ray.shutdown()
                print(f"ray local cluster start-up: {start:.1f} s (not counted below)")

    base = rows[0]["assets_per_min"]
    print(f"compose batch, {args.items} items, {args.format}, texture {args.texture_size}")
    print(f"{'run':18} {'done':>5} {'failed':>6} {'wall s':>8} {'assets/min':>11} {'item s':>7} "
          f"{'worker CPU s':>13} {'load':>5} {'vs 1 worker':>12}")
    for r in rows:
        print(f"{r['label']:18} {r['done']:5d} {r['failed']:6d} {r['wall_s']:8.1f} {r['assets_per_min']:11.2f} "
              f"{r['item_s']:7.1f} {r['worker_cpu_s']:13.1f} {r['load']:5.1f} {r['assets_per_min'] / base:11.2f}x")
        for f in r["failures"]:
            print(f"    failed: {f['text']!r}: {f['error']}")
    print(f"(CPU cores: {os.cpu_count()}; load = 1-minute load average when the run started; worker CPU s = "
          "CPU time of the pool's processes, not measured for Ray; item s = mean seconds per item inside a worker)")


if __name__ == "__main__":
    main()
