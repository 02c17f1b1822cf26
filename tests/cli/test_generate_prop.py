"""`hoiexport generate --object-mesh`: a user's prop through the CLI."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hoiexport.cli.app import app
from tests.builders import props


def _run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_generate_with_a_prop_file(tmp_path):
    prop = props.write_prop(props.textured(props.canister()), tmp_path / "thermos.glb", node_name="Cylinder.004")
    r = _run("generate", "A man holding a thermos in his right hand", "--object-mesh", str(prop),
             "-o", str(tmp_path / "out"), "--format", "glb", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["generator"] == "compose" and data["contact_config"] == "right_hand"
    assert data["prompt"]["object"] == "thermos"
    assert data["validation"] and all(v["errors"] == 0 for v in data["validation"].values())


def test_prop_errors_are_one_line(tmp_path):
    cm = props.write_prop(props.crate(), tmp_path / "crate.obj", scale=100.0)
    r = _run("generate", "A man carrying a crate with both hands", "--object-mesh", str(cm), "-o", str(tmp_path / "o"))
    last = r.output.strip().splitlines()[-1]
    assert r.exit_code == 1 and "--object-scale" in last and "Traceback" not in r.output
    r = _run("generate", "A man carrying a crate", "--object-height", "0.4", "-o", str(tmp_path / "o"))
    assert r.exit_code == 2 and "go with --object-mesh" in r.output
    r = _run("generate", "A man holding a pistol in his right hand", "-o", str(tmp_path / "o"))
    assert r.exit_code == 1 and "--object-mesh" in r.output.strip().splitlines()[-1]
