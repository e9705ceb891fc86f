"""The HTML report opened in headless Chromium: it renders (not blank), every embedded figure
loads, the console stays silent, the page stays within a height budget, and shown inline (as a
notebook shows ``_repr_html_``) it leaves the styles of the elements around it unchanged.
Skipped when Chromium is not installed (``apt-get install -y chromium``)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import synthaudit as sa
from synthaudit import datasets
from synthaudit import metrics as M
from synthaudit.report import AuditReport

pytestmark = pytest.mark.browser

#: page height budget at a 1200 px wide window for the mixed audit below (the report used to
#: be ~19 500 px for a table of this kind; the scorecard, informative figures and folded
#: tables keep it near 6 000 px)
HEIGHT_BUDGET = 8000


def _chromium() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM = _chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1200,900"]

# injected into the test's copy only (the report itself has no script). In <head>, before
# anything else: record every error (script errors, resources that fail to load — capture
# phase) and every console call; after load, write them, the images' states and the page
# height into the DOM so --dump-dom shows them.
PROBE_HEAD = """<script>
window.__errors = []; window.__console = [];
window.addEventListener('error', function (e) {
  window.__errors.push((e.target && e.target.tagName ? e.target.tagName + ' failed to load'
                        : String(e.message)));
}, true);
['log', 'warn', 'error', 'info', 'debug'].forEach(function (k) {
  var orig = console[k];
  console[k] = function () { window.__console.push(k + ': ' + [].join.call(arguments, ' '));
                             return orig.apply(console, arguments); };
});
</script>"""
PROBE_TAIL = """<script>
window.addEventListener('load', function () {
  var imgs = [];
  for (var i = 0; i < document.images.length; i++) {
    var im = document.images[i];
    imgs.push({complete: im.complete, w: im.naturalWidth, h: im.naturalHeight});
  }
  var styles = {};
  var props = ['font-family', 'font-size', 'color', 'line-height', 'margin-top',
               'margin-left', 'padding-left', 'border-top-width', 'background-color',
               'max-width', 'text-align', 'border-collapse'];
  document.querySelectorAll('[data-probe]').forEach(function (el) {
    var cs = getComputedStyle(el), out = {};
    props.forEach(function (p) { out[p] = cs.getPropertyValue(p); });
    styles[el.getAttribute('data-probe')] = out;
  });
  var d = document.createElement('pre');
  d.id = 'probe';
  d.textContent = 'SA' + 'PROBE<<' + JSON.stringify({images: imgs, errors: window.__errors,
    console: window.__console, height: document.documentElement.scrollHeight,
    styles: styles}) + '>>' + 'EBORP';
  document.body.appendChild(d);
});
</script>"""

SIBLINGS = """<h2 data-probe="h2">A notebook heading</h2>
<p data-probe="p">A paragraph of the notebook around the report.</p>
<table data-probe="table"><tr><th data-probe="th">a</th><td data-probe="td">1</td></tr></table>
<figure data-probe="figure"><figcaption data-probe="figcaption">x</figcaption></figure>
<details data-probe="details"><summary data-probe="summary">more</summary></details>"""


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    sim = datasets.simulate_mixed(300, rng=0)
    res = sa.run_audit(sim, adapter="mixed", schedule="const:100", n_generations=15,
                       n_replications=200, n0=100, seed=1, metrics=[M.TruthKL()])
    rep = AuditReport.from_result(res)
    d = tmp_path_factory.mktemp("browser")
    page = d / "report.html"
    rep.to_html(page)
    return rep, page


def _run(args, profile):
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)


def _probe(html_text: str, tmp_path: Path, name: str) -> dict:
    text = html_text
    text = text.replace("<head>", "<head>" + PROBE_HEAD, 1) if "<head>" in text else (
        PROBE_HEAD + text)
    text = text.replace("</body>", PROBE_TAIL + "</body>") if "</body>" in text else (
        text + PROBE_TAIL)
    path = tmp_path / f"{name}.html"
    path.write_text(text, encoding="utf-8")
    out = _run(["--virtual-time-budget=10000", "--dump-dom", path.as_uri()],
               tmp_path / f"prof-{name}")
    m = re.search(r"SAPROBE&lt;&lt;(.*?)&gt;&gt;EBORP", out.stdout, re.S)
    assert m, (out.stdout[-2000:], out.stderr[-2000:])
    import html as _html

    return json.loads(_html.unescape(m.group(1)))


@needs_chromium
def test_every_image_loads_and_the_console_stays_silent(report_page, tmp_path):
    rep, page = report_page
    probe = _probe(page.read_text(encoding="utf-8"), tmp_path, "page")
    imgs = probe["images"]
    assert len(imgs) == len(rep.figures(informative_only=True)) >= 3
    for im in imgs:
        assert im["complete"] and im["w"] > 200 and im["h"] > 100, imgs
    assert probe["errors"] == [] and probe["console"] == [], probe


@needs_chromium
def test_page_height_within_budget(report_page, tmp_path):
    _, page = report_page
    probe = _probe(page.read_text(encoding="utf-8"), tmp_path, "height")
    assert 1500 < probe["height"] <= HEIGHT_BUDGET, probe["height"]


@needs_chromium
def test_screenshot_is_not_blank(report_page, tmp_path):
    import matplotlib.image as mpimg

    _, page = report_page
    shot = tmp_path / "shot.png"
    out = _run([f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri()],
               tmp_path / "prof")
    assert shot.exists(), out.stderr[-2000:]
    img = mpimg.imread(shot)
    colours = np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50  # text, tables and figures, not a blank page
    # the scorecard's verdict band is at the top: some colour in the first 300 px
    top = img[:300, :, :3]
    assert (np.ptp(top, axis=2) > 0.2).any()


@needs_chromium
def test_inline_report_leaves_sibling_styles_unchanged(report_page, tmp_path):
    """Notebook case: the fragment of _repr_html_ beside other elements restyles none of them
    (and not the page's body)."""
    rep, _ = report_page
    frag = rep._repr_html_()
    base = f"<!DOCTYPE html><html><head></head><body data-probe='body'>{SIBLINGS}</body></html>"
    after_siblings = SIBLINGS.replace('data-probe="', 'data-probe="after-')
    inline = (f"<!DOCTYPE html><html><head></head><body data-probe='body'>{SIBLINGS}{frag}"
              f"{after_siblings}</body></html>")
    before = _probe(base, tmp_path, "base")["styles"]
    after = _probe(inline, tmp_path, "inline")
    assert after["errors"] == [] and len(after["images"]) >= 3
    styles = after["styles"]
    for key, style in before.items():
        assert styles[key] == style, (key, style, styles[key])
        if key != "body":
            assert styles["after-" + key] == style, (key, style, styles["after-" + key])
    # and the report itself is styled (its rules do apply inside the root)
    assert "synthaudit-report" in frag and "<style>" in frag
