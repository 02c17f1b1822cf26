"""Stage 4a of `hoi3dgen`: a cut-out image → an untextured mesh with Hunyuan3D-2's
shape model (`hy3dgen.shapegen`, PyPI package `hy3dgen` 2.0.2).

`Hunyuan3DShape` wraps hy3dgen's `Hunyuan3DDiTFlowMatchingPipeline`: a DINOv2
image conditioner, the Hunyuan3D-DiT flow-matching denoiser over a 3072×64 latent
set, the ShapeVAE decoder to an occupancy field on an octree grid in the box
[-1.01, 1.01]³, and marching cubes at level 0.

Frame. hy3dgen's mesh comes out in the model's own frame, which is already the
internal one (+Y up, the subject facing +Z): Hunyuan3D-2's paint stage, built to
texture these meshes, renders its reference (front) view at azimuth 0, and its
camera code (`texgen/differentiable_renderer/camera_utils.get_mv_matrix` with the
axis swap of `mesh_render.set_mesh`: x_r = -x, y_r = z, z_r = y) puts that camera on
the model's +Z axis, looking down -Z, with +Y up and +X to the image's right. So
`HY3DGEN_TO_INTERNAL` is the identity; it is kept as data so the one conversion is
visible. hy3dgen's marching-cubes vertices are `index / (N + 1) * 2.02 - 1.01` where
the grid sample at index i sits at `i / N * 2.02 - 1.01` (N = octree resolution);
`to_internal_frame` moves them back onto the sampled positions (a 1/(N+1) scale and
shift; 0.3 % at N = 384). Faces are wound counter-clockwise seen from outside
(hy3dgen flips skimage's winding; checked by a positive signed volume). Lengths
are the model's normalised units (the subject spans about 2): "metres up to
scale", registration fixes the scale.

Cleaning (`clean_mesh`, built on `hoiexport.sdk.geometry.prepare.prepare_mesh`):
weld, drop degenerate and duplicate faces, drop floaters below
`ShapeOptions.floater_fraction` of the surface area (NOT "largest component only":
the person and a held object are often separate pieces), then quadric decimation
to `ShapeOptions.max_faces` (`fast_simplification`) and removal of the duplicate
faces a decimation can fold together. The result has vertex normals, no uv, no
texture.

torchvision. hy3dgen's conditioner imports `torchvision.transforms` for three
tensor transforms (Resize, CenterCrop, Normalize). On PyPI, torchvision is built
against the CUDA torch; next to a CPU-only torch (the development and CI machines)
its compiled ops do not load and `import torchvision` fails (and an installed but
broken torchvision also breaks transformers' image processors). When torchvision
cannot be imported, `import_shapegen` imports hy3dgen with
`_torchvision_transforms_subset()` standing in for `torchvision.transforms` during that
one import (removed from `sys.modules` right after): the same three transforms,
written with `torch.nn.functional.interpolate(..., antialias=True)` exactly as
torchvision's tensor path computes them. With torchvision importable (CUDA
machines, `scripts/install_hunyuan.sh`), the real one is used.

Offload: hy3dgen 2.0.2's `enable_model_cpu_offload` on the shape pipeline refers to
a `components` attribute the class does not define, and its sampling loop keeps
latents on `pipeline.device`; the shape weights (2.46 B parameters) are 4.9 GB in fp16, so this
stage always runs fully on the device, whatever `Runtime.offload` says.

Example::

    shape = Hunyuan3DShape.from_pretrained(None, Runtime())
    mesh = shape.lift(cutout.image, seed=7)     # Mesh, +Y up, faces +Z
"""

from __future__ import annotations

import contextlib
import enum
import importlib
import importlib.machinery
import importlib.util
import os
import sys
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.core.types import Mesh
from hoiexport.sdk.models import ModelRef, RequiredPaths, load_checkpoint, resolve_weights
from hoiexport.sdk.models.messages import fetch_command, redownload, unusable

SHAPE_MODEL = "hunyuan3d-2-shape"
"""Lock entry of the Hunyuan3D-2 shape weights."""

DIT_SUBFOLDER = "hunyuan3d-dit-v2-0"
"""Folder (inside the lock entry) of the single-file DiT + VAE + conditioner checkpoint."""

