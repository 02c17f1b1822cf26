"""SMPL from the user's licensed model file, posed with smplx's LBS pieces (DESIGN §5).

SMPL is licensed (https://smpl.is.tue.mpg.de) and never shipped: the user points
`HOIEXPORT_SMPL_DIR` (CLI `--smpl-dir`) at a folder holding `SMPL_NEUTRAL.npz` or
`SMPL_NEUTRAL.pkl` (also accepted inside a `smpl/` sub-folder, smplx's layout).
`.npz` is read with `allow_pickle=False`; `.pkl` with the array-only unpickler of
`safe_pickle.py`. SMPL's native frame is the internal one (+Y up, faces +Z,
left +X, metres), so no axis change is applied.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse
import torch
from smplx.lbs import blend_shapes, vertices2joints

from hoiexport.sdk.bodies.parts import part_labels_from_weights
from hoiexport.sdk.bodies.protocol import BodyOutput, BodyParams
from hoiexport.sdk.bodies.safe_pickle import load_array_pickle
from hoiexport.sdk.bodies.shape_space import ShapeSpaceBase
from hoiexport.sdk.bodies.skinning import (
    as_pose,
    axis_angle_to_matrix,
    evaluate_fit,
    place,
    pose_skeleton,
    skin_vertices,
    vertex_normals,
)
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.core.skeleton import SMPL_JOINT_NAMES, SMPL_PARENTS
from hoiexport.sdk.core.types import BodyFit

SMPL_DIR_ENV = "HOIEXPORT_SMPL_DIR"
"""Environment variable naming the folder with the user's SMPL model files."""
SMPL_DOWNLOAD_URL = "https://smpl.is.tue.mpg.de"
MAX_BETAS = 10
"""Shape coefficients used (SMPL files carry 10 or 300; the first 10 are kept)."""

BETA_STEP = 0.1
"""A small change of one beta (finite differences)."""

Gender = Literal["neutral", "male", "female"]


def smpl_file_names(gender: Gender = "neutral") -> tuple[str, ...]:
    """File names looked for in the SMPL folder, in order of preference."""
    stem = f"SMPL_{gender.upper()}"
    return (f"{stem}.npz", f"{stem}.pkl", f"smpl/{stem}.npz", f"smpl/{stem}.pkl")


def find_smpl_file(smpl_dir: str | os.PathLike[str] | None = None, gender: Gender = "neutral") -> Path:
    """Locate the SMPL model file.

    Args:
        smpl_dir: a folder (or the model file itself); None reads `HOIEXPORT_SMPL_DIR`,
            else falls back to `<HOIEXPORT_MODELS>/smpl` when that folder exists.
        gender: which model file to look for.

    Raises:
        ModelUnavailableError: no folder given, or none of `smpl_file_names` in it;
            the message names the folder, the files and where to get them.
    """
    names = smpl_file_names(gender)
    fix = (
        f"SMPL is licensed and not shipped with hoiexport: register and download it from "
        f"{SMPL_DOWNLOAD_URL}, then set {SMPL_DIR_ENV} or pass --smpl-dir to the folder"
    )
    if smpl_dir is None:
        env = os.environ.get(SMPL_DIR_ENV)
        if not env:
            from hoiexport.sdk.models import get_models_dir

            fallback = get_models_dir() / "smpl"  # where `hoiexport models verify smpl` looks too
            if fallback.is_dir():
                env = str(fallback)
        if not env:
            raise ModelUnavailableError(
                f"no SMPL model folder given: {SMPL_DIR_ENV} is not set and no --smpl-dir was passed. "
                f"The folder must hold one of {', '.join(names)}. {fix}."
            )
        smpl_dir = env
    path = Path(smpl_dir).expanduser()
    if path.is_file():
        return path
    for name in names:
        if (path / name).is_file():
            return path / name
    raise ModelUnavailableError(
        f"SMPL model not found in {path}: expected one of {', '.join(names)}. {fix}."
    )


