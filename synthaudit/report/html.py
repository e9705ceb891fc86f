"""The auditor's HTML page: a scorecard (verdict, what was audited, key numbers), figures that
carry information, short tables with the full ones folded (``<details>``) and offered as CSV.

Everything sits inside one root element, ``<div class="synthaudit-report">``, and every CSS rule
is prefixed by that class, so the page inline in a notebook (``_repr_html_``) restyles nothing
else. The page has no script and loads nothing from the network.

Size budget: full tables show at most :data:`MAX_FULL_ROWS` rows, and CSV downloads are embedded
(as ``data:`` URIs) while their total stays under :data:`CSV_BUDGET` bytes; the rest say how to
get the numbers (the trace). A 200-parameter audit stays under 2 MB (``tests/test_report.py``).

Examples
--------
>>> frag = fragment("<p>hi</p>")
>>> frag.startswith("<div class='synthaudit-report'>") and "<html" not in frag
True
>>> all(rule.startswith(".synthaudit-report") for rule in CSS.splitlines())
True
"""

from __future__ import annotations

import base64
import html as _html
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._stats import Estimate, ci_text, fmt_num, pct
from .facts import AuditFacts
from .verdict import Verdict

__all__ = ["CSS", "CSV_BUDGET", "MAX_FULL_ROWS", "TOP_ROWS", "Table", "fragment", "page",
           "report_body"]

ROOT = "synthaudit-report"
#: rows of a table shown before the fold
TOP_ROWS = 10
#: rows of a folded full table (beyond: the CSV or the trace)
MAX_FULL_ROWS = 1000
#: bytes of CSV embedded as downloads, all tables together
CSV_BUDGET = 600_000

_COLOURS = {"collapses": "#b03a2e", "degrades": "#c77c0e", "stable": "#1b7a4b",
            "improves": "#1f6fb2", "inconclusive": "#666"}


def _rules(text: str) -> str:
    """Prefix every selector of ``text`` with the root class (``:root`` is the root itself)."""
    out = []
    for rule in text.split("}"):
        sel, _, body = rule.partition("{")
        if not sel.strip():
            continue
        sels = ",".join(f".{ROOT}" + ("" if s.strip() == ":root" else " " + s.strip())
                        for s in sel.split(","))
        out.append(sels + "{" + " ".join(body.split()) + "}")
    return "\n".join(out)


CSS = _rules("""
:root{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;
  margin:1.5em auto;padding:0 1em;color:#222;line-height:1.45;font-size:15px}
h1{font-size:1.45em;margin:.2em 0 .6em;border-bottom:2px solid #2a6;padding-bottom:.3em}
h2{font-size:1.15em;margin:1.6em 0 .4em;color:#164}
h3{font-size:1em;margin:1.2em 0 .2em}
p{margin:.4em 0}
.sa-verdict{border-left:6px solid var(--sa-c);background:#f7f7f5;padding:.7em 1em;margin:.5em 0 1em}
.sa-label{display:inline-block;background:var(--sa-c);color:#fff;font-weight:600;
  letter-spacing:.04em;padding:.1em .6em;border-radius:3px;font-size:.85em;
  text-transform:uppercase}
.sa-headline{font-size:1.08em;margin:.4em 0}
.sa-verdict ul{margin:.3em 0 0 1.2em;padding:0}
.sa-verdict li{margin:.15em 0}
.sa-card{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
.sa-card>div{flex:1 1 420px;min-width:0}
table{border-collapse:collapse;font-size:.85em;margin:.4em 0}
th,td{border:1px solid #ddd;padding:.25em .55em;text-align:right;vertical-align:top}
thead th{background:#eef4f0}
table.sa-kv{width:100%}
table.sa-kv th{text-align:left;background:#f6f6f6;white-space:nowrap;font-weight:600}
table.sa-kv td{text-align:left;overflow-wrap:anywhere}
table.sa-keys th{white-space:normal;font-weight:normal}
table.sa-keys td{white-space:nowrap;font-weight:600}
td.sa-text,th.sa-text{text-align:left}
.sa-muted{color:#666;font-size:.9em}
.sa-note{background:#fff8e6;border-left:4px solid #e0a800;padding:.4em .8em}
figure{margin:1em 0}
img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}
details{margin:.3em 0 .8em}
summary{cursor:pointer;color:#164}
.sa-scroll{overflow-x:auto;max-height:32em;overflow-y:auto}
a{color:#1f6fb2}
footer{margin-top:3em;font-size:.8em;color:#777}
""")


@dataclass
class Table:
    """One table of the page: ``top`` shown (at most :data:`TOP_ROWS` rows, sorted by ``sort``
    when given), ``full`` folded and offered as CSV named ``file``."""

    title: str
    caption: str
    top: pd.DataFrame
    full: pd.DataFrame
    sort: str | None = None
    ascending: bool = False
    file: str = "table.csv"


