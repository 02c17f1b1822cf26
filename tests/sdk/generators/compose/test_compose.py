"""The compose generator: every contact configuration measured as requested,
no penetration, validated exports, determinism, and its building blocks.

Generation runs once per prompt for the whole session (~2 s each on one core);
each configuration's first asset goes through the real exporters and validators.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh

import hoiexport
from hoiexport.exporters.export import ExportOptions, export
from hoiexport.exporters.options import BakeOptions
from hoiexport.sdk.bundle import load_bundle, save_bundle
from hoiexport.sdk.bodies.pose_library import (
    JOINT_LIMITS,
    POSES,
    euler_to_axis_angle,
    free_joint_indices,
    limit_excess_deg,
    mirror_pose,
    mirror_rotations,
    rotations_to_pose,
    sample_pose,
)
from hoiexport.sdk.generators.compose.appearance import appearance_from_prompt, body_regions, region_colors
from hoiexport.sdk.generators.compose.generate import (
    ADULT_AGE,
    ADULT_HEIGHT,
    ComposeGenerator,
    ComposeOptions,
    body_shape,
)
from hoiexport.generation import generate
from hoiexport.sdk.core.errors import GenerationError
from hoiexport.sdk.prompt import support_contact
from hoiexport.sdk.generators.compose.interaction import plan_interaction, wrap_curl_deg
from hoiexport.sdk.generators.compose.objects import make_object
from hoiexport.sdk.generators.compose.placement import BodyRig, ObjectSurface, limit_penalty
from hoiexport.sdk.geometry.normals import vertex_normals
from hoiexport.sdk.prompt.parse import parse_prompt
from hoiexport.sdk.contacts import ContactOptions, classify_contacts
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.core.skeleton import JOINT_INDEX, SMPL_JOINT_NAMES
from hoiexport.sdk.core.types import BODY_PARTS, ContactConfig, Mesh, Penetration
from hoiexport.sdk.generators.base import GenerationOptions

CASES: dict[str, tuple[str, ...]] = {
    "right_hand": (
        "A man carrying a suitcase in his right hand",
        "A woman holding a mug in her right hand",
        "A businessman carrying a briefcase in his right hand",
    ),
    "left_hand": (
        "A woman carrying a bag in her left hand",
        "A girl holding a ball in her left hand",
        "A man pushing a table with his left hand",
    ),
    "both_hands": (
        "A worker carrying a cardboard box with both hands",
        "A girl holding a red ball with both hands",
        "A man lifting a stool with both hands",
    ),
    "back": (
        "A hiker carrying a backpack on his back",
        "A man leaning against a chair",
        "A man lying on his back on a table",
    ),
    "right_leg": (
        "A boy kicking a ball",
        "A man kicking a box with his right foot",
        "A woman pushing a bin with her right foot",
    ),
    "left_leg": (
        "A woman kicking a ball with her left foot",
        "A boy kicks a box with his left foot",
        "A man pushing a stool with his left foot",
    ),
    "no_contact": (
        "A man standing next to a table",
        "A woman stands beside a suitcase",
        "A child standing near a ball without touching it",
    ),
    "other": (
        "A tall man sitting on a stool",
        "A man sitting on a chair",
        "A man standing on a box",
        "An old woman sits on a wooden bench, leaning against its backrest.",
    ),
}
"""Three prompts per contact configuration (each names or implies it)."""

EFFECTORS: dict[str, tuple[str, ...]] = {
    "right_hand": ("right_hand",),
    "left_hand": ("left_hand",),
    "both_hands": ("right_hand", "left_hand"),
    "back": ("back",),
    "right_leg": ("right_foot",),
    "left_leg": ("left_foot",),
}
"""Parts each configuration's prompts ask to touch."""

FAST = ExportOptions(bake=BakeOptions(size=512, gutter_px=4))
ALL = [(config, text) for config, texts in CASES.items() for text in texts]


@pytest.fixture(scope="session")
def generated() -> dict[tuple[str, str], hoiexport.HOIAsset]:
    return {(config, text): generate(text, seed=0) for config, text in ALL}


@pytest.fixture(scope="session")
def body(anny):
    return anny


# --------------------------------------------------------------------------- generation


