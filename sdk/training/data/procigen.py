"""Import ProciGen / BEHAVE frames as training samples (`hoiexport data import-procigen`).

Layout read (ProciGen follows BEHAVE's; xiexh20/ProciGen README "Dataset
Structure", `render/render_hoi.py` `save_synz`; xiexh20/behave-dataset README,
`data/frame_data.py`, `tools/parse_obj_pose.py`)::

    ROOT/<sequence>/<frame>/
        k0.color.jpg … k3.color.jpg        the 4 Kinect photographs
        person/fit01/person_fit.ply        registered SMPL-H mesh (BEHAVE: fit02)
        person/fit01/person_fit.pkl        pose (156,) SMPL-H axis-angle, betas (10,),
                                           trans (3,), ProciGen also gender, offsets, …
        <object>/fit01/<object>_fit.ply    the object mesh, already posed
        <object>/fit01/<object>_fit.pkl    ProciGen: rot (3, 3) rotation matrix + trans
                                           (p' = rot @ p + trans); BEHAVE: angle (3,)
                                           axis-angle + trans

A frame folder is a folder two levels below ROOT that holds a `person/`
folder. Sequences, then frames, are visited in name order; each directory is
listed only when the walk reaches it (`iter_frames` is a generator), so the
memory held is the names of one sequence's frames, never the whole dataset's.
The object is the frame's sub-folder (other than `person/`) holding
`fit01|fit02/<name>_fit.ply`; when several do, the one named by the sequence's
third `_` field (BEHAVE `Date03_Sub03_chairwood_hand` → "chairwood") wins,
else the first by name. The source is "procigen" when the object pickle holds
`rot`, "behave" when it holds `angle` (`ROTATION_FORMATS`).

Safety: the pickles go through the array-only unpickler
(`sdk.bodies.safe_pickle`); a pickle naming any other global (a `__reduce__`
calling `os.system`, a non-numpy class) is rejected with one `InputError` line
naming the file, and nothing in it runs. Meshes with no triangles or with
non-finite vertices are rejected the same way.

Frames (`KinectTransform`): the meshes and parameters are in the Kinect colour
camera's frame (x right, y DOWN, z forward, metres). The importer maps them to
the internal frame (+Y up, metres, right-handed) by one rigid transform
p ↦ R p + t: R is the rotation by 180° about X (x, y, z) ↦ (x, −y, −z), then t
puts the lowest human vertex at y = 0 (the floor) and the human's bounding-box
centre at x = z = 0. The same transform is applied to the human mesh, the
object mesh, the object's rotation and translation and the SMPL-H global
orientation (both recorded in `sample.json` `origin.internal`, next to the
pickles' values as stored and the 4 × 4 matrix), and, for "smpl-params", to
the body's translation (about its rest pelvis; in the bundle's body). Not done: the
camera's pitch is not levelled (the Kinects look slightly down, so the floor
is tilted by that pitch), and the person is not turned to face +Z (they face
wherever they faced in the capture).

Body fit (`BODY_FITS`, `ImportOptions.body_fit`): "smpl-params" poses the
user's SMPL (`sdk.bodies.smpl_body.find_smpl_file`; the gendered file when the
pickle names a gender and it exists, else the neutral one) with the SMPL-H body
pose (its first 22 of 52 joints; SMPL's hand joints 22–23 zero), the first
betas and the translation, carried into the internal frame exactly (the
rotation about the SMPL rest pelvis, `register.apply_similarity`). SMPL-H's
shape space and hands differ from SMPL's, so the posed body approximates the
SMPL-H mesh; the Chamfer between them is recorded. "register" registers the
default body model (Anny) to the human mesh with the lifting chain's
estimator and registration (`lift.estimate.PointCloudEstimator`,
`lift.register.register_body`). "auto" is "smpl-params" when an SMPL file is
found, else "register". Which one ran, and the Chamfer to the human mesh (cm),
go into the bundle's provenance.

Each imported frame becomes `DIR/items/<id>/` (`sample.SampleRecord`, source
"procigen" or "behave", text "", action and requested configuration None), with
`appearance/k0.jpg` … `k3.jpg` (the photographs, copied), `views/*.png`
(rendered from the meshes, `render.render_images(..., appearance=False)`) and
`bundle/` (the `HOIAsset`: human and object meshes, the body fit, contacts by
the 4 cm rule and penetration, measured). The folder is written atomically: a
folder with a `sample.json` is complete, and such frames are skipped on the
next run (resumable).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from hoiexport.sdk.bodies import load_body_model
from hoiexport.sdk.bodies.protocol import BodyModel, BodyParams
from hoiexport.sdk.bodies.safe_pickle import UnsafePickleError, load_array_pickle
from hoiexport.sdk.bodies.smpl_body import Gender, find_smpl_file
from hoiexport.sdk.bundle import save_bundle
from hoiexport.sdk.contacts import ContactOptions, analyze_asset
from hoiexport.sdk.core.cache import atomic_directory
from hoiexport.sdk.core.errors import HOIExportError, InputError, ModelUnavailableError
from hoiexport.sdk.core.types import BodyFit, HOIAsset, Mesh, Penetration, Prompt, Provenance
from hoiexport.sdk.generators.lift.chamfer import CHAMFER_DEFINITION, chamfer_report
from hoiexport.sdk.generators.lift.estimate import EstimatorOptions, PointCloudEstimator
from hoiexport.sdk.generators.lift.register import (
    RegisterOptions,
    Similarity,
    apply_similarity,
    register_body,
    rest_pelvis,
)
from hoiexport.sdk.training.data.render import APPEARANCE_DIR, RenderOptions, render_images, scene_mesh
from hoiexport.sdk.training.data.sample import (
    BUNDLE_DIR,
    ITEMS_DIR,
    SAMPLE_NAME,
    SampleRecord,
    SampleSource,
    read_sample,
    write_record,
)

PERSON_DIR = "person"
"""The frame's sub-folder with the human registration."""