def _fmt_cell(x) -> str:
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return ""
        return fmt_num(x) if abs(x) >= 1e-4 or x == 0 else f"{x:.2e}"
    if isinstance(x, (np.integer, int)) and not isinstance(x, bool):
        return f"{int(x):,}" if abs(int(x)) >= 10_000 else str(int(x))
    return str(x)


def _drop_empty(df: pd.DataFrame) -> pd.DataFrame:
    """Drop columns that are NaN everywhere (e.g. theory where none applies)."""
    keep = [c for c in df.columns if not (df[c].dtype.kind == "f" and df[c].isna().all())]
    return df[keep]


def _constant_columns(df: pd.DataFrame) -> dict:
    """Columns with one value in every row (said once above the table instead)."""
    if len(df) < 2:
        return {}
    out = {}
    for c in df.columns:
        col = df[c]
        if col.dtype == object or col.dtype.kind in "iub":
            if col.nunique(dropna=False) == 1:
                out[c] = col.iloc[0]
    return out


def _df_html(df: pd.DataFrame) -> str:
    df = _drop_empty(df)
    const = _constant_columns(df)
    note = ""
    if const:
        df = df.drop(columns=list(const))
        note = ("<p class='sa-muted'>In every row: " + _html.escape(" · ".join(
            f"{str(k).replace('_', ' ')} = {_fmt_cell(v)}" for k, v in const.items())) + "</p>")
    text_cols = {c for c in df.columns if df[c].dtype == object}
    head = "".join(f"<th class='sa-text'>{_html.escape(str(c).replace('_', ' '))}</th>"
                   if c in text_cols else f"<th>{_html.escape(str(c).replace('_', ' '))}</th>"
                   for c in df.columns)
    body = []
    cols = list(df.columns)
    for row in df.itertuples(index=False, name=None):
        cells = "".join(
            f"<td class='sa-text'>{_html.escape(_fmt_cell(v))}</td>" if c in text_cols
            else f"<td>{_html.escape(_fmt_cell(v))}</td>" for c, v in zip(cols, row))
        body.append(f"<tr>{cells}</tr>")
    return (f"{note}<div class='sa-scroll'><table><thead><tr>{head}</tr></thead><tbody>"
            + "".join(body) + "</tbody></table></div>")


def _kv(rows, cls: str = "sa-kv") -> str:
    cells = "".join(f"<tr><th>{_html.escape(str(k))}</th><td>{_html.escape(str(v))}</td></tr>"
                    for k, v in rows)
    return f"<table class='{cls}'>{cells}</table>"


def _ci(e: Estimate, fmt) -> str:
    return ci_text(e, fmt) if e.measured else "not measured"


def key_rows(v: Verdict) -> list[tuple[str, str]]:
    """The key numbers with labels a person reads."""
    n = v.numbers
    G = n.generation
    rows = [("Replications × generations", f"{n.n_replications} × {G}")]
    rows.append(("Replications that collapsed (a variance or a level lost)",
                 _ci(n.collapse, pct)))
    if n.variance_collapse.measured:
        rows.append((f"… a variance fell to {pct(n.eps)} of {n.variance_base}",
                     _ci(n.variance_collapse, pct)))
    if n.level_loss.measured:
        rows.append(("… a category level was lost", _ci(n.level_loss, pct)))
    rows.append(("Median drift from generation 0 (standard errors per parameter)",
                 _ci(n.drift, fmt_num)))
    if n.risk is not None:
        rows.append((f"Median change in risk: {n.risk_label}", _ci(n.risk_change, fmt_num)))
        if n.risk_infinite.measured and n.risk_infinite.value > 0:
            rows.append(("… replications whose risk became infinite", _ci(n.risk_infinite, pct)))
        rows.append(("Probability of beating the real-only model", _ci(n.improvement, pct)))
        if n.risk_excluded_infinite:
            rows.append(("Replications left out of the risk (infinite at generation 0)",
                         str(n.risk_excluded_infinite)))
    else:
        rows.append(("Probability of beating the real-only model", "not measured (no risk)"))
    return rows


def _csv_link(df: pd.DataFrame, name: str, budget: list[int]) -> str:
    data = df.to_csv(index=False, float_format="%.6g").encode("utf-8")
    if len(data) > budget[0]:
        return (f" <span class='sa-muted'>(CSV too large to embed, {len(data) / 1e6:.1f} MB: "
                "write the trace with -o instead)</span>")
    budget[0] -= len(data)
    uri = "data:text/csv;base64," + base64.b64encode(data).decode("ascii")
    return f": <a download='{_html.escape(name)}' href='{uri}'>download as CSV</a>"


