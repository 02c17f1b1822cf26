"""Segmentation + registration chain on synthetic HOIs with known answers (DESIGN §7 stages 5–7).

Each synthetic HOI comes from the compose generator (`hoiexport.generate`, generator compose:
prompt → posed Anny + procedural object placed by contact optimisation, contacts
measured), for `PROMPTS` × seeds, the whole scene then turned to a random yaw and
shifted. The ground truth is that body, the object and the measured contact
configuration. (Without the compose generator, `make_scene` builds simpler
scenes itself: action-library poses, objects placed against hand / hips / foot.)

The lifting chain then sees what a generator would give it:
- the human surface made to look generated (`lift.synthetic.degrade_surface`:
  clothing-like displacement 0.5–2 cm, subdivide + decimate to ~24k faces, noise,
  three small holes), merged with the object into one mesh;
- masks rendered from the ground-truth labels, then corrupted
  (`lift.synthetic.corrupt_masks`: erosion / dilation up to 3 px, two blobs of
  the wrong label per frame, one label missed in one frame, scores 0.6–1).

Printed per asset and in total: vertex label accuracy (%; after voting, and
after `voting.reassign_fragments` with the registered body), Chamfer between the
segmented human mesh and the registered body (cm; bidirectional mean of
unsquared distances), the registered body's mean vertex error against the
ground-truth body (cm; it includes the clothing offset), contact-configuration
agreement with the ground truth (%), and seconds per asset for the chain
(render + vote + estimate + register + contacts; the mask rendering and
corruption stand in for the segmenter and are not timed).

    .venv/bin/python benchmarks/registration_bench.py --count 30
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

import numpy as np
import torch
from hoiexport.sdk.bodies import BodyParams, load_body_model
from hoiexport.sdk.generators.compose.objects import make_object
from hoiexport.sdk.contacts import analyze_asset
from hoiexport.sdk.core.errors import HOIExportError
from hoiexport.sdk.generators.lift.chamfer import sample_surface
from hoiexport.sdk.generators.lift.estimate import EstimatorOptions, PointCloudEstimator
from hoiexport.sdk.generators.lift.lift import LIFT_CONTACT_OPTIONS
from hoiexport.sdk.generators.lift.load import merge_meshes
from hoiexport.sdk.geometry.orbit import OrbitOptions, render_orbit
from hoiexport.sdk.generators.lift.poses import canonical_poses
from hoiexport.sdk.generators.lift.register import RegisterOptions, Similarity, apply_similarity, register_body
from hoiexport.sdk.generators.lift.segment import LabelsSegmenter
from hoiexport.sdk.generators.lift.synthetic import corrupt_masks, degrade_surface
from hoiexport.sdk.generators.lift.voting import (
    label_accuracy,
    reassign_fragments,
    split_mesh,
    vote_labels,
    weld_index,
)
from hoiexport.sdk.core.types import BODY_PARTS, BodyFit, ContactConfig, Mesh
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

PROMPTS: tuple[str, ...] = (
    "A man carrying a suitcase in his right hand",
    "A woman carrying a bag in her left hand",
    "A woman holding a mug in her left hand",
    "A man holding a bottle in his right hand",
    "A person holding a box with both hands",
    "A girl holding a ball with both hands",
    "A man sitting on a chair",
    "A woman sitting on a stool",
    "A boy kicking a ball",
    "A man pushing a box",
    "A woman lifting a box",
    "A man carrying a briefcase in his right hand",
)
"""Prompts of the compose scenes; scene i uses prompt i % 12 with seed i // 12."""

# pose, side, object, placement, body parts the object is placed against
SCENES: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("carry", "right", "suitcase", "below", ("right_hand",)),
    ("carry", "left", "bag", "below", ("left_hand",)),
    ("hold", "right", "mug", "palm", ("right_hand",)),
    ("hold", "left", "bottle", "palm", ("left_hand",)),
    ("hold_two_hands", "right", "box", "between", ("right_hand", "left_hand")),
    ("hold_two_hands", "right", "ball", "between", ("right_hand", "left_hand")),
    ("sit", "right", "stool", "below", ("hips",)),
    ("sit", "right", "chair", "below", ("hips",)),
    ("kick", "right", "ball", "front", ("right_foot",)),
    ("push", "right", "box", "front", ("right_hand", "left_hand")),
    ("carry", "right", "briefcase", "below", ("right_hand",)),
    ("stand", "right", "bin", "away", ()),
]
_CANONICAL_FALLBACK = {
    "carry": "stand", "hold": "right_arm_bent", "hold_two_hands": "arms_bent", "sit": "sit",
    "kick": "right_kick", "push": "arms_forward", "stand": "stand",
}
_COLOURS = {"skin": (224, 172, 140), "top": (60, 90, 170), "bottom": (50, 50, 60)}


