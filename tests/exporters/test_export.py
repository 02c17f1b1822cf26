"""The export orchestrator and `hoiexport export`: every format, presets, atomicity."""

from __future__ import annotations

import gc
import json
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import trimesh
from click.testing import CliRunner
from pxr import Usd, UsdGeom

from hoiexport.exporters import export as export_mod
from hoiexport.exporters.export import (
    ExportOptions,
    ExportResult,
    PooledScheduler,
    SerialScheduler,
    export,
    frozen_gc,
    parse_formats,
)
from hoiexport.exporters.options import BakeOptions
from hoiexport.sdk.bundle import save_bundle
from hoiexport.sdk.contacts import analyze_asset
from hoiexport.sdk.core.errors import InputError, ValidationFailed
from hoiexport.sdk.core.skeleton import JOINT_INDEX
from hoiexport.sdk.core.types import BODY_PARTS, HOIAsset, Mesh, Prompt, Provenance

from tests.builders.synthetic_arm import make_arm_body

FAST = ExportOptions(bake=BakeOptions(size=512, gutter_px=4))


@pytest.fixture(scope="module")
def asset() -> HOIAsset:
    """The synthetic arm holding a box at its wrist, contacts measured."""
    body = make_arm_body()
    hand = body.skeleton.world_transforms[JOINT_INDEX["right_hand"], :3, 3]
    wrist = body.skeleton.world_transforms[JOINT_INDEX["right_wrist"], :3, 3]
    # the tube's end beyond the wrist is the hand
    along = (body.mesh.vertices - wrist) @ (hand - wrist) / np.linalg.norm(hand - wrist)
    body.part_labels[along > 0] = BODY_PARTS.index("right_hand")
    box = trimesh.creation.box((0.08, 0.08, 0.08))
    box.apply_translation(hand + np.array([-0.02, -0.085, 0.0]))
    colors = np.tile(np.array([200, 30, 30], np.uint8), (len(box.vertices), 1))
    obj = Mesh(box.vertices, box.faces, colors=colors, name="object")
    human = Mesh(body.mesh.vertices, body.mesh.faces, colors=np.tile([60, 90, 200], (len(body.mesh.vertices), 1)), name="human")
    report = analyze_asset(body, human, obj)
    assert report.contact_config.value == "right_hand", report.touching_parts
    return HOIAsset(
        prompt=Prompt("an arm holding a red box", object="box", action="hold"),
        human=human,
        object=obj,
        body=body,
        contacts=report.contacts,
        contact_config=report.contact_config,
        penetration=report.penetration,
        provenance=Provenance("test", seed=0),
    )


def test_all_formats_validate_and_carry_metadata(asset: HOIAsset, tmp_path: Path) -> None:
    result = export(asset, tmp_path, formats="glb,gltf,usda,usdc,usdz", target="unreal", options=FAST)
    assert set(result.files) == {"glb", "gltf", "usda", "usdc", "usdz"}
    for path in result.files.values():
        assert path.is_file()
        report = result.validation[str(path)]
        assert report.errors == 0 and report.warnings == 0, report.summary()
    for stage in ("prepare", "uv", "bake", "skin", "encode_glb", "validate", "total"):
        assert result.timings_s[stage] >= 0
    # no staging folders left behind
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".export-tmp")]

    gltf = pygltflib.GLTF2().load(str(result.files["glb"]))
    hoi = gltf.asset.extras["hoi"]
    assert hoi["contact_config"] == asset.contact_config.value
    assert len(hoi["contacts"]) == len(asset.contacts)
    names = [n.name for n in gltf.nodes]
    assert "root" in names and "pelvis" in names  # unreal preset adds a root joint
    assert any(n.startswith("SOCKET_contact_") for n in names)

    stage = Usd.Stage.Open(str(result.files["usdc"]))
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z
    assert UsdGeom.GetStageMetersPerUnit(stage) == pytest.approx(0.01)
    hoi_usd = json.loads(stage.GetDefaultPrim().GetCustomDataByKey("hoi"))
    assert hoi_usd["contact_config"] == asset.contact_config.value

    as_json = result.to_json()
    assert set(as_json) == {"files", "validation", "timings_s"}
    assert all(v["errors"] == 0 for v in as_json["validation"].values())


def test_object_bound_to_the_contact_hand(asset: HOIAsset, tmp_path: Path) -> None:
    result = export(asset, tmp_path, formats="glb", options=FAST)
    assert result.stats["object_joint"] == "right_wrist"
    gltf = pygltflib.GLTF2().load(str(result.files["glb"]))
    skin = gltf.skins[0]
    # the default target (unity) names joints after Unity's HumanBodyBones
    wrist_node = [n.name for n in gltf.nodes].index("RightHand")
    obj_mesh = next(m for m in gltf.meshes if m.name == "object")
    prim = obj_mesh.primitives[0]
    acc = gltf.accessors[prim.attributes.JOINTS_0]
    view = gltf.bufferViews[acc.bufferView]
    blob = gltf.binary_blob()
    dtype = np.uint8 if acc.componentType == pygltflib.UNSIGNED_BYTE else np.uint16
    joints = np.frombuffer(blob, dtype, acc.count * 4, view.byteOffset + (acc.byteOffset or 0)).reshape(-1, 4)
    assert (np.asarray(skin.joints)[joints[:, 0]] == wrist_node).all()


