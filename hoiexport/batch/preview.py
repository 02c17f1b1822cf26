"""Contact-sheet previews: four views of an asset, rendered on the CPU.

The views come from the orbit renderer (`hoiexport.sdk.geometry.orbit.render_orbit`:
pinhole cameras, Embree ray casting through trimesh, Lambert headlight shading)
applied to the human and the object as one mesh, the human tinted blue and the
object orange. Each view is rendered at `supersample` times its size and
box-filtered down. Every measured contact is marked with a red dot, filled where
the contact point is visible from that view, a ring where something hides it.

Views (internal frame: +Y up, metres, the character faces +Z): front (camera on
+Z), the character's left (+X), back, right (−X), 15° above the horizon. A
footer states the requested and measured contact configuration.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import HOIAsset, Mesh

HUMAN_TINT = (120, 160, 215)
"""sRGB colour of the human in previews."""
OBJECT_TINT = (235, 150, 55)
"""sRGB colour of the object in previews."""
BACKGROUND = (244, 244, 246)
CONTACT_COLOR = (220, 30, 40)
VIEW_NAMES = ("front", "left", "back", "right")
"""Names of the orbit's four views (yaw 0°, 90°, 180°, 270°)."""
VISIBLE_TOLERANCE_M = 0.03
"""A contact at most this far behind the surface a pixel sees still counts as visible."""


@dataclass(frozen=True)
class PreviewOptions:
    """How a contact sheet is rendered.

    Attributes:
        size: edge of one view in the sheet, pixels (64..1024).
        supersample: render at `size * supersample` and box-filter down (1..4).
        columns: views per row of the sheet.
        pitch_deg: camera elevation, degrees (positive looks down).
    """

    size: int = 256
    supersample: int = 2
    columns: int = 2
    pitch_deg: float = 15.0

    def __post_init__(self) -> None:
        if not isinstance(self.size, int) or not 64 <= self.size <= 1024:
            raise InputError(f"preview size must be an integer in [64, 1024] pixels, got {self.size!r}")
        if not isinstance(self.supersample, int) or not 1 <= self.supersample <= 4:
            raise InputError(f"preview supersample must be an integer in [1, 4], got {self.supersample!r}")
        if not isinstance(self.columns, int) or self.columns < 1:
            raise InputError(f"preview columns must be an integer >= 1, got {self.columns!r}")


def tinted_scene(asset: HOIAsset) -> Mesh:
    """Human + object as one `Mesh`, vertex-coloured `HUMAN_TINT` / `OBJECT_TINT`.

    Returns:
        Vertices (Vh + Vo, 3) float32 metres (human first), faces int32.
    """
    h, o = asset.human, asset.object
    colors = np.concatenate([np.tile(np.array(HUMAN_TINT, np.uint8), (len(h.vertices), 1)),
                             np.tile(np.array(OBJECT_TINT, np.uint8), (len(o.vertices), 1))])
    return Mesh(np.concatenate([h.vertices, o.vertices]), np.concatenate([h.faces, o.faces + len(h.vertices)]),
                colors=colors, name="preview")


def contact_sheet(asset: HOIAsset, options: PreviewOptions | None = None) -> np.ndarray:
    """The asset's contact sheet (module docstring).

    Args:
        asset: the asset; meshes in the internal frame (+Y up, metres).
        options: view size, supersampling, layout.

    Returns:
        (rows * size + footer, columns * size, 3) uint8 sRGB image, 2 × 2 views
        by default.
    """
    from hoiexport.sdk.geometry.orbit import OrbitOptions, render_orbit
    from PIL import Image, ImageDraw, ImageFont

    options = options or PreviewOptions()
    size, ss, cols = options.size, options.supersample, options.columns
    orbit = render_orbit(tinted_scene(asset), OrbitOptions(
        views=len(VIEW_NAMES), pitch_deg=options.pitch_deg, resolution=size * ss, background=BACKGROUND))
    rows = -(-orbit.num_views // cols)
    text_px = max(10, size // 20)
    footer = text_px + 8
    sheet = Image.new("RGB", (cols * size, rows * size + footer), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=text_px)
    points = np.array([(np.asarray(c.point_human) + np.asarray(c.point_object)) / 2.0 for c in asset.contacts])
    radius = max(3, size // 50)
    for k, (name, camera) in enumerate(zip(VIEW_NAMES, orbit.cameras, strict=True)):
        frame = orbit.rgb[k].astype(np.float32).reshape(size, ss, size, ss, 3).mean(axis=(1, 3))
        ox, oy = (k % cols) * size, (k // cols) * size
        sheet.paste(Image.fromarray(np.round(frame).astype(np.uint8)), (ox, oy))
        if len(points):
            pixels, depths = camera.project(points)
            for (col, row), depth in zip(pixels, depths, strict=True):
                if not (0 <= col < size * ss and 0 <= row < size * ss):
                    continue
                surface = float(orbit.depth[k, int(row), int(col)])
                visible = not np.isfinite(surface) or depth <= surface + VISIBLE_TOLERANCE_M
                x, y = ox + col / ss, oy + row / ss
                box = (x - radius, y - radius, x + radius, y + radius)
                if visible:
                    draw.ellipse(box, fill=CONTACT_COLOR, outline=(255, 255, 255), width=1)
                else:
                    draw.ellipse(box, outline=CONTACT_COLOR, width=2)
        draw.text((ox + 4, oy + 3), name, fill=(60, 60, 70), font=font)
        draw.rectangle((ox, oy, ox + size - 1, oy + size - 1), outline=(210, 210, 215))
    requested = asset.prompt.requested_config.value if asset.prompt.requested_config else "-"
    caption = f"requested {requested} | measured {asset.contact_config.value} | {len(asset.contacts)} contact(s)"
    draw.text((4, rows * size + 4), caption, fill=(40, 40, 50), font=font)
    return np.asarray(sheet)


def png_bytes(image: np.ndarray) -> bytes:
    """PNG encoding of an (H, W, 3|4) uint8 image."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()
