"""`export(asset, out_dir, ...)`: the export recipe (DESIGN §8), top to bottom.

    gather:  prepare (weld, clean, decimate) → uv (xatlas) → bake → skin  → ExportScene
    preset:  `apply_preset` once (Unreal's root joint); writers read its axes and units
    encode:  one format after the other, in memory (bytes)
    stage:   each format's files written into a hidden folder beside `out_dir`
    check:   the real validators, on the staged files
    move:    every file into `out_dir` (os.replace), only when all passed

Everything up to the staging write is pure (bytes in memory); a failed export leaves
no files.

Concurrency is injected, not written into the stages: the stages are plain
functions, and `gather` submits them to the executors of a `Scheduler`
(`PooledScheduler`, the default, or `SerialScheduler`; `ExportOptions.concurrency`
picks one, or pass your own to `export`). With the pooled one (2 cores are enough
to matter) xatlas runs in worker processes (it holds the GIL), started right after
each mesh is prepared, while the skin transfer, the bakes (themselves split over
threads) and the PNG encodings run on threads. Either way the files are the same.
The Khronos validator's node process starts with the export and gets each glTF
file the moment it is staged, so it validates while the USD files are encoded; the
USD validators and the glTF house rules then run in this process.

Two exports may run at once on two threads of one process (`frozen_gc` and
`_WriterImports` are the process-wide parts, both safe for that).
"""

from __future__ import annotations

import dataclasses
import gc
import importlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, ParamSpec, Protocol, Self, TypeVar

import numpy as np

from hoiexport.exporters.bake import bake, encode_png
from hoiexport.exporters.compress import (
    CompressedGlb,
    Compression,
    Method,
    check_compression,
    compress_glb,
    resolve_compression,
)
from hoiexport.exporters.lod import add_lods, check_lod_count, lod_stats
from hoiexport.exporters.options import BakeOptions, PrepareOptions, UVOptions
from hoiexport.exporters.pbr import PBRMaps, pbr_shader
from hoiexport.exporters.presets import TargetPreset, apply_preset, get_preset
from hoiexport.exporters.scene import ExportMesh, ExportScene
from hoiexport.exporters.rig import RigOptions, rig_scene
from hoiexport.exporters.skeletons import apply_skeleton_preset, resolve_skeleton
from hoiexport.exporters.skin import (
    SkinBinding,
    SkinOptions,
    rigid_binding,
    transfer_skin_weights,
)
from hoiexport.exporters.validate import (
    ValidationReport,
    ValidationSession,
    ensure_valid,
)
from hoiexport.sdk.core.errors import ExportError, InputError
from hoiexport.sdk.core.types import SCHEMA_VERSION, HOIAsset, Mesh, Texture
from hoiexport.sdk.geometry.prepare import PreparedMesh, prepare_mesh
from hoiexport.sdk.geometry.uv import (
    InlineExecutor,
    PendingAtlas,
    UVAtlas,
    start_unwrap,
    uv_executor,
)

_P = ParamSpec("_P")
_T = TypeVar("_T")

Format = Literal["glb", "gltf", "usda", "usdc", "usdz"]
DEFAULT_FORMATS: tuple[Format, ...] = ("glb", "usdc", "usdz")

Concurrency = Literal["pooled", "serial"]
"""How `gather` runs its stages: a `PooledScheduler` or a `SerialScheduler` (`SCHEDULERS`)."""

NEUTRAL_GREY = (200, 200, 200)
"""sRGB base colour used for a mesh that carries no texture and no vertex colours."""