@dataclass
class Scene:
    """One synthetic HOI: ground truth and the chain's input."""

    name: str
    body: BodyFit
    obj: Mesh
    config: ContactConfig
    touching: tuple[str, ...]
    combined: Mesh
    labels: np.ndarray
    clothing_cm: float


def _pose(name: str, side: str, rng: np.random.Generator, rest_joints: np.ndarray) -> np.ndarray:
    try:
        from hoiexport.sdk.bodies.pose_library import sample_pose

        return np.asarray(sample_pose(name, side, rng, noise=1.5), np.float32)
    except ImportError:
        base = canonical_poses(rest_joints)[_CANONICAL_FALLBACK[name]]
        noise = rng.normal(0.0, 0.08, base.shape).astype(np.float32)
        noise[0] = 0.0
        return base + noise


def _body_colours(part_labels: np.ndarray) -> np.ndarray:
    names = np.array(BODY_PARTS)[part_labels]
    colours = np.empty((len(part_labels), 3), np.uint8)
    for i, n in enumerate(names):
        key = "skin" if n in ("right_hand", "left_hand", "head") else "bottom" if "leg" in n or "foot" in n or n == "hips" else "top"
        colours[i] = _COLOURS[key]
    return colours


def _place(obj_vertices: np.ndarray, part_points: np.ndarray, start: np.ndarray, direction: np.ndarray,
           gap: float = 0.005) -> np.ndarray:
    """Translation putting the object (centred at `start` + k·direction) `gap` away from the part."""
    samples = obj_vertices
    tree = cKDTree(samples)
    lo, hi = 0.0, 2.0  # k: 0 may overlap, 2 m is clear

    def dist(k: float) -> float:
        return float(tree.query(part_points - (start + k * direction))[0].min())

    if dist(lo) >= gap:
        return start
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if dist(mid) < gap:
            lo = mid
        else:
            hi = mid
    return start + hi * direction


def make_scene(index: int, seed: int, body) -> Scene:
    rng = np.random.default_rng(seed * 1000 + index)
    pose_name, side, category, placement, parts = SCENES[index % len(SCENES)]
    shape = {"gender": float(rng.uniform()), "age": float(rng.uniform(0.55, 0.95)),
             "muscle": float(rng.uniform(0.3, 0.7)), "weight": float(rng.uniform(0.3, 0.7)),
             "height": float(rng.uniform(0.3, 0.7)), "proportions": 0.5}
    with torch.no_grad():
        rest_joints = body.forward(torch.zeros(1, 24, 3), shape).rest_joints[0].numpy()
    pose = _pose(pose_name, side, rng, rest_joints)
    pose[0] = 0.0
    fit = body.fit(BodyParams(pose=pose, shape=shape))
    v = fit.mesh.vertices.astype(np.float64)
    labels = fit.part_labels
    proc = make_object(category, rng)
    ov = proc.mesh.vertices.astype(np.float64)
    obj_samples, _ = sample_surface(proc.mesh, 3000, seed=index)
    centre = 0.5 * (ov.min(axis=0) + ov.max(axis=0))
    part_pts = v[np.isin(labels, [BODY_PARTS.index(p) for p in parts])] if parts else v
    anchor = part_pts.mean(axis=0)
    scale = 1.0
    if placement == "between":
        hands = [v[labels == BODY_PARTS.index(p)].mean(axis=0) for p in parts]
        gap = abs(hands[0][0] - hands[1][0]) - 0.05
        scale = float(np.clip(gap / (ov[:, 0].max() - ov[:, 0].min()), 0.4, 1.5))
    ov = (ov - centre) * scale
    obj_samples = (obj_samples - centre) * scale
    half = 0.5 * (ov.max(axis=0) - ov.min(axis=0))
    if placement == "below":  # carried at the side: the object's thin side faces the leg
        turn = Rotation.from_euler("y", 90, degrees=True).as_matrix()
        ov, obj_samples = ov @ turn.T, obj_samples @ turn.T
        half = 0.5 * (ov.max(axis=0) - ov.min(axis=0))
        start = anchor - np.array([0.0, half[1] + 0.02, 0.0])
        t = _place(obj_samples, part_pts, start, np.array([0.0, -1.0, 0.0]))
    elif placement == "palm":
        sign = 1.0 if side == "right" else -1.0  # a right palm faces the body's left (+X)
        start = anchor + np.array([sign * (half[0] + 0.01), -0.02, 0.0])
        t = _place(obj_samples, part_pts, start, np.array([sign, 0.0, 0.0]))
    elif placement == "between":
        t = 0.5 * (v[labels == BODY_PARTS.index(parts[0])].mean(axis=0) + v[labels == BODY_PARTS.index(parts[1])].mean(axis=0))
        t = t + np.array([0.0, 0.0, 0.02])
    elif placement == "front":
        start = anchor + np.array([0.0, 0.0, half[2] + 0.02])
        t = _place(obj_samples, part_pts, start, np.array([0.0, 0.0, 1.0]))
    else:  # away, on the floor beside the body
        t = np.array([0.75, v[:, 1].min() + half[1], 0.0])
    obj_v = ov + t
    yaw = rng.uniform(-180.0, 180.0)
    sim = Similarity(1.0, Rotation.from_euler("y", yaw, degrees=True).as_matrix(), rng.uniform(-0.5, 0.5, 3))
    params = apply_similarity(BodyParams(pose=pose, shape=shape), sim, rest_joints[0])
    fit = body.fit(params)
    human_gt = Mesh(fit.mesh.vertices, fit.mesh.faces, colors=_body_colours(labels), name="human")
    obj = Mesh(sim.apply(obj_v), proc.mesh.faces, uv=proc.mesh.uv, texture=proc.mesh.texture, name="object")
    gt_report = analyze_asset(fit, human_gt, obj)
    degraded = degrade_surface(human_gt, labels, rng)
    combined = merge_meshes([degraded.mesh, obj], name=f"scene_{index}")
    gt_labels = np.concatenate([np.zeros(len(degraded.mesh.vertices), np.int8), np.ones(len(obj.vertices), np.int8)])
    return Scene(f"{pose_name}/{side}/{category}", fit, obj, gt_report.contact_config, gt_report.touching_parts,
                 combined, gt_labels, degraded.clothing_cm)


