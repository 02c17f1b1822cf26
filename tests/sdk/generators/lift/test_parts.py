"""Which part is the person, decided by fitting the body (`lift.parts`), and `hoiexport lift` on such a file.

Scenes are built from compose assets (one per prompt, module-scoped): a glb
whose two nodes have arbitrary names in either order, one mesh whose person
and object are separate connected components, a person cut into three pieces,
and a bench (the largest part) with floaters beside it and beside the head.
Each split prints its label accuracy against the truth and its time (`-s`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh
from click.testing import CliRunner
from PIL import Image
from scipy.spatial import cKDTree

from hoiexport.cli.app import app
from hoiexport.sdk.bundle import load_bundle
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import HOIAsset, Mesh
from hoiexport.sdk.generators.base import GenerationOptions
from hoiexport.sdk.generators.lift.load import load_mesh_parts, merge_meshes
from hoiexport.sdk.generators.lift.parts import (
    PART_SOURCES,
    PartOptions,
    PartSplit,
    component_parts,
    find_parts,
    node_parts,
    split_parts,
)
from hoiexport.sdk.generators.lift.voting import label_accuracy, submesh
from hoiexport.sdk.generators.registry import get_generator
from hoiexport.sdk.prompt import resolve_prompt

CARRY = "A man carrying a suitcase in his right hand"
SIT = "A man sitting on a bench"


@pytest.fixture(scope="module")
def carry() -> HOIAsset:
    return get_generator("compose")(resolve_prompt(CARRY), 0, GenerationOptions())


@pytest.fixture(scope="module")
def bench() -> HOIAsset:
    return get_generator("compose")(resolve_prompt(SIT), 0, GenerationOptions())


def _split(name: str, mesh: Mesh, body, truth: np.ndarray, **kwargs) -> PartSplit:
    t, cpu = time.perf_counter(), time.process_time()
    split = split_parts(mesh, body, **kwargs)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    assert split is not None, name
    accuracy = label_accuracy(split.labels, truth)
    print(f"\n[{name}] label accuracy {accuracy:.4%} in {seconds:.2f} s ({cpu:.2f} s CPU); "
          f"{len(split.hypotheses)} hypotheses, person parts {split.person_parts()}")
    assert split.decided and accuracy >= 0.99, (name, accuracy, split.to_json())
    return split


def _truth(vertices: np.ndarray, object_vertices: np.ndarray) -> np.ndarray:
    """(V,) 1 where a vertex lies on one of the object's vertices, else 0 (independent of the loader's order)."""
    d, _ = cKDTree(np.asarray(object_vertices, np.float64)).query(np.asarray(vertices, np.float64))
    return (d < 1e-5).astype(np.int8)


def _two_node_glb(asset: HOIAsset, path: Path, human_name: str, object_name: str, human_first: bool) -> Path:
    """The asset as a glb of two nodes: a vertex-coloured person, a textured object placed by its node's transform."""
    human = trimesh.Trimesh(asset.human.vertices, asset.human.faces, process=False,
                            vertex_colors=asset.human.colors)
    obj = asset.object
    offset = np.array([0.0, 0.5, 0.0])
    uv = obj.uv.astype(np.float64).copy()
    uv[:, 1] = 1.0 - uv[:, 1]  # trimesh keeps OpenGL uv (v up)
    material = trimesh.visual.material.PBRMaterial(baseColorTexture=Image.fromarray(obj.texture.image))
    prop = trimesh.Trimesh(obj.vertices - offset, obj.faces, process=False,
                           visual=trimesh.visual.TextureVisuals(uv=uv, material=material))
    scene = trimesh.Scene()
    nodes = [(human, human_name, np.eye(4)), (prop, object_name, trimesh.transformations.translation_matrix(offset))]
    for geom, name, transform in (nodes if human_first else nodes[::-1]):
        scene.add_geometry(geom, node_name=name, geom_name=name, transform=transform)
    scene.export(path)
    return path


@pytest.fixture(scope="module", params=[True, False], ids=["person_first", "object_first"])
def two_node_glb(request, carry, tmp_path_factory) -> tuple[Path, str]:
    """(glb, the person's node name): nodes "Cube.001" and "mesh_7", person first or second."""
    human_name, object_name = ("Cube.001", "mesh_7") if request.param else ("mesh_7", "Cube.001")
    path = tmp_path_factory.mktemp("parts") / "scene.glb"
    return _two_node_glb(carry, path, human_name, object_name, request.param), human_name


def test_two_nodes_with_any_names_in_either_order(two_node_glb, carry, anny):
    path, human_name = two_node_glb
    loaded = load_mesh_parts(path)
    assert loaded.labels is None  # the names say nothing
    assert sorted(loaded.part_names) == ["Cube.001", "mesh_7"]
    assert loaded.part_index.shape == (len(loaded.mesh.vertices),)
    truth = _truth(loaded.mesh.vertices, carry.object.vertices)
    assert truth.sum() == len(carry.object.vertices)  # the node transform put the object back
    split = _split(f"two nodes, {human_name} is the person", loaded.mesh, anny, truth,
                   node_index=loaded.part_index, node_names=loaded.part_names)
    assert split.parts.source == "nodes" and split.person_parts() == [human_name]
    fits = {h.fit.person: h.fit for h in split.hypotheses}
    assert len(fits) == 2  # each node fitted as the person once
    person, other = split.fit, next(f for f in fits.values() if f is not split.fit)
    assert person.plausible and person.relative < other.relative
    notes = json.loads(json.dumps(split.to_json()))  # provenance-ready
    assert notes["source"] == "nodes" and [p["name"] for p in notes["parts"] if p["side"] == "person"] == [human_name]
    assert len(notes["hypotheses"]) == 2 and "unsquared" in notes["chamfer_definition"]


