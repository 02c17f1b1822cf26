"""The format of `third_party_models.lock`: typed entries, parsing, canonical TOML.

Every external network or body model the `hoi3dgen` generator uses is pinned in one
TOML file at the repository root (DESIGN §2, §9): one `[[model]]` table per model
with its pipeline stage, where it comes from (a Hugging Face repository or, for
files distributed after registration, a web page), the repository revision, the
files with sha256 and size, the licence and its restrictions.

A value the lock does not know is spelled `"unknown"` (sha256; size 0) or
`"unresolved"` (revision, with `resolved = false`); `verify` reports such files as
*unpinned*: present, but not verifiable. `hoiexport models fetch NAME
--update-lock` on a machine with internet resolves and records them.

`parse_lock` and `dump_lock` are inverses: the repository's lock is kept in the
canonical form `dump_lock` writes.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal, get_args

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.models.local import get_models_dir
from hoiexport.sdk.models.messages import fetch_command

Stage = Literal[
    "text_to_image",
    "depth",
    "retexture",
    "segmentation",
    "image_to_shape",
    "texture",
    "body_regressor",
    "body_model",
    "annotation",
]
"""Pipeline stage a model serves (DESIGN §7); "annotation": the MLLM / LLM of `hoiexport data annotate`."""

Distribution = Literal["huggingface", "manual"]
"""`huggingface`: `source` is a Hub repository id that `fetch` downloads.
`manual`: `source` is a web page; the user registers, downloads and places the files."""

LOCK_NAME = "third_party_models.lock"
LOCK_VERSION = 1
UNKNOWN = "unknown"
UNRESOLVED = "unresolved"

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_REVISION_RE = re.compile(r"^[0-9a-f]{40}$")


# ----------------------------------------------------------------------------- types


@dataclass(frozen=True)
class ModelFile:
    """One file of a model, at its path inside the source repository.

    Attributes:
        path: relative POSIX path inside the model's folder (and the source repository).
        sha256: 64 lowercase hex digits, or "unknown".
        size: bytes; 0 when unknown.
        alternatives: other accepted paths for the same file (the first present one
            is used), e.g. SMPL as `.npz` or `.pkl`.
    """

    path: str
    sha256: str = UNKNOWN
    size: int = 0
    alternatives: tuple[str, ...] = ()

    @property
    def pinned(self) -> bool:
        """Whether the lock records this file's sha256."""
        return self.sha256 != UNKNOWN

    @property
    def candidates(self) -> tuple[str, ...]:
        """`path` then `alternatives`, in order of preference."""
        return (self.path, *self.alternatives)


@dataclass(frozen=True)
class ModelEntry:
    """One model of the lock.

    Attributes:
        name: lower-case id, also the folder name under the models dir.
        stage: the pipeline stage it serves.
        source: Hugging Face repository id (`huggingface`) or web page (`manual`).
        distribution: how the files are obtained.
        revision: 40-hex commit of the Hub repository, or "unresolved".
        resolved: the revision and the complete file list are pinned.
        licence: short licence name.
        licence_url: where the licence text is.
        restrictions: what the licence forbids or requires, in one sentence or two.
        notes: provenance, what was verified and how the files are loaded.
        dir_env: environment variable naming this model's folder, if any.
        patterns: glob patterns (fnmatch, `*` crosses `/`) of further repository files
            to download while the entry is unresolved; `--update-lock` records the
            files they matched in `files`.
        files: the files, with sha256 and size where known.
    """

    name: str
    stage: Stage
    source: str
    distribution: Distribution
    revision: str
    resolved: bool
    licence: str
    licence_url: str
    restrictions: str
    notes: str
    dir_env: str = ""
    patterns: tuple[str, ...] = ()
    files: tuple[ModelFile, ...] = ()

    @property
    def fetch_command(self) -> str:
        """The command that downloads this model (or prints how to get it)."""
        return fetch_command(self.name)

    @property
    def pinned(self) -> bool:
        """Revision resolved and every file's sha256 recorded."""
        return self.resolved and bool(self.files) and all(f.pinned for f in self.files)

    def folder(self, models_dir: str | os.PathLike[str] | None = None) -> Path:
        """This model's local folder: `$dir_env` when set, else `<models dir>/<name>`."""
        if self.dir_env and os.environ.get(self.dir_env):
            return Path(os.environ[self.dir_env]).expanduser()
        return get_models_dir(models_dir) / self.name


