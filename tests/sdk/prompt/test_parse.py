"""Prompt parsing for the compose generator: objects, actions, contacts, colours, body."""

from __future__ import annotations

import json

import pytest
from hoiexport.sdk.prompt import lexicon
from hoiexport.sdk.prompt.parse import (
    parse_prompt,
    tokenize,
    verb_forms,
)
from hoiexport.sdk.contacts.classify import classify_contacts
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import BODY_PARTS, ContactConfig, Prompt

LONG = (
    "A young woman with curly red hair, wearing a green denim jacket, white sneakers and "
    "round glasses, is dragging a blue suitcase with her right hand."
)


@pytest.mark.parametrize(
    ("text", "obj", "action", "config"),
    [
        ("A tall man carrying a brown suitcase in his left hand.", "suitcase", "carry", "left_hand"),
        ("A girl holding a red ball with both hands in front of her chest.", "ball", "hold", "both_hands"),
        ("An old woman sits on a wooden bench, leaning against its backrest.", "bench", "sit", "back"),
        ("A soccer player kicks a white ball with his right foot.", "ball", "kick", "right_leg"),
        ("A man stands next to a cardboard box without touching it.", "box", "stand", "no_contact"),
        (LONG, "suitcase", "drag", "right_hand"),
    ],
)
def test_reference_prompts(text, obj, action, config):
    p = parse_prompt(text)
    assert (p.object, p.action, p.requested_config) == (obj, action, ContactConfig(config))
    assert p.text == text
    assert all(part in BODY_PARTS for part in p.contact_parts)
    # the requested configuration is what measuring those touching parts would give
    assert classify_contacts(p.contact_parts) is p.requested_config


def test_reference_prompt_details():
    p = parse_prompt("A tall man carrying a brown suitcase in his left hand.")
    assert p.contact_parts == ["left_hand"]
    assert p.appearance == "A tall man"
    assert p.attributes["color_names"] == {"object": "brown"}
    assert p.attributes["colors"]["object"] == list(lexicon.COLORS["brown"])
    assert p.attributes["body"]["gender"] == lexicon.GENDER_VALUE["male"]
    assert p.attributes["body"]["height"] > 0.5

    p = parse_prompt("A girl holding a red ball with both hands in front of her chest.")
    assert sorted(p.contact_parts) == ["left_hand", "right_hand"]  # "in front of her chest" is no contact
    assert p.attributes["color_names"]["object"] == "red"

    p = parse_prompt("An old woman sits on a wooden bench, leaning against its backrest.")
    assert set(p.contact_parts) == {"back", "hips"}
    assert p.attributes["material"] == "wood"
    assert p.attributes["body"]["age"] > 0.8 and p.attributes["body"]["gender"] == 1.0

    p = parse_prompt("A soccer player kicks a white ball with his right foot.")
    assert p.contact_parts == ["right_foot"]
    assert p.appearance == "A soccer player"

    p = parse_prompt("A man stands next to a cardboard box without touching it.")
    assert p.contact_parts == [] and p.attributes["material"] == "cardboard"


def test_long_appearance_clause():
    p = parse_prompt(LONG)
    assert p.appearance.startswith("A young woman with curly red hair")
    assert p.appearance.endswith("round glasses")
    names = p.attributes["color_names"]
    assert names == {"object": "blue", "hair": "red", "top": "green", "shoes": "white"}
    assert p.attributes["colors"]["hair"] == list(lexicon.HAIR_COLORS["red"])  # hair red ≠ paint red
    assert p.attributes["clothing_materials"]["top"] == "fabric"
    assert p.attributes["body"]["gender"] == 1.0


def test_prompt_round_trips_through_json():
    p = parse_prompt(LONG)
    q = Prompt.from_json(json.loads(json.dumps(p.to_json())))
    assert q == p


@pytest.mark.parametrize(
    ("verb", "forms"),
    [("carry", {"carry", "carries", "carrying", "carried"}),
     ("push", {"push", "pushes", "pushing", "pushed"}),
     ("lift", {"lift", "lifts", "lifting", "lifted"}),
     ("sit", {"sit", "sits", "sitting", "sat", "seated"}),
     ("raise", {"raise", "raises", "raising", "raised"})],
)
def test_verb_inflections(verb, forms):
    assert set(verb_forms(verb)) == forms


