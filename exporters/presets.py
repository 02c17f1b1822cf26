"""Engine presets: the one place where axes and units change (DESIGN §4, §8).

glTF is always +Y up, metres. USD follows the preset's up axis and units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from hoiexport.sdk.errors import InputError

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

    def usd_matrix(self) -> np.ndarray:
        """(4, 4) float64 map from the internal frame (Y-up, m) to this preset's
        USD frame and units, acting on column vectors: p_usd = M @ p_internal.

        Z-up presets rotate +90° about X (internal +Y → +Z, internal +Z
        (character forward) → −Y), then scale by 1 / metersPerUnit.
        """
        m = np.eye(4)
        if self.usd_up_axis == "Z":
            m[:3, :3] = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], dtype=np.float64)
        m[:3, :3] /= self.usd_meters_per_unit
        return m


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
