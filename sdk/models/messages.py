"""The wording of every model-weights problem: one head, one fix per case.

A problem with a model's weights names the lock entry and its pipeline stage
(`model 'NAME' (stage STAGE)`), what is wrong, and the command or argument that
fixes it. `verify` rows use the short head `NAME (STAGE): ` of `hoiexport models
verify` and take their fixes from `fix_for_status`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from hoiexport.sdk.core.errors import ModelUnavailableError

if TYPE_CHECKING:
    from hoiexport.sdk.models.schema import Distribution, ModelEntry

GPU_EXTRA_HINT = "pip install 'hoiexport[gpu]'"
"""How to install the optional GPU dependencies (torch models, huggingface_hub)."""


def fetch_command(name: str) -> str:
    """The command that downloads model `name` (or prints how to get it)."""
    return f"hoiexport models fetch {name}"


def model_head(name: str, stage: str) -> str:
    """`model 'NAME' (stage STAGE)`: how every message names a model."""
    return f"model {name!r} (stage {stage})"


def unusable(name: str, stage: str, problem: str, fix: str) -> ModelUnavailableError:
    """`model 'NAME' (stage STAGE): PROBLEM; fix: FIX`."""
    return ModelUnavailableError(f"{model_head(name, stage)}: {problem}; fix: {fix}")


def not_available(name: str, stage: str, problems: list[str]) -> ModelUnavailableError:
    """The lock check of a model failed: its head, then each `verify` problem line
    (each with its own fix), joined by ` | `."""
    return ModelUnavailableError(f"{model_head(name, stage)} is not available: " + " | ".join(problems))


def redownload(name: str, stage: str, problem: str) -> ModelUnavailableError:
    """The model's files are there but broken (unreadable, refused, not fitting)."""
    return unusable(name, stage, problem, f"re-download it with `{fetch_command(name)}`")


def cannot_load(name: str, stage: str, folder: Path, exc: BaseException) -> ModelUnavailableError:
    """A loader (`from_pretrained`) refused a model folder."""
    return redownload(name, stage, f"cannot load {folder}: {exc}")


_FixKind = Literal["unpinned", "missing", "mismatch"]

_FIX_KIND: dict[str, _FixKind] = {
    "unpinned": "unpinned",
    "missing": "missing",
    "size_mismatch": "mismatch",
    "sha256_mismatch": "mismatch",
    "ok": "mismatch",
}

_FIXES: dict[tuple[_FixKind, Distribution], Callable[[ModelEntry], str]] = {
    ("unpinned", "manual"): lambda e: "the lock records no sha256 for this user-supplied file (nothing to verify)",
    ("unpinned", "huggingface"): lambda e: f"pin it from a trusted machine with `{e.fetch_command} --update-lock`",
    ("missing", "manual"): lambda e: f"run `{e.fetch_command}` (prints where to download it)",
    ("missing", "huggingface"): lambda e: f"run `{e.fetch_command}` (downloads it)",
    ("mismatch", "manual"): lambda e: f"replace it with the file from {e.source} (see `{e.fetch_command}`)",
    ("mismatch", "huggingface"): lambda e: f"delete it and run `{e.fetch_command}`",
}


def fix_for_status(entry: ModelEntry, status: str) -> str:
    """What fixes a file of `entry` in `verify` state `status` (a `FileStatus`)."""
    return _FIXES[_FIX_KIND[status], entry.distribution](entry)
