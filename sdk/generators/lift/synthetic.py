"""Make clean synthetic data look like the lifting chain's real inputs.

Generated humans (Hunyuan3D-class meshes) differ from a body model's surface in
topology, carry clothing and hair, are noisy and have small holes; real
segmentation masks have ragged borders, stray blobs and missed frames. These
functions apply such differences to ground-truth data, seeded, so tests and
benchmarks measure the chain against known answers:

- `degrade_surface`: clothing-like displacement along the normals (a smooth
  field, thickness drawn from a range, thin on hands, head and feet), midpoint
  subdivision then quadric decimation (fast_simplification) to a new topology,
  normal noise, and small holes (away from the hands).
- `corrupt_masks`: per-mask erosion or dilation, blobs flipped to the other
  label, one label missed in some frames, and confidences below 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import fast_simplification
import numpy as np
import scipy.ndimage
import trimesh
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.generators.lift.segment import ViewMasks
from hoiexport.sdk.core.types import BODY_PARTS, Mesh
from scipy.spatial import cKDTree

_BARE_PARTS = tuple(BODY_PARTS.index(p) for p in ("right_hand", "left_hand", "head", "right_foot", "left_foot"))
_HANDS = tuple(BODY_PARTS.index(p) for p in ("right_hand", "left_hand"))


@dataclass(frozen=True)
class DegradeOptions:
    """How a clean body surface is made to look generated.

    Attributes:
        clothing_cm: range of the clothing thickness, cm (one draw per mesh;
            the displacement field varies between 60 % and 100 % of it).
        bare_fraction: share of the thickness on hands, head and feet.
        target_faces: face count after subdivision + decimation; None keeps
            the topology.
        noise_cm: standard deviation of the per-vertex normal noise, cm.
        holes: number of holes cut.
        hole_radius_cm: range of the hole radii, cm.
    """

    clothing_cm: tuple[float, float] = (0.5, 2.0)
    bare_fraction: float = 0.15
    target_faces: int | None = 24_000
    noise_cm: float = 0.15
    holes: int = 3
    hole_radius_cm: tuple[float, float] = (1.5, 3.0)


@dataclass
class DegradedSurface:
    """A degraded surface and where it came from.

    Attributes:
        mesh: the new surface (colours carried over from the nearest source vertex).
        source_vertex: (V',) int64 nearest source vertex of each new vertex.
        clothing_cm: the thickness drawn.
    """

    mesh: Mesh
    source_vertex: np.ndarray
    clothing_cm: float


def _smooth_field(points: np.ndarray, rng: np.random.Generator, waves: int = 6) -> np.ndarray:
    """(N,) values in [0, 1] varying smoothly over space (wavelengths 15–40 cm)."""
    field = np.zeros(len(points))
    for _ in range(waves):
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        wavelength = rng.uniform(0.15, 0.40)
        field += np.sin(2 * np.pi * points @ direction / wavelength + rng.uniform(0, 2 * np.pi))
    return 0.5 + 0.5 * field / waves


def degrade_surface(
    mesh: Mesh,
    part_labels: np.ndarray | None,
    rng: np.random.Generator,
    options: DegradeOptions = DegradeOptions(),
) -> DegradedSurface:
    """A generated-looking copy of a clean body surface (module docstring).

    Args:
        mesh: the clean surface (metres).
        part_labels: (V,) indices into `BODY_PARTS` (thin clothing on bare parts,
            no holes on hands), or None.
        rng: the random generator.
        options: displacement, remeshing, noise and holes.

    Returns:
        `DegradedSurface`.
    """
    vertices = mesh.vertices.astype(np.float64)
    tm = trimesh.Trimesh(vertices, mesh.faces, process=False)
    normals = np.asarray(tm.vertex_normals, np.float64)
    thickness = rng.uniform(*options.clothing_cm) / 100.0
    amount = thickness * (0.6 + 0.4 * _smooth_field(vertices, rng))
    if part_labels is not None:
        bare = np.isin(np.asarray(part_labels), _BARE_PARTS)
        amount[bare] *= options.bare_fraction
    displaced = vertices + normals * amount[:, None]
    faces = np.asarray(mesh.faces, np.int64)
    if options.target_faces is not None:
        sub_v, sub_f = trimesh.remesh.subdivide(displaced, faces)
        reduction = 1.0 - options.target_faces / len(sub_f)
        if reduction > 0:
            displaced, faces = fast_simplification.simplify(sub_v, sub_f, target_reduction=reduction)
        else:
            displaced, faces = sub_v, sub_f
    new = trimesh.Trimesh(displaced, faces, process=False)
    new_normals = np.asarray(new.vertex_normals, np.float64)
    displaced = np.asarray(new.vertices) + new_normals * rng.normal(0.0, options.noise_cm / 100.0, (len(new.vertices), 1))
    faces = np.asarray(new.faces, np.int64)
    _, source = cKDTree(vertices).query(displaced)
    if options.holes > 0:
        centres = displaced[faces].mean(axis=1)
        allowed = np.ones(len(faces), bool)
        if part_labels is not None:
            allowed = ~np.isin(np.asarray(part_labels)[source[faces[:, 0]]], _HANDS)
        keep = np.ones(len(faces), bool)
        for _ in range(options.holes):
            centre = centres[rng.choice(np.flatnonzero(allowed))]
            radius = rng.uniform(*options.hole_radius_cm) / 100.0
            keep &= np.linalg.norm(centres - centre, axis=1) > radius
        faces = faces[keep]
        used = np.unique(faces)
        remap = np.full(len(displaced), -1, np.int64)
        remap[used] = np.arange(len(used))
        displaced, faces, source = displaced[used], remap[faces], source[used]
    colors = None if mesh.colors is None else mesh.colors[source]
    out = Mesh(displaced, faces, colors=colors, name=mesh.name)
    return DegradedSurface(out, source.astype(np.int64), thickness * 100.0)


@dataclass(frozen=True)
class MaskCorruption:
    """How clean masks are made to look like a real segmenter's.

    Attributes:
        morph_px: largest erosion / dilation radius, pixels (each mask draws
            one radius in [-morph_px, morph_px]; negative erodes).
        blobs: blobs per frame, each a disc of the foreground given to the
            other label.
        blob_radius_px: range of the blob radii, pixels.
        missed: frames in which one label is missed entirely (empty, score 0).
        score_range: range of the confidences of the other masks.
    """

    morph_px: int = 3
    blobs: int = 2
    blob_radius_px: tuple[int, int] = (4, 12)
    missed: int = 1
    score_range: tuple[float, float] = (0.6, 1.0)


def _disc(radius: int) -> np.ndarray:
    r = max(int(radius), 1)
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    return x * x + y * y <= r * r


def corrupt_masks(masks: ViewMasks, rng: np.random.Generator, options: MaskCorruption = MaskCorruption()) -> ViewMasks:
    """Corrupted copies of two-label masks (module docstring).

    Args:
        masks: clean masks with exactly two labels (person, object).
        rng: the random generator.
        options: the corruptions.

    Returns:
        New `ViewMasks` (same labels, backend name suffixed "+corrupted").
    """
    if len(masks.labels) != 2:
        raise InputError(f"corrupt_masks needs two labels (person, object), got {masks.labels}")
    out = masks.masks.copy()
    scores = rng.uniform(*options.score_range, size=masks.scores.shape).astype(np.float32)
    scores[masks.scores <= 0] = 0.0
    n, _, h, w = out.shape
    for v in range(n):
        for li in range(2):
            radius = int(rng.integers(-options.morph_px, options.morph_px + 1))
            if radius > 0:
                out[v, li] = scipy.ndimage.binary_dilation(out[v, li], _disc(radius))
            elif radius < 0:
                out[v, li] = scipy.ndimage.binary_erosion(out[v, li], _disc(-radius))
        foreground = np.argwhere(masks.masks[v].any(axis=0))
        for _ in range(options.blobs if len(foreground) else 0):
            cy, cx = foreground[rng.integers(len(foreground))]
            r = int(rng.integers(options.blob_radius_px[0], options.blob_radius_px[1] + 1))
            y, x = np.ogrid[:h, :w]
            disc = (y - cy) ** 2 + (x - cx) ** 2 <= r * r
            src = 0 if masks.masks[v, 0, cy, cx] else 1  # the blob's true label goes to the other one
            out[v, 1 - src] |= disc & masks.masks[v, src]
            out[v, src] &= ~disc
    for v in rng.choice(n, size=min(options.missed, n), replace=False):
        li = int(rng.integers(2))
        out[v, li] = False
        scores[v, li] = 0.0
    return ViewMasks(list(masks.labels), out, scores, masks.backend + "+corrupted")
