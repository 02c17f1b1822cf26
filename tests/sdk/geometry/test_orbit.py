"""Orbit rendering: cameras, depth, face ids and colours against analytic answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import trimesh
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.geometry.orbit import (
    OrbitOptions,
    look_at_camera,
    orbit_cameras,
    render_orbit,
)
from hoiexport.sdk.core.types import Mesh, Texture


@pytest.fixture(scope="module")
def cube() -> Mesh:
    box = trimesh.creation.box((1.0, 1.0, 1.0))
    colors = np.tile(np.array([200, 40, 40], np.uint8), (len(box.vertices), 1))
    return Mesh(box.vertices, box.faces, colors=colors, name="cube")


def test_shapes_dtypes_and_camera_layout(cube):
    opts = OrbitOptions(views=4, resolution=48, pitch_deg=0.0)
    r = render_orbit(cube, opts)
    assert r.rgb.shape == (4, 48, 48, 3) and r.rgb.dtype == np.uint8
    assert r.depth.shape == (4, 48, 48) and r.depth.dtype == np.float32
    assert r.face_ids.shape == (4, 48, 48) and r.face_ids.dtype == np.int32
    assert r.face_ids.max() < len(cube.faces) and (r.face_ids >= 0).any()
    assert np.isinf(r.depth[r.face_ids < 0]).all() and np.isfinite(r.depth[r.face_ids >= 0]).all()
    # yaw evenly spaced, cameras equidistant from the bounding-box centre, looking at it
    yaws = [c.yaw_deg for c in r.cameras]
    assert yaws == pytest.approx([0.0, 90.0, 180.0, 270.0])
    dists = [np.linalg.norm(c.position) for c in r.cameras]
    assert np.ptp(dists) < 1e-9
    for c in r.cameras:
        assert c.forward @ (-c.position / np.linalg.norm(c.position)) == pytest.approx(1.0)
        assert np.allclose(c.rotation @ c.rotation.T, np.eye(3))
    # yaw 0 sits on +Z (in front of a character facing +Z)
    assert r.cameras[0].position[2] > 0 and abs(r.cameras[0].position[0]) < 1e-9


def test_depth_and_face_ids_are_exact_at_the_centre(cube):
    r = render_orbit(cube, OrbitOptions(views=4, resolution=49, pitch_deg=0.0))
    for cam, depth, ids in zip(r.cameras, r.depth, r.face_ids, strict=True):
        d = float(np.linalg.norm(cam.position))
        assert depth[24, 24] == pytest.approx(d - 0.5, abs=1e-5)  # the cube's face is 0.5 m from its centre
        normal = trimesh.Trimesh(cube.vertices, cube.faces, process=False).face_normals[ids[24, 24]]
        assert normal @ (-cam.forward) == pytest.approx(1.0)  # the face seen faces the camera


def test_projection_round_trips_the_rays(cube):
    cam = look_at_camera(np.zeros(3), 3.0, 30.0, 20.0, 40.0, 32)
    origins, dirs = cam.pixel_rays()
    points = origins + 2.5 * dirs
    pixels, depth = cam.project(points)
    rows, cols = np.mgrid[0:32, 0:32]
    assert np.allclose(pixels[:, 0], cols.ravel() + 0.5, atol=1e-6)
    assert np.allclose(pixels[:, 1], rows.ravel() + 0.5, atol=1e-6)
    assert (depth > 0).all()
    # field of view: the corner rays are 20° off axis horizontally and vertically
    k = cam.intrinsics
    assert math.degrees(2 * math.atan(0.5 * cam.width / k[0, 0])) == pytest.approx(40.0)


def test_colours_follow_the_texture(cube):
    quad = Mesh(
        vertices=[[-0.5, -0.5, 0.0], [0.5, -0.5, 0.0], [0.5, 0.5, 0.0], [-0.5, 0.5, 0.0]],
        faces=[[0, 1, 2], [0, 2, 3]],
        uv=[[0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]],  # glTF: v = 0 is the image top
        texture=Texture(np.concatenate([np.full((8, 16, 3), (255, 0, 0), np.uint8),
                                        np.full((8, 16, 3), (0, 0, 255), np.uint8)])),
        name="quad",
    )
    r = render_orbit(quad, OrbitOptions(views=1, resolution=40, pitch_deg=0.0, ambient=1.0))
    img, ids = r.rgb[0], r.face_ids[0]
    rows = np.flatnonzero((ids >= 0).any(axis=1))
    top, bottom = img[rows[2], 20], img[rows[-3], 20]
    assert tuple(top) == (255, 0, 0) and tuple(bottom) == (0, 0, 255)  # image top = world +Y


def test_save_writes_frames_cameras_and_buffers(cube, tmp_path):
    r = render_orbit(cube, OrbitOptions(views=2, resolution=16))
    masks = np.stack([r.face_ids >= 0, r.face_ids < 0], axis=1)
    written = r.save(tmp_path, masks, ["person", "object"])
    assert (tmp_path / "view_00.png").is_file() and (tmp_path / "view_01_object.png").is_file()
    cams = json.loads((tmp_path / "cameras.json").read_text())
    assert len(cams) == 2 and np.allclose(cams[1]["world_to_camera"], r.cameras[1].world_to_camera)
    data = np.load(tmp_path / "orbit.npz")
    assert np.array_equal(data["face_ids"], r.face_ids)
    assert len(written) == 2 + 4 + 2


def test_cameras_frame_the_whole_mesh(cube):
    for cam in orbit_cameras(cube, OrbitOptions(views=3, pitch_deg=40.0, resolution=64)):
        pixels, depth = cam.project(cube.vertices)
        assert (depth > 0).all() and (pixels >= 0).all() and (pixels <= 64).all()


def test_bad_options_are_rejected():
    with pytest.raises(InputError, match="views"):
        OrbitOptions(views=0)
    with pytest.raises(InputError, match="fov_deg"):
        OrbitOptions(fov_deg=0.1)
    with pytest.raises(InputError, match="no triangles"):
        render_orbit(Mesh(np.zeros((3, 3)), np.zeros((0, 3))), OrbitOptions(views=1, resolution=8))


def test_extent_distance_places_cameras_at_a_multiple_of_the_largest_extent():
    """The release's orbit: scene normalised to extent 1, cameras at radius 2 → 2 × the largest extent."""
    box = trimesh.creation.box((0.5, 1.6, 0.4))
    box.vertices += np.array([0.3, 0.8, -0.1])
    mesh = Mesh(box.vertices, box.faces, name="tall")
    cams = orbit_cameras(mesh, OrbitOptions(views=8, pitch_deg=0.0, extent_distance=2.0))
    centre = np.array([0.3, 0.8, -0.1])
    assert [np.linalg.norm(c.position - centre) for c in cams] == pytest.approx([3.2] * 8)
    # every camera still sees the whole box at FOV 40°
    views = render_orbit(mesh, OrbitOptions(views=8, pitch_deg=0.0, resolution=64, extent_distance=2.0))
    hit = views.face_ids >= 0
    assert hit.any(axis=(1, 2)).all()
    assert not hit[:, 0, :].any() and not hit[:, -1, :].any()
    with pytest.raises(InputError, match="extent_distance"):
        OrbitOptions(extent_distance=0.1)
