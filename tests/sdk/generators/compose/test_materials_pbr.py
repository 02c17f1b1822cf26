"""compose's PBR description: one surface material per object slot and per body region."""

from __future__ import annotations

import numpy as np

from hoiexport.sdk.generators.compose.appearance import REGION_SURFACES, region_pbr
from hoiexport.sdk.generators.compose.objects import make_object
from hoiexport.sdk.generators.compose.objects.materials import ATLAS_SIZE, SURFACES, atlas_layout
from hoiexport.sdk.prompt import lexicon as lx


def test_every_material_kind_has_pbr_parameters() -> None:
    assert set(lx.MATERIALS) <= set(SURFACES)
    for kind, m in SURFACES.items():
        assert m.kind == kind
        assert m.metallic == (1.0 if kind == "metal" else 0.0)  # metallic is binary
        assert 0.0 <= m.roughness <= 1.0
    assert SURFACES["wood"].detail == "wood_grain" and SURFACES["plastic"].detail == "none"


def test_object_faces_carry_the_material_of_the_tile_they_are_painted_from() -> None:
    obj = make_object("chair", 0)
    pbr = obj.mesh.pbr
    assert pbr is not None and pbr.face_material is not None
    assert [m.kind for m in pbr.materials] == [m.kind for m in obj.materials.values()]
    assert len(pbr.face_material) == len(obj.mesh.faces)
    assert set(np.unique(pbr.face_material)) == set(range(len(obj.materials)))
    # the tile under each face's uv centroid is its slot's tile (all but faces on a slot border)
    assert obj.mesh.uv is not None
    centre = obj.mesh.uv[obj.mesh.faces].mean(axis=1) * ATLAS_SIZE
    tile = np.full(len(centre), -1)
    for k, (r0, c0, side) in enumerate(atlas_layout(len(obj.materials))):
        inside = (centre[:, 0] >= c0) & (centre[:, 0] < c0 + side) & (centre[:, 1] >= r0) & (centre[:, 1] < r0 + side)
        tile[inside] = k
    assert (tile == pbr.face_material).mean() > 0.97


def test_prompt_material_word_changes_the_main_slot_pbr() -> None:
    obj = make_object("chair", 0, material="metal")
    assert obj.mesh.pbr is not None
    assert obj.mesh.pbr.materials[0] == SURFACES["metal"]


def test_body_regions_become_face_materials_by_majority() -> None:
    regions = np.array(["skin", "skin", "top", "top", "shoes", "hair"], dtype=object)
    faces = np.array([[0, 1, 2], [2, 3, 0], [3, 4, 5], [0, 4, 5]])
    pbr = region_pbr(regions, faces)
    kinds = [m.kind for m in pbr.materials]
    assert kinds == [SURFACES[REGION_SURFACES[r]].kind for r in REGION_SURFACES]
    assert pbr.face_material is not None
    got = [list(REGION_SURFACES)[i] for i in pbr.face_material]
    assert got == ["skin", "top", "top", "skin"]  # all three differ: the first corner's
