"""Compose's action library (issue #15): every action, the original twelve and the
new ones, generated with the requested contact configuration measured on the result
and no penetration; the lexicon's verbs, synonyms and modifier phrases parse to their
actions; every pose and every staging adjustment of a pose stays inside the joint
limits; limbs the interaction does not use rest; the planning rules follow the
object's geometry (a wall-like panel the library does not have).

Each prompt is generated once for the module (about 1-3 s each on one core).
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import trimesh

from hoiexport.sdk.bodies import load_body_model
from hoiexport.sdk.bodies.pose_library import (
    LEAN_FOREARMS_BEND,
    LEAN_LOWER,
    LEAN_SIDE_TILT,
    POSES,
    REST_FOOT_RAISE,
    UNDER_ARM_RAISE,
    limit_excess_deg,
    sample_pose,
)
from hoiexport.sdk.contacts import classify_contacts
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import JOINT_INDEX
from hoiexport.sdk.core.types import BODY_PARTS, ContactConfig, HOIAsset, Mesh
from hoiexport.sdk.generators.base import GenerationOptions
from hoiexport.sdk.generators.compose.interaction import (
    _adjusted,
    affordances,
    body_sites,
    plan_interaction,
    site_world,
)
from hoiexport.sdk.generators.compose.objects import ProceduralObject, make_object
from hoiexport.sdk.generators.compose.placement import BodyRig
from hoiexport.sdk.generators.compose.prop import load_prop
from hoiexport.sdk.generators.registry import get_generator
from hoiexport.sdk.prompt import lexicon as lx
from hoiexport.sdk.prompt.parse import parse_prompt, verb_forms
from hoiexport.sdk.prompt.resolve import resolve_prompt

ACTION_PROMPTS: dict[str, str] = {
    "stand": "A man standing next to a table",
    "sit": "A man sitting on a chair",
    "lean": "A man leaning his back against a dining table",
    "carry": "A man carrying a suitcase in his right hand",
    "carry_two_hands": "A worker carrying a cardboard box with both hands",
    "lift": "A man lifting a stool with both hands",
    "hold": "A woman holding a mug in her right hand",
    "drag": "A man dragging a suitcase",
    "push": "A man pushing a table with his left hand",
    "pull": "A woman pulling a suitcase with her left hand",
    "kick": "A boy kicking a ball",
    "lie": "A man lying on a bench",
    "rest_foot": "A man resting his foot on a stool",
    "step_on": "A man stepping onto a box",
    "lean_side": "A man leaning sideways against a chair",
    "lean_forearms": "A man leaning on his forearms on a dining table",
    "sit_floor": "A man sitting on the floor with his back against a box",
    "kneel": "A man kneeling on a box",
    "squat": "A woman squatting on a box",
    "crouch": "A boy crouching next to a table",
    "hug": "A girl hugging a ball",
    "grab": "A man grabbing a suitcase by its handle",
    "raise_overhead": "A man holding a box over his head",
    "hold_out": "A woman holding out a mug",
    "throw": "A boy throwing a ball",
    "point_at": "A man pointing at a box",
    "carry_shoulder": "A worker carrying a box on his shoulder",
    "carry_under_arm": "A man carrying a ball under his arm",
}
"""One prompt per action of the lexicon."""

REFUSED_BEFORE: dict[str, tuple[str, ContactConfig]] = {
    "A man leaning his back against a table": ("lean", ContactConfig.BACK),
    "A man resting his foot on a stool": ("rest_foot", ContactConfig.RIGHT_LEG),
}
"""Ordinary prompts the planner used to refuse ("leaning with the back needs a backrest";
"resting" was no verb, the closest match offered was "tow")."""

EDGE = "A woman sitting on the edge of a dining table"
"""Sitting on a table's edge: the knees beyond it, the legs hanging."""

ORIGINAL = ("stand", "sit", "lean", "carry", "carry_two_hands", "lift", "hold", "drag", "push", "pull", "kick", "lie")


@pytest.fixture(scope="module")
def generated() -> dict[str, tuple[HOIAsset, float]]:
    """Prompt → (asset of seed 0, seconds)."""
    generator = get_generator("compose")
    out = {}
    for text in (*ACTION_PROMPTS.values(), *REFUSED_BEFORE, EDGE):
        t = time.perf_counter()
        asset = generator(resolve_prompt(text), 0, GenerationOptions())
        out[text] = (asset, time.perf_counter() - t)
    return out


