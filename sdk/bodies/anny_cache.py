"""Where the Anny body model's built data lives, how it is loaded, and pruning.

`anny.Anny()` builds its model data once (~3-5 min, 282 s of CPU and 1.5 GB peak
RSS measured on this project's 2-core box) and
caches the result as safetensors files under its cache folder, versioned by its
data format (`v14/` for anny 0.6.2). The build writes three kinds of file:

- `load_data_<hash>.safetensors` (~560 MB): the raw MakeHuman assets;
- `build_model_data_<hash>.safetensors` (~215 MB): full model data;
- `build_compact_model_data_<hash>.safetensors` (~51 MB): the model data with the
  phenotype blend shapes compacted — the only file read when the model is
  constructed (anny checks the compact file first and never opens the others).

`prune_anny_cache` deletes the first two kinds once the compact file loads (measured:
a fresh build wrote 828 MB, pruning freed 777 MB and the model then loaded from the
51 MB compact file alone); a later construction of a *different* Anny configuration
would rebuild them.

hoiexport keeps this cache under `hoiexport.sdk.core.cache.cache_dir() / "anny"`
(`HOIEXPORT_CACHE` overrides the root); `ANNY_CACHE_DIR` is not needed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hoiexport.sdk.core.cache import cache_dir

if TYPE_CHECKING:
    import anny

ANNY_RIG = "anny"
"""Anny rig: 104 bones (tongue, breast and facial-expression bones removed)."""
ANNY_TOPOLOGY = "anny"
"""Anny topology: 13,718 vertices, 27,420 triangles, with eyes."""

_BUILD_LOG_PREFIX = "No cached model data found"
"""Start of the message anny's `cache_builder` logs right before it builds."""
_INTERMEDIATE_PREFIXES = ("load_data_", "build_model_data_")
_RUNTIME_PREFIX = "build_compact_model_data_"


def anny_cache_dir() -> Path:
    """Folder holding Anny's built model data: `cache_dir() / "anny"`."""
    return cache_dir() / "anny"


def warp_cache_dir() -> Path:
    """Folder for NVIDIA Warp's compiled kernels: `cache_dir() / "warp"`."""
    return cache_dir() / "warp"


def configure_warp() -> None:
    """Keep NVIDIA Warp quiet and its kernel cache under `warp_cache_dir()`.

    hoiexport constructs Anny with torch skinning (`skinning_method="lbs"`), so
    loading and posing the body never imports Warp (importing it costs ~1 s).
    This only affects code that uses Warp later in the process: it sets
    `WARP_CACHE_PATH` (read by `warp.init()`, unless the user set it) and, if
    Warp is already imported, lowers its log level to warnings (warp 1.19 has no
    `config.quiet`; `config.log_level` gates the start-up banner).
    """
    os.environ.setdefault("WARP_CACHE_PATH", str(warp_cache_dir()))
    warp = sys.modules.get("warp")
    if warp is not None and hasattr(warp, "config"):
        warp.config.log_level = max(warp.config.log_level, warp.LOG_WARNING)


class _BuildNotice(logging.Filter):
    """Filter on anny's cache logger: prints a notice to stderr when a build starts.

    Records below the logger's original effective level are dropped after being
    looked at, so enabling INFO here changes nothing the application sees.
    """

    def __init__(self, cache: Path, passthrough_level: int) -> None:
        super().__init__()
        self.cache = cache
        self.passthrough_level = passthrough_level
        self.started: float | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self.started is None and record.getMessage().startswith(_BUILD_LOG_PREFIX):
            self.started = time.perf_counter()
            print(
                f"hoiexport: building the Anny body model once (~3-5 min, ~1.5 GB RAM)… cached in {self.cache}",
                file=sys.stderr,
                flush=True,
            )
        return record.levelno >= self.passthrough_level


@contextlib.contextmanager
def build_notice(cache: Path) -> Iterator[_BuildNotice]:
    """While active, announce on stderr when anny starts building model data."""
    logger = logging.getLogger("anny.models.model_data")
    notice = _BuildNotice(cache, logger.getEffectiveLevel())
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addFilter(notice)
    try:
        yield notice
    finally:
        logger.removeFilter(notice)
        logger.setLevel(old_level)
    if notice.started is not None:
        print(
            f"hoiexport: Anny body model built in {time.perf_counter() - notice.started:.0f} s",
            file=sys.stderr,
            flush=True,
        )


