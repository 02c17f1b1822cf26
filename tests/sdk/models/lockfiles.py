"""Lock files written by hand for the tests of `hoiexport.sdk.models` (not by `dump_lock`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hoiexport.sdk import models as ml


def sha(data: bytes) -> str:
    """sha256 of `data`, as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def lock_text(models: list[dict]) -> str:
    """Lock TOML written by hand (not by dump_lock), one [[model]] per dict."""
    out = ["version = 1\n"]
    for m in models:
        out.append(
            f'\n[[model]]\nname = "{m["name"]}"\nstage = "{m.get("stage", "depth")}"\n'
            f'source = "{m.get("source", "org/repo")}"\ndistribution = "{m.get("distribution", "huggingface")}"\n'
            f'revision = "{m.get("revision", "unresolved")}"\nresolved = {str(m.get("resolved", False)).lower()}\n'
            'licence = "Apache-2.0"\nlicence_url = ""\nrestrictions = "none"\nnotes = "test entry"\n'
        )
        if "dir_env" in m:
            out.append(f'dir_env = "{m["dir_env"]}"\n')
        if "patterns" in m:
            out.append("patterns = [" + ", ".join(f'"{p}"' for p in m["patterns"]) + "]\n")
        for path, sha, size in m.get("files", []):
            out.append(f'\n[[model.files]]\npath = "{path}"\nsha256 = "{sha}"\nsize = {size}\n')
    return "".join(out)


def write_lock(tmp_path: Path, models: list[dict]) -> ml.LockFile:
    """`lock_text(models)` written to `tmp_path/test.lock`, then loaded."""
    path = tmp_path / "test.lock"
    path.write_text(lock_text(models))
    return ml.load_lock(path)
