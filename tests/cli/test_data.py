"""`hoiexport data ...` and `hoiexport eval contacts` from the command line: one
clear line and exit 1 / 2 on bad input, the outputs on good input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hoiexport.cli.app import app
from hoiexport.sdk.generators.base import GenerationOptions
from hoiexport.sdk.generators.registry import get_generator
from hoiexport.sdk.prompt.resolve import resolve_prompt
from tests.builders.procigen import tamper_pickle, write_compose_frame


def _run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _one_line_error(result) -> str:
    lines = [ln for ln in result.output.strip().splitlines() if ln.strip()]
    assert "Traceback" not in result.output
    return lines[-1]


def test_synth_rejects_bad_arguments(tmp_path):
    r = _run("data", "synth", "4", "-o", str(tmp_path / "d"), "--configs", "back,elbow")
    assert r.exit_code == 2 and "unknown configuration(s) elbow" in _one_line_error(r)
    r = _run("data", "synth", "0", "-o", str(tmp_path / "d"))
    assert r.exit_code == 2


def test_filter_needs_a_dataset_folder(tmp_path):
    r = _run("data", "filter", str(tmp_path))
    assert r.exit_code == 1 and "no 'items/' folder" in _one_line_error(r)


@pytest.fixture(scope="module")
def procigen_root(tmp_path_factory) -> Path:
    asset = get_generator("compose")(resolve_prompt("A man carrying a suitcase in his right hand"), 0,
                                     GenerationOptions())
    root = tmp_path_factory.mktemp("procigen")
    write_compose_frame(root, asset, "Date01_Sub01_suitcase_synzv2", "t0001.000")
    bad = write_compose_frame(root, asset, "Date01_Sub01_suitcase_synzv2", "t0002.000")
    tamper_pickle(next(bad.glob("person/fit01/*.pkl")), "system")
    return root


def test_import_procigen_imports_good_frames_and_names_bad_ones(procigen_root, tmp_path):
    out = tmp_path / "ds"
    r = _run("data", "import-procigen", str(procigen_root), "-o", str(out), "--body-fit", "register", "--json")
    assert r.exit_code == 1, r.output  # one frame failed
    summary = json.loads(r.output[r.output.index("{"):])
    assert summary["imported"] == 1 and summary["failed"] == 1
    assert "person_fit.pkl" in json.dumps(summary["failures"])
    items = [p for p in (out / "items").iterdir() if not p.name.startswith(".")]
    assert len(items) == 1 and (items[0] / "sample.json").is_file()
    again = _run("data", "import-procigen", str(procigen_root), "-o", str(out), "--body-fit", "register")
    assert "imported 0, skipped 1, failed 1" in again.output


def test_eval_contacts_prints_accuracy_and_confusion(tmp_path):
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(json.dumps({"text": "A man carrying a suitcase in his right hand"}) + "\n"
                       + json.dumps({"text": "a man sitting on a mug"}) + "\n")
    report = tmp_path / "r.html"
    r = _run("eval", "contacts", str(prompts), "--report", str(report))
    assert r.exit_code == 0, r.output
    assert "contact accuracy 50.0% (1/2, 1 failed)" in r.output
    assert "right_hand       1      0" in r.output.replace("  RH", "  RH")
    assert report.is_file() and "50.0" in report.read_text()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    r = _run("eval", "contacts", str(bad))
    assert r.exit_code == 1 and "malformed line" in _one_line_error(r)
