"""Lifting a combined human + object mesh into an `HOIAsset` (DESIGN §7 stages 5–7, §7b).

Modules, in chain order:

- `orbit`: embree orbit rendering (RGB, depth, face ids, cameras).
- `segment`: the `Segmenter` protocol; `GroundedSam2Segmenter`, `LabelsSegmenter`.
- `weights`: where the segmentation networks' weights are (lock or explicit folder).
- `voting`: per-vertex multi-view voting, diffusion, island removal, the split.
- `poses`, `estimate`: canonical poses and the `BodyEstimator` protocol with the
  CPU `PointCloudEstimator`.
- `priors`, `chamfer`, `register`: joint limits, Chamfer (cm), 7-DoF similarity
  and pose / shape refinement.
- `select`: contact-verified choice among candidates.
- `lift`: the chain (`lift_mesh`, `lift_candidates`).
- `load`: reading combined meshes and label files.
- `synthetic`: degrading clean data to look generated (tests, benchmarks).
"""
