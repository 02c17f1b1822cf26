"""Skeleton naming presets against the conventions' published joint lists (#16).

`tests/data/skeleton_names/*.json` hold each convention's bone names and hierarchy as
published (sources in each file). Every preset maps the 24 SMPL joints onto names of
its convention; the checks here are that each mapped name exists there, that the
SMPL tree is embedded in the published tree (a joint's SMPL parent maps to an
ancestor of its image), that the floor root is the convention's root where the
convention has one, and that an exported glb carries exactly those names.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pygltflib
import pytest
from pxr import Sdf

from hoiexport.exporters.skeletons import SKELETON_PRESETS, SkeletonPreset, get_skeleton_preset
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.skeleton import SMPL_JOINT_NAMES, SMPL_PARENTS

NAMES_DIR = Path(__file__).resolve().parents[1] / "data" / "skeleton_names"

PUBLISHED_LIST: dict[str, str] = {
    "smpl": "smpl.json",
    "mixamo": "mixamo.json",
    "ue5": "ue5.json",
    "unity-humanoid": "unity_humanoid.json",
}
"""Preset name → file of the convention's published joint list."""


@cache
def published(preset: str) -> dict:
    """The published list of `preset`'s convention, with `parent_of` (name → parent name) added."""
    doc = json.loads((NAMES_DIR / PUBLISHED_LIST[preset]).read_text())
    doc["parent_of"] = {j["name"]: j["parent"] for j in doc["joints"]}
    return doc


def ancestors(parent_of: dict[str, str | None], name: str) -> list[str]:
    """Names above `name` in a published tree, nearest first."""
    out: list[str] = []
    parent = parent_of[name]
    while parent is not None:
        assert parent not in out, f"cycle through {parent!r}"
        out.append(parent)
        parent = parent_of[parent]
    return out


PRESETS = sorted(SKELETON_PRESETS)


def test_every_preset_has_a_published_list():
    assert set(PUBLISHED_LIST) == set(SKELETON_PRESETS)


@pytest.mark.parametrize("preset", PRESETS)
def test_published_list_is_a_well_formed_tree(preset: str):
    doc = published(preset)
    assert doc["source"] and all(s.startswith("https://") for s in doc["source"])
    assert doc["retrieved"]
    names = [j["name"] for j in doc["joints"]]
    assert len(names) == len(set(names)), "duplicate names in the published list"
    parent_of = doc["parent_of"]
    assert all(p is None or p in parent_of for p in parent_of.values())
    roots = [n for n, p in parent_of.items() if p is None]
    assert len(roots) == 1, roots
    for name in names:
        ancestors(parent_of, name)  # no cycles
    # the file's named pelvis / root sit where they say
    assert doc["pelvis"] in parent_of
    if "root" in doc:
        assert roots == [doc["root"]] and parent_of[doc["pelvis"]] == doc["root"]
    else:
        assert roots == [doc["pelvis"]]


@pytest.mark.parametrize("preset", PRESETS)
def test_mapped_names_are_published(preset: str):
    p = get_skeleton_preset(preset)
    doc = published(preset)
    assert set(p.names) == set(SMPL_JOINT_NAMES)
    missing = {smpl: name for smpl, name in p.names.items() if name not in doc["parent_of"]}
    assert not missing, f"{preset}: not in the published list {PUBLISHED_LIST[preset]}: {missing}"


@pytest.mark.parametrize("preset", PRESETS)
def test_names_are_unique(preset: str):
    p = get_skeleton_preset(preset)
    written = [p.root, *p.names.values()]
    assert len(written) == len(set(written)) == 25
    usd = [p.usd_name(j) for j in ("root", *SMPL_JOINT_NAMES)]
    assert len(set(usd)) == 25
    assert all(Sdf.Path.IsValidIdentifier(n) for n in usd), usd


@pytest.mark.parametrize("preset", PRESETS)
def test_smpl_tree_embeds_in_the_published_tree(preset: str):
    """A joint's SMPL parent maps to an ancestor of the joint's image."""
    p = get_skeleton_preset(preset)
    parent_of = published(preset)["parent_of"]
    wrong = {}
    for i, joint in enumerate(SMPL_JOINT_NAMES):
        if SMPL_PARENTS[i] < 0:
            continue
        parent = p.names[SMPL_JOINT_NAMES[SMPL_PARENTS[i]]]
        above = ancestors(parent_of, p.names[joint])
        if parent not in above:
            wrong[joint] = (p.names[joint], parent, above)
    assert not wrong, f"{preset}: SMPL parent is not a published ancestor: {wrong}"