FIT_DIRS: tuple[str, ...] = ("fit01", "fit02")
"""Registration folders looked for, in order (ProciGen: fit01 for both; BEHAVE:
fit02 for the person, fit01 for the object)."""

KINECT_PHOTOS: tuple[str, ...] = ("k0", "k1", "k2", "k3")
"""The Kinect cameras whose `k<i>.color.jpg` is copied into `appearance/`."""

SMPLH_JOINTS = 52
"""Joints of an SMPL-H pose (root, 21 body joints, 2 × 15 hand joints)."""

SMPL_BODY_JOINTS = 22
"""SMPL-H joints that are SMPL's too (root + 21 body joints); SMPL's 22–23
(hands) have no SMPL-H counterpart and are left at zero."""

KINECT_TO_INTERNAL = np.diag([1.0, -1.0, -1.0])
"""(3, 3) rotation by 180° about X: Kinect camera axes (x right, y down,
z forward) → internal axes (+Y up)."""

JPEG_MAGIC = b"\xff\xd8\xff"

_DEFAULT_COLORS: dict[str, tuple[int, int, int]] = {"human": (205, 170, 150), "object": (110, 140, 190)}
"""Flat sRGB colours of meshes whose ply has no vertex colours (the renders'
albedo), by role."""

_ID_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_INLINE_LIMIT = 512
"""Pickle arrays with more values than this are not copied into `origin`."""

BodyFitMethod = Literal["smpl-params", "register"]
"""How the `BodyFit` is made (`BODY_FITS`)."""

BodyFitChoice = Literal["auto", "smpl-params", "register"]
"""`ImportOptions.body_fit`: a method, or "auto" (SMPL when found, else register)."""

FrameStatus = Literal["imported", "skipped", "failed"]


# --------------------------------------------------------------------------- frames on disk


@dataclass(frozen=True)
class FrameRef:
    """One frame folder, `root/sequence/frame`.

    Attributes:
        root: the dataset root.
        sequence: the sequence folder's name.
        frame: the frame folder's name.
    """

    root: Path
    sequence: str
    frame: str

    @property
    def path(self) -> Path:
        return self.root / self.sequence / self.frame

    @property
    def key(self) -> str:
        """"<sequence>/<frame>", root-relative."""
        return f"{self.sequence}/{self.frame}"

    @property
    def sample_id(self) -> str:
        """The sample folder's name: "<sequence>__<frame>" with characters outside
        [A-Za-z0-9._-] replaced, plus a short hash of the key when any was."""
        raw = f"{self.sequence}__{self.frame}"
        safe = _ID_SAFE.sub("_", raw).lstrip(".") or "frame"
        if safe != raw:
            safe = f"{safe}-{hashlib.sha1(self.key.encode('utf-8')).hexdigest()[:8]}"
        return safe


def _sorted_dirs(path: Path) -> list[str]:
    """Names of the visible sub-folders of `path`, sorted (one directory's listing)."""
    with os.scandir(path) as entries:
        return sorted(e.name for e in entries if not e.name.startswith(".") and e.is_dir())


def iter_frames(root: str | os.PathLike[str]) -> Iterator[FrameRef]:
    """Every frame folder under `root`, sequences then frames in name order, found
    lazily (each directory is listed when the walk reaches it).

    Args:
        root: ProciGen's root, or BEHAVE's `sequences/` folder.

    Yields:
        `FrameRef` of each `root/<sequence>/<frame>/` holding a `person/` folder.

    Raises:
        InputError: `root` is not a folder (raised on the first `next`).
    """
    base = Path(root)
    if not base.is_dir():
        raise InputError(f"{base}: not a folder; give the ProciGen root (ROOT/<sequence>/<frame>/) "
                         "or BEHAVE's sequences/ folder")
    for sequence in _sorted_dirs(base):
        for frame in _sorted_dirs(base / sequence):
            if (base / sequence / frame / PERSON_DIR).is_dir():
                yield FrameRef(base, sequence, frame)


