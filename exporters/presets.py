"""Engine presets: the one place where axes and units change (DESIGN §4, §8).

glTF is always +Y up, metres. USD follows the preset's up axis and units. Every
conversion of points, normals and rigid transforms from the internal frame
(right-handed, +Y up, metres, character faces +Z) to a preset's USD frame goes
through the `TargetPreset.to_usd_*` methods below. What a preset changes in the
scene itself (Unreal's `root` joint) is applied once, by `apply_preset`, before
any writer runs.

Example::

    preset = get_preset("unreal")
    preset.to_usd_points([[0.0, 1.0, 0.0]])   # → [[0, 0, 100]] (Z-up, centimetres)
    scene = apply_preset(scene, preset)        # adds the root joint
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from hoiexport.sdk.core.errors import InputError

if TYPE_CHECKING:
    from hoiexport.exporters.scene import ExportScene

Target = Literal["unity", "unreal", "omniverse", "blender"]


@dataclass(frozen=True)
class TargetPreset:
    """How one engine wants its files.

    Attributes:
        name: preset name.
        usd_up_axis: "Y" or "Z", authored as the USD stage's upAxis.
        usd_meters_per_unit: authored metersPerUnit (0.01 = centimetres).
        add_root_joint: add a `root` joint above the pelvis (Unreal convention).
    """

    name: Target
    usd_up_axis: Literal["Y", "Z"]
    usd_meters_per_unit: float
    add_root_joint: bool = False

    @property
    def usd_scale(self) -> float:
        """USD units per metre, 1 / metersPerUnit (100 for centimetres)."""
        return 1.0 / self.usd_meters_per_unit

    def usd_rotation(self) -> np.ndarray:
        """(3, 3) float64 proper rotation R from internal axes to this preset's USD axes.

        Identity for Y-up; for Z-up +90° about X: internal +Y (up) → +Z, internal +Z
        (character forward) → −Y, +X stays +X. Right-handedness is kept.
        """
        if self.usd_up_axis == "Z":
            return np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], dtype=np.float64)
        return np.eye(3)

    def usd_matrix(self) -> np.ndarray:
        """(4, 4) float64 map M = s·R from the internal frame (Y-up, m) to this
        preset's USD frame and units, acting on column vectors: p_usd = M @ p_internal.
        """
        m = np.eye(4)
        m[:3, :3] = self.usd_rotation() * self.usd_scale
        return m

    def to_usd_points(self, points: np.ndarray) -> np.ndarray:
        """Positions from the internal frame to this preset's USD frame.

        Args:
            points: (N, 3) positions, internal frame, metres.

        Returns:
            (N, 3) float64 positions, USD frame, USD units: s · R p.
        """
        p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        return (p @ self.usd_rotation().T) * self.usd_scale

    def from_usd_points(self, points: np.ndarray) -> np.ndarray:
        """Inverse of `to_usd_points`: (N, 3) USD-frame positions → internal metres."""
        p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        return (p / self.usd_scale) @ self.usd_rotation()

    def to_usd_directions(self, directions: np.ndarray) -> np.ndarray:
        """Unit directions (normals, axes) to the USD frame: rotated by R only, not scaled.

        Args:
            directions: (N, 3) vectors, internal frame.

        Returns:
            (N, 3) float64 vectors, USD frame, same lengths.
        """
        d = np.asarray(directions, dtype=np.float64).reshape(-1, 3)
        return d @ self.usd_rotation().T

    def to_usd_transforms(self, transforms: np.ndarray) -> np.ndarray:
        """Rigid transforms from the internal frame to the USD frame: M T M⁻¹.

        With M = s·R this is [[R A Rᵀ, s R t], [0, 1]] for T = [[A, t], [0, 1]]: the
        rotation is conjugated, the scale lands on the translation only, so joint
        and locator transforms stay rigid. Local (joint-to-parent) and world
        transforms convert the same way, and products are kept:
        conv(T1 T2) = conv(T1) conv(T2).

        Args:
            transforms: (..., 4, 4) column-vector rigid transforms, internal frame, metres.

        Returns:
            (..., 4, 4) float64 column-vector transforms, USD frame, USD units.
        """
        t = np.asarray(transforms, dtype=np.float64)
        if t.shape[-2:] != (4, 4):
            raise InputError(f"transforms must have shape (..., 4, 4), got {t.shape}")
        r = self.usd_rotation()
        out = np.array(t, dtype=np.float64, copy=True)
        out[..., :3, :3] = r @ t[..., :3, :3] @ r.T
        out[..., :3, 3] = (t[..., :3, 3] @ r.T) * self.usd_scale
        return out

    def to_usd_frames(self, frames: np.ndarray) -> np.ndarray:
        """Locator frames from the internal frame to the USD frame: [[R A, s R t], [0, 1]].

        Unlike `to_usd_transforms` (for joints, which conjugates), the frame's own
        axes are carried over: a socket whose local +Z is the contact normal in the
        internal frame keeps its local +Z along the (converted) normal in every preset.

        Args:
            frames: (..., 4, 4) column-vector rigid frames, internal frame, metres.

        Returns:
            (..., 4, 4) float64 rigid frames, USD frame, USD units.
        """
        t = np.asarray(frames, dtype=np.float64)
        if t.shape[-2:] != (4, 4):
            raise InputError(f"frames must have shape (..., 4, 4), got {t.shape}")
        r = self.usd_rotation()
        out = np.array(t, dtype=np.float64, copy=True)
        out[..., :3, :3] = r @ t[..., :3, :3]
        out[..., :3, 3] = (t[..., :3, 3] @ r.T) * self.usd_scale
        return out

    def from_usd_transforms(self, transforms: np.ndarray) -> np.ndarray:
        """Inverse of `to_usd_transforms`: (..., 4, 4) USD-frame → internal metres."""
        t = np.asarray(transforms, dtype=np.float64)
        if t.shape[-2:] != (4, 4):
            raise InputError(f"transforms must have shape (..., 4, 4), got {t.shape}")
        r = self.usd_rotation()
        out = np.array(t, dtype=np.float64, copy=True)
        out[..., :3, :3] = r.T @ t[..., :3, :3] @ r
        out[..., :3, 3] = (t[..., :3, 3] / self.usd_scale) @ r
        return out


PRESETS: dict[str, TargetPreset] = {
    "unity": TargetPreset("unity", "Y", 1.0),
    "unreal": TargetPreset("unreal", "Z", 0.01, add_root_joint=True),
    "omniverse": TargetPreset("omniverse", "Z", 1.0),
    "blender": TargetPreset("blender", "Z", 1.0),
}


def get_preset(name: str) -> TargetPreset:
    """Look up a preset by name, with an error listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise InputError(f"unknown target {name!r}; use one of: {', '.join(PRESETS)}") from None


TARGETS: tuple[str, ...] = tuple(PRESETS)
"""Every engine preset name (`--target`), in `PRESETS` order."""


def apply_preset(scene: ExportScene, preset: TargetPreset) -> ExportScene:
    """The scene as `preset` wants its joints; the export recipe calls this once,
    before any writer.

    Only the joint layout is a scene change: with `add_root_joint` (Unreal) a
    `root` joint at the origin goes above the pelvis (`skin.add_root_joint`;
    joint indices of meshes and sockets shift by one). Axes and units stay
    internal (+Y up, metres): glTF keeps them, and the USD writer converts through
    the `to_usd_*` methods. The writers accept a scene with the root already in
    place (adding it again changes nothing), so each may also be called alone.

    Args:
        scene: the gathered scene, internal frame.
        preset: the target preset.

    Returns:
        `scene` itself, or a copy with the root joint.
    """
    if not preset.add_root_joint:
        return scene
    from hoiexport.exporters.skin import add_root_joint

    return add_root_joint(scene)
