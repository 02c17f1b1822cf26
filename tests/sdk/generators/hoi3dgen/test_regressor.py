"""Body regressor stage (`hoiexport.sdk.generators.hoi3dgen.regressor`, `camerahmr_net`) on a tiny
random-weight CameraHMR (tests/builders/regressor.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.builders.regressor import TINY_CONFIG, tiny_camerahmr_net, tiny_regressor, write_camerahmr
from hoiexport.sdk.bodies import BodyParams
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.generators.hoi3dgen.camerahmr_net import (
    CameraHMRConfig,
    CameraHMRNet,
    infer_config,
    rot6d_to_matrix,
)
from hoiexport.sdk.generators.hoi3dgen.regressor import (
    CHECKPOINT_FILE,
    MEAN_PARAMS_FILE,
    SMPL_TPOSE_DIRECTIONS,
    CameraHMRRegressor,
    RegressorEstimator,
    RegressorEstimatorOptions,
    camera_to_world_rotation,
    facing_yaw_deg,
    rest_corrections,
    transfer_pose,
)
from hoiexport.sdk.generators.hoi3dgen.runtime import Runtime
from hoiexport.sdk.generators.lift.estimate import (
    BodyEstimator,
    EstimatorOptions,
    PointCloudEstimator,
)
from hoiexport.sdk.geometry.orbit import look_at_camera
from hoiexport.sdk.core.skeleton import JOINT_INDEX, SMPL_PARENTS
from hoiexport.sdk.core.types import Mesh
from scipy.spatial.transform import Rotation

BOX = np.array([6.0, 4.0, 34.0, 46.0])


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime(device="cpu")


@pytest.fixture(scope="module")
def regressor(runtime: Runtime) -> CameraHMRRegressor:
    return tiny_regressor(runtime)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (50, 40, 3), dtype=np.uint8)


def _is_rotation(r: np.ndarray, tol: float = 1e-5) -> bool:
    eye = np.broadcast_to(np.eye(3), r.shape)
    return bool(np.allclose(r @ np.swapaxes(r, -1, -2), eye, atol=tol)
                and np.allclose(np.linalg.det(r), 1.0, atol=tol))


# ----------------------------------------------------------------------------- network


def test_full_config_has_the_released_key_layout() -> None:
    with torch.device("meta"):
        net = CameraHMRNet(CameraHMRConfig())
    sd = net.state_dict()
    shapes = {
        "backbone.patch_embed.proj.weight": (1280, 3, 16, 16),
        "backbone.pos_embed": (1, 193, 1280),
        "backbone.blocks.31.attn.qkv.weight": (3840, 1280),
        "backbone.blocks.31.mlp.fc1.weight": (5120, 1280),
        "backbone.last_norm.weight": (1280,),
        "smpl_head.init_body_pose": (1, 144),
        "smpl_head.init_betas": (1, 10),
        "smpl_head.init_cam": (1, 3),
        "smpl_head.transformer.to_token_embedding.weight": (1024, 160),
        "smpl_head.transformer.pos_embedding": (1, 1, 1024),
        "smpl_head.transformer.transformer.layers.5.0.fn.to_qkv.weight": (1536, 1024),
        "smpl_head.transformer.transformer.layers.5.0.fn.to_out.0.weight": (1024, 512),
        "smpl_head.transformer.transformer.layers.5.1.fn.to_kv.weight": (1024, 1280),
        "smpl_head.transformer.transformer.layers.5.1.fn.to_q.weight": (512, 1024),
        "smpl_head.transformer.transformer.layers.5.2.fn.net.3.weight": (1024, 1024),
        "smpl_head.decpose.weight": (144, 1024),
        "smpl_head.deckp.weight": (88, 1024),
    }
    for key, shape in shapes.items():
        assert tuple(sd[key].shape) == shape, key
    assert "backbone.blocks.32.norm1.weight" not in sd
    assert all(k.startswith(("backbone.", "smpl_head.")) for k in sd)
    params = sum(p.numel() for p in net.parameters())
    assert 660e6 < params < 680e6  # ViT-H 632 M + head 38 M


def test_config_rejects_inconsistent_sizes() -> None:
    with pytest.raises(InputError, match="backbone_width"):
        CameraHMRConfig(crop_size=32, backbone_width=40)
    with pytest.raises(InputError, match="multiples of patch_size"):
        CameraHMRConfig(crop_size=36, backbone_width=24, patch_size=8)


def test_rot6d_gives_rotations() -> None:
    x = torch.randn(100, 6, generator=torch.Generator().manual_seed(1))
    r = rot6d_to_matrix(x).numpy().astype(np.float64)
    assert r.shape == (100, 3, 3) and _is_rotation(r)
    # the first two columns span the two input vectors (Gram-Schmidt)
    a1 = x[:, :3].numpy()
    assert np.allclose(r[:, :, 0], a1 / np.linalg.norm(a1, axis=1, keepdims=True), atol=1e-5)
    flip = rot6d_to_matrix(torch.tensor([1.0, 0.0, 0.0, 0.0, -1.0, 0.0])).numpy()
    assert np.allclose(flip, np.diag([1.0, -1.0, -1.0]))


def test_predict_shapes_and_values(regressor: CameraHMRRegressor, image: np.ndarray) -> None:
    out = regressor.predict(image, BOX, focal=60.0)
    assert out.pose.shape == (24, 3) and out.pose.dtype == np.float32
    assert out.rotations.shape == (24, 3, 3) and _is_rotation(out.rotations.astype(np.float64))
    assert np.allclose(Rotation.from_rotvec(out.pose).as_matrix(), out.rotations, atol=1e-5)
    assert out.betas.shape == (10,) and out.betas.dtype == np.float32
    assert out.camera_translation.shape == (3,) and np.isfinite(out.camera_translation).all()
    assert out.camera_translation[2] > 0
    assert out.focal == 60.0 and out.box_size == 42.0 and np.allclose(out.box_center, [20.0, 25.0])
    # the translation projects where the weak-perspective camera puts the origin in the crop
    s, tx, ty = out.weak_camera
    t = out.camera_translation
    u = 60.0 * t[0] / t[2] + 40 / 2.0
    v = 60.0 * t[1] / t[2] + 50 / 2.0
    assert np.allclose([u, v], out.box_center + np.array([s * tx, s * ty]) * out.box_size / 2.0, atol=1e-3)
    # tiny weights stay near the mean parameters: upright, facing the camera (OpenCV axes)
    assert np.allclose(out.rotations[0], np.diag([1.0, -1.0, -1.0]), atol=0.1)


def test_predict_is_deterministic_and_depends_on_the_image(regressor: CameraHMRRegressor, image: np.ndarray) -> None:
    a = regressor.predict(image, BOX)
    b = regressor.predict(image.copy(), BOX.copy())
    assert np.array_equal(a.pose, b.pose) and np.array_equal(a.betas, b.betas)
    assert np.array_equal(a.camera_translation, b.camera_translation)
    assert a.focal == pytest.approx(np.hypot(40, 50))  # CLIFF's default focal length
    c = regressor.predict(255 - image, BOX)
    assert not np.array_equal(a.pose, c.pose)
    whole = regressor.predict(image)  # box None: the whole image
    assert whole.box_size == 50.0 and np.allclose(whole.box_center, [20.0, 25.0])


def test_preprocess_crop_and_normalisation(regressor: CameraHMRRegressor) -> None:
    rng = np.random.default_rng(2)
    square = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    mean = np.array([0.485, 0.456, 0.406]) * 255.0
    std = np.array([0.229, 0.224, 0.225]) * 255.0
    # a box equal to the image, at the network's crop size, samples every pixel centre exactly
    crop = regressor.preprocess(square, np.array([16.0, 16.0]), 32.0)[0].numpy()
    expected = (square.astype(np.float64) - mean) / std
    assert crop.shape == (3, 32, 32)
    assert np.allclose(crop, expected.transpose(2, 0, 1), atol=1e-5)
    # a box twice as large: the image fills the centre half, black (0) around it
    crop = regressor.preprocess(square, np.array([16.0, 16.0]), 64.0)[0].numpy()
    assert np.allclose(crop[:, 0, 0], -mean / std, atol=1e-5)
    assert np.allclose(crop[:, 16, 16], (square[16, 16] - mean) / std, atol=1e-5)
    # a box twice as small: a 2x zoom on the centre
    crop = regressor.preprocess(square, np.array([16.0, 16.0]), 16.0)[0].numpy()
    assert np.allclose(crop[:, 16, 16], (square[16, 16] - mean) / std, atol=1e-5)
    assert np.allclose(crop[:, 18, 18], (square[17, 17] - mean) / std, atol=1e-5)


@pytest.mark.parametrize(
    ("image", "box", "focal", "match"),
    [
        (np.zeros((20, 20, 3), np.float32), None, None, "uint8"),
        (np.zeros((20, 20, 4), np.uint8), None, None, r"\(H, W, 3\)"),
        (np.zeros((20, 20), np.uint8), None, None, r"\(H, W, 3\)"),
        ([[0]], None, None, "numpy array"),
        (np.zeros((20, 20, 3), np.uint8), np.array([5.0, 5.0, 5.0, 10.0]), None, "x1 > x0"),
        (np.zeros((20, 20, 3), np.uint8), np.array([0.0, 0.0, np.nan, 10.0]), None, "finite"),
        (np.zeros((20, 20, 3), np.uint8), np.array([0.0, 0.0, 10.0]), None, "4 finite numbers"),
        (np.zeros((20, 20, 3), np.uint8), None, 0.0, "focal"),
        (np.zeros((20, 20, 3), np.uint8), None, float("inf"), "focal"),
    ],
)
def test_predict_rejects_bad_input(regressor: CameraHMRRegressor, image, box, focal, match: str) -> None:
    with pytest.raises(InputError, match=match):
        regressor.predict(image, box, focal=focal)


# ----------------------------------------------------------------------------- checkpoints


def _lightning_checkpoint(net: CameraHMRNet, path, *, drop: tuple[str, ...] = (), extra: dict | None = None) -> None:
    """A Lightning-style .ckpt as the released one is laid out: the LightningModule's
    attributes (`backbone.`, `smpl_head.`, plus training-only ones) under 'state_dict'."""
    sd = {k: v.clone() for k, v in net.state_dict().items() if k not in drop}
    sd["cam_model.fc1.weight"] = torch.randn(8, 4)  # FLNet, held by the training module
    sd["smpl.faces_tensor"] = torch.zeros(4, 3, dtype=torch.long)
    sd.update(extra or {})
    torch.save({"state_dict": sd, "epoch": 3, "global_step": 1200, "pytorch-lightning_version": "2.1.0"}, path)


def test_checkpoint_round_trip(tmp_path, runtime: Runtime, regressor: CameraHMRRegressor, image: np.ndarray) -> None:
    _lightning_checkpoint(regressor.net, tmp_path / CHECKPOINT_FILE)
    for path in (tmp_path, tmp_path / CHECKPOINT_FILE):
        loaded = CameraHMRRegressor.from_pretrained(path, runtime, config=TINY_CONFIG)
        a, b = regressor.predict(image, BOX), loaded.predict(image, BOX)
        assert np.array_equal(a.pose, b.pose) and np.array_equal(a.betas, b.betas)
        assert np.array_equal(a.camera_translation, b.camera_translation)


def test_checkpoint_with_a_model_prefix(tmp_path, runtime: Runtime, regressor: CameraHMRRegressor,
                                        image: np.ndarray) -> None:
    sd = {f"model.{k}": v for k, v in regressor.net.state_dict().items()}
    torch.save({"state_dict": sd}, tmp_path / CHECKPOINT_FILE)
    loaded = CameraHMRRegressor.from_pretrained(tmp_path, runtime, config=TINY_CONFIG)
    assert np.array_equal(regressor.predict(image, BOX).pose, loaded.predict(image, BOX).pose)


def test_missing_mean_buffers_come_from_the_npz(tmp_path, runtime: Runtime, image: np.ndarray) -> None:
    net = tiny_camerahmr_net(seed=3)
    buffers = ("smpl_head.init_body_pose", "smpl_head.init_betas", "smpl_head.init_cam")
    _lightning_checkpoint(net, tmp_path / CHECKPOINT_FILE, drop=buffers)
    with pytest.raises(InputError, match=MEAN_PARAMS_FILE):
        CameraHMRRegressor.from_pretrained(tmp_path, runtime, config=TINY_CONFIG)
    head = net.smpl_head
    np.savez(tmp_path / MEAN_PARAMS_FILE, pose=head.init_body_pose[0].numpy(), shape=head.init_betas[0].numpy(),
             cam=head.init_cam[0].numpy())
    loaded = CameraHMRRegressor.from_pretrained(tmp_path, runtime, config=TINY_CONFIG)
    assert np.array_equal(CameraHMRRegressor(net, runtime).predict(image, BOX).pose, loaded.predict(image, BOX).pose)


def test_bad_checkpoints_name_the_keys(tmp_path, runtime: Runtime, regressor: CameraHMRRegressor) -> None:
    file = tmp_path / CHECKPOINT_FILE
    _lightning_checkpoint(regressor.net, file, drop=("smpl_head.decpose.weight",))
    with pytest.raises(InputError, match=r"missing smpl_head\.decpose\.weight"):
        CameraHMRRegressor.from_pretrained(file, runtime, config=TINY_CONFIG)
    _lightning_checkpoint(regressor.net, file, extra={"backbone.blocks.7.norm1.weight": torch.ones(80)})
    with pytest.raises(InputError, match=r"unexpected backbone\.blocks\.7\.norm1\.weight"):
        CameraHMRRegressor.from_pretrained(file, runtime, config=TINY_CONFIG)
    _lightning_checkpoint(regressor.net, file)
    with pytest.raises(InputError, match=r"missing backbone\.blocks\.10\..*wrong shape "
                       r"backbone\.blocks\.0\.attn\.proj\.bias \(80,\) \(expected \(1280,\)\).*config with its sizes"):
        CameraHMRRegressor.from_pretrained(file, runtime, config=CameraHMRConfig())  # the released sizes
    torch.save({"state_dict": {"fc3.weight": torch.zeros(2, 4)}}, file)  # an FLNet checkpoint
    with pytest.raises(InputError, match="holds no CameraHMR weights"):
        CameraHMRRegressor.from_pretrained(file, runtime, config=TINY_CONFIG)
    torch.save({"weights": {}}, file)
    with pytest.raises(InputError, match="no key 'state_dict'"):
        CameraHMRRegressor.from_pretrained(file, runtime, config=TINY_CONFIG)


def test_lock_entry_loads_through_the_resolver(tmp_path, runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
                                              image: np.ndarray) -> None:
    """Lock entry "camerahmr" in its released layout under a fake $HOIEXPORT_MODELS:
    resolved by the lock, sizes read from the checkpoint, one regression."""
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path))
    folder = write_camerahmr(tmp_path, seed=5)
    assert folder == tmp_path / "camerahmr" and (folder / CHECKPOINT_FILE).is_file()
    loaded = CameraHMRRegressor.from_pretrained(None, runtime)
    assert loaded.config == TINY_CONFIG
    direct = CameraHMRRegressor(tiny_camerahmr_net(seed=5), runtime)
    a, b = direct.predict(image, BOX, focal=60.0), loaded.predict(image, BOX, focal=60.0)
    assert np.array_equal(a.pose, b.pose) and np.array_equal(a.betas, b.betas)
    assert np.array_equal(a.camera_translation, b.camera_translation)


@pytest.mark.parametrize("config", [TINY_CONFIG, CameraHMRConfig()], ids=["tiny", "released"])
def test_sizes_are_read_back_from_the_tensor_shapes(config: CameraHMRConfig) -> None:
    with torch.device("meta"):
        net = CameraHMRNet(config)
    assert infer_config(net.state_dict()) == config


def test_sizes_outside_the_released_conventions_ask_for_a_config() -> None:
    odd = CameraHMRConfig(crop_size=32, backbone_width=24, patch_size=8, embed_dim=32, depth=1, num_heads=2,
                          decoder_dim=32, decoder_depth=1, decoder_heads=2, decoder_dim_head=16, decoder_mlp_dim=64)
    with torch.device("meta"):
        sd = CameraHMRNet(odd).state_dict()
    with pytest.raises(InputError, match=r"ViT width 32 .*pass CameraHMRConfig"):
        infer_config(sd)
    del sd["backbone.pos_embed"]
    with pytest.raises(InputError, match="no backbone.pos_embed"):
        infer_config(sd)


def test_missing_weights(tmp_path, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelUnavailableError, match=CHECKPOINT_FILE):
        CameraHMRRegressor.from_pretrained(tmp_path, runtime)
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path / "models"))
    with pytest.raises(ModelUnavailableError, match="camerahmr"):
        CameraHMRRegressor.from_pretrained(None, runtime)


# ----------------------------------------------------------------------------- frames and rest poses


def test_camera_frame_to_internal_frame() -> None:
    front = look_at_camera(np.zeros(3), 3.0, 0.0, 0.0, 40.0, 64)
    upright = np.diag([1.0, -1.0, -1.0])  # SMPL up = camera -y, facing = camera -z
    assert np.allclose(camera_to_world_rotation(upright, front), np.eye(3))
    assert facing_yaw_deg(np.eye(3)) == pytest.approx(0.0)
    # a body facing a camera that sits at yaw 90 (on +X) faces +X
    side = look_at_camera(np.zeros(3), 3.0, 90.0, 10.0, 40.0, 64)
    world = camera_to_world_rotation(upright, side)
    assert _is_rotation(world)
    assert facing_yaw_deg(world) == pytest.approx(90.0, abs=1e-6)
    # a body turned 30° to its left (about +Y) in the world, seen by the front camera
    turned = Rotation.from_euler("y", 30, degrees=True).as_matrix()
    assert np.allclose(camera_to_world_rotation(front.rotation @ turned, front), turned)


def test_transfer_to_anny_points_bones_like_smpl(anny) -> None:
    with torch.no_grad():
        rest = anny.forward(torch.zeros(1, 24, 3)).rest_joints[0].double().numpy()
    corrections = rest_corrections(rest)
    rng = np.random.default_rng(4)
    local = Rotation.from_rotvec(rng.normal(scale=0.4, size=(24, 3))).as_matrix()
    world = np.zeros_like(local)
    for j in range(24):
        world[j] = local[j] if SMPL_PARENTS[j] < 0 else world[SMPL_PARENTS[j]] @ local[j]
    pose = transfer_pose(local, corrections)
    assert pose.shape == (24, 3) and pose.dtype == np.float32
    with torch.no_grad():
        joints = anny.forward(torch.as_tensor(pose)[None]).joints[0].double().numpy()
    children = {"shoulder": "elbow", "elbow": "wrist", "wrist": "hand"}
    for joint, target in SMPL_TPOSE_DIRECTIONS.items():
        side, part = joint.split("_")
        j, c = JOINT_INDEX[joint], JOINT_INDEX[f"{side}_{children[part]}"]
        bone = joints[c] - joints[j]
        assert np.dot(bone / np.linalg.norm(bone), world[j] @ np.asarray(target)) > 0.9999, joint
    assert np.allclose(Rotation.from_rotvec(pose[0]).as_matrix(), local[0], atol=1e-5)  # root unchanged
    # SMPL's zero pose (its T-pose) gives Anny horizontal arms
    with torch.no_grad():
        joints = anny.forward(torch.as_tensor(transfer_pose(np.tile(np.eye(3), (24, 1, 1)), corrections))[None])
    arm = joints.joints[0, JOINT_INDEX["left_wrist"]] - joints.joints[0, JOINT_INDEX["left_shoulder"]]
    assert float(arm[0]) > 0.99 * float(arm.norm())
    # without corrections (SMPL itself) the transfer is the identity
    assert np.allclose(Rotation.from_rotvec(transfer_pose(local, None)).as_matrix(), local, atol=1e-5)


# ----------------------------------------------------------------------------- estimator


@pytest.fixture(scope="module")
def human(anny) -> Mesh:
    """A real Anny surface at another scale and place, in its A-pose."""
    mesh = anny.fit(BodyParams()).mesh
    return Mesh(mesh.vertices * 0.6 + np.array([0.3, 1.0, -0.2], np.float32), mesh.faces, name="human")


def test_estimator_returns_placed_anny_params(anny, human: Mesh, runtime: Runtime) -> None:
    options = RegressorEstimatorOptions(resolution=64, samples=600, fallback=False)
    est = RegressorEstimator(tiny_regressor(runtime), options)
    assert isinstance(est, BodyEstimator)
    hypotheses = est.estimate(human, anny)
    assert len(hypotheses) == len(est.last_views) == 1  # faces the camera: no second view
    params = hypotheses[0]
    assert params.pose.shape == (24, 3) and np.isfinite(params.pose).all()
    assert anny.phenotype(params.shape)  # a valid Anny shape
    assert 0.3 < params.scale < 1.0
    view = est.last_views[0]
    assert view.output.box_size > 0 and view.camera.width == 64
    up = Rotation.from_rotvec(params.pose[0]).as_matrix()[:, 1]
    assert up[1] > 0.95  # upright in the internal frame
    with torch.no_grad():
        verts = anny.forward(torch.as_tensor(params.pose)[None], params.shape,
                             torch.as_tensor(params.transl)[None], params.scale).vertices[0].numpy()
    height = np.ptp(human.vertices[:, 1])
    assert np.linalg.norm(verts.mean(axis=0) - human.vertices.mean(axis=0)) < 0.1 * height
    assert abs(np.ptp(verts[:, 1]) - height) < 0.2 * height
    # same input, same hypotheses
    again = est.estimate(human, anny)[0]
    assert np.array_equal(again.pose, params.pose) and np.array_equal(again.transl, params.transl)


def test_estimator_orientation_only_and_fallback(anny, human: Mesh, runtime: Runtime) -> None:
    fallback = PointCloudEstimator(EstimatorOptions(samples=300, body_points=150, yaw_steps=2, descent_starts=1,
                                                    descent_passes=1, hypotheses=2))
    options = RegressorEstimatorOptions(resolution=64, samples=600, transfer="orientation")
    est = RegressorEstimator(tiny_regressor(runtime), options, fallback=fallback)
    hypotheses = est.estimate(human, anny)
    assert len(hypotheses) == len(est.last_views) + 2
    assert np.allclose(hypotheses[0].pose[1:], 0.0)  # Anny's rest pose below the root
    # the rest pose matches the A-posed surface: the scale is recovered closely
    assert hypotheses[0].scale == pytest.approx(0.6, rel=0.03)


def _facing_regressor(runtime: Runtime, yaw_deg: float) -> CameraHMRRegressor:
    """The tiny CameraHMR with its pose read-out zeroed and its mean global
    orientation set to a body facing `yaw_deg` (about +Y) away from the camera: it
    predicts that orientation in every camera."""
    net = tiny_camerahmr_net(seed=2)
    go = np.diag([1.0, -1.0, -1.0]) @ Rotation.from_euler("y", yaw_deg, degrees=True).as_matrix()
    with torch.no_grad():
        net.smpl_head.decpose.weight.zero_()
        net.smpl_head.decpose.bias.zero_()
        net.smpl_head.init_body_pose[0, :6] = torch.tensor(np.concatenate([go[:, 0], go[:, 1]]), dtype=torch.float32)
    return CameraHMRRegressor(net, runtime)


def _view_yaw(view) -> float:
    """Yaw of the camera of a `RegressorView` (the facing of a body that faces it)."""
    return facing_yaw_deg(camera_to_world_rotation(np.diag([1.0, -1.0, -1.0]), view.camera))


@pytest.mark.parametrize(
    ("facing", "views", "second"),
    [
        (40.0, 0, 40.0),  # any yaw: re-rendered where the body faces (> refacing_deg = 30)
        (40.0, 8, 45.0),  # 8 orbit views: the nearest one
        (20.0, 8, None),  # nearest orbit view is the first one: no second regression
        (20.0, 0, None),  # within refacing_deg
        (-70.0, 8, -90.0),
    ],
)
def test_refacing_to_the_nearest_orbit_view(anny, human: Mesh, runtime: Runtime, facing, views, second) -> None:
    options = RegressorEstimatorOptions(resolution=48, samples=300, fallback=False, refacing_views=views)
    est = RegressorEstimator(_facing_regressor(runtime, facing), options)
    est.estimate(human, anny)
    first = est.last_views[-1]
    assert _view_yaw(first) == pytest.approx(0.0, abs=1e-6)
    assert facing_yaw_deg(first.orientation) == pytest.approx(facing, abs=0.5)
    if second is None:
        assert len(est.last_views) == 1
    else:
        assert len(est.last_views) == 2 and _view_yaw(est.last_views[0]) == pytest.approx(second, abs=1e-3)


def test_estimator_rejects_bad_input(anny, runtime: Runtime) -> None:
    est = RegressorEstimator(tiny_regressor(runtime), RegressorEstimatorOptions(resolution=32, fallback=False))
    with pytest.raises(InputError, match="no triangles"):
        est.estimate(Mesh(np.zeros((3, 3), np.float32), np.zeros((0, 3), np.int32), name="human"), anny)
    with pytest.raises(InputError, match="transfer"):
        RegressorEstimatorOptions(transfer="hands")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="refacing_views"):
        RegressorEstimatorOptions(refacing_views=-8)