def test_one_mesh_with_separate_components(carry, anny, tmp_path):
    human, obj = carry.human, carry.object
    gap, _ = cKDTree(obj.vertices).query(human.vertices)
    assert gap.min() > 1e-6  # no shared vertex: separate components even where they touch
    path = tmp_path / "combined.ply"
    trimesh.Trimesh(np.vstack([human.vertices, obj.vertices]),
                    np.vstack([human.faces, obj.faces + len(human.vertices)]), process=False).export(path)
    loaded = load_mesh_parts(path)
    assert loaded.labels is None and len(loaded.part_names) == 1
    truth = np.r_[np.zeros(len(human.vertices), np.int8), np.ones(len(obj.vertices), np.int8)]
    split = _split("one mesh, two components", loaded.mesh, anny, truth,
                   node_index=loaded.part_index, node_names=loaded.part_names)
    assert split.parts.source == "components" and int(split.parts.major.sum()) == 2
    # the person's small components (eyes, teeth) went with the person
    notes = split.to_json()
    assert notes["minor_parts"]["person"] >= 1 and notes["minor_parts"]["object"] == 0


def _cut(human: Mesh) -> list[Mesh]:
    """The person in three pieces that share no vertex: above the hips, and each leg (faces across a cut dropped)."""
    y = human.vertices[:, 1].astype(np.float64)
    cut = y.min() + 0.45 * np.ptp(y)
    fy = y[human.faces]
    upper, lower = (fy > cut).all(axis=1), (fy < cut).all(axis=1)
    fx = human.vertices[:, 0][human.faces]
    middle = float(np.median(fx[lower]))
    left, right = lower & (fx < middle).all(axis=1), lower & (fx > middle).all(axis=1)
    return [submesh(human, faces, name) for faces, name in ((upper, "upper"), (left, "left"), (right, "right"))]


def test_a_person_in_pieces_stays_the_person(carry, anny):
    pieces = _cut(carry.human)
    mesh = merge_meshes(pieces + [carry.object])
    n_person = sum(len(p.vertices) for p in pieces)
    truth = np.r_[np.zeros(n_person, np.int8), np.ones(len(carry.object.vertices), np.int8)]
    split = _split("person in three pieces", mesh, anny, truth)
    assert split.parts.source == "components"
    assert len(split.person_parts()) >= 3  # every piece of the cut body
    assert len(split.hypotheses) >= 4  # single parts and all-but-one sets were tried


def _floater(centre: np.ndarray, radius: float = 0.02) -> Mesh:
    """A 20-face sphere of 2 cm radius: a stray piece of a generated mesh."""
    t = trimesh.creation.icosphere(subdivisions=0, radius=radius)
    return Mesh(t.vertices + centre, t.faces, name="floater")


def test_object_largest_with_floaters(bench, anny):
    human, obj = bench.human, bench.object
    volume = [float(np.prod(np.ptp(m.vertices, axis=0))) for m in (human, obj)]
    assert volume[1] > volume[0]  # the bench's box is larger than the person's
    top = human.vertices[np.argmax(human.vertices[:, 1])].astype(np.float64)
    end = obj.vertices[np.argmax(obj.vertices[:, 0])].astype(np.float64)
    near_head, near_bench = _floater(top + [0.0, 0.06, 0.0]), _floater(end + [0.06, 0.0, 0.0])
    mesh = merge_meshes([human, obj, near_head, near_bench])
    truth = np.r_[np.zeros(len(human.vertices), np.int8), np.ones(len(obj.vertices), np.int8),
                  np.zeros(len(near_head.vertices), np.int8), np.ones(len(near_bench.vertices), np.int8)]
    split = _split("bench largest, floaters", mesh, anny, truth)
    parts = split.parts
    assert len(parts.names) >= 3 and int(parts.major.sum()) == 2
    assert (split.labels[parts.vertex_part == 0] == 1).all()  # component_0, the largest by area, is the object
    head = len(human.vertices) + len(obj.vertices) + np.arange(len(near_head.vertices))
    assert (split.labels[head] == 0).all() and (split.labels[head[-1] + 1 :] == 1).all()  # floaters: the nearer side


def test_one_connected_surface_is_not_split(carry, anny):
    assert split_parts(carry.human, anny) is None  # one major component (eyes, teeth are minor)
    box = trimesh.creation.box((0.5, 1.7, 0.3))
    assert split_parts(Mesh(box.vertices, box.faces), anny) is None
    assert find_parts(carry.human) is None


