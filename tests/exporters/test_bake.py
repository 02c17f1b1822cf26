"""Export stage 3: baking the source appearance into a new atlas (`hoiexport.exporters.bake`).

Errors are measured independently of the bake code: random points on the target
surface, the baked texture sampled at their target uv (bilinear) against the
source appearance at the closest source point (trimesh's exact closest point).
Colours are compared as sRGB code values (0..255), mean absolute error per channel.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import scipy.ndimage
import trimesh
from PIL import Image

from hoiexport.exporters.bake import bake, bake_base_color, encode_png
from hoiexport.exporters.options import BakeOptions, PrepareOptions, UVOptions
from hoiexport.sdk.geometry.prepare import prepare_mesh
from hoiexport.sdk.geometry.uv import rasterize_uv, unwrap_atlas
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import Mesh, Texture

SIZE = 512
UV_OPTS = UVOptions(resolution=SIZE, padding=4)


def _latlong_sphere(nx: int = 48, ny: int = 24, radius: float = 0.5) -> Mesh:
    """Sphere with equirectangular uv (seam column duplicated) and a checker texture.

    The texture: 8×8 checks of two colours plus a horizontal green gradient, 256².
    """
    lon = np.linspace(0, 2 * np.pi, nx + 1)
    lat = np.linspace(0, np.pi, ny + 1)
    lon_g, lat_g = np.meshgrid(lon, lat)
    pos = (
        np.stack([np.sin(lat_g) * np.cos(lon_g), np.cos(lat_g), -np.sin(lat_g) * np.sin(lon_g)], -1)
        * radius
    )
    uvs = np.stack([lon_g / (2 * np.pi), lat_g / np.pi], -1)
    idx = np.arange((ny + 1) * (nx + 1)).reshape(ny + 1, nx + 1)
    a, b, c, d = idx[:-1, :-1], idx[:-1, 1:], idx[1:, :-1], idx[1:, 1:]
    f1 = np.stack([a, c, b], -1)[1:].reshape(-1, 3)  # skip zero-area triangles at the poles
    f2 = np.stack([b, c, d], -1)[:-1].reshape(-1, 3)
    faces = np.concatenate([f1, f2])
    tex = 256
    yy, xx = np.mgrid[0:tex, 0:tex]
    check = ((xx * 8 // tex) + (yy * 8 // tex)) % 2
    img = np.zeros((tex, tex, 3), np.uint8)
    img[..., 0] = np.where(check, 220, 30)
    img[..., 1] = (40 + 180 * xx / tex).astype(np.uint8)
    img[..., 2] = np.where(check, 60, 200)
    return Mesh(
        pos.reshape(-1, 3), faces, uv=uvs.reshape(-1, 2), texture=Texture(img), name="globe"
    )


def _sample(image: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Bilinear sample (clamped) of an (H, W, 3) uint8 image at uv (N, 2), as float."""
    h, w = image.shape[:2]
    x = np.clip(uv[:, 0] * w - 0.5, 0, w - 1)
    y = np.clip(uv[:, 1] * h - 0.5, 0, h - 1)
    x0 = np.minimum(np.floor(x).astype(int), w - 2)
    y0 = np.minimum(np.floor(y).astype(int), h - 2)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    img = image.astype(np.float64)
    top = img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx
    bot = img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bot * fy


