"""Bundles on disk: exact round trip, atomic save, and one test per rejected input."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import io
import json
import os
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import PIL.Image
import pytest
import trimesh

from hoiexport.sdk.bundle import BUNDLE_SCHEMA_PATH, load_bundle, save_bundle
from hoiexport.sdk.core.errors import BundleError, InputError
from hoiexport.sdk.core.skeleton import SMPL_JOINT_NAMES, SMPL_PARENTS
from hoiexport.sdk.core.types import (
    BODY_PARTS,
    SCHEMA_VERSION,
    BodyFit,
    Contact,
    ContactConfig,
    HOIAsset,
    Mesh,
    Penetration,
    Prompt,
    Provenance,
    Skeleton,
    Texture,
)


def make_asset() -> HOIAsset:
    """A small synthetic asset: box object, textured capsule human, 24-joint body."""
    rng = np.random.default_rng(0)
    box = trimesh.creation.box(extents=(0.4, 0.3, 0.2))
    obj = Mesh(
        vertices=box.vertices + [0.3, 0.9, 0.2],
        faces=box.faces,
        colors=rng.integers(0, 256, (len(box.vertices), 4), dtype=np.uint8),
        normals=box.vertex_normals,
        name="suitcase",
    )
    cap = trimesh.creation.capsule(height=1.2, radius=0.2, count=[8, 8])
    v = np.asarray(cap.vertices)
    uv = np.stack(
        [(np.arctan2(v[:, 0], v[:, 2]) / (2 * np.pi)) % 1.0, (v[:, 1] - v[:, 1].min()) / np.ptp(v[:, 1])], 1
    )
    human = Mesh(
        v, cap.faces, uv=uv, texture=Texture(rng.integers(0, 256, (16, 12, 3), dtype=np.uint8)), name="human"
    )

    sphere = trimesh.creation.icosphere(subdivisions=1, radius=0.5)
    n = len(sphere.vertices)
    body_mesh = Mesh(
        sphere.vertices,
        sphere.faces,
        uv=rng.random((n, 2)),
        texture=Texture(rng.integers(0, 256, (8, 8, 4), dtype=np.uint8)),
        normals=sphere.vertex_normals,
        name="body",
    )
    transforms = np.tile(np.eye(4), (24, 1, 1))
    transforms[:, :3, 3] = rng.normal(size=(24, 3)) * 0.3
    skeleton = Skeleton(list(SMPL_JOINT_NAMES), SMPL_PARENTS, transforms)
    weights = rng.random((n, 24))
    weights /= weights.sum(axis=1, keepdims=True)
    body = BodyFit(
        model="anny",
        params={
            "pose": rng.normal(size=(24, 3)).astype(np.float32),
            "transl": np.array([0.0, 0.1, 0.2]),
            "scale": 1.02,
            "gender": "female",
            "shape": {"betas": rng.normal(size=10).astype(np.float32), "height": 0.5, "tags": ["a", 1, None]},
            "frames": [np.arange(3, dtype=np.int64), {"w": np.ones((2, 2), np.float64)}],
            "odd key/..": np.array([True, False]),
        },
        skeleton=skeleton,
        mesh=body_mesh,
        skin_weights=weights,
        part_labels=rng.integers(0, len(BODY_PARTS), n),
    )
    contact = Contact(
        part="right_hand",
        joint="right_hand",
        point_human=[0.31, 0.92, 0.05],
        point_object=[0.3, 0.9, 0.1],
        normal=[0.0, 0.0, -1.0],
        distance_m=0.0,
        area_m2=0.0012,
    )
    return HOIAsset(
        prompt=Prompt(
            text="a person carries a suitcase with the right hand",
            appearance="a person",
            object="suitcase",
            action="carry",
            contact_parts=["right_hand"],
            requested_config=ContactConfig.RIGHT_HAND,
            attributes={"colors": ["red"], "size": 1.5},
        ),
        human=human,
        object=obj,
        body=body,
        contacts=[contact],
        contact_config=ContactConfig.RIGHT_HAND,
        penetration=Penetration(0.4, 1.25, 0.1, 0.0),
        provenance=Provenance(
            generator="test",
            models={"anny": "0.6.2"},
            seed=7,
            timings_s={"compose": 0.25},
            versions={"numpy": np.__version__},
            notes={"texture": "procedural", "iters": 3},
        ),
    )


@pytest.fixture(scope="module")
def asset() -> HOIAsset:
    return make_asset()


@pytest.fixture
def bundle(asset: HOIAsset, tmp_path: Path) -> Path:
    """A freshly saved bundle each test may damage."""
    return save_bundle(asset, tmp_path / "b")


def assert_same(a: Any, b: Any, where: str = "asset") -> None:
    """Deep equality: arrays equal with the same dtype and shape, everything else ==."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), where
        assert a.dtype == b.dtype and a.shape == b.shape, (where, a.dtype, b.dtype, a.shape, b.shape)
        assert np.array_equal(a, b), where
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert type(a) is type(b) or isinstance(a, enum.Enum), (where, type(a), type(b))
        assert a == b, (where, a, b)


