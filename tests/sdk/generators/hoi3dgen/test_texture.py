"""Stage 4b of `hoi3dgen`: the projection texturer on known scenes, the texturer
registry and its choice, Hunyuan3D-Paint 2.1's availability checks and weights
(its three lock entries in their real layouts, tiny), and (on a CUDA machine with
the paint code and the weights) Hunyuan3D-Paint 2.0 and 2.1."""

from __future__ import annotations

import importlib.machinery
import importlib.util

import numpy as np
import pytest
import torch
import trimesh

from hoiexport.sdk.geometry.uv import rasterize_uv
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.protocols import Texturer
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen import texture as texture_module
from hoiexport.sdk.generators.hoi3dgen.texture import (
    AUTO_ORDER,
    DINO_MODEL,
    HY3DPAINT_ENV,
    HY3DPAINT_FILES,
    HY3DPAINT_PACKAGES,
    PAINT21_MODEL,
    PAINT21_SUBFOLDER,
    PAINT_MODEL,
    PAINT_SUBFOLDERS,
    REALESRGAN_FILE,
    REALESRGAN_MODEL,
    TEXTURERS,
    Hunyuan3D21Paint,
    Hunyuan3DPaint,
    Paint21Options,
    Paint21Weights,
    ProjectionOptions,
    ProjectionTexturer,
    RRDBNetSize,
    check_realesrgan,
    choose_texturer,
    hy3dpaint_dir,
    hy3dpaint_problems,
    load_paint_networks,
    make_texturer,
    paint21_unavailable_reason,
    paint_unavailable_reason,
    resolve_paint21_weights,
)
from hoiexport.sdk.generators.hoi3dgen.texture import WEIGHTS as PAINT_WEIGHTS
from hoiexport.sdk.models import load_lock, resolve_weights
from tests.builders.unpinned import unpinned_lock
from tests.builders.hunyuan import (
    TINY_RRDB,
    write_dinov2_giant,
    write_hunyuan3d_2_1_paintpbr,
    write_hunyuan3d_2_paint,
    write_realesrgan_x4plus,
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


def test_registry_lists_every_path_and_auto_ends_with_projection():
    assert list(TEXTURERS) == ["hunyuan3d-2.1-paint", "hunyuan3d-paint", "projection"]
    assert AUTO_ORDER[0] == "hunyuan3d-2.1-paint" and AUTO_ORDER[-1] == "projection"
    assert set(AUTO_ORDER) == set(TEXTURERS)
    for name, entry in TEXTURERS.items():
        assert entry.name == name
    assert Hunyuan3D21Paint.name == "hunyuan3d-2.1-paint" and Hunyuan3DPaint.name == "hunyuan3d-paint"
    assert TEXTURERS["hunyuan3d-2.1-paint"].lock_entries == (PAINT21_MODEL, DINO_MODEL, REALESRGAN_MODEL)
    assert TEXTURERS["hunyuan3d-paint"].lock_entries == (PAINT_MODEL,)
    lock = load_lock()
    for entry in TEXTURERS.values():
        for name in entry.lock_entries:
            assert lock.get(name).stage == "texture"


def test_cpu_runtime_chooses_projection_and_says_why():
    runtime = Runtime(device="cpu")
    choice = choose_texturer(runtime, options=ProjectionOptions(size=64))
    assert choice.texturer.name == "projection" and choice.lock_entries == ()
    tried = dict(part.split(": ", 1) for part in choice.reason.split("; "))
    assert set(tried) == {"hunyuan3d-2.1-paint", "hunyuan3d-paint"}
    assert all("CUDA" in why for why in tried.values())
    assert make_texturer(runtime).name == "projection"
    assert choose_texturer(runtime, prefer="projection").reason == ""
    with pytest.raises(ModelUnavailableError, match=PAINT_MODEL):
        make_texturer(runtime, prefer="hunyuan3d-paint")
    with pytest.raises(ModelUnavailableError, match=f"{PAINT21_MODEL}.*CUDA"):
        make_texturer(runtime, prefer="hunyuan3d-2.1-paint")
    with pytest.raises(ModelUnavailableError, match="CUDA"):
        Hunyuan3DPaint.from_pretrained(None, runtime)
    with pytest.raises(ModelUnavailableError, match=f"model '{PAINT21_MODEL}' .*CUDA"):
        Hunyuan3D21Paint.from_pretrained(runtime=runtime)
    with pytest.raises(InputError, match="prefer"):
        make_texturer(runtime, prefer="magic")


# ----------------------------------------------------------------------------- Hunyuan3D-Paint 2.0


def test_2_0_paint_lock_entry_loads_through_hy3dgen(tmp_path, monkeypatch):
    """Lock entry "hunyuan3d-2-paint" in hy3dgen's layout (tiny) under a fake
    $HOIEXPORT_MODELS: resolved by the lock, both networks built by hy3dgen's own
    classes on the CPU (the renderer needs CUDA), the paint UNet's weights are the
    file's, and the de-lighting pipeline runs one step."""
    from PIL import Image

    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    entry = write_hunyuan3d_2_paint(tmp_path, seed=3)
    folder = resolve_weights(PAINT_WEIGHTS)
    assert folder == entry
    nets = load_paint_networks(folder, "cpu")
    unet = nets["multiview_model"].pipeline.unet
    assert type(unet).__name__ == "UNet2p5DConditionModel" and unet.unet.conv_in.in_channels == 12
    written = torch.load(folder / PAINT_SUBFOLDERS[1] / "unet" / "diffusion_pytorch_model.bin", weights_only=True)
    loaded = unet.state_dict()
    assert set(loaded) == set(written)
    assert all(torch.equal(loaded[k].float(), written[k].half().float()) for k in written)
    image = Image.fromarray(np.full((16, 16, 3), 128, np.uint8))
    out = nets["delight_model"].pipeline(prompt="", image=image, num_inference_steps=1, output_type="np",
                                         generator=torch.manual_seed(0)).images
    assert out.shape == (1, 16, 16, 3) and np.isfinite(out).all()


def test_2_0_paint_folder_without_the_unet_code_is_named(tmp_path):
    entry = write_hunyuan3d_2_paint(tmp_path)
    (entry / PAINT_SUBFOLDERS[1] / "unet" / "modules.py").unlink()
    with pytest.raises(ModelUnavailableError, match=r"unet/modules.py missing"):
        resolve_weights(PAINT_WEIGHTS, entry)


# ----------------------------------------------------------------------------- Hunyuan3D-Paint 2.1


def test_missing_2_1_code_says_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv(HY3DPAINT_ENV, raising=False)
    assert hy3dpaint_dir() is None
    (line,) = hy3dpaint_problems(None)
    assert HY3DPAINT_ENV in line and "Tencent-Hunyuan/Hunyuan3D-2.1" in line and "docs/hunyuan21.md" in line
    monkeypatch.setenv(HY3DPAINT_ENV, str(tmp_path / "nowhere"))
    assert hy3dpaint_dir() == tmp_path / "nowhere"
    assert "is not a folder" in hy3dpaint_problems(hy3dpaint_dir())[0]
    problems = "\n".join(hy3dpaint_problems(tmp_path))
    assert "textureGenPipeline.py" in problems and "cfgs/hunyuan-paint-pbr.yaml" in problems
    assert "compile_mesh_painter.sh" in problems


def test_a_complete_2_1_checkout_leaves_only_missing_packages(tmp_path, monkeypatch):
    """A folder laid out as hy3dpaint/ with its extension compiled: only the packages
    that are not installed here are reported, each with how to install it."""
    for rel in HY3DPAINT_FILES:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("# stand-in for the checkout's file\n")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    (tmp_path / "DifferentiableRenderer" / f"mesh_inpaint_processor{suffix}").write_bytes(b"\x7fELF")
    problems = hy3dpaint_problems(tmp_path)
    missing = {m for m in HY3DPAINT_PACKAGES if importlib.util.find_spec(m) is None}
    assert len(problems) == len(missing)
    for module in missing:
        assert any(line.startswith(f"{module} is not installed: ") for line in problems)
    if "custom_rasterizer" in missing:
        assert any("custom_rasterizer" in line and "--no-build-isolation" in line for line in problems)
    monkeypatch.setattr(texture_module, "HY3DPAINT_PACKAGES", {"numpy": "pip install numpy"})
    assert hy3dpaint_problems(tmp_path) == []


def _write_paint21_entries(models_dir):
    write_hunyuan3d_2_1_paintpbr(models_dir, seed=1)
    write_dinov2_giant(models_dir, seed=2)
    write_realesrgan_x4plus(models_dir, seed=3)


def test_2_1_weights_resolve_from_their_lock_entries_and_load(tmp_path, monkeypatch):
    """The three lock entries in their real layouts (tiny) under a fake
    $HOIEXPORT_MODELS resolve through the lock; every component a standard library
    reads loads and runs one step (the UNet and the pipeline need the 2.1 code and CUDA)."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UniPCMultistepScheduler
    from PIL import Image
    from transformers import AutoImageProcessor, AutoModel, CLIPTextModel, CLIPTokenizer

    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    _write_paint21_entries(tmp_path)
    paths = resolve_paint21_weights(lock=unpinned_lock((PAINT21_MODEL, DINO_MODEL, REALESRGAN_MODEL)),
                                    realesrgan_size=TINY_RRDB)
    assert paths.paint == tmp_path / PAINT21_MODEL / PAINT21_SUBFOLDER
    assert paths.dino == tmp_path / DINO_MODEL
    assert paths.realesrgan == tmp_path / REALESRGAN_MODEL / REALESRGAN_FILE
    # what hy3dpaint's Dino_v2 does with dino_ckpt_path
    processor, dino = AutoImageProcessor.from_pretrained(paths.dino), AutoModel.from_pretrained(paths.dino)
    pixels = processor(images=Image.fromarray(np.full((40, 40, 3), 200, np.uint8)), return_tensors="pt").pixel_values
    with torch.no_grad():
        tokens = dino(pixels).last_hidden_state
    assert tokens.shape == (1, 5, 32) and torch.isfinite(tokens).all()
    # the components DiffusionPipeline.from_pretrained reads by model_index.json
    vae = AutoencoderKL.from_pretrained(paths.paint / "vae")
    with torch.no_grad():
        image = vae.decode(vae.encode(torch.zeros(1, 3, 16, 16)).latent_dist.mode()).sample
    assert image.shape == (1, 3, 16, 16)
    tokenizer = CLIPTokenizer.from_pretrained(paths.paint / "tokenizer")
    encoder = CLIPTextModel.from_pretrained(paths.paint / "text_encoder")
    ids = tokenizer("high quality", padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():
        assert encoder(ids).last_hidden_state.shape == (1, 77, 32)
    scheduler = UniPCMultistepScheduler.from_config(
        DDIMScheduler.from_pretrained(paths.paint / "scheduler").config, timestep_spacing="trailing")
    scheduler.set_timesteps(15)
    assert len(scheduler.timesteps) == 15
    assert check_realesrgan(paths.realesrgan, TINY_RRDB) == len(TINY_RRDB.shapes())


def test_missing_2_1_weights_name_every_entry_and_its_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    with pytest.raises(ModelUnavailableError) as err:
        resolve_paint21_weights()
    message = str(err.value)
    for name in (PAINT21_MODEL, DINO_MODEL, REALESRGAN_MODEL):
        assert f"model '{name}' (stage texture)" in message and f"hoiexport models fetch {name}" in message
    assert message.count("model '") == 3  # one head per entry


def test_pinned_hashes_refuse_files_that_are_not_the_release(tmp_path, monkeypatch):
    """The lock pins RealESRGAN_x4plus.pth (and the 2.1 weights) by sha256 and size:
    a file of another content is refused by the resolver."""
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    _write_paint21_entries(tmp_path)
    pinned = load_lock().get(REALESRGAN_MODEL).files[0]
    assert pinned.pinned and pinned.size == 67040989
    with pytest.raises(ModelUnavailableError, match=REALESRGAN_MODEL):
        resolve_paint21_weights()


def test_wrong_2_1_files_are_named(tmp_path, monkeypatch):
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    _write_paint21_entries(tmp_path)
    lock = unpinned_lock((PAINT21_MODEL, DINO_MODEL, REALESRGAN_MODEL))
    with pytest.raises(ModelUnavailableError, match="not the Real-ESRGAN x4plus RRDBNet"):
        resolve_paint21_weights(lock=lock)  # tiny file, checked against the x4plus sizes
    index = tmp_path / PAINT21_MODEL / PAINT21_SUBFOLDER / "model_index.json"
    index.write_text('{"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2DConditionModel"]}')
    with pytest.raises(ModelUnavailableError, match="is not Hunyuan3D-Paint 2.1's"):
        resolve_paint21_weights(Paint21Weights(realesrgan=tmp_path / REALESRGAN_MODEL), lock=lock,
                                realesrgan_size=TINY_RRDB)
    bad = tmp_path / "other.pth"
    torch.save({"params": {"conv_first.weight": torch.zeros(2, 3, 3, 3)}}, bad)
    with pytest.raises(ModelUnavailableError, match=r"missing \['body"):
        check_realesrgan(bad, TINY_RRDB)
    torch.save({"state_dict": {}}, bad)
    with pytest.raises(ModelUnavailableError, match="no 'params_ema' or 'params'"):
        check_realesrgan(bad)


def test_realesrgan_x4plus_sizes_give_its_parameter_count():
    """basicsr's x4 RRDBNet with 23 blocks, 64 features, growth 32 has 16 697 987 parameters."""
    shapes = RRDBNetSize().shapes()
    assert sum(int(np.prod(s)) for s in shapes.values()) == 16_697_987
    assert shapes["body.22.rdb3.conv5.weight"] == (64, 64 + 4 * 32, 3, 3)


def test_paint21_options_are_checked():
    assert Paint21Options() == Paint21Options(max_num_view=6, resolution=512, use_remesh=True)
    for bad in ({"max_num_view": 12}, {"resolution": 1024}, {"use_remesh": 1}):
        with pytest.raises(InputError, match="Paint21Options"):
            Paint21Options(**bad)


@pytest.mark.gpu
def test_hunyuan3d_2_1_paint_textures_in_the_input_frame():
    """Real Hunyuan3D-Paint 2.1 (needs CUDA, the 2.1 checkout with its compiled parts,
    $HOIEXPORT_HY3DPAINT_DIR and the three lock entries' weights)."""
    runtime = Runtime(device="cuda")
    reason = paint21_unavailable_reason(runtime)
    if reason is not None:
        pytest.skip(reason)
    try:
        painter = Hunyuan3D21Paint.from_pretrained(runtime=runtime)
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
    assert np.allclose(out.vertices.min(axis=0), mesh.vertices.min(axis=0), atol=1e-2)
    assert np.allclose(out.vertices.max(axis=0), mesh.vertices.max(axis=0), atol=1e-2)


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