@pytest.fixture(scope="module")
def rig() -> BodyRig:
    return BodyRig(load_body_model("anny"), {"age": 0.67, "height": 0.35, "gender": 0.0})


def test_the_library_has_at_least_25_actions_and_a_prompt_for_each():
    assert len(lx.ACTIONS) >= 25 and lx.ACTIONS[:12] == ORIGINAL
    assert set(ACTION_PROMPTS) == set(lx.ACTIONS)
    for table in (lx.ACTION_VERBS, lx.DEFAULT_CONTACT, lx.ACTION_CONTACTS):
        assert set(table) == set(lx.ACTIONS)
    for action in lx.ACTIONS:
        assert lx.DEFAULT_CONTACT[action] in lx.ACTION_CONTACTS[action], action


def _check(asset: HOIAsset, config: ContactConfig) -> None:
    assert asset.prompt.requested_config is config
    assert asset.contact_config is config, [(c.part, round(c.distance_m, 3)) for c in asset.contacts]
    assert classify_contacts(c.part for c in asset.contacts) is asset.contact_config  # measured, not copied
    assert asset.penetration.human_in_object_depth_cm <= 0.5
    assert asset.penetration.object_in_human_depth_cm <= 0.5
    assert asset.object.vertices[:, 1].min() >= -0.005 and asset.human.vertices[:, 1].min() >= -0.006


@pytest.mark.parametrize("action", list(ACTION_PROMPTS))
def test_every_action_generates_its_configuration_without_penetration(generated, action):
    text = ACTION_PROMPTS[action]
    asset, seconds = generated[text]
    assert asset.prompt.action == action
    _check(asset, asset.prompt.requested_config)
    assert asset.provenance.notes["pose"] in POSES
    assert seconds < 60.0


@pytest.mark.parametrize("text", list(REFUSED_BEFORE))
def test_prompts_refused_before_now_generate(generated, text):
    asset, _ = generated[text]
    action, config = REFUSED_BEFORE[text]
    assert asset.prompt.action == action
    _check(asset, config)


def test_leaning_against_a_low_table_sits_on_the_floor_and_a_high_one_bends_the_knees(generated):
    low = generated["A man leaning his back against a table"][0].provenance.notes
    high = generated[ACTION_PROMPTS["lean"]][0].provenance.notes
    assert (low["mode"], low["pose"]) == ("sit_floor", "sit_floor")  # the seeded table is a 0.42 m coffee table
    assert (high["mode"], high["pose"]) == ("lean_wall", "lean_back")
    assert high["staging"]["knees_lowered_deg"] > 10.0  # the lower back comes down to the table's edge


def test_sitting_on_a_table_edge_hangs_the_legs_over_it(generated):
    asset, _ = generated[EDGE]
    _check(asset, ContactConfig.OTHER)
    labels = asset.body.part_labels
    knees = asset.body.joints[[JOINT_INDEX["right_knee"], JOINT_INDEX["left_knee"]]]
    feet = asset.body.mesh.vertices[np.isin(labels, [BODY_PARTS.index("right_foot"), BODY_PARTS.index("left_foot")])]
    front = float(asset.object.vertices[:, 2].max())
    assert (knees[:, 2] > front).all()  # the knees beyond the edge
    assert feet[:, 1].min() > 0.05  # a dining table is higher than the knees: the feet hang


def test_the_raised_foot_is_on_the_top(generated):
    asset, _ = generated["A man resting his foot on a stool"]
    labels = asset.body.part_labels
    foot = asset.body.mesh.vertices[labels == BODY_PARTS.index("right_foot")]
    other = asset.body.mesh.vertices[labels == BODY_PARTS.index("left_foot")]
    top = float(asset.object.vertices[:, 1].max())
    assert abs(float(foot[:, 1].min()) - top) < 0.02 and abs(float(other[:, 1].min())) < 0.01


# --------------------------------------------------------------------------- lexicon


def _sentences(phrase: str) -> list[str]:
    head, *rest = phrase.split()
    return [" ".join(["A person", form, *rest, "a box."]) for form in verb_forms(head)]


@pytest.mark.parametrize("action", lx.ACTIONS)
def test_every_verb_and_synonym_parses_to_its_action(action):
    for phrase in lx.ACTION_VERBS[action]:
        for text in _sentences(phrase):
            parsed = parse_prompt(text)
            expected = "carry_two_hands" if action == "carry" and parsed.requested_config is \
                ContactConfig.BOTH_HANDS else action
            assert parsed.action == expected, (text, parsed.action)


