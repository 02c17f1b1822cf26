"""`hoiexport finetune sana` on a tiny random SANA: runs, writes what the generator
loads, and refuses bad input with one line."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner
from PIL import Image

from hoiexport.cli.app import app
from hoiexport.sdk.generators.hoi3dgen.views import VIEWS, view_prompt
from tests.builders.sana import write_sana1_5_1600m_1024px


def _dataset(folder):
    folder.mkdir()
    names = []
    for i, view in enumerate(VIEWS):
        stem = f"s0_{view}"
        Image.fromarray(np.full((32, 32, 3), 60 * (i + 1), np.uint8)).save(folder / f"{stem}.png")
        (folder / f"{stem}.txt").write_text(view_prompt("A man carrying a box with both hands", view) + "\n")
        names.append(stem)
    (folder / "meta_data.json").write_text(json.dumps({"name": "t", "__kind__": "Sana-ImgDataset",
                                                       "img_names": names}))
    return folder


def test_finetune_sana_runs_and_refuses_bad_input(tmp_path):
    base = write_sana1_5_1600m_1024px(tmp_path / "models")
    data = _dataset(tmp_path / "data")
    out = tmp_path / "ft"
    args = ["finetune", "sana", str(data), "-o", str(out), "--base-folder", str(base), "--steps", "3",
            "--batch", "3", "--resolution", "32", "--precision", "fp32", "--checkpoint-every", "2"]
    r = CliRunner().invoke(app, [*args, "--json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["steps"] == 3 and np.isfinite(summary["final_loss"])
    manifest = json.loads((out / "finetune.json").read_text())
    assert manifest["mode"] == "full" and (out / "transformer" / "config.json").is_file()
    r = CliRunner().invoke(app, args, catch_exceptions=False)
    assert r.exit_code == 1 and "exists" in r.output.strip().splitlines()[-1] and "Traceback" not in r.output
    (data / "meta_data.json").unlink()
    r = CliRunner().invoke(app, [*args[:4], str(tmp_path / "ft2"), *args[5:]], catch_exceptions=False)
    assert r.exit_code == 1 and "meta_data.json" in r.output.strip().splitlines()[-1]