@pytest.mark.parametrize(("config", "text"), ALL, ids=[f"{c}-{CASES[c].index(t)}" for c, t in ALL])
def test_measured_configuration_is_the_requested_one(generated, config, text):
    asset = generated[(config, text)]
    assert asset.prompt.requested_config is ContactConfig(config)
    assert asset.contact_config is ContactConfig(config), [c.part for c in asset.contacts]
    # measured, not copied: the stored contacts classify to the stored configuration
    assert classify_contacts(c.part for c in asset.contacts) is asset.contact_config
    assert asset.penetration.human_in_object_depth_cm <= 0.5
    assert asset.penetration.object_in_human_depth_cm <= 0.5
    touching = {c.part: c for c in asset.contacts}
    for part in EFFECTORS.get(config, ()):
        assert part in touching and touching[part].distance_m <= 0.01, (part, touching.get(part))
    if config == "other":
        assert min(c.distance_m for c in asset.contacts) <= 0.01
    if "backrest" in text:  # seated and leaning back: the back rests on the backrest too
        assert touching["back"].distance_m <= 0.01 and "hips" in touching
        assert asset.provenance.notes["mode"] == "sit_back"
    if config == "no_contact":
        assert asset.contacts == []
    prov = asset.provenance
    assert prov.generator == "compose" and prov.seed is not None and prov.seed >= 0
    assert {"object", "stage", "placement", "body", "contacts", "total"} <= set(prov.timings_s)
    assert prov.versions["anny"] and prov.versions["torch"]


def test_feet_rest_on_the_floor_and_objects_stay_above_it(generated):
    for (config, text), asset in generated.items():
        assert asset.object.vertices[:, 1].min() >= -0.005, text
        assert asset.human.vertices[:, 1].min() >= -0.006, text
        if config in ("right_hand", "left_hand", "both_hands", "no_contact"):
            labels = asset.body.part_labels
            feet = np.isin(labels, [BODY_PARTS.index("left_foot"), BODY_PARTS.index("right_foot")])
            assert abs(float(asset.body.mesh.vertices[feet, 1].min())) < 0.01, text


def test_held_objects_leave_the_floor_and_floor_objects_stand_on_it(generated):
    held = generated[("both_hands", CASES["both_hands"][0])]  # a box carried in both hands
    assert held.object.vertices[:, 1].min() > 0.05
    kicked = generated[("right_leg", CASES["right_leg"][1])]  # a box on the floor
    assert abs(float(kicked.object.vertices[:, 1].min())) < 1e-3


@pytest.mark.parametrize("config", list(CASES))
def test_exports_validate(generated, config, tmp_path):
    asset = generated[(config, CASES[config][0])]
    result = export(asset, tmp_path, formats=("glb", "usdc"), options=FAST)
    assert set(result.files) == {"glb", "usdc"}
    for path in result.files.values():
        assert Path(path).is_file()
    assert result.validation and all(r.errors == 0 for r in result.validation.values())
    assert result.stats["human"]["kept_source_uv"], result.stats["human"].get("uv_rejected_reason")


def test_human_is_the_uv_split_anny_surface_with_prompt_colours(generated, body):
    asset = generate("A woman in a red jacket and blue jeans holding a mug in her left hand", seed=0)
    human = asset.human
    assert human.uv is not None and human.colors is not None
    assert len(human.vertices) == 14898 and len(asset.body.mesh.vertices) == 13718
    _, vertex_map = body.uv_mesh(asset.body.mesh)
    assert np.array_equal(human.vertices, asset.body.mesh.vertices[vertex_map])
    colors = {tuple(c) for c in human.colors[:, :3].tolist()}
    jacket = tuple(asset.prompt.attributes["colors"]["top"])
    jeans = tuple(asset.prompt.attributes["colors"]["bottom"])
    assert jacket in colors and jeans in colors
    labels = asset.body.part_labels[vertex_map]
    arm = human.colors[labels == BODY_PARTS.index("left_arm")]
    assert (arm == jacket).all(axis=1).mean() > 0.95  # a jacket has long sleeves
    assert asset.provenance.notes["appearance"]["sources"]["top"] == "prompt"