def test_failed_validation_leaves_no_files(asset: HOIAsset, tmp_path: Path, monkeypatch) -> None:
    def fail(paths, strict=True, session=None):
        raise ValidationFailed("forced failure for the test")

    monkeypatch.setattr(export_mod, "ensure_valid", fail)
    out = tmp_path / "out"
    with pytest.raises(ValidationFailed):
        export(asset, out, formats="glb,usda", options=FAST)
    assert list(out.iterdir()) == []


def _contents(result: ExportResult, out: Path) -> dict[str, bytes]:
    """Relative path → bytes of every written file; a .usdz as its members' names
    and bytes (its zip headers carry the write time, to 2 s)."""
    files = {}
    for path in result.written:
        rel = path.relative_to(out).as_posix()
        if path.suffix == ".usdz":
            with zipfile.ZipFile(path) as z:
                files.update({f"{rel}!{m}": z.read(m) for m in z.namelist()})
        else:
            files[rel] = path.read_bytes()
    return files


def test_serial_scheduler_writes_the_same_files(asset: HOIAsset, tmp_path: Path) -> None:
    formats = "glb,gltf,usda,usdc,usdz"
    pooled = export(asset, tmp_path / "pooled", formats, "unreal", FAST, scheduler=PooledScheduler(uv_workers=2))
    serial = export(asset, tmp_path / "serial", formats, "unreal", FAST, scheduler=SerialScheduler())
    by_option = export(asset, tmp_path / "option", formats, "unreal", ExportOptions(bake=FAST.bake, concurrency="serial"))
    expected = _contents(pooled, tmp_path / "pooled")
    assert len(expected) >= 10
    assert _contents(serial, tmp_path / "serial") == expected
    assert _contents(by_option, tmp_path / "option") == expected
    assert serial.stats == pooled.stats
    assert all(r.errors == 0 and r.warnings == 0 for r in serial.validation.values())
    with pytest.raises(InputError, match="concurrency"):
        ExportOptions(concurrency="threads")  # type: ignore[arg-type]


def test_two_exports_on_two_threads_at_once(asset: HOIAsset, tmp_path: Path) -> None:
    frozen_before = gc.get_freeze_count()
    start = threading.Barrier(2)

    def run(i: int) -> ExportResult:
        start.wait()
        return export(asset, tmp_path / str(i), formats="glb,usdc,usdz", options=FAST)

    with ThreadPoolExecutor(max_workers=2) as threads:
        results = list(threads.map(run, range(2)))
    for i, result in enumerate(results):
        assert set(result.files) == {"glb", "usdc", "usdz"}
        assert all(p.is_file() and p.parent == tmp_path / str(i) for p in result.files.values())
        assert all(r.errors == 0 and r.warnings == 0 for r in result.validation.values())
        assert len(result.validation) == 3
    assert _contents(results[0], tmp_path / "0") == _contents(results[1], tmp_path / "1")
    assert gc.get_freeze_count() == frozen_before  # the last export out unfroze the heap


def test_frozen_gc_is_reentrant_across_threads() -> None:
    """Overlapping scopes (two exports) keep the heap frozen until the last one leaves."""
    if gc.get_freeze_count():
        pytest.skip("the heap is frozen by someone else; frozen_gc leaves it alone")
    first, second = frozen_gc(), frozen_gc()
    first.__enter__()
    entered = threading.Event()
    leave = threading.Event()

    def other() -> None:
        with second:
            entered.set()
            leave.wait(10)

    t = threading.Thread(target=other)
    t.start()
    assert entered.wait(10)
    first.__exit__(None, None, None)
    assert gc.get_freeze_count() > 0  # the other scope is still open
    leave.set()
    t.join(10)
    assert gc.get_freeze_count() == 0


def test_bad_formats_and_targets(asset: HOIAsset, tmp_path: Path) -> None:
    assert parse_formats("GLB, .usdz,glb") == ("glb", "usdz")
    with pytest.raises(InputError, match="unknown export format 'fbx'"):
        parse_formats("glb,fbx")
    with pytest.raises(InputError, match="unknown target 'godot'"):
        export(asset, tmp_path, formats="glb", target="godot", options=FAST)
    with pytest.raises(InputError, match="plain file stem"):
        export(asset, tmp_path, formats="glb", options=FAST, name="../evil")


def test_cli_export_json(asset: HOIAsset, tmp_path: Path) -> None:
    from hoiexport.cli.app import app

    bundle = save_bundle(asset, tmp_path / "bundle")
    out = tmp_path / "assets"
    r = CliRunner().invoke(
        app, ["export", str(bundle), "-o", str(out), "--format", "glb,usda", "--target", "blender",
              "--texture-size", "512", "--json"]
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert set(data["files"]) == {"glb", "usda"}
    assert all(Path(p).is_file() for p in data["files"].values())
    assert all(v == {"errors": 0, "warnings": 0, "messages": v["messages"]} for v in data["validation"].values())

    r = CliRunner().invoke(app, ["export", str(bundle), "-o", str(out), "--format", "obj"])
    assert r.exit_code == 1 and "unknown export format 'obj'" in r.output


def test_cli_contacts_json(asset: HOIAsset, tmp_path: Path) -> None:
    from hoiexport.cli.app import app

    bundle = save_bundle(asset, tmp_path / "bundle")
    r = CliRunner().invoke(app, ["contacts", str(bundle), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["contact_config"] == asset.contact_config.value
    assert {c["part"] for c in data["contacts"]} == {c.part for c in asset.contacts}
    assert set(data["penetration"]) == {"human_in_object", "object_in_human"}
