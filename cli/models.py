"""`hoiexport models list|verify|fetch`: the third-party weights in third_party_models.lock.

Exit codes: 0 ok; 1 a model is missing or mismatches (verify), a requested model is
still unavailable after fetch, or a lock / hub error; 2 usage (unknown model name,
no name given to fetch). `verify` reports files the lock cannot check (no sha256
yet) as *unpinned*: a warning, exit 0, unless `--strict`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from hoiexport import HOIExportError
from hoiexport import weights as ml

_dir_option = click.option(
    "--dir", "models_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help=f"Models folder (default ${ml.MODELS_DIR_ENV}, else <cache>/models).",
)
_lock_option = click.option(
    "--lock", "lock_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Lock file (default: the repository's, else the packaged copy).",
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    return _dir_option(_lock_option(fn))


def _select(lock: ml.LockFile, names: tuple[str, ...]) -> list[ml.ModelEntry]:
    unknown = [n for n in names if n not in lock.names]
    if unknown:
        raise click.BadParameter(
            f"unknown model(s) {', '.join(unknown)}; known: {', '.join(lock.names)}", param_hint="NAME"
        )
    return [lock.get(n) for n in dict.fromkeys(names)] if names else list(lock.models)


def _short(revision: str) -> str:
    return revision[:12] if revision != ml.UNRESOLVED else revision


@click.group("models")
def models() -> None:
    """Third-party model weights pinned in third_party_models.lock (hoi3dgen generator)."""


@models.command("list")
@_common
@_json_option
def list_cmd(models_dir: Path | None, lock_path: Path | None, as_json: bool) -> None:
    """List every model: name, stage, source, revision, licence, and whether its
    files are present under the models folder (no hashing; see `verify`)."""
    lock = ml.load_lock(lock_path)
    root = ml.get_models_dir(models_dir)
    rows: list[dict[str, Any]] = [
        {
            "name": e.name,
            "stage": e.stage,
            "source": e.source,
            "distribution": e.distribution,
            "revision": e.revision,
            "resolved": e.resolved,
            "pinned": e.pinned,
            "licence": e.licence,
            "restrictions": e.restrictions,
            "folder": str(e.folder(root)),
            "presence": ml.presence(e, root),
        }
        for e in lock.models
    ]
    if as_json:
        click.echo(json.dumps({"lock": str(lock.path), "models_dir": str(root), "models": rows}, indent=2))
        return
    click.echo(f"lock: {lock.path}\nmodels: {root}")
    cols = ("name", "stage", "presence", "revision", "source", "licence")
    table = [{**r, "revision": _short(r["revision"])} for r in rows]
    widths = {c: max(len(c), *(len(str(r[c])) for r in table)) for c in cols[:-1]}
    click.echo("  ".join(c.upper().ljust(widths.get(c, 0)) for c in cols).rstrip())
    for r in table:
        click.echo("  ".join(str(r[c]).ljust(widths.get(c, 0)) for c in cols).rstrip())


@models.command("verify")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@_common
@_json_option
@click.option("--strict", is_flag=True, help="Count unpinned files (no sha256 in the lock) as failures.")
@click.option("--rehash", is_flag=True, help="Hash every file again instead of reusing hashes of unchanged files.")
def verify_cmd(
    names: tuple[str, ...], models_dir: Path | None, lock_path: Path | None, as_json: bool, strict: bool, rehash: bool
) -> None:
    """Check presence, size and sha256 of each model's files (all models by default).

    Prints one line per problem naming the model, its stage, the expected path and
    the command that fixes it. Exit 1 on any missing or mismatching file; files the
    lock cannot check yet are reported as unpinned (exit 0 unless --strict).
    """
    lock = ml.load_lock(lock_path)
    entries = _select(lock, names)
    checks = ml.verify_models(entries, models_dir, use_hash_cache=not rehash)
    failed = [c for c in checks if c.status == "failed" or (strict and c.status == "unpinned")]
    if as_json:
        click.echo(json.dumps({"ok": not failed, "strict": strict, "models": [c.to_json() for c in checks]}, indent=2))
    else:
        for c in checks:
            mark = {"ok": "ok ", "unpinned": "?? ", "failed": "XX "}[c.status]
            click.echo(f"{mark} {c.entry.name} ({c.entry.stage})  {c.folder}")
            for line in c.problem_lines():
                click.echo(f"    error: {line}")
            for row in c.unpinned:
                click.echo(f"    {'error' if strict else 'warning'}: {c.describe(row)}")
        counts = {s: sum(c.status == s for c in checks) for s in ("ok", "unpinned", "failed")}
        click.echo(
            f"{counts['ok']} ok, {counts['unpinned']} unpinned (present, not verifiable), "
            f"{counts['failed']} failed" + (" (strict)" if strict else "")
        )
    if failed:
        click.get_current_context().exit(1)


@models.command("fetch")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--all", "fetch_all", is_flag=True, help="Fetch every model in the lock (over 100 GB).")
@_common
@click.option("--update-lock", is_flag=True,
              help="Record the resolved revision and every file's sha256 and size in the lock (atomic rewrite).")
def fetch_cmd(
    names: tuple[str, ...], fetch_all: bool, models_dir: Path | None, lock_path: Path | None, update_lock: bool
) -> None:
    """Download models from Hugging Face into the models folder (needs the `gpu`
    extra: pip install 'hoiexport[gpu]'), then verify them against the lock.

    Models distributed after registration (SMPL, CameraHMR) cannot be downloaded:
    their manual steps are printed instead. Exit 1 when a requested model is still
    unavailable afterwards.
    """
    if not names and not fetch_all:
        raise click.UsageError("name the model(s) to fetch (see `hoiexport models list`) or pass --all")
    lock = ml.load_lock(lock_path)
    entries = _select(lock, names)
    unavailable = []
    for entry in entries:
        if entry.distribution == "manual":
            check = ml.verify_models([entry], models_dir)[0]
            if check.status == "failed":
                click.echo(ml.manual_steps(entry, models_dir))
                unavailable.append(entry.name)
            else:
                click.echo(f"{entry.name}: present in {check.folder} (user-supplied)")
            continue
        click.echo(f"{entry.name}: fetching {entry.source}@{_short(entry.revision)}", err=True)
        click.echo(f"  licence: {entry.licence}", err=True)
        click.echo(f"  restrictions: {entry.restrictions}", err=True)
        try:
            result = ml.fetch_model(entry, models_dir)
        except HOIExportError as exc:
            click.echo(f"error: {exc}", err=True)
            unavailable.append(entry.name)
            continue
        for line in result.check.problem_lines():
            click.echo(f"error: {line}", err=True)
        if result.check.status == "failed":
            unavailable.append(entry.name)
            continue
        n = len(result.entry.files)
        click.echo(f"{entry.name}: {n} file(s) at revision {result.entry.revision} in {result.folder}")
        if update_lock:
            lock = lock.with_entry(result.entry)
            for written in ml.save_lock(lock):
                click.echo(f"  pinned in {written}")
    if unavailable:
        click.echo(f"still unavailable: {', '.join(unavailable)}", err=True)
        click.get_current_context().exit(1)