def test_modifier_phrases_make_the_action_specific():
    for actions, phrases, refined in lx.ACTION_MODIFIERS:
        for base in actions:
            verb = lx.ACTION_VERBS[base][0]
            head, *rest = verb.split()
            third = verb_forms(head)[1]
            for phrase in phrases:
                text = " ".join(["A person", third, *rest, "next to a box", phrase]) + "."
                assert parse_prompt(text).action == refined, text
    # an explicit action wins over the phrase
    assert parse_prompt("A man carrying a box on his shoulder", action="carry").action == "carry"


@pytest.mark.parametrize(
    ("text", "action", "config"),
    [("A woman puts her left foot up on a box", "rest_foot", "left_leg"),
     ("A man climbs onto a bench", "step_on", "other"),
     ("A man leaning with his left shoulder against a chair", "lean_side", "other"),
     ("A woman rests her elbows on a table", "lean_forearms", "both_hands"),
     ("A man sitting on the floor next to a box", "sit_floor", "no_contact"),
     ("A man kneeling on a bench", "kneel", "other"),
     ("A man squatting next to a ball", "squat", "no_contact"),
     ("A man crouches on a stool", "crouch", "other"),
     ("A boy hugs a ball", "hug", "both_hands"),
     ("A woman grabs a mug with her left hand", "grab", "left_hand"),
     ("A man lifting a box overhead", "raise_overhead", "both_hands"),
     ("A woman holding a bottle out in front", "hold_out", "right_hand"),
     ("A man tossing a ball with his left hand", "throw", "left_hand"),
     ("A man pointing at a box", "point_at", "no_contact"),
     ("A man shouldering a box", "carry_shoulder", "other"),
     ("A woman tucking a bag under her left arm", "carry_under_arm", "other")],
)
def test_new_actions_parse_with_their_contacts(text, action, config):
    parsed = parse_prompt(text)
    assert (parsed.action, parsed.requested_config.value) == (action, config)
    assert classify_contacts(parsed.contact_parts) is parsed.requested_config


# --------------------------------------------------------------------------- poses

ADJUSTMENTS = {
    "rest_foot": (REST_FOOT_RAISE, (-60.0, 40.0)),
    "lean_back": (LEAN_LOWER, (0.0, 72.5)),
    "lean_side": (LEAN_SIDE_TILT, (-10.0, 30.0)),
    "lean_forearms": (LEAN_FOREARMS_BEND, (-30.0, 40.0)),
    "carry_under_arm": (UNDER_ARM_RAISE, (0.0, 45.0)),
}
"""Pose → the staging's per-degree adjustment and the range it searches."""


@pytest.mark.parametrize("name", list(POSES))
def test_every_pose_and_its_staging_adjustments_stay_inside_the_joint_limits(name):
    for side in ("right", "left"):
        pose = sample_pose(name, side, np.random.default_rng(0), noise=0.0)
        assert max(limit_excess_deg(pose).values()) == pytest.approx(0.0, abs=1e-6), (name, side)
        table, span = ADJUSTMENTS.get(name, ({}, ()))
        for amount in span:
            adjusted = limit_excess_deg(_adjusted(pose, table, amount, side))
            assert max(adjusted.values()) == pytest.approx(0.0, abs=1e-6), (name, side, amount)


