"""Stage 4b of `hoi3dgen`: texture a lifted mesh from its view image.

Two `Texturer` paths, and `make_texturer` to pick one (its `name` goes into
provenance):

- `Hunyuan3DPaint` ("hunyuan3d-paint"): hy3dgen's `Hunyuan3DPaintPipeline`
  (Hunyuan3D-Delight de-lighting, Hunyuan3D-Paint multi-view diffusion over six
  orthographic views, back-projection into an xatlas atlas, inpainting). It needs
  CUDA and hy3dgen's CUDA rasteriser `custom_rasterizer`, which is not on PyPI (it is
  built from the Hunyuan3D-2 sources, `hy3dgen/texgen/custom_rasterizer`); the
  `hunyuan3d-2-paint` weights come through the lock. Written against hy3dgen 2.0.2's
  `texgen` API; it has not run on the development machines (no CUDA there).
- `ProjectionTexturer` ("projection"), everywhere else: an xatlas atlas
  (`hoiexport.sdk.geometry.uv.unwrap_atlas`), every texel's surface point
  (`rasterize_uv`), the points visible from +Z (facing +Z and not occluded: an
  embree ray cast towards +Z through `trimesh`), their colour from the image by
  orthographic projection along -Z, every other texel the colour of the nearest
  seen surface point (3-D nearest neighbour; far from every seen point, to the
  nearest seen sample of a voxel grid of 1/64 of the mesh's diagonal), texels
  outside the charts the colour of the nearest chart texel.

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

    texturer = make_texturer(runtime)        # "hunyuan3d-paint" or "projection"
    textured = texturer.texture(mesh, cutout.image)
    provenance["texture"] = texturer.name
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.protocols import Texturer
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.hoi3dgen.shape import check_image, foreground_mask, rgba_cutout
from hoiexport.sdk.core.types import Mesh, Texture
from hoiexport.sdk.models import ModelRef, RequiredPaths, resolve_weights
from hoiexport.sdk.models.messages import model_head

TexturerName = Literal["hunyuan3d-paint", "projection"]
"""Which texturing path ran (recorded in provenance)."""

Preference = Literal["auto", "hunyuan3d-paint", "projection"]
"""`make_texturer`'s choice: "auto" = paint when it can run, else projection."""

PAINT_MODEL = "hunyuan3d-2-paint"
"""Lock entry of the Hunyuan3D-Paint and Hunyuan3D-Delight weights."""

PAINT_SUBFOLDERS = ("hunyuan3d-delight-v2-0", "hunyuan3d-paint-v2-0")
"""Folders hy3dgen's `Hunyuan3DPaintPipeline.from_pretrained(path)` reads under `path`."""
WEIGHTS = ModelRef(
    PAINT_MODEL,
    "texture",
    RequiredPaths(f"the {PAINT_MODEL} folder (holding {' and '.join(PAINT_SUBFOLDERS)})", folders=PAINT_SUBFOLDERS),
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


class Hunyuan3DPaint:
    """`Texturer` over hy3dgen's `Hunyuan3DPaintPipeline` (CUDA only).

    Args:
        pipeline: a `hy3dgen.texgen.Hunyuan3DPaintPipeline`.
        runtime: the runtime it was loaded for.
        background_threshold: a pixel with all channels >= this is background
            (becomes transparent in the RGBA image hy3dgen recentres).
    """

    name: TexturerName = "hunyuan3d-paint"

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
            runtime: default `Runtime()`; must be on CUDA. hy3dgen places the
                models on the current CUDA device ("cuda"); with `runtime.offload`
                they use its model CPU offload.

        Raises:
            ModelUnavailableError: no CUDA, hy3dgen's texgen or custom_rasterizer
                missing, or the weights missing.
        """
        runtime = runtime if runtime is not None else Runtime()
        reason = paint_unavailable_reason(runtime)
        if reason is not None:
            raise ModelUnavailableError(f"{model_head(PAINT_MODEL, WEIGHTS.stage)} cannot run: {reason}")
        folder = resolve_weights(WEIGHTS, folder)
        from hy3dgen.texgen import Hunyuan3DPaintPipeline

        pipeline = Hunyuan3DPaintPipeline.from_pretrained(str(folder))
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


# ----------------------------------------------------------------------------- choice


@dataclass
class TexturerChoice:
    """The texturer `choose_texturer` picked.

    Attributes:
        texturer: the backend; its `name` is what provenance records.
        reason: why Hunyuan3D-Paint is not used ("" when it is, or when
            projection was asked for).
    """

    texturer: Texturer
    reason: str


def choose_texturer(
    runtime: Runtime,
    *,
    prefer: Preference = "auto",
    folder: str | os.PathLike[str] | None = None,
    options: ProjectionOptions = ProjectionOptions(),
) -> TexturerChoice:
    """Hunyuan3D-Paint where it can run, otherwise the projection texturer.

    Args:
        runtime: device the chain runs on.
        prefer: "auto"; "hunyuan3d-paint" (raise when it cannot run); "projection".
        folder: paint weights folder (None: through the lock).
        options: projection settings (used when projection is chosen).

    Raises:
        ModelUnavailableError: `prefer="hunyuan3d-paint"` and paint cannot run.
    """
    if prefer not in ("auto", "hunyuan3d-paint", "projection"):
        raise InputError(f"prefer must be 'auto', 'hunyuan3d-paint' or 'projection', got {prefer!r}")
    if prefer == "projection":
        return TexturerChoice(ProjectionTexturer(options), "")
    reason = paint_unavailable_reason(runtime)
    if reason is None:
        try:
            return TexturerChoice(Hunyuan3DPaint.from_pretrained(folder, runtime), "")
        except ModelUnavailableError as exc:
            if prefer == "hunyuan3d-paint":
                raise
            reason = str(exc)
    if prefer == "hunyuan3d-paint":
        raise ModelUnavailableError(f"model {PAINT_MODEL!r} (stage texture) cannot run: {reason}")
    return TexturerChoice(ProjectionTexturer(options), reason)


def make_texturer(
    runtime: Runtime,
    *,
    prefer: Preference = "auto",
    folder: str | os.PathLike[str] | None = None,
    options: ProjectionOptions = ProjectionOptions(),
) -> Texturer:
    """`choose_texturer(...).texturer`."""
    return choose_texturer(runtime, prefer=prefer, folder=folder, options=options).texturer