CONFIG_NAME = "config.yaml"
WEIGHTS_NAME = "model.fp16.safetensors"
"""hy3dgen's file names for `use_safetensors=True, variant='fp16'` (its defaults)."""

WEIGHTS = ModelRef(
    SHAPE_MODEL,
    "image_to_shape",
    RequiredPaths(
        f"the {SHAPE_MODEL} folder (holding {DIT_SUBFOLDER}/) or that subfolder",
        files=(f"{DIT_SUBFOLDER}/{CONFIG_NAME}", f"{DIT_SUBFOLDER}/{WEIGHTS_NAME}"),
    ),
)
"""Where `Hunyuan3DShape.from_pretrained` finds its weights."""

COMPONENTS = ("model", "vae", "conditioner", "scheduler", "image_processor")
"""Sections of hy3dgen's config.yaml; the first three have weights in the checkpoint."""

HY3DGEN_TO_INTERNAL = np.eye(3, dtype=np.float64)
"""Rotation from hy3dgen's output frame to the internal frame (identity: see the
module docstring for the derivation)."""

BOX_HALF = 1.01
"""Half edge of the cube hy3dgen decodes the occupancy field in (its `box_v` default)."""

INSTALL_HINT = "bash scripts/install_hunyuan.sh (or pip install 'hoiexport[hunyuan]')"
"""How to install hy3dgen and the parts of its dependencies the shape code needs."""


@dataclass(frozen=True)
class ShapeOptions:
    """Settings of `Hunyuan3DShape.lift`.

    Attributes:
        steps: flow-matching steps (hy3dgen's `__call__` default, 50).
        guidance: classifier-free guidance scale (hy3dgen's default, 5.0; < 0
            turns guidance off, as in hy3dgen).
        octree_resolution: cells per edge of the grid the occupancy field is
            decoded on (hy3dgen's `__call__` default, 384; its demo app uses 256).
        num_chunks: grid points decoded per VAE call (memory vs. speed).
        max_faces: face budget; larger meshes are decimated to it.
        floater_fraction: connected pieces smaller than this fraction of the
            surface area are dropped (the largest piece is always kept).
        background_threshold: a pixel whose three channels are all >= this is
            background (the cut-out's white); the rest is the subject's alpha mask
            handed to hy3dgen's recentring.
    """

    steps: int = 50
    guidance: float = 5.0
    octree_resolution: int = 384
    num_chunks: int = 50_000
    max_faces: int = 20_000
    floater_fraction: float = 0.005
    background_threshold: int = 250

    def __post_init__(self) -> None:
        checks = (
            (isinstance(self.steps, int) and self.steps >= 1, f"steps must be an integer >= 1, got {self.steps!r}"),
            (isinstance(self.guidance, (int, float)) and np.isfinite(self.guidance),
             f"guidance must be a finite number, got {self.guidance!r}"),
            (isinstance(self.octree_resolution, int) and 8 <= self.octree_resolution <= 1024,
             f"octree_resolution must be an integer in [8, 1024], got {self.octree_resolution!r}"),
            (isinstance(self.num_chunks, int) and self.num_chunks >= 1,
             f"num_chunks must be an integer >= 1, got {self.num_chunks!r}"),
            (isinstance(self.max_faces, int) and self.max_faces >= 4,
             f"max_faces must be an integer >= 4, got {self.max_faces!r}"),
            (isinstance(self.floater_fraction, (int, float)) and 0.0 <= self.floater_fraction < 1.0,
             f"floater_fraction must be in [0, 1), got {self.floater_fraction!r}"),
            (isinstance(self.background_threshold, int) and 1 <= self.background_threshold <= 255,
             f"background_threshold must be an integer in [1, 255], got {self.background_threshold!r}"),
        )
        for ok, message in checks:
            if not ok:
                raise InputError(f"ShapeOptions.{message}")


# ----------------------------------------------------------------------------- image