def test_same_seed_gives_the_same_bundle(tmp_path):
    text = "A man kicking a box with his right foot"
    a, b = generate(text, seed=5), generate(text, seed=5)
    save_bundle(a, tmp_path / "a")
    save_bundle(b, tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    for rel in files:
        if rel.name == "asset.json":
            docs = [json.loads((tmp_path / d / rel).read_text()) for d in ("a", "b")]
            for doc in docs:
                doc["provenance"].pop("timings_s")  # wall-clock seconds, the only difference
            assert docs[0] == docs[1]
        else:
            assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    loaded = load_bundle(tmp_path / "a")
    assert loaded.contact_config is ContactConfig.RIGHT_LEG


def test_different_seeds_give_different_objects_and_poses(generated):
    text = "A man kicking a box with his right foot"
    a = generated[("right_leg", text)]
    b = generate(text, seed=1)
    assert a.object.vertices.shape != b.object.vertices.shape or not np.allclose(a.object.vertices, b.object.vertices)
    assert not np.allclose(np.asarray(a.body.params["pose"]), np.asarray(b.body.params["pose"]))
    assert b.contact_config is ContactConfig.RIGHT_LEG


def test_overrides_win_over_the_text(generated):
    asset = generate("A man carrying a box", seed=0, object="suitcase", contact="left_hand", height=0.2)
    assert asset.prompt.object == "suitcase" and asset.object.name == "suitcase"
    assert asset.contact_config is ContactConfig.LEFT_HAND
    assert asset.provenance.notes["body_shape"]["height"] == pytest.approx(0.2)


def test_no_attempt_meeting_the_request_is_an_error():
    # a 1 mm contact threshold measures nearly nothing as touching: every attempt is rejected
    strict = ComposeOptions(max_attempts=2, contact=ContactOptions(threshold_m=0.001, min_vertices=500))
    with pytest.raises(GenerationError) as err:
        generate("A boy kicking a ball", seed=7, options=strict)
    message = str(err.value)
    assert "seed 7" in message and "seed 8" in message and "right_leg" in message


def test_penetration_not_measured_is_zero_and_the_asset_saves(tmp_path):
    # ContactOptions(penetration=None) skips the measurement; the asset used to carry None
    # (HOIAsset.penetration is a Penetration) and save_bundle / export failed on it
    options = ComposeOptions(contact=ContactOptions(penetration=None))
    asset = generate("A man standing next to a table", seed=0, options=options)
    assert asset.penetration == Penetration()
    save_bundle(asset, tmp_path / "bundle")
    assert load_bundle(tmp_path / "bundle").penetration == Penetration()


def test_prompt_without_requested_config_is_staged_and_measured_as_no_contact():
    # plan_interaction stages a prompt without a requested configuration as no contact;
    # the measurement check used to fail on `None.value` instead of comparing with that
    prompt = dataclasses.replace(parse_prompt("A man standing next to a table"), requested_config=None)
    asset = ComposeGenerator()(prompt, 0, GenerationOptions())
    assert asset.contact_config is ContactConfig.NO_CONTACT


def test_generate_rejects_bad_input(tmp_path, monkeypatch):
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path / "no-models"))
    with pytest.raises(ModelUnavailableError, match=r"hoi3dgen-sana \(stage text_to_image\).*models fetch.*compose"):
        generate("A man carrying a box", generator="hoi3dgen")
    with pytest.raises(InputError, match="unknown generator"):
        generate("A man carrying a box", generator="magic")
    with pytest.raises(InputError, match="seed"):
        generate("A man carrying a box", seed=-1)
    with pytest.raises(InputError, match="body shape"):
        generate("A man carrying a box", wingspan=0.5)
    with pytest.raises(InputError, match="cannot stage"):
        generate("A man sitting on a chair", contact="right_hand")
    with pytest.raises(InputError, match="backrest"):
        generate("A man lying on his back on a bench")
    with pytest.raises(InputError, match="contact 'other'"):
        generate("A man sitting on a bench", contact="back")
    with pytest.raises(InputError, match="backrest"):
        generate("A man sits on a stool, leaning against its backrest")


def test_sdk_entry_point_is_generate():
    assert hoiexport.generate is generate


# --------------------------------------------------------------------------- action library


