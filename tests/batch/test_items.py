"""Prompt files (.jsonl / .txt / .csv) → batch items with stable ids."""

from __future__ import annotations

import pytest
from hoiexport.batch.items import (
    ItemSettings,
    PromptSpec,
    item_id,
    make_items,
    parse_contact,
    read_prompts,
)
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import ContactConfig


def _write(tmp_path, name, text, mode="w"):
    p = tmp_path / name
    if mode == "wb":
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def test_jsonl_reads_overrides_and_reports_bad_lines_by_number(tmp_path):
    lines = [
        '{"text": "A man carrying a suitcase", "contact": "left_hand", "seed": 4, "target": "unreal"}',
        "",
        '{"text": "A girl kicking a ball", "object": "ball", "action": "kick"}',
        "{not json",
        '{"object": "box"}',
        '{"text": "A man sits on a chair", "contact": "elbow"}',
        '{"text": "A man sits on a chair", "seed": -1}',
        '{"text": "A man sits on a chair", "colour": "red"}',
        '["A man sits on a chair"]',
        '{"text": "A woman sitting on a bench", "contact": "back", "seed": "7"}',
    ]
    p = _write(tmp_path, "p.jsonl", "\n".join(lines))
    f = read_prompts(p)
    assert [s.line for s in f.specs] == [1, 3, 10]
    first = f.specs[0]
    assert (first.text, first.contact, first.seed, first.target) == (
        "A man carrying a suitcase", ContactConfig.LEFT_HAND, 4, "unreal")
    assert (f.specs[1].object, f.specs[1].action, f.specs[1].contact) == ("ball", "kick", None)
    assert f.specs[2].seed == 7 and f.specs[2].contact is ContactConfig.BACK
    errors = {e.line: e.message for e in f.errors}
    assert sorted(errors) == [4, 5, 6, 7, 8, 9]
    assert "invalid JSON" in errors[4]
    assert "'text'" in errors[5]
    assert "elbow" in errors[6] and "right_hand" in errors[6]
    assert "seed" in errors[7]
    assert "'colour'" in errors[8]
    assert "JSON object" in errors[9]
    assert all(str(e).startswith(f"{p}:{e.line}: ") for e in f.errors)


def test_txt_skips_blank_and_comment_lines_and_flags_non_utf8(tmp_path):
    p = _write(tmp_path, "p.txt", b"# prompts\nA man carrying a box\n\n  A woman holding a mug  \n\xff\xfe bad\n", "wb")
    f = read_prompts(p)
    assert [(s.line, s.text) for s in f.specs] == [(2, "A man carrying a box"), (4, "A woman holding a mug")]
    assert [(e.line, "UTF-8" in e.message) for e in f.errors] == [(5, True)]


def test_csv_with_our_column_names(tmp_path):
    p = _write(tmp_path, "p.csv", "text,object,action,contact,seed,target\n"
               "A man carrying a box,,,both_hands,2,\n"
               '"A woman, tall, holding a mug",mug,hold,right_hand,,blender\n')
    f = read_prompts(p)
    assert not f.errors
    a, b = f.specs
    assert (a.line, a.contact, a.seed, a.object, a.target) == (2, ContactConfig.BOTH_HANDS, 2, None, None)
    assert (b.line, b.text, b.object, b.action, b.target) == (3, "A woman, tall, holding a mug", "mug", "hold", "blender")


def test_csv_with_the_hoi3dgen_dataset_columns_maps_every_contact_category(tmp_path):
    cats = ["rightHand", "leftHand", "bothHands", "back", "rightLeg", "leftLeg", "noContact", "fullBody", "other"]
    rows = "".join(f'"A person with a chair number {i}",Chair,{c}\n' for i, c in enumerate(cats))
    p = _write(tmp_path, "dataset.csv", "Description,Object Type,Contact Category\n" + rows +
               "A person with a box,Box,elbows\n"
               '"A person with a box, and a line\nbreak",Box,back\n'
               "A person with a box,Box,back,extra\n")
    f = read_prompts(p)
    got = [s.contact for s in f.specs]
    assert got[:9] == [ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND, ContactConfig.BOTH_HANDS, ContactConfig.BACK,
                       ContactConfig.RIGHT_LEG, ContactConfig.LEFT_LEG, ContactConfig.NO_CONTACT, ContactConfig.OTHER,
                       ContactConfig.OTHER]
    assert all(s.object == "Chair" for s in f.specs[:9])
    assert [s.line for s in f.specs] == [*range(2, 11), 12]  # the multi-line row starts on line 12
    assert f.specs[-1].text == "A person with a box, and a line\nbreak"
    errors = {e.line: e.message for e in f.errors}
    assert sorted(errors) == [11, 14]
    assert "elbows" in errors[11] and "bothHands" in errors[11]
    assert "4 fields" in errors[14]


def test_csv_without_a_prompt_column_and_other_file_types_are_rejected(tmp_path):
    with pytest.raises(InputError, match="no prompt column"):
        read_prompts(_write(tmp_path, "p.csv", "object,contact\nbox,back\n"))
    with pytest.raises(InputError, match=r"\.jsonl, \.txt, \.csv"):
        read_prompts(_write(tmp_path, "p.yaml", "- a\n"))
    with pytest.raises(InputError, match="cannot read"):
        read_prompts(tmp_path / "missing.txt")