def _posed(rig: BodyRig, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (V, 3) and joint transforms (24, 4, 4) of a library pose standing on y = 0."""
    pose = sample_pose(name, "right", np.random.default_rng(0), noise=0.0)
    verts, world = rig.posed_numpy(pose, np.zeros(3))
    shift = np.array([0.0, -float(verts[:, 1].min()), 0.0])
    return rig.posed_numpy(pose, shift)


def test_free_limbs_rest(rig):
    sites = body_sites(rig)
    labels = rig.part_labels
    # standing: feet about hip width apart, hands hanging beside the thighs
    verts, world = _posed(rig, "stand")
    ankles = world[[JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]], :3, 3]
    assert abs(ankles[0, 0] - ankles[1, 0]) < 0.3
    for side in ("right", "left"):
        palm = site_world(sites.palm[side], verts, world)[0]
        assert palm[1] < world[0, 1, 3] and abs(palm[2] - world[0, 2, 3]) < 0.12, side
    # seated: the palms on the thighs
    verts, world = _posed(rig, "sit")
    for side in ("right", "left"):
        palm = site_world(sites.palm[side], verts, world)[0]
        thigh = verts[labels == BODY_PARTS.index(f"{side}_leg")]
        assert np.linalg.norm(thigh - palm, axis=1).min() < 0.04, side
    # bent over with one hand: the other arm hangs (the wrist under the shoulder), not thrown back
    for name in ("grab_low", "push_low_one_hand", "grab"):
        verts, world = _posed(rig, name)
        shoulder = world[JOINT_INDEX["left_shoulder"], :3, 3]
        wrist = world[JOINT_INDEX["left_wrist"], :3, 3]
        assert abs(wrist[2] - shoulder[2]) < 0.15, name
    # one-hand poses keep the other hand low, by the side
    for name in ("hold", "hold_out", "point_at", "carry_shoulder", "carry_under_arm", "rest_foot", "lean_side"):
        verts, world = _posed(rig, name)
        wrist = world[JOINT_INDEX["left_wrist"], :3, 3]
        assert wrist[1] < world[0, 1, 3] and abs(wrist[2] - world[0, 2, 3]) < 0.15, name


# --------------------------------------------------------------------------- rules from geometry


def _slab(name: str, size: tuple[float, float, float]) -> ProceduralObject:
    """A box-shaped object with no anchors at all (only its mesh speaks)."""
    box = trimesh.creation.box(size)
    box.apply_translation((0.0, size[1] / 2, 0.0))
    mesh = Mesh(box.vertices.astype(np.float32), box.faces.astype(np.int32), name=name)
    return ProceduralObject(mesh, name, "floor", {"width": size[0], "height": size[1], "depth": size[2]}, {}, {}, {})


def _plan(text: str, obj: ProceduralObject):
    return plan_interaction(resolve_prompt(text, prop=obj.category), obj)


def test_rules_follow_the_mesh_not_the_category():
    wall, step = _slab("panel", (1.0, 1.8, 0.12)), _slab("step", (0.5, 0.3, 0.35))
    plate = _slab("plate", (0.6, 0.1, 0.6))
    assert affordances(wall).tallest_side > 1.7 and affordances(step).top is not None
    assert _plan("A man leaning against a panel", wall).mode == "lean_wall"
    plan = _plan("A man leaning with his shoulder against a panel", wall)
    assert (plan.mode, plan.pose, plan.touch) == ("lean_side", "lean_side_shoulder", ("right_arm",))
    assert "right_hand" not in plan.tolerated  # the hand kept off: arm alone is contact 'other'
    assert _plan("A man resting his foot on a step", step).mode == "foot_on"
    assert _plan("A man leaning against a step", step).mode == "sit_floor"  # too low to lean on standing
    assert _plan("A woman kneeling on it", step).mode == "perch"
    with pytest.raises(InputError, match="vertical side"):
        _plan("A man leaning against a plate", plate)
    with pytest.raises(InputError, match="forearms"):
        _plan("A man leaning on his forearms on a step", step)
    # an open crate has no top: its floor is walled in
    walls = [((0.5, 0.02, 0.5), (0.0, 0.01, 0.0)), ((0.02, 0.4, 0.5), (0.24, 0.2, 0.0)),
             ((0.02, 0.4, 0.5), (-0.24, 0.2, 0.0)), ((0.5, 0.4, 0.02), (0.0, 0.2, 0.24)),
             ((0.5, 0.4, 0.02), (0.0, 0.2, -0.24))]
    parts = []
    for size, at in walls:
        part = trimesh.creation.box(size)
        part.apply_translation(at)
        parts.append(part)
    crate = trimesh.util.concatenate(parts)
    open_crate = ProceduralObject(Mesh(crate.vertices.astype(np.float32), crate.faces.astype(np.int32), name="crate"),
                                  "crate", "floor", {}, {}, {}, {})
    assert affordances(open_crate).top is None and affordances(_slab("lid", (0.5, 0.4, 0.5))).top is not None
    assert affordances(make_object("table", 0)).top is not None


def test_a_wall_like_prop_is_leaned_on_with_the_back_and_the_shoulder():
    box = trimesh.creation.box((1.0, 1.8, 0.12))
    box.apply_translation((0.0, 0.9, 0.0))
    panel = load_prop(Mesh(box.vertices.astype(np.float32), box.faces.astype(np.int32), name="panel"))
    generator = get_generator("compose")
    for text, config, mode in (("A man leaning against a panel", ContactConfig.BACK, "lean_wall"),
                               ("A man leaning with his shoulder against a panel", ContactConfig.OTHER, "lean_side")):
        asset = generator(resolve_prompt(text, prop="panel"), 0, GenerationOptions(object_mesh=panel))
        _check(asset, config)
        assert asset.provenance.notes["mode"] == mode
