"""Stage 4b of `hoi3dgen`: texture a lifted mesh from its view image.

Three `Texturer` paths in the registry `TEXTURERS`, and `choose_texturer` to pick
one (its `name` goes into provenance; `TexturerChoice.reason` says why the paths
tried before it did not run):

- `Hunyuan3D21Paint` ("hunyuan3d-2.1-paint"): the texturer HOI3DGen's release
  runs (agshar96/Hoi3DGen `run_t23d_pipe.sh` step 6, in its HY21_ENV): the
  Hunyuan3D-2.1 source checkout's `hy3dpaint/textureGenPipeline.py` — PBR
  multi-view diffusion conditioned on DINOv2-giant, Real-ESRGAN x4 upsampling,
  baking into a UV atlas. Its code is not a pip package and needs two compiled
  parts (the CUDA rasteriser `custom_rasterizer` and the pybind11
  `mesh_inpaint_processor`) and Blender's `bpy`; `$HOIEXPORT_HY3DPAINT_DIR` names
  the checkout's `hy3dpaint/` folder (docs/hunyuan21.md). Weights: lock entries
  `hunyuan3d-2-1-paintpbr`, `dinov2-giant`, `realesrgan-x4plus`. It has not run on
  the development machines (no CUDA there).
- `Hunyuan3DPaint` ("hunyuan3d-paint"): hy3dgen's (PyPI `hy3dgen` 2.0.2)
  `Hunyuan3DPaintPipeline` (Hunyuan3D-Delight de-lighting, Hunyuan3D-Paint 2.0
  multi-view diffusion over six orthographic views, back-projection into an
  xatlas atlas, inpainting). It needs CUDA and hy3dgen's CUDA rasteriser
  `custom_rasterizer`, which is not on PyPI (built from the Hunyuan3D-2 sources,
  `hy3dgen/texgen/custom_rasterizer`); the `hunyuan3d-2-paint` weights come
  through the lock. Not run on the development machines either.
- `ProjectionTexturer` ("projection"), everywhere else: an xatlas atlas
  (`hoiexport.sdk.geometry.uv.unwrap_atlas`), every texel's surface point
  (`rasterize_uv`), the points visible from +Z (facing +Z and not occluded: an
  embree ray cast towards +Z through `trimesh`), their colour from the image by
  orthographic projection along -Z, every other texel the colour of the nearest
  seen surface point (3-D nearest neighbour; far from every seen point, to the
  nearest seen sample of a voxel grid of 1/64 of the mesh's diagonal), texels
  outside the charts the colour of the nearest chart texel.

`prefer="auto"` tries `AUTO_ORDER` (2.1 paint, 2.0 paint, projection) and takes
the first that runs.

Camera of the projection. The image (`Cutout.image`) shows the subject from +Z. Its
camera is not known: Hunyuan3D-2 conditions on the image without a camera model,
and its own paint stage views the mesh orthographically (`MeshRender`
`camera_type='orth'`, front view at azimuth 0 = from +Z, +Y up, +X to the right).
So the projection is orthographic along -Z, and the image is registered to the mesh
by matching the subject's pixel bounding box (pixels that are not background
white) to the mesh's X/Y bounding box, each axis on its own: image column ↔ +X,
image row ↔ -Y. Colours are interpolated bilinearly in sRGB. Texels whose pixel lies
on the subject's outline (within `edge_px` of the background) count as unseen, so
no white from the background bleeds in.

Example::

    choice = choose_texturer(runtime)        # "hunyuan3d-2.1-paint", "hunyuan3d-paint" or "projection"
    textured = choice.texturer.texture(mesh, cutout.image)
    provenance["texture"] = choice.texturer.name   # and choice.reason, choice.lock_entries
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.protocols import Texturer
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.shape import check_image, foreground_mask, rgba_cutout
from hoiexport.sdk.core.types import Mesh, SurfacePBR, Texture
from hoiexport.sdk.models import LockFile, ModelRef, RequiredPaths, load_checkpoint, resolve_weights
from hoiexport.sdk.models.messages import model_head, redownload

TexturerName = Literal["hunyuan3d-2.1-paint", "hunyuan3d-paint", "projection"]
"""Which texturing path ran (recorded in provenance)."""

Preference = Literal["auto", "hunyuan3d-2.1-paint", "hunyuan3d-paint", "projection"]
"""`make_texturer`'s choice: "auto" = the first of `AUTO_ORDER` that can run, or one path by name."""

PAINT_MODEL = "hunyuan3d-2-paint"
"""Lock entry of the Hunyuan3D-Paint and Hunyuan3D-Delight weights."""

PAINT_SUBFOLDERS = ("hunyuan3d-delight-v2-0", "hunyuan3d-paint-v2-0")
"""Folders hy3dgen's `Hunyuan3DPaintPipeline.from_pretrained(path)` reads under `path`."""
PAINT_FILES = (
    "hunyuan3d-delight-v2-0/model_index.json",
    "hunyuan3d-paint-v2-0/model_index.json",
    "hunyuan3d-paint-v2-0/unet/config.json",
    "hunyuan3d-paint-v2-0/unet/diffusion_pytorch_model.bin",
    "hunyuan3d-paint-v2-0/unet/modules.py",
)
"""Files the loaders read by name: the two diffusers indexes, and the paint UNet,
which diffusers imports from `unet/modules.py` (model_index.json names it
("modules", "UNet2p5DConditionModel")) and whose `from_pretrained` reads
`unet/config.json` + `unet/diffusion_pytorch_model.bin` (torch.load weights_only=True)."""
WEIGHTS = ModelRef(
    PAINT_MODEL,
    "texture",
    RequiredPaths(f"the {PAINT_MODEL} folder (holding {' and '.join(PAINT_SUBFOLDERS)})", files=PAINT_FILES,
                  folders=PAINT_SUBFOLDERS),
)
"""Where `Hunyuan3DPaint.from_pretrained` finds its weights."""

VIEW_DIRECTION = np.array([0.0, 0.0, 1.0])
"""Direction from the subject towards the camera of the view image (+Z)."""

NEAR_DIVISIONS = 128
"""Unseen texels within (bounding-box diagonal / this) of a seen point copy the
nearest one's colour exactly; farther ones that of a voxel-grid sample (`_fill_from_seen`)."""


def _check_mesh(mesh: Mesh) -> None:
    if not isinstance(mesh, Mesh):
        raise InputError(f"mesh must be a hoiexport Mesh, got {type(mesh).__name__}")
    mesh.validate()
    if len(mesh.faces) == 0:
        raise InputError(f"{mesh.name} has no faces; texturing needs a surface")


# ----------------------------------------------------------------------------- projection


