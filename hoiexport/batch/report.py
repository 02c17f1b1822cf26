"""`DIR/report.html`: one static page over a batch.

Self-contained (inline CSS, no scripts, no fonts or images from the network) and
linked relatively (`items/<id>/preview.png`, `items/<id>/hoi_box.glb`, ...), so
it opens offline in any browser and keeps working when `DIR` is moved or zipped.
Per item: its contact-sheet thumbnail, the prompt, requested vs measured contact
configuration, penetration, validation status, timings and links to its files.
"""

from __future__ import annotations

import datetime
import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hoiexport.batch.manifest import ManifestRow
from hoiexport.batch.worker import ITEMS_DIR, LOG_NAME, RESULT_NAME
from hoiexport.sdk.core.cache import atomic_write_bytes

if TYPE_CHECKING:
    from hoiexport.batch.runner import BatchSummary

_CSS = """
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 8px; }
.summary span { display: inline-block; margin-right: 18px; }
.ok { color: #1a7f37; } .bad { color: #c62828; } .muted { color: #777; }
table { border-collapse: collapse; width: 100%; margin-top: 16px; }
th, td { border-bottom: 1px solid #ddd; padding: 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f6; position: sticky; top: 0; }
td.thumb img { width: 192px; height: auto; border: 1px solid #ddd; background: #f4f4f6; }
code { font-size: 12px; }
ul { margin: 0; padding-left: 18px; }
tr.failed { background: #fff5f5; }
"""

_STAGES = ("generate", "bundle", "export", "preview", "total")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _href(*parts: str) -> str:
    return "/".join(quote(p) for p in parts)


def _link(item_id: str, rel: str, label: str | None = None) -> str:
    return f'<a href="{_href(ITEMS_DIR, item_id, *rel.split("/"))}">{_e(label or rel)}</a>'


def _contact_cell(m: dict[str, Any], item_contact: str | None) -> str:
    if not m:
        requested = item_contact or "-"
        return f"requested <b>{_e(requested)}</b>"
    requested = m.get("requested_config") or "-"
    measured = m.get("measured_config") or "-"
    cls, mark = ("ok", "match") if m.get("config_match") else ("bad", "mismatch")
    parts = "".join(
        f"<li>{_e(c['part'])} → {_e(c['joint'])} ({float(c['distance_cm']):.1f} cm)</li>" for c in m.get("contacts", [])
    )
    return (f"requested <b>{_e(requested)}</b><br>measured <b>{_e(measured)}</b> "
            f'<span class="{cls}">{mark}</span>' + (f"<ul>{parts}</ul>" if parts else ""))


def _penetration_cell(m: dict[str, Any]) -> str:
    p = m.get("penetration")
    if not p:
        return '<span class="muted">-</span>'
    return (f"max depth {float(p['max_depth_cm']):.2f} cm<br>"
            f'<span class="muted">human in object {float(p["human_in_object_volume_cm3"]):.1f} cm³<br>'
            f'object in human {float(p["object_in_human_volume_cm3"]):.1f} cm³</span>')


def _validation_cell(m: dict[str, Any]) -> str:
    v = m.get("validation")
    if not v:
        return '<span class="muted">-</span>'
    rows = []
    for name, r in v.items():
        cls = "ok" if r.get("ok") else "bad"
        rows.append(f'<li><span class="{cls}">{"valid" if r.get("ok") else "invalid"}</span> {_e(name)} '
                    f'<span class="muted">({int(r.get("errors", 0))} err, {int(r.get("warnings", 0))} warn)</span></li>')
    return f"<ul>{''.join(rows)}</ul>"


def _timings_cell(t: dict[str, float]) -> str:
    rows = [f"{_e(k)} {float(t[k]):.2f} s" for k in _STAGES if k in t]
    return "<br>".join(rows) if rows else '<span class="muted">-</span>'


