"""Reading combined meshes (glb nodes → labels, textures merged into one atlas) and label files."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.generators.lift.load import load_combined_mesh, load_vertex_labels, merge_meshes
from hoiexport.sdk.core.types import Mesh, Texture
from PIL import Image


def _scene(path, names=("human", "object")):
    a = trimesh.creation.box((0.4, 1.6, 0.3))
    a.visual.vertex_colors = np.tile([10, 200, 30, 255], (len(a.vertices), 1))
    b = trimesh.creation.box((0.2, 0.2, 0.2))
    uv = np.tile([[0.25, 0.75]], (len(b.vertices), 1))  # trimesh / OpenGL: v up
    image = Image.fromarray(np.concatenate([np.full((4, 8, 3), 250, np.uint8), np.full((4, 8, 3), 5, np.uint8)]))
    b.visual = trimesh.visual.TextureVisuals(uv=uv, material=trimesh.visual.material.PBRMaterial(baseColorTexture=image))
    scene = trimesh.Scene()
    scene.add_geometry(a, node_name=names[0], geom_name=names[0])
    scene.add_geometry(b, node_name=names[1], geom_name=names[1], transform=trimesh.transformations.translation_matrix((1, 0, 0)))
    scene.export(path)
    return a, b


def test_glb_with_human_and_object_nodes_gives_labels_and_keeps_appearance(tmp_path):
    a, b = _scene(tmp_path / "s.glb")
    mesh, labels = load_combined_mesh(tmp_path / "s.glb")
    assert labels is not None and (labels == 0).sum() == len(a.vertices) and (labels == 1).sum() == len(b.vertices)
    obj = mesh.vertices[labels == 1]
    assert np.allclose(obj.mean(axis=0), [1.0, 0.0, 0.0], atol=1e-6)  # node transform applied
    assert mesh.texture is not None and mesh.uv is not None and mesh.colors is not None
    human_colors = mesh.colors[labels == 0]
    assert (human_colors == [10, 200, 30]).all()
    # the object's uv (0.25, 0.75 in OpenGL convention = 0.25 from the top in glTF) lands on its bright half
    img = mesh.texture.image
    u, v = mesh.uv[labels == 1][0]
    assert img[int(v * img.shape[0]), int(u * img.shape[1])][:3].min() > 200
    assert (mesh.colors[labels == 1] == 255).all()


def test_unnamed_nodes_give_no_labels(tmp_path):
    _scene(tmp_path / "s.glb", names=("part_a", "part_b"))
    mesh, labels = load_combined_mesh(tmp_path / "s.glb")
    assert labels is None and len(mesh.faces) == 24


def test_obj_and_ply_load(tmp_path):
    box = trimesh.creation.box((1, 1, 1))
    for ext in ("obj", "ply"):
        box.export(tmp_path / f"b.{ext}")
        mesh, labels = load_combined_mesh(tmp_path / f"b.{ext}")
        assert len(mesh.faces) == 12 and labels is None


def test_bad_files_name_the_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_combined_mesh(tmp_path / "missing.glb")
    (tmp_path / "junk.glb").write_bytes(b"not a mesh")
    with pytest.raises(InputError, match="junk.glb"):
        load_combined_mesh(tmp_path / "junk.glb")


def test_label_files(tmp_path):
    np.save(tmp_path / "l.npy", np.array([0, 0, 1, 1]))
    assert load_vertex_labels(tmp_path / "l.npy", 4).tolist() == [0, 0, 1, 1]
    (tmp_path / "l.txt").write_text("0\n1\n1\n")
    assert load_vertex_labels(tmp_path / "l.txt", 3).dtype == np.int8
    with pytest.raises(InputError, match="has 3 values but the mesh has 5"):
        load_vertex_labels(tmp_path / "l.txt", 5)
    (tmp_path / "bad.txt").write_text("0 2 1")
    with pytest.raises(InputError, match="only 0"):
        load_vertex_labels(tmp_path / "bad.txt", 3)
    (tmp_path / "one.txt").write_text("0 0 0")
    with pytest.raises(InputError, match="both"):
        load_vertex_labels(tmp_path / "one.txt", 3)


def test_merge_packs_textures_side_by_side():
    quad = dict(vertices=np.eye(3), faces=[[0, 1, 2]], uv=[[0, 0], [1, 0], [1, 1]])
    red = Mesh(**quad, texture=Texture(np.full((4, 4, 3), (255, 0, 0), np.uint8)))
    blue = Mesh(**quad, texture=Texture(np.full((8, 2, 3), (0, 0, 255), np.uint8)))
    merged = merge_meshes([red, blue])
    assert merged.texture.image.shape == (8, 6, 3) and merged.colors is None
    img, uv = merged.texture.image, merged.uv
    assert (img[:4, :4] == (255, 0, 0)).all() and (img[:, 4:] == (0, 0, 255)).all()
    assert ((uv[:3, 0] * 6 >= 0) & (uv[:3, 0] * 6 <= 4) & (uv[:3, 1] * 8 <= 4)).all()  # red tile: 4x4, top-left
    assert ((uv[3:, 0] * 6 >= 4) & (uv[3:, 0] * 6 <= 6)).all()  # blue tile: columns 4-5


def test_merge_keeps_uv_on_the_tile_edge_and_one_part_as_it_is():
    quad = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32)
    faces = np.array([[0, 1, 2], [0, 2, 3]], np.int32)
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
    textured = Mesh(quad, faces, uv=uv, texture=Texture(np.zeros((8, 8, 3), np.uint8)), name="a")
    alone = merge_meshes([textured])
    np.testing.assert_array_equal(alone.uv, uv)  # u, v = 1 is the far edge, not 0
    plain = Mesh(quad + 2, faces, colors=np.full((4, 3), 9, np.uint8), name="b")
    both = merge_meshes([textured, plain])
    np.testing.assert_allclose(np.ptp(both.uv[:4], axis=0), [0.5, 1.0])  # half the atlas width, full height
