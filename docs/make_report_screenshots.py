"""Regenerate the screenshots of the HTML report in docs/ (docs/report.md shows them).

    python docs/make_report_screenshots.py            # needs headless Chromium

Two audits, each written as an HTML report and photographed by headless Chromium at 1200 px
wide (the first 2,400 px: the scorecard and the first figures):

- ``report-penguins.png``: the Palmer penguins table, mixed model, 50 generations × 200
  replications, 20 % holdout, seed 0 (the command line's defaults);
- ``report-30-columns.png``: a simulated 30-column table (20 correlated numeric columns, one of
  them whole-number years, and 10 categorical columns of 2–5 levels, 600 rows), same settings.

It also prints each report's one-screen summary, its size and the time it took.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import synthaudit as sa  # noqa: E402
from synthaudit import datasets  # noqa: E402
from synthaudit.report import AuditReport  # noqa: E402

DOCS = ROOT / "docs"
WIDTH, HEIGHT = 1200, 2400
SETTINGS = {"adapter": "mixed", "n_generations": 50, "n_replications": 200, "holdout": 0.2,
            "seed": 0, "progress": False}


def thirty_columns(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """20 numeric columns (a random correlation; ``year`` holds whole numbers) and 10
    categorical columns with 2–5 levels, some of them rare."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(20, 20)) / np.sqrt(20)
    x = rng.multivariate_normal(rng.normal(0, 3, 20), A @ A.T + 0.3 * np.eye(20), size=n)
    df = pd.DataFrame(x, columns=[f"num{i:02d}" for i in range(19)] + ["year"])
    df["year"] = np.round(2015 + 2 * df["year"]).astype(int)
    for j in range(10):
        k = 2 + j % 4
        p = rng.dirichlet(np.full(k, 2.0))
        p = np.sort(p)[::-1]
        df[f"cat{j}"] = pd.Categorical(rng.choice([f"L{i}" for i in range(k)], size=n, p=p))
    return df


def chromium() -> str:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        path = shutil.which(name) or (name if Path(name).exists() else None)
        if path:
            return path
    sys.exit("headless Chromium is needed: apt-get install -y chromium")


def screenshot(html: Path, png: Path, profile: Path) -> None:
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", "--disable-background-networking", f"--user-data-dir={profile}",
           f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={png}", html.as_uri()]
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    from PIL import Image  # matplotlib's own dependency

    # a 256-colour palette keeps the file about a third of the size, text still crisp
    with Image.open(png) as im:
        im.convert("RGB").quantize(colors=256).save(png, optimize=True)


def main() -> None:
    tables = {"penguins": datasets.load("penguins"), "30-columns": thirty_columns()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, table in tables.items():
            t0 = time.perf_counter()
            res = sa.run_audit(table, **SETTINGS)
            t1 = time.perf_counter()
            rep = AuditReport.from_result(res)
            html = tmp / f"{name}.html"
            page = rep.to_html(html)
            t2 = time.perf_counter()
            png = DOCS / f"report-{name}.png"
            screenshot(html, png, tmp / f"profile-{name}")
            print(f"\n== {name}: {table.shape[1]} columns, {len(res.parameters)} parameters; "
                  f"audit {t1 - t0:.1f} s, report {t2 - t1:.1f} s, {len(page) / 1e6:.2f} MB "
                  f"-> {png.relative_to(ROOT)}")
            print(rep.summary_text())


if __name__ == "__main__":
    main()