@dataclass
class SMPLData:
    """Arrays of one SMPL model file (internal frame, metres).

    Attributes:
        v_template: (N, 3) float32 template vertices (N = 6890).
        faces: (F, 3) int32 triangles (F = 13776).
        shapedirs: (N, 3, S) float32 shape blend shapes, S ≤ `MAX_BETAS` kept.
        posedirs: (N, 3, 207) float32 pose blend shapes.
        j_regressor: (24, N) float32 joint regressor (dense).
        weights: (N, 24) float32 skin weights.
        parents: (24,) int32 kinematic parents (-1 for the pelvis).
    """

    v_template: np.ndarray
    faces: np.ndarray
    shapedirs: np.ndarray
    posedirs: np.ndarray
    j_regressor: np.ndarray
    weights: np.ndarray
    parents: np.ndarray


_SMPL_KEYS = ("v_template", "f", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table")


def _read_raw(path: Path) -> dict[str, Any]:
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as npz:
                missing = [k for k in _SMPL_KEYS if k not in npz.files]
                if missing:
                    raise ModelUnavailableError(f"{path} lacks SMPL array(s) {missing}; expected {list(_SMPL_KEYS)}")
                return {k: npz[k] for k in _SMPL_KEYS}
        except ValueError as exc:  # object arrays need pickle
            raise ModelUnavailableError(
                f"{path} stores pickled objects ({exc}); re-save it with plain numeric arrays "
                "(np.savez with v_template, f, shapedirs, posedirs, J_regressor, weights, kintree_table)"
            ) from exc
        except (OSError, zipfile.BadZipFile) as exc:
            raise ModelUnavailableError(f"cannot read SMPL model {path}: {exc}") from exc
    raw = load_array_pickle(path)
    if not isinstance(raw, dict):
        raise ModelUnavailableError(f"{path} does not hold an SMPL model dict (got {type(raw).__name__})")
    missing = [k for k in _SMPL_KEYS if k not in raw]
    if missing:
        raise ModelUnavailableError(f"{path} lacks SMPL array(s) {missing}; expected {list(_SMPL_KEYS)}")
    return {k: raw[k] for k in _SMPL_KEYS}


def load_smpl_data(path: str | os.PathLike[str]) -> SMPLData:
    """Read and check an SMPL `.npz` or `.pkl` file.

    Raises:
        ModelUnavailableError: unreadable file, unsafe pickle, missing keys or
            wrong shapes (the message names the file and the array).
    """
    path = Path(path)
    raw = _read_raw(path)

    def dense(key: str) -> np.ndarray:
        value = raw[key]
        if scipy.sparse.issparse(value):
            value = value.toarray()
        try:
            return np.asarray(value)
        except (TypeError, ValueError) as exc:
            raise ModelUnavailableError(f"{path}: {key} is not a numeric array") from exc

    v_template = dense("v_template").astype(np.float32)
    n = v_template.shape[0] if v_template.ndim == 2 else -1
    want = {
        "v_template": (n, 3),
        "f": (-1, 3),
        "shapedirs": (n, 3, -1),
        "posedirs": (n, 3, 9 * (len(SMPL_JOINT_NAMES) - 1)),
        "J_regressor": (len(SMPL_JOINT_NAMES), n),
        "weights": (n, len(SMPL_JOINT_NAMES)),
        "kintree_table": (2, len(SMPL_JOINT_NAMES)),
    }
    arrays = {}
    for key, shape in want.items():
        arr = dense(key)
        if n <= 0 or arr.ndim != len(shape) or any(s != -1 and a != s for a, s in zip(arr.shape, shape, strict=True)):
            shown = tuple("*" if s == -1 else s for s in shape)
            raise ModelUnavailableError(f"{path}: SMPL array {key} must have shape {shown}, got {arr.shape}")
        if arr.dtype.kind not in "fiu" or (arr.dtype.kind == "f" and not np.isfinite(arr).all()):
            raise ModelUnavailableError(f"{path}: SMPL array {key} must be finite numbers, got dtype {arr.dtype}")
        arrays[key] = arr
    faces = arrays["f"].astype(np.int64)
    if faces.min() < 0 or faces.max() >= n:
        raise ModelUnavailableError(f"{path}: SMPL faces index outside [0, {n})")
    parents = arrays["kintree_table"][0].astype(np.int64)
    parents[0] = -1  # stored as 2**32 - 1 in the original files
    if not np.array_equal(parents, SMPL_PARENTS):
        raise ModelUnavailableError(
            f"{path}: kintree_table parents {parents.tolist()} are not SMPL-24's {SMPL_PARENTS.tolist()}"
        )
    return SMPLData(
        v_template=v_template,
        faces=faces.astype(np.int32),
        shapedirs=arrays["shapedirs"][:, :, :MAX_BETAS].astype(np.float32),
        posedirs=arrays["posedirs"].astype(np.float32),
        j_regressor=arrays["J_regressor"].astype(np.float32),
        weights=arrays["weights"].astype(np.float32),
        parents=parents.astype(np.int32),
    )


@dataclass(frozen=True, eq=False)
class BetaSpace(ShapeSpaceBase):
    """SMPL's shape space: the betas, unbounded, default 0 (standard normal, so a
    shape prior pulls towards 0); the shape dict holds them as one list
    (`{"betas": [...]}`, up to `SMPLBody.num_betas`, zero-padded).

    Attributes:
        betas: `SMPLBody.betas` (validates a shape dict, pads the betas).
    """

    betas: Callable[..., torch.Tensor] = field(repr=False, kw_only=True)

    def vector(self, shape: Mapping[str, Any] | None) -> np.ndarray:
        """(num_betas,) float64 betas of a shape dict, zero-padded.

        Raises:
            InputError: unknown keys, too many betas, NaN or inf.
        """
        return self.betas(dict(shape) if shape is not None else None, 1, torch.float64)[0].numpy().copy()

    def shape_dict(self, values: torch.Tensor) -> dict[str, Any]:
        """{"betas": (B, num_betas) float32} of (num_betas,) or (B, num_betas) values."""
        return {"betas": values.reshape(-1, self.size).float()}

    def to_json(self, values: np.ndarray) -> dict[str, Any]:
        """{"betas": [floats]} of (num_betas,) values."""
        return {"betas": [float(x) for x in values]}


class SMPLBody:
    """SMPL as a `BodyModel` (shape: `{"betas": [...]}` up to `num_betas` floats).

    Attributes:
        name: "smpl".
        joint_names: SMPL-24 names.
        parents: (24,) int32.
        faces: (13776, 3) int32.
        num_betas: shape coefficients available (≤ 10).
        shape_space: the betas as a vector (`BetaSpace`).
        source: the model file read.
    """

    name = "smpl"
    joint_names: tuple[str, ...] = SMPL_JOINT_NAMES

    def __init__(self, data: SMPLData, source: Path | None = None) -> None:
        self.source = source
        self.parents = data.parents.copy()
        self.faces = data.faces.copy()
        self.num_betas = data.shapedirs.shape[2]
        n = data.v_template.shape[0]
        self._v_template = torch.from_numpy(data.v_template)
        self._shapedirs = torch.from_numpy(data.shapedirs)
        self._posedirs = torch.from_numpy(data.posedirs.reshape(n * 3, -1).T.copy())  # (207, N*3)
        self._j_regressor = torch.from_numpy(data.j_regressor)
        self._weights = torch.from_numpy(data.weights)
        self._parents_t = torch.as_tensor(self.parents, dtype=torch.int64)
        self._part_labels = part_labels_from_weights(data.weights, vertex_normals(data.v_template, self.faces))
        self.shape_space = BetaSpace(
            names=tuple(f"beta_{i}" for i in range(self.num_betas)),
            default_values=(0.0,) * self.num_betas,
            bounds=None,
            step=BETA_STEP,
            prior_centre="default",
            forward=self.forward,
            num_joints=len(SMPL_JOINT_NAMES),
            betas=self.betas,
        )

    @classmethod
    def from_dir(cls, smpl_dir: str | os.PathLike[str] | None = None, gender: Gender = "neutral") -> SMPLBody:
        """Load from a folder (or file); None reads `HOIEXPORT_SMPL_DIR` (see `find_smpl_file`)."""
        path = find_smpl_file(smpl_dir, gender)
        return cls(load_smpl_data(path), source=path)

    @property
    def skin_weights(self) -> np.ndarray:
        """(6890, 24) float32 SMPL skin weights."""
        return self._weights.numpy().copy()

    @property
    def part_labels(self) -> np.ndarray:
        """(6890,) int8 body-part indices into `BODY_PARTS` (see `parts.py`)."""
        return self._part_labels.copy()

    def betas(self, shape: dict[str, Any] | None, batch: int = 1, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """(B, num_betas) betas from a shape dict `{"betas": floats or (B, n) tensor}`, zero-padded."""
        shape = dict(shape or {})
        unknown = sorted(set(shape) - {"betas"})
        if unknown:
            raise InputError(f"unknown SMPL shape key(s) {unknown}; use {{'betas': [up to {self.num_betas} floats]}}")
        value = shape.get("betas", [])
        b = value.to(dtype) if torch.is_tensor(value) else torch.as_tensor(np.asarray(value, np.float64), dtype=dtype)
        if b.dim() == 1:
            b = b[None]
        if b.dim() != 2 or b.shape[0] not in (1, batch) or b.shape[1] > self.num_betas:
            raise InputError(
                f"SMPL betas must be up to {self.num_betas} floats or a ({batch}, ≤{self.num_betas}) tensor, "
                f"got shape {tuple(b.shape)}"
            )
        if not bool(torch.isfinite(b).all()):
            raise InputError("SMPL betas have NaN or inf values")
        b = torch.nn.functional.pad(b, (0, self.num_betas - b.shape[1]))
        return b.expand(batch, -1)

    def forward(
        self,
        pose: torch.Tensor,
        shape: dict[str, Any] | None = None,
        transl: torch.Tensor | None = None,
        scale: torch.Tensor | float = 1.0,
    ) -> BodyOutput:
        """Pose SMPL (shape and pose blend shapes, LBS; differentiable).

        Args:
            pose: (B, 24, 3) axis-angle radians, SMPL convention; float32 (float64 kept);
                outputs follow its device.
            shape: `{"betas": ...}`; missing betas are 0.
            transl: (B, 3) metres.
            scale: uniform scale about the origin, scalar or (B,).

        Returns:
            `BodyOutput` with vertices (B, 6890, 3), metres, internal frame.
        """
        dtype = pose.dtype if torch.is_tensor(pose) and pose.dtype == torch.float64 else torch.float32
        pose_t = as_pose(pose, len(SMPL_JOINT_NAMES), dtype)
        batch = pose_t.shape[0]
        like: dict[str, Any] = {"dtype": dtype, "device": pose_t.device}
        betas = self.betas(shape, batch, dtype).to(pose_t.device)
        v_shaped = self._v_template.to(**like) + blend_shapes(betas, self._shapedirs.to(**like))
        rest_joints = vertices2joints(self._j_regressor.to(**like), v_shaped)
        rotations = axis_angle_to_matrix(pose_t)
        pose_feature = (rotations[:, 1:] - torch.eye(3, **like)).reshape(batch, -1)
        v_posed = v_shaped + (pose_feature @ self._posedirs.to(**like)).reshape(batch, -1, 3)
        world, skin = pose_skeleton(rotations, rest_joints, self._parents_t.to(pose_t.device))
        vertices = skin_vertices(v_posed, self._weights.to(**like), skin)
        vertices, world = place(vertices, world, scale, transl)
        return BodyOutput(
            vertices=vertices, joints=world[..., :3, 3], joint_transforms=world, rest_joints=rest_joints
        )

    def fit(self, params: BodyParams) -> BodyFit:
        """Evaluate `params` (no grad) into a `BodyFit`."""
        betas = self.betas(params.shape)
        beta_list = [float(x) for x in betas[0]]
        return evaluate_fit(self, params, {"betas": betas}, {"shape": {"betas": beta_list}, "betas": beta_list})