@dataclass(frozen=True)
class ExportOptions:
    """Everything an export can be told, one frozen value.

    Attributes:
        prepare: stage 1 (weld, clean, decimate; face budgets per mesh).
        uv: stage 2 (xatlas; `keep_uv` keeps clean source uv, e.g. Anny's;
            `workers` xatlas processes of the pooled scheduler).
        bake: stage 3 (texture size, gutter).
        skin: stage 4 (weight transfer).
        rig: stage 4b (rest pose, joint naming preset, clips; `exporters.rig`).
        roughness_human: PBR roughness of the human material.
        roughness_object: PBR roughness of the object material.
        validate: run the validators (an export that fails them is an error).
        overwrite: replace files already in `out_dir`.
        concurrency: the scheduler `export` builds when given none: "pooled"
            (processes for xatlas, threads for the rest) or "serial" (every stage
            in the calling thread, in recipe order). The files do not depend on it.
        lods: levels of detail per mesh, LOD0 (the mesh) included, 1..8
            (`exporters.lod`: each level ~half the faces of the one before,
            glTF `MSFT_lod`, USD variant set "LOD"); 1 = no LODs.
        compress: glb compression (`exporters.compress`): "none" (the default),
            "draco", "meshopt", or "auto" (by target: unreal draco, unity meshopt,
            omniverse and blender none). Needs node and glTF-Transform
            (scripts/install_validators.sh); .gltf and USD are never compressed.
    """

    prepare: PrepareOptions = field(default_factory=PrepareOptions)
    uv: UVOptions = field(default_factory=lambda: UVOptions(keep_uv=True))
    bake: BakeOptions = field(default_factory=BakeOptions)
    skin: SkinOptions = field(default_factory=SkinOptions)
    rig: RigOptions = field(default_factory=RigOptions)
    roughness_human: float = 0.8
    roughness_object: float = 0.6
    validate: bool = True
    overwrite: bool = True
    concurrency: Concurrency = "pooled"
    lods: int = 1
    compress: Compression = "none"

    def __post_init__(self) -> None:
        if self.concurrency not in SCHEDULERS:
            raise InputError(
                f"export concurrency must be one of {', '.join(map(repr, SCHEDULERS))}, got {self.concurrency!r}"
            )
        check_lod_count(self.lods)
        check_compression(self.compress)


@dataclass
class ExportResult:
    """What `export` wrote.

    Attributes:
        files: format → path of its main file (the .glb, .gltf, .usda, ...).
        written: every file written (main files, buffers, textures).
        timings_s: stage → seconds ("prepare", "uv", "bake", "png", "skin",
            "uv+bake+skin", "gather", "encode_<fmt>", "write", "validate",
            "total"). Stages overlap: "uv", "bake" and "png" are the longest
            mesh's own time (xatlas time in its worker), "uv+bake+skin" the wall
            time from the end of "prepare" to the end of the textures and skin,
            "validate" the wait for the validators after the last file was
            written (node starts on each glTF file as soon as it is written);
            with LODs "lods" (the simplifier), with compression "compress_glb"
            (the node run of glTF-Transform).
        validation: main file path (str) → its validation report.
        stats: per-mesh numbers (faces before / after, atlas, bake path; with
            LODs "lods": faces / vertices / error per level); with compression
            "compression": method, tool, bytes_in, bytes_out.
    """

    files: dict[str, Path]
    written: list[Path]
    timings_s: dict[str, float]
    validation: dict[str, ValidationReport]
    stats: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The CLI's `--json` shape."""
        return {
            "files": {k: str(v) for k, v in self.files.items()},
            "validation": {
                path: {"errors": r.errors, "warnings": r.warnings, "messages": [m.message for m in r.messages]}
                for path, r in self.validation.items()
            },
            "timings_s": {k: round(v, 4) for k, v in self.timings_s.items()},
        }


