"""Stage 4b of `hoi3dgen`: the projection texturer on known scenes, the choice of
texturer, and (on a CUDA machine with hy3dgen's rasteriser and the weights)
Hunyuan3D-Paint."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from hoiexport.sdk.geometry.uv import rasterize_uv
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.protocols import Texturer
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.texture import (
    PAINT_MODEL,
    Hunyuan3DPaint,
    ProjectionOptions,
    ProjectionTexturer,
    choose_texturer,
    make_texturer,
    paint_unavailable_reason,
)
from hoiexport.sdk.core.types import Mesh

RED = np.array([220, 30, 30])
BLUE = np.array([30, 30, 220])
SIZE = 128


def _texel_points(mesh: Mesh, size: int):
    """Surface point, face normal and texel index of every covered texel of `mesh`."""
    r = rasterize_uv(mesh.uv, mesh.faces, size, size, inclusive=False)
    v = mesh.vertices.astype(np.float64)
    f = mesh.faces.astype(np.int64)
    points = np.einsum("nk,nkd->nd", r.bary.astype(np.float64), v[f[r.face]])
    n = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    return points, n[r.face], r.texel


@pytest.fixture(scope="module")
def box() -> Mesh:
    """1 × 1.6 × 0.6 box (x × y × z) centred at the origin, front face at z = +0.3."""
    tm = trimesh.creation.box(extents=(1.0, 1.6, 0.6))
    tm = tm.subdivide().subdivide()
    return Mesh(vertices=tm.vertices, faces=tm.faces, name="box")


@pytest.fixture(scope="module")
def two_colour_image() -> np.ndarray:
    """The box seen from +Z: subject 60 × 96 px (1 : 1.6), left half red, right half blue."""
    img = np.full((SIZE, SIZE, 3), 255, dtype=np.uint8)
    img[16:112, 34:64] = RED
    img[16:112, 64:94] = BLUE
    return img


@pytest.fixture(scope="module")
def baked(box, two_colour_image):
    return ProjectionTexturer(ProjectionOptions(size=SIZE)).bake(box, two_colour_image)


def test_is_a_texturer_named_projection():
    texturer = ProjectionTexturer()
    assert isinstance(texturer, Texturer) and texturer.name == "projection"


def test_output_mesh_has_valid_uv_and_texture(box, baked):
    mesh = baked.mesh
    mesh.validate()
    assert mesh.uv.dtype == np.float32 and mesh.uv.shape == (len(mesh.vertices), 2)
    assert mesh.uv.min() >= 0.0 and mesh.uv.max() <= 1.0
    assert mesh.texture.image.shape == (SIZE, SIZE, 3) and mesh.texture.image.dtype == np.uint8
    assert len(mesh.faces) == len(box.faces)
    # same surface: every output vertex is an input vertex (xatlas only splits along seams)
    d = np.abs(mesh.vertices[:, None, :] - box.vertices[None, :, :]).max(axis=2).min(axis=1)
    assert d.max() < 1e-6
    assert np.isclose(mesh.to_trimesh().area, 2 * (1.6 + 0.6 + 0.96), rtol=1e-5)


def test_front_texels_take_the_image_colour(baked):
    points, normals, texel = _texel_points(baked.mesh, SIZE)
    pixels = baked.mesh.texture.image.reshape(-1, 3).astype(int)
    front = normals[:, 2] > 0.99
    left, right = front & (points[:, 0] < -0.1), front & (points[:, 0] > 0.1)
    assert left.sum() > 200 and right.sum() > 200
    assert np.abs(pixels[texel[left]] - RED).max() <= 3
    assert np.abs(pixels[texel[right]] - BLUE).max() <= 3
    # all seen but the outline (`edge_px` = 1 of the subject's 60 × 96 px)
    inner = front & (np.abs(points[:, 0]) < 0.47) & (np.abs(points[:, 1]) < 0.77)
    assert baked.seen.reshape(-1)[texel[inner]].all()
    assert baked.seen.reshape(-1)[texel[front]].mean() > 0.9


def test_unseen_texels_are_filled_from_the_nearest_seen_surface(baked):
    points, normals, texel = _texel_points(baked.mesh, SIZE)
    pixels = baked.mesh.texture.image.reshape(-1, 3).astype(int)
    back = normals[:, 2] < -0.99
    assert not baked.seen.reshape(-1)[texel[back]].any()
    left, right = back & (points[:, 0] < -0.1), back & (points[:, 0] > 0.1)
    assert np.abs(pixels[texel[left]] - RED).max() <= 3
    assert np.abs(pixels[texel[right]] - BLUE).max() <= 3
    # the whole texture (charts, fill and gutter) is painted: no background white anywhere
    assert baked.mesh.texture.image[..., 1].max() < 60
    assert baked.covered.mean() > 0.3
    front_share = 1.6 / (2 * (1.6 + 0.6 + 0.96))  # front-face area / total area
    assert baked.seen_fraction == pytest.approx(front_share, abs=0.1)


def test_occluded_surface_is_not_seen():
    """A small box in front of a large plate: the plate behind it is not seen."""
    plate = trimesh.creation.box(extents=(2.0, 2.0, 0.2)).subdivide().subdivide()
    block = trimesh.creation.box(extents=(0.6, 0.6, 0.2))
    block.apply_translation([0.0, 0.0, 0.6])
    scene = trimesh.util.concatenate([plate, block])
    image = np.full((SIZE, SIZE, 3), 255, dtype=np.uint8)
    image[8:120, 8:120] = np.linspace(40, 200, 112).astype(np.uint8)[None, :, None]
    result = ProjectionTexturer(ProjectionOptions(size=SIZE)).bake(
        Mesh(vertices=scene.vertices, faces=scene.faces), image
    )
    points, normals, texel = _texel_points(result.mesh, SIZE)
    seen = result.seen.reshape(-1)[texel]
    plate_front = (normals[:, 2] > 0.99) & np.isclose(points[:, 2], 0.1)
    hidden = plate_front & (np.abs(points[:, :2]) < 0.25).all(axis=1)
    open_ = plate_front & (np.abs(points[:, :2]) > 0.45).any(axis=1) & (np.abs(points[:, :2]) < 0.9).all(axis=1)
    block_front = (normals[:, 2] > 0.99) & np.isclose(points[:, 2], 0.7)
    assert hidden.sum() > 20 and open_.sum() > 200 and block_front.sum() > 20
    assert not seen[hidden].any()
    assert seen[open_].all() and seen[block_front].all()


def test_same_input_same_texture(box, two_colour_image, baked):
    again = ProjectionTexturer(ProjectionOptions(size=SIZE)).bake(box, two_colour_image)
    assert np.array_equal(again.mesh.texture.image, baked.mesh.texture.image)
    assert np.array_equal(again.mesh.uv, baked.mesh.uv)


def test_bad_inputs_raise_input_error(box, two_colour_image):
    texturer = ProjectionTexturer(ProjectionOptions(size=64))
    with pytest.raises(InputError, match="no subject"):
        texturer.texture(box, np.full((32, 32, 3), 255, dtype=np.uint8))
    with pytest.raises(InputError, match="uint8"):
        texturer.texture(box, two_colour_image.astype(np.float32))
    with pytest.raises(InputError, match="no faces"):
        texturer.texture(Mesh(vertices=np.zeros((3, 3)), faces=np.zeros((0, 3))), two_colour_image)
    with pytest.raises(InputError, match="ProjectionOptions.size"):
        ProjectionOptions(size=16)


def test_cpu_runtime_chooses_projection_and_says_why():
    runtime = Runtime(device="cpu")
    choice = choose_texturer(runtime, options=ProjectionOptions(size=64))
    assert choice.texturer.name == "projection" and "CUDA" in choice.reason
    assert make_texturer(runtime).name == "projection"
    assert choose_texturer(runtime, prefer="projection").reason == ""
    with pytest.raises(ModelUnavailableError, match=PAINT_MODEL):
        make_texturer(runtime, prefer="hunyuan3d-paint")
    with pytest.raises(ModelUnavailableError, match="CUDA"):
        Hunyuan3DPaint.from_pretrained(None, runtime)
    with pytest.raises(InputError, match="prefer"):
        make_texturer(runtime, prefer="magic")


@pytest.mark.gpu
def test_hunyuan3d_paint_textures_in_the_input_frame():
    """Real Hunyuan3D-Paint (needs CUDA, hy3dgen's custom_rasterizer and the weights)."""
    runtime = Runtime(device="cuda")
    reason = paint_unavailable_reason(runtime)
    if reason is not None:
        pytest.skip(reason)
    try:
        painter = Hunyuan3DPaint.from_pretrained(None, runtime)
    except ModelUnavailableError as exc:
        pytest.skip(str(exc))
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.8)
    mesh = Mesh(vertices=sphere.vertices, faces=sphere.faces, name="ball")
    image = np.full((512, 512, 3), 255, dtype=np.uint8)
    yy, xx = np.mgrid[:512, :512]
    image[(yy - 256) ** 2 + (xx - 256) ** 2 < 200**2] = (40, 160, 60)
    out = painter.texture(mesh, image)
    out.validate()
    assert out.texture.image.ndim == 3 and out.uv.min() >= 0.0 and out.uv.max() <= 1.0
    assert np.allclose(out.vertices.min(axis=0), mesh.vertices.min(axis=0), atol=1e-5)
    assert np.allclose(out.vertices.max(axis=0), mesh.vertices.max(axis=0), atol=1e-5)
