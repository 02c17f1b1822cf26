"""Contact-sheet previews: four ray-cast views, tinted, contacts marked."""

from __future__ import annotations

import io

import numpy as np
import pytest
import trimesh
from hoiexport.batch.preview import (
    CONTACT_COLOR,
    HUMAN_TINT,
    OBJECT_TINT,
    PreviewOptions,
    contact_sheet,
    png_bytes,
)
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import (
    BodyFit,
    Contact,
    ContactConfig,
    HOIAsset,
    Mesh,
    Penetration,
    Prompt,
    Provenance,
    Skeleton,
)
from PIL import Image


@pytest.fixture(scope="module")
def asset() -> HOIAsset:
    """A 1.7 m capsule "person" at the origin and a 0.7 m wide box in front of it
    (+Z) touching it, with one contact marked on the box's front face (z = 0.6)."""
    body = trimesh.creation.capsule(height=1.3, radius=0.2, count=[16, 16])
    body.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))  # axis Z → Y
    body.apply_translation([0.0, 0.85, 0.0])
    box = trimesh.creation.box((0.7, 0.4, 0.4))
    box.apply_translation([0.0, 0.9, 0.4])  # its back face (z = 0.2) touches the capsule's front
    human = Mesh(body.vertices, body.faces, name="human")
    obj = Mesh(box.vertices, box.faces, name="object")
    skeleton = Skeleton(["pelvis"], np.array([-1]), np.eye(4, dtype=np.float32)[None])
    fit = BodyFit("test", {}, skeleton, human, np.ones((len(human.vertices), 1), np.float32),
                  np.zeros(len(human.vertices), np.int8))
    contact = Contact("torso_front", "pelvis", [0.0, 0.9, 0.6], [0.0, 0.9, 0.6], [0.0, 0.0, 1.0], 0.0, 0.01)
    return HOIAsset(Prompt("a capsule hugging a box", requested_config=ContactConfig.OTHER), human, obj, fit,
                    [contact], ContactConfig.OTHER, Penetration(), Provenance("test"))


def _near(img: np.ndarray, rgb, tol: float = 40.0) -> np.ndarray:
    """Pixels whose hue matches `rgb` up to shading (colour direction close)."""
    a = img.astype(np.float64)
    c = np.asarray(rgb, np.float64)
    cos = (a @ c) / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(c), 1e-9)
    return (cos > 0.995) & (np.linalg.norm(a, axis=-1) > tol)


def test_sheet_has_four_tinted_views_and_marks_the_contact(asset):
    opts = PreviewOptions(size=128, supersample=2)
    img = contact_sheet(asset, opts)
    assert img.dtype == np.uint8 and img.shape[1] == 256 and img.shape[0] > 256 and img.shape[2] == 3
    views = [img[r:r + 128, c:c + 128] for r in (0, 128) for c in (0, 128)]  # front, left, back, right
    for view in views:
        assert _near(view, HUMAN_TINT).sum() > 100
        assert _near(view, OBJECT_TINT).sum() > 100
    red = [(np.abs(v.astype(int) - CONTACT_COLOR).sum(axis=-1) < 60) for v in views]
    # the contact sits on the box's front face: seen from the front (a filled dot),
    # hidden from the back (a ring: no red at its centre)
    front, back = red[0], red[2]
    assert front.sum() > 0 and back.sum() > 0
    ys, xs = np.nonzero(front)
    cy, cx = round(ys.mean()), round(xs.mean())
    assert front[cy, cx]
    ys, xs = np.nonzero(back)
    assert not back[round(ys.mean()), round(xs.mean())]
    # the front view looks at the box in front of the person: orange at the dot
    assert _near(views[0][cy - 8:cy + 9, cx - 8:cx + 9], OBJECT_TINT).sum() > 20


def test_png_round_trip_and_option_checks(asset):
    img = contact_sheet(asset, PreviewOptions(size=64, supersample=1, columns=4))
    assert img.shape[1] == 256
    back = np.asarray(Image.open(io.BytesIO(png_bytes(img))))
    assert np.array_equal(back, img)
    with pytest.raises(InputError, match="preview size"):
        PreviewOptions(size=10)
    with pytest.raises(InputError, match="supersample"):
        PreviewOptions(supersample=8)
