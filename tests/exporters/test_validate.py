"""The validation stage on one-defect fixtures, through the real validators.

Every fixture is built here with pygltflib / pxr and breaks exactly one rule; the
whole set is validated once (one node process for all glTF files) and each test
reads its file's report.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pygltflib as gl
import pytest
from click.testing import CliRunner
from pxr import Gf, Sdf, Usd, UsdGeom, UsdSkel, UsdUtils, Vt

from hoiexport.cli.validate import validate
from hoiexport.exporters import validate_gltf
from hoiexport.exporters.validate import (
    ValidationReport,
    ValidationSession,
    ensure_valid,
    file_format,
    validate_file,
    validate_files,
)
from hoiexport.exporters.validate_gltf import GLTF_HOUSE_RULES, GltfDocument, check_skin_weights_normalised
from hoiexport.exporters.validate_usd import USD_HOUSE_RULES, all_validators, check_up_axis, open_stage
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError, ValidationFailed

# ---------------------------------------------------------------------------
# glTF fixture builders


def _triangle_gltf(
    joints: list[list[list[int]]] | None = None,
    weights: list[list[list[float]]] | None = None,
    num_joints: int = 2,
    position_count: int | None = None,
) -> gl.GLTF2:
    """One triangle with normals (+Z) in metres; optionally skinned.

    joints / weights: one (3, 4) list per JOINTS_n / WEIGHTS_n set.
    position_count: overrides the POSITION accessor's count (to break it).
    """
    pos = np.array([[0, 0, 0], [0.1, 0, 0], [0, 0.1, 0]], np.float32)
    nrm = np.array([[0, 0, 1]] * 3, np.float32)
    idx = np.array([0, 1, 2], np.uint16)
    chunks: list[tuple[bytes, int | None]] = [
        (pos.tobytes(), gl.ARRAY_BUFFER),
        (nrm.tobytes(), gl.ARRAY_BUFFER),
        (idx.tobytes(), gl.ELEMENT_ARRAY_BUFFER),
    ]
    accessors = [
        gl.Accessor(bufferView=0, componentType=gl.FLOAT, count=position_count or 3, type=gl.VEC3,
                    min=pos.min(0).tolist(), max=pos.max(0).tolist()),
        gl.Accessor(bufferView=1, componentType=gl.FLOAT, count=3, type=gl.VEC3),
        gl.Accessor(bufferView=2, componentType=gl.UNSIGNED_SHORT, count=3, type=gl.SCALAR),
    ]
    attributes = gl.Attributes(POSITION=0, NORMAL=1)
    nodes = [gl.Node(name="mesh", mesh=0)]
    skins: list[gl.Skin] = []
    roots = [0]
    if weights is not None:
        assert joints is not None
        for n, (j, w) in enumerate(zip(joints, weights, strict=True)):
            chunks.append((np.asarray(j, np.uint8).tobytes(), gl.ARRAY_BUFFER))
            accessors.append(gl.Accessor(bufferView=len(chunks) - 1, componentType=gl.UNSIGNED_BYTE, count=3,
                                         type=gl.VEC4))
            setattr(attributes, f"JOINTS_{n}", len(accessors) - 1)
            chunks.append((np.asarray(w, np.float32).tobytes(), gl.ARRAY_BUFFER))
            accessors.append(gl.Accessor(bufferView=len(chunks) - 1, componentType=gl.FLOAT, count=3, type=gl.VEC4))
            setattr(attributes, f"WEIGHTS_{n}", len(accessors) - 1)
        # a chain of joints 5 cm apart along +Y; inverse bind = translate(0, -y, 0), column-major
        ibm = np.stack([np.eye(4, dtype=np.float32) for _ in range(num_joints)])
        for k in range(num_joints):
            ibm[k, 3, 1] = -0.05 * k
            nodes.append(gl.Node(name=f"joint{k}", translation=[0.0, 0.05 if k else 0.0, 0.0],
                                 children=[len(nodes) + 1] if k + 1 < num_joints else []))
        chunks.append((ibm.tobytes(), None))
        accessors.append(gl.Accessor(bufferView=len(chunks) - 1, componentType=gl.FLOAT, count=num_joints,
                                     type=gl.MAT4))
        skins.append(gl.Skin(joints=list(range(1, num_joints + 1)), skeleton=1,
                             inverseBindMatrices=len(accessors) - 1))
        nodes[0].skin = 0
        roots = [0, 1]
    views, blob = [], b""
    for data, target in chunks:
        views.append(gl.BufferView(buffer=0, byteOffset=len(blob), byteLength=len(data), target=target))
        blob += data + b"\0" * (-len(data) % 4)
    gltf = gl.GLTF2(
        asset=gl.Asset(version="2.0", generator="hoiexport tests"),
        scene=0,
        scenes=[gl.Scene(nodes=roots)],
        nodes=nodes,
        meshes=[gl.Mesh(primitives=[gl.Primitive(attributes=attributes, indices=2)])],
        accessors=accessors,
        bufferViews=views,
        skins=skins,
        buffers=[gl.Buffer(byteLength=len(blob))],
    )
    gltf.set_binary_blob(blob)
    return gltf


_SKIN_JOINTS = [[[0, 0, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0]]]
_SKIN_WEIGHTS = [[[1, 0, 0, 0], [0.5, 0.5, 0, 0], [1, 0, 0, 0]]]


def _save_glb(gltf: gl.GLTF2, path: Path) -> Path:
    gltf.save_binary(str(path))
    return path


def _gltf_without(path: Path, drop: tuple[str, int, str]) -> Path:
    """A .gltf (buffers as data URIs) whose `drop` = (array, index, field) is removed."""
    gltf = _triangle_gltf()
    gltf.convert_buffers(gl.BufferFormat.DATAURI)
    doc = json.loads(gltf.to_json())
    array, index, name = drop
    del doc[array][index][name]
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# USD fixture builders


def _usd_triangle(path: Path, up_axis: str | None = "Y", meters_per_unit: float | None = 1.0) -> Path:
    stage = Usd.Stage.CreateNew(str(path))
    if up_axis is not None:  # raw metadata: UsdGeom.SetStageUpAxis refuses "X"
        stage.SetMetadata(UsdGeom.Tokens.upAxis, up_axis)
    if meters_per_unit is not None:
        UsdGeom.SetStageMetersPerUnit(stage, meters_per_unit)
    root = UsdGeom.Xform.Define(stage, "/Asset")
    stage.SetDefaultPrim(root.GetPrim())
    mesh = UsdGeom.Mesh.Define(stage, "/Asset/Triangle")
    mesh.CreatePointsAttr(Vt.Vec3fArray([(0, 0, 0), (0.1, 0, 0), (0, 0.1, 0)]))
    mesh.CreateFaceVertexCountsAttr([3])
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2])
    mesh.CreateNormalsAttr(Vt.Vec3fArray([(0, 0, 1)] * 3))
    mesh.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    mesh.CreateExtentAttr(Vt.Vec3fArray([(0, 0, 0), (0.1, 0.1, 0)]))
    stage.GetRootLayer().Save()
    return path


def _usd_skinned(path: Path, weights: np.ndarray) -> Path:
    """A SkelRoot with a chain of J joints and a triangle bound with (3, n) weights."""
    n = weights.shape[1]
    num_joints = max(n, 2)
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    root = UsdSkel.Root.Define(stage, "/Asset")
    stage.SetDefaultPrim(root.GetPrim())
    skel = UsdSkel.Skeleton.Define(stage, "/Asset/Skel")
    names = ["/".join(f"j{i}" for i in range(k + 1)) for k in range(num_joints)]
    skel.CreateJointsAttr(names)
    world = [Gf.Matrix4d().SetTranslate(Gf.Vec3d(0, 0.05 * k, 0)) for k in range(num_joints)]
    local = [Gf.Matrix4d().SetTranslate(Gf.Vec3d(0, 0.05 if k else 0, 0)) for k in range(num_joints)]
    skel.CreateBindTransformsAttr(Vt.Matrix4dArray(world))
    skel.CreateRestTransformsAttr(Vt.Matrix4dArray(local))
    mesh = UsdGeom.Mesh.Define(stage, "/Asset/Triangle")
    mesh.CreatePointsAttr(Vt.Vec3fArray([(0, 0, 0), (0.1, 0, 0), (0, 0.1, 0)]))
    mesh.CreateFaceVertexCountsAttr([3])
    mesh.CreateFaceVertexIndicesAttr([0, 1, 2])
    mesh.CreateExtentAttr(Vt.Vec3fArray([(0, 0, 0), (0.1, 0.1, 0)]))
    binding = UsdSkel.BindingAPI.Apply(mesh.GetPrim())
    binding.CreateSkeletonRel().SetTargets([skel.GetPath()])
    indices = np.tile(np.arange(n, dtype=np.int32), (3, 1))
    binding.CreateJointIndicesPrimvar(False, n).Set(Vt.IntArray(indices.ravel().tolist()))
    binding.CreateJointWeightsPrimvar(False, n).Set(Vt.FloatArray(weights.astype(np.float32).ravel().tolist()))
    binding.CreateGeomBindTransformAttr(Gf.Matrix4d(1))
    stage.GetRootLayer().Save()
    return path


def _unaligned_usdz(path: Path, usda: Path) -> Path:
    """A usdz written by plain zipfile: uncompressed but not 64-byte aligned."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("x.usda", usda.read_text(encoding="utf-8"))
    return path