@dataclass(frozen=True)
class HumanParams:
    """The SMPL-H registration of a frame (`person_fit.pkl`), Kinect camera frame.

    Attributes:
        pose: (52, 3) float64 axis-angle radians, SMPL-H joint order (row 0 the
            global orientation).
        betas: (B,) float64 shape coefficients (ProciGen / BEHAVE: 10).
        trans: (3,) float64 metres (added after posing about the rest pelvis).
        gender: "male", "female", "neutral" or None when the pickle has none.
    """

    pose: np.ndarray
    betas: np.ndarray
    trans: np.ndarray
    gender: str | None


@dataclass(frozen=True)
class ObjectParams:
    """The object's registration (`<object>_fit.pkl`), Kinect camera frame:
    p' = rotation @ p + trans maps the centred template onto the posed mesh.

    Attributes:
        rotation: (3, 3) float64 rotation matrix.
        trans: (3,) float64 metres.
        key: the pickle key the rotation came from ("rot" or "angle").
    """

    rotation: np.ndarray
    trans: np.ndarray
    key: str


@dataclass(frozen=True)
class FrameFiles:
    """The files of one frame (absolute paths).

    Attributes:
        human_mesh, human_params: `person/fitXX/person_fit.{ply,pkl}`.
        object_mesh, object_params: `<object>/fitXX/<object>_fit.{ply,pkl}`.
        photos: Kinect name ("k0".."k3") → `k<i>.color.jpg`.
    """

    human_mesh: Path
    human_params: Path
    object_mesh: Path
    object_params: Path
    photos: dict[str, Path]


@dataclass(frozen=True)
class ProcigenFrame:
    """One frame as read from disk, everything in the Kinect camera frame
    (x right, y down, z forward, metres).

    Attributes:
        ref: where it is.
        source: "procigen" (object pickle with `rot`) or "behave" (with `angle`).
        object_name: the object's folder name.
        human: the human mesh (`person_fit.ply`).
        object: the object mesh (`<object>_fit.ply`).
        human_params: the SMPL-H parameters.
        object_params: the object pose.
        files: the frame's files.
        raw_params: JSON-able copies of the pickles' small fields ({"human": {...},
            "object": {...}}; arrays as lists, larger ones named under "omitted").
    """

    ref: FrameRef
    source: SampleSource
    object_name: str
    human: Mesh
    object: Mesh
    human_params: HumanParams
    object_params: ObjectParams
    files: FrameFiles
    raw_params: dict[str, Any]


def _fit_file(folder: Path, stem: str, suffix: str) -> Path | None:
    for fit in FIT_DIRS:
        path = folder / fit / f"{stem}{suffix}"
        if path.is_file():
            return path
    return None


def _object_folder(ref: FrameRef) -> tuple[str, Path]:
    """(object name, its `<name>_fit.ply`)."""
    found: dict[str, Path] = {}
    for name in _sorted_dirs(ref.path):
        if name == PERSON_DIR:
            continue
        mesh = _fit_file(ref.path / name, f"{name}_fit", ".ply")
        if mesh is not None:
            found[name] = mesh
    if not found:
        raise InputError(f"{ref.path}: no object registration <object>/{'|'.join(FIT_DIRS)}/<object>_fit.ply; "
                         "not a ProciGen / BEHAVE frame")
    fields = ref.sequence.split("_")
    name = fields[2] if len(fields) > 2 and fields[2] in found else next(iter(found))
    return name, found[name]


def frame_files(ref: FrameRef) -> tuple[str, FrameFiles]:
    """The object name and the files of a frame.

    Raises:
        InputError: a missing file (the message names it).
    """
    human_mesh = _fit_file(ref.path / PERSON_DIR, "person_fit", ".ply")
    if human_mesh is None:
        raise InputError(f"{ref.path / PERSON_DIR}: no {'|'.join(FIT_DIRS)}/person_fit.ply; "
                         "the frame has no human registration")
    human_params = human_mesh.with_suffix(".pkl")
    name, object_mesh = _object_folder(ref)
    object_params = object_mesh.with_suffix(".pkl")
    photos = {k: ref.path / f"{k}.color.jpg" for k in KINECT_PHOTOS}
    for path in (human_params, object_params, *photos.values()):
        if not path.is_file():
            raise InputError(f"{path}: missing; a frame needs {', '.join(f'{k}.color.jpg' for k in KINECT_PHOTOS)}, "
                             "the person and the object registrations (.ply + .pkl)")
    return name, FrameFiles(human_mesh, human_params, object_mesh, object_params, photos)


