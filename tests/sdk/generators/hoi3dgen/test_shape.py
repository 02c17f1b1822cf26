"""Stage 4a of `hoi3dgen`: Hunyuan3D-2 shape through hy3dgen, on a tiny random-weight
model of hy3dgen's own classes (tests/builders/hunyuan.py)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import trimesh

from tests.builders.hunyuan import (
    TINY_CONFIG,
    TINY_OPTIONS,
    fp16_rounded,
    tiny_hunyuan,
    tiny_hunyuan_components,
    write_hunyuan3d_2_shape,
    write_shape_folder,
)
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.protocols import ImageToShape
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.shape import (
    BOX_HALF,
    CONFIG_NAME,
    DIT_SUBFOLDER,
    SHAPE_MODEL,
    WEIGHTS_NAME,
    Hunyuan3DShape,
    ShapeOptions,
    clean_mesh,
    import_shapegen,
    to_internal_frame,
)
from hoiexport.sdk.core.types import Mesh


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime(device="cpu")


@pytest.fixture(scope="module")
def shape(runtime) -> Hunyuan3DShape:
    return tiny_hunyuan(runtime)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    """64×64 cut-out: a two-colour figure on white."""
    img = np.full((64, 64, 3), 255, dtype=np.uint8)
    img[8:56, 22:42] = (200, 40, 40)
    img[8:24, 26:38] = (230, 190, 150)
    return img


def test_is_an_image_to_shape_backend(shape):
    assert isinstance(shape, ImageToShape)


def test_lift_gives_a_clean_mesh_in_the_box(shape, image):
    mesh = shape.lift(image, seed=3)
    assert isinstance(mesh, Mesh)
    assert mesh.vertices.dtype == np.float32 and mesh.faces.dtype == np.int32
    assert 0 < len(mesh.faces) <= TINY_OPTIONS.max_faces
    mesh.validate()
    assert mesh.uv is None and mesh.texture is None and mesh.colors is None
    assert np.allclose(np.linalg.norm(mesh.normals, axis=1), 1.0, atol=1e-4)
    # every vertex lies in hy3dgen's decoding box (decimation may move a vertex by a fraction of a cell)
    cell = 2 * BOX_HALF / TINY_OPTIONS.octree_resolution
    assert np.abs(mesh.vertices).max() <= BOX_HALF + cell
    tm = mesh.to_trimesh()
    assert (tm.area_faces > 0).all()
    assert len(np.unique(np.sort(mesh.faces, axis=1), axis=0)) == len(mesh.faces)


def test_same_seed_same_mesh_other_seed_other_mesh(shape, image):
    a = shape.lift(image, seed=11)
    b = shape.lift(image, seed=11)
    c = shape.lift(image, seed=12)
    assert np.array_equal(a.vertices, b.vertices) and np.array_equal(a.faces, b.faces)
    assert a.vertices.shape != c.vertices.shape or not np.array_equal(a.vertices, c.vertices)


def test_image_conditions_the_shape(shape, image):
    other = image.copy()
    other[8:56, 22:42] = (20, 160, 60)
    assert not np.array_equal(shape.lift(image, seed=5).vertices, shape.lift(other, seed=5).vertices)


def test_no_surface_raises_a_clear_error(runtime, image):
    parts = tiny_hunyuan_components()
    head = parts["vae"].geo_decoder.output_proj
    with torch.no_grad():  # occupancy logit 5 everywhere: inside at every grid point, no zero crossing
        head.weight.zero_()
        head.bias.fill_(5.0)
    empty = Hunyuan3DShape(**parts, runtime=runtime, options=TINY_OPTIONS)
    with pytest.raises(InputError, match="no surface"):
        empty.lift(image, seed=0)


def test_frame_scaling_and_winding_on_hy3dgen_marching_cubes():
    """An ellipsoid occupancy field through hy3dgen's own surface extraction and
    trimesh export: axes, centre and size come back, faces wind outwards."""
    import_shapegen()
    from hy3dgen.shapegen.models.autoencoders.surface_extractors import (
        MCSurfaceExtractor,
    )
    from hy3dgen.shapegen.models.autoencoders.volume_decoders import (
        generate_dense_grid_points,
    )
    from hy3dgen.shapegen.pipelines import export_to_trimesh

    n = 48
    xyz, _, _ = generate_dense_grid_points(np.full(3, -BOX_HALF), np.full(3, BOX_HALF), n, indexing="ij")
    centre, semi = np.array([0.1, 0.2, 0.4]), np.array([0.3, 0.6, 0.2])  # tall along +Y, in front along +Z
    logits = 1.0 - np.linalg.norm((xyz - centre) / semi, axis=-1)  # > 0 inside (occupancy logits)
    raw = MCSurfaceExtractor()(torch.from_numpy(logits[None].astype(np.float32)),
                               mc_level=0.0, bounds=BOX_HALF, octree_resolution=n)
    tm = export_to_trimesh(raw)[0]
    vertices = to_internal_frame(tm.vertices, n)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    cell = 2 * BOX_HALF / n
    assert np.allclose((lo + hi) / 2, centre, atol=0.25 * cell)
    assert np.allclose((hi - lo) / 2, semi, atol=0.5 * cell)
    fixed = trimesh.Trimesh(vertices, tm.faces, process=False)
    assert fixed.volume == pytest.approx(4 / 3 * np.pi * semi.prod(), rel=0.05)  # > 0: outward winding
    # hy3dgen's own vertices are off by the 1/(N+1) scale this undoes
    assert abs(tm.vertices[:, 1].max() - hi[1]) > 0.5 * cell / 2


def test_clean_mesh_decimates_and_drops_floaters_but_keeps_the_object():
    body = trimesh.creation.icosphere(subdivisions=5, radius=1.0)  # 20480 faces
    held = trimesh.creation.icosphere(subdivisions=4, radius=0.4)
    held.apply_translation([1.8, 0.0, 0.0])
    speck = trimesh.creation.icosphere(subdivisions=1, radius=0.01)
    speck.apply_translation([0.0, 2.0, 0.0])
    scene = trimesh.util.concatenate([body, held, speck])
    options = ShapeOptions(max_faces=3000)
    out = clean_mesh(Mesh(vertices=scene.vertices, faces=scene.faces, name="lifted"), options)
    assert out.vertices.dtype == np.float32 and out.faces.dtype == np.int32
    assert 2000 < len(out.faces) <= 3000
    pieces = out.to_trimesh().split(only_watertight=False)
    assert len(pieces) == 2  # the speck went, the held sphere stayed
    radius_body = np.linalg.norm(out.vertices[out.vertices[:, 0] < 1.0], axis=1)
    assert np.abs(radius_body - 1.0).max() < 0.02
    centre_held = out.vertices[out.vertices[:, 0] > 1.2].mean(axis=0)
    assert np.allclose(centre_held, [1.8, 0.0, 0.0], atol=0.02)


def test_clean_mesh_leaves_a_small_mesh_undecimated():
    box = trimesh.creation.box(extents=(1.0, 2.0, 0.5))
    out = clean_mesh(Mesh(vertices=box.vertices, faces=box.faces), ShapeOptions(max_faces=100))
    assert len(out.faces) == 12
    assert np.allclose(np.sort(out.vertices, axis=0), np.sort(box.vertices.astype(np.float32), axis=0))


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((64, 64, 3), dtype=np.float32),
        np.zeros((64, 64), dtype=np.uint8),
        np.zeros((64, 64, 4), dtype=np.uint8),
        np.full((64, 64, 3), 255, dtype=np.uint8),  # nothing but background
        "image.png",
    ],
)
def test_bad_images_raise_input_error(shape, bad):
    with pytest.raises(InputError, match="image"):
        shape.lift(bad, seed=0)


@pytest.mark.parametrize(
    "kwargs",
    [{"steps": 0}, {"octree_resolution": 4}, {"max_faces": 3}, {"floater_fraction": 1.0},
     {"guidance": float("nan")}, {"background_threshold": 0}],
)
def test_bad_options_raise_input_error(kwargs):
    with pytest.raises(InputError, match="ShapeOptions"):
        ShapeOptions(**kwargs)


def test_missing_weights_name_the_model_and_the_fix(runtime, tmp_path, monkeypatch):
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    with pytest.raises(ModelUnavailableError) as err:
        Hunyuan3DShape.from_pretrained(None, runtime)
    assert SHAPE_MODEL in str(err.value) and "image_to_shape" in str(err.value)
    assert f"hoiexport models fetch {SHAPE_MODEL}" in str(err.value)
    with pytest.raises(ModelUnavailableError, match=CONFIG_NAME):
        Hunyuan3DShape.from_pretrained(tmp_path, runtime)


def test_from_pretrained_loads_hy3dgen_single_file_layout(runtime, image, tmp_path):
    parts = fp16_rounded(tiny_hunyuan_components(seed=4))  # the file is fp16: compare with the same rounding
    write_shape_folder(tmp_path, parts)
    direct = Hunyuan3DShape(**parts, runtime=runtime, options=TINY_OPTIONS)
    loaded = Hunyuan3DShape.from_pretrained(tmp_path, runtime, TINY_OPTIONS)
    a, b = direct.lift(image, seed=9), loaded.lift(image, seed=9)
    assert np.array_equal(a.vertices, b.vertices) and np.array_equal(a.faces, b.faces)


def test_lock_entry_loads_through_the_resolver(runtime, image, tmp_path, monkeypatch):
    """Lock entry "hunyuan3d-2-shape" in hy3dgen's single-file layout under a fake
    $HOIEXPORT_MODELS: resolved by the lock, loaded, one lift."""
    from safetensors import safe_open

    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    folder = write_hunyuan3d_2_shape(tmp_path, seed=6)
    assert folder == tmp_path / SHAPE_MODEL
    with safe_open(str(folder / DIT_SUBFOLDER / WEIGHTS_NAME), "pt") as f:
        keys = list(f.keys())
        assert {k.split(".")[0] for k in keys} == {"model", "vae", "conditioner"}
        assert {f.get_tensor(k).dtype for k in keys} == {torch.float16}
    loaded = Hunyuan3DShape.from_pretrained(None, runtime, TINY_OPTIONS)
    direct = Hunyuan3DShape(**fp16_rounded(tiny_hunyuan_components(seed=6)), runtime=runtime, options=TINY_OPTIONS)
    a, b = direct.lift(image, seed=2), loaded.lift(image, seed=2)
    assert len(b.faces) > 0
    assert np.array_equal(a.vertices, b.vertices) and np.array_equal(a.faces, b.faces)


def test_from_pretrained_refuses_a_config_outside_hy3dgen(runtime, tmp_path):
    config = copy.deepcopy(TINY_CONFIG)
    config["scheduler"]["target"] = "os.system"
    write_shape_folder(tmp_path, tiny_hunyuan_components(), config)
    with pytest.raises(ModelUnavailableError, match="outside hy3dgen.shapegen"):
        Hunyuan3DShape.from_pretrained(tmp_path, runtime)


def test_transforms_subset_matches_torchvision():
    """The torchvision stand-in (used only where torchvision cannot import) computes
    what torchvision does on the tensors hy3dgen's conditioner feeds it."""
    try:
        from torchvision import transforms as tv
    except Exception:  # noqa: BLE001 - not installable next to a CPU-only torch
        pytest.skip("torchvision does not import here (CPU-only torch)")
    from hoiexport.sdk.generators.hoi3dgen.shape import _torchvision_transforms_subset

    _, sub = _torchvision_transforms_subset()
    x = torch.rand(1, 3, 64, 48)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    ours = sub.Compose([sub.Resize(28, sub.InterpolationMode.BILINEAR, antialias=True), sub.CenterCrop(28),
                        sub.Normalize(mean=mean, std=std)])(x)
    theirs = tv.Compose([tv.Resize(28, tv.InterpolationMode.BILINEAR, antialias=True), tv.CenterCrop(28),
                         tv.Normalize(mean=mean, std=std)])(x)
    assert torch.allclose(ours, theirs, atol=1e-6)
