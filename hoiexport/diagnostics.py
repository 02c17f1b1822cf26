"""What this machine can run: the checks behind `hoiexport doctor`.

Each check returns one `Check` (or a list): what was checked, whether it is
usable, and a detail that is either a version/path or the fix. `run_checks`
flattens them in a fixed order; the CLI only formats the result.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Check:
    """One line of the doctor's report.

    Attributes:
        name: what was checked.
        ok: whether it is usable.
        detail: version, path or the fix.
        required: needed by the CPU default path (compose + export + validate).
    """

    name: str
    ok: bool
    detail: str
    required: bool = True


def _check_python() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check("python", ok, platform.python_version() + ("" if ok else " (needs >= 3.11)"))


def _check_torch() -> list[Check]:
    try:
        import torch
    except ImportError:
        return [Check("torch", False, "not installed: run scripts/setup.sh")]
    cuda = torch.cuda.is_available()
    detail = torch.cuda.get_device_name(0) if cuda else "not available (GPU generator disabled; CPU default works)"
    return [Check("torch", True, torch.__version__), Check("cuda", cuda, detail, required=False)]


def _check_anny() -> Check:
    try:
        from hoiexport.sdk.bodies import anny_cache
    except ImportError as exc:
        return Check("body model anny", False, f"cannot import: {exc}")
    return Check("body model anny", *anny_cache.cache_status())


def _check_smpl() -> Check:
    from hoiexport.sdk.bodies import smpl_body
    from hoiexport.sdk.core.errors import ModelUnavailableError

    try:
        path = smpl_body.find_smpl_file(os.environ.get("HOIEXPORT_SMPL_DIR") or None)
    except ModelUnavailableError as exc:
        return Check("body model smpl", False, f"optional, not found: {exc}", required=False)
    return Check("body model smpl", True, str(path), required=False)


def _check_validators() -> list[Check]:
    out = []
    node = shutil.which("node")
    out.append(Check("node", node is not None, node or "not found: install Node.js >= 18"))
    try:
        from hoiexport.exporters import validate_gltf as v

        install = v.locate_gltf_validator()
        out.append(Check("gltf-validator", True, f"{install.version} in {install.node_modules}"))
    except Exception as exc:  # noqa: BLE001 - report any failure as a doctor line
        out.append(Check("gltf-validator", False, str(exc)))
    try:
        from pxr import Usd, UsdValidation  # noqa: F401

        out.append(Check("usd validation", True, "usd-core " + ".".join(map(str, Usd.GetVersion()))))
    except ImportError as exc:
        out.append(Check("usd validation", False, f"pxr.UsdValidation missing ({exc}): install usd-core>=25.5"))
    return out


def _check_model_weights() -> Check:
    from hoiexport.sdk.models import get_models_dir, load_lock, presence

    lock = load_lock()
    states = {e.name: presence(e, get_models_dir()) for e in lock.models}
    present = [n for n, p in states.items() if p == "present"]
    detail = (
        f"{len(present)}/{len(states)} models of {lock.path.name} in {get_models_dir()} "
        "(needed by the GPU generator only; `hoiexport models list` / `fetch`)"
    )
    return Check("model weights", len(present) == len(states), detail, required=False)


def _check_hoi3dgen() -> Check:
    """Whether `--generator auto` would run the hoi3dgen chain, and what is missing."""
    import importlib.util

    import torch

    from hoiexport.sdk.generators.hoi3dgen.generate import missing_models

    missing = missing_models()
    needs = []
    if not torch.cuda.is_available():
        needs.append("a CUDA GPU")
    for module, fix in (("diffusers", "pip install 'hoiexport[gpu]'"), ("hy3dgen", "bash scripts/install_hunyuan.sh")):
        if importlib.util.find_spec(module) is None:
            needs.append(f"{module} ({fix})")
    if missing:
        needs.append(f"weights of {', '.join(missing)} (`hoiexport models fetch {' '.join(missing)}`)")
    detail = "ready: `generate --generator auto` uses it" if not needs else "needs " + "; ".join(needs)
    return Check("hoi3dgen generator", not needs, detail, required=False)


CHECKS: list[Callable[[], Check | list[Check]]] = [
    _check_python,
    _check_torch,
    _check_anny,
    _check_smpl,
    _check_validators,
    _check_model_weights,
    _check_hoi3dgen,
]


def run_checks() -> list[Check]:
    """Run every check and flatten the results."""
    results: list[Check] = []
    for fn in CHECKS:
        r = fn()
        results.extend(r if isinstance(r, list) else [r])
    return results