def read_params_pickle(path: Path) -> dict[str, Any]:
    """A registration pickle through the array-only unpickler.

    Raises:
        InputError: the pickle references a global other than numpy's array
            types (nothing in it runs), is unreadable, or is not a dict.
    """
    try:
        data = load_array_pickle(path)
    except UnsafePickleError as exc:
        raise InputError(f"{exc} Delete or re-download the frame.") from None
    except ModelUnavailableError as exc:
        raise InputError(f"{path}: not a readable registration pickle ({exc}); re-download the frame") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a registration pickle holds a dict, got {type(data).__name__}")
    return data


def _array(data: dict[str, Any], key: str, sizes: tuple[int, ...], path: Path) -> np.ndarray:
    """`data[key]` as a flat finite float64 array with one of `sizes` values."""
    if key not in data:
        raise InputError(f"{path}: no '{key}' entry (found {sorted(map(str, data))})")
    try:
        arr = np.asarray(data[key], dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{path}: '{key}' is not a numeric array") from None
    if arr.size not in sizes:
        raise InputError(f"{path}: '{key}' has {arr.size} values, expected {' or '.join(map(str, sizes))}")
    if not np.isfinite(arr).all():
        raise InputError(f"{path}: '{key}' has NaN or inf values")
    return arr


def _matrix_rotation(value: np.ndarray, path: Path) -> np.ndarray:
    rot = value.reshape(3, 3)
    if np.abs(rot.T @ rot - np.eye(3)).max() > 1e-3 or np.linalg.det(rot) <= 0:
        raise InputError(f"{path}: 'rot' is not a rotation matrix (orthonormal, determinant +1)")
    return rot


def _axis_angle_rotation(value: np.ndarray, path: Path) -> np.ndarray:
    return np.asarray(Rotation.from_rotvec(value).as_matrix(), np.float64)


@dataclass(frozen=True)
class RotationFormat:
    """How one object-pickle rotation key is read.

    Attributes:
        source: the dataset that stores it.
        size: its number of values.
        to_matrix: (values, pickle path) → (3, 3) rotation matrix.
        description: one line for `origin`.
    """

    source: SampleSource
    size: int
    to_matrix: Callable[[np.ndarray, Path], np.ndarray]
    description: str


ROTATION_FORMATS: dict[str, RotationFormat] = {
    "rot": RotationFormat("procigen", 9, _matrix_rotation, "ProciGen: (3, 3) rotation matrix"),
    "angle": RotationFormat("behave", 3, _axis_angle_rotation, "BEHAVE: (3,) axis-angle, radians"),
}
"""Object-pickle rotation key → its format, in the order looked for."""


def _human_params(data: dict[str, Any], path: Path) -> HumanParams:
    pose = _array(data, "pose", (SMPLH_JOINTS * 3,), path).reshape(SMPLH_JOINTS, 3)
    betas = _array(data, "betas", tuple(range(1, 301)), path)
    trans = _array(data, "trans", (3,), path)
    gender = data.get("gender")
    return HumanParams(pose, betas, trans, gender if isinstance(gender, str) else None)


def _object_params(data: dict[str, Any], path: Path) -> tuple[SampleSource, ObjectParams]:
    for key, fmt in ROTATION_FORMATS.items():
        if key in data:
            rotation = fmt.to_matrix(_array(data, key, (fmt.size,), path), path)
            return fmt.source, ObjectParams(rotation, _array(data, "trans", (3,), path), key)
    raise InputError(f"{path}: no object rotation ({' or '.join(ROTATION_FORMATS)}); found {sorted(map(str, data))}")


def _plain(value: Any) -> Any:
    """A JSON-able copy of a small pickle value, or None when it is not one."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return (int(value) if isinstance(value, (int, np.integer)) else number) if math.isfinite(number) else None
    try:
        arr = np.asarray(value) if isinstance(value, (np.ndarray, list, tuple)) else None
    except (TypeError, ValueError):  # a ragged list
        return None
    if arr is not None and arr.dtype.kind in "biuf" and arr.size <= _INLINE_LIMIT and np.isfinite(arr).all():
        return arr.tolist()
    return None


def _raw_params(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    omitted = []
    for key in sorted(map(str, data)):
        value = _plain(data[key])
        if value is None and data[key] is not None:
            omitted.append(key)
        else:
            out[key] = value
    if omitted:
        out["omitted"] = omitted
    return out


def read_mesh(path: Path, name: str) -> Mesh:
    """A registration mesh (`.ply`), vertex colours kept, nothing merged or reordered.

    Raises:
        InputError: unreadable, no triangles, or non-finite vertices (naming `path`).
    """
    try:
        loaded = trimesh.load(path, process=False, force="mesh")
    except Exception as exc:  # noqa: BLE001 - trimesh raises many types on a corrupt file
        raise InputError(f"{path}: unreadable mesh ({type(exc).__name__}: {exc}); re-download the frame") from None
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0 or len(loaded.vertices) == 0:
        raise InputError(f"{path}: the mesh has no triangles; re-download the frame")
    vertices = np.asarray(loaded.vertices, np.float64)
    if not np.isfinite(vertices).all():
        bad = int((~np.isfinite(vertices)).any(axis=1).sum())
        raise InputError(f"{path}: {bad} vertices have NaN or inf coordinates; re-download the frame")
    colors = None
    if isinstance(loaded.visual, trimesh.visual.ColorVisuals) and loaded.visual.kind == "vertex":
        colors = np.asarray(loaded.visual.vertex_colors, np.uint8)[:, :3]
    mesh = Mesh(vertices, np.asarray(loaded.faces, np.int64), colors=colors, name=name)
    try:
        mesh.validate()
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    return mesh


def read_frame(ref: FrameRef) -> ProcigenFrame:
    """Read and check one frame (meshes and parameters in the Kinect camera frame).

    Raises:
        InputError: a missing file, an unsafe or malformed pickle, a mesh with no
            triangles or non-finite vertices (one line naming the file).
    """
    name, files = frame_files(ref)
    human_data = read_params_pickle(files.human_params)
    object_data = read_params_pickle(files.object_params)
    human_params = _human_params(human_data, files.human_params)
    source, object_params = _object_params(object_data, files.object_params)
    for path in files.photos.values():
        with open(path, "rb") as f:
            if f.read(len(JPEG_MAGIC)) != JPEG_MAGIC:
                raise InputError(f"{path}: not a JPEG image; re-download the frame")
    return ProcigenFrame(
        ref=ref,
        source=source,
        object_name=name,
        human=read_mesh(files.human_mesh, "human"),
        object=read_mesh(files.object_mesh, "object"),
        human_params=human_params,
        object_params=object_params,
        files=files,
        raw_params={"human": _raw_params(human_data), "object": _raw_params(object_data)},
    )


# --------------------------------------------------------------------------- the frame change


@dataclass(frozen=True)
class KinectTransform:
    """The rigid map Kinect camera frame → internal frame, p ↦ rotation @ p + translation.

    Attributes:
        rotation: (3, 3) float64, `KINECT_TO_INTERNAL` (180° about X).
        translation: (3,) float64 metres: lowest human vertex to y = 0, the
            human's bounding-box centre to x = z = 0.
    """

    rotation: np.ndarray
    translation: np.ndarray

    @classmethod
    def for_human(cls, human_vertices: np.ndarray) -> KinectTransform:
        """The transform of a frame whose human has (V, 3) Kinect-frame vertices, metres."""
        turned = np.asarray(human_vertices, np.float64) @ KINECT_TO_INTERNAL.T
        lo, hi = turned.min(axis=0), turned.max(axis=0)
        centre = 0.5 * (lo + hi)
        return cls(KINECT_TO_INTERNAL.copy(), -np.array([centre[0], lo[1], centre[2]]))

    def apply(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) float64 internal-frame points of (N, 3) Kinect-frame points."""
        return np.asarray(points, np.float64) @ self.rotation.T + self.translation

    def mesh(self, mesh: Mesh, color: tuple[int, int, int]) -> Mesh:
        """`mesh` in the internal frame (faces keep their winding: the map is a
        rotation), coloured `color` when it has no colours of its own."""
        colors = mesh.colors
        if colors is None:
            colors = np.tile(np.asarray(color, np.uint8), (len(mesh.vertices), 1))
        return Mesh(self.apply(mesh.vertices), mesh.faces, colors=colors, name=mesh.name)

    @property
    def similarity(self) -> Similarity:
        return Similarity(1.0, self.rotation.copy(), self.translation.copy())

    @property
    def matrix(self) -> np.ndarray:
        """(4, 4) float64 homogeneous matrix."""
        out = np.eye(4)
        out[:3, :3], out[:3, 3] = self.rotation, self.translation
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "from": "Kinect colour camera: x right, y down, z forward, metres",
            "to": "internal: +Y up, metres, right-handed, floor y = 0",
            "rule": "p_internal = R p_kinect + t; R = 180 deg about X; t: lowest human vertex to y = 0, "
                    "human bounding-box centre to x = z = 0; camera pitch not levelled, heading kept",
            "matrix": self.matrix.tolist(),
        }


