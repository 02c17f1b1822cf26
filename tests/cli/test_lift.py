"""`hoiexport lift`: a synthetic combined mesh with labels → bundle + validated exports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh
from click.testing import CliRunner
from hoiexport.cli.app import app
from hoiexport.sdk.bodies import BodyParams, load_body_model
from hoiexport.sdk.bundle import load_bundle
from hoiexport.sdk.generators.compose.objects import make_object
from hoiexport.sdk.generators.lift.poses import canonical_poses
from hoiexport.sdk.core.types import BODY_PARTS
from PIL import Image


@pytest.fixture(scope="module")
def scene_glb(tmp_path_factory) -> tuple[Path, int, int]:
    """Anny (A-pose) with a textured box under her right hand, as a glb with nodes human / object."""
    body = load_body_model("anny")
    with torch.no_grad():
        rest = body.forward(torch.zeros(1, 24, 3)).rest_joints[0].numpy()
    fit = body.fit(BodyParams(pose=canonical_poses(rest)["rest"]))  # hands clear of the legs
    human = trimesh.Trimesh(fit.mesh.vertices, fit.mesh.faces, process=False,
                            vertex_colors=np.tile([70, 100, 190, 255], (len(fit.mesh.vertices), 1)))
    box = make_object("box", 0).mesh
    v = box.vertices.astype(np.float64)
    v = (v - 0.5 * (v.min(axis=0) + v.max(axis=0))) * (0.25 / np.ptp(v, axis=0).max())
    hand = fit.mesh.vertices[fit.part_labels == BODY_PARTS.index("right_hand")]
    v += [hand[:, 0].mean(), hand[:, 1].min() - 0.005 - v[:, 1].max(), hand[:, 2].mean()]
    uv = box.uv.astype(np.float64).copy()
    uv[:, 1] = 1.0 - uv[:, 1]  # trimesh keeps OpenGL uv (v up)
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=Image.fromarray(box.texture.image))
    obj = trimesh.Trimesh(v, box.faces, process=False, visual=trimesh.visual.TextureVisuals(uv=uv, material=material))
    scene = trimesh.Scene()
    scene.add_geometry(human, node_name="human", geom_name="human")
    scene.add_geometry(obj, node_name="object", geom_name="object")
    path = tmp_path_factory.mktemp("lift") / "scene.glb"
    scene.export(path)
    return path, len(human.vertices), len(obj.vertices)


def test_lift_writes_a_bundle_and_validated_exports(scene_glb, tmp_path):
    path, n_human, n_object = scene_glb
    out = tmp_path / "out"
    r = CliRunner().invoke(app, [
        "lift", str(path), "--prompt", "A woman carrying a box in her right hand", "-o", str(out),
        "--views", "6", "--resolution", "256", "--texture-size", "512", "--format", "glb,usda", "--json",
        "--save-views",
    ])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["segmenter"] == "labels"
    assert data["candidates"][0]["human_vertices"] == n_human and data["candidates"][0]["object_vertices"] == n_object
    for fmt in ("glb", "usda"):
        f = Path(data["files"][fmt])
        assert f.is_file()
        report = data["validation"][str(f)]
        assert report["errors"] == 0, report
    assert data["contact_config"] == "right_hand" and data["requested_config"] == "right_hand"
    assert data["contacts"] == ["right_hand"]
    assert data["chamfer"]["chamfer_cm"] < 0.6 and "unsquared" in data["chamfer"]["definition"]
    assert data["chamfer"]["squared_cm2"] > 0 and "pytorch3d" in data["chamfer"]["squared_definition"]
    assert data["candidates"][0]["chamfer_squared_cm2"] == data["chamfer"]["squared_cm2"]
    asset = load_bundle(data["bundle"])
    assert asset.provenance.generator == "lift" and asset.contact_config.value == "right_hand"
    hypotheses = asset.provenance.notes["body_hypotheses"]
    assert 1 <= hypotheses["finished"] <= hypotheses["screened"] <= 3
    assert asset.object.texture is not None and asset.human.colors is not None
    assert len(asset.human.vertices) == n_human and asset.body.model == "anny"
    assert (out / "views" / "candidate_0" / "cameras.json").is_file()
    assert (out / "views" / "candidate_0" / "view_05_box.png").is_file()


def test_lift_without_labels_or_weights_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path / "models"))
    box = trimesh.creation.box((0.5, 1.7, 0.3))
    box.export(tmp_path / "plain.ply")
    r = CliRunner().invoke(app, ["lift", str(tmp_path / "plain.ply"), "--prompt", "a man with a box", "-o",
                                 str(tmp_path / "o")])
    assert r.exit_code == 1
    assert "grounded_sam2" in r.output and "--labels" in r.output and "grounding-dino-base" in r.output
    assert not (tmp_path / "o").exists()


def test_lift_rejects_mismatched_label_files(scene_glb, tmp_path):
    path, n_human, n_object = scene_glb
    np.save(tmp_path / "l.npy", np.zeros(10, np.int8))
    r = CliRunner().invoke(app, ["lift", str(path), "--prompt", "x", "-o", str(tmp_path / "o"),
                                 "--labels", str(tmp_path / "l.npy")])
    assert r.exit_code == 1 and f"has 10 values but the mesh has {n_human + n_object} vertices" in r.output
    r = CliRunner().invoke(app, ["lift", str(path), str(path), "--prompt", "x", "-o", str(tmp_path / "o"),
                                 "--labels", str(tmp_path / "l.npy")])
    assert r.exit_code == 1 and "one --labels file per MESH" in r.output
