"""Lifting a combined human + object mesh into an `HOIAsset` (DESIGN §7 stages 5–7, §7b).

Modules, in chain order:

- (`hoiexport.sdk.geometry.orbit`: embree orbit rendering, RGB, depth, face
  ids, cameras; `OFFICIAL_ORBIT` is the release's.)
- `segment`: the `Segmenter` protocol; `GroundedSam2Segmenter` (per-frame or
  SAM 2 video tracking), `LabelsSegmenter`; where their weights are.
- `sam2_convert`: the original SAM 2.1 checkpoint → transformers' layout, once.
- `voting`: per-vertex multi-view voting, diffusion, island removal, the split.
- `poses`, `estimate`: canonical poses and the `BodyEstimator` protocol with the
  CPU `PointCloudEstimator`.
- `priors`, `chamfer`, `register`: joint limits, Chamfer (cm, and squared cm²),
  `REGISTRATIONS`: "refine" (7-DoF similarity, pose / shape refinement) and
  "paper" (the release's alignment).
- `select`: contact-verified choice among candidates.
- `lift`: the chain (`lift_mesh`, `lift_candidates`), `LIFT_PRESETS`, the
  release's point clouds (`official_point_clouds`).
- `load`: reading combined meshes (node index, labels) and label files.
- `parts`: which part of a multi-part mesh (glb nodes with any names, or
  connected components) is the person, by fitting the body to each candidate
  (`split_parts`, `PART_SOURCES`).
- `synthetic`: degrading clean data to look generated (tests, benchmarks).
"""