def test_mirroring_is_an_involution_and_swaps_sides():
    rng = np.random.default_rng(0)
    pose = rng.normal(0, 0.4, (24, 3))
    assert np.allclose(mirror_pose(mirror_pose(pose)), pose)
    table = POSES["carry"].rotations
    mirrored = mirror_rotations(table)
    assert mirrored["left_shoulder"] == (table["right_shoulder"][0], -table["right_shoulder"][1],
                                         -table["right_shoulder"][2])
    # mirroring the Euler table equals mirroring the axis-angle pose
    assert np.allclose(rotations_to_pose(mirrored), mirror_pose(rotations_to_pose(table)), atol=1e-9)


def test_sampled_poses_vary_by_seed_and_reproduce():
    a = sample_pose("carry", "right", np.random.default_rng(3))
    b = sample_pose("carry", "right", np.random.default_rng(3))
    c = sample_pose("carry", "right", np.random.default_rng(4))
    assert np.array_equal(a, b) and not np.allclose(a, c)
    exact = sample_pose("carry", "right", np.random.default_rng(4), noise=0.0)
    assert np.allclose(exact, rotations_to_pose(POSES["carry"].rotations))
    assert np.abs(np.degrees(np.linalg.norm(a - exact, axis=1))).max() < 25.0  # small noise


def test_every_library_pose_is_inside_the_joint_limits():
    for name in POSES:
        for side in ("right", "left"):
            pose = sample_pose(name, side, np.random.default_rng(0), noise=0.0)
            excess = limit_excess_deg(pose)
            assert max(excess.values()) == 0.0, (name, side, {k: v for k, v in excess.items() if v})
            assert float(limit_penalty(torch.as_tensor(pose, dtype=torch.float32))) < 1e-3
    bent = np.zeros((24, 3))
    bent[JOINT_INDEX["right_knee"]] = euler_to_axis_angle((-40.0, 0.0, 0.0))  # knee bent forwards
    assert limit_excess_deg(bent)["right_knee"] == pytest.approx(25.0, abs=0.5)
    assert float(limit_penalty(torch.as_tensor(bent, dtype=torch.float32))) > 100.0
    assert set(JOINT_LIMITS) == set(SMPL_JOINT_NAMES)
    assert JOINT_INDEX["left_wrist"] in free_joint_indices("carry", "left")


# --------------------------------------------------------------------------- building blocks


def test_rig_poses_a_vertex_subset_exactly_like_the_body_model(body):
    shape = {"age": 0.7, "gender": 1.0}
    rig = BodyRig(body, shape)
    pose = torch.as_tensor(np.random.default_rng(1).normal(0, 0.4, (24, 3)), dtype=torch.float32)
    transl = torch.tensor([0.1, 0.9, -0.2])
    full = body.forward(pose[None], shape, transl[None])
    index = torch.tensor([0, 500, 7000, 13717])
    verts, world = rig.pose(pose, transl, index)
    assert torch.allclose(verts, full.vertices[0, index], atol=1e-5)
    assert torch.allclose(world, full.joint_transforms[0], atol=1e-5)
    delta = torch.zeros(24, 3, requires_grad=True)
    rig.pose(pose + delta, transl, index)[0].sum().backward()
    assert delta.grad is not None and float(delta.grad.abs().sum()) > 0


def test_object_surface_signs_and_distances():
    box = trimesh.creation.box((0.4, 0.3, 0.2))
    surface = ObjectSurface(Mesh(box.vertices, box.faces, name="box"))
    points = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.15], [0.0, 0.25, 0.0], [0.1, 0.0, 0.095]])
    rows, d, _, g = surface.signed_distance(points)
    assert list(rows) == [0, 1, 2, 3]
    assert d[0] == pytest.approx(-0.1, abs=4e-3)  # inside, 10 cm below the +z face
    assert d[1] == pytest.approx(0.05, abs=4e-3)
    assert d[2] == pytest.approx(0.1, abs=4e-3)
    assert d[3] == pytest.approx(-0.005, abs=4e-3)
    assert np.allclose(np.linalg.norm(g, axis=1), 1.0)
    far = surface.signed_distance(np.array([[2.0, 0.0, 0.0]]), within=0.1)[0]
    assert len(far) == 0


