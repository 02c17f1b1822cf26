"""A small synthetic HOI for the lift tests: Anny in her rest A-pose, a box under the right hand.

Ground truth by construction: the box is placed 5 mm below the right hand's
lowest vertex (so the hand touches, nothing intersects), the combined mesh keeps
the human's vertices first, then the box's (labels 0 / 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from hoiexport.sdk.bodies import BodyParams, load_body_model
from hoiexport.sdk.generators.compose.objects import make_object
from hoiexport.sdk.generators.lift.load import merge_meshes
from hoiexport.sdk.generators.lift.poses import canonical_poses
from hoiexport.sdk.core.types import BODY_PARTS, BodyFit, Mesh


@dataclass
class LiftScene:
    body: BodyFit
    human: Mesh
    obj: Mesh
    combined: Mesh
    labels: np.ndarray


def make_lift_scene(pose_name: str = "rest", shape: dict | None = None) -> LiftScene:
    body = load_body_model("anny")
    with torch.no_grad():
        rest = body.forward(torch.zeros(1, 24, 3), shape).rest_joints[0].numpy()
    fit = body.fit(BodyParams(pose=canonical_poses(rest)[pose_name], shape=shape or {}))
    colors = np.tile(np.array([70, 100, 190], np.uint8), (len(fit.mesh.vertices), 1))
    human = Mesh(fit.mesh.vertices, fit.mesh.faces, colors=colors, name="human")
    box = make_object("box", 0).mesh
    v = box.vertices.astype(np.float64)
    v = (v - 0.5 * (v.min(axis=0) + v.max(axis=0))) * (0.25 / (v.max(axis=0) - v.min(axis=0)).max())
    hand = fit.mesh.vertices[fit.part_labels == BODY_PARTS.index("right_hand")]
    top = v[:, 1].max()
    v = v + np.array([hand[:, 0].mean(), hand[:, 1].min() - 0.005 - top, hand[:, 2].mean()])
    obj = Mesh(v, box.faces, uv=box.uv, texture=box.texture, name="object")
    combined = merge_meshes([human, obj], name="scene")
    labels = np.concatenate([np.zeros(len(human.vertices), np.int8), np.ones(len(obj.vertices), np.int8)])
    return LiftScene(fit, human, obj, combined, labels)
