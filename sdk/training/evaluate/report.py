"""A self-contained HTML report of a contact evaluation and / or a judge result.

One file, no network and no external assets: styles inline, images (the
judge's composites, when given) embedded as PNG data URIs. Every piece of text
that came from outside (prompts, method names, error messages) is escaped with
`html.escape`. `write_report` writes the file atomically.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from hoiexport.sdk.core.cache import atomic_write_bytes
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import ContactConfig
from hoiexport.sdk.training.evaluate.contacts import CONFIGS, ContactEval, ContactMetrics
from hoiexport.sdk.training.evaluate.judge import JudgeResult

THUMBNAIL_EDGE = 192
"""Longest edge of an embedded judge image, pixels."""

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; vertical-align: top; }
th { background: #f3f3f3; } td.text, th.text { text-align: left; max-width: 40em; }
td.ok { color: #1a7f37; } td.bad { color: #b42318; }
.num { font-variant-numeric: tabular-nums; } .muted { color: #777; }
img { display: block; max-width: 192px; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100.0 * value:.1f} %"


def _cell(value: object, cls: str = "num") -> str:
    return f'<td class="{cls}">{_e(value)}</td>'


def _row(cells: Sequence[str]) -> str:
    return "<tr>" + "".join(cells) + "</tr>"


def _header(names: Sequence[str], text_first: bool = True) -> str:
    return "<tr>" + "".join(f'<th class="text">{_e(n)}</th>' if text_first and i == 0 else f"<th>{_e(n)}</th>"
                            for i, n in enumerate(names)) + "</tr>"


def _config_name(config: ContactConfig | None, missing: str) -> str:
    return config.value if config is not None else missing


def _confusion_table(metrics: ContactMetrics) -> str:
    """Rows requested, columns measured, then a "failed" column; cells shaded by row share."""
    out = ['<table class="confusion">', _header(["requested \\ measured", *[c.value for c in CONFIGS], "failed"])]
    for i, config in enumerate(CONFIGS):
        row_total = int(metrics.confusion[i].sum() + metrics.failed_per_class[i])
        cells = [f'<th class="text">{_e(config.value)}</th>']
        for j in range(len(CONFIGS)):
            count = int(metrics.confusion[i, j])
            share = count / row_total if row_total else 0.0
            hue = "26,127,55" if i == j else "180,35,24"
            style = f' style="background: rgba({hue},{0.6 * share:.3f})"' if count else ""
            cells.append(f'<td class="num"{style}>{count}</td>')
        cells.append(_cell(int(metrics.failed_per_class[i])))
        out.append(_row(cells))
    out.append("</table>")
    return "\n".join(out)


def contact_section(ev: ContactEval) -> str:
    """The HTML of one contact evaluation: summary, views, per class, confusion, failures."""
    m = ev.metrics
    parts = [
        "<h2>Contact accuracy</h2>",
        f'<p>generator <b>{_e(ev.generator)}</b>, preset <b>{_e(ev.preset or "default")}</b>: '
        f'accuracy <b class="num">{_e(_pct(m.accuracy))}</b> '
        f'(<span class="num">{m.correct} / {m.n}</span> measured as requested; '
        f'<span class="num">{m.failed}</span> failed to generate, counted wrong) '
        f'<span class="muted">in {ev.seconds:.1f} s</span></p>',
    ]
    if ev.views is not None:
        v = ev.views
        parts += ["<h3>Per generated view</h3>", "<table>",
                  _header(["rule", "accuracy", "correct", "n"])]
        for name, vm in v.per_view.items():
            label = "front view only" if name == "front" else f"{name} only"
            parts.append(_row([_cell(label, "text"), _cell(_pct(vm.accuracy)), _cell(vm.correct), _cell(vm.n)]))
        parts.append(_row([_cell(f"any of the {len(v.views)} views", "text"), _cell(_pct(v.any_view)),
                           _cell(v.any_view_correct), _cell(v.n)]))
        parts.append("</table>")
    parts += ["<h3>Per requested configuration</h3>", "<table>",
              _header(["configuration", "accuracy", "correct", "failed", "n"])]
    for config, score in m.per_class.items():
        parts.append(_row([_cell(config.value, "text"), _cell(_pct(score.accuracy)), _cell(score.correct),
                           _cell(score.failed), _cell(score.n)]))
    parts += ["</table>", "<h3>Confusion matrix</h3>",
              "<p>Rows: the requested configuration; columns: the measured one; "
              "failed generations in the last column.</p>", _confusion_table(m)]
    wrong = ev.failures
    parts.append(f"<h3>Items not measured as requested ({len(wrong)})</h3>")
    if wrong:
        view_names = ev.views.views if ev.views is not None else ()
        parts += ["<table>", _header(["prompt", "seed", "object", "action", "requested", "measured", *view_names,
                                      "error"])]
        for item in wrong:
            views = [_cell(_config_name(item.views.get(v), "–"), "text") for v in view_names]
            parts.append(_row([_cell(item.prompt, "text"), _cell(item.seed), _cell(item.object, "text"),
                               _cell(item.action, "text"), _cell(item.requested.value, "text"),
                               _cell(_config_name(item.measured, "failed"), "text bad"),
                               *views, _cell(item.error or "", "text")]))
        parts.append("</table>")
    else:
        parts.append("<p>None.</p>")
    return "\n".join(parts)


def _thumbnail_uri(image: np.ndarray, edge: int = THUMBNAIL_EDGE) -> str:
    """A PNG data URI of `image` ((H, W, 3) uint8) scaled to at most `edge` pixels."""
    from PIL import Image

    from hoiexport.sdk.bundle.files import png_bytes

    picture = Image.fromarray(np.asarray(image, np.uint8))
    picture.thumbnail((edge, edge))
    return "data:image/png;base64," + base64.b64encode(png_bytes(np.asarray(picture))).decode("ascii")


def judge_section(result: JudgeResult, images: Sequence[Mapping[str, np.ndarray]] | None = None) -> str:
    """The HTML of one judge result: per-method scores, then one row per prompt.

    Args:
        result: the judge result.
        images: per prompt (in `result.prompts` order), method → its composite,
            embedded as thumbnails; None = no images.

    Raises:
        InputError: `images` of another length than the prompts.
    """
    if images is not None and len(images) != len(result.prompts):
        raise InputError(f"{len(images)} image sets for {len(result.prompts)} judged prompts; give one per prompt")
    methods = result.methods
    revision = f" @ {result.revision}" if result.revision else ""
    parts = [
        "<h2>Judge preference</h2>",
        f"<p>judge <b>{_e(result.judge)}{_e(revision)}</b>, aggregation <b>{_e(result.aggregation)}</b>, "
        f'<span class="num">{len(result.prompts)}</span> prompts; each method shown at every position equally '
        "often. Shares sum to 1 over the methods.</p>",
        "<table>", _header(["method", "score (mean share)", "hard votes", "prompts won"]),
    ]
    for m in methods:
        parts.append(_row([_cell(m, "text"), _cell(f"{result.scores[m]:.4f}"), _cell(f"{result.votes[m]:.4f}"),
                           _cell(f"{result.wins[m]:.4f}")]))
    parts += ["</table>", "<h3>Per prompt</h3>", "<table>",
              _header(["#", "prompt", *[f"{m} share" for m in methods], "best"], text_first=False)]
    for index, judgement in enumerate(result.prompts):
        best = max(methods, key=lambda name: judgement.shares[name])
        cells = [_cell(index + 1), _cell(judgement.prompt, "text"),
                 *[_cell(f"{judgement.shares[m]:.4f}") for m in methods], _cell(best, "text")]
        parts.append(_row(cells))
        if images is not None:
            shots = "".join(f'<td><img alt="{_e(m)}" src="{_thumbnail_uri(images[index][m])}"></td>'
                            for m in methods)
            parts.append(f'<tr><td></td><td class="text muted">images</td>{shots}<td></td></tr>')
    parts.append("</table>")
    return "\n".join(parts)


def report_html(contacts: ContactEval | None = None, judge: JudgeResult | None = None,
                images: Sequence[Mapping[str, np.ndarray]] | None = None,
                title: str = "hoiexport evaluation") -> str:
    """One HTML document with the given sections.

    Args:
        contacts: a contact evaluation, or None.
        judge: a judge result, or None.
        images: the judge's composites per prompt (see `judge_section`), or None.
        title: the page title (escaped).

    Raises:
        InputError: neither a contact evaluation nor a judge result.
    """
    if contacts is None and judge is None:
        raise InputError("an evaluation report needs a contact evaluation, a judge result or both")
    body = [f"<h1>{_e(title)}</h1>"]
    if contacts is not None:
        body.append(contact_section(contacts))
    if judge is not None:
        body.append(judge_section(judge, images))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def write_report(path: str | os.PathLike[str], contacts: ContactEval | None = None, judge: JudgeResult | None = None,
                 images: Sequence[Mapping[str, np.ndarray]] | None = None,
                 title: str = "hoiexport evaluation") -> Path:
    """Write `report_html(...)` to `path` atomically (UTF-8); returns the path."""
    return atomic_write_bytes(path, report_html(contacts, judge, images, title).encode("utf-8"))
