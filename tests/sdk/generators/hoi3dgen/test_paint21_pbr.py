"""Hunyuan3D-Paint 2.1's metallic and roughness maps become the mesh's
metallic-roughness texture (the files as the 2.1 code writes them beside its OBJ)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from hoiexport.sdk.generators.hoi3dgen.texture import paint21_metallic_roughness


def _grey_jpg(path: Path, value: np.ndarray) -> None:
    # mesh_utils.save_obj_mesh: cv2.cvtColor(RGB2GRAY) then cv2.imwrite(".jpg"): 8-bit grey JPEG
    Image.fromarray(value.astype(np.uint8), mode="L").save(path, quality=95)


def test_metallic_and_roughness_maps_are_carried_in_gltf_layout(tmp_path: Path) -> None:
    obj = tmp_path / "textured_mesh.obj"
    obj.write_text("")
    _grey_jpg(tmp_path / "textured_mesh_metallic.jpg", np.full((32, 32), 230))
    _grey_jpg(tmp_path / "textured_mesh_roughness.jpg", np.full((32, 32), 90))
    pbr = paint21_metallic_roughness(obj, (64, 64))  # maps at half the albedo's size are resized
    assert pbr is not None and pbr.metallic_roughness is not None and pbr.face_material is None
    image = pbr.metallic_roughness.image
    assert image.shape == (64, 64, 3)
    assert (image[..., 0] == 0).all()
    assert np.abs(image[..., 1].astype(int) - 90).max() <= 2  # G roughness
    assert np.abs(image[..., 2].astype(int) - 230).max() <= 2  # B metallic


def test_albedo_only_output_has_no_pbr(tmp_path: Path) -> None:
    assert paint21_metallic_roughness(tmp_path / "textured_mesh.obj", (16, 16)) is None


def test_a_missing_map_reads_as_the_gltf_default(tmp_path: Path) -> None:
    _grey_jpg(tmp_path / "textured_mesh_roughness.jpg", np.full((16, 16), 128))
    pbr = paint21_metallic_roughness(tmp_path / "textured_mesh.obj", (16, 16))
    assert pbr is not None and pbr.metallic_roughness is not None
    assert (pbr.metallic_roughness.image[..., 2] == 0).all()  # metallic 0