def check_image(image: Any, what: str = "image") -> np.ndarray:
    """`image` as a C-contiguous (H, W, 3) uint8 array, or an `InputError`."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        desc = f"{image.shape} {image.dtype}" if isinstance(image, np.ndarray) else type(image).__name__
        raise InputError(f"{what} must be an (H, W, 3) uint8 sRGB array, got {desc}")
    if min(image.shape[:2]) < 2:
        raise InputError(f"{what} must be at least 2×2 pixels, got {image.shape[1]}×{image.shape[0]}")
    return np.ascontiguousarray(image)


def foreground_mask(image: np.ndarray, threshold: int = 250) -> np.ndarray:
    """The subject's pixels of a cut-out on white.

    Args:
        image: (H, W, 3) uint8 sRGB.
        threshold: a pixel with all three channels >= `threshold` is background.

    Returns:
        (H, W) bool, True on the subject.
    """
    return np.asarray((np.asarray(image) < threshold).any(axis=2))


def rgba_cutout(image: np.ndarray, threshold: int):
    """The cut-out as a PIL RGBA image whose alpha is `foreground_mask` (what
    hy3dgen's `ImageProcessorV2.recenter` crops and centres on)."""
    from PIL import Image

    mask = foreground_mask(image, threshold)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) < 2 or len(cols) < 2:
        raise InputError(
            f"image has no subject at least 2×2 pixels large (a pixel with all channels >= {threshold} "
            "is background); pass the Cutout.image of a detected subject"
        )
    rgba = np.concatenate([image, np.where(mask, 255, 0).astype(np.uint8)[..., None]], axis=2)
    return Image.fromarray(rgba, "RGBA")


# ----------------------------------------------------------------------------- hy3dgen import


class _InterpolationMode(enum.Enum):
    """`torchvision.transforms.InterpolationMode`, the member hy3dgen uses."""

    BILINEAR = "bilinear"


class _Compose:
    def __init__(self, transforms: Sequence[Any]) -> None:
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class _Resize:
    """torchvision `Resize(size: int)` on a (B, C, H, W) float tensor: the shorter
    edge becomes `size`, the longer `int(size * long / short)`; bilinear with
    antialiasing, `align_corners=False` (torchvision's tensor path)."""

    def __init__(self, size: int, interpolation: _InterpolationMode = _InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool = True) -> None:
        if not isinstance(size, int) or interpolation is not _InterpolationMode.BILINEAR or max_size is not None:
            raise NotImplementedError("only Resize(int, BILINEAR) is provided without torchvision")
        self.size = size
        self.antialias = antialias

    def __call__(self, x):
        import torch.nn.functional as F

        h, w = x.shape[-2:]
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = self.size, int(self.size * long / short)
        size = (new_short, new_long) if h <= w else (new_long, new_short)
        if (h, w) == size:
            return x
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=self.antialias)


class _CenterCrop:
    """torchvision `CenterCrop(size: int)` for images at least `size` on each edge."""

    def __init__(self, size: int) -> None:
        self.size = int(size)

    def __call__(self, x):
        h, w = x.shape[-2:]
        if h < self.size or w < self.size:
            raise NotImplementedError("CenterCrop with padding is not provided without torchvision")
        top = round((h - self.size) / 2.0)
        left = round((w - self.size) / 2.0)
        return x[..., top : top + self.size, left : left + self.size]


