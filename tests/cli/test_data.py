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


def test_annotate_then_filter_from_the_command_line(tmp_path):
    """synth 8 -> annotate (template) -> filter --per-class 1: the Sana layout with
    view prompts as captions, and a second filter into the same folder refused."""
    from hoiexport.training import synthesize

    ds = tmp_path / "ds"
    assert synthesize(8, ds).ok
    r = _run("data", "annotate", str(ds), "--json")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert summary["annotated"] == 8 and summary["template_captions"] == 8 and not summary["failed"]
    again = _run("data", "annotate", str(ds))
    assert "0 annotated, 8 skipped" in again.output
    out = tmp_path / "f"
    r = _run("data", "filter", str(ds), "--per-class", "1", "-o", str(out))
    assert r.exit_code == 0, r.output
    meta = json.loads((out / "meta_data.json").read_text())
    assert meta["__kind__"] == "Sana-ImgDataset" and len(meta["img_names"]) == 24
    for stem in meta["img_names"]:
        assert (out / f"{stem}.png").is_file()
        caption = (out / f"{stem}.txt").read_text().strip()
        assert caption.endswith("View. White Background, Full Body Visible.")
    lines = [json.loads(ln) for ln in (out / "metadata.jsonl").read_text().splitlines()]
    assert len(lines) == 24 and {ln["config"] for ln in lines} == {
        "right_hand", "left_hand", "both_hands", "back", "right_leg", "left_leg", "no_contact", "other"}
    r = _run("data", "filter", str(ds), "--per-class", "2", "-o", str(tmp_path / "g"))
    assert r.exit_code == 1 and "too few samples to keep 2 per configuration" in _one_line_error(r)
    r = _run("data", "filter", str(ds), "--per-class", "1", "-o", str(out))
    assert r.exit_code == 1 and "already exists" in _one_line_error(r)


@pytest.mark.slow  # two compose assets per method and the tiny InternVL judge
def test_eval_judge_over_two_methods_folders(tmp_path):
    """`eval judge --method A=DIR --method B=DIR --vlm TINY`: prompts matched across
    the folders, shares summing to 1, the report written; bad --method refused."""
    from tests.builders.annotators import INTERNVL_ENTRY, LOCK_WRITERS

    prompts = tmp_path / "p.txt"
    prompts.write_text("A man carrying a suitcase in his right hand\nA woman lifting a box with both hands\n")
    for name, seed in (("a", "0"), ("b", "5")):
        r = _run("eval", "contacts", str(prompts), "--seed", seed, "--keep", str(tmp_path / name))
        assert r.exit_code == 0, r.output
    vlm = LOCK_WRITERS[INTERNVL_ENTRY](tmp_path / "models")
    report = tmp_path / "judge.html"
    r = _run("eval", "judge", "--method", f"a={tmp_path / 'a'}", "--method", f"b={tmp_path / 'b'}",
             "--vlm", str(vlm), "--device", "cpu", "--report", str(report), "--json")
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)  # stderr may carry transformers' loading bar
    assert len(result["prompts"]) == 2 and set(result["scores"]) == {"a", "b"}
    assert abs(sum(result["scores"].values()) - 1.0) < 1e-9
    assert report.is_file() and report.read_text().count("data:image/png") == 4
    r = _run("eval", "judge", "--method", f"a={tmp_path / 'a'}", "--method", "b")
    assert r.exit_code == 2 and "not NAME=DIR" in r.output
    r = _run("eval", "judge", "--method", f"a={tmp_path / 'a'}", "--method", f"b={tmp_path}/nothing")
    assert r.exit_code == 1 and "is not a folder of bundles" in _one_line_error(r)
