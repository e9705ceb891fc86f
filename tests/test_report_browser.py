"""The HTML report opened in headless Chromium: every embedded figure loads, and the page
renders (not blank). Skipped when Chromium is not installed (``apt-get install -y chromium``)."""

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


def _chromium() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM = _chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars"]

# injected into the test's copy only (the report itself has no script): after load, write each
# image's state into the DOM so --dump-dom shows it
PROBE = """<script>
window.addEventListener('load', function () {
  var out = [];
  for (var i = 0; i < document.images.length; i++) {
    var im = document.images[i];
    out.push((im.complete ? 'ok' : 'pending') + ':' + im.naturalWidth + 'x' + im.naturalHeight);
  }
  var d = document.createElement('pre');
  d.id = 'probe';
  d.textContent = 'IMAGE' + 'STATES[' + out.join(',') + ']';
  document.body.appendChild(d);
});
</script>"""


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


@needs_chromium
def test_every_image_loads(report_page, tmp_path):
    rep, page = report_page
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                     encoding="utf-8")
    out = _run(["--virtual-time-budget=10000", "--dump-dom", probe.as_uri()], tmp_path / "prof")
    m = re.search(r"IMAGESTATES\[([^\]]*)\]", out.stdout)
    assert m, (out.stdout[-2000:], out.stderr[-2000:])
    states = m.group(1).split(",")
    assert len(states) == len(rep.figures()) == 5
    for s in states:
        status, size = s.split(":")
        w, h = (int(v) for v in size.split("x"))
        assert status == "ok" and w > 200 and h > 100, states


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