def read_doc(bundle: Path) -> dict[str, Any]:
    return json.loads((bundle / "asset.json").read_text(encoding="utf-8"))


def write_doc(bundle: Path, doc: dict[str, Any]) -> None:
    (bundle / "asset.json").write_text(json.dumps(doc), encoding="utf-8")


def replace_file(bundle: Path, rel: str, data: bytes) -> None:
    """Overwrite a bundle file and record its new sha256, so only its content is wrong."""
    (bundle / rel).write_bytes(data)
    doc = read_doc(bundle)
    digest = hashlib.sha256(data).hexdigest()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("path") == rel:
                node["sha256"] = digest
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    write_doc(bundle, doc)


def replace_arrays(bundle: Path, rel: str, **changes: np.ndarray | None) -> None:
    """Rewrite one .npz of the bundle with some arrays changed (None drops one)."""
    with np.load(bundle / rel, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    for k, v in changes.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    replace_file(bundle, rel, buf.getvalue())


def rejects(bundle: Path, *needles: str, **kwargs: Any) -> str:
    """Assert load_bundle raises BundleError whose message contains every needle."""
    with pytest.raises(BundleError) as info:
        load_bundle(bundle, **kwargs)
    msg = str(info.value)
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"
    return msg


# --- round trip ------------------------------------------------------------------


def test_round_trip_is_exact(asset: HOIAsset, bundle: Path) -> None:
    loaded = load_bundle(bundle)
    assert_same(asset, loaded)
    assert loaded.human.texture is not None and loaded.human.texture.image.shape == (16, 12, 3)
    assert loaded.body.mesh.texture is not None and loaded.body.mesh.texture.image.shape == (8, 8, 4)


def test_layout_and_schema(asset: HOIAsset, bundle: Path) -> None:
    doc = read_doc(bundle)
    schema = json.loads(BUNDLE_SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["body"]["params"]["pose"] == {"$ndarray": "pose"}
    assert doc["body"]["params"]["scale"] == 1.02
    assert doc["body"]["params"]["frames"][1]["w"] == {"$ndarray": "frames.1.w"}
    # A key that is no safe file name gets a generated array name.
    assert re.fullmatch(r"array\d+", doc["body"]["params"]["odd key/.."]["$ndarray"])
    assert doc["body"]["skeleton"]["joint_names"] == list(SMPL_JOINT_NAMES)
    for entry in (
        doc["human"]["file"],
        doc["human"]["texture"],
        doc["body"]["mesh"]["file"],
        doc["body"]["param_arrays"],
    ):
        data = (bundle / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    with np.load(bundle / doc["body"]["mesh"]["file"]["path"], allow_pickle=False) as z:
        assert set(z.files) == {"vertices", "faces", "uv", "normals", "skin_weights", "part_labels"}
        assert z["skin_weights"].shape == (len(asset.body.mesh.vertices), 24)
    assert doc["object"]["texture"] is None
    with PIL.Image.open(bundle / doc["human"]["texture"]["path"]) as img:
        assert img.format == "PNG"


def test_overwrite(asset: HOIAsset, bundle: Path) -> None:
    with pytest.raises(BundleError, match="exists"):
        save_bundle(asset, bundle)
    (bundle / "stale.txt").write_text("old")
    save_bundle(asset, bundle, overwrite=True)
    assert not (bundle / "stale.txt").exists()
    assert_same(asset, load_bundle(bundle))


# --- save refuses bad assets, atomically -----------------------------------------


def test_save_refuses_nan(tmp_path: Path) -> None:
    bad = make_asset()
    bad.human.vertices[3, 1] = np.nan
    with pytest.raises(InputError, match=r"human\.vertices"):
        save_bundle(bad, tmp_path / "b")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_nan_param(tmp_path: Path) -> None:
    bad = make_asset()
    bad.body.params["shape"]["betas"][2] = np.inf
    with pytest.raises(InputError, match=r"body\.params\.shape\.betas"):
        save_bundle(bad, tmp_path / "b")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_schema_violation(tmp_path: Path) -> None:
    bad = make_asset()
    bad.contacts[0].part = "elbow_tip"
    with pytest.raises(InputError, match=r"contacts\[0\]\.part"):
        save_bundle(bad, tmp_path / "b")
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_save_leaves_nothing(
    asset: HOIAsset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_bundle(asset, tmp_path / "old")

    def broken_save(self: PIL.Image.Image, *args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(PIL.Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_bundle(asset, tmp_path / "b")
    with pytest.raises(OSError, match="disk full"):
        save_bundle(asset, tmp_path / "old", overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["old"]  # no new folder, no temporary folder
    assert_same(asset, load_bundle(tmp_path / "old"))  # the old bundle is intact


# --- load rejects ----------------------------------------------------------------


def test_missing_asset_json(bundle: Path) -> None:
    (bundle / "asset.json").unlink()
    rejects(bundle, "asset.json", str(bundle))


def test_missing_referenced_file(bundle: Path) -> None:
    (bundle / "textures/human.png").unlink()
    rejects(bundle, "human.texture.path", "textures/human.png", "does not exist")


def test_parent_dir_path(bundle: Path) -> None:
    # A valid file with the right digest sits outside: only the path is wrong.
    shutil.copy(bundle / "meshes/human.npz", bundle.parent / "outside.npz")
    doc = read_doc(bundle)
    doc["human"]["file"]["path"] = "../outside.npz"
    write_doc(bundle, doc)
    rejects(bundle, "human.file.path", "../outside.npz", "leaves the bundle")


def test_absolute_path(bundle: Path) -> None:
    doc = read_doc(bundle)
    doc["object"]["file"]["path"] = str((bundle / "meshes/object.npz").resolve())
    write_doc(bundle, doc)
    rejects(bundle, "object.file.path", "absolute")


def test_symlink_outside(bundle: Path) -> None:
    outside = bundle.parent / "elsewhere.npz"
    shutil.move(bundle / "meshes/object.npz", outside)
    os.symlink(outside, bundle / "meshes/object.npz")
    rejects(bundle, "object.file.path", "outside the bundle")


def test_symlinked_asset_json_outside(bundle: Path) -> None:
    outside = bundle.parent / "asset.json"
    shutil.move(bundle / "asset.json", outside)
    os.symlink(outside, bundle / "asset.json")
    rejects(bundle, "asset.json", "outside the bundle")


def test_nan_in_vertices(bundle: Path) -> None:
    with np.load(bundle / "meshes/human.npz") as z:
        v = z["vertices"].copy()
    v[5, 0] = np.nan
    replace_arrays(bundle, "meshes/human.npz", vertices=v)
    rejects(bundle, "meshes/human.npz", "'vertices'", "NaN or inf", "row", "index 5", "field human.file")


def test_inf_in_skin_weights(bundle: Path) -> None:
    with np.load(bundle / "meshes/body.npz") as z:
        w = z["skin_weights"].copy()
    w[0, 0] = np.inf
    replace_arrays(bundle, "meshes/body.npz", skin_weights=w)
    rejects(bundle, "meshes/body.npz", "'skin_weights'", "NaN or inf")


def test_nan_in_param_array(bundle: Path) -> None:
    with np.load(bundle / "params/body.npz") as z:
        pose = z["pose"].copy()
    pose[1, 1] = np.nan
    replace_arrays(bundle, "params/body.npz", pose=pose)
    rejects(bundle, "params/body.npz", "'pose'", "body.params.pose", "NaN or inf")


def test_faces_not_triangles(bundle: Path) -> None:
    replace_arrays(bundle, "meshes/object.npz", faces=np.zeros((4, 4), np.int32))
    rejects(bundle, "meshes/object.npz", "'faces'", "(F, 3) integer", "(4, 4)")


def test_faces_float(bundle: Path) -> None:
    with np.load(bundle / "meshes/object.npz") as z:
        faces = z["faces"].astype(np.float32)
    replace_arrays(bundle, "meshes/object.npz", faces=faces)
    rejects(bundle, "meshes/object.npz", "'faces'", "integer", "float32")


def test_uv_rows_mismatch(bundle: Path) -> None:
    with np.load(bundle / "meshes/human.npz") as z:
        uv = z["uv"][:-1]
    replace_arrays(bundle, "meshes/human.npz", uv=uv)
    rejects(bundle, "meshes/human.npz", "'uv'", "rows", "one per vertex")


def test_skin_weights_wrong_joints(bundle: Path) -> None:
    with np.load(bundle / "meshes/body.npz") as z:
        w = z["skin_weights"][:, :23]
    replace_arrays(bundle, "meshes/body.npz", skin_weights=w)
    rejects(bundle, "meshes/body.npz", "'skin_weights'", "(V, 24) float")


def test_skin_weights_not_normalised(bundle: Path) -> None:
    with np.load(bundle / "meshes/body.npz") as z:
        w = z["skin_weights"] * 2
    replace_arrays(bundle, "meshes/body.npz", skin_weights=w)
    rejects(bundle, "meshes/body.npz", "'skin_weights'", "sum to 1")


def test_part_labels_out_of_range(bundle: Path) -> None:
    with np.load(bundle / "meshes/body.npz") as z:
        labels = z["part_labels"].copy()
    labels[0] = len(BODY_PARTS)
    replace_arrays(bundle, "meshes/body.npz", part_labels=labels)
    rejects(bundle, "meshes/body.npz", "'part_labels'", "out of range")


def test_missing_required_array(bundle: Path) -> None:
    replace_arrays(bundle, "meshes/body.npz", part_labels=None)
    rejects(bundle, "meshes/body.npz", "'part_labels'", "missing")


def test_unexpected_array(bundle: Path) -> None:
    replace_arrays(bundle, "meshes/object.npz", extra=np.zeros(3))
    rejects(bundle, "meshes/object.npz", "unexpected arrays ['extra']")


def test_face_index_out_of_range(bundle: Path) -> None:
    with np.load(bundle / "meshes/object.npz") as z:
        faces, n = z["faces"].copy(), len(z["vertices"])
    faces[2, 1] = n
    replace_arrays(bundle, "meshes/object.npz", faces=faces)
    rejects(bundle, "meshes/object.npz", "'faces'", f"out of range [0, {n})", f"max {n}")


def test_newer_schema_version(bundle: Path) -> None:
    doc = read_doc(bundle)
    doc["schema_version"] = SCHEMA_VERSION + 1
    write_doc(bundle, doc)
    rejects(
        bundle,
        "asset.json",
        f"bundle schema_version {SCHEMA_VERSION + 1} is newer than this hoiexport supports "
        f"({SCHEMA_VERSION}): upgrade hoiexport",
    )


@pytest.mark.parametrize("version", [0, "1", None])
def test_unknown_schema_version(bundle: Path, version: Any) -> None:
    doc = read_doc(bundle)
    doc["schema_version"] = version
    write_doc(bundle, doc)
    rejects(bundle, "asset.json", "schema_version")


def test_schema_violation_names_field(bundle: Path) -> None:
    doc = read_doc(bundle)
    doc["contacts"][0]["part"] = "elbow_tip"
    write_doc(bundle, doc)
    rejects(bundle, "asset.json", "field contacts[0].part", "elbow_tip", "asset.schema.json")


def test_contact_joint_not_in_skeleton(bundle: Path) -> None:
    doc = read_doc(bundle)
    doc["contacts"][0]["joint"] = "tail"
    write_doc(bundle, doc)
    rejects(bundle, "contacts[0].joint", "'tail'")


def test_nan_in_asset_json(bundle: Path) -> None:
    text = (bundle / "asset.json").read_text(encoding="utf-8")
    doc = read_doc(bundle)
    doc["penetration"]["human_in_object_depth_cm"] = float("nan")
    (bundle / "asset.json").write_text(json.dumps(doc), encoding="utf-8")
    rejects(bundle, "asset.json", "NaN", "finite")
    (bundle / "asset.json").write_text(
        text.replace('"area_m2": 0.0012', '"area_m2": 1e999'), encoding="utf-8"
    )
    rejects(bundle, "asset.json", "1e999", "finite")


def test_transform_overflows_float32(bundle: Path) -> None:
    doc = read_doc(bundle)
    doc["body"]["skeleton"]["world_transforms"][3][0][3] = 1e300
    write_doc(bundle, doc)
    rejects(bundle, "asset.json", "body.skeleton.world_transforms", "NaN or inf", "index 3")


def test_too_many_vertices(bundle: Path, asset: HOIAsset) -> None:
    # The human (read first) is the largest mesh.
    rejects(bundle, "meshes/human.npz", "'vertices'", "max_vertices=65", "field human.file", max_vertices=65)
    rejects(bundle, "meshes/human.npz", "'faces'", "max_faces=10", max_faces=10)
    assert len(asset.human.vertices) > 65 and len(asset.human.faces) > 10


def test_sha256_mismatch(bundle: Path) -> None:
    path = bundle / "meshes/body.npz"
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    rejects(bundle, "meshes/body.npz", "body.mesh.file.sha256", "corrupt")


def test_pickled_npz_refused(bundle: Path) -> None:
    buf = io.BytesIO()
    obj = np.empty(1, dtype=object)
    obj[0] = {"evil": True}
    np.savez(buf, pose=obj, allow_pickle=True)
    replace_file(bundle, "params/body.npz", buf.getvalue())
    rejects(bundle, "params/body.npz", "'pose'", "pickle")


def test_corrupt_npz(bundle: Path) -> None:
    replace_file(bundle, "meshes/human.npz", b"PK\x03\x04 not really a zip")
    rejects(bundle, "meshes/human.npz", "not a readable .npz")


def test_truncated_npy_in_npz(bundle: Path) -> None:
    """A .npy header claiming far more data than the member holds is refused before allocating."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10**9, 3)}
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("vertices.npy", header.getvalue() + b"\x00" * 64)
    replace_file(bundle, "meshes/object.npz", buf.getvalue())
    rejects(bundle, "meshes/object.npz", "'vertices'", "claims shape")


def test_corrupt_png(bundle: Path) -> None:
    replace_file(bundle, "textures/human.png", b"\x89PNG\r\n\x1a\n garbage")
    rejects(bundle, "textures/human.png", "not a readable PNG")


def test_corrupt_json(bundle: Path) -> None:
    (bundle / "asset.json").write_text('{"schema_version": 1, "prompt": ', encoding="utf-8")
    rejects(bundle, "asset.json", "not valid JSON")


def test_not_a_folder(tmp_path: Path) -> None:
    rejects(tmp_path / "nothing", "nothing", "does not exist")
