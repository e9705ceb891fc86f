"""Package-level promises: a light import, an explicit public API, doctests in the suite."""

import subprocess
import sys

import synthaudit


def test_import_is_light_and_never_loads_sdv_or_torch():
    code = (
        "import sys, time; t = time.perf_counter(); import synthaudit; "
        "dt = time.perf_counter() - t; "
        "print(' '.join(m for m in ('sdv', 'torch', 'ctgan', 'pandas') if m in sys.modules)); "
        "print(dt)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, seconds = out.stdout.splitlines()
    assert loaded == ""
    # no timing assertion beyond a generous bound: the import does no work (DESIGN §8: < 0.5 s)
    assert float(seconds) < 0.5


def test_all_is_sorted_and_resolves():
    assert synthaudit.__all__ == sorted(synthaudit.__all__)
    for name in synthaudit.__all__:
        assert getattr(synthaudit, name) is not None


def test_running_an_audit_does_not_import_sdv():
    code = (
        "import sys, synthaudit as sa; "
        "sa.run_audit(sa.datasets.load('penguins'), n_generations=3, n_replications=5, seed=0); "
        "print(' '.join(m for m in ('sdv', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