# --------------------------------------------------------------------------- options and body fits


@dataclass(frozen=True)
class ImportOptions:
    """Settings of the import.

    Attributes:
        body_fit: "smpl-params" (pose the user's SMPL from the frame's SMPL-H
            parameters), "register" (register Anny to the human mesh), or
            "auto" (SMPL when `find_smpl_file(smpl_dir)` finds a file, else
            register); `BODY_FITS`.
        smpl_dir: the folder with SMPL_{NEUTRAL,MALE,FEMALE}.npz|pkl; None reads
            `HOIEXPORT_SMPL_DIR` (`find_smpl_file`).
        render: resolutions and camera of the rendered training views.
        contacts: contact threshold (4 cm) and penetration settings.
        estimator: "register": the initial body estimate's search.
        register: "register": the registration's settings.
        chamfer_samples: samples per surface of the recorded Chamfer between the
            body fit and the human mesh.
    """

    body_fit: BodyFitChoice = "auto"
    smpl_dir: str | None = None
    render: RenderOptions = field(default_factory=RenderOptions)
    contacts: ContactOptions = field(default_factory=ContactOptions)
    estimator: EstimatorOptions = field(default_factory=EstimatorOptions)
    register: RegisterOptions = field(default_factory=RegisterOptions)
    chamfer_samples: int = 2000

    def __post_init__(self) -> None:
        if self.body_fit not in get_args(BodyFitChoice):
            raise InputError(f"ImportOptions.body_fit must be one of {', '.join(get_args(BodyFitChoice))}, "
                             f"got {self.body_fit!r}")
        if isinstance(self.chamfer_samples, bool) or not isinstance(self.chamfer_samples, int) or (
            self.chamfer_samples < 100
        ):
            raise InputError(f"ImportOptions.chamfer_samples must be an integer >= 100, got {self.chamfer_samples!r}")