def compose_scene(index: int, seed: int, body) -> Scene:
    """Scene `index` from the compose generator (module docstring)."""
    from hoiexport.generation import generate

    prompt = PROMPTS[index % len(PROMPTS)]
    asset = generate(prompt, seed=seed * 100 + index // len(PROMPTS))
    rng = np.random.default_rng(seed * 1000 + index)
    sim = Similarity(1.0, Rotation.from_euler("y", rng.uniform(-180.0, 180.0), degrees=True).as_matrix(),
                     rng.uniform(-0.5, 0.5, 3))
    weld, n = weld_index(asset.human.vertices)  # the human's uv seams are split: weld them for remeshing
    first = np.zeros(n, np.int64)
    first[weld] = np.arange(len(weld))
    human = Mesh(sim.apply(asset.human.vertices[first]), weld[asset.human.faces],
                 colors=None if asset.human.colors is None else asset.human.colors[first], name="human")
    _, nearest = cKDTree(asset.body.mesh.vertices).query(asset.human.vertices[first])
    obj = Mesh(sim.apply(asset.object.vertices), asset.object.faces, uv=asset.object.uv,
               texture=asset.object.texture, colors=asset.object.colors, name="object")
    degraded = degrade_surface(human, asset.body.part_labels[nearest], rng)
    combined = merge_meshes([degraded.mesh, obj], name=f"scene_{index}")
    labels = np.concatenate([np.zeros(len(degraded.mesh.vertices), np.int8), np.ones(len(obj.vertices), np.int8)])
    gt_body = Mesh(sim.apply(asset.body.mesh.vertices), asset.body.mesh.faces, name="body")
    fit = BodyFit(asset.body.model, asset.body.params, asset.body.skeleton, gt_body, asset.body.skin_weights,
                  asset.body.part_labels)
    return Scene(prompt, fit, obj, asset.contact_config, tuple(c.part for c in asset.contacts), combined, labels,
                 degraded.clothing_cm)


def run(count: int, seed: int, views: int, resolution: int, register: RegisterOptions = RegisterOptions(),
        estimate: EstimatorOptions = EstimatorOptions()) -> None:
    body = load_body_model("anny")
    try:
        import hoiexport.sdk.generators.compose.generate  # noqa: F401

        build = compose_scene
    except ImportError:
        build = make_scene
    estimator = PointCloudEstimator(estimate, register_options=register)
    orbit = OrbitOptions(views=views, resolution=resolution)
    rows = []
    stage_s: list[tuple[float, ...]] = []
    print(f"{'scene':44} {'gt config':11} {'lifted':11} {'vote%':>6} {'final%':>7} {'chamfer':>7} {'body err':>8} {'cloth':>5} {'s':>5} {'cpu s':>5}")
    index = skipped = 0
    while len(rows) < count:
        i, index = index, index + 1
        try:
            scene = build(i, seed, body)
        except HOIExportError as exc:  # the generator could not stage this prompt / seed
            skipped += 1
            print(f"skip scene {i}: {str(exc)[:100]}")
            if skipped > count:
                raise
            continue
        rng = np.random.default_rng(10_000 + i)
        t0, c0 = time.perf_counter(), time.process_time()
        views_ = render_orbit(scene.combined, orbit)
        t_render, c_render = time.perf_counter() - t0, time.process_time() - c0
        masks = LabelsSegmenter(scene.combined.faces, scene.labels).segment(views_, ["person", "object"])
        masks = corrupt_masks(masks, rng)
        t1, c1 = time.perf_counter(), time.process_time()
        vote = vote_labels(scene.combined, views_, masks)
        human, obj = split_mesh(scene.combined, vote.labels)
        t2 = time.perf_counter()
        inits = estimator.estimate(human, body)
        t3 = time.perf_counter()
        reg = register_body(human, body, inits, register)
        t4 = time.perf_counter()
        labels = reassign_fragments(scene.combined, vote.labels, reg.fit.mesh)
        human, obj = split_mesh(scene.combined, labels)
        report = analyze_asset(reg.fit, human, obj, LIFT_CONTACT_OPTIONS)
        stage_s.append((t_render, t2 - t1, t3 - t2, t4 - t3, time.perf_counter() - t4))
        seconds = t_render + time.perf_counter() - t1
        cpu = c_render + time.process_time() - c1
        acc = label_accuracy(labels, scene.labels) * 100.0
        vote_acc = label_accuracy(vote.labels, scene.labels) * 100.0
        body_err = float(np.linalg.norm(reg.fit.mesh.vertices - scene.body.mesh.vertices, axis=1).mean() * 100.0)
        agree = report.contact_config == scene.config
        rows.append((vote_acc, acc, reg.chamfer.chamfer_cm, body_err, agree, seconds, cpu))
        print(f"{scene.name:44} {scene.config.value:11} {report.contact_config.value:11} {vote_acc:6.2f} {acc:7.2f} "
              f"{reg.chamfer.chamfer_cm:7.3f} {body_err:8.2f} {scene.clothing_cm:5.2f} {seconds:5.2f} {cpu:5.2f}"
              + ("" if agree else f" gt {scene.touching} lifted {report.touching_parts}"))
    vote_acc, acc, chamfer, err, agree, secs, cpus = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    print()
    print(f"assets: {count}, scenes the generator could not stage: {skipped}  (views {views}, {resolution}px, torch threads {torch.get_num_threads()})")
    print(f"label accuracy (vertices): voting mean {vote_acc.mean():.2f} % (min {vote_acc.min():.2f} %); "
          f"after fragment reassignment mean {acc.mean():.2f} % (min {acc.min():.2f} %)")
    print(f"Chamfer (cm, bidirectional mean of unsquared distances): median {np.median(chamfer):.3f}, "
          f"p90 {np.percentile(chamfer, 90):.3f}")
    print(f"body vertex error vs ground truth (cm): median {np.median(err):.2f}, p90 {np.percentile(err, 90):.2f}")
    print(f"contact-config agreement: {agree.mean() * 100:.1f} %")
    med = np.median(np.array(stage_s), axis=0)
    print("stage seconds (wall, median): " + ", ".join(
        f"{n} {v:.2f}" for n, v in zip(("render", "vote+split", "estimate", "register", "fragments+contacts"), med)))
    print(f"seconds per asset (wall): median {statistics.median(secs):.2f}, mean {secs.mean():.2f}; "
          f"CPU seconds: median {statistics.median(cpus):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--views", type=int, default=8)
    parser.add_argument("--resolution", type=int, default=512)
    parser.add_argument("--register", nargs="*", default=[], metavar="KEY=VALUE",
                        help="RegisterOptions overrides, e.g. lbfgs_steps=15")
    parser.add_argument("--estimate", nargs="*", default=[], metavar="KEY=VALUE",
                        help="EstimatorOptions overrides, e.g. yaw_steps=6")
    args = parser.parse_args()
    run(args.count, args.seed, args.views, args.resolution, _options(RegisterOptions, args.register),
        _options(EstimatorOptions, args.estimate))


def _options(cls, pairs: list[str]):
    """`cls()` with KEY=VALUE overrides (values parsed as Python literals)."""
    import ast

    values = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        values[key] = ast.literal_eval(value)
    return cls(**values)


if __name__ == "__main__":
    main()