# ---------------------------------------------------------------------------
# One batch for all fixtures


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("validate")
    f: dict[str, Path] = {}
    f["triangle.glb"] = _save_glb(_triangle_gltf(), d / "triangle.glb")
    f["skinned.glb"] = _save_glb(_triangle_gltf(_SKIN_JOINTS, _SKIN_WEIGHTS), d / "skinned.glb")
    f["weights_off.glb"] = _save_glb(
        _triangle_gltf(_SKIN_JOINTS, [[[1, 0, 0, 0], [0.5, 0.45, 0, 0], [1, 0, 0, 0]]]), d / "weights_off.glb"
    )
    f["five_influences.glb"] = _save_glb(
        _triangle_gltf(
            [[[0, 1, 2, 3], [0, 0, 0, 0], [0, 0, 0, 0]], [[4, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]],
            [[[0.2, 0.2, 0.2, 0.2], [1, 0, 0, 0], [1, 0, 0, 0]], [[0.2, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]],
            num_joints=5,
        ),
        d / "five_influences.glb",
    )
    f["zero_weight_joint.glb"] = _save_glb(
        _triangle_gltf([[[0, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0]]], _SKIN_WEIGHTS), d / "zero_weight_joint.glb"
    )
    f["accessor_oob.glb"] = _save_glb(_triangle_gltf(position_count=30), d / "accessor_oob.glb")
    f["no_count.gltf"] = _gltf_without(d / "no_count.gltf", ("accessors", 1, "count"))
    (d / "corrupt.glb").write_bytes(b"this is not a glb file at all" * 4)
    f["corrupt.glb"] = d / "corrupt.glb"

    f["triangle.usda"] = _usd_triangle(d / "triangle.usda")
    f["no_up_axis.usda"] = _usd_triangle(d / "no_up_axis.usda", up_axis=None)
    f["up_axis_x.usda"] = _usd_triangle(d / "up_axis_x.usda", up_axis="X")
    f["zero_mpu.usda"] = _usd_triangle(d / "zero_mpu.usda", meters_per_unit=0.0)
    f["skinned.usdc"] = _usd_skinned(d / "skinned.usdc", np.array([[1, 0], [0.5, 0.5], [0, 1]]))
    f["weights_off.usda"] = _usd_skinned(d / "weights_off.usda", np.array([[1, 0], [0.5, 0.4], [0, 1]]))
    f["five_influences.usda"] = _usd_skinned(d / "five_influences.usda", np.full((3, 5), 0.2))
    f["triangle.usdz"] = d / "triangle.usdz"
    assert UsdUtils.CreateNewUsdzPackage(Sdf.AssetPath(str(f["triangle.usda"])), str(f["triangle.usdz"]))
    f["unaligned.usdz"] = _unaligned_usdz(d / "unaligned.usdz", f["triangle.usda"])
    (d / "corrupt.usdc").write_bytes(b"PXR-USDC" + b"\x00\x01garbage" * 8)
    f["corrupt.usdc"] = d / "corrupt.usdc"
    (d / "corrupt.usda").write_text("#usda 1.0\ndef Mesh \"M\" {\n point3f[] points = [(0, 0\n", encoding="utf-8")
    f["corrupt.usda"] = d / "corrupt.usda"
    return f


@pytest.fixture(scope="module")
def reports(files) -> dict[str, ValidationReport]:
    names = list(files)
    return dict(zip(names, validate_files([files[n] for n in names]), strict=True))


def _codes(report: ValidationReport) -> list[str]:
    return [m.code for m in report.messages]


# ---------------------------------------------------------------------------
# glTF


def test_valid_triangle_glb_has_no_findings(reports):
    r = reports["triangle.glb"]
    assert r.format == "gltf"
    assert (r.errors, r.warnings, r.infos) == (0, 0, 0), r.messages
    assert r.ok
    assert r.validator_version.startswith("gltf-validator 2.0.0")


def test_valid_skinned_glb_has_no_findings(reports):
    r = reports["skinned.glb"]
    assert (r.errors, r.warnings) == (0, 0), r.messages


def test_non_normalised_weights_reported_once(reports, files):
    r = reports["weights_off.glb"]
    assert not r.ok
    weight_errors = [m for m in r.messages if m.severity == "error"]
    assert [m.code for m in weight_errors] == ["ACCESSOR_WEIGHTS_NON_NORMALIZED"]
    assert weight_errors[0].location == "/meshes/0/primitives/0/attributes/WEIGHTS_0"
    assert weight_errors[0].validator == "khronos"
    # the house rule sees the same defect on its own; it is dropped as a duplicate
    own = check_skin_weights_normalised(GltfDocument.load(files["weights_off.glb"]))
    assert [m.code for m in own] == ["hoi:SkinWeightsNormalised"]
    assert own[0].location == weight_errors[0].location
    assert "0.950000" in own[0].message and "1 of 3 vertices" in own[0].message


def test_more_than_four_influences_is_a_house_error(reports):
    r = reports["five_influences.glb"]
    assert [m.code for m in r.messages if m.validator == "khronos" and m.severity == "error"] == []
    house = [m for m in r.messages if m.validator == "house"]
    assert [m.code for m in house] == ["hoi:SkinInfluencesAtMost4"]
    assert "1 of 3 vertices" in house[0].message and "most: 5" in house[0].message
    assert r.errors == 1


def test_strict_counts_warnings(reports):
    lax = reports["zero_weight_joint.glb"]
    assert "ACCESSOR_JOINTS_USED_ZERO_WEIGHT" in _codes(lax)
    assert lax.errors == 0 and lax.warnings >= 1 and lax.ok
    strict = ValidationReport(lax.path, lax.format, lax.messages, lax.validator_version, strict=True)
    assert not strict.ok
    assert {m.severity for m in strict.failures()} == {"warning"}


def test_accessor_out_of_bounds(reports):
    r = reports["accessor_oob.glb"]
    assert "ACCESSOR_TOO_LONG" in _codes(r)
    assert r.errors >= 1 and not r.ok
    assert any(m.location == "/accessors/0" for m in r.messages)


def test_missing_required_field_in_gltf(reports):
    r = reports["no_count.gltf"]
    missing = [m for m in r.messages if m.code == "UNDEFINED_PROPERTY"]
    assert missing and missing[0].location == "/accessors/1"
    assert "count" in missing[0].message
    assert not r.ok


def test_corrupt_glb_is_a_clear_error(reports):
    r = reports["corrupt.glb"]
    assert _codes(r) == ["GLB_INVALID_MAGIC"]
    assert r.errors == 1 and r.messages[0].location == "@0"


def test_house_rule_descriptions_are_sentences():
    for rule in (*GLTF_HOUSE_RULES, *USD_HOUSE_RULES):
        assert rule.code.startswith("hoi:")
        assert rule.description.endswith(".") and rule.description.count(". ") == 0


def test_missing_validator_install_names_the_fix(files, tmp_path, monkeypatch):
    monkeypatch.setattr(validate_gltf, "VALIDATOR_DIR", tmp_path / "nowhere")
    monkeypatch.setenv("HOIEXPORT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ModelUnavailableError, match="install_validators.sh"):
        validate_file(files["triangle.glb"])


# ---------------------------------------------------------------------------
# USD


def test_all_registered_usd_validators_run():
    names = {v.GetMetadata().name for v in all_validators()}
    assert "usdGeomValidators:StageMetadataChecker" in names
    assert "usdUtilsValidators:UsdzPackageValidator" in names
    assert any(n.startswith("usdSkelValidators:") for n in names)
    assert any(n.startswith("usdShadeValidators:") for n in names)


def test_valid_usda_mesh_has_no_findings(reports):
    r = reports["triangle.usda"]
    assert r.format == "usd"
    assert (r.errors, r.warnings) == (0, 0), r.messages
    assert r.validator_version.startswith("OpenUSD ")


def test_missing_up_axis_reported_once(reports, files):
    r = reports["no_up_axis.usda"]
    assert _codes(r) == ["usdGeomValidators:StageMetadataChecker.MissingUpAxisMetadata"]
    assert r.errors == 1
    # the house rule finds it too, at the same place, and is dropped as a duplicate
    own = check_up_axis(open_stage(files["no_up_axis.usda"]))
    assert [(m.code, m.location) for m in own] == [("hoi:UpAxis", r.messages[0].location)]


def test_up_axis_value_and_meters_per_unit_are_house_rules(reports):
    assert _codes(reports["up_axis_x.usda"]) == ["hoi:UpAxis"]
    assert "'X'" in reports["up_axis_x.usda"].messages[0].message
    assert _codes(reports["zero_mpu.usda"]) == ["hoi:MetersPerUnit"]


def test_valid_skinned_usd(reports):
    r = reports["skinned.usdc"]
    assert (r.errors, r.warnings) == (0, 0), r.messages


def test_usd_skin_weights_not_normalised(reports):
    r = reports["weights_off.usda"]
    assert _codes(r) == ["hoi:SkinWeightsNormalised"]
    assert r.messages[0].location == "/Asset/Triangle"
    assert "0.900000" in r.messages[0].message


def test_usd_more_than_four_influences(reports):
    assert _codes(reports["five_influences.usda"]) == ["hoi:SkinInfluencesAtMost4"]


def test_usdz_package_validated(reports):
    r = reports["triangle.usdz"]
    assert (r.errors, r.warnings) == (0, 0), r.messages


def test_unaligned_usdz_reported_by_package_validator(reports):
    codes = _codes(reports["unaligned.usdz"])
    assert "usdUtilsValidators:UsdzPackageValidator.ByteMisalignment" in codes
    assert not reports["unaligned.usdz"].ok


@pytest.mark.parametrize("name", ["corrupt.usdc", "corrupt.usda"])
def test_corrupt_usd_is_a_clear_error(reports, name):
    r = reports[name]
    assert _codes(r) == ["USD_OPEN_FAILED"]
    assert "cannot open as USD" in r.messages[0].message
    assert "Error in '" not in r.messages[0].message  # C++ location noise stripped


def test_file_rewritten_in_place_is_revalidated(tmp_path):
    path = _usd_triangle(tmp_path / "asset.usda", up_axis=None)
    assert validate_file(path).errors == 1
    _usd_triangle(path)
    assert validate_file(path).errors == 0


# ---------------------------------------------------------------------------
# API


def test_batch_keeps_order_and_formats(reports, files):
    names = list(files)
    assert [r.path for r in reports.values()] == [files[n] for n in names]
    assert {r.format for r in reports.values()} == {"gltf", "usd"}


def test_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        validate_file(tmp_path / "missing.glb")
    (tmp_path / "a.obj").write_text("v 0 0 0\n")
    with pytest.raises(InputError, match=r"unknown file type '\.obj'"):
        validate_file(tmp_path / "a.obj")
    assert file_format("X.USDZ") == "usd"


def test_ensure_valid(files):
    ok = ensure_valid([files["triangle.glb"], files["triangle.usdz"]])
    assert all(r.ok and r.strict for r in ok)
    with pytest.raises(ValidationFailed, match="weights_off.glb.*ACCESSOR_WEIGHTS_NON_NORMALIZED"):
        ensure_valid([files["triangle.glb"], files["weights_off.glb"]])
    with pytest.raises(ValidationFailed, match="ACCESSOR_JOINTS_USED_ZERO_WEIGHT"):
        ensure_valid([files["zero_weight_joint.glb"]], strict=True)


def test_session_validates_files_as_they_are_added(files, reports, tmp_path):
    names = ["weights_off.glb", "no_up_axis.usda", "corrupt.glb", "five_influences.glb", "triangle.usdz"]
    with ValidationSession(gltf=True) as session:  # node starts before any file exists
        for name in names:
            copy = tmp_path / name
            copy.write_bytes(files[name].read_bytes())  # written after node started
            session.add(copy)
        got = session.reports()
    assert [r.path.name for r in got] == names
    def findings(report: ValidationReport) -> list[tuple[str, str, str, str]]:
        return [(m.severity, m.code, m.location, m.validator) for m in report.messages]

    for name, report in zip(names, got, strict=True):
        assert findings(report) == findings(reports[name]), name
    # ensure_valid with a session reads its reports; the files must be the same.
    with ValidationSession() as session:
        session.add(files["triangle.glb"])
        assert ensure_valid([files["triangle.glb"]], session=session)[0].ok
    with ValidationSession() as session, pytest.raises(InputError, match="other files"):
        session.add(files["triangle.glb"])
        ensure_valid([files["skinned.glb"]], session=session)


def test_khronos_session_refuses_a_path_with_a_line_break(tmp_path):
    odd = tmp_path / "a\nb.glb"
    odd.write_bytes(b"glTF")
    with validate_gltf.KhronosSession() as session, pytest.raises(InputError, match="line break"):
        session.add(odd)


def test_document_reads_json_and_gives_pygltflib_on_demand(files):
    doc = GltfDocument.load(files["skinned.glb"])
    assert doc.json["asset"]["version"] == "2.0"
    assert doc.skinned_primitives() == [("/meshes/0/primitives/0/attributes", ["WEIGHTS_0"])]
    weights = doc.vertex_weights("/meshes/0/primitives/0/attributes", ["WEIGHTS_0"])
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)
    assert len(doc.gltf.meshes) == 1 and doc.gltf.accessors[0].count == 3  # pygltflib's model
    with pytest.raises(ValueError):
        GltfDocument.load(files["corrupt.glb"])


# ---------------------------------------------------------------------------
# CLI


def test_cli_passes_valid_files(files):
    result = CliRunner().invoke(validate, [str(files["triangle.glb"]), str(files["triangle.usda"])])
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output and "2 of 2 file(s) passed" in result.output


def test_cli_fails_on_errors_and_prints_codes(files):
    result = CliRunner().invoke(validate, [str(files["triangle.glb"]), str(files["no_up_axis.usda"])])
    assert result.exit_code == 1
    assert "MissingUpAxisMetadata" in result.output and "1 of 2 file(s) passed" in result.output


def test_cli_json(files):
    paths = [str(files["weights_off.glb"]), str(files["triangle.usdz"])]
    result = CliRunner().invoke(validate, [*paths, "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert set(data) == set(paths)
    bad = data[paths[0]]
    assert bad["errors"] == 1 and bad["format"] == "gltf"
    assert bad["messages"][0]["code"] == "ACCESSOR_WEIGHTS_NON_NORMALIZED"
    assert data[paths[1]]["errors"] == 0 and data[paths[1]]["warnings"] == 0


def test_cli_strict(files):
    path = str(files["zero_weight_joint.glb"])
    assert CliRunner().invoke(validate, [path]).exit_code == 0
    assert CliRunner().invoke(validate, [path, "--strict"]).exit_code == 1


def test_cli_usage_errors(tmp_path):
    runner = CliRunner()
    assert runner.invoke(validate, [str(tmp_path / "missing.glb")]).exit_code == 2
    assert runner.invoke(validate, []).exit_code == 2
    (tmp_path / "a.obj").write_text("v 0 0 0\n")
    result = runner.invoke(validate, [str(tmp_path / "a.obj")])
    assert result.exit_code == 2 and "unknown file type" in result.output
