"""`hoiexport doctor`: a JSON report of real checks, exit 0 when the CPU path can run."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hoiexport.cli.app import app


def test_doctor_json_reports_every_check():
    r = CliRunner().invoke(app, ["doctor", "--json"])
    data = json.loads(r.output)
    names = {c["name"] for c in data["checks"]}
    assert {"python", "torch", "body model anny", "body model smpl", "gltf-validator", "usd validation", "model weights"} <= names
    required_ok = all(c["ok"] for c in data["checks"] if c["required"])
    assert data["ok"] == required_ok
    assert r.exit_code == (0 if required_ok else 1)


def test_doctor_reports_missing_smpl_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("HOIEXPORT_SMPL_DIR", str(tmp_path))
    r = CliRunner().invoke(app, ["doctor", "--json"])
    smpl = next(c for c in json.loads(r.output)["checks"] if c["name"] == "body model smpl")
    assert not smpl["ok"] and not smpl["required"]
    assert str(tmp_path) in smpl["detail"] and "HOIEXPORT_SMPL_DIR" in smpl["detail"]


def test_doctor_says_what_the_hoi3dgen_generator_lacks(monkeypatch, tmp_path):
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    r = CliRunner().invoke(app, ["doctor", "--json"])
    gen = next(c for c in json.loads(r.output)["checks"] if c["name"] == "hoi3dgen generator")
    assert not gen["ok"] and not gen["required"]
    assert "hoiexport models fetch" in gen["detail"] and "hunyuan3d-2-shape" in gen["detail"]
