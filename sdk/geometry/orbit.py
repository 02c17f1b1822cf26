"""Orbit rendering of a mesh by embree ray casting (DESIGN §7 stage 5).

`render_orbit(mesh, OrbitOptions())` places N pinhole cameras on a circle around
the mesh (yaw evenly spaced, one pitch), casts one ray per pixel through
trimesh's embree intersector and returns per view an RGB frame, a depth map and
the id of the face each pixel sees, together with the cameras.

Camera convention (OpenCV): camera axes x right, y down, z forward (the optical
axis); `Camera.world_to_camera` maps internal-frame points (+Y up, metres) to
camera coordinates; `Camera.intrinsics` is K in pixels with pixel (col, row)
centres at (j + 0.5, i + 0.5). Yaw 0 puts the camera on +Z looking at the
character's front; yaw grows counter-clockwise seen from above (+Y); positive
pitch lifts the camera and looks down.

Shading: the albedo (texture sampled at the interpolated uv times the
interpolated vertex colours, as glTF multiplies them; grey without either) times a headlight Lambert term, so segmentation
models see shape as well as colour.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh

_GREY = np.array([180.0, 180.0, 180.0])


@dataclass(frozen=True)
class OrbitOptions:
    """Settings of an orbit rendering.

    Attributes:
        views: number of cameras, yaw evenly spaced over 360°.
        pitch_deg: elevation of every camera, degrees (positive looks down).
        fov_deg: vertical (= horizontal) field of view, degrees.
        resolution: image width = height, pixels.
        start_yaw_deg: yaw of the first camera, degrees (0 = in front, on +Z).
        margin: camera distance factor over the distance at which the mesh's
            bounding sphere just fills the field of view.
        extent_distance: when set, the camera distance instead, as a multiple
            of the mesh's largest bounding-box extent (the release: 2.0, its
            scene normalised to extent 1 and cameras at radius 2); `margin`
            is then unused.
        background: sRGB colour of pixels that see no surface.
        ambient: share of the albedo kept on surfaces seen edge-on (0..1).
        yaws_deg: when set, the cameras' yaws, degrees, in order (e.g. the
            training views 0 / -45 / +45); `views` and `start_yaw_deg` are then
            unused.
    """

    views: int = 8
    pitch_deg: float = 15.0
    fov_deg: float = 40.0
    resolution: int = 512
    start_yaw_deg: float = 0.0
    margin: float = 1.05
    background: tuple[int, int, int] = (255, 255, 255)
    ambient: float = 0.35
    extent_distance: float | None = None
    yaws_deg: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.yaws_deg is not None:
            yaws = tuple(float(y) for y in self.yaws_deg)
            if not yaws or not all(math.isfinite(y) for y in yaws):
                raise InputError(f"OrbitOptions.yaws_deg must be None or finite degrees, got {self.yaws_deg!r}")
            object.__setattr__(self, "yaws_deg", yaws)
        if self.views < 1:
            raise InputError(f"OrbitOptions.views must be >= 1, got {self.views}")
        if not 1.0 <= self.fov_deg <= 170.0:
            raise InputError(f"OrbitOptions.fov_deg must be in [1, 170] degrees, got {self.fov_deg}")
        if not 8 <= self.resolution <= 4096:
            raise InputError(f"OrbitOptions.resolution must be in [8, 4096] pixels, got {self.resolution}")
        if not -89.0 <= self.pitch_deg <= 89.0:
            raise InputError(f"OrbitOptions.pitch_deg must be in [-89, 89] degrees, got {self.pitch_deg}")
        if self.margin < 1.0:
            raise InputError(f"OrbitOptions.margin must be >= 1, got {self.margin}")
        if self.extent_distance is not None and not 0.5 <= self.extent_distance <= 100.0:
            raise InputError(f"OrbitOptions.extent_distance must be None or in [0.5, 100], got {self.extent_distance}")


OFFICIAL_ORBIT = OrbitOptions(views=8, pitch_deg=0.0, fov_deg=40.0, resolution=512, start_yaw_deg=90.0,
                              extent_distance=2.0)
"""The official HOI3DGen segmentation orbit (agshar96/Hoi3DGen
`scripts/render_scripts/render_interaction.py` → `blender_script/render.py`):
8 yaws 2πi/8, pitch 0, FOV 40° (`cam.data.lens = 16 / tan(fov / 2)` on a 32 mm
sensor, vertical = horizontal), 512 × 512 px. Their yaw 0 puts the camera on
Blender's +X, which is the internal frame's +X (yaw 90° here; the 8 yaws are
the same set either way, only the frame numbering shifts). The release
normalises the scene to a largest bounding-box extent of 1 and places the
cameras at radius 2 from the box centre: `extent_distance=2.0`. Not the default
(`OrbitOptions()`: pitch 15°, distance framing the bounding sphere); the
"paper" preset uses it."""


@dataclass
class Camera:
    """A pinhole camera (OpenCV axes, see module docstring).

    Attributes:
        intrinsics: (3, 3) float64 K, pixels.
        world_to_camera: (4, 4) float64 rigid transform, internal frame → camera.
        width: image width, pixels.
        height: image height, pixels.
        yaw_deg: orbit yaw, degrees.
        pitch_deg: orbit pitch, degrees.
    """

    intrinsics: np.ndarray
    world_to_camera: np.ndarray
    width: int
    height: int
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0

    @property
    def rotation(self) -> np.ndarray:
        """(3, 3) float64 world → camera rotation (rows: right, down, forward)."""
        return self.world_to_camera[:3, :3]

    @property
    def position(self) -> np.ndarray:
        """(3,) float64 camera centre in the internal frame, metres."""
        return -self.rotation.T @ self.world_to_camera[:3, 3]

    @property
    def forward(self) -> np.ndarray:
        """(3,) float64 unit optical axis in the internal frame."""
        return self.rotation[2].copy()

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project world points.

        Args:
            points: (N, 3) internal frame, metres.

        Returns:
            pixels: (N, 2) float64 (col, row) continuous pixel coordinates
                (pixel (i, j) covers [j, j+1) × [i, i+1)).
            depth: (N,) float64 distance along the optical axis, metres.
        """
        cam = np.asarray(points, np.float64) @ self.rotation.T + self.world_to_camera[:3, 3]
        depth = cam[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            uvw = cam @ self.intrinsics.T
            pixels = uvw[:, :2] / uvw[:, 2:3]
        return pixels, depth

    def pixel_directions(self) -> np.ndarray:
        """(H*W, 3) float64 unit ray directions through every pixel centre in camera
        coordinates, row-major (the same for every camera with these intrinsics)."""
        rows, cols = np.mgrid[0 : self.height, 0 : self.width]
        k = self.intrinsics
        x = (cols.ravel() + 0.5 - k[0, 2]) / k[0, 0]
        y = (rows.ravel() + 0.5 - k[1, 2]) / k[1, 1]
        dirs = np.stack([x, y, np.ones_like(x)], axis=1)
        return dirs / np.linalg.norm(dirs, axis=1, keepdims=True)

    def pixel_rays(self) -> tuple[np.ndarray, np.ndarray]:
        """(H*W, 3) origins and unit directions (internal frame) of the rays through
        every pixel centre, row-major."""
        dirs = self.pixel_directions() @ self.rotation  # R^T applied to each row
        return np.broadcast_to(self.position, dirs.shape).copy(), dirs

    def to_json(self) -> dict:
        return {
            "intrinsics": self.intrinsics.tolist(),
            "world_to_camera": self.world_to_camera.tolist(),
            "width": self.width,
            "height": self.height,
            "yaw_deg": self.yaw_deg,
            "pitch_deg": self.pitch_deg,
            "convention": "opencv: x right, y down, z forward; world = internal frame (+Y up, metres)",
        }


@dataclass
class OrbitRender:
    """The frames of an orbit.

    Attributes:
        rgb: (N, H, W, 3) uint8 sRGB frames.
        depth: (N, H, W) float32 distance along each camera's optical axis,
            metres; inf where no surface is seen.
        face_ids: (N, H, W) int32 index of the face seen by each pixel, -1 for
            background.
        cameras: N `Camera`s.
        timings_s: "render" seconds.
    """

    rgb: np.ndarray
    depth: np.ndarray
    face_ids: np.ndarray
    cameras: list[Camera]
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def num_views(self) -> int:
        return len(self.cameras)

    def save(self, folder: str | Path, masks: np.ndarray | None = None, labels: list[str] | None = None) -> list[Path]:
        """Write `view_XX.png` frames, `orbit.npz` (depth, face ids) and `cameras.json`.

        Args:
            folder: output folder (created).
            masks: optional (N, L, H, W) bool masks written as `view_XX_<label>.png`.
            labels: the L label names for `masks`.

        Returns:
            The written paths.
        """
        from PIL import Image

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for i in range(self.num_views):
            p = out / f"view_{i:02d}.png"
            Image.fromarray(self.rgb[i]).save(p)
            written.append(p)
            if masks is not None and labels is not None:
                for li, label in enumerate(labels):
                    safe = "".join(c if c.isalnum() else "_" for c in label)
                    p = out / f"view_{i:02d}_{safe}.png"
                    Image.fromarray((masks[i, li] * 255).astype(np.uint8)).save(p)
                    written.append(p)
        p = out / "orbit.npz"
        np.savez_compressed(p, depth=self.depth, face_ids=self.face_ids)
        written.append(p)
        p = out / "cameras.json"
        p.write_text(json.dumps([c.to_json() for c in self.cameras], indent=1))
        written.append(p)
        return written


def look_at_camera(centre: np.ndarray, distance: float, yaw_deg: float, pitch_deg: float,
                   fov_deg: float, resolution: int) -> Camera:
    """A camera on the orbit sphere around `centre` looking at it (module docstring)."""
    yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
    offset = np.array([math.cos(pitch) * math.sin(yaw), math.sin(pitch), math.cos(pitch) * math.cos(yaw)])
    position = np.asarray(centre, np.float64) + distance * offset
    forward = -offset
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    rot = np.stack([right, down, forward])
    extr = np.eye(4)
    extr[:3, :3] = rot
    extr[:3, 3] = -rot @ position
    f = 0.5 * resolution / math.tan(math.radians(fov_deg) / 2.0)
    k = np.array([[f, 0.0, resolution / 2.0], [0.0, f, resolution / 2.0], [0.0, 0.0, 1.0]])
    return Camera(k, extr, resolution, resolution, float(yaw_deg), float(pitch_deg))


def orbit_cameras(mesh: Mesh, options: OrbitOptions = OrbitOptions()) -> list[Camera]:
    """The orbit's cameras around the bounding-box centre of `mesh`.

    The distance frames the bounding sphere (`margin`), or is
    `extent_distance` × the largest bounding-box extent when that is set.
    """
    lo, hi = mesh.vertices.min(axis=0).astype(np.float64), mesh.vertices.max(axis=0).astype(np.float64)
    centre = 0.5 * (lo + hi)
    if options.extent_distance is not None:
        distance = options.extent_distance * max(float((hi - lo).max()), 1e-6)
    else:
        radius = max(float(np.linalg.norm(mesh.vertices - centre, axis=1).max()), 1e-6)
        distance = options.margin * radius / math.sin(math.radians(options.fov_deg) / 2.0)
    step = 360.0 / options.views
    yaws = options.yaws_deg or tuple(options.start_yaw_deg + i * step for i in range(options.views))
    return [
        look_at_camera(centre, distance, yaw, options.pitch_deg, options.fov_deg, options.resolution)
        for yaw in yaws
    ]


def _albedo(mesh: Mesh, faces: np.ndarray, bary: np.ndarray) -> np.ndarray:
    """(N, 3) float64 sRGB albedo at the hit points (face ids + barycentric coords)."""
    corners = mesh.faces[faces]  # (N, 3)
    albedo = np.ones((len(faces), 3)) * 255.0
    if mesh.texture is not None and mesh.uv is not None:
        uv = np.einsum("nk,nkc->nc", bary, mesh.uv[corners].astype(np.float64))
        img = mesh.texture.image
        h, w = img.shape[:2]
        cols = np.clip((np.mod(uv[:, 0], 1.0) * w).astype(np.int64), 0, w - 1)
        rows = np.clip((np.mod(uv[:, 1], 1.0) * h).astype(np.int64), 0, h - 1)  # glTF: v grows down
        albedo = img[rows, cols, :3].astype(np.float64)
    if mesh.colors is not None:  # multiplied into the texture, as glTF does
        albedo = albedo * np.einsum("nk,nkc->nc", bary, mesh.colors[corners][..., :3].astype(np.float64)) / 255.0
    if mesh.texture is None and mesh.colors is None:
        albedo = np.broadcast_to(_GREY, (len(faces), 3))
    return albedo


def render_orbit(mesh: Mesh, options: OrbitOptions = OrbitOptions()) -> OrbitRender:
    """Render `mesh` from an orbit of cameras by embree ray casting.

    Args:
        mesh: the (combined human + object) surface, internal frame, metres;
            its texture or vertex colours colour the frames.
        options: views, pitch, field of view, resolution.

    Returns:
        `OrbitRender` with rgb (N, H, W, 3) uint8, depth (N, H, W) float32
        metres (inf = background), face_ids (N, H, W) int32 (-1 = background)
        and the N cameras.

    Raises:
        InputError: a mesh without triangles or with non-finite vertices.
    """
    import time

    if len(mesh.faces) == 0:
        raise InputError(f"mesh {mesh.name!r} has no triangles to render")
    mesh.validate()
    t0 = time.perf_counter()
    tm = trimesh.Trimesh(mesh.vertices.astype(np.float64), mesh.faces, process=False)
    face_normals = np.asarray(tm.face_normals, np.float64)
    cameras = orbit_cameras(mesh, options)
    n, r = len(cameras), options.resolution
    rgb = np.empty((n, r, r, 3), np.uint8)
    depth = np.full((n, r, r), np.inf, np.float32)
    face_ids = np.full((n, r, r), -1, np.int32)
    background = np.asarray(options.background, np.uint8)
    cam_dirs = cameras[0].pixel_directions()  # shared: every camera has the same intrinsics
    vertices = tm.vertices
    for v, cam in enumerate(cameras):
        # rays only through the pixels of the mesh's projected bounding rectangle
        pix, _ = cam.project(vertices)
        c0, r0 = np.maximum(np.floor(pix.min(axis=0)).astype(int) - 1, 0)
        c1, r1 = np.minimum(np.ceil(pix.max(axis=0)).astype(int) + 1, r)
        rows, cols = np.mgrid[r0:r1, c0:c1]
        pixel = (rows * r + cols).ravel()
        dirs = cam_dirs[pixel] @ cam.rotation
        origins = np.broadcast_to(cam.position, dirs.shape)
        first = tm.ray.intersects_first(origins, dirs)  # embree: nearest face per ray, -1 = miss
        rays = np.flatnonzero(first >= 0)
        faces, pixel, dirs = first[rays], pixel[rays], dirs[rays]
        # hit points on the faces' planes (the nearest hit lies on its face)
        normals = face_normals[faces]
        along = np.einsum("nc,nc->n", tm.triangles[faces, 0] - cam.position, normals)
        hits = cam.position + dirs * (along / np.einsum("nc,nc->n", dirs, normals))[:, None]
        bary = trimesh.triangles.points_to_barycentric(tm.triangles[faces], hits)
        bary = np.clip(bary, 0.0, 1.0)
        bary /= np.maximum(bary.sum(axis=1, keepdims=True), 1e-12)
        lambert = np.abs(np.einsum("nc,nc->n", face_normals[faces], dirs))
        shade = options.ambient + (1.0 - options.ambient) * lambert
        colour = np.clip(_albedo(mesh, faces, bary) * shade[:, None], 0, 255)
        rgb[v].reshape(-1, 3)[:] = background
        rgb[v].reshape(-1, 3)[pixel] = np.round(colour).astype(np.uint8)
        depth[v].reshape(-1)[pixel] = (hits - cam.position) @ cam.forward
        face_ids[v].reshape(-1)[pixel] = faces
    return OrbitRender(rgb, depth, face_ids, cameras, {"render": time.perf_counter() - t0})