def _two_boxes() -> list[trimesh.Trimesh]:
    """A 1 m cube and a 30 cm cube beside it: no body fits either."""
    a, b = trimesh.creation.box((1.0, 1.0, 1.0)), trimesh.creation.box((0.3, 0.3, 0.3))
    b.apply_translation((1.0, 0.0, 0.0))
    return [a, b]


def test_a_body_fitting_no_part_leaves_the_split_undecided(anny, tmp_path, monkeypatch):
    boxes = _two_boxes()
    mesh = merge_meshes([Mesh(b.vertices, b.faces) for b in boxes])
    index = np.repeat([0, 1], [len(b.vertices) for b in boxes])
    split = split_parts(mesh, anny, node_index=index, node_names=["a", "b"])
    assert split is not None and not split.decided
    assert split.fit.relative > PartOptions().max_relative_chamfer or not split.fit.plausible
    assert split.to_json()["decided"] is False
    # the CLI then needs the segmenter, and says why the parts did not do
    monkeypatch.setenv("HOIEXPORT_MODELS", str(tmp_path / "models"))
    scene = trimesh.Scene()
    for box, name in zip(boxes, ("a", "b"), strict=True):
        scene.add_geometry(box, node_name=name, geom_name=name)
    scene.export(tmp_path / "boxes.glb")
    r = CliRunner().invoke(app, ["lift", str(tmp_path / "boxes.glb"), "--prompt", "a man with a box", "-o",
                                 str(tmp_path / "o")])
    assert r.exit_code == 1
    error = [line for line in r.output.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "grounded_sam2" in error[0] and "--labels" in error[0]
    assert "fits none of them" in error[0] and "boxes.glb" in error[0]
    assert not (tmp_path / "o").exists()


def test_part_sources_and_options():
    assert list(PART_SOURCES) == ["nodes", "components"]
    a, b = trimesh.creation.box((1, 1, 1)), trimesh.creation.box((0.1, 0.1, 0.1))
    b.apply_translation((2, 0, 0))
    mesh = Mesh(np.vstack([a.vertices, b.vertices]), np.vstack([a.faces, b.faces + len(a.vertices)]))
    index = np.r_[np.zeros(8, int), np.ones(8, int)]
    nodes = node_parts(mesh, index, ["a", "b"], PartOptions())
    assert nodes is not None and nodes.major.all() and nodes.names == ("a", "b")  # a node is never minor
    assert component_parts(mesh, None, (), PartOptions()) is None  # the small box is 1 % of 6.06 m²: minor
    comps = component_parts(mesh, None, (), PartOptions(min_component_fraction=0.001))
    assert comps is not None and comps.names == ("component_0", "component_1")
    assert np.isclose(comps.areas_m2, [6.0, 0.06]).all() and (comps.vertex_part == index).all()
    assert node_parts(mesh, np.zeros(16, int), ["a"], PartOptions()) is None  # one node: components decide
    for box in (a, b):
        box.unmerge_vertices()  # every face its own vertices, as uv seams leave them: welded back by position
    split_seams = Mesh(np.vstack([a.vertices, b.vertices]), np.vstack([a.faces, b.faces + len(a.vertices)]))
    comps = component_parts(split_seams, None, (), PartOptions(min_component_fraction=0.001))
    assert comps is not None and len(comps.names) == 2 and (comps.vertex_part == np.repeat([0, 1], 36)).all()
    with pytest.raises(InputError, match="node index"):
        node_parts(mesh, index[:5], ["a", "b"], PartOptions())
    with pytest.raises(InputError, match="sources"):
        PartOptions(sources=("masks",))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="seeds"):
        PartOptions(seeds=0)
    with pytest.raises(InputError, match="stature_m"):
        PartOptions(stature_m=(2.0, 1.0))


def test_cli_lifts_a_two_node_glb_with_any_names(carry, tmp_path_factory):
    path = _two_node_glb(carry, tmp_path_factory.mktemp("cli") / "scene.glb", "Cube.001", "mesh_7", True)
    out = tmp_path_factory.mktemp("cli_out") / "out"
    t = time.perf_counter()
    r = CliRunner().invoke(app, ["lift", str(path), "--prompt", CARRY, "-o", str(out), "--views", "6",
                                 "--resolution", "256", "--texture-size", "512", "--format", "glb", "--json"])
    print(f"\n[cli] hoiexport lift on a two-node glb in {time.perf_counter() - t:.2f} s")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["segmenter"] == "labels"
    candidate = data["candidates"][0]
    n_human, n_object = len(carry.human.vertices), len(carry.object.vertices)
    assert abs(candidate["human_vertices"] - n_human) <= 0.01 * (n_human + n_object)
    assert data["validation"][data["files"]["glb"]]["errors"] == 0
    asset = load_bundle(data["bundle"])
    notes = asset.provenance.notes
    assert notes["label_source"] == "parts" and notes["part_split"]["source"] == "nodes"
    assert [p["name"] for p in notes["part_split"]["parts"] if p["side"] == "person"] == ["Cube.001"]
    assert data["contact_config"] == "right_hand" and data["chamfer"]["chamfer_cm"] < 2.0
