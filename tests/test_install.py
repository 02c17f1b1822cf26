"""Clean-venv installs: `pip install .` and `pip install -e .` both give a working
`hoiexport` package and console script, and install no bare `sdk`/`cli` module.

The fresh venvs borrow the dependencies of the running interpreter through a
.pth file (so the test needs no network and takes seconds); hoiexport itself is
installed from the source tree with --no-deps.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _make_venv(where: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    py = where / "bin" / "python"
    sp = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    # Dependencies from the running environment, after the venv's own site-packages.
    deps = [p for p in site.getsitepackages() if "site-packages" in p]
    (Path(sp) / "borrowed_deps.pth").write_text("\n".join(deps) + "\n")
    return py


@pytest.mark.slow
@pytest.mark.parametrize("editable", [False, True], ids=["regular", "editable"])
def test_clean_venv_install(tmp_path: Path, editable: bool):
    py = _make_venv(tmp_path / "venv")
    target = ["-e", str(ROOT)] if editable else [str(ROOT)]
    env = {**os.environ, "PIP_NO_INDEX": "0"}
    r = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", *target],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    probe = (
        "import importlib.util, hoiexport, hoiexport.sdk.core.types, hoiexport.exporters.scene, hoiexport.cli;"
        "assert importlib.util.find_spec('sdk') is None and importlib.util.find_spec('cli') is None;"
        "print(hoiexport.__version__, hoiexport.sdk.core.types.__file__)"
    )
    r = subprocess.run([str(py), "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    installed_file = r.stdout.split()[1]
    assert installed_file.startswith(str(ROOT)) == editable
    r = subprocess.run([str(tmp_path / "venv" / "bin" / "hoiexport"), "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and "hoiexport" in r.stdout, r.stderr[-2000:]