def _surface_points(mesh: Mesh, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n random points on `mesh`: positions (n, 3) and their uv on `mesh` (n, 2)."""
    tm = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    pts, fid = trimesh.sample.sample_surface(tm, n, seed=seed)
    bary = trimesh.triangles.points_to_barycentric(tm.triangles[fid], pts)
    return pts, np.einsum("nk,nkd->nd", bary, mesh.uv[mesh.faces[fid]])


def _source_color(source: Mesh, points: np.ndarray) -> np.ndarray:
    """(n, 3) float source appearance at the closest source point (trimesh, exact)."""
    tm = trimesh.Trimesh(source.vertices, source.faces, process=False)
    closest, _, fid = trimesh.proximity.closest_point(tm, points)
    bary = trimesh.triangles.points_to_barycentric(tm.triangles[fid], closest)
    if source.texture is not None:
        uv = np.einsum("nk,nkd->nd", bary, source.uv[source.faces[fid]])
        return _sample(source.texture.image, uv)
    return np.einsum("nk,nkd->nd", bary, source.colors[source.faces[fid]].astype(np.float64))


@pytest.fixture(scope="module")
def globe() -> Mesh:
    return _latlong_sphere()


@pytest.fixture(scope="module")
def same_topology(globe):
    """Globe prepared (no decimation) and unwrapped into a new atlas."""
    prepared = prepare_mesh(globe, 40_000, PrepareOptions())
    atlas = unwrap_atlas(prepared.mesh, UV_OPTS)
    return prepared, atlas.mesh


@pytest.fixture(scope="module")
def decimated(globe):
    """Globe decimated to 600 faces and unwrapped: its bake must search the source."""
    prepared = prepare_mesh(globe, 600, PrepareOptions())
    atlas = unwrap_atlas(prepared.mesh, UV_OPTS)
    return prepared, atlas.mesh


def test_checker_rebake_same_topology(same_topology):
    prepared, target = same_topology
    result = bake(prepared.source, target, BakeOptions(size=SIZE), prepared.source_face)
    assert result.path == "same_topology" and result.appearance == "texture"
    img = result.texture.image
    assert img.shape == (SIZE, SIZE, 3) and img.dtype == np.uint8
    pts, uv = _surface_points(target, 4000)
    err = np.abs(_sample(img, uv) - _source_color(prepared.source, pts))
    # Bound: 3 code values mean (measured ~1.5). Both textures are bilinearly
    # resampled, so the checker's hard edges cost a little; a flipped v costs ~70.
    assert err.mean() < 3.0, err.mean()
    # Without `source_face` the same topology is detected from the corners.
    auto = bake(prepared.source, target, BakeOptions(size=SIZE))
    assert auto.path == "same_topology"
    np.testing.assert_array_equal(auto.texture.image, img)


def test_checker_rebake_onto_decimated_mesh(decimated):
    prepared, target = decimated
    result = bake(prepared.source, target, BakeOptions(size=SIZE))
    assert result.path == "closest_point"
    # The decimated surface lies within a few mm of the source.
    assert 0 < result.max_distance_m < 0.02
    pts, uv = _surface_points(target, 4000, seed=1)
    err = np.abs(_sample(result.texture.image, uv) - _source_color(prepared.source, pts))
    # Bound: 3 code values mean (measured ~1.3): the closest source point carries
    # the source colour whatever the coarser target triangles look like.
    assert err.mean() < 3.0, err.mean()


def test_vertex_color_bake(same_topology):
    prepared, target = same_topology
    v = prepared.source.vertices
    colors = np.clip((v / 0.5 * 0.5 + 0.5) * 255, 0, 255).astype(np.uint8)
    source = Mesh(v, prepared.source.faces, colors=colors, name="painted")
    pts, uv = _surface_points(target, 4000, seed=2)
    ref = _source_color(source, pts)  # barycentric blend of sRGB values
    srgb = bake(source, target, BakeOptions(size=SIZE, linear_blend=False))
    assert srgb.appearance == "vertex_colors"
    assert np.abs(_sample(srgb.texture.image, uv) - ref).mean() < 1.0  # measured ~0.2
    # Blending in linear light differs from the sRGB blend only slightly on a
    # smooth gradient (mean below 3 code values), but it does differ.
    linear = bake(source, target, BakeOptions(size=SIZE))
    diff = np.abs(_sample(linear.texture.image, uv) - ref).mean()
    assert 0.0 < diff < 3.0


def test_linear_light_blend_of_black_and_white():
    # A quad: left edge black, right edge white; the middle column is a 50 % blend.
    v = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=np.float32)
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float32)
    f = np.array([[0, 1, 2], [0, 2, 3]])
    col = np.array([[0, 0, 0], [255, 255, 255], [255, 255, 255], [0, 0, 0]], dtype=np.uint8)
    mesh = Mesh(v, f, uv=uv, colors=col)
    mid = SIZE // 2  # texel centre at u = 0.5 + 0.5 / SIZE
    lin = bake_base_color(mesh, mesh, BakeOptions(size=SIZE)).image[SIZE // 2, mid]
    srgb_opts = BakeOptions(size=SIZE, linear_blend=False)
    raw = bake_base_color(mesh, mesh, srgb_opts).image[SIZE // 2, mid]
    assert abs(int(lin[0]) - 188) <= 2  # sRGB encoding of linear 0.5
    assert abs(int(raw[0]) - 128) <= 2


def test_gutter_copies_chart_colours(same_topology):
    prepared, target = same_topology
    img = bake_base_color(prepared.source, target, BakeOptions(size=SIZE, gutter_px=8)).image
    r = rasterize_uv(target.uv, target.faces, SIZE, SIZE)
    covered = np.zeros(SIZE * SIZE, bool)
    covered[r.texel] = True
    covered = covered.reshape(SIZE, SIZE)
    ring = scipy.ndimage.binary_dilation(covered, np.ones((3, 3), bool)) & ~covered
    assert ring.sum() > 100
    # The checker has no black; no gutter texel next to a chart is black...
    assert (img[ring].max(axis=1) > 0).all()
    # ...each one copies the colour of an adjacent chart texel.
    match = np.zeros_like(ring)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            nb_cov = np.roll(covered, (dy, dx), axis=(0, 1))
            nb_img = np.roll(img, (dy, dx), axis=(0, 1))
            match |= nb_cov & (nb_img == img).all(axis=2)
    assert match[ring].all()


def _mip(image: np.ndarray, factor: int) -> np.ndarray:
    """Box-filtered mip level (how engines build mip-maps), uint8."""
    h, w, c = image.shape
    blocks = image.reshape(h // factor, factor, w // factor, factor, c).astype(np.float64)
    return np.round(blocks.mean(axis=(1, 3))).astype(np.uint8)


def test_mip_maps_do_not_bleed_across_seams(same_topology):
    """Sample a 4× smaller mip level at surface points next to chart borders."""
    prepared, target = same_topology
    v = prepared.source.vertices
    # A smooth source so the 4× blur itself costs little; only bleeding shows.
    colors = np.clip((v / 0.5 * 0.35 + 0.5) * 255, 0, 255).astype(np.uint8)
    source = Mesh(v, prepared.source.faces, colors=colors, name="smooth")
    pts, uv = _surface_points(target, 20000, seed=3)
    r = rasterize_uv(target.uv, target.faces, SIZE, SIZE)
    covered = np.zeros(SIZE * SIZE, bool)
    covered[r.texel] = True
    covered = covered.reshape(SIZE, SIZE)
    near_edge = scipy.ndimage.binary_dilation(~covered, np.ones((9, 9), bool))
    px = np.clip((uv * SIZE).astype(int), 0, SIZE - 1)
    seam = near_edge[px[:, 1], px[:, 0]]
    assert seam.sum() > 500
    ref = _source_color(source, pts[seam])

    def seam_error(gutter: int) -> float:
        img = bake_base_color(source, target, BakeOptions(size=SIZE, gutter_px=gutter)).image
        return float(np.abs(_sample(_mip(img, 4), uv[seam]) - ref).mean())

    with_gutter = seam_error(8)
    without = seam_error(0)
    # Measured: ~0.25 with an 8-texel gutter, ~8 without (mean-colour background;
    # a black background would cost ~23).
    assert with_gutter < 1.0, with_gutter
    assert with_gutter < 0.2 * without, (with_gutter, without)


def test_encode_png_round_trip(same_topology):
    prepared, target = same_topology
    tex = bake_base_color(prepared.source, target, BakeOptions(size=SIZE))
    data = encode_png(tex)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    back = np.asarray(Image.open(io.BytesIO(data)))
    np.testing.assert_array_equal(back, tex.image)
    with pytest.raises(InputError, match="compress_level"):
        encode_png(tex, compress_level=12)


def test_errors(same_topology, globe):
    prepared, target = same_topology
    with pytest.raises(InputError, match="size"):
        BakeOptions(size=256)
    with pytest.raises(InputError, match="size"):
        BakeOptions(size=8192)
    with pytest.raises(InputError, match="no uv"):
        bake(prepared.source, Mesh(target.vertices, target.faces), BakeOptions(size=SIZE))
    with pytest.raises(InputError, match="neither a texture nor vertex colours"):
        bake(Mesh(globe.vertices, globe.faces), target, BakeOptions(size=SIZE))
    with pytest.raises(InputError, match="source_face"):
        bake(prepared.source, target, BakeOptions(size=SIZE), source_face=np.zeros(3, int))
    wrong = np.roll(prepared.source_face, 1)
    with pytest.raises(InputError, match="same corners"):
        bake(prepared.source, target, BakeOptions(size=SIZE), source_face=wrong)


def test_threads_do_not_change_the_texture(same_topology, decimated):
    for prepared, target in (same_topology, decimated):
        one = bake(prepared.source, target, BakeOptions(size=SIZE, workers=1)).texture.image
        three = bake(prepared.source, target, BakeOptions(size=SIZE, workers=3)).texture.image
        np.testing.assert_array_equal(one, three)
    with pytest.raises(InputError, match="workers"):
        BakeOptions(workers=0)


def test_gutter_texels_copy_a_nearest_chart_texel(same_topology):
    """Every texel within `gutter_px` of a chart (by scipy's chessboard distance
    transform) carries the colour of a chart texel at exactly that distance."""
    prepared, target = same_topology
    gutter = 6
    img = bake_base_color(prepared.source, target, BakeOptions(size=SIZE, gutter_px=gutter)).image
    r = rasterize_uv(target.uv, target.faces, SIZE, SIZE)
    covered = np.zeros(SIZE * SIZE, bool)
    covered[r.texel] = True
    covered = covered.reshape(SIZE, SIZE)
    dist = scipy.ndimage.distance_transform_cdt(~covered, metric="chessboard")
    ys, xs = np.nonzero((dist >= 1) & (dist <= gutter))
    assert len(ys) > 1000
    rng = np.random.default_rng(0)
    for i in rng.choice(len(ys), 300, replace=False):
        y, x, d = ys[i], xs[i], dist[ys[i], xs[i]]
        y0, y1, x0, x1 = max(y - d, 0), y + d + 1, max(x - d, 0), x + d + 1
        ring = covered[y0:y1, x0:x1]  # chart texels within distance d (none is nearer)
        assert (img[y0:y1, x0:x1][ring] == img[y, x]).all(axis=1).any(), (y, x, d)
    # Beyond the gutter: one background colour, the mean chart colour.
    far = img[dist > gutter]
    assert len(far) and (far == far[0]).all()
