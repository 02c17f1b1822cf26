"""`hoiexport batch`: a real compose batch, SIGKILLed mid-way and resumed.

One module fixture runs the whole story once (it is the expensive part):
1. `hoiexport batch` in a subprocess over 9 prompts (8 contact configurations,
   one prompt the generator must reject, one malformed line) with 2 workers;
2. SIGKILL of the driver once 2 items are done and others are running;
3. `hoiexport batch --resume` in this process.
The tests then check what a user relies on: nothing finished was lost or made
twice, every output validates, the manifest agrees with the folders, the
failure and the bad line are named, the report is static with working links.
"""

from __future__ import annotations

import html.parser
import json
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hoiexport.cli.app import app
from PIL import Image

pytestmark = pytest.mark.slow

PROMPTS = [
    {"text": "A man carrying a suitcase in his right hand"},
    {"text": "A woman holding a mug in her left hand"},
    {"text": "A man lifting a box with both hands"},
    {"text": "A man carrying a backpack on his back"},
    {"text": "A boy kicking a ball"},
    {"text": "A girl kicking a ball", "contact": "left_leg"},
    {"text": "A man sitting on a chair", "seed": 1, "target": "unreal"},
    {"text": "A man standing next to a bench", "contact": "no_contact"},
    {"text": "A person riding a unicorn"},
]
BAD_LINE = '{"text": "A man carrying a bag", }'
FLAGS = ["--format", "glb", "--texture-size", "512"]


@dataclass
class Story:
    out: Path
    prompts: Path
    states_at_kill: dict[str, str]
    results_at_kill: dict[str, bytes]
    children: list[int]
    resume_exit: int
    resume: dict


def _states(manifest: Path) -> dict[str, str]:
    if not manifest.exists():
        return {}
    con = sqlite3.connect(manifest, timeout=30)
    try:
        return dict(con.execute("SELECT id, state FROM items"))
    except sqlite3.OperationalError:  # table not created yet
        return {}
    finally:
        con.close()


