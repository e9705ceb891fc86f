"""Schedules: sizes, costs, specs and errors."""

import numpy as np
import pytest

from synthaudit import schedules as S
from synthaudit.exceptions import ValidationError


def test_sizes_of_each_family():
    assert S.constant(100).sizes(3).tolist() == [100, 100, 100]
    assert S.linear(100, 50).sizes(3).tolist() == [100, 150, 200]
    assert S.polynomial(100, 1.5).sizes(4).tolist() == [100, 283, 520, 800]
    assert S.exponential(100, 2).sizes(4).tolist() == [100, 200, 400, 800]
    assert S.explicit([10, 20]).sizes(4).tolist() == [10, 20, 20, 20]
    assert S.constant(100).sizes(2).dtype == np.int64


def test_cost_and_inverse_sum():
    assert S.constant(100).total_rows(500) == 50_000
    assert S.linear(10, 10).total_rows(3) == 60
    assert S.constant(4).inverse_sum(8) == pytest.approx(2.0)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("const:100", S.constant(100)),
        ("linear:100:50", S.linear(100, 50)),
        ("poly:100:1.5", S.polynomial(100, 1.5)),
        ("exp:100:1.05", S.exponential(100, 1.05)),
        ("explicit:100,200", S.explicit([100, 200])),
    ],
)
def test_spec_round_trip(spec, expected):
    sched = S.parse(spec)
    assert sched == expected
    assert S.parse(sched.spec) == sched
    assert repr(sched)  # readable


@pytest.mark.parametrize(
    "spec, words",
    [
        ("poly:100", "takes 2"),
        ("banana:3", "unknown schedule kind"),
        ("const:abc", "numbers expected"),
        ("100", "invalid schedule spec"),
        ("const:1", "≥ 2"),
        ("explicit:", "at least one size"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec, words):
    with pytest.raises(ValidationError, match=words):
        S.parse(spec)


def test_sizes_below_two_and_absurd_sizes_are_refused():
    with pytest.raises(ValidationError, match="at least 2 rows"):
        S.explicit([100, 1]).sizes(2)
    with pytest.raises(ValidationError, match="more than"):
        S.exponential(100, 10).sizes(50)
    with pytest.raises(ValidationError, match="n_generations"):
        S.constant(100).sizes(0)