class _Normalize:
    """torchvision `Normalize(mean, std)`: (x - mean) / std per channel."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        self.mean = list(mean)
        self.std = list(std)

    def __call__(self, x):
        import torch

        mean = torch.as_tensor(self.mean, dtype=x.dtype, device=x.device).view(-1, 1, 1)
        std = torch.as_tensor(self.std, dtype=x.dtype, device=x.device).view(-1, 1, 1)
        return (x - mean) / std


def _torchvision_transforms_subset() -> tuple[types.ModuleType, types.ModuleType]:
    """Module objects `torchvision` / `torchvision.transforms` with the subset above."""
    transforms: Any = types.ModuleType("torchvision.transforms")  # Any: attributes set below
    transforms.__spec__ = importlib.machinery.ModuleSpec("torchvision.transforms", None)
    transforms.Compose = _Compose
    transforms.Resize = _Resize
    transforms.CenterCrop = _CenterCrop
    transforms.Normalize = _Normalize
    transforms.InterpolationMode = _InterpolationMode
    package: Any = types.ModuleType("torchvision")
    package.__spec__ = importlib.machinery.ModuleSpec("torchvision", None, is_package=True)
    package.__path__ = []
    package.transforms = transforms
    return package, transforms


def _torchvision_importable() -> bool:
    """Whether the real `torchvision.transforms` imports (clears a failed import)."""
    if importlib.util.find_spec("torchvision") is None:
        return False
    try:
        importlib.import_module("torchvision.transforms")
        return True
    except Exception:  # noqa: BLE001 - a CUDA torchvision next to a CPU torch raises RuntimeError
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]
        return False


@contextlib.contextmanager
def _transforms_subset_in_sys_modules() -> Iterator[None]:
    """Let `from torchvision import transforms` find the subset for one import."""
    # diffusers and transformers probe for torchvision when imported / first asked;
    # settle those probes (both: not available) before the stand-in is visible.
    import diffusers.utils.import_utils  # noqa: F401
    from transformers.utils import import_utils as tf_import_utils

    tf_import_utils.is_torchvision_available()
    package, transforms = _torchvision_transforms_subset()
    saved = {n: sys.modules.get(n) for n in ("torchvision", "torchvision.transforms")}
    sys.modules["torchvision"] = package
    sys.modules["torchvision.transforms"] = transforms
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def import_shapegen() -> types.ModuleType:
    """Import `hy3dgen.shapegen` (see the module docstring on torchvision).

    Returns:
        The `hy3dgen.shapegen` module.

    Raises:
        ModelUnavailableError: hy3dgen or one of the dependencies its shape code
            imports (einops, scikit-image, opencv, pymeshlab) is not installed.
    """
    loaded = sys.modules.get("hy3dgen.shapegen")
    if loaded is not None:
        return loaded
    try:
        if _torchvision_importable():
            return importlib.import_module("hy3dgen.shapegen")
        with _transforms_subset_in_sys_modules():
            return importlib.import_module("hy3dgen.shapegen")
    except ImportError as exc:
        for name in [n for n in sys.modules if n == "hy3dgen.shapegen" or n.startswith("hy3dgen.shapegen.")]:
            del sys.modules[name]
        raise ModelUnavailableError(
            f"the Hunyuan3D shape stage (image_to_shape) needs hy3dgen and its shape dependencies: "
            f"importing hy3dgen.shapegen failed ({exc}); run {INSTALL_HINT}"
        ) from exc


# ----------------------------------------------------------------------------- loading


def _check_targets(config: Mapping[str, Any], path: Path) -> None:
    """Refuse a config whose `target`s leave hy3dgen's shape package (hy3dgen
    instantiates whatever dotted path a config names)."""
    for section in COMPONENTS:
        table = config.get(section)
        if not isinstance(table, Mapping) or not isinstance(table.get("target"), str):
            raise redownload(SHAPE_MODEL, WEIGHTS.stage, f"{path}: section {section!r} with a 'target' is missing")
        target = table["target"]
        if not target.startswith("hy3dgen.shapegen."):
            raise redownload(
                SHAPE_MODEL, WEIGHTS.stage,
                f"{path}: {section}.target {target!r} is outside hy3dgen.shapegen and is refused",
            )


def load_components(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """Build hy3dgen's shape components from a `hunyuan3d-dit-v2-0`-style folder.

    The folder holds hy3dgen's `config.yaml` and the single-file checkpoint
    `model.fp16.safetensors`, whose tensor names are prefixed by component
    ("model.", "vae.", "conditioner."). Read with `load_checkpoint` (safetensors).

    Args:
        folder: the subfolder itself (e.g. `<models>/hunyuan3d-2-shape/hunyuan3d-dit-v2-0`).

    Returns:
        name → object for `COMPONENTS`, modules in fp32 on the CPU, weights loaded.

    Raises:
        ModelUnavailableError: a missing file, a refused config target, or weights
            that do not fit the configured modules.
    """
    import yaml

    folder = Path(folder)
    config_path = folder / CONFIG_NAME
    weights_path = folder / WEIGHTS_NAME
    if not config_path.is_file():
        raise unusable(SHAPE_MODEL, WEIGHTS.stage, f"{config_path} missing", f"run `{fetch_command(SHAPE_MODEL)}`")
    with open(config_path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    if not isinstance(config, Mapping):
        raise redownload(SHAPE_MODEL, WEIGHTS.stage, f"{config_path} is not a YAML mapping")
    _check_targets(config, config_path)
    if not weights_path.is_file():
        raise unusable(SHAPE_MODEL, WEIGHTS.stage, f"{weights_path} missing", f"run `{fetch_command(SHAPE_MODEL)}`")

    import_shapegen()
    from hy3dgen.shapegen.pipelines import instantiate_from_config

    state = load_checkpoint(weights_path)
    parts: dict[str, dict[str, Any]] = {}
    for key, tensor in state.items():
        prefix, _, rest = key.partition(".")
        parts.setdefault(prefix, {})[rest] = tensor
    components: dict[str, Any] = {}
    for name in COMPONENTS:
        components[name] = instantiate_from_config(config[name])
    for name in ("model", "vae", "conditioner"):
        # hy3dgen tolerates a checkpoint without conditioner tensors (its DINOv2 then
        # comes from the Hub or stays random); here every network must be in the file.
        if name not in parts:
            raise redownload(SHAPE_MODEL, WEIGHTS.stage, f"{weights_path} has no '{name}.*' tensors")
        try:
            components[name].load_state_dict(parts[name], strict=True)
        except RuntimeError as exc:
            raise redownload(
                SHAPE_MODEL, WEIGHTS.stage,
                f"{weights_path}: the '{name}' weights do not fit {config_path}'s {name} ({exc})",
            ) from exc
    return components


# ----------------------------------------------------------------------------- backend


def to_internal_frame(vertices: np.ndarray, octree_resolution: int, half: float = BOX_HALF) -> np.ndarray:
    """hy3dgen's marching-cubes vertices → the internal frame.

    Undoes hy3dgen's `index / (N + 1)` vertex scaling (vertices go back onto the
    grid's sample positions `index / N * 2 half - half`), then applies
    `HY3DGEN_TO_INTERNAL` (identity, see the module docstring).

    Args:
        vertices: (V, 3) float, hy3dgen's output (`Latent2MeshOutput.mesh_v` /
            its trimesh), model units.
        octree_resolution: N, the grid's cells per edge.
        half: half edge of the decoding box (`box_v`).

    Returns:
        (V, 3) float64, internal frame, model units.
    """
    n = float(octree_resolution)
    on_grid = (np.asarray(vertices, dtype=np.float64) + half) * ((n + 1.0) / n) - half
    return on_grid @ HY3DGEN_TO_INTERNAL.T


def clean_mesh(mesh: Mesh, options: ShapeOptions) -> Mesh:
    """Weld, drop degenerate / duplicate faces and floaters, decimate to the budget.

    `hoiexport.sdk.geometry.prepare.prepare_mesh` with `options.floater_fraction`
    (by surface area; the largest piece is always kept, every piece at least that
    large too) and `options.max_faces` (quadric decimation, `fast_simplification`).

    Args:
        mesh: a raw lifted mesh, internal frame.
        options: `floater_fraction` and `max_faces` are used.

    Returns:
        (V, 3) float32 / (F, 3) int32 mesh with vertex normals, at most
        `options.max_faces` faces.
    """
    from hoiexport.sdk.geometry.options import PrepareOptions
    from hoiexport.sdk.geometry.prepare import prepare_mesh

    prepared = prepare_mesh(
        mesh,
        options.max_faces,
        PrepareOptions(floater_fraction=float(options.floater_fraction), floater_measure="area"),
    )
    out = prepared.mesh
    faces = out.faces.astype(np.int64)
    if prepared.stats.decimated:  # quadric collapses can fold two faces onto the same corners
        _, first = np.unique(np.sort(faces, axis=1), axis=0, return_index=True)
        faces = faces[np.sort(first)]
    return Mesh(vertices=out.vertices, faces=faces, normals=out.normals, name=mesh.name)


def shape_dtype(runtime: Runtime):
    """The torch dtype the shape pipeline runs in: fp32 on the CPU or when the
    runtime asks for fp32, else fp16, also for a bf16 runtime. hy3dgen decodes the
    grid's query coordinates in the pipeline dtype; bf16's 8-bit mantissa would
    quantise them to 1/128 near ±1, coarser than a cell at octree resolution 384
    (2.02/384), and the published weights are fp16."""
    import torch

    return torch.float32 if runtime.dtype == torch.float32 else torch.float16


class Hunyuan3DShape:
    """`ImageToShape` backend: Hunyuan3D-2 shape (DiT v2.0 + ShapeVAE) via hy3dgen.

    Args:
        model: hy3dgen `Hunyuan3DDiT` denoiser.
        vae: hy3dgen `ShapeVAE`.
        conditioner: hy3dgen `SingleImageEncoder` (DINOv2).
        scheduler: hy3dgen `FlowMatchEulerDiscreteScheduler`.
        image_processor: hy3dgen `ImageProcessorV2`.
        runtime: device the pipeline runs on (dtype: `shape_dtype(runtime)`).
        options: lift settings.
    """

    def __init__(
        self,
        *,
        model: Any,
        vae: Any,
        conditioner: Any,
        scheduler: Any,
        image_processor: Any,
        runtime: Runtime,
        options: ShapeOptions = ShapeOptions(),
    ) -> None:
        shapegen = import_shapegen()
        self.runtime = runtime
        self.options = options
        for module in (model, vae, conditioner):
            module.eval()
        self.pipeline = shapegen.Hunyuan3DDiTFlowMatchingPipeline(
            vae=vae,
            model=model,
            scheduler=scheduler,
            conditioner=conditioner,
            image_processor=image_processor,
            device=runtime.device,
            dtype=shape_dtype(runtime),
        )

    @classmethod
    def from_pretrained(
        cls,
        folder: str | os.PathLike[str] | None = None,
        runtime: Runtime | None = None,
        options: ShapeOptions = ShapeOptions(),
    ) -> Hunyuan3DShape:
        """Load the pinned Hunyuan3D-2 shape model.

        Args:
            folder: the lock entry's folder (holding `hunyuan3d-dit-v2-0/`), or that
                subfolder itself; None resolves `SHAPE_MODEL` through the lock
                (`HOIEXPORT_MODELS`), checking its files.
            runtime: device / dtype; default `Runtime()`.
            options: lift settings.

        Raises:
            ModelUnavailableError: weights missing or mismatched (names the model,
                the stage, the path and the fetch command), or hy3dgen missing.
        """
        runtime = runtime if runtime is not None else Runtime()
        if folder is not None and (Path(folder).expanduser() / CONFIG_NAME).is_file():
            sub = Path(folder).expanduser()
        else:
            sub = resolve_weights(WEIGHTS, folder) / DIT_SUBFOLDER
        components = load_components(sub)
        return cls(**components, runtime=runtime, options=options)

    def lift(self, image: np.ndarray, *, seed: int) -> Mesh:
        """Mesh of the subject of a cut-out image.

        Args:
            image: (S, S, 3) uint8 sRGB, subject on white (`Cutout.image`); any
                H×W is accepted (hy3dgen recentres and squares it).
            seed: seed of the initial latent noise (`Runtime.generator`).

        Returns:
            `Mesh` (V, 3) float32 / (F, 3) int32 in the internal frame (+Y up,
            facing +Z), model units (the subject spans about 2), at most
            `options.max_faces` faces, with vertex normals, no uv or texture.

        Raises:
            InputError: a bad or all-white image, or no surface in the decoded
                occupancy field (no zero crossing on the grid).
        """
        import torch

        image = check_image(image)
        opts = self.options
        pil = rgba_cutout(image, opts.background_threshold)
        with torch.inference_mode():
            outputs = self.pipeline(
                image=pil,
                num_inference_steps=opts.steps,
                guidance_scale=float(opts.guidance),
                generator=self.runtime.generator(seed),
                box_v=BOX_HALF,
                octree_resolution=opts.octree_resolution,
                mc_level=0.0,
                num_chunks=opts.num_chunks,
                output_type="trimesh",
                enable_pbar=False,
            )
        raw = outputs[0] if isinstance(outputs, list) else outputs
        if raw is None or len(raw.faces) == 0:
            raise InputError(
                f"Hunyuan3D found no surface for this image (seed {seed}, octree resolution "
                f"{opts.octree_resolution}): the decoded occupancy field has no zero crossing on the grid; "
                "check that the image shows the subject on white, or try another seed"
            )
        vertices = to_internal_frame(raw.vertices, opts.octree_resolution)
        mesh = Mesh(vertices=vertices, faces=np.asarray(raw.faces), name="lifted")
        mesh.validate()
        return clean_mesh(mesh, opts)
