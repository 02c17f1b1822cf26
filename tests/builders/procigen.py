"""Synthetic ProciGen / BEHAVE frames in their real on-disk layout.

`write_frame` writes one frame from meshes and parameters already in the Kinect
camera frame; `write_compose_frame` writes a compose `HOIAsset` (internal frame:
+Y up, metres) after mapping it into that camera frame. The layout
(xiexh20/ProciGen `render/render_hoi.py` `save_synz`; xiexh20/behave-dataset
README)::

    ROOT/<sequence>/<frame>/k0..k3.color.jpg
    ROOT/<sequence>/<frame>/person/<fit>/person_fit.{ply,pkl}     (ProciGen fit01, BEHAVE fit02)
    ROOT/<sequence>/<frame>/<object>/fit01/<object>_fit.{ply,pkl}

Pickles are written with `pickle`'s default protocol, as the datasets' writers
(`pkl.dump(dict, open(path, "wb"))`) do; the object pickle holds `rot` (3, 3) for ProciGen, `angle` (3,) axis-angle
for BEHAVE.
"""

from __future__ import annotations

import os
import pickle
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

import numpy as np
import trimesh
from PIL import Image
from scipy.spatial.transform import Rotation

from hoiexport.sdk.core.types import HOIAsset, Mesh

Style = Literal["procigen", "behave"]

INTERNAL_TO_KINECT = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])
"""Internal axes (+Y up, faces +Z) → Kinect camera axes (x right, y down, z
forward): 180° about X (its own inverse)."""

CAMERA_OFFSET = (0.2, 0.9, 2.6)
"""Where the builder puts the internal origin in the camera frame, metres: a bit
right, 0.9 m below and 2.6 m in front of the camera."""

PERSON_FIT: dict[str, str] = {"procigen": "fit01", "behave": "fit02"}
"""The person registration folder of each dataset."""

PHOTO_COLORS = ((200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40))


def to_kinect(points: np.ndarray, offset: tuple[float, float, float] = CAMERA_OFFSET) -> np.ndarray:
    """(N, 3) internal-frame points, metres → Kinect camera frame, float64."""
    return np.asarray(points, np.float64) @ INTERNAL_TO_KINECT.T + np.asarray(offset, np.float64)


