"""`hoiexport.batch.run`: Ray execution, and the checks made before any item runs.

The local process pool, SIGKILL and resume are exercised end to end by
tests/cli/test_batch.py; here a real local Ray cluster with 2 workers runs the
compose generator.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import sys

import hoiexport.batch
import pytest
from hoiexport.batch.runner import LOCK_NAME
from hoiexport.sdk.core.errors import InputError

FAST = {"formats": "glb", "texture_size": 512}


@pytest.mark.slow
def test_ray_local_cluster_with_two_workers(tmp_path):
    ray = pytest.importorskip("ray")
    from hoiexport.exporters.validate import validate_file
    from hoiexport.sdk.bundle import load_bundle

    seen: list[hoiexport.batch.Progress] = []
    items = ["A man carrying a box with both hands", {"text": "A woman holding a mug", "contact": "left_hand"}]
    out = tmp_path / "out"
    s = hoiexport.batch.run(items, out, ray="auto", workers=2, on_progress=lambda p: seen.append(dataclasses.replace(p)),
                            **FAST)
    assert (s.backend, s.workers, s.total, s.done, s.failed, s.exit_code) == ("ray", 2, 2, 2, 0, 0)
    assert not ray.is_initialized()  # the cluster it started is gone
    assert max(p.running for p in seen) == 2 and seen[-1].done == 2 and seen[-1].running == 0
    with hoiexport.batch.Manifest(s.manifest) as m:
        rows = m.rows()
    assert [r.state for r in rows] == ["done", "done"] and all(r.attempts == 1 for r in rows)
    configs = []
    for row in rows:
        folder = out / "items" / row.id
        asset = load_bundle(folder / "bundle")
        configs.append(asset.prompt.requested_config.value)
        assert row.metrics["measured_config"] == asset.contact_config.value
        assert validate_file(folder / row.metrics["files"]["glb"]).ok
        assert (folder / "preview.png").stat().st_size > 1000
    assert configs == ["both_hands", "left_hand"]
    assert (out / "report.html").is_file() and (out / "summary.json").is_file()


def test_a_folder_with_a_started_batch_needs_resume(tmp_path):
    out = tmp_path / "out"
    items = hoiexport.batch.make_items([hoiexport.batch.PromptSpec("A man carrying a box")],
                                       hoiexport.batch.ItemSettings(formats=("glb",), texture_size=512))
    with hoiexport.batch.Manifest(out / "manifest.sqlite") as m:
        m.add(items)
        m.mark_running(items[0].id)
    with pytest.raises(InputError, match="already holds a batch"):
        hoiexport.batch.run(["A man carrying a box"], out, **FAST)


def test_a_batch_refused_before_its_first_item_can_be_run_again(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the optional ray extra were not installed
    out = tmp_path / "out"
    for _ in range(2):  # the second try is not told that the folder already holds a batch
        with pytest.raises(InputError, match=r"hoiexport\[ray\]"):
            hoiexport.batch.run(["A man carrying a box"], out, ray="auto", **FAST)
    with hoiexport.batch.Manifest(out / "manifest.sqlite") as m:
        assert m.started() == 0 and m.counts()["pending"] == 1


def test_a_folder_locked_by_a_running_batch_is_refused(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    fd = os.open(tmp_path / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(InputError, match="another batch is running"):
            hoiexport.batch.run(["A man carrying a box"], tmp_path, **FAST)
    finally:
        os.close(fd)
    assert not (tmp_path / "manifest.sqlite").exists()


def test_bad_options_and_empty_batches_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="unknown batch option"):
        hoiexport.batch.run(["A man carrying a box"], tmp_path, worker=2)
    with pytest.raises(InputError, match="workers"):
        hoiexport.batch.BatchOptions(workers=0)
    with pytest.raises(InputError, match="no prompts"):
        hoiexport.batch.run([], tmp_path)
    with pytest.raises(InputError, match="text"):
        hoiexport.batch.run([{"object": "box"}], tmp_path)
    assert not (tmp_path / "manifest.sqlite").exists()


def test_resume_queue_skips_done_items_and_remakes_missing_ones(tmp_path):
    from hoiexport.batch.runner import _work_queue

    specs = [hoiexport.batch.PromptSpec(t) for t in ("A man carrying a box", "A girl kicking a ball",
                                                     "A man sitting on a chair", "A woman holding a mug")]
    items = hoiexport.batch.make_items(specs, hoiexport.batch.ItemSettings(formats=("glb",), texture_size=512))
    done_kept, done_lost, failed, running = items
    (tmp_path / "items" / done_kept.id).mkdir(parents=True)
    (tmp_path / "items" / done_kept.id / "result.json").write_text("{}")
    with hoiexport.batch.Manifest(tmp_path / "manifest.sqlite") as m:
        m.add(items)
        for it in items:
            m.mark_running(it.id)
        m.mark_done(done_kept.id, {}, {})
        m.mark_done(done_lost.id, {}, {})  # its folder is gone
        m.mark_failed(failed.id, "generate: boom")
        assert [i.id for i in _work_queue(m, items, tmp_path, retry_failed=False)] == [done_lost.id, running.id]
        assert m.get(done_lost.id).state == "pending"
        assert [i.id for i in _work_queue(m, items, tmp_path, retry_failed=True)] == [
            done_lost.id, failed.id, running.id]
