"""Regression adapters and the replace-vs-accumulate study on a shipped table (issue 6)."""

import numpy as np
import pandas as pd
import pytest

import synthaudit as sa
from synthaudit import datasets
from synthaudit.exceptions import ValidationError

FEATURES = ["mean_radius", "mean_texture", "mean_smoothness", "mean_concave_points"]


@pytest.fixture(scope="module")
def cancer():
    df = datasets.load("breast_cancer")[FEATURES + ["target"]].copy()
    for c in FEATURES:
        df[c] = (df[c] - df[c].mean()) / df[c].std()
    return df


def test_linear_recovers_truth():
    sim = datasets.simulate_linear(5000, [2.0, -1.0], intercept=0.5, noise_var=2.0, rng=0)
    ad = sa.make_adapter("linear", target="y").fit(sim.data)
    # 5000 rows: s.e. of each slope ≈ sqrt(2/5000) = 0.02, of the noise variance 2·sqrt(2/5000)
    np.testing.assert_allclose(ad.params_[sim.truth.index].to_numpy(), sim.truth.to_numpy(),
                               atol=0.12)


def test_logistic_recovers_truth():
    sim = datasets.simulate_logistic(8000, [1.0, -0.5], intercept=0.3, rng=1)
    ad = sa.make_adapter("logistic", target="y").fit(sim.data)
    # s.e. of each coefficient ≈ 2/sqrt(8000) ≈ 0.025; tolerance 5 s.e.
    np.testing.assert_allclose(ad.params_[sim.truth.index].to_numpy(), sim.truth.to_numpy(),
                               atol=0.13)


def test_sampling_resamples_real_features_and_keeps_levels(cancer):
    ad = sa.make_adapter("logistic", target="target").fit(cancer)
    out = ad.sample(300, rng=np.random.default_rng(0))
    assert list(out.columns) == FEATURES + ["target"]
    assert list(out["target"].cat.categories) == ["malignant", "benign"]
    real_rows = set(map(tuple, cancer[FEATURES].round(12).to_numpy()))
    assert all(tuple(r) in real_rows for r in out[FEATURES].round(12).to_numpy())


def test_one_class_left_does_not_crash(cancer):
    ad = sa.make_adapter("logistic", target="target").fit(cancer)
    only = cancer[cancer["target"] == "benign"]
    ad.fit_generated(only)
    assert np.isfinite(ad.params_).all()
    assert ad.params_.iloc[1:].abs().max() < 1e-6


def test_bad_targets():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "c"]})
    with pytest.raises(ValidationError, match="binary"):
        sa.make_adapter("logistic", target="y").fit(df)
    with pytest.raises(ValidationError, match="numeric target"):
        sa.make_adapter("linear", target="y").fit(df)
    with pytest.raises(ValidationError, match="needs `target=`"):
        sa.make_adapter("linear").fit(df)


def test_replace_error_grows_accumulate_stays_bounded(cancer):
    """The known behaviour: under replace, ‖β_t − β*‖² grows with t; under accumulate it stays
    bounded (the real rows anchor every fit). β* is the fit on the whole table."""
    kw = dict(adapter="logistic", adapter_settings={"target": "target"}, schedule="const:200",
              n_generations=20, n_replications=20, seed=0, holdout=0.0)
    err = {}
    for wf in ("replace", "accumulate"):
        res = sa.run_audit(cancer, workflow=wf, **kw)
        ref = res.reference.to_numpy()
        err[wf] = np.median(((res.values[:, :, : len(ref)] - ref) ** 2).sum(-1), axis=0)
    rep, acc = err["replace"], err["accumulate"]
    assert rep[20] > 10 * rep[5] > 0  # keeps growing
    assert acc[20] < 3 * acc[5] + 0.5  # levels off
    assert rep[20] > 50 * acc[20]
