"""The same seed gives the bit-identical trace before and after refactors (tests/pin_traces.py)."""

import json

import pytest
from pin_traces import PINS, cases, digest

PINNED = json.loads(PINS.read_text())


@pytest.mark.parametrize("name", sorted(PINNED))
def test_trace_is_pinned(name):
    got = digest(cases()[name]())
    assert got == PINNED[name], f"trace of {name!r} changed; see tests/pin_traces.py"