@pytest.mark.parametrize("form", ["carry", "carries", "carrying", "carried"])
def test_every_inflection_parses(form):
    assert parse_prompt(f"A man {form} a box").action == "carry"


@pytest.mark.parametrize(
    ("text", "obj", "variant"),
    [("A man carrying luggage", "suitcase", None),
     ("A woman pulling her trolley case", "suitcase", None),
     ("A man holding a briefcase", "briefcase", None),
     ("A boy kicks a football", "ball", "soccer"),
     ("A boy holds a soccer ball", "ball", "soccer"),
     ("A girl holds a basketball", "ball", "basketball"),
     ("A man sits in an armchair", "chair", "armchair"),
     ("A man sits on a park bench", "bench", None),
     ("A woman lifts a crate", "crate", None),
     ("A woman pushes a trash can", "bin", "lidded"),
     ("A man drinks... holding a coffee mug", "mug", None),
     ("A man carries two boxes", "box", None)],
)
def test_object_synonyms(text, obj, variant):
    p = parse_prompt(text)
    assert p.object == obj and p.attributes["object_variant"] == variant


def test_object_is_the_one_the_verb_governs():
    p = parse_prompt("A man wearing a backpack carries a box.")
    assert (p.object, p.action) == ("box", "carry")
    p = parse_prompt("A football player in a red jersey holds a basketball.")
    assert p.object == "ball" and p.attributes["object_variant"] == "basketball"
    assert p.attributes["color_names"] == {"top": "red"}  # "red" belongs to the jersey
    p = parse_prompt("Holding a dark green leather bag, a very tall man in navy blue stands.")
    assert (p.object, p.action) == ("bag", "hold")
    assert p.attributes["color_names"] == {"object": "dark green", "top": "navy blue"}
    assert p.attributes["material"] == "leather"
    assert p.appearance == "a very tall man in navy blue"
    assert p.attributes["body"]["height"] > parse_prompt("A tall man holds a bag").attributes["body"]["height"]


def test_participle_after_determiner_is_an_adjective():
    p = parse_prompt("A seated man holds a mug")
    assert p.action == "hold"
    p = parse_prompt("A woman pulls a rolling suitcase")
    assert (p.object, p.action) == ("suitcase", "pull")


@pytest.mark.parametrize(
    ("text", "action", "config", "parts"),
    [("A man carries a box", "carry", "right_hand", ["right_hand"]),
     ("A man carries a box with both hands", "carry_two_hands", "both_hands", ["right_hand", "left_hand"]),
     ("A man carrying a box in his arms", "carry_two_hands", "both_hands", ["right_hand", "left_hand"]),
     ("A woman sitting on a chair", "sit", "other", ["hips"]),
     ("A man leans against a table", "lean", "back", ["back"]),
     ("A man leans on a table with both hands", "lean", "both_hands", ["right_hand", "left_hand"]),
     ("A man lies on a bench", "lie", "back", ["back", "hips"]),
     ("A boy hugs a ball", "hug", "both_hands", ["right_hand", "left_hand"]),
     ("A man kicks a ball", "kick", "right_leg", ["right_foot"]),
     ("A man kicks a ball with his left foot", "kick", "left_leg", ["left_foot"]),
     ("A man stands on a box", "stand", "other", ["right_foot", "left_foot"]),
     ("A man stands on the floor next to a box", "stand", "no_contact", []),
     ("A woman picks up a mug with her left hand", "lift", "left_hand", ["left_hand"]),
     ("A woman holds a bag over her left shoulder", "hold", "other", ["left_arm"])],
)
def test_contacts_and_defaults(text, action, config, parts):
    p = parse_prompt(text)
    assert (p.action, p.requested_config.value, p.contact_parts) == (action, config, parts)
    assert classify_contacts(p.contact_parts) is p.requested_config