@dataclass(frozen=True)
class FittedBody:
    """A frame's body fit, internal frame.

    Attributes:
        fit: the `BodyFit`.
        notes: provenance facts (method, model file, Chamfer, …).
        timings_s: stage → seconds.
    """

    fit: BodyFit
    notes: dict[str, Any]
    timings_s: dict[str, float]


_SMPL_GENDERS: dict[str, Gender] = {"male": "male", "female": "female"}
"""SMPL-H pickle gender → the SMPL model file looked for first."""


def _smpl_file(smpl_dir: str | None, gender: str | None) -> Path:
    """The gendered SMPL file when it exists, else the neutral one.

    Raises:
        ModelUnavailableError: no SMPL file at all.
    """
    gendered = _SMPL_GENDERS.get(gender or "")
    if gendered is not None:
        try:
            return find_smpl_file(smpl_dir, gendered)
        except ModelUnavailableError:
            pass
    return find_smpl_file(smpl_dir)


def _fit_smpl_params(frame: ProcigenFrame, transform: KinectTransform, human: Mesh,
                     options: ImportOptions) -> FittedBody:
    t = time.perf_counter()
    path = _smpl_file(options.smpl_dir, frame.human_params.gender)
    body = load_body_model("smpl", smpl_dir=path)
    pose = np.zeros((24, 3), np.float64)
    pose[:SMPL_BODY_JOINTS] = frame.human_params.pose[:SMPL_BODY_JOINTS]
    betas = frame.human_params.betas[: body.shape_space.size]
    shape = {"betas": [float(b) for b in betas]}
    kinect = BodyParams(pose=pose.astype(np.float32), shape=shape,
                        transl=frame.human_params.trans.astype(np.float32), scale=1.0)
    params = apply_similarity(kinect, transform.similarity, rest_pelvis(body, shape))
    fit = body.fit(params)
    t_fit = time.perf_counter() - t
    chamfer = chamfer_report(human, fit.mesh, samples=options.chamfer_samples)
    return FittedBody(
        fit,
        {
            "body_fit": "smpl-params",
            "body_fit_summary": BODY_FITS["smpl-params"].summary,
            "smpl_file": path.name,
            "smplh_gender": frame.human_params.gender,
            "betas_used": len(betas),
            "chamfer_to_human": chamfer.to_json(),
        },
        {"body_fit": t_fit, "chamfer": time.perf_counter() - t - t_fit},
    )


def _fit_register(frame: ProcigenFrame, transform: KinectTransform, human: Mesh,
                  options: ImportOptions) -> FittedBody:
    t = time.perf_counter()
    body: BodyModel = load_body_model("anny")
    inits = PointCloudEstimator(options.estimator, register_options=options.register).estimate(human, body)
    t_est = time.perf_counter() - t
    registration = register_body(human, body, inits, options.register)
    return FittedBody(
        registration.fit,
        {
            "body_fit": "register",
            "body_fit_summary": BODY_FITS["register"].summary,
            "registration_method": registration.method,
            "body_hypotheses": {"screened": min(len(inits), options.register.hypotheses),
                                "finished": registration.tried},
            "chamfer_to_human": registration.chamfer.to_json(),
        },
        {"estimate": t_est, **registration.timings_s},
    )


@dataclass(frozen=True)
class BodyFitSpec:
    """One `BODY_FITS` entry.

    Attributes:
        run: (frame, transform, human mesh in the internal frame, options) → `FittedBody`.
        summary: one line for provenance and help texts.
    """

    run: Callable[[ProcigenFrame, KinectTransform, Mesh, ImportOptions], FittedBody]
    summary: str


BODY_FITS: dict[str, BodyFitSpec] = {
    "smpl-params": BodyFitSpec(
        _fit_smpl_params,
        "the user's SMPL posed with the frame's SMPL-H body pose (22 of 52 joints, SMPL hand joints 22-23 zero), "
        "betas and translation; approximates the SMPL-H mesh"),
    "register": BodyFitSpec(
        _fit_register,
        "Anny registered to the human mesh (lift: PointCloudEstimator + register_body)"),
}
"""Body-fit method name → implementation."""


