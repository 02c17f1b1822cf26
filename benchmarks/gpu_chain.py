"""GPU figures of the hoi3dgen chain's generative stages at full size (issue 6).

Each stage's backend is built at full size with RANDOM weights (the pinned
models' architectures and resolutions; `benchmarks/gpu_parts/*.py`, each citing
where its config comes from) and run for one asset's worth of work (3 views at
1024², SANA 50 steps, FLUX.1-Depth 30 steps, Hunyuan3D-2 shape, CameraHMR
on 3 views). Printed per
stage: seconds and peak GPU memory (`Runtime.stage`), then the per-asset sum
against the 60 s goal. A warm-up call of each stage (1 step) comes first so
CUDA kernel selection and allocator growth are not timed.

Random weights give meaningless images, which is fine for timing the diffusion
stages; Hunyuan3D's surface extraction on a random field may find no surface, in
which case its figure is the DiT + VAE decode time and the script says so.

    .venv/bin/python benchmarks/gpu_chain.py [--precision bf16] [--stages sana,depth,flux,hunyuan,regressor]

Needs a CUDA GPU and the gpu extra (diffusers, transformers) plus hy3dgen
(`scripts/install_hunyuan.sh`).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

STAGES = ("sana", "depth", "flux", "hunyuan", "regressor")
GOAL_S = 60.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--precision", default="bf16", choices=("bf16", "fp16", "fp32"))
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()

    import torch

    from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime

    if not torch.cuda.is_available():
        print("gpu_chain: no CUDA GPU visible; these figures need one", file=sys.stderr)
        return 1
    names = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in names if s not in STAGES]
    if unknown:
        print(f"unknown stage(s) {unknown}; choose from {STAGES}", file=sys.stderr)
        return 2
    print(f"device: {torch.cuda.get_device_name(0)}, precision {args.precision}, torch {torch.__version__}")
    figures = {}
    for name in names:
        part = importlib.import_module(f"gpu_parts.{name}")
        rt = Runtime(device="cuda", precision=args.precision, cpu_offload=False)
        t = time.perf_counter()
        backend = part.build_full(rt)
        build_s = time.perf_counter() - t
        with rt.stage(f"{name}:warmup"):
            part.run_full(backend, args.seed, warmup=True)
        with rt.stage(name):
            note = part.run_full(backend, args.seed, warmup=False)
        rec = rt.records[-1]
        figures[name] = {"seconds": round(rec.seconds, 2), "peak_gpu_gib": round((rec.peak_gpu_mib or 0) / 1024, 2),
                         "build_s": round(build_s, 1), "note": note or ""}
        print(f"{name:8s} {rec.seconds:8.2f} s   peak {figures[name]['peak_gpu_gib']:6.2f} GiB   "
              f"(build {build_s:.1f} s) {note or ''}", flush=True)
        del backend
        rt.free()
    total = sum(f["seconds"] for f in figures.values())
    peak = max((f["peak_gpu_gib"] for f in figures.values()), default=0.0)
    print(f"per asset (3 views): {total:.2f} s, peak {peak:.2f} GiB; goal {GOAL_S:.0f} s -> "
          f"{GOAL_S / total if total else float('nan'):.2f}x of the budget left")
    if args.json:
        args.json.write_text(json.dumps({"stages": figures, "total_s": total, "peak_gib": peak}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