def parse_formats(formats: str | Iterable[str]) -> tuple[Format, ...]:
    """Normalise "glb,usdc" or an iterable of names; errors list the valid ones."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    out: list[Format] = []
    for f in (str(x).strip().lower().lstrip(".") for x in items):
        if not f:
            continue
        if f not in FORMATS:
            raise InputError(f"unknown export format {f!r}; use any of: {', '.join(FORMATS)}")
        if f not in out:
            out.append(f)  # type: ignore[arg-type]
    if not out:
        raise InputError(f"no export format given; use any of: {', '.join(FORMATS)}")
    return tuple(out)


# ---------------------------------------------------------------------------
# Scheduling: where the stages run (injected into `gather`)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Executors:
    """Where one `gather` submits its stages.

    Attributes:
        processes: for work that holds the GIL (xatlas, through `start_unwrap`).
        threads: for work that releases it (numpy, scipy, zlib: the skin
            transfer, the bakes, the PNG encodings). No task submitted here waits
            for another task submitted here, so any number of threads (1 included)
            finishes.
    """

    processes: Executor
    threads: Executor


class Scheduler(Protocol):
    """How the export's stages run: a source of `Executors`, one set per `gather`.

    A scheduler is configuration; `executors()` makes the workers of one gather
    and ends them when it leaves. They must not outlive it: forked uv workers
    inherit the pipe to the validator's node process, which would then never see
    the end of its input.
    """

    def executors(self) -> AbstractContextManager[Executors]:
        """The executors of one gather, shut down (their work finished) on exit."""
        ...


@dataclass(frozen=True)
class SerialScheduler:
    """Every stage runs in the calling thread at its `submit`, in recipe order:
    no processes, no threads (tests, debugging, one core). Same files as pooled."""

    @classmethod
    def for_options(cls, options: ExportOptions) -> SerialScheduler:
        """The serial scheduler (`options` change nothing)."""
        return cls()

    @contextmanager
    def executors(self) -> Iterator[Executors]:
        """Both executors run tasks inline (`InlineExecutor`)."""
        inline = InlineExecutor()
        yield Executors(processes=inline, threads=inline)


@dataclass(frozen=True)
class PooledScheduler:
    """xatlas in worker processes, the GIL-releasing stages on threads (the default).

    Attributes:
        uv_workers: xatlas processes (`uv_process_pool`: forked at the first
            submit on Linux); 1 runs xatlas in the submitting thread.
        threads: threads for the skin transfer and the two meshes' bake and PNG
            (3: all three at once).
    """

    uv_workers: int = 2
    threads: int = 3

    def __post_init__(self) -> None:
        if self.uv_workers < 1 or self.threads < 1:
            raise InputError(
                f"PooledScheduler needs uv_workers >= 1 and threads >= 1, got {self.uv_workers} and {self.threads}"
            )

    @classmethod
    def for_options(cls, options: ExportOptions) -> PooledScheduler:
        """`options.uv.workers` xatlas processes, 3 threads."""
        return cls(uv_workers=options.uv.workers)

    @contextmanager
    def executors(self) -> Iterator[Executors]:
        """A fresh process pool and thread pool; on exit the threads are joined
        first, then the uv workers."""
        with uv_executor(self.uv_workers) as processes, ThreadPoolExecutor(self.threads) as threads:
            yield Executors(processes=processes, threads=threads)


SCHEDULERS: dict[str, Callable[[ExportOptions], Scheduler]] = {
    "pooled": PooledScheduler.for_options,
    "serial": SerialScheduler.for_options,
}
"""`ExportOptions.concurrency` → the scheduler `export` builds from the options."""


def make_scheduler(options: ExportOptions) -> Scheduler:
    """The scheduler `options.concurrency` names (`SCHEDULERS`)."""
    return SCHEDULERS[options.concurrency](options)


class _FrozenHeap:
    """`gc.freeze()` for the length of an export, scoped and re-entrant.

    Why it exists: a full collection of a caller's heap (torch, trimesh: ~0.3 M
    container objects) takes ~0.15 s and lands somewhere inside the export, which
    allocates many short-lived containers. Objects frozen before the export are
    skipped by every collection (and, as `gc.freeze` intends, their pages are not
    dirtied in forked uv workers). Objects made during the export are collected
    as usual.

    `gc.freeze` / `gc.unfreeze` act on the whole process and do not nest, so
    overlapping exports (two threads) share one scope under a lock: each entry
    freezes what exists then (its caller's heap included), and only the last
    one to leave unfreezes; the frozen objects then go back to the oldest
    generation. When the heap was already frozen by someone else at the first
    entry, it is left alone (unfreezing would undo their freeze).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._owned = False

    @contextmanager
    def scope(self) -> Iterator[None]:
        """Frozen from entry until the last overlapping scope exits."""
        with self._lock:
            if self._depth == 0:
                self._owned = gc.get_freeze_count() == 0
            if self._owned:
                gc.freeze()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._owned:
                    gc.unfreeze()


_FROZEN_HEAP = _FrozenHeap()


def frozen_gc() -> AbstractContextManager[None]:
    """The process-wide, re-entrant `gc.freeze` scope of an export (see `_FrozenHeap`)."""
    return _FROZEN_HEAP.scope()


class _WriterImports:
    """Imports the format writers and the USD validator (pygltflib, pxr: ~0.7 s the
    first time in a process) at a moment when no thread runs numpy.

    Why: importing pxr releases the GIL inside the dynamic loader; a thread that
    then runs numpy (whose temporary elision calls backtrace(), which takes the
    loader lock) deadlocks with it (seen with the skin transfer on a thread). So
    `gather` imports them after submitting the uv work (xatlas works in its
    process meanwhile) and before it starts any stage thread; and until they are
    loaded, exports that run at once take turns through that block, so that one
    export's numpy never runs beside another's first import.
    """

    MODULES = ("gltf", "usd", "validate_usd")
    """Modules of `hoiexport.exporters` imported."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded = False

    @contextmanager
    def after(self) -> Iterator[None]:
        """Run the block, then import the modules (once per process); while they are
        not loaded yet, one thread at a time runs such a block."""
        if self._loaded:
            yield
            return
        with self._lock:
            yield
            if not self._loaded:
                for module in self.MODULES:
                    importlib.import_module(f"hoiexport.exporters.{module}")
                self._loaded = True


_WRITER_IMPORTS = _WriterImports()


# ---------------------------------------------------------------------------
# Stages 1-4 (plain functions) and `gather`, the recipe that schedules them
# ---------------------------------------------------------------------------


def _with_appearance(mesh: Mesh) -> Mesh:
    """`mesh`, or a copy with neutral grey vertex colours when it has no appearance."""
    if mesh.texture is not None or mesh.colors is not None:
        return mesh
    colors = np.tile(np.array(NEUTRAL_GREY, np.uint8), (len(mesh.vertices), 1))
    return Mesh(mesh.vertices, mesh.faces, uv=mesh.uv, colors=colors, normals=mesh.normals, name=mesh.name,
                pbr=mesh.pbr)


def prepare_one(mesh: Mesh, max_faces: int, opts: PrepareOptions) -> PreparedMesh:
    """Stage 1 for one mesh: weld, clean and decimate to `max_faces`; a mesh with
    no appearance is painted `NEUTRAL_GREY` first."""
    return prepare_mesh(_with_appearance(mesh), max_faces, opts)


def _bake_one(
    prepared: PreparedMesh, atlas: UVAtlas, opts: BakeOptions
) -> tuple[Texture, PBRMaps | None, dict[str, Any]]:
    """Stage 3 for one mesh: base colour, and the PBR maps when the source has `pbr`.

    When the mesh kept its own uv and its appearance is a texture alone (no vertex
    colours, not decimated, no `pbr`), re-baking would resample the texture onto
    itself: the texture passes through, resized to `opts.size` when it differs.
    With `pbr` the full bake runs (`pbr.PBRShader` rides on its raster and source
    search) and the ORM / normal PNGs are encoded here, on the bake's thread.
    """
    src = prepared.source
    if (
        src.pbr is None
        and atlas.kept_source_uv
        and src.texture is not None
        and src.colors is None
        and src is prepared.mesh
    ):
        image = src.texture.image
        if image.shape[0] != opts.size or image.shape[1] != opts.size:
            from PIL import Image

            mode = "RGBA" if image.shape[2] == 4 else "RGB"
            image = np.asarray(Image.fromarray(image, mode).resize((opts.size, opts.size), Image.Resampling.LANCZOS))
        texture = Texture(np.ascontiguousarray(image[..., :3]))
        return texture, None, {"bake_path": "passthrough", "appearance": "texture"}
    shader = pbr_shader(src, atlas.mesh, _unit_normals(atlas.mesh), opts.size)
    # xatlas keeps face and corner order, so target face i still copies source face source_face[i].
    result = bake(src, atlas.mesh, opts, prepared.source_face, shader=shader)
    stats: dict[str, Any] = {
        "bake_path": result.path,
        "appearance": result.appearance,
        "coverage": round(result.coverage, 4),
    }
    maps = None
    if shader is not None:
        t = time.perf_counter()
        maps = shader.maps(result.extra).encode()
        stats["pbr"] = {
            "materials": [m.kind for m in shader.materials],
            "shade_s": round(result.seconds.get("shade", 0.0), 4),
            "png_s": round(time.perf_counter() - t, 4),
        }
    return result.texture, maps, stats


@dataclass
class Baked:
    """One mesh after stages 2 and 3.

    Attributes:
        atlas: its uv atlas (`atlas.mesh` is the mesh that is exported).
        texture: the baked sRGB base colour, `BakeOptions.size`² texels.
        stats: how it was baked ("bake_path", "appearance", "coverage", and
            "pbr": {materials, shade_s, png_s} when PBR maps were baked).
        seconds: {"uv": xatlas time (in its worker), "bake": bake time (with the
            PBR maps and their PNGs)}.
        pbr: the ORM / normal maps (PNGs encoded), or None.
    """

    atlas: UVAtlas
    texture: Texture
    stats: dict[str, Any]
    seconds: dict[str, float]
    pbr: PBRMaps | None = None


def bake_one(prepared: PreparedMesh, pending: PendingAtlas, opts: BakeOptions) -> Baked:
    """Stages 2 → 3 for one mesh: wait for its atlas, then bake its texture."""
    atlas = pending.result()
    t = time.perf_counter()
    texture, maps, stats = _bake_one(prepared, atlas, opts)
    return Baked(atlas, texture, stats, {"uv": atlas.seconds, "bake": time.perf_counter() - t}, maps)


def skin_one(human: PreparedMesh, asset: HOIAsset, opts: SkinOptions) -> SkinBinding:
    """Stage 4: the prepared human's skin weights, transferred from the fitted body."""
    mesh = human.mesh
    return transfer_skin_weights(mesh.vertices, mesh.faces, asset.body, opts, target_normals=mesh.normals)


def _timed(fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> tuple[_T, float]:
    """(fn(*args, **kwargs), seconds it took)."""
    t0 = time.perf_counter()
    return fn(*args, **kwargs), time.perf_counter() - t0


def _remap_binding(binding: SkinBinding, vertex_map: np.ndarray) -> SkinBinding:
    """The binding of the unwrapped mesh: vertex i copies prepared vertex vertex_map[i]."""
    return SkinBinding(
        joints=binding.joints[vertex_map],
        weights=binding.weights[vertex_map],
        rigid_joint=binding.rigid_joint,
        distance_m=None if binding.distance_m is None else binding.distance_m[vertex_map],
        inpainted=None if binding.inpainted is None else binding.inpainted[vertex_map],
    )


@dataclass
class Gathered:
    """What `gather` returns.

    Attributes:
        scene: the format-neutral scene, internal frame, no preset applied.
        timings_s: "prepare", "uv", "bake", "png", "skin", "uv+bake+skin",
            "gather" → seconds (see `ExportResult.timings_s`).
        stats: per-mesh numbers ("human", "object") and "object_joint".
    """

    scene: ExportScene
    timings_s: dict[str, float]
    stats: dict[str, Any]


def gather(
    asset: HOIAsset, options: ExportOptions, name: str, scheduler: Scheduler | None = None
) -> Gathered:
    """Stages 1–4: the format-neutral `ExportScene` of `asset`.

    The recipe, in the order it reads: prepare the object, start its unwrap;
    prepare the human, start its unwrap (the object first, so its xatlas run
    overlaps the human's preparation); import the writers; transfer the skin
    weights; bake each mesh once its atlas is there; once every mesh is baked,
    encode the PNGs (side by side, on the cores xatlas and the bakes no longer
    need); assemble the scene.

    Args:
        asset: the interaction; validated first.
        options: stage options.
        name: scene name (root node / default prim).
        scheduler: where the stages run; default `make_scheduler(options)`.

    Returns:
        The scene, per-stage seconds, per-mesh stats.
    """
    asset.validate()
    scheduler = scheduler or make_scheduler(options)
    prep = options.prepare
    # pack charts for the texture's resolution so texel density matches the bake
    uv_opts = dataclasses.replace(options.uv, resolution=options.bake.size)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    # A forked uv worker copies only the thread that forks it: xatlas is submitted
    # (forking the pool) before any stage thread starts.
    with scheduler.executors() as run:
        with _WRITER_IMPORTS.after():
            object_prep = prepare_one(asset.object, prep.object_max_faces, prep)
            object_uv = start_unwrap(object_prep.mesh, uv_opts, run.processes)
            human_prep = prepare_one(asset.human, prep.human_max_faces, prep)
            human_uv = start_unwrap(human_prep.mesh, uv_opts, run.processes)
            timings["prepare"] = time.perf_counter() - t0
        t = time.perf_counter()
        skin = run.threads.submit(_timed, skin_one, human_prep, asset, options.skin)
        baking = [
            run.threads.submit(bake_one, p, u, options.bake)
            for p, u in ((human_prep, human_uv), (object_prep, object_uv))
        ]
        human_baked, object_baked = baked = [f.result() for f in baking]
        pngs = [run.threads.submit(_timed, encode_png, b.texture) for b in baked]
        (human_png, human_png_s), (object_png, object_png_s) = [f.result() for f in pngs]
        binding, timings["skin"] = skin.result()
    for key in ("uv", "bake"):
        timings[key] = max(b.seconds[key] for b in baked)
    timings["png"] = max(human_png_s, object_png_s)
    timings["uv+bake+skin"] = time.perf_counter() - t

    t = time.perf_counter()
    human = _export_mesh("human", human_baked, human_png, _remap_binding(binding, human_baked.atlas.vertex_map),
                         options.roughness_human)
    object_mesh = _export_mesh("object", object_baked, object_png, rigid_binding(len(object_baked.atlas.mesh.vertices), 0),
                               options.roughness_object)
    rigged = rig_scene(asset, human, object_mesh, options.rig, name, hoi_metadata(asset))
    timings["rig"] = time.perf_counter() - t
    scene = rigged.scene
    stats: dict[str, Any] = {
        "human": _mesh_stats(human_prep, human_baked),
        "object": _mesh_stats(object_prep, object_baked),
        "object_joint": rigged.object_joint,
        "rig": rigged.stats.to_json(),
    }
    timings["gather"] = time.perf_counter() - t0
    return Gathered(scene, timings, stats)


def _export_mesh(label: str, baked: Baked, png: bytes, skin: SkinBinding, roughness: float) -> ExportMesh:
    """The `ExportMesh` of one baked, skinned mesh."""
    mesh = baked.atlas.mesh
    if mesh.uv is None:  # an atlas always has uv; say so rather than write a broken file
        raise ExportError(f"the {label} mesh has no uv after unwrapping")
    return ExportMesh(
        name=label,
        vertices=mesh.vertices,
        normals=_unit_normals(mesh),
        uv=mesh.uv,
        faces=mesh.faces.astype(np.uint32),
        texture=baked.texture,
        roughness=roughness,
        joints=skin.joints,
        weights=skin.weights,
        rigid_joint=skin.rigid_joint,
        texture_png=png,
        pbr=baked.pbr,
    )


def _mesh_stats(prepared: PreparedMesh, baked: Baked) -> dict[str, Any]:
    """`ExportResult.stats[label]`: faces before / after, atlas, bake path."""
    atlas = baked.atlas
    return {
        "faces_in": prepared.stats.faces_in,
        "faces_out": prepared.stats.faces_out,
        "decimated": prepared.stats.decimated,
        "kept_source_uv": atlas.kept_source_uv,
        "uv_rejected_reason": atlas.rejected_reason,
        "charts": atlas.chart_count,
        **baked.stats,
    }


def _unit_normals(mesh: Mesh) -> np.ndarray:
    if mesh.normals is not None:
        n = mesh.normals.astype(np.float64)
    else:
        n = np.asarray(mesh.to_trimesh().vertex_normals, np.float64)
    length = np.linalg.norm(n, axis=1, keepdims=True)
    n = np.where(length > 1e-12, n / np.maximum(length, 1e-12), np.array([0.0, 1.0, 0.0]))
    return n.astype(np.float32)


def hoi_metadata(asset: HOIAsset) -> dict[str, Any]:
    """The `hoi` metadata block written to glTF `extras.hoi` and USD `customData`."""
    return {
        "schema_version": SCHEMA_VERSION,
        "prompt": asset.prompt.to_json(),
        "contact_config": asset.contact_config.value,
        "contacts": [c.to_json() for c in asset.contacts],
        "penetration": asset.penetration.to_json(),
        "provenance": asset.provenance.to_json(),
        "units": "metres",
        "frame": "+Y up, character faces +Z",
    }


# ---------------------------------------------------------------------------
# Encoding: one format after the other, in memory
# ---------------------------------------------------------------------------

FormatEncoder = Callable[[ExportScene, TargetPreset, str], dict[str, bytes]]
"""(scene, preset, basename) → relative path → bytes of each file of one format,
the main file "<basename>.<fmt>" among them."""


def _encode_glb(scene: ExportScene, preset: TargetPreset, basename: str) -> dict[str, bytes]:
    from hoiexport.exporters.gltf import encode_glb

    return {f"{basename}.glb": encode_glb(scene, preset)}


def _encode_gltf(scene: ExportScene, preset: TargetPreset, basename: str) -> dict[str, bytes]:
    from hoiexport.exporters.gltf import encode_gltf

    return encode_gltf(scene, basename, preset)


def _encode_usd_layer(fmt: Literal["usda", "usdc"], scene: ExportScene, preset: TargetPreset, basename: str) -> dict[str, bytes]:
    from hoiexport.exporters.usd import encode_usd

    return encode_usd(scene, preset, fmt, basename)


def _encode_usdz(scene: ExportScene, preset: TargetPreset, basename: str) -> dict[str, bytes]:
    from hoiexport.exporters.usd import encode_usdz

    return {f"{basename}.usdz": encode_usdz(scene, preset, basename)}


ENCODERS: dict[Format, FormatEncoder] = {
    "glb": _encode_glb,
    "gltf": _encode_gltf,
    "usda": partial(_encode_usd_layer, "usda"),
    "usdc": partial(_encode_usd_layer, "usdc"),
    "usdz": _encode_usdz,
}
"""Format → its encoder (the writers are imported on first use)."""

FORMATS: tuple[str, ...] = tuple(ENCODERS)


def encode_format(scene: ExportScene, fmt: Format, preset: TargetPreset, basename: str) -> dict[str, bytes]:
    """Encode `scene` in one format: relative path → bytes of each file it needs
    (the main file "<basename>.<fmt>" among them)."""
    return ENCODERS[fmt](scene, preset, basename)


@dataclass
class Encoded:
    """What `encode` returns.

    Attributes:
        files: relative path → bytes of every file of every format, in the order
            encoded (formats may share files, e.g. USD textures).
        main: format → relative path of its main file ("<basename>.<fmt>").
        timings_s: "encode_<fmt>" → seconds.
    """

    files: dict[str, bytes]
    main: dict[str, str]
    timings_s: dict[str, float]


OnEncoded = Callable[[str, dict[str, bytes]], None]
"""Called by `encode` after each format: (main file's relative path, that format's files)."""


def encode(
    scene: ExportScene,
    formats: Sequence[Format],
    preset: TargetPreset,
    basename: str,
    on_encoded: OnEncoded | None = None,
) -> Encoded:
    """Encode `scene` in every format, one after the other.

    Args:
        scene: the scene, `preset` already applied (`apply_preset`).
        formats: the formats, in the order to encode them.
        preset: target preset (the USD writers read its axes and units).
        basename: file stem of every file.
        on_encoded: called after each format, before the next is encoded, e.g.
            to write and start validating its files meanwhile; not timed.

    Returns:
        Every file's bytes, the main files and per-format seconds.

    Raises:
        ExportError: two formats made different contents for one path, or a
            writer failed.
    """
    files: dict[str, bytes] = {}
    main: dict[str, str] = {}
    timings: dict[str, float] = {}
    for fmt in formats:
        new, timings[f"encode_{fmt}"] = _timed(encode_format, scene, fmt, preset, basename)
        main[fmt] = f"{basename}.{fmt}"
        _merge_files(files, new)
        if on_encoded is not None:
            on_encoded(main[fmt], new)
    return Encoded(files, main, timings)


def _merge_files(files: dict[str, bytes], new: dict[str, bytes]) -> None:
    """Add one format's files; formats may share files (USD textures) but not differ."""
    for rel, data in new.items():
        if rel in files and files[rel] != data:
            raise ExportError(f"two formats wrote different contents to {rel!r}")
        files[rel] = data


# ---------------------------------------------------------------------------
# Staging: write, validate, move atomically
# ---------------------------------------------------------------------------


class _Staging:
    """The export's files in a hidden folder beside `out_dir` (same file system, so
    the final move is a rename): written there as each format is encoded (glTF
    files handed to the validator at once), validated there, moved into `out_dir`
    only when every file passed. Leaving the context removes the folder and
    whatever is still in it.
    """

    def __init__(self, out: Path, name: str, overwrite: bool, session: ValidationSession | None) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.folder = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".export-tmp", dir=out))
        self.overwrite = overwrite
        self.session = session
        self.mains: list[str] = []
        self.seconds = 0.0
        """Time spent writing (and handing files to the validator)."""

    def write(self, main: str, files: dict[str, bytes]) -> None:
        """Stage one format's files (`OnEncoded`); a file already staged by an
        earlier format is kept.

        Raises:
            ExportError: `overwrite` is off and one of the files exists in `out_dir`.
        """
        if not self.overwrite:
            clash = [rel for rel in files if (self.out / rel).exists()]
            if clash:
                raise ExportError(
                    f"{self.out / clash[0]} exists; pass overwrite (CLI: default) or choose another folder"
                )
        t = time.perf_counter()
        for rel, data in files.items():
            p = self.folder / rel
            if not p.exists():
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(data)
        self.mains.append(main)
        if self.session is not None:
            self.session.add(self.folder / main)
        self.seconds += time.perf_counter() - t

    def validate(self) -> dict[str, ValidationReport]:
        """Wait for the validators: main file's final path (str) → its report.

        Raises:
            ValidationFailed: a file failed (nothing is moved).
        """
        if self.session is None:
            return {}
        staged = [self.folder / m for m in self.mains]
        reports = ensure_valid(staged, strict=True, session=self.session)
        return {
            str(self.out / m): dataclasses.replace(r, path=self.out / m)
            for m, r in zip(self.mains, reports, strict=True)
        }

    def commit(self, files: Iterable[str]) -> list[Path]:
        """Move the staged `files` (relative paths) into `out_dir`; their final paths."""
        written = []
        for rel in files:
            dest = self.out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.folder / rel, dest)
            written.append(dest)
        return written

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _check_name(name: str) -> str:
    if not name or name in (".", "..") or any(c in name for c in '/\\:*?"<>|') or name.startswith("."):
        raise InputError(f"export name {name!r} must be a plain file stem (letters, digits, _ and -)")
    return name


