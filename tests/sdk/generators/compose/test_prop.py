"""Bring your own prop: files → a normalised prop → staged by its found anchors."""

from __future__ import annotations

import numpy as np
import pytest

import hoiexport
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import ContactConfig
from hoiexport.sdk.generators.compose.prop import PropOptions, load_prop, prop_object
from hoiexport.sdk.prompt.resolve import resolve_prompt
from tests.builders import props


def test_load_prop_normalises_units_axes_and_floor(tmp_path):
    mesh = props.crate(0.45)
    cm = props.write_prop(mesh, tmp_path / "crate_cm.obj", scale=100.0)
    with pytest.raises(InputError, match=r"45 m across.*--object-height.*--object-scale"):
        load_prop(cm)
    a = load_prop(cm, PropOptions(scale=0.01))
    b = load_prop(cm, PropOptions(height_m=0.45))
    for m in (a, b):
        size = m.vertices.max(axis=0) - m.vertices.min(axis=0)
        np.testing.assert_allclose(size, [0.45, 0.45, 0.45], atol=1e-4)
        assert abs(m.vertices[:, 1].min()) < 1e-6 and np.allclose(
            0.5 * (m.vertices.min(axis=0) + m.vertices.max(axis=0))[[0, 2]], 0, atol=1e-6)
    # a z-up file: the staff stands up only when read with up="z"
    staff = props.write_prop(props.pole(), tmp_path / "staff.ply", z_up=True)
    upright = load_prop(staff, PropOptions(up="z"))
    lying = load_prop(staff)
    assert np.ptp(upright.vertices[:, 1]) == pytest.approx(1.6, abs=1e-3)
    assert np.ptp(lying.vertices[:, 1]) < 0.05


def test_load_prop_refuses_bad_input(tmp_path):
    with pytest.raises(InputError, match="is not a file"):
        load_prop(tmp_path / "missing.glb")
    bad = tmp_path / "bad.glb"
    bad.write_bytes(b"glTF not really")
    with pytest.raises(InputError, match="bad.glb"):
        load_prop(bad)
    with pytest.raises(InputError, match="not both"):
        PropOptions(height_m=1.0, scale=2.0)
    with pytest.raises(InputError, match="positive"):
        PropOptions(scale=float("nan"))
    tiny = props.write_prop(props.canister(), tmp_path / "tiny.obj", scale=0.01)
    with pytest.raises(InputError, match="outside"):
        load_prop(tiny)


def test_an_unknown_noun_is_the_prop():
    p = resolve_prompt("A woman holding a flux capacitor in her left hand", prop="flux capacitor")
    assert (p.object, p.action, p.requested_config) == ("flux_capacitor", "hold", ContactConfig.LEFT_HAND)
    with pytest.raises(InputError, match="--object-mesh"):
        resolve_prompt("A woman holding a flux capacitor in her left hand")


CASES = [
    ("canister", "A man holding a canister in his right hand", ContactConfig.RIGHT_HAND, "grip"),
    ("kettlebell", "A woman carrying a kettlebell in her left hand", ContactConfig.LEFT_HAND, "handle"),
    ("crate", "A man carrying a crate with both hands", ContactConfig.BOTH_HANDS, None),
    ("pouf", "A woman sitting on a pouf", ContactConfig.OTHER, "seat"),
    ("orb", "A boy kicking an orb with his right foot", ContactConfig.RIGHT_LEG, None),
]


@pytest.mark.parametrize(("name", "text", "config", "anchor"), CASES, ids=[c[0] for c in CASES])
def test_compose_stages_a_prop_by_its_shape(tmp_path, name, text, config, anchor):
    path = props.write_prop(props.BUILDERS[name](), tmp_path / f"{name}.glb", node_name="mesh_7")
    if anchor is not None:
        assert anchor in prop_object(load_prop(path), name).anchors
    asset = hoiexport.generate(text, generator="compose", seed=0, object_mesh=path)
    assert asset.prompt.object == name and asset.object.name == name
    assert asset.contact_config is config, [c.part for c in asset.contacts]
    assert asset.penetration.max_depth_cm <= 0.5


@pytest.mark.slow  # one export with validation
def test_the_prop_keeps_its_texture_through_the_export(tmp_path):
    from pygltflib import GLTF2

    path = props.write_prop(props.textured(props.crate(0.4)), tmp_path / "box.glb")
    asset = hoiexport.generate("A man carrying a painted box with both hands", generator="compose", seed=0,
                               object_mesh=path, prop=PropOptions(name="painted box"))
    assert asset.object.texture is not None and asset.object.uv is not None
    np.testing.assert_allclose(np.ptp(asset.object.uv, axis=0), [1.0, 1.0])  # corners at u, v = 1 stay at 1
    image = asset.object.texture.image
    assert ((image[..., 0] > 180) & (image[..., 1] < 80)).any()  # the checker's red survived
    result = hoiexport.export(asset, tmp_path / "out", formats=("glb",))
    report = result.validation[str(result.files["glb"])]
    assert report.ok and report.errors == 0
    gltf = GLTF2().load(str(result.files["glb"]))
    assert len(gltf.textures) >= 2  # the human's and the prop's


def test_hoi3dgen_refuses_a_prop(tmp_path):
    from hoiexport.sdk.generators.base import GenerationOptions
    from hoiexport.sdk.generators.hoi3dgen.generate import Hoi3dgenGenerator

    mesh = load_prop(props.write_prop(props.crate(), tmp_path / "c.obj"))
    with pytest.raises(InputError, match="--generator compose"):
        Hoi3dgenGenerator()(resolve_prompt("A man carrying a crate", prop="crate"), 0,
                            GenerationOptions(object_mesh=mesh))