def _table_html(t: Table, budget: list[int]) -> str:
    if not len(t.full) and not len(t.top):
        return ""
    top = t.top
    if t.sort and t.sort in top:
        top = top.sort_values(t.sort, ascending=t.ascending, kind="stable")
    out = [f"<h3>{_html.escape(t.title)}</h3>",
           f"<p class='sa-muted'>{_html.escape(t.caption)}</p>"]
    if len(top):
        shown = top.head(TOP_ROWS)
        out.append(_df_html(shown))
        if len(top) > TOP_ROWS:
            out.append(f"<p class='sa-muted'>{TOP_ROWS} of {len(top)} rows shown.</p>")
    same = len(t.full) == len(top) and len(top) <= TOP_ROWS
    if len(t.full) and not same:
        full = t.full.head(MAX_FULL_ROWS)
        cut = (f"first {MAX_FULL_ROWS:,} of {len(t.full):,} rows"
               if len(t.full) > MAX_FULL_ROWS else f"{len(t.full):,} rows")
        out.append(f"<details><summary>Full table ({cut})</summary>{_df_html(full)}</details>")
    if len(t.full):
        out.append(f"<p class='sa-muted'>{_html.escape(t.title)}, full table"
                   f"{_csv_link(t.full, t.file, budget)}</p>")
    return "\n".join(o for o in out if o)


def _sentence(headline: str) -> str:
    """The headline without its "Verdict: " prefix (the label says it), capitalised."""
    text = headline.removeprefix("Verdict: ")
    return text[:1].upper() + text[1:]


def _settings_text(d: dict) -> str:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.6g}"
        if isinstance(v, (dict, list, tuple)):
            s = json.dumps(v, default=str)
            return s if len(s) <= 300 else s[:300] + "…"
        return str(v)

    return _kv((k, fmt(v)) for k, v in d.items())


def report_body(*, verdict: Verdict, facts: AuditFacts, theory: str, notes, figures: dict,
                folded: dict, tables: list[Table], config: dict | None = None,
                provenance: dict | None = None) -> str:
    """The report's content (without the root element): scorecard, figures, tables."""
    colour = _COLOURS[verdict.label]
    h = [f"<section class='sa-verdict' style='--sa-c:{colour}'>",
         f"<span class='sa-label'>{_html.escape(verdict.label)}</span>",
         f"<p class='sa-headline'>{_html.escape(_sentence(verdict.headline))}</p>"]
    if verdict.reasons:
        h.append("<ul>" + "".join(f"<li>{_html.escape(r)}</li>" for r in verdict.reasons)
                 + "</ul>")
    h.append("</section>")
    h.append("<div class='sa-card'><div><h2>What was audited</h2>"
             + _kv(facts.rows_for_table()) + "</div><div><h2>Key numbers</h2>"
             + _kv(key_rows(verdict), cls="sa-kv sa-keys") + "</div></div>")
    if theory:
        h.append(f"<p class='sa-muted'>{_html.escape(theory)}</p>")
    for note in notes:
        h.append(f"<p class='sa-note'>{_html.escape(note)}</p>")
    h.append("<h2>Figures</h2>")
    for title, png in figures.items():
        h.append(f"<figure><img alt='{_html.escape(title)}' src='data:image/png;base64,{png}'/>"
                 f"<figcaption>{_html.escape(title)}</figcaption></figure>")
    if folded:
        items = "".join(f"<li>{_html.escape(k)}: {_html.escape(v)}</li>"
                        for k, v in folded.items())
        h.append(f"<details><summary>Figures left out ({len(folded)}): nothing to show"
                 f"</summary><ul>{items}</ul></details>")
    h.append("<h2>Tables</h2>")
    budget = [CSV_BUDGET]
    for t in tables:
        h.append(_table_html(t, budget))
    if config is not None:
        h.append("<h2>Settings and provenance</h2><details><summary>Settings (config)</summary>"
                 + _settings_text(config) + "</details>")
    if provenance is not None:
        h.append("<details><summary>Provenance</summary>" + _settings_text(provenance)
                 + "</details>")
    return "\n".join(x for x in h if x)


def fragment(body: str) -> str:
    """The report as an HTML fragment (notebooks): the root element with its scoped style."""
    return f"<div class='{ROOT}'><style>{CSS}</style>{body}</div>"


def page(title: str, body: str, *, version: str = "") -> str:
    """A complete, self-contained HTML page."""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<div class='{ROOT}'><h1>{_html.escape(title)}</h1>{body}"
        f"<footer>Generated by synthaudit {_html.escape(version)}</footer></div></body></html>\n"
    )