def test_fingers_wrap_curved_surfaces_only():
    box = trimesh.creation.box((0.4, 0.4, 0.4))
    flat = wrap_curl_deg(box, np.array([0.2, 0.0, 0.0]), np.array([1.0, 0, 0]), np.array([0, 0, 1.0]))
    assert flat == 0.0
    radius = 0.15
    cyl = trimesh.creation.cylinder(radius=radius, height=0.5, sections=128)  # axis z
    curl = wrap_curl_deg(cyl, np.array([radius, 0.0, 0.0]), np.array([1.0, 0, 0]), np.array([0, 1.0, 0]))
    assert curl == pytest.approx(math.degrees(0.09 / radius), rel=0.1)
    along_axis = wrap_curl_deg(cyl, np.array([radius, 0.0, 0.0]), np.array([1.0, 0, 0]), np.array([0, 0, 1.0]))
    assert along_axis == pytest.approx(0.0, abs=0.5)


def test_body_shape_from_words_defaults_and_overrides():
    rng = np.random.default_rng(0)
    tall_man = body_shape(parse_prompt("A tall man carrying a box"), rng)
    assert tall_man["gender"] == 0.0 and tall_man["age"] == ADULT_AGE
    assert ADULT_HEIGHT < tall_man["height"] < 0.6
    child = body_shape(parse_prompt("A child carrying a box"), np.random.default_rng(0))
    assert child["age"] < 0.4
    person = [body_shape(parse_prompt("A person carrying a box"), np.random.default_rng(s))["gender"] for s in range(8)]
    assert set(person) == {0.0, 1.0}  # unspecified gender: seeded
    assert body_shape(parse_prompt("A man carrying a box"), rng, {"weight": 0.9})["weight"] == 0.9
    with pytest.raises(InputError, match="in \\[0, 1\\]"):
        body_shape(parse_prompt("A man carrying a box"), rng, {"weight": 2.0})


def test_appearance_regions_follow_the_prompt(body):
    prompt = parse_prompt("A man in a green shirt and black shorts with white sneakers holding a ball")
    look = appearance_from_prompt(prompt, np.random.default_rng(0))
    assert look.top == tuple(prompt.attributes["colors"]["top"]) and not look.long_sleeves
    assert look.bottom == tuple(prompt.attributes["colors"]["bottom"]) and not look.long_legs
    assert look.shoes == tuple(prompt.attributes["colors"]["shoes"])
    rig = BodyRig(body, {"age": 0.7})
    rest = rig.rest_vertices.numpy().astype(np.float64)
    regions = body_regions(rest, vertex_normals(rest, rig.faces), rig.rest_joints.numpy(), rig.part_labels,
                           rig.weights.numpy(), look)
    labels = rig.part_labels
    assert (regions[labels == BODY_PARTS.index("torso_front")] == "top").all()
    assert (regions[labels == BODY_PARTS.index("right_hand")] == "skin").all()
    knee_y = float(rig.rest_joints[JOINT_INDEX["right_knee"], 1])
    shin = (labels == BODY_PARTS.index("right_leg")) & (rest[:, 1] < knee_y - 0.05)
    assert (regions[shin] == "skin").all()  # shorts
    assert (regions == "hair").sum() > 200 and (regions == "shoes").sum() > 200
    colors = region_colors(regions, look)
    assert colors.shape == (len(rest), 3) and colors.dtype == np.uint8


def test_lying_on_a_support_is_other_unless_the_text_says_back():
    lying = support_contact(parse_prompt("A man lying on a bench"))
    assert lying.requested_config is ContactConfig.OTHER and "contact_adjusted" in lying.attributes
    on_back = support_contact(parse_prompt("A man lying on his back on a table"))
    assert on_back.requested_config is ContactConfig.BACK
    forced = support_contact(parse_prompt("A man lying on a bench", contact="back"))
    assert forced.requested_config is ContactConfig.BACK
    seated = support_contact(parse_prompt("An old woman sits on a wooden bench, leaning against its backrest."))
    assert seated.requested_config is ContactConfig.OTHER and "contact_adjusted" in seated.attributes
    assert {"back", "hips", "right_leg", "left_leg"} == set(seated.contact_parts)


def test_plans_cover_every_configuration():
    rng = np.random.default_rng(0)
    for config, texts in CASES.items():
        for text in texts:
            prompt = support_contact(parse_prompt(text))
            plan = plan_interaction(prompt, make_object(prompt.object, rng))
            assert plan.pose in POSES
            assert set(plan.touch) <= set(BODY_PARTS)
            if config != "other":
                assert classify_contacts(plan.touch) is ContactConfig(config), (text, plan)