def resolve_body_fit(options: ImportOptions) -> BodyFitMethod:
    """The method `options.body_fit` names; "auto" is "smpl-params" when an SMPL
    file is found (`find_smpl_file(options.smpl_dir)`), else "register"."""
    if options.body_fit != "auto":
        return options.body_fit
    try:
        find_smpl_file(options.smpl_dir)
    except ModelUnavailableError:
        return "register"
    return "smpl-params"


# --------------------------------------------------------------------------- one frame → one sample


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("hoiexport", "numpy", "scipy", "trimesh", "torch"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def frame_asset(frame: ProcigenFrame, method: BodyFitMethod, options: ImportOptions = ImportOptions()
                ) -> tuple[HOIAsset, KinectTransform]:
    """The `HOIAsset` of a frame in the internal frame (module docstring), with
    its body fit, contacts (4 cm rule) and penetration measured.

    Returns:
        (asset, the Kinect → internal transform applied).
    """
    t0 = time.perf_counter()
    transform = KinectTransform.for_human(frame.human.vertices)
    human = transform.mesh(frame.human, _DEFAULT_COLORS["human"])
    obj = transform.mesh(frame.object, _DEFAULT_COLORS["object"])
    fitted = BODY_FITS[method].run(frame, transform, human, options)
    t1 = time.perf_counter()
    report = analyze_asset(fitted.fit, human, obj, options.contacts)
    timings = {**fitted.timings_s, "contacts": time.perf_counter() - t1, "total": time.perf_counter() - t0}
    provenance = Provenance(
        generator="import",
        models={"body": fitted.fit.model},
        seed=None,
        timings_s={k: round(v, 4) for k, v in timings.items()},
        versions=_versions(),
        notes={
            "source": frame.source,
            "frame": frame.ref.key,
            **fitted.notes,
            "chamfer_definition": CHAMFER_DEFINITION,
            "frame_transform": transform.to_json(),
        },
    )
    asset = HOIAsset(
        prompt=Prompt(text="", object=frame.object_name),
        human=human,
        object=obj,
        body=fitted.fit,
        contacts=report.contacts,
        contact_config=report.contact_config,
        penetration=report.penetration or Penetration(),
        provenance=provenance,
    )
    return asset, transform


def _origin(frame: ProcigenFrame, transform: KinectTransform) -> dict[str, Any]:
    """`sample.json` `origin`: where the frame came from, its parameters as
    stored (Kinect frame) and carried into the internal frame."""
    root = frame.ref.root
    files = frame.files
    rot = transform.rotation
    go = Rotation.from_rotvec(frame.human_params.pose[0]).as_matrix()
    obj_rot = rot @ frame.object_params.rotation
    return {
        "dataset": frame.source,
        "frame": frame.ref.key,
        "sequence": frame.ref.sequence,
        "frame_name": frame.ref.frame,
        "files": {
            "human_mesh": _rel(files.human_mesh, root),
            "human_params": _rel(files.human_params, root),
            "object_mesh": _rel(files.object_mesh, root),
            "object_params": _rel(files.object_params, root),
            "photos": {k: _rel(p, root) for k, p in files.photos.items()},
        },
        "params": frame.raw_params,
        "object_rotation_format": ROTATION_FORMATS[frame.object_params.key].description,
        "transform": transform.to_json(),
        "internal": {
            "global_orient": [float(x) for x in Rotation.from_matrix(rot @ go).as_rotvec()],
            "object_rotation": obj_rot.tolist(),
            "object_trans": [float(x) for x in rot @ frame.object_params.trans + transform.translation],
            "note": "SMPL-H global orientation and object pose after the transform; the body's translation "
                    "depends on its rest pelvis, see bundle/asset.json body params",
        },
    }


def _complete(folder: Path) -> bool:
    if not (folder / SAMPLE_NAME).is_file() or not (folder / BUNDLE_DIR).is_dir():
        return False
    try:
        read_sample(folder)
    except InputError:
        return False
    return True


def import_frame(frame: ProcigenFrame, items_dir: str | os.PathLike[str], method: BodyFitMethod,
                 options: ImportOptions = ImportOptions()) -> Path:
    """Write one frame's sample folder `items_dir/<id>/` atomically (replacing an
    incomplete one).

    Returns:
        The sample folder.
    """
    asset, transform = frame_asset(frame, method, options)
    folder = Path(items_dir) / frame.ref.sample_id
    with atomic_directory(folder, overwrite=True) as tmp:
        appearance = {}
        for name, src in frame.files.photos.items():
            rel = f"{APPEARANCE_DIR}/{name}.jpg"
            (tmp / APPEARANCE_DIR).mkdir(exist_ok=True)
            shutil.copyfile(src, tmp / rel)
            appearance[name] = rel
        _, views = render_images(scene_mesh(asset), tmp, options.render, appearance=False)
        save_bundle(asset, tmp / BUNDLE_DIR)
        write_record(tmp, SampleRecord(
            id=frame.ref.sample_id,
            source=frame.source,
            text="",
            object=frame.object_name,
            action=None,
            requested_config=None,
            seed=None,
            appearance=appearance,
            views=views,
            origin=_origin(frame, transform),
        ))
    return folder


# --------------------------------------------------------------------------- the import


@dataclass(frozen=True)
class FrameFailure:
    """A frame that could not be imported.

    Attributes:
        frame: "<sequence>/<frame>".
        reason: one line.
    """

    frame: str
    reason: str


@dataclass(frozen=True)
class FrameEvent:
    """Progress of the import, one per frame considered.

    Attributes:
        frame: "<sequence>/<frame>".
        status: "imported", "skipped" (its sample folder was complete) or "failed".
        reason: the failure's one line, else None.
        done: frames considered so far, this one included.
    """

    frame: str
    status: FrameStatus
    reason: str | None
    done: int


@dataclass(frozen=True)
class ImportSummary:
    """What an import did.

    Attributes:
        imported: frames written.
        skipped: frames whose complete sample folder already existed.
        failures: the frames that failed, each with a one-line reason.
        body_fit: the body-fit method used.
        seconds: wall-clock time.
    """

    imported: int
    skipped: int
    failures: tuple[FrameFailure, ...]
    body_fit: BodyFitMethod
    seconds: float

    @property
    def failed(self) -> int:
        return len(self.failures)

    def to_json(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "skipped": self.skipped,
            "failed": self.failed,
            "failures": [{"frame": f.frame, "reason": f.reason} for f in self.failures],
            "body_fit": self.body_fit,
            "seconds": round(self.seconds, 3),
        }


def _one_line(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, HOIExportError) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split()) or type(exc).__name__