# ---------------------------------------------------------------------------
# The recipe
# ---------------------------------------------------------------------------


def export(
    asset: HOIAsset,
    out_dir: str | os.PathLike[str],
    formats: str | Iterable[str] = DEFAULT_FORMATS,
    target: str = "unity",
    options: ExportOptions | None = None,
    name: str | None = None,
    scheduler: Scheduler | None = None,
) -> ExportResult:
    """Export `asset` as engine assets into `out_dir`, validated.

    Args:
        asset: the interaction to export.
        out_dir: output folder (created if needed).
        formats: any of glb, gltf, usda, usdc, usdz (comma string or iterable).
        target: engine preset: unity, unreal, omniverse or blender (USD axes/units;
            unreal also adds a `root` joint).
        options: stage options; defaults to `ExportOptions()`.
        name: file stem and root node / prim name; default from the prompt's object.
        scheduler: where the stages run (`PooledScheduler`, `SerialScheduler` or
            your own); default `make_scheduler(options)`. The files do not depend
            on it. Safe to share between exports, also concurrent ones.

    Returns:
        Paths, per-stage timings and validation reports.

    Raises:
        InputError: unknown format / target, bad name.
        ValidationFailed: a file failed the glTF or USD validator (nothing written).
        ExportError: other export failures (nothing written).
    """
    t0 = time.perf_counter()
    options = options or ExportOptions()
    fmts = parse_formats(formats)
    preset = get_preset(target)
    method = resolve_compression(options.compress, target) if "glb" in fmts else "none"
    name = _check_name(name or f"hoi_{asset.prompt.object or 'asset'}")
    # glTF first: node validates each glTF file while the USD files are encoded.
    order = sorted(fmts, key=lambda f: f not in ("glb", "gltf"))

    with ExitStack() as stack:
        stack.enter_context(frozen_gc())
        session = None
        if options.validate:
            # node starts now and loads the Khronos validator while the meshes are worked on
            session = stack.enter_context(
                ValidationSession(strict=True, gltf=any(f in ("glb", "gltf") for f in fmts))
            )
        gathered = gather(asset, options, name, scheduler)
        scene = apply_preset(gathered.scene, preset)
        scene = apply_skeleton_preset(scene, resolve_skeleton(options.rig.skeleton, target))
        t = time.perf_counter()
        scene = add_lods(scene, options.lods)
        lods_s = time.perf_counter() - t
        staging = stack.enter_context(_Staging(Path(out_dir), name, options.overwrite, session))
        compressor = _CompressGlb(method, staging.write)
        encoded = encode(scene, order, preset, name, on_encoded=compressor)
        t = time.perf_counter()
        reports = staging.validate()
        validate_s = time.perf_counter() - t
        written = staging.commit(encoded.files)

    timings = {**gathered.timings_s, "write": staging.seconds, **encoded.timings_s}
    stats = dict(gathered.stats)
    if options.lods > 1:
        timings["lods"] = lods_s
        for mesh in scene.meshes:
            stats[mesh.name] = {**stats.get(mesh.name, {}), "lods": lod_stats(mesh)}
    if compressor.result is not None:
        timings["compress_glb"] = compressor.result.seconds
        stats["compression"] = {**compressor.result.record, "bytes_out": compressor.result.bytes_out}
    if session is not None:
        timings["validate"] = validate_s
    timings["total"] = time.perf_counter() - t0
    files: dict[str, Path] = {f: staging.out / encoded.main[f] for f in fmts}
    return ExportResult(
        files=files,
        written=written,
        timings_s=timings,
        validation={str(p): reports[str(p)] for p in files.values() if str(p) in reports},
        stats=stats,
    )


class _CompressGlb:
    """The `OnEncoded` step between `encode` and the staging write: the glb's bytes
    go through `compress.compress_glb` (every other file passes unchanged), so the
    validators and the final file see the compressed glb.
    """

    def __init__(self, method: Method, write: OnEncoded) -> None:
        self.method = method
        self.write = write
        self.result: CompressedGlb | None = None
        """What the glb's compression did (None: nothing was compressed)."""

    def __call__(self, main: str, files: dict[str, bytes]) -> None:
        if self.method != "none" and main.endswith(".glb"):
            self.result = compress_glb(files[main], self.method)
            files = {**files, main: self.result.data}
        self.write(main, files)