def test_parse_contact_accepts_both_spellings():
    assert parse_contact("both_hands") is parse_contact("bothHands") is ContactConfig.BOTH_HANDS
    assert parse_contact("No Contact") is ContactConfig.NO_CONTACT
    assert parse_contact("fullBody") is parse_contact("other") is ContactConfig.OTHER
    with pytest.raises(InputError):
        parse_contact("knee")


def test_item_ids_are_stable_and_follow_everything_that_changes_the_output():
    settings = ItemSettings(formats=("glb", "usdc"), texture_size=512)
    spec = PromptSpec("A man carrying a box", contact=ContactConfig.BOTH_HANDS, line=3, source="a.txt")
    (item,) = make_items([spec], settings)
    assert len(item.id) == 16 and int(item.id, 16) >= 0
    assert make_items([PromptSpec(spec.text, contact=spec.contact, line=9, source="b.txt")], settings)[0].id == item.id
    assert item.id == item_id(spec.text, None, None, "both_hands", 0, "compose", "unity", ["usdc", "glb"], 512)
    variants = [
        make_items([PromptSpec(spec.text)], settings)[0],
        make_items([PromptSpec(spec.text + "!", contact=spec.contact)], settings)[0],
        make_items([PromptSpec(spec.text, object="suitcase", contact=spec.contact)], settings)[0],
        make_items([PromptSpec(spec.text, contact=spec.contact, seed=1)], settings)[0],
        make_items([spec], ItemSettings(formats=("glb",), texture_size=512))[0],
        make_items([spec], ItemSettings(formats=("glb", "usdc"), texture_size=1024))[0],
        make_items([spec], ItemSettings(formats=("glb", "usdc"), texture_size=512, target="unreal"))[0],
        make_items([spec], ItemSettings(generator="hoi3dgen", formats=("glb", "usdc"), texture_size=512))[0],
    ]
    ids = {v.id for v in variants} | {item.id}
    assert len(ids) == len(variants) + 1


def test_make_items_expands_seeds_and_drops_repeats():
    specs = [PromptSpec("A man carrying a box"), PromptSpec("A man carrying a box"),
             PromptSpec("A girl kicking a ball", seed=10)]
    items = make_items(specs, ItemSettings(seeds=3, seed=5, formats=("glb",)))
    assert [(i.text, i.seed) for i in items] == [
        ("A man carrying a box", 5), ("A man carrying a box", 6), ("A man carrying a box", 7),
        ("A girl kicking a ball", 10), ("A girl kicking a ball", 11), ("A girl kicking a ball", 12)]
    assert len({i.id for i in items}) == 6


def test_settings_validate_with_clear_messages():
    with pytest.raises(InputError, match="generator"):
        ItemSettings(generator="sana")
    with pytest.raises(InputError, match="export format"):
        ItemSettings(formats=("fbx",))
    with pytest.raises(InputError, match="bake size"):
        ItemSettings(texture_size=100)
    with pytest.raises(InputError, match="seeds"):
        ItemSettings(seeds=0)


def test_preset_and_settings_are_part_of_the_request_and_checked_early():
    from hoiexport.batch.items import BatchItem, ItemSettings, PromptSpec, item_id, make_items
    from hoiexport.sdk.core.errors import InputError

    plain = item_id("a man carrying a box", None, None, None, 0, "compose", "unity", ("glb",), 512)
    # ids made before presets existed are kept when no preset or setting is given
    assert plain == item_id("a man carrying a box", None, None, None, 0, "compose", "unity", ("glb",), 512, None, ())
    tuned = item_id("a man carrying a box", None, None, None, 0, "compose", "unity", ("glb",), 512, None,
                    ("max_attempts=2",))
    assert tuned != plain
    settings = ItemSettings(generator="compose", formats=("glb",), texture_size=512, settings=("max_attempts=2",))
    (item,) = make_items([PromptSpec(text="a man carrying a box")], settings)
    assert item.id == tuned and item.settings == ("max_attempts=2",)
    assert BatchItem.from_json(item.to_json()) == item
    old = {k: v for k, v in item.to_json().items() if k not in ("preset", "settings")}
    assert BatchItem.from_json(old).settings == () and BatchItem.from_json(old).preset is None
    with pytest.raises(InputError, match="no preset 'paper'"):
        ItemSettings(generator="compose", preset="paper")
    with pytest.raises(InputError, match="unknown setting"):
        ItemSettings(generator="compose", settings=("nope=1",))


def test_rig_settings_reach_the_items_and_their_ids() -> None:
    from hoiexport.batch.items import BatchItem

    spec = PromptSpec(text="a man sitting on a chair", line=1, source="p.txt")
    default = make_items([spec], ItemSettings())[0]
    rigged = make_items([spec], ItemSettings(rest_pose="t", skeleton="mixamo"))[0]
    assert (default.rest_pose, default.skeleton) == ("a", "auto")
    assert (rigged.rest_pose, rigged.skeleton) == ("t", "mixamo")
    assert rigged.id != default.id
    assert BatchItem.from_json(rigged.to_json()) == rigged
    # ids of items with the default rig are those made before rigs existed
    assert default.id == item_id(spec.text, None, None, None, 0, "compose", "unity", ("glb", "usdc", "usdz"), 2048)
    with pytest.raises(InputError, match="rest pose"):
        ItemSettings(rest_pose="x")
    with pytest.raises(InputError, match="skeleton preset"):
        ItemSettings(skeleton="maya")
