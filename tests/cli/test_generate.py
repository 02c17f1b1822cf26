"""`hoiexport generate`: text → bundle + validated exports, `--json` report, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hoiexport.cli.app import app
from hoiexport.sdk.bundle import load_bundle
from hoiexport.sdk.contacts import analyze_asset


def test_generate_json_writes_a_bundle_and_validated_exports(tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(app, [
        "generate", "A woman in a green sweater holding a mug in her left hand", "-o", str(out),
        "--seed", "2", "--format", "glb,usdc", "--texture-size", "512", "--json",
    ])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert {"bundle", "files", "prompt", "requested_config", "contact_config", "contacts", "penetration",
            "seconds"} <= set(data)
    assert data["requested_config"] == data["contact_config"] == "left_hand"
    assert data["prompt"]["object"] == "mug" and data["prompt"]["action"] == "hold"
    assert data["prompt"]["attributes"]["colors"]["top"]
    assert {c["part"] for c in data["contacts"]} >= {"left_hand"}
    assert max(data["penetration"]["human_in_object_depth_cm"], data["penetration"]["object_in_human_depth_cm"]) <= 0.5
    assert set(data["files"]) == {"glb", "usdc"}
    for path in data["files"].values():
        assert Path(path).is_file() and Path(path).parent == out
    assert all(v["errors"] == 0 for v in data["validation"].values())
    assert data["seconds"] > 0 and data["seed"] >= 2
    # the bundle holds what the report says, and re-measuring it agrees
    asset = load_bundle(data["bundle"])
    assert asset.contact_config.value == "left_hand"
    assert analyze_asset(asset.body, asset.human, asset.object).contact_config.value == "left_hand"


def test_generate_without_json_prints_a_summary(tmp_path):
    r = CliRunner().invoke(app, [
        "generate", "A boy kicking a ball", "-o", str(tmp_path), "--format", "glb", "--texture-size", "512",
        "--body", "height=0.3",
    ])
    assert r.exit_code == 0, r.output
    assert "measured: right_leg" in r.output and "glb" in r.output and "valid" in r.output
    assert (tmp_path / "bundle" / "asset.json").is_file()


def test_hoi3dgen_is_a_clear_error_without_output(tmp_path, monkeypatch):
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path / "no-models"))
    r = CliRunner().invoke(app, ["generate", "A man carrying a box", "-o", str(tmp_path / "x"),
                                 "--generator", "hoi3dgen", "--json"])
    assert r.exit_code == 1
    assert "hoi3dgen" in r.output and "models fetch" in r.output and "compose" in r.output
    assert "flux1-depth-dev" in r.output and "hunyuan3d-2-shape" in r.output
    assert not (tmp_path / "x").exists()


def test_bad_flags_fail_before_any_work(tmp_path):
    r = CliRunner().invoke(app, ["generate", "A man carrying a box", "-o", str(tmp_path), "--format", "fbx"])
    assert r.exit_code == 1 and "fbx" in r.output
    r = CliRunner().invoke(app, ["generate", "A man carrying a box", "-o", str(tmp_path), "--body", "tall"])
    assert r.exit_code == 1 and "NAME=VALUE" in r.output
    r = CliRunner().invoke(app, ["generate", "A man carrying a box", "-o", str(tmp_path), "--contact", "elbow"])
    assert r.exit_code == 2  # click's usage error lists the 8 configurations
    assert not (tmp_path / "bundle").exists()


def test_bad_preset_or_setting_fails_before_any_work(tmp_path):
    r = CliRunner().invoke(app, ["generate", "A man carrying a box", "-o", str(tmp_path), "--generator", "compose",
                                 "--preset", "paper"])
    assert r.exit_code == 1 and "no preset 'paper'" in r.output and "default" in r.output
    r = CliRunner().invoke(app, ["generate", "A man carrying a box", "-o", str(tmp_path), "--generator", "compose",
                                 "--set", "max_attempt=2"])
    assert r.exit_code == 1 and "unknown setting 'max_attempt'" in r.output and "max_attempts" in r.output
    assert "generating" not in r.output
    assert not (tmp_path / "bundle").exists()
