"""Regression adapters: a conditional model of one target column given the features.

``linear`` (ordinary least squares, Gaussian noise) and ``logistic`` (binary target). Sampling
resamples feature rows (with replacement) from the *real* rows the model was first fitted on
— generation 0's rows — and draws the label from the fitted model, so only the conditional
law drifts, as in the regression studies of model collapse. Parameters are ``intercept``,
``beta[feature]`` (one-hot ``beta[col=level]`` for categorical features, first level dropped),
and ``noise_var`` for ``linear`` (see :mod:`synthaudit.params`).

These models have no cheap sufficient statistics under feature resampling: they run on the
per-row path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pandas as pd

from ..exceptions import ValidationError
from ..params import level_labels, regression_layout
from .base import BaseAdapter, TableSchema, _as_rng, _is_numeric

__all__ = ["LinearRegressionAdapter", "LogisticRegressionAdapter"]


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def fit_logistic(X: np.ndarray, y: np.ndarray, *, ridge: float = 1e-6, max_iter: int = 100):
    """Maximum-likelihood logistic regression by Newton–Raphson (IRLS).

    A tiny ridge on the slopes keeps the estimate finite under (quasi-)separation, which
    collapsed generations produce; with one class left the slopes go to 0 and the intercept to
    the clipped log-odds.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.c_[np.ones(5000), rng.normal(size=5000)]
    >>> y = (rng.random(5000) < _sigmoid(X @ [0.5, -1.0])).astype(float)
    >>> np.round(fit_logistic(X, y), 1)
    array([ 0.5, -1. ])
    """
    n, p = X.shape
    pbar = np.clip(y.mean(), 1e-6, 1 - 1e-6)
    beta = np.zeros(p)
    beta[0] = np.log(pbar / (1 - pbar))
    if y.min() == y.max():
        return beta
    penalty = np.full(p, ridge * n)
    penalty[0] = 0.0
    for _ in range(max_iter):
        mu = _sigmoid(X @ beta)
        w = np.clip(mu * (1 - mu), 1e-10, None)
        grad = X.T @ (y - mu) - penalty * beta
        H = (X * w[:, None]).T @ X + np.diag(penalty)
        step = np.linalg.solve(H, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


class _RegressionAdapter(BaseAdapter):
    supports_fast_path: ClassVar[bool] = False

    def __init__(self, target=None, features: Sequence | None = None):
        self.target = target
        self.features = features

    # -- design matrix --------------------------------------------------------------------
    def _bind(self, data: pd.DataFrame, *, strict: bool) -> None:
        problems = []
        if self.target is None:
            problems.append(f"the {self.name} adapter needs `target=` (the column to predict).")
        elif self.target not in data.columns:
            problems.append(
                f"target {self.target!r} is not a column; available: {list(data.columns)}."
            )
        feats = (
            [c for c in data.columns if c != self.target]
            if self.features is None
            else list(self.features)
        )
        missing = [c for c in feats if c not in data.columns]
        if missing:
            problems.append(f"feature column(s) {missing} not in the table.")
        if not feats:
            problems.append("no feature columns; give at least one with features=[...].")
        if problems:
            raise ValidationError(problems)
        self._check_target(data[self.target])
        sub = data[feats + [self.target]]
        self.schema_ = TableSchema.from_frame(sub)
        self.features_ = feats
        coefs, levels = [], {}
        for c in feats:
            if _is_numeric(data[c]):
                coefs.append(c)
            else:
                lv = list(self.schema_.levels[c])
                levels[c] = lv
                coefs += [(c, v) for v in level_labels(lv)[1:]]
        self._levels = levels
        self.layout_ = regression_layout(coefs, noise=self._has_noise)
        if strict:
            const = [c for c in feats if _is_numeric(data[c]) and data[c].nunique() < 2]
            if const:
                raise ValidationError(
                    f"feature column(s) {const} are constant; drop them with features=[...]."
                )

    def _design(self, data: pd.DataFrame) -> np.ndarray:
        cols = [np.ones(len(data))]
        for c in self.features_:
            if c in self._levels:
                codes = pd.Categorical(data[c], categories=self._levels[c]).codes
                for k in range(1, len(self._levels[c])):
                    cols.append((codes == k).astype(float))
            else:
                cols.append(data[c].to_numpy(dtype=float))
        return np.column_stack(cols)

    # -- contract -------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, *, rng=None):
        """Fit on real rows; their feature rows become the pool features are resampled from."""
        data = self.validate(data)
        self._bind(data, strict=True)
        self.feature_pool_ = data[self.features_].reset_index(drop=True)
        self._fit_rows(data)
        return self

    def fit_generated(self, data: pd.DataFrame, *, rng=None):
        """Refit on a generated table, keeping generation 0's feature pool."""
        if getattr(self, "feature_pool_", None) is None:
            data = self.validate(data)
            self._bind(data, strict=False)
            self.feature_pool_ = data[self.features_].reset_index(drop=True)
        self._fit_rows(data)
        return self

    def sample(self, n: int, *, rng=None) -> pd.DataFrame:
        self._check_fitted("sampling")
        n = self._sample_count(n)
        rng = _as_rng(rng)
        idx = rng.integers(0, len(self.feature_pool_), size=n)
        feats = self.feature_pool_.iloc[idx].reset_index(drop=True)
        X = self._design(feats)
        out = feats.copy()
        out[self.target] = self._draw_target(X, rng)
        return self.schema_.conform(out[self.features_ + [self.target]])

    def _params_series(self) -> pd.Series:
        return pd.Series(self._param_values(), index=list(self.parameter_names_), name="value")

    def holdout_risk(self, data: pd.DataFrame) -> float:
        """Mean loss on real rows: log-loss (logistic) or squared error (linear)."""
        self._check_fitted("scoring")
        return float(np.mean(self._loss(data)))



