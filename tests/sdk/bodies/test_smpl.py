"""SMPL backend on a synthetic SMPL file (real keys and shapes, random values), and the
restricted unpickler that reads `.pkl` model files."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import smplx
import torch
from smplx.utils import Struct

from hoiexport.sdk.bodies import BodyParams, load_body_model
from hoiexport.sdk.bodies.protocol import BodyModel
from hoiexport.sdk.bodies.safe_pickle import UnsafePickleError, load_array_pickle
from hoiexport.sdk.bodies.smpl_body import SMPLBody, find_smpl_file, load_smpl_data
from hoiexport.sdk.core.errors import InputError, ModelUnavailableError
from hoiexport.sdk.core.skeleton import SMPL_PARENTS
from hoiexport.sdk.core.types import BODY_PARTS, BodyFit
from tests.builders.smpl import N_FACES, N_VERTS, synthetic_smpl

@pytest.fixture(scope="module")
def smpl_raw() -> dict:
    return synthetic_smpl()


@pytest.fixture(scope="module")
def smpl_dirs(smpl_raw, tmp_path_factory) -> dict[str, Path]:
    """One folder with SMPL_NEUTRAL.npz, one with smpl/SMPL_NEUTRAL.pkl (smplx's layout)."""
    npz_dir = tmp_path_factory.mktemp("smpl_npz")
    arrays = {k: v for k, v in smpl_raw.items() if isinstance(v, np.ndarray)}
    np.savez(npz_dir / "SMPL_NEUTRAL.npz", J_regressor=smpl_raw["J_regressor"].toarray(), **arrays)
    pkl_dir = tmp_path_factory.mktemp("smpl_pkl")
    (pkl_dir / "smpl").mkdir()
    with open(pkl_dir / "smpl" / "SMPL_NEUTRAL.pkl", "wb") as f:
        pickle.dump(smpl_raw, f, protocol=2)
    return {"npz": npz_dir, "pkl": pkl_dir}


@pytest.fixture(scope="module")
def body(smpl_dirs) -> SMPLBody:
    return load_body_model("smpl", smpl_dir=smpl_dirs["npz"])


def test_npz_and_pkl_load_the_same_arrays(smpl_dirs, smpl_raw):
    a = load_smpl_data(find_smpl_file(smpl_dirs["npz"]))
    b = load_smpl_data(find_smpl_file(smpl_dirs["pkl"]))
    assert find_smpl_file(smpl_dirs["pkl"]).name == "SMPL_NEUTRAL.pkl"
    for field in ("v_template", "faces", "shapedirs", "posedirs", "j_regressor", "weights", "parents"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    assert a.v_template.shape == (N_VERTS, 3) and a.faces.shape == (N_FACES, 3) and a.faces.dtype == np.int32
    np.testing.assert_array_equal(a.parents, SMPL_PARENTS)
    np.testing.assert_allclose(a.j_regressor, smpl_raw["J_regressor"].toarray(), rtol=1e-6)


def test_registry_caches_and_exposes_a_body_model(body, smpl_dirs, monkeypatch):
    assert isinstance(body, BodyModel) and body.name == "smpl"
    assert load_body_model("smpl", smpl_dir=smpl_dirs["npz"]) is body
    monkeypatch.setenv("HOIEXPORT_SMPL_DIR", str(smpl_dirs["npz"]))
    assert load_body_model("smpl") is body
    w = body.skin_weights
    assert w.shape == (N_VERTS, 24)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-6)
    labels = body.part_labels
    assert labels.shape == (N_VERTS,) and labels.min() >= 0 and labels.max() < len(BODY_PARTS)
    with pytest.raises(InputError, match="unknown body model"):
        load_body_model("smplx")


@pytest.mark.parametrize("source", ["npz", "pkl"])
def test_forward_matches_smplx(body, smpl_raw, smpl_dirs, source):
    model = SMPLBody.from_dir(smpl_dirs[source])
    reference = smplx.SMPL(model_path="", data_struct=Struct(**smpl_raw), num_betas=10)
    gen = torch.Generator().manual_seed(1)
    pose = 0.4 * torch.randn(3, 24, 3, generator=gen)
    betas = torch.randn(3, 10, generator=gen)
    transl = torch.randn(3, 3, generator=gen)
    ours = model.forward(pose, {"betas": betas}, transl)
    with torch.no_grad():
        ref = reference(betas=betas, global_orient=pose[:, 0], body_pose=pose[:, 1:].reshape(3, -1), transl=transl)
    torch.testing.assert_close(ours.vertices, ref.vertices, atol=1e-5, rtol=0)
    torch.testing.assert_close(ours.joints, ref.joints[:, :24], atol=1e-5, rtol=0)


def test_pose_convention_and_transforms(body):
    rest = body.forward(torch.zeros(1, 24, 3))
    torch.testing.assert_close(rest.joints, rest.rest_joints)
    torch.testing.assert_close(rest.joint_transforms[0, :, :3, :3], torch.eye(3).expand(24, 3, 3))
    # rotating the left knee moves only its descendants' joints, about the knee
    pose = torch.zeros(1, 24, 3)
    pose[0, 4, 0] = 1.0
    bent = body.forward(pose)
    moved = (bent.joints - rest.joints).norm(dim=-1)[0] > 1e-6
    assert moved.nonzero().flatten().tolist() == [7, 10]  # left_ankle, left_foot
    torch.testing.assert_close(bent.joints[0, 4], rest.joints[0, 4])
    torch.testing.assert_close(
        (bent.joints[0, 7] - bent.joints[0, 4]).norm(), (rest.joints[0, 7] - rest.joints[0, 4]).norm()
    )


def test_forward_is_differentiable(body):
    pose = (0.2 * torch.randn(2, 24, 3)).requires_grad_()
    betas = torch.zeros(2, 10, requires_grad=True)
    out = body.forward(pose, {"betas": betas}, torch.zeros(2, 3), torch.tensor([1.0, 1.5]))
    out.vertices.square().sum().backward()
    assert torch.isfinite(pose.grad).all() and pose.grad.abs().sum() > 0
    assert torch.isfinite(betas.grad).all() and betas.grad.abs().sum() > 0


def test_fit_and_betas_validation(body):
    fit = body.fit(BodyParams(shape={"betas": [0.5, -0.5]}, transl=np.array([0, 1, 0], np.float32)))
    assert isinstance(fit, BodyFit) and fit.model == "smpl"
    assert fit.mesh.vertices.shape == (N_VERTS, 3) and fit.skin_weights.shape == (N_VERTS, 24)
    assert fit.params["betas"][:3] == [0.5, -0.5, 0.0] and len(fit.params["betas"]) == 10
    again = body.fit(BodyParams.from_json(fit.params))
    np.testing.assert_allclose(again.mesh.vertices, fit.mesh.vertices, atol=1e-6)
    with pytest.raises(InputError, match="up to 10 floats"):
        body.forward(torch.zeros(1, 24, 3), {"betas": np.zeros(11)})
    with pytest.raises(InputError, match="unknown SMPL shape key"):
        body.forward(torch.zeros(1, 24, 3), {"gender": 0.5})


def test_missing_model_explains_the_fix(tmp_path, monkeypatch):
    with pytest.raises(ModelUnavailableError) as err:
        load_body_model("smpl", smpl_dir=tmp_path)
    msg = str(err.value)
    for needle in (str(tmp_path), "SMPL_NEUTRAL.npz", "SMPL_NEUTRAL.pkl", "HOIEXPORT_SMPL_DIR", "--smpl-dir",
                   "smpl.is.tue.mpg.de", "licensed"):
        assert needle in msg
    monkeypatch.delenv("HOIEXPORT_SMPL_DIR", raising=False)
    with pytest.raises(ModelUnavailableError, match="HOIEXPORT_SMPL_DIR is not set"):
        load_body_model("smpl")


def test_bad_model_files_name_the_array(tmp_path, smpl_raw):
    bad = dict(smpl_raw)
    bad["posedirs"] = bad["posedirs"][:, :, :10]
    with open(tmp_path / "SMPL_NEUTRAL.pkl", "wb") as f:
        pickle.dump(bad, f, protocol=2)
    with pytest.raises(ModelUnavailableError, match=r"posedirs must have shape \(6890, 3, 207\)"):
        SMPLBody.from_dir(tmp_path)
    np.savez(tmp_path / "obj.npz", v_template=np.zeros((3, 3)))
    with pytest.raises(ModelUnavailableError, match=r"lacks SMPL array\(s\) \['f', 'shapedirs'"):
        load_smpl_data(tmp_path / "obj.npz")
    others = ("v_template", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table")
    tiny = {k: np.zeros((2, 3)) for k in others}
    np.savez(tmp_path / "pickled.npz", f=np.array([[object(), 1, 2]], dtype=object), **tiny)
    with pytest.raises(ModelUnavailableError, match="pickled objects"):
        load_smpl_data(tmp_path / "pickled.npz")


# --- restricted unpickler ------------------------------------------------------------


def test_safe_pickle_reads_arrays_sparse_and_containers(tmp_path):
    value = {
        "a": np.arange(6, dtype=np.float64).reshape(2, 3),
        "s": scipy.sparse.csr_matrix(np.eye(3)),
        "c": scipy.sparse.csc_matrix(np.eye(2)),
        "n": np.int64(3),
        "t": ("x", 1.5, [1, 2]),
    }
    for protocol in (0, 2, 4, 5):
        path = tmp_path / f"p{protocol}.pkl"
        path.write_bytes(pickle.dumps(value, protocol=protocol))
        got = load_array_pickle(path)
        np.testing.assert_array_equal(got["a"], value["a"])
        np.testing.assert_array_equal(got["s"].toarray(), np.eye(3))
        np.testing.assert_array_equal(got["c"].toarray(), np.eye(2))
        assert got["n"] == 3 and got["t"] == ("x", 1.5, [1, 2])


def test_safe_pickle_rejects_os_system_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    # protocol-0 pickle calling os.system("touch pwned") on load
    payload = b"cos\nsystem\n(S'touch pwned'\ntR."
    (tmp_path / "SMPL_NEUTRAL.pkl").write_bytes(payload)
    with pytest.raises(UnsafePickleError, match=r"'os\.system'"):
        load_array_pickle(tmp_path / "SMPL_NEUTRAL.pkl")
    with pytest.raises(ModelUnavailableError, match=r"'os\.system'"):
        load_body_model("smpl", smpl_dir=tmp_path)
    assert not marker.exists()


def test_safe_pickle_rejects_reduce_payloads_and_names_chumpy(tmp_path):
    class Evil:
        def __reduce__(self):
            return (eval, ("1 + 1",))

    (tmp_path / "evil.pkl").write_bytes(pickle.dumps({"v_template": Evil()}, protocol=2))
    with pytest.raises(UnsafePickleError, match=r"'(__builtin__|builtins)\.eval'"):
        load_array_pickle(tmp_path / "evil.pkl")
    (tmp_path / "ch.pkl").write_bytes(b"cchumpy.ch\nCh\n(tR.")
    with pytest.raises(UnsafePickleError, match="clean_ch"):
        load_array_pickle(tmp_path / "ch.pkl")
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle")
    with pytest.raises(ModelUnavailableError, match="not a readable model pickle"):
        load_array_pickle(tmp_path / "junk.pkl")


def test_beta_shape_space(body):
    from hoiexport.sdk.bodies.protocol import ShapeSpace

    space = body.shape_space
    assert isinstance(space, ShapeSpace) and space.size == 10 and space.names[0] == "beta_0"
    assert space.bounds is None and space.prior_centre == "default"
    np.testing.assert_array_equal(space.default, np.zeros(10))
    values = space.vector({"betas": [0.5, -0.25]})
    np.testing.assert_array_equal(values, [0.5, -0.25] + [0.0] * 8)
    assert space.to_json(values) == {"betas": [0.5, -0.25] + [0.0] * 8}
    np.testing.assert_array_equal(space.vector(space.to_json(values)), values)
    with pytest.raises(InputError, match="up to 10 floats"):
        space.vector({"betas": np.zeros(11)})
    big = torch.tensor([5.0, -5.0])
    assert torch.equal(space.clamp(big, 1e-3), big)  # unbounded
    batch = torch.as_tensor(np.stack([values, space.default])).requires_grad_(True)
    rest_v, rest_j = space.rest(batch)
    with torch.no_grad():
        ref = body.forward(torch.zeros(1, 24, 3), {"betas": values.tolist()})
    torch.testing.assert_close(rest_v[0], ref.vertices[0])
    torch.testing.assert_close(rest_j[0], ref.rest_joints[0])
    rest_v.sum().backward()
    assert torch.isfinite(batch.grad).all() and batch.grad.abs().sum() > 0