def test_defaults_table_covers_every_action():
    assert set(lexicon.DEFAULT_CONTACT) == set(lexicon.ACTIONS)
    for action in lexicon.ACTIONS:
        p = parse_prompt("A person near a chair", action=action)
        assert p.requested_config is lexicon.DEFAULT_CONTACT[action]
        assert p.attributes["contact_source"] == "default"
        assert classify_contacts(p.contact_parts) is p.requested_config, action


def test_overrides_win():
    p = parse_prompt("A man carries a box in his left hand", object="luggage", action="dragging", contact="right_hand")
    assert (p.object, p.action, p.requested_config) == ("suitcase", "drag", ContactConfig.RIGHT_HAND)
    assert p.contact_parts == ["right_hand"] and p.attributes["contact_source"] == "override"
    p = parse_prompt("A man carries a box", contact=ContactConfig.BOTH_HANDS)
    assert p.action == "carry_two_hands"
    p = parse_prompt("A man carries a red box", object="suitcase")
    assert p.object == "suitcase" and p.attributes["color_names"]["object"] == "red"
    # an explicit contact resolves an otherwise contradictory text
    p = parse_prompt("A man holds a box in his left hand without touching it", action="stand", contact="no_contact")
    assert p.requested_config is ContactConfig.NO_CONTACT and p.contact_parts == []


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_prompt(text):
    with pytest.raises(InputError, match="empty"):
        parse_prompt(text)


def test_unknown_object_lists_known_and_closest():
    with pytest.raises(InputError) as e:
        parse_prompt("A man carries a suitcasse")
    msg = str(e.value)
    assert "no known object" in msg and "'suitcase'" in msg
    assert all(c in msg for c in ("backpack", "chair", "table"))
    with pytest.raises(InputError, match="no known object"):
        parse_prompt("A man carries a trombone")
    with pytest.raises(InputError, match=r"unknown object 'chiar'.*closest match: 'chair'"):
        parse_prompt("A man sits on it", object="chiar")


def test_unknown_action_lists_known_and_closest():
    with pytest.raises(InputError) as e:
        parse_prompt("A man carys a box")
    msg = str(e.value)
    assert "no known action" in msg and "carry_two_hands" in msg and "(carry)" in msg
    with pytest.raises(InputError, match=r"unknown action 'kik'.*closest match.*kick"):
        parse_prompt("A man near a ball", action="kik")
    with pytest.raises(InputError, match="contact configuration"):
        parse_prompt("A man carries a box", contact="elbow")


@pytest.mark.parametrize(
    ("text", "match"),
    [("A man holds a box in his left hand without touching it", "without touching.*left hand"),
     ("A man kicks a ball with his left hand and his right foot", "left hand.*right foot"),
     ("A man carries a box without touching it", "action 'carry' needs contact")],
)
def test_contradictions(text, match):
    with pytest.raises(InputError, match=f"contradictory.*{match}"):
        parse_prompt(text)


def test_contradictory_override():
    with pytest.raises(InputError, match="carry_two_hands"):
        parse_prompt("A man carries a box in his left hand", action="carry_two_hands")


def test_body_words_and_intensifiers():
    b = parse_prompt("A very tall, muscular elderly man pushes a chair").attributes["body"]
    assert b["height"] > 0.85 and b["muscle"] > 0.75 and b["age"] > 0.85 and b["gender"] == 0.0
    b = parse_prompt("A short, slim girl pushes a chair").attributes["body"]
    assert b["height"] < 0.3 and b["weight"] < 0.4 and b["gender"] == 1.0
    b = parse_prompt("A little boy holds a ball").attributes["body"]
    assert b["age"] < 0.4
    # adjectives of the object are not body words
    b = parse_prompt("A man carries a big heavy box").attributes["body"]
    assert "weight" not in b


def test_tokenize_splits_hyphens_and_keeps_offsets():
    text = "A man in a T-shirt, carrying a box."
    toks = tokenize(text)
    assert [t.text for t in toks][:6] == ["a", "man", "in", "a", "t", "shirt"]
    assert all(text[t.start : t.end].lower() == t.text for t in toks)