def import_procigen(
    root: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    limit: int | None = None,
    options: ImportOptions = ImportOptions(),
    on_progress: Callable[[FrameEvent], None] | None = None,
) -> ImportSummary:
    """Import the frames under `root` into the dataset folder `out_dir` (module docstring).

    Frames are taken in `iter_frames` order; a frame whose sample folder is
    complete is skipped; a frame that fails (bad file, unsafe pickle, failed fit)
    is counted with its reason and leaves no folder, and the import goes on.

    Args:
        root: ProciGen's root (or BEHAVE's `sequences/`).
        out_dir: the dataset folder; samples go to `out_dir/items/<id>/`.
        limit: consider at most this many frames from the start of the order
            (imported, skipped and failed alike), so a re-run with the same
            limit covers the same frames; None for all.
        options: body fit, rendering, contacts.
        on_progress: called once per frame considered.

    Returns:
        `ImportSummary`.

    Raises:
        InputError: `root` is not a folder or holds no frame, or a bad `limit`.
        ModelUnavailableError: the body model of the chosen fit is missing
            (checked before the first frame).
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InputError(f"limit must be a positive integer or None, got {limit!r}")
    t0 = time.perf_counter()
    method = resolve_body_fit(options)
    if method == "register":
        load_body_model("anny")
    else:
        find_smpl_file(options.smpl_dir)
    items = Path(out_dir) / ITEMS_DIR
    imported = skipped = done = 0
    failures: list[FrameFailure] = []
    for ref in iter_frames(root):
        if limit is not None and done >= limit:
            break
        done += 1
        reason: str | None = None
        status: FrameStatus
        if _complete(items / ref.sample_id):
            skipped, status = skipped + 1, "skipped"
        else:
            try:
                import_frame(read_frame(ref), items, method, options)
            except Exception as exc:  # noqa: BLE001 - one frame's failure never stops the import
                reason = _one_line(exc)
                failures.append(FrameFailure(ref.key, reason))
                status = "failed"
            else:
                imported, status = imported + 1, "imported"
        if on_progress is not None:
            on_progress(FrameEvent(ref.key, status, reason, done))
    if done == 0:
        raise InputError(f"{root}: no frame folders (<sequence>/<frame>/{PERSON_DIR}/) found; give the ProciGen "
                         "root or BEHAVE's sequences/ folder")
    return ImportSummary(imported, skipped, tuple(failures), method, time.perf_counter() - t0)


__all__ = [
    "BODY_FITS",
    "KINECT_TO_INTERNAL",
    "ROTATION_FORMATS",
    "FrameEvent",
    "FrameFailure",
    "FrameRef",
    "HumanParams",
    "ImportOptions",
    "ImportSummary",
    "KinectTransform",
    "ObjectParams",
    "ProcigenFrame",
    "frame_asset",
    "import_frame",
    "import_procigen",
    "iter_frames",
    "read_frame",
    "resolve_body_fit",
]