@dataclass(frozen=True)
class ProjectionOptions:
    """Settings of `ProjectionTexturer`.

    Attributes:
        size: texture edge, texels (also the atlas resolution xatlas packs for).
        padding: texels between xatlas charts.
        background_threshold: a pixel with all channels >= this is background.
        min_facing: a surface point counts as visible only where its face normal's
            +Z component (cosine to the view direction) exceeds this; grazing faces
            would smear one pixel over many texels.
        edge_px: pixels of the subject's outline treated as unseen (the subject
            mask is eroded by this much before testing a projected texel).
    """

    size: int = 1024
    padding: int = 4
    background_threshold: int = 250
    min_facing: float = 0.1
    edge_px: int = 1

    def __post_init__(self) -> None:
        checks = (
            (isinstance(self.size, int) and 64 <= self.size <= 8192,
             f"size must be an integer in [64, 8192], got {self.size!r}"),
            (isinstance(self.padding, int) and 0 <= self.padding <= 64,
             f"padding must be an integer in [0, 64], got {self.padding!r}"),
            (isinstance(self.background_threshold, int) and 1 <= self.background_threshold <= 255,
             f"background_threshold must be an integer in [1, 255], got {self.background_threshold!r}"),
            (isinstance(self.min_facing, (int, float)) and 0.0 <= self.min_facing < 1.0,
             f"min_facing must be in [0, 1), got {self.min_facing!r}"),
            (isinstance(self.edge_px, int) and 0 <= self.edge_px <= 16,
             f"edge_px must be an integer in [0, 16], got {self.edge_px!r}"),
        )
        for ok, message in checks:
            if not ok:
                raise InputError(f"ProjectionOptions.{message}")


@dataclass
class ProjectionResult:
    """What `ProjectionTexturer.bake` made.

    Attributes:
        mesh: the input surface split along the atlas seams, with uv (V', 2)
            float32 (glTF convention) and the baked base-colour texture
            (size, size, 3) uint8 sRGB; internal frame, same units as the input.
        covered: (size, size) bool, texels whose centre lies inside a chart.
        seen: (size, size) bool, covered texels coloured from the image (visible
            from +Z, inside the subject); the other covered texels were filled.
        seen_fraction: seen texels / covered texels.
        seconds: wall time per step ("unwrap", "raster", "visibility", "sample",
            "fill", "total").
    """

    mesh: Mesh
    covered: np.ndarray
    seen: np.ndarray
    seen_fraction: float
    seconds: dict[str, float] = field(default_factory=dict)


