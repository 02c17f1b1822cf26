"""Bundles carry a mesh's optional `SurfacePBR`; bundles without one load as before."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from hoiexport.sdk.bundle import load_bundle, save_bundle
from hoiexport.sdk.core.types import HOIAsset, SurfaceMaterial, SurfacePBR, Texture

from tests.sdk.bundle.test_bundle import assert_same, make_asset, read_doc, rejects, replace_arrays, write_doc

WOOD = SurfaceMaterial("wood", 0.7, 0.0, "wood_grain")
METAL = SurfaceMaterial("metal", 0.35, 1.0)


@pytest.fixture(scope="module")
def asset() -> HOIAsset:
    """The synthetic asset with per-face materials on the object and a metallic-
    roughness texture on the (uv-mapped) human."""
    a = make_asset()
    faces = len(a.object.faces)
    obj = dataclasses.replace(a.object, pbr=SurfacePBR((WOOD, METAL), np.arange(faces) % 2))
    mr = np.zeros((8, 6, 3), np.uint8)
    mr[..., 1] = 200
    mr[..., 2] = np.arange(6, dtype=np.uint8) * 40
    human = dataclasses.replace(a.human, pbr=SurfacePBR(metallic_roughness=Texture(mr)))
    return dataclasses.replace(a, object=obj, human=human)


def test_pbr_round_trip_is_exact(asset: HOIAsset, tmp_path: Path) -> None:
    bundle = save_bundle(asset, tmp_path / "b")
    doc = read_doc(bundle)
    assert doc["object"]["pbr"]["materials"][1] == METAL.to_json()
    assert doc["human"]["pbr"]["metallic_roughness"]["path"] == "textures/human_mr.png"
    assert "pbr" not in doc["body"]["mesh"]
    assert_same(asset, load_bundle(bundle))


def test_a_bundle_without_pbr_loads_base_colour_only() -> None:
    sample = Path(__file__).resolve().parents[3] / "samples" / "bundles" / "ball_both_hands"
    loaded = load_bundle(sample)
    assert loaded.human.pbr is None and loaded.object.pbr is None


def test_face_materials_without_their_table_are_refused(asset: HOIAsset, tmp_path: Path) -> None:
    bundle = save_bundle(asset, tmp_path / "b")
    doc = read_doc(bundle)
    del doc["object"]["pbr"]
    write_doc(bundle, doc)
    rejects(bundle, "face_material", "object.pbr")


def test_face_material_outside_the_table_is_refused(asset: HOIAsset, tmp_path: Path) -> None:
    bundle = save_bundle(asset, tmp_path / "b")
    replace_arrays(bundle, "meshes/object.npz", face_material=np.full(len(asset.object.faces), 5, np.int32))
    rejects(bundle, "object.pbr", "face_material")


def test_face_material_rows_must_match_the_faces(asset: HOIAsset, tmp_path: Path) -> None:
    bundle = save_bundle(asset, tmp_path / "b")
    replace_arrays(bundle, "meshes/object.npz", face_material=np.zeros(3, np.int32))
    rejects(bundle, "face_material", "one per face")
