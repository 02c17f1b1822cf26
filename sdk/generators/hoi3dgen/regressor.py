"""Stage 6 of the `hoi3dgen` chain: the body regressor (CameraHMR), lock entry "camerahmr".

`CameraHMRRegressor` runs CameraHMR (`camerahmr_net.CameraHMRNet`) on one image
and one person box: SMPL pose, betas and camera translation in the OpenCV
camera frame. `RegressorEstimator` turns it into a `lift.estimate.BodyEstimator`:
it renders the human surface's front view, regresses the body, converts the
result into the internal frame and into the pose convention of the body model
in use, and places it on the surface.

Preprocessing (CameraHMR's `core/datasets/dataset.py`, done here in torch):
the box (x0, y0, x1, y1) gives a centre c and a side b = max(width, height) (no
padding); the square of side b around c is resampled bilinearly to 256 × 256
(pixel centres at integer coordinates, outside the image = black, as OpenCV's
`warpAffine` with BORDER_CONSTANT), scaled to [0, 1] and normalised with the
ImageNet mean / std, channels in RGB order (the reference reads BGR with OpenCV
and reverses the channels). The network sees the centre 256 × 192 columns.

Focal length: CameraHMR conditions on the box relative to a full-image pinhole
camera with its principal point at the image centre (`bbox_info`) and converts
its weak-perspective camera (s, tx, ty) to a translation with the same focal
length f: t = (tx + 2 (cx - W/2) / (s b), ty + 2 (cy - H/2) / (s b), 2 f / (s b)).
For photographs it estimates f with a separate network (FLNet / HumanFoV, an
HRNet-W48 in `cam_model_cleaned.ckpt`). hoiexport only runs it on its own
renders, whose focal length is known exactly, so FLNet is not implemented: the
estimator passes the render camera's f; `predict(focal=None)` falls back to
CLIFF's convention f = √(W² + H²). HOI3DGen's own fork (agshar96/CameraHMR,
`demo_hoi3dgen.py`) does the same: it fixes the vertical field of view at 40°
for its orbit renders instead of running FLNet.

Frames. CameraHMR's SMPL output lives in the OpenCV camera frame (x right, y
down, z forward; its perspective projection divides by +z): the posed body is
R_go (v - j0) + j0 + t for SMPL rest vertices v, so R_go maps SMPL's canonical
axes (+Y up, facing +Z, which are also the internal frame's body axes) into
camera axes. With the render camera's world → camera rotation R_wc (rows:
right, down, forward; `lift.orbit.Camera.rotation`), the body's orientation in
the internal frame is R_wc^T R_go (an upright person facing a yaw-0 camera, R_go
= diag(1, -1, -1), gives the identity). The other 23 rotations are relative to
their parents and need no frame change.

Rest pose. SMPL's rotations are relative to SMPL's T-pose; Anny's rest is an
A-pose (upper arms ~48° down, forearms bent forward). `transfer_pose` maps them
through per-joint rest corrections C_j, the minimal rotation taking the body's
rest bone direction to SMPL's T-pose bone direction (±X for the shoulder, elbow
and wrist bones; hands inherit their wrist's correction; every other bone is
taken to have the same rest direction in both models, C_j = I): the body's
local rotation is C_parent^T R_j C_j, so every corrected bone points where
SMPL's does (G_j C_j d_body = G_j d_SMPL). Approximations: SMPL's own T-pose
arms droop a few degrees from ±X; twist about a bone is not matched (palms may
be turned); legs, spine and collars keep the regressor's rotations as they are.
For the `smpl` body the pose and betas transfer unchanged. Anny's shape is not
derived from the betas (registration fits the phenotype).

Placement. The lifted mesh is only defined up to scale, and the exact pelvis
offset j0 belongs to the licensed SMPL model, so the camera translation is not
used to place the body: the posed body gets the scale of the area-weighted RMS
radius of the human surface and its centroid, then one robust
nearest-neighbour translation step (median over the 80 % closest points).
`register_body` then fits the similarity and the pose.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from hoiexport.sdk.bodies.protocol import BodyModel, BodyParams
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.camerahmr_net import CameraHMRConfig, CameraHMRNet, infer_config
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.lift.chamfer import sample_surface
from hoiexport.sdk.generators.lift.estimate import BodyEstimator, PointCloudEstimator
from hoiexport.sdk.geometry.orbit import Camera, OrbitOptions, render_orbit
from hoiexport.sdk.models import ModelRef, RequiredPaths, load_checkpoint, resolve_weights
from hoiexport.sdk.core.skeleton import JOINT_INDEX, SMPL_PARENTS
from hoiexport.sdk.core.types import Mesh
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

LOCK_ENTRY = "camerahmr"
"""The `third_party_models.lock` entry `from_pretrained(None, ...)` resolves."""
CHECKPOINT_FILE = "camerahmr_checkpoint_cleaned.ckpt"
"""The released SMPL regressor: a PyTorch Lightning checkpoint, weights under 'state_dict'."""
WEIGHTS = ModelRef(
    LOCK_ENTRY,
    "body_regressor",
    RequiredPaths(
        f"{CHECKPOINT_FILE} (register at https://camerahmr.is.tue.mpg.de to download it) or its folder",
        files=(CHECKPOINT_FILE,),
    ),
)
"""Where `CameraHMRRegressor.from_pretrained` finds the checkpoint (a file given is used as is)."""
MEAN_PARAMS_FILE = "smpl_mean_params.npz"
"""SMPL mean parameters ('pose' (144,), 'shape' (10,), 'cam' (3,)); read only when the
checkpoint lacks the head's `init_*` buffers."""
MODULE_PREFIXES = ("backbone.", "smpl_head.")
"""State-dict prefixes of the inference network; the training module's other
attributes (FLNet `cam_model.`, SMPL layers, loss modules) are dropped."""
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

