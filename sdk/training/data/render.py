"""The images of a training sample: 4 orthogonal appearance renders and the 3
training views, rendered from the sample's meshes by the geometry layer's ray
caster (`sdk.geometry.orbit`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hoiexport.sdk.bundle.files import png_bytes
from hoiexport.sdk.core.cache import atomic_write_bytes
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import HOIAsset, Mesh
from hoiexport.sdk.generators.hoi3dgen.views import VIEW_AZIMUTH_DEG, VIEWS
from hoiexport.sdk.generators.lift.load import merge_meshes
from hoiexport.sdk.geometry.orbit import OrbitOptions, render_orbit
from hoiexport.sdk.training.data.sample import APPEARANCE_YAWS

APPEARANCE_DIR = "appearance"
VIEWS_DIR = "views"


@dataclass(frozen=True)
class RenderOptions:
    """How the sample images are rendered.

    Attributes:
        resolution: image edge, pixels (SANA fine-tunes at 1024; 512 keeps
            synthesis fast and is upsampled by the trainer's resize).
        appearance_resolution: edge of the 4 appearance renders, pixels.
        pitch_deg: camera elevation of every image, degrees (positive looks down).
        fov_deg: field of view, degrees.
        margin: distance factor over the framing distance of the bounding sphere.
    """

    resolution: int = 512
    appearance_resolution: int = 384
    pitch_deg: float = 5.0
    fov_deg: float = 40.0
    margin: float = 1.05

    def __post_init__(self) -> None:
        for name in ("resolution", "appearance_resolution"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 32 <= value <= 4096:
                raise InputError(f"RenderOptions.{name} must be an integer in [32, 4096] pixels, got {value!r}")

    def orbit(self, yaws: tuple[float, ...], resolution: int) -> OrbitOptions:
        return OrbitOptions(views=len(yaws), yaws_deg=yaws, pitch_deg=self.pitch_deg, fov_deg=self.fov_deg,
                            resolution=resolution, margin=self.margin, background=(255, 255, 255))


def scene_mesh(asset: HOIAsset) -> Mesh:
    """Human and object as one mesh (internal frame, metres), colours kept."""
    return merge_meshes([asset.human, asset.object], name="scene")


def render_images(mesh: Mesh, folder: str | Path, options: RenderOptions = RenderOptions(),
                  appearance: bool = True) -> tuple[dict[str, str], dict[str, str]]:
    """Render and write a sample's images into `folder`.

    Args:
        mesh: the combined human + object surface, internal frame (+Y up, the
            character facing +Z), metres, with vertex colours or a texture.
        folder: the sample folder; images go to `appearance/<name>.png` and
            `views/<view>.png`.
        options: resolutions and camera.
        appearance: False skips the appearance renders (imported frames bring
            their own photographs).

    Returns:
        (appearance name → relative path, view name → relative path).
    """
    folder = Path(folder)
    written_a: dict[str, str] = {}
    if appearance:
        names = tuple(APPEARANCE_YAWS)
        shots = render_orbit(mesh, options.orbit(tuple(APPEARANCE_YAWS[n] for n in names),
                                                 options.appearance_resolution))
        for name, rgb in zip(names, shots.rgb):
            rel = f"{APPEARANCE_DIR}/{name}.png"
            atomic_write_bytes(folder / rel, png_bytes(rgb))
            written_a[name] = rel
    shots = render_orbit(mesh, options.orbit(tuple(VIEW_AZIMUTH_DEG[v] for v in VIEWS), options.resolution))
    written_v: dict[str, str] = {}
    for name, rgb in zip(VIEWS, shots.rgb):
        rel = f"{VIEWS_DIR}/{name}.png"
        atomic_write_bytes(folder / rel, png_bytes(rgb))
        written_v[name] = rel
    return written_a, written_v