@pytest.mark.parametrize("preset", PRESETS)
def test_pelvis_and_floor_root_follow_the_convention(preset: str):
    p = get_skeleton_preset(preset)
    doc = published(preset)
    assert p.names["pelvis"] == doc["pelvis"]
    if "root" in doc:
        # the convention has a floor root above the pelvis (UE5: root): the preset's root is it
        assert p.root == doc["root"]
    else:
        # none published: the preset's added root must not take a published bone's name
        assert p.root not in doc["parent_of"], f"{preset}: root {p.root!r} collides with a published bone"


def test_mixamo_names_carry_the_namespace_and_usd_drops_the_colon():
    p = get_skeleton_preset("mixamo")
    assert all(n.startswith("mixamorig:") for n in (p.root, *p.names.values()))
    assert p.usd_name("pelvis") == "mixamorig_Hips"
    assert published("mixamo")["prefix"] == "mixamorig:"


def test_unknown_preset_is_one_line_input_error():
    with pytest.raises(InputError, match="unknown skeleton preset 'vrm'") as info:
        get_skeleton_preset("vrm")
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- exported files


@pytest.fixture(scope="module")
def compose_asset():
    """A compose asset (full SMPL-24 body, right hand on a mug)."""
    import hoiexport

    return hoiexport.generate("A man holding a mug in his right hand", generator="compose", seed=0)


def _joint_tree(gltf: pygltflib.GLTF2) -> dict[str, str | None]:
    """Skin joint node name → the name of its parent joint node (None for the skin's root)."""
    assert len(gltf.skins) == 1
    joints = set(gltf.skins[0].joints)
    parent: dict[int, int] = {c: i for i, n in enumerate(gltf.nodes) for c in (n.children or [])}
    return {
        gltf.nodes[j].name: (gltf.nodes[parent[j]].name if parent.get(j) in joints else None)
        for j in joints
    }


@pytest.mark.slow  # one compose asset, one export per preset (~1-3 s each)
@pytest.mark.parametrize("preset", PRESETS)
def test_exported_glb_uses_the_preset_names(preset: str, compose_asset, tmp_path: Path):
    from hoiexport.exporters.export import ExportOptions, export
    from hoiexport.exporters.options import BakeOptions
    from hoiexport.exporters.rig import RigOptions

    p: SkeletonPreset = get_skeleton_preset(preset)
    options = ExportOptions(bake=BakeOptions(size=512, gutter_px=4), rig=RigOptions(skeleton=preset))
    result = export(compose_asset, tmp_path, formats="glb", options=options)
    assert result.validation[str(result.files["glb"])].errors == 0
    gltf = pygltflib.GLTF2().load(str(result.files["glb"]))
    tree = _joint_tree(gltf)
    assert set(tree) == {p.root, *p.names.values()}
    assert [n for n, parent in tree.items() if parent is None] == [p.root]
    assert tree[p.names["pelvis"]] == p.root
    # the written hierarchy is the SMPL one under the root, renamed
    for i, joint in enumerate(SMPL_JOINT_NAMES):
        if SMPL_PARENTS[i] >= 0:
            assert tree[p.names[joint]] == p.names[SMPL_JOINT_NAMES[SMPL_PARENTS[i]]], joint
    # and each written parent is a published ancestor of its child
    parent_of = published(preset)["parent_of"]
    for child, parent in tree.items():
        if parent is not None and child in parent_of and parent in parent_of:
            assert parent in ancestors(parent_of, child), (child, parent)
    # sockets hang from a joint and their extras name it in the preset's names
    parent_node = {c: gltf.nodes[i].name for i, n in enumerate(gltf.nodes) for c in (n.children or [])}
    sockets = [i for i, n in enumerate(gltf.nodes) if n.name and n.name.startswith("SOCKET_")]
    assert sockets
    for i in sockets:
        joint = gltf.nodes[i].extras["joint"]
        assert joint in tree and parent_node[i] == joint, (gltf.nodes[i].name, joint, parent_node.get(i))