def _bilinear(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(N, 3) float64 colours of `image` at continuous pixel coordinates (0 = the
    first pixel's centre), edges clamped."""
    import scipy.ndimage

    coords = np.stack([rows, cols])
    return np.stack(
        [scipy.ndimage.map_coordinates(image[..., c].astype(np.float64), coords, order=1, mode="nearest")
         for c in range(3)],
        axis=1,
    )


def _fill_from_seen(
    seen_points: np.ndarray, seen_colours: np.ndarray, points: np.ndarray, near: float
) -> np.ndarray:
    """Colours of unseen surface points from the nearest seen ones.

    Two passes: a point within `near` of a seen point takes the exact nearest one's
    colour; a farther point (inside a whole unseen region) takes the colour of the
    nearest seen sample on a grid of `2 near` voxels (one seen point per voxel).
    Exact nearest-neighbour queries far from every seen point are slow (a k-d tree
    then visits most of its leaves: 78 s for 350k texels of a 1024² sphere bake),
    and such regions get a guessed colour either way.

    Args:
        seen_points: (S, 3) float64 seen surface points.
        seen_colours: (S, 3) float64 their colours.
        points: (N, 3) float64 unseen surface points.
        near: distance of the exact pass, mesh units.

    Returns:
        (N, 3) float64 colours.
    """
    from scipy.spatial import cKDTree

    out = np.empty((len(points), 3), dtype=np.float64)
    dist, nearest = cKDTree(seen_points).query(points, k=1, distance_upper_bound=near, workers=-1)
    found = np.isfinite(dist)
    out[found] = seen_colours[nearest[found]]
    far = ~found
    if far.any():
        keys = np.floor(seen_points / (2.0 * near)).astype(np.int64)
        _, first = np.unique(keys, axis=0, return_index=True)
        _, sample = cKDTree(seen_points[first]).query(points[far], k=1, workers=-1)
        out[far] = seen_colours[first[sample]]
    return out


class ProjectionTexturer:
    """`Texturer` that projects the view image onto the surface seen from +Z and
    fills the rest from the nearest seen surface (see the module docstring)."""

    name: TexturerName = "projection"

    def __init__(self, options: ProjectionOptions = ProjectionOptions()) -> None:
        self.options = options

    def texture(self, mesh: Mesh, image: np.ndarray) -> Mesh:
        """`bake(mesh, image).mesh`."""
        return self.bake(mesh, image).mesh

    def bake(self, mesh: Mesh, image: np.ndarray) -> ProjectionResult:
        """Unwrap `mesh` and bake `image` into its atlas.

        Args:
            mesh: internal frame (+Y up, the subject facing +Z); any units.
            image: (H, W, 3) uint8 sRGB, the subject seen from +Z on white.

        Returns:
            The textured mesh and where the colours came from.

        Raises:
            InputError: a bad mesh or image, or an image with no subject.
        """
        import scipy.ndimage
        import trimesh

        from hoiexport.sdk.geometry.options import UVOptions
        from hoiexport.sdk.geometry.uv import rasterize_uv, unwrap_atlas

        t0 = time.perf_counter()
        seconds: dict[str, float] = {}
        opts = self.options
        _check_mesh(mesh)
        image = check_image(image)
        subject = foreground_mask(image, opts.background_threshold)
        rows_any, cols_any = np.flatnonzero(subject.any(axis=1)), np.flatnonzero(subject.any(axis=0))
        if len(rows_any) == 0:
            raise InputError(
                f"image has no subject (every pixel has all channels >= {opts.background_threshold}); "
                "pass the Cutout.image the mesh was lifted from"
            )

        t = time.perf_counter()
        plain = Mesh(vertices=mesh.vertices, faces=mesh.faces, normals=mesh.normals, name=mesh.name)
        atlas = unwrap_atlas(plain, UVOptions(resolution=opts.size, padding=opts.padding, workers=1)).mesh
        assert atlas.uv is not None  # unwrap_atlas's mesh always has uv
        seconds["unwrap"] = time.perf_counter() - t

        t = time.perf_counter()
        size = opts.size
        raster = rasterize_uv(atlas.uv, atlas.faces, size, size, inclusive=True)
        vertices = atlas.vertices.astype(np.float64)
        faces = atlas.faces.astype(np.int64)
        corners = vertices[faces[raster.face]]  # (N, 3, 3)
        points = np.einsum("nk,nkd->nd", raster.bary.astype(np.float64), corners)
        cross = np.cross(vertices[faces[:, 1]] - vertices[faces[:, 0]], vertices[faces[:, 2]] - vertices[faces[:, 0]])
        length = np.linalg.norm(cross, axis=1, keepdims=True)
        normals = cross / np.where(length > 0, length, 1.0)
        seconds["raster"] = time.perf_counter() - t

        t = time.perf_counter()
        facing = normals[raster.face] @ VIEW_DIRECTION
        visible = facing > opts.min_facing
        candidates = np.flatnonzero(visible)
        if len(candidates):
            surface = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
            eps = 1e-4 * float(np.linalg.norm(np.ptp(vertices, axis=0)))
            origins = points[candidates] + eps * (normals[raster.face[candidates]] + VIEW_DIRECTION)
            directions = np.broadcast_to(VIEW_DIRECTION, origins.shape)
            occluded = surface.ray.intersects_any(ray_origins=origins, ray_directions=directions)
            visible[candidates[occluded]] = False
        seconds["visibility"] = time.perf_counter() - t

        t = time.perf_counter()
        lo, hi = vertices.min(axis=0), vertices.max(axis=0)
        extent = np.maximum(hi - lo, 1e-12)
        c0, c1 = float(cols_any[0]), float(cols_any[-1] + 1)  # pixel edges of the subject box
        r0, r1 = float(rows_any[0]), float(rows_any[-1] + 1)
        cols = c0 + (points[:, 0] - lo[0]) / extent[0] * (c1 - c0)
        rows = r0 + (hi[1] - points[:, 1]) / extent[1] * (r1 - r0)
        inner = scipy.ndimage.binary_erosion(subject, iterations=opts.edge_px) if opts.edge_px else subject
        h, w = subject.shape
        ri = np.clip(np.floor(rows).astype(np.int64), 0, h - 1)
        ci = np.clip(np.floor(cols).astype(np.int64), 0, w - 1)
        seen = visible & inner[ri, ci]
        colours = np.empty((len(points), 3), dtype=np.float64)
        if seen.any():
            colours[seen] = _bilinear(image, rows[seen] - 0.5, cols[seen] - 0.5)
        seconds["sample"] = time.perf_counter() - t

        t = time.perf_counter()
        unseen = ~seen
        if seen.any() and unseen.any():
            diag = float(np.linalg.norm(extent))
            colours[unseen] = _fill_from_seen(points[seen], colours[seen], points[unseen], diag / NEAR_DIVISIONS)
        elif unseen.any():
            colours[unseen] = image[subject].astype(np.float64).mean(axis=0)
        flat = np.zeros((size * size, 3), dtype=np.float64)
        seen_map = np.zeros(size * size, dtype=bool)
        order = np.argsort(seen, kind="stable")  # unseen entries first: a seen one wins a shared texel
        flat[raster.texel[order]] = colours[order]
        seen_map[raster.texel[seen]] = True
        covered_map = np.zeros(size * size, dtype=bool)
        covered_map[raster.texel] = True
        covered = covered_map.reshape(size, size)
        texture = flat.reshape(size, size, 3)
        if (~covered).any():
            _, (iy, ix) = scipy.ndimage.distance_transform_edt(~covered, return_indices=True)
            texture = texture[iy, ix]
        pixels = np.clip(np.round(texture), 0, 255).astype(np.uint8)
        seconds["fill"] = time.perf_counter() - t

        out = Mesh(
            vertices=atlas.vertices,
            faces=atlas.faces,
            uv=atlas.uv,
            normals=atlas.normals,
            texture=Texture(pixels),
            name=mesh.name,
        )
        n_covered = int(covered_map.sum())
        seconds["total"] = time.perf_counter() - t0
        return ProjectionResult(
            mesh=out,
            covered=covered,
            seen=seen_map.reshape(size, size),
            seen_fraction=float(seen_map.sum()) / max(n_covered, 1),
            seconds=seconds,
        )


# ----------------------------------------------------------------------------- hunyuan3d paint


def paint_unavailable_reason(runtime: Runtime) -> str | None:
    """Why `Hunyuan3DPaint` cannot run with `runtime`, or None when it can.

    Checks, in order: a CUDA device; hy3dgen's CUDA rasteriser `custom_rasterizer`
    is installed; `hy3dgen.texgen` and `custom_rasterizer` import. (The weights
    are checked when loading.)
    """
    if not runtime.device.startswith("cuda"):
        return f"Hunyuan3D-Paint needs a CUDA device (runtime device is {runtime.device!r})"
    if importlib.util.find_spec("custom_rasterizer") is None:
        return ("custom_rasterizer (hy3dgen's CUDA rasteriser) is not installed: build it from the Hunyuan3D-2 "
                "sources (hy3dgen/texgen/custom_rasterizer, `pip install .` on a machine with the CUDA toolkit)")
    for module in ("hy3dgen.texgen", "custom_rasterizer"):
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - any import failure means the path cannot run
            return (f"{module} does not import ({type(exc).__name__}: {exc}); run scripts/install_hunyuan.sh "
                    "and rebuild custom_rasterizer against this torch")
    return None


def load_paint_networks(folder: str | os.PathLike[str], device: str) -> dict[str, Any]:
    """hy3dgen's two paint networks from a `hunyuan3d-2-paint` folder, on `device`.

    - "delight_model": hy3dgen's `Light_Shadow_Remover` (a diffusers
      `StableDiffusionInstructPix2PixPipeline` from `hunyuan3d-delight-v2-0`, fp16).
    - "multiview_model": hy3dgen's `Multiview_Diffusion_Net`, built as its
      `__init__` does (`DiffusionPipeline.from_pretrained(hunyuan3d-paint-v2-0,
      custom_pipeline=hy3dgen/texgen/hunyuanpaint)` in fp16, Euler-ancestral
      scheduler with trailing timesteps, `view_size` 512) but with
      `trust_remote_code=True`: diffusers refuses a custom pipeline and the
      UNet's `unet/modules.py` without it (hy3dgen 2.0.2 predates that rule, so its
      own `__init__` fails on the diffusers hoiexport installs). The code trusted is
      hy3dgen's installed `hunyuanpaint/` package and the weights folder's
      `unet/modules.py`, which the lock entry pins.

    These are what `Hunyuan3DPaintPipeline.load_models` makes; the pipeline itself
    also builds the CUDA rasteriser's renderer, which this function does not.

    Args:
        folder: the lock entry's folder (holding `PAINT_SUBFOLDERS`).
        device: torch device string ("cuda", "cpu").

    Returns:
        {"delight_model": ..., "multiview_model": ...}.
    """
    import torch
    from diffusers import DiffusionPipeline, EulerAncestralDiscreteScheduler
    from hy3dgen.texgen import pipelines as texgen_pipelines
    from hy3dgen.texgen.utils.dehighlight_utils import Light_Shadow_Remover
    from hy3dgen.texgen.utils.multiview_utils import Multiview_Diffusion_Net

    folder = Path(folder)
    config = texgen_pipelines.Hunyuan3DTexGenConfig(str(folder / PAINT_SUBFOLDERS[0]), str(folder / PAINT_SUBFOLDERS[1]))
    config.device = device
    custom = Path(texgen_pipelines.__file__).parent / "hunyuanpaint"

    class LocalMultiview(Multiview_Diffusion_Net):
        def __init__(self, config: Any) -> None:
            self.device = config.device
            self.view_size = 512
            pipeline = DiffusionPipeline.from_pretrained(
                config.multiview_ckpt_path, custom_pipeline=str(custom), torch_dtype=torch.float16,
                trust_remote_code=True,
            )
            pipeline.scheduler = EulerAncestralDiscreteScheduler.from_config(
                pipeline.scheduler.config, timestep_spacing="trailing"
            )
            pipeline.set_progress_bar_config(disable=True)
            self.pipeline = pipeline.to(self.device)

    return {"delight_model": Light_Shadow_Remover(config), "multiview_model": LocalMultiview(config)}


class Hunyuan3DPaint:
    """`Texturer` over hy3dgen's `Hunyuan3DPaintPipeline` (CUDA only).

    Args:
        pipeline: a `hy3dgen.texgen.Hunyuan3DPaintPipeline`.
        runtime: the runtime it was loaded for.
        background_threshold: a pixel with all channels >= this is background
            (becomes transparent in the RGBA image hy3dgen recentres).
    """

    name: TexturerName = "hunyuan3d-paint"
    lock_entries = (PAINT_MODEL,)

    def __init__(self, pipeline: Any, runtime: Runtime, background_threshold: int = 250) -> None:
        self.pipeline = pipeline
        self.runtime = runtime
        self.background_threshold = background_threshold

    @classmethod
    def from_pretrained(
        cls, folder: str | os.PathLike[str] | None = None, runtime: Runtime | None = None
    ) -> Hunyuan3DPaint:
        """Load Hunyuan3D-Delight + Hunyuan3D-Paint v2.0.

        Args:
            folder: the lock entry's folder (holding `PAINT_SUBFOLDERS`); None
                resolves `PAINT_MODEL` through the lock.
            runtime: default `Runtime()`; must be on CUDA. The networks are placed
                on `runtime.device` (`load_paint_networks`), hy3dgen's renderer on
                "cuda"; with `runtime.offload` they use its model CPU offload.

        Raises:
            ModelUnavailableError: no CUDA, hy3dgen's texgen or custom_rasterizer
                missing, or the weights missing.
        """
        runtime = runtime if runtime is not None else Runtime()
        reason = paint_unavailable_reason(runtime)
        if reason is not None:
            raise ModelUnavailableError(f"{model_head(PAINT_MODEL, WEIGHTS.stage)} cannot run: {reason}")
        weights = resolve_weights(WEIGHTS, folder)
        device = runtime.device
        from hy3dgen.texgen.pipelines import Hunyuan3DPaintPipeline, Hunyuan3DTexGenConfig

        class LocalPaintPipeline(Hunyuan3DPaintPipeline):
            def load_models(self) -> None:
                self.models.update(load_paint_networks(weights, device))

        config = Hunyuan3DTexGenConfig(str(weights / PAINT_SUBFOLDERS[0]), str(weights / PAINT_SUBFOLDERS[1]))
        config.device = device
        pipeline = LocalPaintPipeline(config)
        if runtime.offload:
            pipeline.enable_model_cpu_offload(device=runtime.device)
        return cls(pipeline, runtime)

    def texture(self, mesh: Mesh, image: np.ndarray) -> Mesh:
        """Paint `mesh` from `image` (seen from +Z; hy3dgen's front view).

        hy3dgen unwraps the mesh with xatlas itself and returns it in the input's
        frame and units; its trimesh uv (v up) are flipped to the glTF convention.
        The multi-view diffusion is seeded by hy3dgen (seed 0), so the result is
        deterministic.
        """
        import trimesh

        _check_mesh(mesh)
        image = check_image(image)
        surface = trimesh.Trimesh(vertices=mesh.vertices.astype(np.float64), faces=mesh.faces, process=False)
        painted = self.pipeline(surface, image=rgba_cutout(image, self.background_threshold))
        uv = np.asarray(painted.visual.uv, dtype=np.float64)
        uv = np.stack([uv[:, 0], 1.0 - uv[:, 1]], axis=1)
        pixels = np.asarray(painted.visual.material.image.convert("RGB"), dtype=np.uint8)
        return Mesh(
            vertices=np.asarray(painted.vertices),
            faces=np.asarray(painted.faces),
            uv=uv,
            texture=Texture(pixels),
            name=mesh.name,
        )


# ----------------------------------------------------------------------------- hunyuan3d-paint 2.1 (PBR)


PAINT21_MODEL = "hunyuan3d-2-1-paintpbr"
"""Lock entry of the Hunyuan3D-Paint 2.1 PBR multi-view diffusion (tencent/Hunyuan3D-2.1)."""
PAINT21_SUBFOLDER = "hunyuan3d-paintpbr-v2-1"
"""The diffusers folder inside the entry (the repository's subfolder)."""
DINO_MODEL = "dinov2-giant"
"""Lock entry of the DINOv2-giant image conditioner (facebook/dinov2-giant)."""
REALESRGAN_MODEL = "realesrgan-x4plus"
"""Lock entry of the Real-ESRGAN x4plus super-resolution checkpoint."""
REALESRGAN_FILE = "RealESRGAN_x4plus.pth"
HY3DPAINT_ENV = "HOIEXPORT_HY3DPAINT_DIR"
"""Environment variable naming the `hy3dpaint/` folder of a Hunyuan3D-2.1 source
checkout (the code is not a pip package; docs/hunyuan21.md)."""
INSTALL_DOC = "docs/hunyuan21.md"

PAINT21_FILES = (
    "model_index.json",
    "scheduler/scheduler_config.json",
    "text_encoder/config.json",
    "text_encoder/pytorch_model.bin",
    "tokenizer/tokenizer_config.json",
    "unet/config.json",
    "unet/diffusion_pytorch_model.bin",
    "vae/config.json",
    "vae/diffusion_pytorch_model.bin",
)
"""Files of `PAINT21_SUBFOLDER` that diffusers and the 2.1 UNet loader read."""
PAINT21_CODE_FILES = ("unet/modules.py", "unet/attn_processor.py")
"""Code files of the weights folder: model_index.json names the UNet class
("modules", "UNet2p5DConditionModel"), which diffusers imports from
`unet/modules.py` (itself importing `attn_processor.py`). The lock lists them;
`from_pretrained` checks them again (an explicit folder skips the lock)."""
PAINT21_WEIGHTS = ModelRef(
    PAINT21_MODEL,
    "texture",
    RequiredPaths(
        f"the {PAINT21_MODEL} folder (holding {PAINT21_SUBFOLDER}/ with model_index.json, unet/, vae/, ...)",
        files=tuple(f"{PAINT21_SUBFOLDER}/{f}" for f in PAINT21_FILES),
    ),
)
DINO_WEIGHTS = ModelRef(
    DINO_MODEL,
    "texture",
    RequiredPaths(
        "a transformers DINOv2 folder (config.json, preprocessor_config.json, model.safetensors)",
        files=("config.json", "preprocessor_config.json", "model.safetensors"),
    ),
)
REALESRGAN_WEIGHTS = ModelRef(
    REALESRGAN_MODEL,
    "texture",
    RequiredPaths(f"{REALESRGAN_FILE} or its folder", files=(REALESRGAN_FILE,)),
)

HY3DPAINT_FILES = (
    "textureGenPipeline.py",
    "cfgs/hunyuan-paint-pbr.yaml",
    "hunyuanpaintpbr/pipeline.py",
    "hunyuanpaintpbr/unet/modules.py",
    "utils/multiview_utils.py",
    "utils/image_super_utils.py",
    "utils/torchvision_fix.py",
    "DifferentiableRenderer/MeshRender.py",
)
"""Files of the Hunyuan3D-2.1 `hy3dpaint/` folder the backend runs."""

HY3DPAINT_PACKAGES: dict[str, str] = {
    "custom_rasterizer": "cd hy3dpaint/custom_rasterizer && pip install -e . --no-build-isolation (CUDA toolkit)",
    "bpy": "pip install bpy==4.0.0 --extra-index-url https://download.blender.org/pypi (Python 3.10)",
    "realesrgan": "pip install realesrgan==0.3.0",
    "basicsr": "pip install basicsr==1.4.2",
    "pymeshlab": "pip install pymeshlab",
    "xatlas": "pip install xatlas",
    "omegaconf": "pip install omegaconf",
    "pytorch_lightning": "pip install pytorch-lightning==1.9.5",
    "torchvision": "pip install torchvision (built for the installed CUDA torch)",
    "cv2": "pip install opencv-python",
    "einops": "pip install einops",
}
"""Import name → how to install it, for what the `hy3dpaint` code imports beyond
hoiexport's own dependencies (the 2.1 README's requirements.txt pins them all)."""


@dataclass(frozen=True)
class Paint21Options:
    """Settings of `Hunyuan3D21Paint` (the values of the 2.1 README's demo, which
    HOI3DGen's `run_t23d_pipe.sh` step 6 runs through its own `HY21_only_tex.py`,
    not public; docs/fidelity.md).

    Attributes:
        max_num_view: views the multi-view diffusion paints (`Hunyuan3DPaintConfig`
            `max_selected_view_num`; 6 to 9).
        resolution: side of each generated view, pixels (512 or 768).
        use_remesh: run the 2.1 pipeline's own remesh (pymeshlab load/save and
            quadric decimation to 40 000 faces) before unwrapping (its default).
    """

    max_num_view: int = 6
    resolution: int = 512
    use_remesh: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.max_num_view, int) or not 6 <= self.max_num_view <= 9:
            raise InputError(f"Paint21Options.max_num_view must be an integer in [6, 9], got {self.max_num_view!r}")
        if self.resolution not in (512, 768):
            raise InputError(f"Paint21Options.resolution must be 512 or 768, got {self.resolution!r}")
        if not isinstance(self.use_remesh, bool):
            raise InputError(f"Paint21Options.use_remesh must be true or false, got {self.use_remesh!r}")


@dataclass(frozen=True)
class Paint21Weights:
    """Explicit weight locations for `Hunyuan3D21Paint` (None = the lock entry).

    Attributes:
        paint: the `hunyuan3d-2-1-paintpbr` folder, or its `hunyuan3d-paintpbr-v2-1` subfolder.
        dino: a DINOv2-giant transformers folder.
        realesrgan: `RealESRGAN_x4plus.pth` or its folder.
    """

    paint: str | os.PathLike[str] | None = None
    dino: str | os.PathLike[str] | None = None
    realesrgan: str | os.PathLike[str] | None = None


@dataclass(frozen=True)
class Paint21Paths:
    """Resolved weights of `Hunyuan3D21Paint`.

    Attributes:
        paint: the `hunyuan3d-paintpbr-v2-1` diffusers folder itself.
        dino: the DINOv2-giant folder.
        realesrgan: the `RealESRGAN_x4plus.pth` file.
    """

    paint: Path
    dino: Path
    realesrgan: Path


def _check_paint21_index(folder: Path) -> None:
    """`folder/model_index.json` must name the 2.1 paint pipeline and its UNet class."""
    index = folder / "model_index.json"
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise redownload(PAINT21_MODEL, "texture", f"{index} is not readable JSON ({exc})") from exc
    unet = data.get("unet") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("_class_name") != "HunyuanPaintPipeline" or not (
        isinstance(unet, list) and len(unet) == 2 and unet[1] == "UNet2p5DConditionModel"
    ):
        raise redownload(
            PAINT21_MODEL, "texture",
            f"{index} is not Hunyuan3D-Paint 2.1's (it must name _class_name 'HunyuanPaintPipeline' and unet "
            f"[..., 'UNet2p5DConditionModel'], got _class_name {data.get('_class_name') if isinstance(data, dict) else None!r}, "
            f"unet {unet!r})",
        )


def resolve_paint21_weights(
    weights: Paint21Weights = Paint21Weights(),
    *,
    lock: LockFile | None = None,
    models_dir: str | os.PathLike[str] | None = None,
    realesrgan_size: RRDBNetSize | None = None,
) -> Paint21Paths:
    """The three weight locations of `Hunyuan3D21Paint`, checked.

    Each comes from `weights` when given, else from its lock entry under the
    models dir (`resolve_weights`: files present, pinned ones hashed). The paint
    folder's model_index.json must be the 2.1 PBR pipeline's, and the Real-ESRGAN
    file the generator of `realesrgan_size` (default `RRDBNetSize()`, the x4plus
    sizes the 2.1 code builds; `check_realesrgan`).

    Raises:
        ModelUnavailableError: one or more are missing or unusable; the message
            lists every problem (entry, stage, path, fix), separated by " | ".
    """
    problems: list[str] = []
    paint = dino = realesrgan = None
    explicit = Path(weights.paint).expanduser() if weights.paint is not None else None
    try:
        if explicit is not None and (explicit / "model_index.json").is_file():
            paint = explicit
        else:
            paint = resolve_weights(PAINT21_WEIGHTS, explicit, lock=lock, models_dir=models_dir) / PAINT21_SUBFOLDER
        _check_paint21_index(paint)
    except ModelUnavailableError as exc:
        problems.append(str(exc))
    try:
        dino = resolve_weights(DINO_WEIGHTS, weights.dino, lock=lock, models_dir=models_dir)
    except ModelUnavailableError as exc:
        problems.append(str(exc))
    try:
        file = Path(weights.realesrgan).expanduser() if weights.realesrgan is not None else None
        if file is not None and file.is_file():
            realesrgan = file
        else:
            realesrgan = resolve_weights(REALESRGAN_WEIGHTS, file, lock=lock, models_dir=models_dir) / REALESRGAN_FILE
        check_realesrgan(realesrgan, realesrgan_size or RRDBNetSize())
    except ModelUnavailableError as exc:
        problems.append(str(exc))
    if problems:
        raise ModelUnavailableError(" | ".join(problems))
    assert paint is not None and dino is not None and realesrgan is not None
    return Paint21Paths(paint=paint, dino=dino, realesrgan=realesrgan)


@dataclass(frozen=True)
class RRDBNetSize:
    """Sizes of basicsr's `RRDBNet` (ESRGAN generator); defaults are Real-ESRGAN
    x4plus's (`hy3dpaint/utils/image_super_utils.py`: 3 → 3 channels, 64 features,
    23 RRDB blocks, growth 32, scale 4).

    Attributes:
        num_in_ch, num_out_ch: image channels.
        num_feat: feature channels.
        num_block: RRDB blocks (3 residual dense blocks each).
        num_grow_ch: growth channels of a dense block.
    """

    num_in_ch: int = 3
    num_out_ch: int = 3
    num_feat: int = 64
    num_block: int = 23
    num_grow_ch: int = 32

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Key → tensor shape of the x4 RRDBNet state dict (basicsr
        `archs/rrdbnet_arch.py`: `conv_first`, `body.{i}.rdb{1,2,3}.conv{1..5}`,
        `conv_body`, `conv_up1`, `conv_up2`, `conv_hr`, `conv_last`; weight and bias each)."""
        f, g = self.num_feat, self.num_grow_ch
        convs: dict[str, tuple[int, int]] = {"conv_first": (f, self.num_in_ch)}
        for i in range(self.num_block):
            for r in (1, 2, 3):
                for c in range(1, 6):
                    convs[f"body.{i}.rdb{r}.conv{c}"] = (f if c == 5 else g, f + (c - 1) * g)
        for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
            convs[name] = (f, f)
        convs["conv_last"] = (self.num_out_ch, f)
        out: dict[str, tuple[int, ...]] = {}
        for name, (o, i) in convs.items():
            out[f"{name}.weight"] = (o, i, 3, 3)
            out[f"{name}.bias"] = (o,)
        return out


def check_realesrgan(path: str | os.PathLike[str], size: RRDBNetSize = RRDBNetSize()) -> int:
    """Read a Real-ESRGAN checkpoint safely and check it is the x4 RRDBNet of `size`.

    The file is a torch pickle `{'params_ema': state_dict}` (or 'params'), which
    `realesrgan.RealESRGANer` loads into basicsr's `RRDBNet`; it is read here with
    `load_checkpoint` (tensors only) before the 2.1 code loads it again.

    Returns:
        Number of tensors.

    Raises:
        ModelUnavailableError: unreadable, unsafe, or another network's weights
            (missing / unexpected / misshaped keys, a few named).
    """
    path = Path(path)
    sd: dict[str, Any] | None = None
    for key in ("params_ema", "params"):
        try:
            sd = load_checkpoint(path, key=key)
            break
        except InputError as exc:  # no such key, or not a flat state dict there
            problem = str(exc)
        except ModelUnavailableError as exc:  # missing, corrupt or unsafe
            raise redownload(REALESRGAN_MODEL, "texture", str(exc)) from exc
    if sd is None:
        raise redownload(REALESRGAN_MODEL, "texture",
                         f"{path} holds no 'params_ema' or 'params' state dict ({problem})")
    expected = size.shapes()
    missing = sorted(set(expected) - set(sd))
    unexpected = sorted(set(sd) - set(expected))
    wrong = sorted(k for k in set(sd) & set(expected) if tuple(sd[k].shape) != expected[k])
    if missing or unexpected or wrong:
        raise redownload(
            REALESRGAN_MODEL, "texture",
            f"{path} is not the Real-ESRGAN x4plus RRDBNet ({size.num_block} blocks, {size.num_feat} features): "
            f"missing {missing[:3]}, unexpected {unexpected[:3]}, wrong shape {wrong[:3]}",
        )
    return len(sd)


def hy3dpaint_dir() -> Path | None:
    """The `hy3dpaint/` folder `$HOIEXPORT_HY3DPAINT_DIR` names, or None when unset."""
    value = os.environ.get(HY3DPAINT_ENV, "").strip()
    return Path(value).expanduser() if value else None


def hy3dpaint_problems(code_dir: Path | None) -> list[str]:
    """What is missing for the Hunyuan3D-2.1 paint code to run, one line per
    problem with its fix (empty when nothing is).

    Checks: the folder is set and holds `HY3DPAINT_FILES`; the pybind11 extension
    `DifferentiableRenderer/mesh_inpaint_processor*.so` is compiled; every module
    of `HY3DPAINT_PACKAGES` is installed. Nothing is imported.

    Args:
        code_dir: the checkout's `hy3dpaint/` folder (`hy3dpaint_dir()`), or None.
    """
    if code_dir is None:
        return [f"set {HY3DPAINT_ENV} to the hy3dpaint/ folder of a Hunyuan3D-2.1 source checkout "
                f"(git clone https://github.com/Tencent-Hunyuan/Hunyuan3D-2.1; {INSTALL_DOC})"]
    if not code_dir.is_dir():
        return [f"{HY3DPAINT_ENV}={code_dir} is not a folder; point it at the checkout's hy3dpaint/ ({INSTALL_DOC})"]
    problems = []
    missing = [f for f in HY3DPAINT_FILES if not (code_dir / f).is_file()]
    if missing:
        problems.append(f"{code_dir} is not Hunyuan3D-2.1's hy3dpaint/ folder: {', '.join(missing)} missing")
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    renderer = code_dir / "DifferentiableRenderer"
    if not any(p.name.endswith(suffixes) for p in renderer.glob("mesh_inpaint_processor*")):
        problems.append(f"the mesh inpainting extension is not compiled: cd {renderer} && bash compile_mesh_painter.sh")
    for module, hint in HY3DPAINT_PACKAGES.items():
        if importlib.util.find_spec(module) is None:
            problems.append(f"{module} is not installed: {hint}")
    return problems


def paint21_unavailable_reason(runtime: Runtime, code_dir: Path | None = None) -> str | None:
    """Why `Hunyuan3D21Paint` cannot run with `runtime`, or None when it can.

    Checks, in order: a CUDA device; `hy3dpaint_problems(code_dir or hy3dpaint_dir())`;
    then the code imports (`textureGenPipeline`, with the folder on `sys.path`).
    The weights are checked when loading.
    """
    if not runtime.device.startswith("cuda"):
        return f"Hunyuan3D-Paint 2.1 needs a CUDA device (runtime device is {runtime.device!r})"
    code_dir = code_dir if code_dir is not None else hy3dpaint_dir()
    problems = hy3dpaint_problems(code_dir)
    if problems:
        return "; ".join(problems) + f" (see {INSTALL_DOC})"
    assert code_dir is not None
    try:
        import_hy3dpaint(code_dir)
    except Exception as exc:  # noqa: BLE001 - any import failure means the path cannot run
        return f"the Hunyuan3D-2.1 paint code in {code_dir} does not import ({type(exc).__name__}: {exc}); see {INSTALL_DOC}"
    return None


def import_hy3dpaint(code_dir: Path) -> types.ModuleType:
    """Import the 2.1 paint code the way its demo does.

    The `hy3dpaint/` folder goes first on `sys.path` (its modules import each other
    as top-level packages: `utils`, `DifferentiableRenderer`, `hunyuanpaintpbr`, so
    they shadow any other top-level package of those names), its torchvision
    compatibility shim runs (`utils/torchvision_fix.apply_fix`, as `demo.py` does:
    basicsr 1.4.2 imports a torchvision module removed in torchvision 0.17), and
    `textureGenPipeline` is imported.

    Returns:
        The `textureGenPipeline` module.
    """
    folder = str(Path(code_dir).resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    importlib.import_module("utils.torchvision_fix").apply_fix()
    return importlib.import_module("textureGenPipeline")


def _local_pipeline_class(tgp: types.ModuleType) -> type:
    """A subclass of the 2.1 code's `Hunyuan3DPaintPipeline` that loads its
    multi-view model from a local folder.

    The official `multiviewDiffusionNet.__init__` finds its weights with
    `huggingface_hub.snapshot_download(config.multiview_pretrained_path)`, i.e. on
    the Hub; the subclass builds the same objects from `config.multiview_pretrained_path`
    read as a local `hunyuan3d-paintpbr-v2-1` folder: `DiffusionPipeline.from_pretrained`
    with the 2.1 custom pipeline in fp16, the UniPC scheduler with trailing
    timesteps, `view_size` from the yaml config, and DINOv2 (`Dino_v2`) from
    `config.dino_ckpt_path`. Everything else (`forward_one`, the super-resolution
    net, rendering, baking, inpainting) is the official code.
    """
    import torch

    multiview_base: Any = sys.modules["utils.multiview_utils"].multiviewDiffusionNet
    pipeline_base: Any = tgp.Hunyuan3DPaintPipeline

    class LocalMultiview(multiview_base):
        def __init__(self, config: Any) -> None:
            from diffusers import DiffusionPipeline, UniPCMultistepScheduler
            from omegaconf import OmegaConf

            self.device = config.device
            self.cfg = OmegaConf.load(config.multiview_cfg_path)
            self.mode = self.cfg.model.params.stable_diffusion_config.custom_pipeline[2:]
            pipeline = DiffusionPipeline.from_pretrained(
                config.multiview_pretrained_path, custom_pipeline=config.custom_pipeline, torch_dtype=torch.float16
            )
            pipeline.scheduler = UniPCMultistepScheduler.from_config(
                pipeline.scheduler.config, timestep_spacing="trailing"
            )
            pipeline.set_progress_bar_config(disable=True)
            pipeline.eval()
            pipeline.view_size = self.cfg.model.params.get("view_size", 320)
            self.pipeline = pipeline.to(self.device)
            if getattr(self.pipeline.unet, "use_dino", False):
                from hunyuanpaintpbr.unet.modules import Dino_v2

                self.dino_v2 = Dino_v2(config.dino_ckpt_path).to(torch.float16).to(self.device)

    class LocalPaintPipeline(pipeline_base):
        def load_models(self) -> None:
            torch.cuda.empty_cache()
            self.models["super_model"] = tgp.imageSuperNet(self.config)
            self.models["multiview_model"] = LocalMultiview(self.config)

    return LocalPaintPipeline


class Hunyuan3D21Paint:
    """`Texturer` over the Hunyuan3D-2.1 paint pipeline (PBR; CUDA only).

    The official `hy3dpaint/textureGenPipeline.py` `Hunyuan3DPaintPipeline`: the
    mesh is remeshed (optional) and unwrapped with xatlas, up to `max_num_view`
    views are chosen, their normal and position maps rendered with the CUDA
    rasteriser, the multi-view PBR diffusion (DINOv2-conditioned, seed 0) paints
    albedo and metallic-roughness views, Real-ESRGAN x4 upsamples them, they are
    baked into a 4096² atlas, inpainted, and saved as OBJ with 2048² maps
    (`mesh_utils.save_obj_mesh`: `<name>.jpg` albedo, `<name>_metallic.jpg` and
    `<name>_roughness.jpg` grey maps, referenced by the .mtl as map_Pm / map_Pr).
    hoiexport keeps the albedo as the base-colour texture and the two grey maps as
    the mesh's linear metallic-roughness texture (`SurfacePBR.metallic_roughness`,
    G roughness, B metallic), which the exporters bake into the ORM map.

    Args:
        pipeline: the loaded 2.1 pipeline (`from_pretrained`).
        runtime: the runtime it was loaded for.
        options: view count, resolution, remesh.
        background_threshold: a pixel with all channels >= this is background.
    """

    name: TexturerName = "hunyuan3d-2.1-paint"
    lock_entries = (PAINT21_MODEL, DINO_MODEL, REALESRGAN_MODEL)

    def __init__(self, pipeline: Any, runtime: Runtime, options: Paint21Options = Paint21Options(),
                 background_threshold: int = 250) -> None:
        self.pipeline = pipeline
        self.runtime = runtime
        self.options = options
        self.background_threshold = background_threshold

    @classmethod
    def from_pretrained(
        cls,
        weights: Paint21Weights = Paint21Weights(),
        runtime: Runtime | None = None,
        options: Paint21Options = Paint21Options(),
        code_dir: str | os.PathLike[str] | None = None,
    ) -> Hunyuan3D21Paint:
        """Load Hunyuan3D-Paint 2.1 with DINOv2-giant and Real-ESRGAN x4plus.

        Args:
            weights: explicit weight locations (None fields: the lock entries).
            runtime: default `Runtime()`; must be on CUDA (the models are placed on
                `runtime.device`; no CPU offload: about 21 GB of GPU memory at 6
                views × 512 px, per the 2.1 README).
            options: view count, resolution, remesh.
            code_dir: the checkout's `hy3dpaint/` folder; default `$HOIEXPORT_HY3DPAINT_DIR`.

        Raises:
            ModelUnavailableError: no CUDA, the 2.1 code or one of its compiled parts
                or packages missing, or the weights missing or unusable (every
                problem named, with its fix).
        """
        runtime = runtime if runtime is not None else Runtime()
        folder = Path(code_dir).expanduser() if code_dir is not None else hy3dpaint_dir()
        reason = paint21_unavailable_reason(runtime, folder)
        if reason is not None:
            raise ModelUnavailableError(f"{model_head(PAINT21_MODEL, 'texture')} cannot run: {reason}")
        assert folder is not None
        paths = resolve_paint21_weights(weights)
        missing = [str(paths.paint / f) for f in PAINT21_CODE_FILES if not (paths.paint / f).is_file()]
        if missing:
            raise redownload(PAINT21_MODEL, "texture",
                             f"{', '.join(missing)} missing (diffusers imports the 2.1 UNet class from them)")
        tgp = import_hy3dpaint(folder)
        config = tgp.Hunyuan3DPaintConfig(options.max_num_view, options.resolution)
        config.device = runtime.device
        config.multiview_cfg_path = str(folder / "cfgs" / "hunyuan-paint-pbr.yaml")
        config.custom_pipeline = str(folder / "hunyuanpaintpbr")
        config.multiview_pretrained_path = str(paths.paint)
        config.dino_ckpt_path = str(paths.dino)
        config.realesrgan_ckpt_path = str(paths.realesrgan)
        return cls(_local_pipeline_class(tgp)(config), runtime, options)

    def texture(self, mesh: Mesh, image: np.ndarray) -> Mesh:
        """Paint `mesh` from `image` (seen from +Z, the 2.1 pipeline's front view at
        azimuth 0, as for 2.0: the same `MeshRender` axis convention).

        The mesh goes through the official `__call__` as an OBJ in a temporary
        folder; the textured OBJ comes back in the input's frame and units
        (`MeshRender.get_mesh(normalize=False)`), with trimesh uv (v up) flipped
        to the glTF convention. Deterministic: the diffusion is seeded with 0.
        """
        import tempfile

        import trimesh
        from PIL import Image

        _check_mesh(mesh)
        image = check_image(image)
        if not foreground_mask(image, self.background_threshold).any():
            raise InputError("image has no subject (all background); pass the Cutout.image the mesh was lifted from")
        with tempfile.TemporaryDirectory(prefix="hoiexport-paint21-") as tmp:
            source, target = Path(tmp) / "white_mesh.obj", Path(tmp) / "textured_mesh.obj"
            trimesh.Trimesh(vertices=mesh.vertices.astype(np.float64), faces=mesh.faces, process=False).export(source)
            self.pipeline(mesh_path=str(source), image_path=Image.fromarray(image), output_mesh_path=str(target),
                          use_remesh=self.options.use_remesh, save_glb=False)
            painted = cast(trimesh.Trimesh, trimesh.load(str(target), process=False, force="mesh"))
            visual: Any = painted.visual  # TextureVisuals for an OBJ with uv and a material
            material = getattr(visual, "material", None)
            picture = getattr(material, "image", None) or getattr(material, "baseColorTexture", None)
            if picture is None or getattr(visual, "uv", None) is None:
                raise RuntimeError(f"Hunyuan3D-Paint 2.1 wrote {target} without a diffuse texture or uv")
            pixels = np.asarray(picture.convert("RGB"), dtype=np.uint8)
            pbr = paint21_metallic_roughness(target, pixels.shape[:2])
        uv = np.asarray(visual.uv, dtype=np.float64)
        uv = np.stack([uv[:, 0], 1.0 - uv[:, 1]], axis=1)
        return Mesh(
            vertices=np.asarray(painted.vertices),
            faces=np.asarray(painted.faces),
            uv=uv,
            texture=Texture(pixels),
            name=mesh.name,
            pbr=pbr,
        )


def paint21_metallic_roughness(obj_path: Path, size: tuple[int, int]) -> SurfacePBR | None:
    """The metallic-roughness maps Hunyuan3D-Paint 2.1 writes beside its OBJ, as one
    linear glTF-layout texture (R 0, G roughness, B metallic), or None when it wrote
    neither (`use_pbr` off: albedo only).

    The 2.1 code saves them (`mesh_utils.save_obj_mesh`) as `<stem>_metallic.jpg` and
    `<stem>_roughness.jpg`, single-channel, values 0–255 linear, same uv as the
    albedo; a missing one of the two reads as metallic 0 / roughness 1 (glTF's
    defaults with factors 1).

    Args:
        obj_path: the textured OBJ the pipeline wrote.
        size: (H, W) of its albedo; the maps are resized to it if they differ.
    """
    from PIL import Image

    maps: dict[str, np.ndarray] = {}
    for kind in ("metallic", "roughness"):
        path = obj_path.with_name(f"{obj_path.stem}_{kind}.jpg")
        if path.is_file():
            with Image.open(path) as img:
                grey = img.convert("L")
                if grey.size != (size[1], size[0]):
                    grey = grey.resize((size[1], size[0]), Image.Resampling.BILINEAR)
                maps[kind] = np.asarray(grey, dtype=np.uint8)
    if not maps:
        return None
    image = np.zeros((size[0], size[1], 3), np.uint8)
    image[..., 1] = maps.get("roughness", np.full(size, 255, np.uint8))
    image[..., 2] = maps.get("metallic", np.zeros(size, np.uint8))
    return SurfacePBR(metallic_roughness=Texture(image))


# ----------------------------------------------------------------------------- registry and choice


@dataclass(frozen=True)
class TextureWeights:
    """Explicit weight locations of the texturers (None = their lock entries).

    Attributes:
        paint: Hunyuan3D-Paint 2.0's folder (holding `PAINT_SUBFOLDERS`).
        paint21: Hunyuan3D-Paint 2.1's three locations.
    """

    paint: str | os.PathLike[str] | None = None
    paint21: Paint21Weights = Paint21Weights()


@dataclass(frozen=True)
class TexturerSettings:
    """What a `TexturerEntry` loads its backend with.

    Attributes:
        projection: `ProjectionTexturer` settings.
        paint21: `Hunyuan3D21Paint` settings.
        weights: explicit weight locations.
    """

    projection: ProjectionOptions = ProjectionOptions()
    paint21: Paint21Options = Paint21Options()
    weights: TextureWeights = TextureWeights()


@dataclass(frozen=True)
class TexturerEntry:
    """One texturing path of `TEXTURERS`.

    Attributes:
        name: the registry key, also `Texturer.name` (provenance).
        lock_entries: the lock entries it loads (for provenance's model revisions).
        unavailable: why it cannot run with a runtime (None when it can; the
            weights are checked by `load`).
        load: builds the backend; raises `ModelUnavailableError` when it cannot.
    """

    name: TexturerName
    lock_entries: tuple[str, ...]
    unavailable: Callable[[Runtime], str | None]
    load: Callable[[Runtime, TexturerSettings], Texturer]


TEXTURERS: dict[TexturerName, TexturerEntry] = {
    "hunyuan3d-2.1-paint": TexturerEntry(
        "hunyuan3d-2.1-paint", Hunyuan3D21Paint.lock_entries, paint21_unavailable_reason,
        lambda rt, s: Hunyuan3D21Paint.from_pretrained(s.weights.paint21, rt, s.paint21),
    ),
    "hunyuan3d-paint": TexturerEntry(
        "hunyuan3d-paint", Hunyuan3DPaint.lock_entries, paint_unavailable_reason,
        lambda rt, s: Hunyuan3DPaint.from_pretrained(s.weights.paint, rt),
    ),
    "projection": TexturerEntry(
        "projection", (), lambda rt: None, lambda rt, s: ProjectionTexturer(s.projection),
    ),
}
"""Texturing paths by name."""

AUTO_ORDER: tuple[TexturerName, ...] = ("hunyuan3d-2.1-paint", "hunyuan3d-paint", "projection")
"""What `prefer="auto"` tries, in order: the release's texturer (Hunyuan3D-Paint
2.1), then Hunyuan3D-Paint 2.0, then the projection texturer, which always runs."""


@dataclass
class TexturerChoice:
    """The texturer `choose_texturer` picked.

    Attributes:
        texturer: the backend; its `name` is what provenance records.
        reason: why the paths tried before it were not used, "name: why" joined
            by "; " ("" when the first path tried runs).
        lock_entries: the lock entries the chosen path loaded.
    """

    texturer: Texturer
    reason: str
    lock_entries: tuple[str, ...] = ()


def choose_texturer(
    runtime: Runtime,
    *,
    prefer: Preference = "auto",
    options: ProjectionOptions = ProjectionOptions(),
    paint21: Paint21Options = Paint21Options(),
    weights: TextureWeights = TextureWeights(),
) -> TexturerChoice:
    """The first texturing path of `AUTO_ORDER` that can run, or the one asked for.

    Args:
        runtime: device the chain runs on.
        prefer: "auto" (`AUTO_ORDER`), or a `TEXTURERS` name (raise when it cannot run).
        options: projection settings (used when projection is chosen).
        paint21: Hunyuan3D-Paint 2.1 settings.
        weights: explicit weight locations.

    Raises:
        InputError: an unknown `prefer`.
        ModelUnavailableError: the path asked for cannot run (why, with the fix).
    """
    if prefer != "auto" and prefer not in TEXTURERS:
        raise InputError(f"prefer must be 'auto' or one of {', '.join(map(repr, TEXTURERS))}, got {prefer!r}")
    settings = TexturerSettings(projection=options, paint21=paint21, weights=weights)
    order: tuple[TexturerName, ...] = AUTO_ORDER if prefer == "auto" else (prefer,)
    skipped: list[str] = []
    for name in order:
        entry = TEXTURERS[name]
        why = entry.unavailable(runtime)
        if why is None:
            try:
                return TexturerChoice(entry.load(runtime, settings), "; ".join(skipped), entry.lock_entries)
            except ModelUnavailableError as exc:
                why = str(exc)
        if prefer != "auto":
            raise ModelUnavailableError(
                f"texturer {name!r} (lock entries {', '.join(entry.lock_entries) or 'none'}) cannot run: {why}"
            )
        skipped.append(f"{name}: {why}")
    raise AssertionError("AUTO_ORDER ends with 'projection', which always runs")  # pragma: no cover


def make_texturer(
    runtime: Runtime,
    *,
    prefer: Preference = "auto",
    options: ProjectionOptions = ProjectionOptions(),
    paint21: Paint21Options = Paint21Options(),
    weights: TextureWeights = TextureWeights(),
) -> Texturer:
    """`choose_texturer(...).texturer`."""
    return choose_texturer(runtime, prefer=prefer, options=options, paint21=paint21, weights=weights).texturer
