"""The lifting chain: combined mesh → segmented, registered `HOIAsset` (DESIGN §7 stages 5–7).

`lift_mesh` runs, for one combined human + object mesh:

1. `orbit.render_orbit`: N frames with depth and face ids.
2. a `Segmenter`: "person" and object masks per frame.
3. `voting.vote_labels` + `voting.split_mesh`: per-vertex labels → human mesh
   and object mesh (uv, texture and colours kept).
4. a `BodyEstimator` (default `estimate.PointCloudEstimator`) → initial body.
5. `register.register_body`: `LiftOptions.register.method` "refine" (ours:
   similarity, then pose / shape refinement) or "paper" (the release's OBB
   pre-scale + centroid + 7-DoF Adam, on the release's person point cloud,
   `official_point_clouds`); Chamfer in cm and squared in cm².
6. `voting.reassign_fragments`: small pieces of the split that hug the other
   side (judged against the registered body) change side; then
   `contacts.analyze_asset` on the registered body, the human and the object.

`lift_candidates` lifts K meshes of one prompt and keeps the contact-verified
one (`select.choose_candidate`).

`LIFT_PRESETS` holds the "best" (ours) and "paper" (the release's orbit and
registration) settings of this chain.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree
from hoiexport.sdk.bodies import BodyModelName, load_body_model
from hoiexport.sdk.bodies.protocol import BodyModel
from hoiexport.sdk.contacts import (
    ContactOptions,
    ContactReport,
    PenetrationOptions,
    analyze_asset,
)
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.generators.lift.chamfer import CHAMFER_DEFINITION, SQUARED_CHAMFER_DEFINITION
from hoiexport.sdk.generators.lift.estimate import (
    BodyEstimator,
    EstimatorOptions,
    PointCloudEstimator,
)
from hoiexport.sdk.geometry.orbit import OFFICIAL_ORBIT, OrbitOptions, OrbitRender, render_orbit
from hoiexport.sdk.generators.lift.register import (
    PAPER_REGISTER_OPTIONS,
    REGISTRATIONS,
    RegisterOptions,
    Registration,
    register_body,
)
from hoiexport.sdk.generators.lift.segment import PERSON_LABEL, Segmenter, ViewMasks
from hoiexport.sdk.generators.lift.select import CandidateSummary, Selection, choose_candidate
from hoiexport.sdk.generators.lift.voting import (
    VoteOptions,
    VoteResult,
    reassign_fragments,
    split_mesh,
    vote_labels,
)
from hoiexport.sdk.core.types import HOIAsset, Mesh, Penetration, Prompt, Provenance

LIFT_CONTACT_OPTIONS = ContactOptions(
    penetration=PenetrationOptions(voxel_m=0.01, min_cells=12, max_voxels=100_000)
)
"""Contact analysis of lifted meshes: the standard thresholds; penetration volume
on a grid of at most 1 cm cells (a lifted human is open and noisy at the
millimetre scale anyway), about 3x faster than the default grid."""


@dataclass(frozen=True)
class LiftOptions:
    """Settings of every stage of the chain.

    Attributes:
        orbit: views, pitch, field of view, resolution.
        vote: visibility and weighting of vertex voting.
        estimator: the default CPU body estimator's search.
        register: registration rounds, robustness and priors.
        contacts: contact threshold and penetration settings (default
            `LIFT_CONTACT_OPTIONS`).
        fragment_fraction: after registration, pieces of the split below this
            share of their side's area may change side (`voting.reassign_fragments`).
        body_model: "anny" or "smpl".
        cloud_erode_iterations: erosions of the masks before the release's
            person point cloud is built (`official_point_clouds`, registration
            "paper" only; the release: 2). Set 0 when the segmenter already
            eroded them (`GroundedSam2Options.erode_iterations`), as the
            hoi3dgen "paper" preset does.
    """

    orbit: OrbitOptions = field(default_factory=OrbitOptions)
    vote: VoteOptions = field(default_factory=VoteOptions)
    estimator: EstimatorOptions = field(default_factory=EstimatorOptions)
    register: RegisterOptions = field(default_factory=RegisterOptions)
    contacts: ContactOptions = field(default_factory=lambda: LIFT_CONTACT_OPTIONS)
    fragment_fraction: float = 0.05
    body_model: BodyModelName = "anny"
    cloud_erode_iterations: int = 2

    def __post_init__(self) -> None:
        if isinstance(self.cloud_erode_iterations, bool) or not isinstance(self.cloud_erode_iterations, int) or (
            self.cloud_erode_iterations < 0
        ):
            raise InputError(f"LiftOptions.cloud_erode_iterations must be an integer >= 0, "
                             f"got {self.cloud_erode_iterations!r}")


LIFT_PRESETS: dict[str, LiftOptions] = {
    "best": LiftOptions(),
    "paper": LiftOptions(orbit=OFFICIAL_ORBIT, register=PAPER_REGISTER_OPTIONS),
}
"""The chain's settings: "best" (ours, the default) and "paper" (the release's
segmentation orbit `OFFICIAL_ORBIT` and registration `PAPER_REGISTER_OPTIONS`;
the body model stays `body_model`, "smpl" when the user's licensed files are
set up, as the release registers SMPL)."""


@dataclass
class LiftResult:
    """One lifted mesh.

    Attributes:
        asset: the interaction (human and object split from the input mesh,
            registered body, measured contacts).
        labels: (V,) int8 per input vertex, 0 = person, 1 = object (after
            `voting.reassign_fragments`).
        vote: the voting details.
        registration: the body fit and its Chamfer (cm).
        contact_report: the full contact analysis.
        views: the orbit frames.
        masks: the segmentation masks.
        timings_s: stage → seconds.
    """

    asset: HOIAsset
    labels: np.ndarray
    vote: VoteResult
    registration: Registration
    contact_report: ContactReport
    views: OrbitRender
    masks: ViewMasks
    timings_s: dict[str, float]

    def summary(self) -> CandidateSummary:
        pen = self.asset.penetration
        return CandidateSummary(self.asset.contact_config, pen.max_depth_cm, self.registration.chamfer.chamfer_cm)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("hoiexport", "anny", "torch", "trimesh", "transformers"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            continue
    return out


def official_point_clouds(
    views: OrbitRender,
    masks: ViewMasks,
    labels: Sequence[str],
    scene_extent_m: float,
    erode_iterations: int = 2,
    separation: float = 0.01,
) -> list[np.ndarray]:
    """Per-label point clouds as the release builds them from its orbit.

    agshar96/Hoi3DGen `scripts/segmentMeshes/reproject_mv_human.py`: every pixel
    of a label's mask (eroded by a 3×3 kernel `erode_iterations` times, as
    `cv2.erode`, whose default border does not erode) with a surface behind it
    is reprojected by its depth, over all frames; then
    `remove_pc_intersections.py` drops each cloud's points within `separation`
    (scene units: × the scene's largest extent) of the other clouds' points.
    Our depth is exact (the release's is a 16-bit PNG over its depth range).

    Args:
        views: the orbit frames (depth, cameras).
        masks: the segmentation of those frames.
        labels: the labels to build clouds of (e.g. person, object).
        scene_extent_m: the scene's largest bounding-box extent, metres.
        erode_iterations: erosions of each mask (release: 2).
        separation: release: 0.01 scene units.

    Returns:
        One (N_k, 3) float64 cloud per label, internal frame, metres.

    Raises:
        InputError: a label the masks do not have.
    """
    missing = [lab for lab in labels if lab not in masks.labels]
    if missing:
        raise InputError(f"the masks have no label(s) {missing}; they have {masks.labels}")
    kernel = np.ones((3, 3), bool)
    rays: dict[tuple[bytes, int, int], np.ndarray] = {}  # camera-frame pixel directions, per intrinsics
    clouds = []
    for label in labels:
        li = masks.labels.index(label)
        parts = []
        for i, cam in enumerate(views.cameras):
            mask = masks.masks[i, li]
            if erode_iterations > 0 and mask.any():
                mask = ndimage.binary_erosion(mask, kernel, iterations=erode_iterations, border_value=1)
            depth = views.depth[i]
            keep = (mask & np.isfinite(depth)).ravel()
            if not keep.any():
                continue
            key = (cam.intrinsics.tobytes(), cam.width, cam.height)
            if key not in rays:
                rays[key] = cam.pixel_directions()
            dirs = rays[key][keep]
            cam_points = dirs * (depth.ravel()[keep] / dirs[:, 2])[:, None]  # depth is along the optical axis
            parts.append(cam_points @ cam.rotation + cam.position)  # camera → internal frame
        clouds.append(np.concatenate(parts) if parts else np.zeros((0, 3)))
    limit = separation * scene_extent_m
    kept = []
    for k, cloud in enumerate(clouds):
        others = [c for j, c in enumerate(clouds) if j != k and len(c)]
        if len(cloud) and others:
            bound = np.nextafter(limit, np.inf)  # only "within the limit" matters: stop searching beyond it
            near, _ = cKDTree(np.concatenate(others)).query(cloud, distance_upper_bound=bound)
            cloud = cloud[near > limit]
        kept.append(cloud)
    return kept


def lift_mesh(
    mesh: Mesh,
    prompt: Prompt,
    segmenter: Segmenter,
    *,
    object_label: str | None = None,
    estimator: BodyEstimator | None = None,
    body: BodyModel | None = None,
    options: LiftOptions = LiftOptions(),
    seed: int | None = None,
) -> LiftResult:
    """Lift one combined human + object mesh into an `HOIAsset` (module docstring).

    Args:
        mesh: the combined surface, internal frame (+Y up), metres.
        prompt: the prompt it was generated from (its object names the object
            label; its requested configuration is kept on the asset).
        segmenter: the mask backend.
        object_label: the object's segmentation label; default the prompt's
            object, else "object".
        estimator: initial body estimate; default `PointCloudEstimator`.
        body: the body model; default `options.body_model`.
        options: stage settings.
        seed: recorded in the provenance.

    Returns:
        `LiftResult`.

    Raises:
        InputError: an empty or non-finite mesh, or a segmentation that leaves
            the human or the object without faces.
    """
    if len(mesh.faces) == 0:
        raise InputError(f"mesh {mesh.name!r} has no triangles to lift")
    mesh.validate()
    timings: dict[str, float] = {}
    t = time.perf_counter()
    labels = [PERSON_LABEL, (object_label or prompt.object or "object").strip()]
    views = render_orbit(mesh, options.orbit)
    timings["render"] = time.perf_counter() - t

    t = time.perf_counter()
    masks = segmenter.segment(views, labels)
    timings["segment"] = time.perf_counter() - t

    t = time.perf_counter()
    vote = vote_labels(mesh, views, masks, options.vote)
    human, obj = split_mesh(mesh, vote.labels, ("human", "object"))
    timings["vote"] = time.perf_counter() - t

    t = time.perf_counter()
    body = body or load_body_model(options.body_model)
    estimator = estimator or PointCloudEstimator(options.estimator, register_options=options.register)
    inits = estimator.estimate(human, body)
    timings["estimate"] = time.perf_counter() - t

    t = time.perf_counter()
    scene_box = np.stack([mesh.vertices.min(axis=0), mesh.vertices.max(axis=0)]).astype(np.float64)
    points = None
    if REGISTRATIONS[options.register.method].uses_point_cloud:
        points = official_point_clouds(views, masks, labels, float(np.max(scene_box[1] - scene_box[0])),
                                       erode_iterations=options.cloud_erode_iterations)[0]
        if len(points) < 4:
            raise InputError(f"the person masks of mesh {mesh.name!r} leave {len(points)} points after erosion and "
                             "separation from the object; the paper registration needs a person point cloud")
    registration = register_body(human, body, inits, options.register, points=points, scene_box=scene_box)
    timings["register"] = time.perf_counter() - t

    t = time.perf_counter()
    labels_after = reassign_fragments(mesh, vote.labels, registration.fit.mesh, options.fragment_fraction)
    moved = int((labels_after != vote.labels).sum())
    if moved:
        human, obj = split_mesh(mesh, labels_after, ("human", "object"))
    report = analyze_asset(registration.fit, human, obj, options.contacts)
    timings["contacts"] = time.perf_counter() - t

    provenance = Provenance(
        generator="lift",
        models={"body": body.name, "segmenter": segmenter.name, "estimator": getattr(estimator, "name", "custom")},
        seed=seed,
        timings_s={k: round(v, 4) for k, v in timings.items()},
        versions=_versions(),
        notes={
            "chamfer": registration.chamfer.to_json(),
            "chamfer_definition": CHAMFER_DEFINITION,
            "chamfer_squared_definition": SQUARED_CHAMFER_DEFINITION,
            "registration_method": registration.method,
            **({"paper_registration": {
                "prescale": [round(float(f), 5) for f in registration.paper.prescale],
                "final_loss_scene_units2": registration.paper.losses[-1],
                "scene_extent_m": round(registration.paper.scene_extent_m, 5),
                "person_points": 0 if points is None else len(points),
                "registered_mesh_chamfer": registration.paper.chamfer.to_json(),
                "note": "the release's registered mesh carries a per-axis pre-scale; the asset's body is its "
                        "nearest similarity (register.nearest_similarity)",
            }} if registration.paper is not None else {}),
            "segmentation_labels": labels,
            "voted_vertex_fraction": round(float(vote.voted.mean()), 4),
            "body_hypotheses": {"screened": min(len(inits), options.register.hypotheses),
                                "finished": registration.tried},
            "fragment_vertices_moved": moved,
            "source_mesh": mesh.name,
        },
    )
    asset = HOIAsset(
        prompt=prompt,
        human=human,
        object=obj,
        body=registration.fit,
        contacts=report.contacts,
        contact_config=report.contact_config,
        penetration=report.penetration or Penetration(),
        provenance=provenance,
    )
    return LiftResult(asset, labels_after, vote, registration, report, views, masks, timings)


def lift_candidates(
    meshes: Sequence[Mesh],
    prompt: Prompt,
    segmenters: Sequence[Segmenter],
    **kwargs,
) -> tuple[list[LiftResult], Selection]:
    """Lift K meshes of one prompt and choose the contact-verified one.

    Args:
        meshes: the K combined meshes (e.g. lifted from different views).
        prompt: their prompt; `prompt.requested_config` drives the choice.
        segmenters: one segmenter per mesh (a `LabelsSegmenter` is mesh-specific).
        **kwargs: passed to `lift_mesh`.

    Returns:
        Every result and the `Selection` (its `index` is the kept one).
    """
    if len(meshes) != len(segmenters):
        raise InputError(f"{len(meshes)} meshes need {len(meshes)} segmenters, got {len(segmenters)}")
    results = [lift_mesh(m, prompt, s, **kwargs) for m, s in zip(meshes, segmenters, strict=True)]
    selection = choose_candidate([r.summary() for r in results], prompt.requested_config)
    return results, selection