class LinearRegressionAdapter(_RegressionAdapter):
    """Linear regression ``y = Xβ + ε``, ε ~ N(0, σ²), fitted by least squares.

    Parameters
    ----------
    target : str
        Numeric column to predict.
    features : list of str, optional
        Predictors (default: every other column; categorical ones are one-hot encoded).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=2000)})
    >>> df["y"] = 1.0 + 2.0 * df["x"] + rng.normal(size=2000)
    >>> LinearRegressionAdapter(target="y").fit(df).params_.round(1)
    intercept    1.0
    beta[x]      2.0
    noise_var    1.0
    Name: value, dtype: float64
    """

    name: ClassVar[str] = "linear"
    _has_noise = True

    def _check_target(self, y: pd.Series) -> None:
        if not _is_numeric(y):
            raise ValidationError(
                f"the linear adapter needs a numeric target; {self.target!r} is not numeric "
                "(use adapter 'logistic' for a binary target)."
            )

    def _fit_rows(self, data: pd.DataFrame) -> None:
        X = self._design(data)
        y = data[self.target].to_numpy(dtype=float)
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        resid = y - X @ beta
        dof = max(len(y) - X.shape[1], 1)
        self.beta_ = beta
        self.noise_var_ = float(resid @ resid / dof)

    def _param_values(self):
        return np.concatenate([self.beta_, [self.noise_var_]])

    def _loss(self, data):
        return (data[self.target].to_numpy(dtype=float) - self._design(data) @ self.beta_) ** 2

    def _draw_target(self, X, rng):
        return X @ self.beta_ + np.sqrt(max(self.noise_var_, 0.0)) * rng.standard_normal(len(X))


class LogisticRegressionAdapter(_RegressionAdapter):
    """Logistic regression for a binary target, fitted by maximum likelihood (IRLS).

    The target's second level (in category order, or the larger value) is the positive class.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=4000)})
    >>> df["y"] = (rng.random(4000) < 1 / (1 + np.exp(-(0.5 - df["x"])))).astype(int)
    >>> LogisticRegressionAdapter(target="y").fit(df).params_.round(1)
    intercept    0.5
    beta[x]     -1.0
    Name: value, dtype: float64
    """

    name: ClassVar[str] = "logistic"
    _has_noise = False

    def _check_target(self, y: pd.Series) -> None:
        levels = (
            list(y.cat.categories) if isinstance(y.dtype, pd.CategoricalDtype)
            else sorted(pd.unique(y), key=str)
        )
        if len(levels) != 2:
            raise ValidationError(
                f"the logistic adapter needs a binary target; {self.target!r} has "
                f"{len(levels)} level(s): {levels[:6]}."
            )
        self.classes_ = levels

    def _fit_rows(self, data: pd.DataFrame) -> None:
        X = self._design(data)
        y = (data[self.target].to_numpy() == self.classes_[1]).astype(float)
        self.beta_ = fit_logistic(X, y)

    def _param_values(self):
        return self.beta_.copy()

    def predict_proba(self, data: pd.DataFrame) -> np.ndarray:
        """P(target = positive class | features) for each row."""
        self._check_fitted("predicting")
        return _sigmoid(self._design(data) @ self.beta_)

    def _loss(self, data):
        p = np.clip(self.predict_proba(data), 1e-15, 1 - 1e-15)
        y = data[self.target].to_numpy() == self.classes_[1]
        return -np.where(y, np.log(p), np.log1p(-p))

    def _draw_target(self, X, rng):
        positive = rng.random(len(X)) < _sigmoid(X @ self.beta_)
        values = np.where(positive, 1, 0)
        return np.asarray(self.classes_, dtype=object)[values]
