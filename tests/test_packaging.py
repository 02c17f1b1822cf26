"""Packaging: the pyproject package list matches the tree; no bare top-level modules."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _discovered() -> list[str]:
    from setuptools import find_packages

    find = _pyproject()["tool"]["setuptools"]["packages"]["find"]
    return find_packages(str(ROOT), include=find["include"])


def test_every_package_folder_is_discovered():
    """The package folder is named as imported; its links bring in sdk/, exporters/, cli/."""
    assert "packages" not in _pyproject()["tool"]["setuptools"] or "find" in _pyproject()["tool"]["setuptools"]["packages"]
    for sub in ("sdk", "exporters", "cli"):
        link = ROOT / "hoiexport" / sub
        assert link.is_symlink() and link.resolve() == (ROOT / sub).resolve()
    found = set()
    for folder, dirs, files in os.walk(ROOT / "hoiexport", followlinks=True):
        dirs[:] = [d for d in dirs if d not in ("node_modules", "__pycache__")]
        if "__init__.py" in files:
            found.add(".".join(Path(folder).relative_to(ROOT).parts))
    assert found == set(_discovered())
    assert {"hoiexport.sdk.core", "hoiexport.sdk.geometry", "hoiexport.sdk.generators.compose",
            "hoiexport.exporters", "hoiexport.cli", "hoiexport.batch"} <= found


def test_only_the_hoiexport_namespace_is_installed():
    assert all(p == "hoiexport" or p.startswith("hoiexport.") for p in _discovered())


def test_console_script_and_version():
    from click.testing import CliRunner

    import hoiexport
    from hoiexport.cli.app import app

    assert _pyproject()["project"]["scripts"]["hoiexport"] == "hoiexport.cli:main"
    r = CliRunner().invoke(app, ["--version"])
    assert r.exit_code == 0 and hoiexport.__version__ in r.output
