"""Engine presets: axes, units and the one conversion of points, directions and
rigid transforms (M T M⁻¹ with the scale on translations only)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hoiexport.exporters.presets import PRESETS, get_preset
from hoiexport.sdk.core.errors import InputError

# internal (0, 1, 0) m (one metre up) and (0, 0, 1) m (one metre forward), per preset
KNOWN = {
    "unity": ((0, 1, 0), (0, 0, 1)),
    "unreal": ((0, 0, 100), (0, -100, 0)),
    "omniverse": ((0, 0, 1), (0, -1, 0)),
    "blender": ((0, 0, 1), (0, -1, 0)),
}


def random_rigid(rng: np.random.Generator, n: int) -> np.ndarray:
    t = np.tile(np.eye(4), (n, 1, 1))
    t[:, :3, :3] = Rotation.random(n, random_state=rng.integers(1 << 31)).as_matrix()
    t[:, :3, 3] = rng.normal(0, 1, (n, 3))
    return t


def test_presets_match_the_engines() -> None:
    assert {n: (p.usd_up_axis, p.usd_meters_per_unit) for n, p in PRESETS.items()} == {
        "unity": ("Y", 1.0),
        "unreal": ("Z", 0.01),
        "omniverse": ("Z", 1.0),
        "blender": ("Z", 1.0),
    }
    assert [n for n, p in PRESETS.items() if p.add_root_joint] == ["unreal"]


@pytest.mark.parametrize("name", list(PRESETS))
def test_known_points(name: str) -> None:
    preset = get_preset(name)
    up, forward = KNOWN[name]
    np.testing.assert_allclose(
        preset.to_usd_points([[0, 1, 0], [0, 0, 1], [1, 0, 0]]),
        [up, forward, (preset.usd_scale, 0, 0)],
        atol=1e-12,
    )
    np.testing.assert_allclose(
        preset.to_usd_directions([[0, 1, 0]]), [np.asarray(up) / preset.usd_scale], atol=1e-12
    )
    m = preset.usd_matrix()
    assert np.linalg.det(m[:3, :3]) > 0  # handedness kept
    np.testing.assert_allclose(m[:3, :3] @ np.array([0.0, 1.0, 0.0]), up, atol=1e-12)


@pytest.mark.parametrize("name", list(PRESETS))
def test_transforms_are_conjugated_and_stay_rigid(name: str) -> None:
    preset = get_preset(name)
    rng = np.random.default_rng(0)
    a, b = random_rigid(rng, 5), random_rigid(rng, 5)
    ca, cb = preset.to_usd_transforms(a), preset.to_usd_transforms(b)
    m = preset.usd_matrix()
    np.testing.assert_allclose(ca, m @ a @ np.linalg.inv(m), atol=1e-9)
    np.testing.assert_allclose(
        ca[:, :3, :3] @ ca[:, :3, :3].transpose(0, 2, 1), np.tile(np.eye(3), (5, 1, 1)), atol=1e-12
    )
    np.testing.assert_allclose(preset.to_usd_transforms(a @ b), ca @ cb, atol=1e-9)
    # a point carried by a transform lands where the converted transform carries the converted point
    p = rng.normal(0, 1, (5, 3))
    moved = np.einsum("nab,nb->na", a, np.c_[p, np.ones(5)])[:, :3]
    np.testing.assert_allclose(
        np.einsum("nab,nb->na", ca, np.c_[preset.to_usd_points(p), np.ones(5)])[:, :3],
        preset.to_usd_points(moved),
        atol=1e-9,
    )
    np.testing.assert_allclose(preset.from_usd_transforms(ca), a, atol=1e-12)
    np.testing.assert_allclose(preset.from_usd_points(preset.to_usd_points(p)), p, atol=1e-12)


def test_bad_names_and_shapes_raise_input_errors() -> None:
    with pytest.raises(InputError, match="unity, unreal, omniverse, blender"):
        get_preset("godot")
    with pytest.raises(InputError, match=r"\(\.\.\., 4, 4\)"):
        get_preset("unity").to_usd_transforms(np.eye(3))
