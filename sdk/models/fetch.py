"""Getting a model's files: download from Hugging Face, pin, or print the manual steps.

Nothing else in `hoiexport.sdk.models` reaches the network. `fetch_model` needs
`huggingface_hub` (the `gpu` extra); models distributed after registration
(`distribution = "manual"`) cannot be downloaded, and `manual_steps` says how to
get them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.models.local import first_present, match_files, walk_files
from hoiexport.sdk.models.messages import GPU_EXTRA_HINT
from hoiexport.sdk.models.schema import ModelEntry, ModelFile
from hoiexport.sdk.models.verify import HashCache, ModelCheck, check_entry, verify_models


def manual_steps(entry: ModelEntry, models_dir: str | os.PathLike[str] | None = None) -> str:
    """How to obtain a manually distributed model, as numbered lines."""
    folder = entry.folder(models_dir)
    names = "\n".join(
        f"     - {f.path}" + (f" (or {', '.join(f.alternatives)})" if f.alternatives else "") for f in entry.files
    )
    where = f"{folder}" + (f"  (or set {entry.dir_env} to their folder)" if entry.dir_env else "")
    return (
        f"{entry.name} ({entry.stage}) is not downloadable automatically: {entry.restrictions}\n"
        f"  1. Register at {entry.source} and accept its licence ({entry.licence}).\n"
        f"  2. Download:\n{names}\n"
        f"  3. Place them in {where}\n"
        f"  4. Check with `hoiexport models verify {entry.name}`.\n"
        f"  Notes: {entry.notes}"
    )


def _hub() -> Any:
    try:
        import huggingface_hub
    except ImportError:
        raise ModelUnavailableError(
            f"`hoiexport models fetch` needs huggingface_hub, which is not installed: run {GPU_EXTRA_HINT}"
        ) from None
    return huggingface_hub


def pin_entry(entry: ModelEntry, folder: str | os.PathLike[str], revision: str) -> ModelEntry:
    """The entry as downloaded into `folder` at `revision`: every listed file plus the
    files matched by its patterns, each with sha256 and size, `resolved = true`.

    Raises:
        ModelUnavailableError: a listed file or a pattern is absent from `folder`, or a
            file's size / sha256 differs from what the lock already pins.
    """
    folder = Path(folder)
    hashes = HashCache(folder, enabled=False)  # each file is hashed once
    check = check_entry(replace(entry, resolved=False), folder, hashes)
    if check.failures:
        raise ModelUnavailableError(
            f"{entry.name}: the download from {entry.source}@{revision} does not match the lock: "
            + " | ".join(check.problem_lines())
        )

    def record(rel: str, alternatives: tuple[str, ...] = ()) -> ModelFile:
        st = (folder / rel).stat()
        return ModelFile(rel, hashes.sha256(folder / rel, st), st.st_size, alternatives)

    files: dict[str, ModelFile] = {}
    for f in entry.files:
        found = first_present(folder, f.candidates)
        assert found is not None  # check_entry reported it otherwise
        rel = found.relative_to(folder).as_posix()
        files[rel] = record(rel, tuple(c for c in f.candidates if c != rel))
    present = walk_files(folder)
    for pattern in entry.patterns:
        for rel in match_files(present, pattern):
            if rel not in files:
                files[rel] = record(rel)
    return replace(entry, revision=revision, resolved=True, files=tuple(files[k] for k in sorted(files)))


@dataclass
class FetchResult:
    """What `fetch_model` did.

    Attributes:
        entry: the entry pinned to what was downloaded (revision, sha256, sizes).
        folder: where the files are.
        check: verification of the downloaded files against the lock as it was.
    """

    entry: ModelEntry
    folder: Path
    check: ModelCheck


def fetch_model(
    entry: ModelEntry,
    models_dir: str | os.PathLike[str] | None = None,
    *,
    token: str | None = None,
) -> FetchResult:
    """Download a Hugging Face entry's files into its folder and check them.

    The revision is the pinned one, or `main` resolved to its commit hash now
    (`HfApi().model_info(repo, revision="main").sha`); the files are downloaded at
    that commit with `snapshot_download(allow_patterns=<files + patterns>)`.

    Raises:
        InputError: the entry is distributed manually (see `manual_steps`).
        ModelUnavailableError: huggingface_hub is missing, the Hub refused or failed
            (gated repository, no network), or the files do not match the lock.
    """
    if entry.distribution != "huggingface":
        raise InputError(manual_steps(entry, models_dir))
    hub = _hub()
    folder = entry.folder(models_dir)
    try:
        revision = entry.revision if entry.resolved else hub.HfApi(token=token).model_info(
            entry.source, revision="main").sha
        allow = [p for f in entry.files for p in f.candidates]
        if not entry.resolved:
            allow += list(entry.patterns)
        hub.snapshot_download(repo_id=entry.source, revision=revision, allow_patterns=allow,
                              local_dir=folder, token=token)
    except Exception as exc:  # noqa: BLE001 - every Hub / network failure becomes one clear line
        try:
            from huggingface_hub.errors import GatedRepoError
        except ImportError:  # older huggingface_hub: no gated-specific hint
            gated = False
        else:
            gated = isinstance(exc, GatedRepoError)
        hint = (
            f"accept the licence ({entry.licence}) at https://huggingface.co/{entry.source} and log in "
            "(`hf auth login` or HF_TOKEN)"
            if gated
            else "check the network, the repository id and, for gated repositories, HF_TOKEN"
        )
        raise ModelUnavailableError(
            f"{entry.name} ({entry.stage}): download from https://huggingface.co/{entry.source} failed: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}; {hint}"
        ) from exc
    pinned = pin_entry(entry, folder, revision)
    check = verify_models([entry], models_dir)[0]
    return FetchResult(entry=pinned, folder=folder, check=check)
