"""ProciGen / BEHAVE import: frames written in the datasets' layout from a compose
asset come back in the internal frame with the same contact configuration;
tampered pickles and broken meshes fail one frame with a clear line and leave
nothing behind; the walk is lazy, ordered, resumable and limited; the SMPL path
poses the user's SMPL from the frame's parameters exactly.

One compose asset and one import of the shared dataset per module (~5 s);
the SMPL test uses the synthetic SMPL file of `tests/builders/smpl.py`.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh
from scipy.spatial.transform import Rotation

from hoiexport.sdk.bodies import load_body_model
from hoiexport.sdk.bundle import load_bundle
from hoiexport.sdk.contacts import ContactOptions
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.generators.base import GenerationOptions
from hoiexport.sdk.generators.registry import get_generator
from hoiexport.sdk.prompt import resolve_prompt
from hoiexport.sdk.training.data.procigen import (
    FrameRef,
    ImportOptions,
    import_procigen,
    iter_frames,
    read_frame,
    resolve_body_fit,
)
from hoiexport.sdk.training.data.render import RenderOptions
from hoiexport.sdk.training.data.sample import ITEMS_DIR, iter_samples, read_sample
from tests.builders.procigen import (
    INTERNAL_TO_KINECT,
    tamper_pickle,
    to_kinect,
    write_compose_frame,
    write_frame,
)
from tests.builders.smpl import write_smpl

PROMPT = "A man carrying a suitcase in his right hand"
RENDER = RenderOptions(resolution=64, appearance_resolution=64)
FAST = ImportOptions(body_fit="register", render=RENDER)

PROCIGEN = "Date04_Subxx_suitcase_synzv2/0-scan0001"
BEHAVE = "Date03_Sub03_suitcase_hand/t0003.000"
BAD = ("Bad_seq/f0_system", "Bad_seq/f1_global", "Bad_seq/f2_nan", "Bad_seq/f3_nophoto")
ORDER = (*BAD, BEHAVE, PROCIGEN)
"""Every frame of the dataset fixture, in walk order ("B" < "D")."""


def _item(key: str) -> str:
    return key.replace("/", "__")


@pytest.fixture(scope="module")
def asset():
    return get_generator("compose")(resolve_prompt(PROMPT), 0, GenerationOptions())


@pytest.fixture(scope="module")
def dataset(asset, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("procigen")
    for key, style in ((PROCIGEN, "procigen"), (BEHAVE, "behave")):
        seq, frame = key.split("/")
        write_compose_frame(root, asset, seq, frame, style=style)
    (root / "Date04_Subxx_suitcase_synzv2" / "notaframe").mkdir()  # no person/: not a frame
    (root / "Date04_Subxx_suitcase_synzv2" / "info.json").write_text("{}")
    frames = {key: write_compose_frame(root, asset, *key.split("/")) for key in BAD}
    tamper_pickle(frames[BAD[0]] / "person/fit01/person_fit.pkl", "system", marker=root / "PWNED")
    tamper_pickle(frames[BAD[1]] / "suitcase/fit01/suitcase_fit.pkl", "global")
    ply = frames[BAD[2]] / "suitcase/fit01/suitcase_fit.ply"
    mesh = trimesh.load(ply, process=False)
    vertices = np.array(mesh.vertices)
    vertices[3] = np.nan
    trimesh.Trimesh(vertices, mesh.faces, process=False).export(ply)
    (frames[BAD[3]] / "k2.color.jpg").unlink()
    return root


@pytest.fixture(scope="module")
def imported(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("dataset")
    events = []
    summary = import_procigen(dataset, out, options=FAST, on_progress=events.append)
    return out, summary, events


def _shift(vertices: np.ndarray) -> np.ndarray:
    """The importer's translation in the internal frame: lowest vertex to y = 0,
    bounding-box centre to x = z = 0."""
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    return np.array([0.5 * (lo[0] + hi[0]), lo[1], 0.5 * (lo[2] + hi[2])])


# --------------------------------------------------------------------------- walking the dataset


def test_iter_frames_is_lazy_and_ordered(dataset, monkeypatch):
    listed: list[str] = []
    scandir = os.scandir

    def spy(path):
        listed.append(Path(path).name)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", spy)
    frames = iter_frames(dataset)
    assert inspect.isgenerator(frames)
    assert listed == []  # nothing is read before the first frame is asked for
    assert next(frames).key == BAD[0]
    assert listed == [dataset.name, "Bad_seq"]  # only the first sequence listed so far
    assert tuple(f.key for f in frames) == ORDER[1:]
    assert "Date04_Subxx_suitcase_synzv2" in listed


def test_missing_or_empty_root_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        next(iter_frames(tmp_path / "nope"))
    with pytest.raises(InputError, match="no frame folders"):
        import_procigen(tmp_path, tmp_path / "out", options=FAST)
    with pytest.raises(InputError, match="limit"):
        import_procigen(tmp_path, tmp_path / "out", limit=0, options=FAST)


def test_sample_ids_are_safe_folder_names(tmp_path):
    assert FrameRef(tmp_path, "Date03_Sub03_chairwood_hand", "t0003.000").sample_id == \
        "Date03_Sub03_chairwood_hand__t0003.000"
    odd = FrameRef(tmp_path, "seq one", "..frame")
    assert "/" not in odd.sample_id and " " not in odd.sample_id and not odd.sample_id.startswith(".")
    assert odd.sample_id != FrameRef(tmp_path, "seq_one", "..frame").sample_id


# --------------------------------------------------------------------------- the round trip


def test_import_counts_every_frame(imported):
    out, summary, events = imported
    assert (summary.imported, summary.skipped, summary.failed) == (2, 0, 4)
    assert summary.body_fit == "register"
    doc = summary.to_json()
    assert (doc["imported"], doc["failed"], [f["frame"] for f in doc["failures"]]) == (2, 4, list(BAD))
    assert [(e.frame, e.done) for e in events] == [(k, i + 1) for i, k in enumerate(ORDER)]
    assert [s.id for s in iter_samples(out)] == sorted(_item(k) for k in (PROCIGEN, BEHAVE))


def test_round_trip_in_the_internal_frame(asset, dataset, imported):
    out = imported[0]
    sample = read_sample(out / ITEMS_DIR / _item(PROCIGEN))
    rec = sample.record
    assert (rec.source, rec.object, rec.text, rec.action, rec.requested_config, rec.seed) == (
        "procigen", "suitcase", "", None, None, None)
    assert sample.annotation() is None
    photos = sample.appearance_paths()
    assert sorted(photos) == ["k0", "k1", "k2", "k3"]
    for name, path in photos.items():
        assert path.read_bytes() == (dataset / PROCIGEN / f"{name}.color.jpg").read_bytes()
    views = sample.view_paths()
    assert sorted(views) == ["front", "left_diagonal", "right_diagonal"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in views.values())

    bundle = load_bundle(sample.bundle)
    shift = _shift(asset.human.vertices.astype(np.float64))
    np.testing.assert_allclose(bundle.human.vertices, asset.human.vertices - shift, atol=1e-5)
    np.testing.assert_allclose(bundle.object.vertices, asset.object.vertices - shift, atol=1e-5)
    np.testing.assert_array_equal(bundle.human.faces, asset.human.faces)
    assert bundle.contact_config is asset.contact_config
    assert {c.part for c in bundle.contacts} == {c.part for c in asset.contacts}
    notes = bundle.provenance.notes
    assert (notes["source"], notes["body_fit"], bundle.body.model) == ("procigen", "register", "anny")
    assert notes["chamfer_to_human"]["chamfer_cm"] < 3.0

    origin = rec.origin
    assert origin["frame"] == PROCIGEN
    assert origin["files"]["human_params"] == f"{PROCIGEN}/person/fit01/person_fit.pkl"
    assert len(origin["params"]["human"]["pose"]) == 156
    assert origin["params"]["human"]["omitted"] == ["offsets"]
    transform = np.array(origin["transform"]["matrix"])
    np.testing.assert_allclose(transform[:3, :3], np.diag([1.0, -1.0, -1.0]))
    np.testing.assert_allclose(transform[:3, 3], np.asarray(
        [-1.0, 1.0, 1.0]) * np.asarray([0.2, 0.9, 2.6]) - shift, atol=1e-5)
    # the object's pose is carried with the meshes: its centred template is the
    # compose object centred, so in the internal frame it is unrotated, at its centre
    np.testing.assert_allclose(origin["internal"]["object_rotation"], np.eye(3), atol=1e-9)
    centre = asset.object.vertices.astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(origin["internal"]["object_trans"], centre - shift, atol=1e-5)


def test_behave_frame_reads_axis_angle_and_fit02(asset, imported):
    sample = read_sample(imported[0] / ITEMS_DIR / _item(BEHAVE))
    assert (sample.record.source, sample.record.object) == ("behave", "suitcase")
    origin = sample.record.origin
    assert origin["files"]["human_mesh"].endswith("person/fit02/person_fit.ply")
    assert "angle" in origin["params"]["object"] and "rot" not in origin["params"]["object"]
    np.testing.assert_allclose(origin["internal"]["object_rotation"], np.eye(3), atol=1e-9)
    bundle = load_bundle(sample.bundle)
    shift = _shift(asset.human.vertices.astype(np.float64))
    np.testing.assert_allclose(bundle.object.vertices, asset.object.vertices - shift, atol=1e-5)
    assert bundle.contact_config is asset.contact_config


# --------------------------------------------------------------------------- bad frames


def test_bad_frames_fail_with_one_line_and_leave_nothing(dataset, imported):
    out, summary, _ = imported
    reasons = {f.frame: f.reason for f in summary.failures}
    assert tuple(reasons) == BAD
    assert "person_fit.pkl" in reasons[BAD[0]] and "system" in reasons[BAD[0]]
    assert not (dataset / "PWNED").exists()  # the command never ran
    assert "suitcase_fit.pkl" in reasons[BAD[1]] and "collections.OrderedDict" in reasons[BAD[1]]
    assert "suitcase_fit.ply" in reasons[BAD[2]] and "NaN" in reasons[BAD[2]]
    assert "k2.color.jpg" in reasons[BAD[3]] and "missing" in reasons[BAD[3]]
    assert all("\n" not in r for r in reasons.values())
    left = sorted(p.name for p in (out / ITEMS_DIR).iterdir())
    assert left == sorted(_item(k) for k in (PROCIGEN, BEHAVE))  # no partial or temporary folders


def test_read_frame_refuses_an_unsafe_pickle(dataset):
    ref = FrameRef(dataset, *BAD[0].split("/"))
    with pytest.raises(InputError) as err:
        read_frame(ref)
    message = str(err.value)
    assert "\n" not in message and str(ref.path / "person/fit01/person_fit.pkl") in message
    assert not (dataset / "PWNED").exists()


# --------------------------------------------------------------------------- resume and limit


def test_second_run_skips_complete_samples(dataset, imported):
    out = imported[0]
    sample_json = out / ITEMS_DIR / _item(PROCIGEN) / "sample.json"
    before = sample_json.stat().st_mtime_ns
    again = import_procigen(dataset, out, options=FAST)
    assert (again.imported, again.skipped, again.failed) == (0, 2, 4)
    assert sample_json.stat().st_mtime_ns == before


def test_limit_takes_the_first_frames_in_order(dataset, tmp_path):
    events = []
    summary = import_procigen(dataset, tmp_path, limit=2, options=FAST, on_progress=events.append)
    assert (summary.imported, summary.skipped, summary.failed) == (0, 0, 2)
    assert [(e.frame, e.status, e.done) for e in events] == [(BAD[0], "failed", 1), (BAD[1], "failed", 2)]


# --------------------------------------------------------------------------- the SMPL path


def test_auto_uses_smpl_only_when_its_file_is_there(tmp_path):
    assert resolve_body_fit(ImportOptions(smpl_dir=str(tmp_path))) == "register"
    folder = write_smpl(tmp_path / "models")
    assert resolve_body_fit(ImportOptions(smpl_dir=str(folder))) == "smpl-params"
    assert resolve_body_fit(ImportOptions(body_fit="register", smpl_dir=str(folder))) == "register"


def test_smpl_params_pose_the_users_smpl_in_the_internal_frame(asset, tmp_path):
    folder = write_smpl(tmp_path / "models")
    body = load_body_model("smpl", smpl_dir=folder)
    rng = np.random.default_rng(3)
    pose = rng.normal(0.0, 0.2, (52, 3))  # rows 22-51 (hands) must not matter
    pose[0] = Rotation.from_matrix(INTERNAL_TO_KINECT @ Rotation.from_rotvec([0.1, 0.5, 0.0]).as_matrix()).as_rotvec()
    betas = rng.normal(0.0, 0.5, 10)
    trans = np.array([0.1, 0.3, 2.5])
    pose24 = np.zeros((24, 3))
    pose24[:22] = pose[:22]
    with torch.no_grad():
        kinect = body.forward(torch.as_tensor(pose24, dtype=torch.float32)[None], {"betas": list(betas)},
                              torch.as_tensor(trans, dtype=torch.float32)[None]).vertices[0].double().numpy()
    root = tmp_path / "data"
    write_frame(root, "Date05_Sub01_suitcase_smpl", "t0001.000",
                human_vertices=kinect, human_faces=body.faces,
                object_vertices=to_kinect(asset.object.vertices), object_faces=asset.object.faces,
                object_name="suitcase", pose=pose, betas=betas, trans=trans,
                object_rotation=INTERNAL_TO_KINECT, object_trans=np.zeros(3))
    options = ImportOptions(body_fit="smpl-params", smpl_dir=str(folder), render=RENDER,
                            contacts=ContactOptions(penetration=None))
    summary = import_procigen(root, tmp_path / "out", options=options)
    assert (summary.imported, summary.failed, summary.body_fit) == (1, 0, "smpl-params"), summary.failures
    bundle = load_bundle(tmp_path / "out" / ITEMS_DIR / "Date05_Sub01_suitcase_smpl__t0001.000" / "bundle")
    assert bundle.body.model == "smpl"
    # the SMPL posed from the carried parameters is the imported (transformed) human mesh
    np.testing.assert_allclose(bundle.body.mesh.vertices, bundle.human.vertices, atol=1e-4)
    fitted = np.asarray(bundle.body.params["pose"]).reshape(24, 3)
    np.testing.assert_allclose(fitted[1:22], pose[1:22], atol=1e-6)
    np.testing.assert_array_equal(fitted[22:], 0.0)
    notes = bundle.provenance.notes
    assert (notes["body_fit"], notes["smpl_file"], notes["smplh_gender"]) == ("smpl-params", "SMPL_NEUTRAL.pkl", "male")
    assert notes["chamfer_to_human"]["chamfer_cm"] < 1.0
