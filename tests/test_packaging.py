"""Packaging: the pyproject package list matches the tree; no bare top-level modules."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_folder_is_listed():
    setup = _pyproject()["tool"]["setuptools"]
    dirs = setup["package-dir"]
    listed = set(setup["packages"])
    found = set()
    for pkg, folder in dirs.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            if "node_modules" in init.parts:
                continue
            rel = init.parent.relative_to(base)
            found.add(".".join([pkg, *rel.parts]) if rel.parts else pkg)
    assert found == listed


def test_only_the_hoiexport_namespace_is_installed():
    setup = _pyproject()["tool"]["setuptools"]
    assert all(p == "hoiexport" or p.startswith("hoiexport.") for p in setup["packages"])


def test_console_script_and_version():
    from click.testing import CliRunner

    import hoiexport
    from hoiexport.cli.app import app

    assert _pyproject()["project"]["scripts"]["hoiexport"] == "hoiexport.cli:main"
    r = CliRunner().invoke(app, ["--version"])
    assert r.exit_code == 0 and hoiexport.__version__ in r.output