def load_anny_model() -> anny.Anny:
    """Construct the Anny model hoiexport uses, building its data on first use.

    Configuration: rig and topology "anny", no local changes or facial actions,
    the 6 default phenotypes, compact blend shapes, torch LBS skinning (no Warp).
    Construction takes ~0.05 s once its cache file exists (plus ~4.5 s for the
    first `import anny`, mostly torch), ~3-5 min the first time on a machine.

    Returns:
        an `anny.Anny` (float64, Anny frame: Z up, character faces -Y, metres).
    """
    configure_warp()
    import anny
    import anny.paths

    cache = anny_cache_dir()
    anny.paths.set_anny_cache_path(cache)
    with build_notice(cache):
        return anny.Anny(rig=ANNY_RIG, topology=ANNY_TOPOLOGY, skinning_method="lbs")


@dataclass
class AnnyCachePruneReport:
    """What `prune_anny_cache` did.

    Attributes:
        removed: files deleted.
        kept: files left (the compact model data every configuration loads).
        freed_bytes: bytes freed.
    """

    removed: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    freed_bytes: int = 0


def prune_anny_cache() -> AnnyCachePruneReport:
    """Delete the build intermediates Anny never reads once its compact data exists.

    First loads the model (building it if needed), so the compact file that
    hoiexport reads is known to be present and valid; then removes every
    `load_data_*` and `build_model_data_*` file in the cache (~775 MB for
    anny 0.6.2). Compact files of any configuration are kept.

    Returns:
        An `AnnyCachePruneReport`.
    """
    load_anny_model()
    report = AnnyCachePruneReport()
    root = anny_cache_dir()
    for path in sorted(root.glob("v*/*.safetensors")):
        if path.name.startswith(_INTERMEDIATE_PREFIXES):
            size = path.stat().st_size
            path.unlink()
            report.removed.append(path)
            report.freed_bytes += size
        elif path.name.startswith(_RUNTIME_PREFIX):
            report.kept.append(path)
    return report


def cache_status() -> tuple[bool, str]:
    """Whether the compact model data Anny loads is present (no model is loaded).

    Returns:
        (ready, detail): detail names the cache folder, or says how to build it.
    """
    import importlib.metadata

    try:
        version = importlib.metadata.version("anny")
    except importlib.metadata.PackageNotFoundError:
        return False, "anny is not installed: run scripts/setup.sh (pip install anny==0.6.2)"
    files = sorted(anny_cache_dir().glob(f"v*/{_RUNTIME_PREFIX}*.safetensors"))
    if not files:
        return False, (
            f"anny {version} not built yet in {anny_cache_dir()}: run "
            "`python -m hoiexport.sdk.bodies.anny_cache --ensure` (once, ~3-5 min, ~1.5 GB RAM)"
        )
    size = sum(f.stat().st_size for f in files) / 1e6
    return True, f"anny {version}, built ({size:.0f} MB in {anny_cache_dir()})"


def main(argv: list[str] | None = None) -> int:
    """`python -m hoiexport.sdk.bodies.anny_cache [--ensure] [--no-prune]`.

    --ensure builds the model data when it is missing (with a progress message),
    loads it once to check it, then prunes the ~775 MB of build intermediates;
    when the data is already there it only reports (cheap, no model load).
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m hoiexport.sdk.bodies.anny_cache")
    parser.add_argument("--ensure", action="store_true", help="build (if needed), check and prune the cache")
    parser.add_argument("--no-prune", action="store_true", help="keep the build intermediates")
    args = parser.parse_args(argv)
    if args.ensure and not cache_status()[0]:
        if args.no_prune:
            load_anny_model()
        else:
            report = prune_anny_cache()
            if report.removed:
                print(f"hoiexport: pruned {report.freed_bytes / 1e6:.0f} MB of Anny build intermediates", file=sys.stderr)
    ready, detail = cache_status()
    print(("ready: " if ready else "missing: ") + detail, file=sys.stderr)
    return 0 if ready else 1


if __name__ == "__main__":
    raise SystemExit(main())
