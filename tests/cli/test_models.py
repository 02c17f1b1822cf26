"""`hoiexport models list|verify|fetch` on real files in a temporary models folder."""

from __future__ import annotations

import hashlib
import json
import sys

import pytest
from click.testing import CliRunner

from hoiexport.cli.app import app
from hoiexport.sdk import models as ml


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture()
def setup(tmp_path):
    """A lock with a pinned model, an unpinned model and a manual one; files on disk."""
    models = tmp_path / "models"
    (models / "pinned").mkdir(parents=True)
    (models / "pinned" / "w.safetensors").write_bytes(b"W" * 64)
    (models / "loose").mkdir()
    (models / "loose" / "cfg.json").write_bytes(b"{}")
    lock = tmp_path / "t.lock"
    lock.write_text(
        "version = 1\n"
        '[[model]]\nname = "pinned"\nstage = "depth"\nsource = "org/pinned"\ndistribution = "huggingface"\n'
        f'revision = "{"a" * 40}"\nresolved = true\nlicence = "Apache-2.0"\nlicence_url = ""\n'
        'restrictions = "none"\nnotes = "n"\n'
        f'[[model.files]]\npath = "w.safetensors"\nsha256 = "{_sha(b"W" * 64)}"\nsize = 64\n'
        '[[model]]\nname = "loose"\nstage = "texture"\nsource = "org/loose"\ndistribution = "huggingface"\n'
        'revision = "unresolved"\nresolved = false\nlicence = "MIT"\nlicence_url = ""\n'
        'restrictions = "none"\nnotes = "n"\n'
        '[[model.files]]\npath = "cfg.json"\nsha256 = "unknown"\nsize = 0\n'
        '[[model]]\nname = "hand"\nstage = "body_model"\nsource = "https://example.org/register"\n'
        'distribution = "manual"\nrevision = "unresolved"\nresolved = false\nlicence = "research only"\n'
        'licence_url = ""\nrestrictions = "registration required"\nnotes = "rename it"\n'
        '[[model.files]]\npath = "body.npz"\nsha256 = "unknown"\nsize = 0\n'
    )
    return models, lock


def _run(*args: str):
    return CliRunner().invoke(app, ["models", *args])


def test_list_json_reports_presence_under_the_models_dir(setup):
    models, lock = setup
    r = _run("list", "--json", "--dir", str(models), "--lock", str(lock))
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    rows = {m["name"]: m for m in data["models"]}
    assert {k: v["presence"] for k, v in rows.items()} == {"pinned": "present", "loose": "present", "hand": "missing"}
    assert rows["pinned"]["revision"] == "a" * 40 and rows["pinned"]["pinned"] is True
    assert rows["hand"]["licence"] == "research only" and rows["hand"]["distribution"] == "manual"
    assert data["models_dir"] == str(models)


def test_list_text_of_the_repository_lock_names_every_model(tmp_path):
    r = _run("list", "--dir", str(tmp_path))
    assert r.exit_code == 0, r.output
    for name in ml.load_lock().names:
        assert name in r.output
    assert "CC-BY-NC-4.0" in r.output and "unresolved" in r.output


def test_verify_exit_codes_unpinned_and_strict(setup):
    models, lock = setup
    base = ["--dir", str(models), "--lock", str(lock)]
    r = _run("verify", "pinned", "loose", *base)
    assert r.exit_code == 0, r.output
    assert "warning: loose (texture):" in r.output and "1 ok, 1 unpinned" in r.output
    r = _run("verify", "pinned", "loose", "--strict", *base)
    assert r.exit_code == 1 and "error: loose (texture)" in r.output
    r = _run("verify", *base)  # all models: the manual one is missing
    assert r.exit_code == 1
    line = next(ln for ln in r.output.splitlines() if "error:" in ln)
    assert f"hand (body_model): missing {models / 'hand' / 'body.npz'}" in line
    assert "hoiexport models fetch hand" in line


def test_verify_json_reports_a_sha256_mismatch(setup):
    models, lock = setup
    (models / "pinned" / "w.safetensors").write_bytes(b"X" * 64)
    r = _run("verify", "pinned", "--json", "--rehash", "--dir", str(models), "--lock", str(lock))
    assert r.exit_code == 1
    data = json.loads(r.output)
    assert data["ok"] is False
    (row,) = data["models"][0]["files"]
    assert row["status"] == "sha256_mismatch" and row["actual_sha256"] == _sha(b"X" * 64)
    assert "sha256 mismatch" in data["models"][0]["problems"][0]


def test_unknown_model_is_a_usage_error(setup):
    models, lock = setup
    r = _run("verify", "nope", "--lock", str(lock), "--dir", str(models))
    assert r.exit_code == 2 and "unknown model(s) nope" in r.output


def test_fetch_needs_a_name_or_all(setup):
    r = _run("fetch", "--lock", str(setup[1]))
    assert r.exit_code == 2 and "--all" in r.output


def test_fetch_manual_prints_steps_until_the_file_is_there(setup):
    models, lock = setup
    r = _run("fetch", "hand", "--dir", str(models), "--lock", str(lock))
    assert r.exit_code == 1
    assert "https://example.org/register" in r.output and str(models / "hand") in r.output
    (models / "hand").mkdir()
    (models / "hand" / "body.npz").write_bytes(b"user file")
    r = _run("fetch", "hand", "--dir", str(models), "--lock", str(lock))
    assert r.exit_code == 0 and "present" in r.output


def test_fetch_without_huggingface_hub_names_the_gpu_extra(setup, monkeypatch):
    models, lock = setup
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    r = _run("fetch", "loose", "--dir", str(models), "--lock", str(lock), "--update-lock")
    assert r.exit_code == 1
    assert "pip install 'hoiexport[gpu]'" in r.output
    assert ml.load_lock(lock).get("loose").resolved is False  # lock untouched
