"""Which part of a multi-part mesh is the person, decided by fitting the body.

A combined mesh often arrives already in pieces: a glb whose nodes hold the
person and the object under any names ("Cube.001", "mesh_7"), or one mesh
whose person and object are separate connected components, with small pieces
besides (eyes, hair strands, buttons, floaters). `split_parts` labels such a
mesh's vertices person / object without orbit renders or masks:

1. Parts: the first source of `PartOptions.sources` (`PART_SOURCES`) that gives
   at least two major parts. "nodes": the file's geometry nodes, every one
   major (its author separated it). "components": the mesh's connected
   components, vertices at one position welded so uv seams do not cut; a
   component below `PartOptions.min_component_fraction` of the area is minor
   (eyes, buttons, floaters). No source: no split (the caller segments the
   mesh by masks, as for one connected surface).
2. Hypotheses for the person's major parts: each of the `seeds` largest major
   parts alone (a person in one piece, perhaps dressed in others); and, with
   three or more major parts, all of them but one (a person in pieces beside an
   object in one), for the `object_seeds` parts farthest from a body fitted to
   all the major parts together (the object is what such a body explains
   worst; a small held object is rarely among the largest parts).
3. Each hypothesis gets a quick body fit: the lift's `PointCloudEstimator`
   with a smaller search (`QUICK_ESTIMATOR`), then `register.register_body`
   with `QUICK_REGISTER`: the 7-DoF similarity stage and two short pose rounds,
   no shape, no retries (about 1 s in all, where the lift's full registration
   takes ~2 s after a ~0.5 s estimate). Then growth: the major parts outside
   the set whose median distance to the fitted body is within
   τ = max(`on_body_m`, `on_body_factor` × the fit's person→body Chamfer) join
   the person (clothes, hair, the other pieces of a cut body); when that would
   leave no object, the one farthest from the body stays the object. A grown
   set is fitted again (at most `growth_rounds` times; each distinct set is
   fitted once). Growth only adds: dropping a part the fit explains badly
   would lower the score by leaving part of the person out.
4. The hypotheses are ranked by a plausible fitted stature first (`stature_m`,
   metres at the body's default shape), then the lowest relative Chamfer
   (Chamfer / stature): a body fitted to a box can be as close in centimetres
   as one fitted to a person, being much smaller. The split is decided only
   when the best has a plausible stature and a relative Chamfer within
   `max_relative_chamfer`; otherwise the body fits no part (a person lying
   down defeats the estimator's upright prior, as it does the lift's own
   registration) and the caller should segment the mesh instead.
5. Minor parts go to the nearer side: the median distance of their vertices
   to the person's major parts' surface or to the object's.

`PartSplit.to_json` is what the lift records in provenance: the source, every
major part (name, size, side, distance to the chosen body) and every
hypothesis (its parts, Chamfer, relative Chamfer, stature, pose).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from hoiexport.sdk.bodies.protocol import BodyModel, BodyParams
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.threads import limit_threads
from hoiexport.sdk.core.types import Mesh
from hoiexport.sdk.generators.lift.chamfer import CHAMFER_DEFINITION, point_to_surface
from hoiexport.sdk.generators.lift.estimate import EstimatorOptions, PointCloudEstimator
from hoiexport.sdk.generators.lift.register import RegisterOptions, register_body
from hoiexport.sdk.generators.lift.voting import adjacency, submesh, weld_index

PartSourceName = Literal["nodes", "components"]
"""Where parts come from (`PART_SOURCES`)."""

PERSON, OBJECT = 0, 1
"""Side labels, as everywhere in the lift: 0 = person, 1 = object."""

QUICK_ESTIMATOR = EstimatorOptions(samples=500, body_points=300, descent_starts=1, library_facings=1)
"""The estimator of a hypothesis' fit: a smaller search than the lift's (one
limb-state descent, the action library at one facing), three hypotheses."""

QUICK_REGISTER = RegisterOptions(scan_samples=1000, body_points=500, pose_sigmas_cm=(8.0, 4.0), shape_rounds=0,
                                 lbfgs_steps=15, screen_steps=5, retries=0, chamfer_samples=1000)
"""The registration of a hypothesis' fit: the similarity stage and two short pose
rounds (σ 8 and 4 cm, 15 L-BFGS steps, no shape), the three estimates screened
for 5 steps; no retries. About 0.3 s on one CPU thread, the estimate 0.25 s: the
lift's full registration takes ~2 s. (The estimate's similarity fit alone, at
about the same cost, leaves a pose the library lacks, e.g. pushing, 8 cm off;
these two rounds bring it to ~3 cm.)"""


@dataclass(frozen=True)
class PartOptions:
    """Settings of `split_parts`.

    Attributes:
        sources: part sources tried in order (`PART_SOURCES` names).
        weld_tolerance_m: vertices closer than this are one vertex when
            finding connected components, metres.
        min_component_fraction: a connected component below this share of the
            mesh's area is minor (never a side on its own; goes to the nearer side).
        seeds: the largest major parts tried as the person alone.
        object_seeds: with three or more major parts, the ones farthest from
            a body fitted to all of them tried as the object alone.
        growth_rounds: refits of a hypothesis whose set changed by growth.
        on_body_m: a major part whose median distance to the fitted body is
            within this (metres) belongs to the person ...
        on_body_factor: ... or within this multiple of the fit's person→body
            Chamfer, when larger (a quick fit is a few cm off).
        stature_m: fitted statures (metres, the body's default shape × the fit's
            scale) in this range are plausible and rank before any other.
        max_relative_chamfer: the split is decided only when the best fit's
            Chamfer / stature is at most this (0.06: 10 cm on 1.7 m).
        part_points: vertices per part (at most; a uniform random subset) for
            median distances.
        estimator: the body estimator of each fit (default `QUICK_ESTIMATOR`).
        register: the registration of each fit (default `QUICK_REGISTER`; its
            `chamfer_samples` set the Chamfer that ranks the hypotheses).
        seed: sampling seed.
    """

    sources: tuple[PartSourceName, ...] = ("nodes", "components")
    weld_tolerance_m: float = 1e-6
    min_component_fraction: float = 0.01
    seeds: int = 3
    object_seeds: int = 3
    growth_rounds: int = 1
    on_body_m: float = 0.03
    on_body_factor: float = 1.5
    stature_m: tuple[float, float] = (0.9, 2.4)
    max_relative_chamfer: float = 0.06
    part_points: int = 256
    estimator: EstimatorOptions = QUICK_ESTIMATOR
    register: RegisterOptions = QUICK_REGISTER
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [s for s in self.sources if s not in PART_SOURCES]
        if not self.sources or unknown:
            raise InputError(f"PartOptions.sources must name some of {', '.join(PART_SOURCES)}, got {self.sources!r}")
        if self.seeds < 1 or self.object_seeds < 1 or self.growth_rounds < 0 or self.part_points < 1:
            raise InputError(
                "PartOptions.seeds, object_seeds and part_points must be >= 1 and growth_rounds >= 0; got "
                f"{self.seeds}, {self.object_seeds}, {self.part_points}, {self.growth_rounds}"
            )
        if not 0.0 <= self.min_component_fraction < 0.5:
            raise InputError(
                f"PartOptions.min_component_fraction must be in [0, 0.5), got {self.min_component_fraction}"
            )
        if self.on_body_m < 0 or self.on_body_factor < 0 or self.max_relative_chamfer <= 0 \
                or not 0 < self.stature_m[0] < self.stature_m[1]:
            raise InputError(
                "PartOptions.on_body_m and on_body_factor must be >= 0, max_relative_chamfer > 0 and stature_m an "
                f"increasing positive range; got {self.on_body_m}, {self.on_body_factor}, "
                f"{self.max_relative_chamfer}, {self.stature_m}"
            )


@dataclass(frozen=True)
class Parts:
    """A mesh's vertices grouped into parts.

    Attributes:
        source: the `PART_SOURCES` entry that found them.
        names: (P,) part names (node names, or "component_K" by decreasing area).
        vertex_part: (V,) int32 part of each vertex of the mesh.
        areas_m2: (P,) float64 surface area of each part, m².
        major: (P,) bool, parts that may form a side on their own.
    """

    source: PartSourceName
    names: tuple[str, ...]
    vertex_part: np.ndarray
    areas_m2: np.ndarray
    major: np.ndarray


PartSource = Callable[[Mesh, np.ndarray | None, Sequence[str], PartOptions], Parts | None]
"""(mesh, per-vertex node index or None, node names, options) → parts with at
least two major ones, or None."""


def _face_areas(mesh: Mesh) -> np.ndarray:
    tri = np.asarray(mesh.vertices, np.float64)[mesh.faces]
    return 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)


def _part_areas(mesh: Mesh, vertex_part: np.ndarray, count: int) -> np.ndarray:
    return np.bincount(vertex_part[mesh.faces[:, 0]], weights=_face_areas(mesh), minlength=count)


def node_parts(mesh: Mesh, node_index: np.ndarray | None, names: Sequence[str], options: PartOptions) -> Parts | None:
    """The file's geometry nodes as parts (every one major), when there are two or more.

    Args:
        mesh: the merged mesh.
        node_index: (V,) int node of each vertex (`load.LoadedMesh.part_index`), or None.
        names: the node names.
        options: unused (the source's signature).
    """
    if node_index is None:
        return None
    index = np.asarray(node_index, np.int64)
    if index.shape != (len(mesh.vertices),):
        raise InputError(f"node index must be ({len(mesh.vertices)},) like {mesh.name}.vertices, got {index.shape}")
    if len(names) < 2 or len(np.unique(index)) < 2:
        return None
    if index.min() < 0 or index.max() >= len(names):
        raise InputError(f"node index of {mesh.name} must lie in [0, {len(names)}), one per node name")
    return Parts("nodes", tuple(str(n) for n in names), index.astype(np.int32),
                 _part_areas(mesh, index, len(names)), np.ones(len(names), bool))


def component_parts(mesh: Mesh, node_index: np.ndarray | None, names: Sequence[str],
                    options: PartOptions) -> Parts | None:
    """The mesh's connected components as parts (coincident vertices welded), when two or more are major.

    Vertices no face uses join the component of the nearest used vertex.
    Components are numbered by decreasing area.

    Args:
        mesh: the merged mesh.
        node_index: unused (the source's signature).
        names: unused.
        options: `weld_tolerance_m` and `min_component_fraction`.
    """
    if len(mesh.faces) == 0:
        return None
    weld, n = weld_index(mesh.vertices, options.weld_tolerance_m)
    count, comp = connected_components(adjacency(weld[mesh.faces], n), directed=False)
    used = np.zeros(n, bool)
    used[weld[mesh.faces].ravel()] = True
    if not used.all():  # a vertex without faces: the component of the nearest vertex with faces
        points = np.zeros((n, 3))
        points[weld] = mesh.vertices
        _, nearest = cKDTree(points[used]).query(points[~used])
        comp[~used] = comp[np.flatnonzero(used)[nearest]]
    vertex_comp = comp[weld]
    areas = _part_areas(mesh, vertex_comp, count)
    order = np.argsort(-areas, kind="stable")
    present = order[np.isin(order, vertex_comp)]  # components that kept a vertex
    rank = np.full(count, -1, np.int64)
    rank[present] = np.arange(len(present))
    areas = areas[present]
    major = areas >= options.min_component_fraction * max(float(areas.sum()), 1e-18)
    if int(major.sum()) < 2:
        return None
    return Parts("components", tuple(f"component_{k}" for k in range(len(present))),
                 rank[vertex_comp].astype(np.int32), areas, major)


PART_SOURCES: dict[str, PartSource] = {
    "nodes": node_parts,
    "components": component_parts,
}
"""Part sources by name; `PartOptions.sources` gives the order they are tried in."""


def find_parts(mesh: Mesh, node_index: np.ndarray | None = None, node_names: Sequence[str] = (),
               options: PartOptions = PartOptions()) -> Parts | None:
    """The first source of `options.sources` giving at least two major parts, or None.

    Args:
        mesh: the combined mesh.
        node_index: (V,) int node of each vertex, when the mesh came from a scene.
        node_names: the node names.
        options: part settings.
    """
    for name in options.sources:
        parts = PART_SOURCES[name](mesh, node_index, node_names, options)
        if parts is not None:
            return parts
    return None


@dataclass(frozen=True)
class PartFit:
    """The quick body fit of one candidate person (module docstring, step 3).

    Attributes:
        person: the major parts fitted as the person (indices into `Parts.names`).
        chamfer_cm: Chamfer between those parts and the fitted body
            (`CHAMFER_DEFINITION`), cm.
        person_to_body_cm: its person→body direction, cm.
        stature_m: the fitted body's stature (default shape × scale), metres.
        relative: chamfer_cm / stature in cm.
        plausible: the stature lies in `PartOptions.stature_m`.
        pose: the estimator's pose name.
        distances_m: (P,) median distance of each part's vertices to the fitted body, metres.
        params: the fitted body parameters.
        seconds: time of the fit.
    """

    person: frozenset[int]
    chamfer_cm: float
    person_to_body_cm: float
    stature_m: float
    relative: float
    plausible: bool
    pose: str
    distances_m: np.ndarray
    params: BodyParams
    seconds: float

    def rank(self) -> tuple[bool, float]:
        """Sort key: plausible statures first, then the lowest relative Chamfer."""
        return (not self.plausible, self.relative)


@dataclass(frozen=True)
class Hypothesis:
    """One candidate person and where growth took it.

    Attributes:
        start: the major parts it started from.
        fit: the fit of the set it ended with.
    """

    start: frozenset[int]
    fit: PartFit


@dataclass
class PartSplit:
    """The person / object split of a multi-part mesh.

    Attributes:
        labels: (V,) int8 per vertex, 0 = person, 1 = object (the best
            hypothesis' split, even when not `decided`).
        parts: the parts.
        part_labels: (P,) int8 side of each part.
        hypotheses: every hypothesis, in the order tried.
        chosen: index of the best hypothesis.
        decided: the best fit has a plausible stature and a relative Chamfer
            within `PartOptions.max_relative_chamfer`; else use the labels
            only knowingly (the body fits no part well).
        on_body_m: τ of the best fit, metres.
        whole: the body fitted to all the major parts together (three or
            more), which ordered the all-but-one hypotheses; else None.
        timings_s: "parts", "fits", "assign" seconds.
    """

    labels: np.ndarray
    parts: Parts
    part_labels: np.ndarray
    hypotheses: list[Hypothesis]
    chosen: int
    decided: bool
    on_body_m: float
    whole: PartFit | None = None
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def fit(self) -> PartFit:
        """The kept hypothesis' body fit."""
        return self.hypotheses[self.chosen].fit

    def person_parts(self) -> list[str]:
        """Names of the major parts on the person's side."""
        return [self.parts.names[p] for p in np.flatnonzero(self.parts.major & (self.part_labels == PERSON))]

    def to_json(self) -> dict[str, Any]:
        """How the split was decided, for provenance notes."""
        names, fit = self.parts.names, self.fit

        def named(ids: frozenset[int]) -> list[str]:
            return [names[i] for i in sorted(ids)]

        minor = ~self.parts.major
        return {
            "method": "the body fitted to each candidate person (point-cloud estimator, similarity, two short pose "
                      "rounds); a plausible stature, then the lowest Chamfer / stature wins",
            "source": self.parts.source,
            "parts": [
                {"name": names[p], "side": "person" if self.part_labels[p] == PERSON else "object",
                 "vertices": int((self.parts.vertex_part == p).sum()),
                 "area_m2": round(float(self.parts.areas_m2[p]), 5),
                 "body_distance_cm": round(float(fit.distances_m[p]) * 100.0, 2)}
                for p in np.flatnonzero(self.parts.major)
            ],
            "minor_parts": {"person": int((minor & (self.part_labels == PERSON)).sum()),
                            "object": int((minor & (self.part_labels == OBJECT)).sum())},
            "hypotheses": [
                {"start": named(h.start), "person": named(h.fit.person), "chamfer_cm": round(h.fit.chamfer_cm, 3),
                 "relative_chamfer": round(h.fit.relative, 5), "stature_m": round(h.fit.stature_m, 3),
                 "plausible_stature": h.fit.plausible, "pose": h.fit.pose, "seconds": round(h.fit.seconds, 3)}
                for h in self.hypotheses
            ],
            "chosen": self.chosen,
            "decided": self.decided,
            **({"all_major_parts_fit": {
                "chamfer_cm": round(self.whole.chamfer_cm, 3),
                "body_distance_cm": {names[p]: round(float(self.whole.distances_m[p]) * 100.0, 2)
                                     for p in np.flatnonzero(self.parts.major)},
            }} if self.whole is not None else {}),
            "on_body_cm": round(self.on_body_m * 100.0, 2),
            "chamfer_definition": CHAMFER_DEFINITION,
            "timings_s": {k: round(v, 4) for k, v in self.timings_s.items()},
        }


class _Fitter:
    """Quick body fits of sets of parts (module docstring, step 3), each set fitted once."""

    def __init__(self, mesh: Mesh, parts: Parts, body: BodyModel, options: PartOptions) -> None:
        self.mesh, self.parts, self.body, self.options = mesh, parts, body, options
        self.face_part = parts.vertex_part[mesh.faces[:, 0]]
        rng = np.random.default_rng(options.seed)
        order = np.argsort(parts.vertex_part, kind="stable")
        groups = np.split(order, np.cumsum(np.bincount(parts.vertex_part, minlength=len(parts.names)))[:-1])
        picks = [g if len(g) <= options.part_points else np.sort(rng.choice(g, options.part_points, replace=False))
                 for g in groups]
        self.points = np.asarray(mesh.vertices, np.float64)[np.concatenate(picks)]
        self.offsets = np.cumsum([0] + [len(p) for p in picks])  # part k's points: offsets[k]:offsets[k + 1]
        with torch.no_grad():
            rest = body.forward(torch.zeros(1, 24, 3)).vertices[0].numpy()
        self.rest_stature_m = float(np.ptp(rest[:, 1]))
        self.cache: dict[frozenset[int], PartFit] = {}

    def surface(self, selected: frozenset[int] | set[int], name: str) -> Mesh:
        return submesh(self.mesh, np.isin(self.face_part, sorted(selected)), name)

    def part_points(self, selected: np.ndarray) -> np.ndarray:
        """(N, 3) the distance points of the parts `selected` (int indices), in their order."""
        return np.concatenate([self.points[self.offsets[p] : self.offsets[p + 1]] for p in selected])

    def medians(self, selected: np.ndarray, distances: np.ndarray) -> np.ndarray:
        """(len(selected),) median of per-point values (ordered as `part_points(selected)`) by part."""
        counts = [self.offsets[p + 1] - self.offsets[p] for p in selected]
        return np.array([float(np.median(d)) if len(d) else np.inf
                         for d in np.split(distances, np.cumsum(counts)[:-1])])

    def fit(self, person: frozenset[int]) -> PartFit:
        if person in self.cache:
            return self.cache[person]
        t = time.perf_counter()
        surface = self.surface(person, "person")
        estimator = PointCloudEstimator(self.options.estimator, register_options=self.options.register)
        inits = estimator.estimate(surface, self.body)
        registration = register_body(surface, self.body, inits, self.options.register)
        params, chamfer, body_mesh = registration.params, registration.chamfer, registration.fit.mesh
        pose = next((c.pose_name for c in estimator.last_candidates if c.params is registration.init), "")
        stature = self.rest_stature_m * float(params.scale)
        low, high = self.options.stature_m
        fit = PartFit(
            person=person,
            chamfer_cm=chamfer.chamfer_cm,
            person_to_body_cm=chamfer.human_to_body_cm,
            stature_m=stature,
            relative=chamfer.chamfer_cm / max(stature * 100.0, 1e-9),
            plausible=low <= stature <= high,
            pose=pose,
            distances_m=self.medians(np.arange(len(self.parts.names)), point_to_surface(self.points, body_mesh)),
            params=params,
            seconds=time.perf_counter() - t,
        )
        self.cache[person] = fit
        return fit

    def tau(self, fit: PartFit) -> float:
        return max(self.options.on_body_m, self.options.on_body_factor * fit.person_to_body_cm / 100.0)

    def grow(self, fit: PartFit) -> frozenset[int]:
        """The major parts on the fitted body (module docstring, step 3)."""
        others = np.array([p for p in np.flatnonzero(self.parts.major) if p not in fit.person], np.int64)
        if len(others) == 0:
            return fit.person
        near = fit.distances_m[others] <= self.tau(fit)
        if near.all():  # someone must be the object: the part farthest from the body
            near[int(np.argmax(fit.distances_m[others]))] = False
        return fit.person | frozenset(int(p) for p in others[near])


def _hypotheses(parts: Parts, fitter: _Fitter, options: PartOptions) -> tuple[list[frozenset[int]], PartFit | None]:
    """The starting person sets (module docstring, step 2), and the all-major fit that ordered them."""
    major = [int(p) for p in np.flatnonzero(parts.major)]
    largest = sorted(major, key=lambda p: -parts.areas_m2[p])[: options.seeds]
    starts = [frozenset({p}) for p in largest]
    whole = None
    if len(major) > 2:
        whole = fitter.fit(frozenset(major))
        farthest = sorted(major, key=lambda p: -whole.distances_m[p])[: options.object_seeds]
        starts += [frozenset(major) - {p} for p in farthest]
    return list(dict.fromkeys(starts)), whole


def split_parts(
    mesh: Mesh,
    body: BodyModel,
    *,
    node_index: np.ndarray | None = None,
    node_names: Sequence[str] = (),
    options: PartOptions = PartOptions(),
) -> PartSplit | None:
    """Label a multi-part mesh person / object by fitting the body to each candidate (module docstring).

    Args:
        mesh: the combined mesh, internal frame (+Y up), metres.
        body: the body model fitted.
        node_index: (V,) int node of each vertex (`load.LoadedMesh.part_index`),
            when the mesh came from a scene.
        node_names: the node names (`load.LoadedMesh.part_names`).
        options: part settings.

    Returns:
        The split, or None when the mesh has fewer than two major parts (one
        connected surface, perhaps with small floaters): segment it instead,
        as when the split is not `decided`.

    Raises:
        InputError: an empty or non-finite mesh, or a node index that does not
            match it.
    """
    if len(mesh.faces) == 0:
        raise InputError(f"mesh {mesh.name!r} has no triangles to split")
    mesh.validate()
    t0 = time.perf_counter()
    parts = find_parts(mesh, node_index, node_names, options)
    if parts is None:
        return None
    t1 = time.perf_counter()
    with limit_threads(torch_threads=1, blas_threads=1):
        fitter = _Fitter(mesh, parts, body, options)
        hypotheses = []
        starts, whole = _hypotheses(parts, fitter, options)
        for start in starts:
            fit = fitter.fit(start)
            for _ in range(options.growth_rounds):
                grown = fitter.grow(fit)
                if grown == fit.person:
                    break
                fit = fitter.fit(grown)
            hypotheses.append(Hypothesis(start, fit))
        chosen = min(range(len(hypotheses)), key=lambda k: hypotheses[k].fit.rank())
        t2 = time.perf_counter()
        fit = hypotheses[chosen].fit
        decided = fit.plausible and fit.relative <= options.max_relative_chamfer
        part_labels = np.full(len(parts.names), OBJECT, np.int8)
        part_labels[sorted(fit.person)] = PERSON
        minor = np.flatnonzero(~parts.major)
        if len(minor):  # to the nearer side's major surface
            points = fitter.part_points(minor)
            object_major = set(np.flatnonzero(parts.major).tolist()) - fit.person
            to_person = fitter.medians(minor, point_to_surface(points, fitter.surface(fit.person, "person")))
            to_object = fitter.medians(minor, point_to_surface(points, fitter.surface(object_major, "object")))
            part_labels[minor] = np.where(to_person < to_object, PERSON, OBJECT)
    labels = part_labels[parts.vertex_part]
    return PartSplit(labels, parts, part_labels, hypotheses, chosen, decided, fitter.tau(fit), whole,
                     {"parts": t1 - t0, "fits": t2 - t1, "assign": time.perf_counter() - t2})


__all__ = [
    "OBJECT",
    "PART_SOURCES",
    "PERSON",
    "QUICK_ESTIMATOR",
    "QUICK_REGISTER",
    "Hypothesis",
    "PartFit",
    "PartOptions",
    "PartSplit",
    "PartSource",
    "PartSourceName",
    "Parts",
    "component_parts",
    "find_parts",
    "node_parts",
    "split_parts",
]
