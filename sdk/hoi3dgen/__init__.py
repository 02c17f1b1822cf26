"""The paper's GPU generator, `--generator hoi3dgen` (DESIGN §7 stages 1–4, then the
lifting chain of `hoiexport.sdk.lift` for 5–7).

Modules:
- `protocols`: the stages' narrow protocols (images as numpy arrays).
- `runtime`: device, precision, offload, per-stage seconds and peak memory.
"""