def _rows(manifest: Path) -> dict[str, dict]:
    con = sqlite3.connect(manifest)
    con.row_factory = sqlite3.Row
    rows = {r["id"]: dict(r) for r in con.execute("SELECT * FROM items")}
    con.close()
    return rows


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (pool workers and the helpers they fork)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    out, frontier = [], [pid]
    while frontier:
        kids = [c for c, p in parents.items() if p in frontier]
        out += kids
        frontier = kids
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    root = tmp_path_factory.mktemp("batch")
    prompts = root / "prompts.jsonl"
    lines = [json.dumps(p) for p in PROMPTS]
    lines.insert(5, BAD_LINE)  # line 6
    prompts.write_text("\n".join(lines) + "\n")
    out = root / "out"
    cmd = [sys.executable, "-c", "from hoiexport.cli import main; main()", "batch", str(prompts), "-o", str(out),
           *FLAGS, "--workers", "2", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while True:
        states = _states(out / "manifest.sqlite")
        values = list(states.values())
        if values.count("done") >= 2 and values.count("running") >= 1:
            break
        if proc.poll() is not None:
            pytest.fail(f"the batch ended before it could be killed: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the batch made no progress in 240 s")
        time.sleep(0.1)
    children = _descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    states = _states(out / "manifest.sqlite")
    results = {i: (out / "items" / i / "result.json").read_bytes() for i, s in states.items() if s == "done"}
    for _ in range(100):  # the workers die with their driver
        if not any(_alive(c) for c in children):
            break
        time.sleep(0.1)
    r = CliRunner().invoke(app, ["batch", str(prompts), "-o", str(out), *FLAGS, "--workers", "2", "--resume",
                                 "--json"])
    return Story(out, prompts, states, results, children, r.exit_code, json.loads(r.stdout))


def test_killed_batch_resumes_without_losing_or_redoing_items(story):
    killed = story.states_at_kill
    assert len(killed) == 9 and list(killed.values()).count("done") >= 2
    assert story.children, "the driver had no worker processes"
    assert not any(_alive(c) for c in story.children), "workers outlived the SIGKILLed driver"
    s = story.resume
    assert story.resume_exit == 1  # one prompt cannot be generated, one line is malformed
    assert (s["total"], s["done"], s["failed"]) == (9, 8, 1)
    assert s["skipped"] == len(story.results_at_kill)
    assert s["ran"] == 9 - s["skipped"]
    rows = _rows(story.out / "manifest.sqlite")
    assert len(rows) == 9
    for item_id, result in story.results_at_kill.items():  # finished before the kill: kept, not redone
        assert rows[item_id]["attempts"] == 1
        assert (story.out / "items" / item_id / "result.json").read_bytes() == result
    for item_id, state in killed.items():
        if state == "running" and rows[item_id]["state"] == "done":
            assert rows[item_id]["attempts"] == 2  # interrupted once, made once
    assert all(r["attempts"] in (1, 2) for r in rows.values())
    items = story.out / "items"
    assert sorted(p.name for p in items.iterdir()) == sorted(rows)  # no temporary folders left
    assert not list(story.out.glob("*.tmp"))


def test_every_finished_item_validates_and_matches_the_manifest(story):
    import hoiexport
    from hoiexport.exporters.validate import validate_files

    rows = _rows(story.out / "manifest.sqlite")
    done = {i: r for i, r in rows.items() if r["state"] == "done"}
    assert len(done) == 8
    glbs = [story.out / "items" / i / json.loads(r["metrics"])["files"]["glb"] for i, r in done.items()]
    reports = dict(zip(done, validate_files(glbs), strict=True))  # one validator process for all
    configs = set()
    for item_id, row in done.items():
        folder = story.out / "items" / item_id
        metrics = json.loads(row["metrics"])
        result = json.loads((folder / "result.json").read_text())
        assert result["ok"] and result["metrics"] == metrics and result["item"]["id"] == item_id
        asset = hoiexport.load_bundle(folder / "bundle")
        assert metrics["measured_config"] == asset.contact_config.value
        assert metrics["requested_config"] == asset.prompt.requested_config.value
        assert metrics["config_match"] == (metrics["requested_config"] == metrics["measured_config"])
        assert metrics["penetration"]["max_depth_cm"] == pytest.approx(asset.penetration.max_depth_cm)
        configs.add(metrics["requested_config"])
        report = reports[item_id]
        assert report.ok and metrics["validation"][report.path.name] == {"ok": True, "errors": report.errors,
                                                                          "warnings": report.warnings}
        with Image.open(folder / "preview.png") as im:
            assert im.size[0] == 512 and im.size[1] > 512
        assert "done in" in (folder / "log.txt").read_text()
        timings = json.loads(row["timings"])
        assert 0 < timings["generate"] < timings["total"]
    assert {"right_hand", "left_hand", "both_hands", "back", "right_leg", "left_leg", "other", "no_contact"} <= configs
    unreal = next(r for r in done.values() if json.loads(r["spec"])["target"] == "unreal")
    assert json.loads(unreal["spec"])["seed"] == 1


def test_failure_and_malformed_line_are_named(story):
    (failure,) = story.resume["failures"]
    assert failure["text"] == "A person riding a unicorn" and failure["line"] == 10
    assert "unicorn" in failure["error"] and "generate" in failure["error"]
    folder = story.out / "items" / failure["id"]
    assert sorted(p.name for p in folder.iterdir()) == ["log.txt", "result.json"]
    assert "Traceback" in (folder / "log.txt").read_text()
    (bad,) = story.resume["invalid_lines"]
    assert bad["line"] == 6 and "invalid JSON" in bad["message"]


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.links += [v for k, v in attrs if k in ("href", "src") and v]


def test_report_is_static_and_its_links_resolve(story):
    from urllib.parse import unquote

    page = (story.out / "report.html").read_text()
    parser = _Links()
    parser.feed(page)
    assert "http:" not in page and "https:" not in page and "<script" not in page
    assert len([u for u in parser.links if u.endswith("preview.png")]) >= 8
    for url in parser.links:
        assert not url.startswith(("/", "file:")) and ".." not in url
        assert (story.out / unquote(url)).is_file(), url
    for p in PROMPTS:
        assert p["text"] in page
    assert "unicorn" in page and "invalid JSON" in page
    assert "requested <b>both_hands</b>" in page


def test_retry_failed_reruns_only_the_failed_item(story):
    r = CliRunner().invoke(app, ["batch", str(story.prompts), "-o", str(story.out), *FLAGS, "--retry-failed"])
    assert r.exit_code == 1
    assert "8/9 done, 1 failed, 8 already done before; 1 run" in r.stdout
    assert "failed:" in r.stdout and "unicorn" in r.stdout and "report:" in r.stdout
    rows = _rows(story.out / "manifest.sqlite")
    failed = [r for r in rows.values() if r["state"] == "failed"]
    assert len(failed) == 1 and failed[0]["attempts"] == 2


def test_usage_errors_exit_2(story, tmp_path):
    run = CliRunner().invoke
    again = run(app, ["batch", str(story.prompts), "-o", str(story.out), *FLAGS])
    assert again.exit_code == 2 and "--resume" in again.output
    both = run(app, ["batch", str(story.prompts), "-o", str(tmp_path / "x"), "--seeds", "2", "--seed", "1"])
    assert both.exit_code == 2 and "not both" in both.output
    fmt = run(app, ["batch", str(story.prompts), "-o", str(tmp_path / "x"), "--format", "fbx"])
    assert fmt.exit_code == 2 and "fbx" in fmt.output
    other = tmp_path / "prompts.yaml"
    other.write_text("- a man carrying a box\n")
    kind = run(app, ["batch", str(other), "-o", str(tmp_path / "x")])
    assert kind.exit_code == 2 and ".jsonl" in kind.output
    assert run(app, ["batch", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "x")]).exit_code == 2
    assert not (tmp_path / "x" / "items").exists()