def _write_ply(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    trimesh.Trimesh(np.asarray(vertices, np.float64), np.asarray(faces), process=False).export(path)


def _write_pickle(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(data, f)


def write_photos(folder: Path, size: int = 16) -> None:
    """The 4 Kinect photographs `k0..k3.color.jpg` (flat colours, `size` pixels)."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, color in enumerate(PHOTO_COLORS):
        Image.new("RGB", (size, size), color).save(folder / f"k{k}.color.jpg", "JPEG")


def write_frame(
    root: str | os.PathLike[str],
    sequence: str,
    frame: str,
    *,
    human_vertices: np.ndarray,
    human_faces: np.ndarray,
    object_vertices: np.ndarray,
    object_faces: np.ndarray,
    object_name: str,
    pose: np.ndarray,
    betas: np.ndarray,
    trans: np.ndarray,
    object_rotation: np.ndarray,
    object_trans: np.ndarray,
    style: Style = "procigen",
    gender: str = "male",
) -> Path:
    """One frame in the dataset layout, everything given in the Kinect camera frame.

    Args:
        root: the dataset root.
        sequence, frame: folder names.
        human_vertices, human_faces: (V, 3) metres, (F, 3) the human mesh.
        object_vertices, object_faces: the posed object mesh.
        object_name: the object folder's name.
        pose: (52, 3) or (156,) SMPL-H axis-angle radians.
        betas: (10,) shape coefficients.
        trans: (3,) metres.
        object_rotation: (3, 3) rotation of the centred template.
        object_trans: (3,) metres.
        style: "procigen" (person fit01, object `rot` matrix, ProciGen's extra
            keys) or "behave" (person fit02, object `angle` axis-angle).
        gender: the person pickle's gender.

    Returns:
        The frame folder.
    """
    folder = Path(root) / sequence / frame
    person = folder / "person" / PERSON_FIT[style]
    _write_ply(person / "person_fit.ply", human_vertices, human_faces)
    human = {"pose": np.asarray(pose, np.float64).reshape(156), "betas": np.asarray(betas, np.float64),
             "trans": np.asarray(trans, np.float64)}
    obj: dict[str, Any] = {"trans": np.asarray(object_trans, np.float64)}
    if style == "procigen":
        human.update(gender=gender, offsets=np.zeros((len(human_vertices), 3)), scale=1.0, center=None,
                     param_file=f"{sequence}/{frame}.pkl")
        obj.update(rot=np.asarray(object_rotation, np.float64), synset_id="objaverse", ins_name="synthetic",
                   index=np.int64(0), scale=1.0, center=None)
    else:
        obj["angle"] = Rotation.from_matrix(object_rotation).as_rotvec()
    _write_pickle(person / "person_fit.pkl", human)
    fit = folder / object_name / "fit01"
    _write_ply(fit / f"{object_name}_fit.ply", object_vertices, object_faces)
    _write_pickle(fit / f"{object_name}_fit.pkl", obj)
    write_photos(folder)
    return folder


def smplh_pose_of(asset: HOIAsset) -> np.ndarray:
    """(52, 3) SMPL-H pose from a compose body: its SMPL-24 rows 0–21 (root and
    body joints; the root turned into the camera frame), zeros for the 30 hand
    joints, which the SMPL-24 skeleton does not have."""
    pose24 = np.asarray(asset.body.params["pose"], np.float64).reshape(24, 3)
    pose = np.zeros((52, 3))
    pose[:22] = pose24[:22]
    pose[0] = Rotation.from_matrix(INTERNAL_TO_KINECT @ Rotation.from_rotvec(pose24[0]).as_matrix()).as_rotvec()
    return pose


def write_compose_frame(
    root: str | os.PathLike[str],
    asset: HOIAsset,
    sequence: str,
    frame: str,
    *,
    style: Style = "procigen",
    offset: tuple[float, float, float] = CAMERA_OFFSET,
) -> Path:
    """A compose asset as a frame: meshes mapped into the camera frame
    (`to_kinect`), the object's pose as the map of its centred template.

    The SMPL-H parameters hold what the compose body can honestly give: its body
    joints' rotations (`smplh_pose_of`), zero betas (Anny's shape is not SMPL's),
    and as `trans` the posed pelvis in the camera frame (SMPL-H's `trans`
    subtracts its rest pelvis, which needs the SMPL-H model). Importers that
    register a body to the mesh do not read them.
    """
    centre = asset.object.vertices.astype(np.float64).mean(axis=0)
    name = asset.prompt.object or "object"
    return write_frame(
        root, sequence, frame,
        human_vertices=to_kinect(asset.human.vertices, offset),
        human_faces=asset.human.faces,
        object_vertices=to_kinect(asset.object.vertices, offset),
        object_faces=asset.object.faces,
        object_name=name,
        pose=smplh_pose_of(asset),
        betas=np.zeros(10),
        trans=to_kinect(asset.body.joints[:1], offset)[0],
        object_rotation=INTERNAL_TO_KINECT,
        object_trans=to_kinect(centre[None], offset)[0],
        style=style,
        gender="male",
    )


class _System:
    """Pickles as a call of `os.system` (what a tampered file would hold)."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.system, (self.command,))


def tamper_pickle(path: str | os.PathLike[str], kind: Literal["system", "global"], marker: Path | None = None) -> None:
    """Rewrite a registration pickle so the array-only unpickler must refuse it.

    Args:
        path: the `.pkl` to rewrite (its entries are kept).
        kind: "system": an entry whose unpickling calls `os.system` (touching
            `marker` if it ever ran); "global": the dict as a
            `collections.OrderedDict` (a global that is not numpy's).
        marker: the file the "system" command would create.
    """
    path = Path(path)
    with open(path, "rb") as f:
        data = pickle.load(f)  # the builder's own file, written just before
    if kind == "system":
        data["extra"] = _System(f"touch {marker or path.with_suffix('.pwned')}")
    else:
        data = OrderedDict(data)
    _write_pickle(path, data)