@dataclass(frozen=True)
class LockFile:
    """The parsed lock.

    Attributes:
        path: the file it was read from (and `save_lock` writes to).
        version: lock format version (`LOCK_VERSION`).
        models: the entries, in file order.
    """

    path: Path
    version: int
    models: tuple[ModelEntry, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Model names in file order."""
        return tuple(m.name for m in self.models)

    def get(self, name: str) -> ModelEntry:
        """The entry called `name`.

        Raises:
            InputError: no such model; the message lists the known names.
        """
        for m in self.models:
            if m.name == name:
                return m
        raise InputError(f"unknown model {name!r} in {self.path}: known models are {', '.join(self.names)}")

    def with_entry(self, entry: ModelEntry) -> LockFile:
        """A copy with the entry of the same name replaced by `entry`."""
        self.get(entry.name)
        return replace(self, models=tuple(entry if m.name == entry.name else m for m in self.models))


# ----------------------------------------------------------------------------- parse / dump


_ENTRY_KEYS = {f for f in ModelEntry.__dataclass_fields__}
_FILE_KEYS = {f for f in ModelFile.__dataclass_fields__}
_REQUIRED_STR = (
    "name", "stage", "source", "distribution", "revision", "licence", "licence_url", "restrictions", "notes"
)


def _bad(path: Path, where: str, msg: str) -> InputError:
    return InputError(f"{path}: {where}: {msg}")


def _relative_path(lock_path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _bad(lock_path, where, "must be a non-empty string")
    p = PurePosixPath(value)
    if p.is_absolute() or ".." in p.parts or "\\" in value or value != p.as_posix():
        raise _bad(lock_path, where, f"{value!r} must be a relative POSIX path without '..'")
    return value


def _str_list(lock_path: Path, where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _bad(lock_path, where, "must be a list of non-empty strings")
    return tuple(value)


def _parse_file(lock_path: Path, where: str, table: Any) -> ModelFile:
    if not isinstance(table, dict):
        raise _bad(lock_path, where, "must be a table")
    unknown = set(table) - _FILE_KEYS
    if unknown:
        raise _bad(lock_path, where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_FILE_KEYS)}")
    path = _relative_path(lock_path, f"{where}.path", table.get("path"))
    sha = table.get("sha256", UNKNOWN)
    if not isinstance(sha, str) or not (sha == UNKNOWN or _SHA256_RE.match(sha)):
        raise _bad(lock_path, f"{where}.sha256", f"{sha!r} must be 64 lowercase hex digits or {UNKNOWN!r}")
    size = table.get("size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _bad(lock_path, f"{where}.size", f"{size!r} must be an integer >= 0 (0 = unknown)")
    alts = tuple(
        _relative_path(lock_path, f"{where}.alternatives", a)
        for a in _str_list(lock_path, f"{where}.alternatives", table.get("alternatives", []))
    )
    return ModelFile(path=path, sha256=sha, size=size, alternatives=alts)


def _parse_entry(lock_path: Path, index: int, table: Any) -> ModelEntry:
    where = f"model[{index}]"
    if not isinstance(table, dict):
        raise _bad(lock_path, where, "must be a table")
    if isinstance(table.get("name"), str):
        where = f"model {table['name']!r}"
    unknown = set(table) - _ENTRY_KEYS
    if unknown:
        raise _bad(lock_path, where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_ENTRY_KEYS)}")
    for key in _REQUIRED_STR:
        if not isinstance(table.get(key), str) or (key != "licence_url" and not table[key]):
            raise _bad(lock_path, f"{where}.{key}", "is required and must be a non-empty string")
    if not _NAME_RE.match(table["name"]):
        raise _bad(lock_path, f"{where}.name", "must be lower-case letters, digits and '-' (it names a folder)")
    if table["stage"] not in get_args(Stage):
        raise _bad(lock_path, f"{where}.stage", f"{table['stage']!r} is not one of {', '.join(get_args(Stage))}")
    if table["distribution"] not in get_args(Distribution):
        raise _bad(lock_path, f"{where}.distribution", f"must be one of {', '.join(get_args(Distribution))}")
    resolved = table.get("resolved")
    if not isinstance(resolved, bool):
        raise _bad(lock_path, f"{where}.resolved", "is required and must be true or false")
    revision = table["revision"]
    if table["distribution"] == "huggingface":
        if resolved and not _REVISION_RE.match(revision):
            raise _bad(lock_path, f"{where}.revision", "a resolved Hugging Face entry needs a 40-hex commit")
        if not resolved and revision != UNRESOLVED and not _REVISION_RE.match(revision):
            raise _bad(lock_path, f"{where}.revision", f"must be a 40-hex commit or {UNRESOLVED!r}")
    dir_env = table.get("dir_env", "")
    if not isinstance(dir_env, str):
        raise _bad(lock_path, f"{where}.dir_env", "must be a string")
    files_raw = table.get("files", [])
    if not isinstance(files_raw, list):
        raise _bad(lock_path, f"{where}.files", "must be an array of tables ([[model.files]])")
    files = tuple(_parse_file(lock_path, f"{where}.files[{i}]", t) for i, t in enumerate(files_raw))
    patterns = _str_list(lock_path, f"{where}.patterns", table.get("patterns", []))
    if not files and not patterns:
        raise _bad(lock_path, where, "lists no files and no patterns")
    seen = [p for f in files for p in f.candidates]
    if len(seen) != len(set(seen)):
        raise _bad(lock_path, f"{where}.files", "lists a path twice")
    return ModelEntry(
        name=table["name"],
        stage=table["stage"],
        source=table["source"],
        distribution=table["distribution"],
        revision=revision,
        resolved=resolved,
        licence=table["licence"],
        licence_url=table["licence_url"],
        restrictions=table["restrictions"],
        notes=table["notes"],
        dir_env=dir_env,
        patterns=patterns,
        files=files,
    )


def parse_lock(text: str, path: str | os.PathLike[str] = LOCK_NAME) -> LockFile:
    """Parse lock TOML.

    Raises:
        InputError: invalid TOML, unknown keys, bad values or duplicate names; the
            message names the file, the model and the field.
    """
    path = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    version = data.get("version")
    if version != LOCK_VERSION:
        raise InputError(f"{path}: version = {version!r}; this hoiexport reads lock version {LOCK_VERSION}")
    unknown = set(data) - {"version", "model"}
    if unknown:
        raise InputError(f"{path}: unknown top-level key(s) {sorted(unknown)}; allowed: version, model")
    tables = data.get("model", [])
    if not isinstance(tables, list) or not tables:
        raise InputError(f"{path}: no [[model]] tables")
    models = tuple(_parse_entry(path, i, t) for i, t in enumerate(tables))
    names = [m.name for m in models]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"{path}: model name(s) {dupes} appear more than once")
    return LockFile(path=path, version=version, models=models)


def _toml(value: str | bool | int | tuple[str, ...]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    # A JSON string literal is a valid TOML basic string, apart from DEL.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


_HEADER = """\
# third_party_models.lock: every external model hoiexport's hoi3dgen generator uses.
# Format (version 1): one [[model]] table per model and one [[model.files]] per file.
# "unknown" sha256 / size 0 / revision "unresolved" mean not pinned yet: run
# `hoiexport models fetch NAME --update-lock` on a machine with internet to pin them.
# This file is written by hoiexport (sdk/models_lock.py dump_lock); keep edits in its format.
"""


def dump_lock(lock: LockFile) -> str:
    """Serialise a lock to TOML in the canonical form `parse_lock` reads back."""
    out = [_HEADER, f"\nversion = {lock.version}\n"]
    for m in lock.models:
        out.append("\n[[model]]\n")
        for key in ("name", "stage", "source", "distribution", "revision", "resolved",
                    "licence", "licence_url", "restrictions", "notes"):
            out.append(f"{key} = {_toml(getattr(m, key))}\n")
        if m.dir_env:
            out.append(f"dir_env = {_toml(m.dir_env)}\n")
        if m.patterns:
            out.append(f"patterns = {_toml(m.patterns)}\n")
        for f in m.files:
            out.append("\n[[model.files]]\n")
            out.append(f"path = {_toml(f.path)}\nsha256 = {_toml(f.sha256)}\nsize = {f.size}\n")
            if f.alternatives:
                out.append(f"alternatives = {_toml(f.alternatives)}\n")
    return "".join(out)