SMPL_TPOSE_DIRECTIONS: dict[str, tuple[float, float, float]] = {
    "left_shoulder": (1.0, 0.0, 0.0),
    "left_elbow": (1.0, 0.0, 0.0),
    "left_wrist": (1.0, 0.0, 0.0),
    "right_shoulder": (-1.0, 0.0, 0.0),
    "right_elbow": (-1.0, 0.0, 0.0),
    "right_wrist": (-1.0, 0.0, 0.0),
}
"""Joint → direction of its bone in SMPL's T-pose (internal frame; +X = the body's
left), for the bones whose rest direction `transfer_pose` corrects."""
BONE_CHILD: dict[str, str] = {
    "left_shoulder": "left_elbow",
    "left_elbow": "left_wrist",
    "left_wrist": "left_hand",
    "right_shoulder": "right_elbow",
    "right_elbow": "right_wrist",
    "right_wrist": "right_hand",
}
"""Joint → the joint its bone points to, for the corrected bones."""

Transfer = Literal["full", "orientation"]


# ----------------------------------------------------------------------------- checkpoint


def load_mean_params(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """CameraHMR's `smpl_mean_params.npz` as the head's buffers.

    Returns:
        {"smpl_head.init_body_pose": (1, 144), "smpl_head.init_betas": (1, 10),
        "smpl_head.init_cam": (1, 3)} float32.

    Raises:
        ModelUnavailableError: the file is missing, unreadable or lacks a key.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            return {
                "smpl_head.init_body_pose": np.asarray(data["pose"], np.float32).reshape(1, -1),
                "smpl_head.init_betas": np.asarray(data["shape"], np.float32).reshape(1, -1),
                "smpl_head.init_cam": np.asarray(data["cam"], np.float32).reshape(1, -1),
            }
    except (OSError, KeyError, ValueError) as exc:
        raise ModelUnavailableError(
            f"cannot read CameraHMR mean parameters {path}: {exc}; it must be an .npz with 'pose', 'shape' "
            f"and 'cam' (re-download it, see `hoiexport models fetch {LOCK_ENTRY}`)"
        ) from exc


def _few(keys: list[str], n: int = 5) -> str:
    shown = ", ".join(keys[:n])
    return f"{shown}, ... ({len(keys)} in all)" if len(keys) > n else shown


def network_tensors(raw: Mapping[str, torch.Tensor], source: str = "checkpoint") -> dict[str, torch.Tensor]:
    """The inference network's tensors of a checkpoint's 'state_dict'.

    A prefix every key shares ("model.", "module.") is stripped, then only keys
    under `MODULE_PREFIXES` are kept (the LightningModule also holds FLNet, SMPL
    layers, ...).

    Raises:
        InputError: no key is under `MODULE_PREFIXES` (the wrong file).
    """
    keys = list(raw)
    for prefix in ("model.", "module."):
        if keys and all(k.startswith(prefix) for k in keys):
            raw = {k[len(prefix) :]: v for k, v in raw.items()}
            keys = list(raw)
    sd = {k: v for k, v in raw.items() if k.startswith(MODULE_PREFIXES)}
    if not sd:
        raise InputError(
            f"{source} holds no CameraHMR weights: no key starts with {' or '.join(MODULE_PREFIXES)} "
            f"(it has {_few(sorted(keys))}); pass the SMPL regressor {CHECKPOINT_FILE}, not the FLNet "
            "cam_model checkpoint or another model's"
        )
    return sd


def prepare_state_dict(
    raw: Mapping[str, torch.Tensor],
    expected: Mapping[str, torch.Tensor],
    *,
    mean_params: Mapping[str, np.ndarray] | None = None,
    source: str = "checkpoint",
) -> dict[str, torch.Tensor]:
    """The released checkpoint's state dict, keyed like `CameraHMRNet`.

    1. `network_tensors`: a shared "model." / "module." prefix is stripped and
       only keys under `MODULE_PREFIXES` are kept.
    2. Missing `smpl_head.init_*` buffers are taken from `mean_params`.
    3. The keys and shapes must then equal `expected` exactly.

    Args:
        raw: the checkpoint's 'state_dict'.
        expected: `CameraHMRNet(config).state_dict()` (tensors or meta tensors).
        mean_params: `load_mean_params(...)`, or None.
        source: the file, named in errors.

    Raises:
        InputError: keys missing, unexpected or of the wrong shape (listing a few,
            with the fix).
    """
    sd = network_tensors(raw, source)
    for key, value in (mean_params or {}).items():
        if key not in sd:
            sd[key] = torch.as_tensor(value)
    missing = sorted(set(expected) - set(sd))
    unexpected = sorted(set(sd) - set(expected))
    wrong = sorted(k for k in set(sd) & set(expected) if tuple(sd[k].shape) != tuple(expected[k].shape))
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing {_few(missing)}")
        if unexpected:
            parts.append(f"unexpected {_few(unexpected)}")
        if wrong:
            parts.append("wrong shape " + _few(
                [f"{k} {tuple(sd[k].shape)} (expected {tuple(expected[k].shape)})" for k in wrong]))
        hint = (
            f"; put {MEAN_PARAMS_FILE} next to the checkpoint"
            if missing and all(k.startswith("smpl_head.init_") for k in missing)
            else "; the checkpoint does not match CameraHMRConfig: pass the released SMPL regressor "
            f"{CHECKPOINT_FILE}, or a config with its sizes"
        )
        raise InputError(f"{source} does not fit the CameraHMR network: " + "; ".join(parts) + hint)
    return sd


# ----------------------------------------------------------------------------- regressor


@dataclass
class RegressorOutput:
    """One person's body as CameraHMR sees it.

    Attributes:
        pose: (24, 3) float32 axis-angle radians, SMPL-24 order, row 0 = global
            orientation in the OpenCV camera frame, rows 1.. relative to the parent
            joint (SMPL T-pose rest).
        rotations: (24, 3, 3) float32, the same as rotation matrices.
        betas: (10,) float32 SMPL shape coefficients.
        camera_translation: (3,) float32 metres, OpenCV camera frame (x right, y
            down, z forward), added to the SMPL body posed about its own origin.
        weak_camera: (3,) float32 the network's weak-perspective camera (s, tx, ty)
            of the crop (the origin projects to box_center + s (tx, ty) box_size / 2).
        focal: focal length used, pixels (principal point at the image centre).
        box_center: (2,) float64 (x, y) pixels of the crop centre.
        box_size: side of the square crop, pixels.
    """

    pose: np.ndarray
    rotations: np.ndarray
    betas: np.ndarray
    camera_translation: np.ndarray
    weak_camera: np.ndarray
    focal: float
    box_center: np.ndarray
    box_size: float


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray):
        raise InputError(f"regressor image must be a numpy array (H, W, 3) uint8, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"regressor image must have shape (H, W, 3) (RGB), got {image.shape}; drop alpha first")
    if image.dtype != np.uint8:
        raise InputError(f"regressor image must be uint8 sRGB (0-255), got dtype {image.dtype}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise InputError(f"regressor image is empty: shape {image.shape}")


def _check_box(box: np.ndarray | None, height: int, width: int) -> np.ndarray:
    if box is None:
        return np.array([0.0, 0.0, float(width), float(height)])
    b = np.asarray(box, dtype=np.float64)
    if b.shape != (4,) or not np.isfinite(b).all() or b[2] <= b[0] or b[3] <= b[1]:
        raise InputError(
            f"regressor box must be 4 finite numbers (x0, y0, x1, y1) pixels with x1 > x0 and y1 > y0, got {box!r}"
        )
    return b


class CameraHMRRegressor:
    """CameraHMR on one image and one person box (module docstring).

    Args:
        net: the network (any size; tests build a tiny random one).
        runtime: device and dtype; the network is moved there.
    """

    name = "camerahmr"

    def __init__(self, net: CameraHMRNet, runtime: Runtime) -> None:
        self.net = net.to(device=runtime.torch_device, dtype=runtime.dtype).eval()
        self.runtime = runtime
        self.config = net.config

    @classmethod
    def from_pretrained(
        cls,
        path: str | os.PathLike[str] | None,
        runtime: Runtime,
        config: CameraHMRConfig | None = None,
    ) -> CameraHMRRegressor:
        """Load the released checkpoint.

        Args:
            path: `camerahmr_checkpoint_cleaned.ckpt`, or the folder holding it; None
                resolves lock entry "camerahmr" under `HOIEXPORT_MODELS`.
            runtime: device and dtype.
            config: network sizes; None reads them from the checkpoint's tensor
                shapes (`camerahmr_net.infer_config`: the released model's sizes for
                the released file).

        Raises:
            ModelUnavailableError: the file is missing or unreadable (or holds
                pickled objects other than tensors).
            InputError: its weights do not fit the network (`prepare_state_dict`).
        """
        if path is not None and Path(path).expanduser().is_file():
            file = Path(path).expanduser()
        else:
            file = resolve_weights(WEIGHTS, path) / CHECKPOINT_FILE
        raw = load_checkpoint(file, key="state_dict")
        means = file.parent / MEAN_PARAMS_FILE
        config = config or infer_config(network_tensors(raw, str(file)))
        with torch.device("meta"):
            net = CameraHMRNet(config)
        mean_params = load_mean_params(means) if means.is_file() else None
        sd = prepare_state_dict(raw, net.state_dict(), mean_params=mean_params, source=str(file))
        net.load_state_dict(sd, strict=True, assign=True)
        return cls(net.float(), runtime)

    def preprocess(self, image: np.ndarray, center: np.ndarray, size: float) -> torch.Tensor:
        """The network's input crop.

        Args:
            image: (H, W, 3) uint8 sRGB.
            center: (2,) (x, y) pixels of the crop centre.
            size: crop side, pixels.

        Returns:
            (1, 3, S, S) float32 on the CPU, ImageNet-normalised RGB, S = `config.crop_size`.
        """
        h, w = image.shape[:2]
        s = self.config.crop_size
        steps = (torch.arange(s, dtype=torch.float64) - s / 2.0) * (size / s)
        xs = float(center[0]) + steps  # source pixel coordinates (centres at integers)
        ys = float(center[1]) + steps
        gx = (2.0 * xs + 1.0) / w - 1.0  # grid_sample, align_corners=False
        gy = (2.0 * ys + 1.0) / h - 1.0
        grid = torch.stack(torch.meshgrid(gy, gx, indexing="ij")[::-1], dim=-1)[None].float()
        x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float()
        crop = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255.0
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255.0
        return (crop - mean) / std

    def predict(self, image: np.ndarray, box: np.ndarray | None = None, *, focal: float | None = None
                ) -> RegressorOutput:
        """Regress the person in `box`.

        Args:
            image: (H, W, 3) uint8 sRGB.
            box: (4,) (x0, y0, x1, y1) pixels of the person; None = the whole image.
            focal: the image's focal length, pixels (principal point at the centre);
                None = √(W² + H²) (CLIFF's default).

        Returns:
            `RegressorOutput`.

        Raises:
            InputError: a malformed image, box or focal length.
        """
        _check_image(image)
        h, w = image.shape[:2]
        b = _check_box(box, h, w)
        f = math.hypot(w, h) if focal is None else float(focal)
        if not math.isfinite(f) or f <= 0:
            raise InputError(f"regressor focal length must be a positive number of pixels, got {focal!r}")
        center = np.array([(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0])
        size = float(max(b[2] - b[0], b[3] - b[1]))
        crop = self.preprocess(image, center, size)
        info = torch.tensor([[(center[0] - w / 2.0) / f, (center[1] - h / 2.0) / f, size / f]])
        dev, dtype = self.runtime.torch_device, self.runtime.dtype
        with torch.inference_mode():
            out = self.net(crop.to(device=dev, dtype=dtype), info.to(device=dev, dtype=dtype))
        rot = out["rotations"][0].float().cpu().numpy()
        scale, tx, ty = (float(v) for v in out["cam"][0].float().cpu())
        if not math.isfinite(scale) or scale <= 1e-6:
            raise RuntimeError(
                f"CameraHMR predicted a non-positive camera scale {scale}; check the weights and the precision"
            )
        translation = np.array([
            tx + 2.0 * (center[0] - w / 2.0) / (scale * size),
            ty + 2.0 * (center[1] - h / 2.0) / (scale * size),
            2.0 * f / (scale * size),
        ], np.float32)
        return RegressorOutput(
            pose=Rotation.from_matrix(rot.astype(np.float64)).as_rotvec().astype(np.float32),
            rotations=rot,
            betas=out["betas"][0].float().cpu().numpy(),
            camera_translation=translation,
            weak_camera=np.array([scale, tx, ty], np.float32),
            focal=f,
            box_center=center,
            box_size=size,
        )


# ----------------------------------------------------------------------------- frames and rest poses


def camera_to_world_rotation(rotation: np.ndarray, camera: Camera) -> np.ndarray:
    """A body orientation in `camera`'s OpenCV frame → the internal frame: R_wc^T R.

    Args:
        rotation: (3, 3) global orientation in the camera frame.
        camera: the camera the image was taken with.

    Returns:
        (3, 3) float64 global orientation in the internal frame.
    """
    return camera.rotation.T @ np.asarray(rotation, np.float64)


def facing_yaw_deg(rotation: np.ndarray) -> float:
    """Yaw about +Y, degrees, of the direction a body with this global orientation
    (internal frame) faces (0 = +Z, 90 = +X); the camera yaw that sees its front."""
    forward = np.asarray(rotation, np.float64)[:, 2]
    return float(np.degrees(np.arctan2(forward[0], forward[2])))


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(3, 3) minimal rotation taking the direction of a to that of b."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    axis = np.cross(a, b)
    s, c = float(np.linalg.norm(axis)), float(a @ b)
    if s < 1e-9:
        if c > 0:
            return np.eye(3)
        normal = np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
        return Rotation.from_rotvec(np.pi * normal / np.linalg.norm(normal)).as_matrix()
    return Rotation.from_rotvec(axis / s * math.atan2(s, c)).as_matrix()


def rest_corrections(rest_joints: np.ndarray) -> np.ndarray:
    """Per-joint rotations from a body's rest bones to SMPL's T-pose bones (module docstring).

    Args:
        rest_joints: (24, 3) the body's rest joint positions, internal frame.

    Returns:
        (24, 3, 3) float64 C_j: the minimal rotation taking joint j's rest bone to
        `SMPL_TPOSE_DIRECTIONS[j]` for the arm bones; the wrist's for the hands;
        the identity elsewhere.
    """
    rest = np.asarray(rest_joints, np.float64)
    out = np.tile(np.eye(3), (24, 1, 1))
    for joint, target in SMPL_TPOSE_DIRECTIONS.items():
        j = JOINT_INDEX[joint]
        out[j] = _rotation_between(rest[JOINT_INDEX[BONE_CHILD[joint]]] - rest[j], np.asarray(target))
    for hand, wrist in (("left_hand", "left_wrist"), ("right_hand", "right_wrist")):
        out[JOINT_INDEX[hand]] = out[JOINT_INDEX[wrist]]
    return out


def transfer_pose(rotations: np.ndarray, corrections: np.ndarray | None) -> np.ndarray:
    """SMPL-convention rotations → a body whose rest differs by `corrections`.

    R'_j = C_parent^T R_j C_j (C_root's parent = identity), so the body's world
    rotation is G'_j = G_j C_j and its bone j points along G_j C_j d_body = G_j d_SMPL.

    Args:
        rotations: (24, 3, 3) rotation matrices, row 0 = global orientation.
        corrections: `rest_corrections(...)`, or None for the identity (SMPL itself).

    Returns:
        (24, 3) float32 axis-angle radians.
    """
    r = np.asarray(rotations, np.float64)
    if corrections is not None:
        c = np.asarray(corrections, np.float64)
        parent = np.where(SMPL_PARENTS >= 0, SMPL_PARENTS, 0)
        c_parent = np.where((SMPL_PARENTS >= 0)[:, None, None], c[parent], np.eye(3))
        r = np.transpose(c_parent, (0, 2, 1)) @ r @ c
    return Rotation.from_matrix(r).as_rotvec().astype(np.float32)


# ----------------------------------------------------------------------------- estimator


@dataclass(frozen=True)
class RegressorEstimatorOptions:
    """Settings of `RegressorEstimator`.

    Attributes:
        resolution: side of the rendered front view, pixels (512², the render size
            HOI3DGen's fork assumes in `mesh_estimator_hoi3d.py`).
        fov_deg: field of view of the render, degrees (HOI3DGen's fork fixes 40°).
        pitch_deg: camera elevation, degrees (0 = level).
        margin: render framing (`OrbitOptions.margin`).
        refacing_deg: when the first estimate faces more than this away from the
            camera, render again from where it faces and regress again (HOI3DGen
            picks the orbit view closest to the body's front the same way); the
            second estimate comes first. A value ≥ 180 disables it. Not used when
            `refacing_views` > 0.
        refacing_views: 0 = render the second view at the yaw the body faces;
            N > 0 = at the nearest of N orbit yaws spaced 360/N apart from the first
            view, and only when that is another yaw (the view changes when the body
            faces more than 180/N degrees away), as HOI3DGen's fork does with its 8
            orbit renders (agshar96/CameraHMR `mesh_estimator_hoi3d.py`
            `return_front_frame`: front_view_id = round(angle / 45°) + start).
        transfer: "full" (every joint, through the rest corrections) or
            "orientation" (global orientation only, the body's rest pose elsewhere).
        samples: surface samples used to place the body.
        fallback: append the point-cloud estimator's hypotheses after the regressor's.
        seed: sampling seed.
    """

    resolution: int = 512
    fov_deg: float = 40.0
    pitch_deg: float = 0.0
    margin: float = 1.05
    refacing_deg: float = 30.0
    refacing_views: int = 0
    transfer: Transfer = "full"
    samples: int = 2000
    fallback: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.transfer not in ("full", "orientation"):
            raise InputError(
                f"RegressorEstimatorOptions.transfer must be 'full' or 'orientation', got {self.transfer!r}"
            )
        if self.samples < 10:
            raise InputError(f"RegressorEstimatorOptions.samples must be >= 10, got {self.samples}")
        if self.refacing_deg < 0:
            raise InputError(f"RegressorEstimatorOptions.refacing_deg must be >= 0, got {self.refacing_deg}")
        if not isinstance(self.refacing_views, int) or not 0 <= self.refacing_views <= 360:
            raise InputError(
                f"RegressorEstimatorOptions.refacing_views must be an integer in [0, 360] (0 = any yaw), "
                f"got {self.refacing_views!r}"
            )


@dataclass
class RegressorView:
    """One regression of the estimator.

    Attributes:
        camera: the render camera.
        output: the regressor's result in that camera.
        orientation: (3, 3) float64 global orientation in the internal frame.
        params: the placed `BodyParams` it gave.
    """

    camera: Camera
    output: RegressorOutput
    orientation: np.ndarray
    params: BodyParams


@dataclass
class _Target:
    points: np.ndarray
    tree: cKDTree = field(init=False)
    centroid: np.ndarray = field(init=False)
    radius: float = field(init=False)

    def __post_init__(self) -> None:
        self.tree = cKDTree(self.points)
        self.centroid = self.points.mean(axis=0)
        self.radius = float(np.sqrt(((self.points - self.centroid) ** 2).sum(axis=1).mean()))


class RegressorEstimator:
    """A `BodyEstimator` from CameraHMR on the human surface's front view (module docstring).

    Args:
        regressor: the regressor.
        options: render, transfer and placement settings.
        fallback: estimator whose hypotheses follow the regressor's when
            `options.fallback` (default `PointCloudEstimator()`).

    Attributes:
        name: "camerahmr".
        last_views: the regressions of the latest `estimate`, in the order returned.
    """

    name = "camerahmr"

    def __init__(self, regressor: CameraHMRRegressor, options: RegressorEstimatorOptions | None = None,
                 fallback: BodyEstimator | None = None) -> None:
        self.regressor = regressor
        self.options = options or RegressorEstimatorOptions()
        self.fallback = fallback if fallback is not None else (PointCloudEstimator() if self.options.fallback else None)
        self.last_views: list[RegressorView] = []

    def _regress(self, human: Mesh, yaw_deg: float) -> tuple[Camera, RegressorOutput]:
        o = self.options
        view = render_orbit(human, OrbitOptions(views=1, pitch_deg=o.pitch_deg, fov_deg=o.fov_deg,
                                                resolution=o.resolution, start_yaw_deg=yaw_deg, margin=o.margin))
        seen = view.face_ids[0] >= 0
        if not seen.any():
            raise InputError(f"human mesh {human.name!r} is not visible in its front view; check its vertices")
        rows, cols = np.nonzero(seen)
        box = np.array([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1], np.float64)
        camera = view.cameras[0]
        return camera, self.regressor.predict(view.rgb[0], box, focal=float(camera.intrinsics[0, 0]))

    def _params(self, body: BodyModel, output: RegressorOutput, orientation: np.ndarray,
                target: _Target) -> BodyParams:
        rotations = output.rotations.astype(np.float64).copy()
        rotations[0] = orientation
        if self.options.transfer == "orientation":
            rotations[1:] = np.eye(3)
        if body.name == "smpl":
            pose, shape = transfer_pose(rotations, None), {"betas": [float(v) for v in output.betas]}
        else:
            with torch.no_grad():
                rest = body.forward(torch.zeros(1, 24, 3)).rest_joints[0].double().numpy()
            corrections = rest_corrections(rest) if self.options.transfer == "full" else None
            pose, shape = transfer_pose(rotations, corrections), {}
        with torch.no_grad():
            vertices = body.forward(torch.as_tensor(pose)[None], shape).vertices[0].double().numpy()
        points, _ = sample_surface(Mesh(vertices, body.faces, name="body"), self.options.samples, self.options.seed)
        centroid = points.mean(axis=0)
        radius = float(np.sqrt(((points - centroid) ** 2).sum(axis=1).mean()))
        scale = target.radius / max(radius, 1e-9)
        moved = scale * (points - centroid) + target.centroid
        dist, idx = target.tree.query(moved)
        keep = dist <= np.percentile(dist, 80)
        step = np.median(target.points[idx[keep]] - moved[keep], axis=0)
        transl = target.centroid - scale * centroid + step
        return BodyParams(pose=pose, shape=shape, transl=transl.astype(np.float32), scale=float(scale))

    def estimate(self, human: Mesh, body: BodyModel) -> list[BodyParams]:
        """Initial `BodyParams` of `body` on the human surface, most likely first: the
        regressor's (after re-facing, the re-faced view first), then the fallback's.

        Args:
            human: the segmented human surface, internal frame (+Y up), any scale.
            body: the body model ("anny", "smpl").

        Raises:
            InputError: a human mesh without triangles or with non-finite vertices.
        """
        if len(human.faces) == 0:
            raise InputError(f"human mesh {human.name!r} has no triangles to estimate a body on")
        human.validate()
        points, _ = sample_surface(human, self.options.samples, self.options.seed)
        target = _Target(points)
        views: list[RegressorView] = []
        yaw = 0.0
        for _ in range(2):
            camera, out = self._regress(human, yaw)
            orientation = camera_to_world_rotation(out.rotations[0], camera)
            views.append(RegressorView(camera, out, orientation, self._params(body, out, orientation, target)))
            off = (facing_yaw_deg(orientation) - yaw + 180.0) % 360.0 - 180.0  # signed, (-180, 180]
            step = 360.0 / self.options.refacing_views if self.options.refacing_views else 0.0
            if step:
                turn = round(off / step) * step  # the nearest orbit view; 0 = this one
                if turn == 0.0:
                    break
                yaw += turn
            else:
                if abs(off) <= self.options.refacing_deg:
                    break
                yaw += off
        self.last_views = views[::-1]
        hypotheses = [v.params for v in self.last_views]
        if self.fallback is not None:
            hypotheses += self.fallback.estimate(human, body)
        return hypotheses


__all__ = [
    "CHECKPOINT_FILE",
    "LOCK_ENTRY",
    "MEAN_PARAMS_FILE",
    "CameraHMRRegressor",
    "RegressorEstimator",
    "RegressorEstimatorOptions",
    "RegressorOutput",
    "RegressorView",
    "camera_to_world_rotation",
    "facing_yaw_deg",
    "load_mean_params",
    "network_tensors",
    "prepare_state_dict",
    "rest_corrections",
    "transfer_pose",
]
