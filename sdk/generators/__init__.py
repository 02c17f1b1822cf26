"""Generators: prompt + seed → `HOIAsset`, behind one protocol and one registry.

- `base`: the `Generator` protocol and `GenerationOptions`.
- `registry`: `GENERATORS` (name → implementation), `auto`, `get_generator`, `release`.
- `compose/`: the CPU generator (procedural object, contact optimisation).
- `hoi3dgen/`: the paper's GPU chain (text → views → mesh → segmentation → registration).
- `lift/`: a combined human + object mesh → segmented, registered asset (stages 5–7).
"""