def _files_cell(row: ManifestRow) -> str:
    m, iid = row.metrics, row.id
    if row.state != "done":
        links = [_link(iid, LOG_NAME), _link(iid, RESULT_NAME)] if row.state == "failed" else []
        return "<br>".join(links) or '<span class="muted">-</span>'
    files = dict(m.get("files", {}))
    order = ["bundle", *[k for k in files if k not in ("bundle", "preview", "log")], "preview", "log"]
    links = [_link(iid, files[k], f"{k}: {Path(files[k]).name}" if k != "bundle" else "bundle")
             for k in order if k in files]
    links.append(_link(iid, RESULT_NAME))
    return "<br>".join(links)


def _item_row(row: ManifestRow) -> str:
    item, m = row.item, row.metrics
    preview = m.get("files", {}).get("preview") if row.state == "done" else None
    thumb = (f'<a href="{_href(ITEMS_DIR, row.id, preview)}"><img src="{_href(ITEMS_DIR, row.id, preview)}" '
             f'alt="preview of {_e(row.id)}" loading="lazy"></a>') if preview else '<span class="muted">no preview</span>'
    state_cls = {"done": "ok", "failed": "bad"}.get(row.state, "muted")
    overrides = ", ".join(f"{k}={v}" for k, v in item.overrides.items())
    where = f"{Path(item.source).name}:{item.line}" if item.source else ""
    error = f'<div class="bad">{_e(row.error)}</div>' if row.error else ""
    prompt = (f"{_e(item.text)}<div class=\"muted\">seed {item.seed} · {_e(item.generator)} · {_e(item.target)}"
              f"{' · ' + _e(overrides) if overrides else ''}"
              f"{' · object ' + _e(m['object']) if m.get('object') else ''}"
              f"{' · action ' + _e(m['action']) if m.get('action') else ''}<br>"
              f"<code>{_e(row.id)}</code> {_e(where)} · attempts {row.attempts}</div>{error}")
    return (f'<tr class="{_e(row.state)}"><td class="thumb">{thumb}</td><td>{prompt}</td>'
            f'<td class="{state_cls}">{_e(row.state)}</td>'
            f"<td>{_contact_cell(m, item.contact)}</td><td>{_penetration_cell(m)}</td>"
            f"<td>{_validation_cell(m)}</td><td>{_timings_cell(row.timings_s)}</td><td>{_files_cell(row)}</td></tr>")


def render_report(rows: Sequence[ManifestRow], summary: BatchSummary) -> str:
    """The report page as HTML text (module docstring)."""
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    ok_cls = "ok" if summary.ok else "bad"
    head = (
        f'<div class="summary"><span class="{ok_cls}"><b>{summary.done}/{summary.total} done</b></span>'
        f'<span class="{"bad" if summary.failed else "muted"}">{summary.failed} failed</span>'
        f"<span>{summary.skipped} already done before this run</span>"
        f"<span>{summary.ran} run now in {summary.wall_s:.1f} s ({summary.assets_per_min:.2f} assets/min, "
        f"{_e(summary.backend)}, {summary.workers} worker(s))</span>"
        f'<span class="muted">{_e(when)}</span></div>'
    )
    invalid = ""
    if summary.invalid_lines:
        lis = "".join(f"<li><code>{_e(Path(e.source).name)}:{e.line}</code> {_e(e.message)}</li>"
                      for e in summary.invalid_lines)
        invalid = f'<h2 class="bad">Unreadable prompt lines ({len(summary.invalid_lines)})</h2><ul>{lis}</ul>'
    table = (
        "<table><thead><tr><th>preview</th><th>prompt</th><th>state</th><th>contact</th><th>penetration</th>"
        "<th>validation</th><th>timings</th><th>files</th></tr></thead><tbody>"
        + "".join(_item_row(r) for r in rows)
        + "</tbody></table>"
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>hoiexport batch: {_e(summary.out_dir.name)}</title><style>{_CSS}</style></head><body>"
        f"<h1>hoiexport batch <code>{_e(summary.out_dir.name)}</code></h1>{head}{invalid}{table}</body></html>\n"
    )


def write_report(path: str | os.PathLike[str], rows: Sequence[ManifestRow], summary: BatchSummary) -> Path:
    """Write `render_report` to `path` atomically; returns `path`."""
    return atomic_write_bytes(path, render_report(rows, summary).encode("utf-8"))
