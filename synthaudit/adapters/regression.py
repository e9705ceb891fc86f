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

from ..params import level_labels, regression_layout
from .base import BaseAdapter, LearnedFromReal, as_rng
from .schema import TableSchema, is_numeric, levels_of

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

    # -- settings and columns -------------------------------------------------------------
    def settings_problems(self) -> list[str]:
        problems = []
        if self.target is None:
            problems.append(f"the {self.name} adapter needs `target=` (the column to predict).")
        f = self.features
        if f is not None and (isinstance(f, str) or not hasattr(f, "__iter__")):
            problems.append(f"`features` must be a list of column names; got {f!r}.")
        return problems

    def _feature_list(self, data: pd.DataFrame) -> list:
        if self.features is None:
            return [c for c in data.columns if c != self.target]
        return list(self.features)

    def _column_problems(self, data: pd.DataFrame, *, strict: bool) -> list[str]:
        problems = []
        if self.target is not None and self.target not in data.columns:
            problems.append(
                f"target {self.target!r} is not a column; available: {list(data.columns)}."
            )
        f = self.features
        if f is not None and (isinstance(f, str) or not hasattr(f, "__iter__")):
            return problems
        feats = self._feature_list(data)
        missing = [c for c in feats if c not in data.columns]
        if missing:
            problems.append(f"feature column(s) {missing} not in the table.")
        if not feats:
            problems.append("no feature columns; give at least one with features=[...].")
        if self.target in feats:
            problems.append(f"the target {self.target!r} cannot also be a feature.")
        if self.target is not None and self.target in data.columns:
            msg = self._target_problem(data[self.target])
            if msg:
                problems.append(msg)
        if strict:
            const = [
                c for c in feats
                if c in data.columns and is_numeric(data[c]) and data[c].nunique() < 2
            ]
            if const:
                problems.append(
                    f"feature column(s) {const} are constant; drop them with features=[...]."
                )
        return problems

    # -- binding --------------------------------------------------------------------------
    def _learn(self, data: pd.DataFrame) -> LearnedFromReal:
        feats = self._feature_list(data)
        schema = TableSchema.from_frame(data[feats + [self.target]])
        return LearnedFromReal(schema, self._learn_extra(data[self.target], schema))

    def _learn_extra(self, y: pd.Series, schema: TableSchema) -> dict:
        return {}

    def _bind_learned(self, learned: LearnedFromReal) -> None:
        schema = learned.schema
        feats = [c for c in schema.columns if c != self.target]
        coefs, levels = [], {}
        for c in feats:
            if schema.kinds[c] == "categorical":
                lv = list(schema.levels[c])
                levels[c] = lv
                coefs += [(c, v) for v in level_labels(lv)[1:]]
            else:
                coefs.append(c)
        self.features_ = feats
        self._levels = levels
        self.layout_ = regression_layout(coefs, noise=self._has_noise)
        self._bind_extra(learned)
        self.learned_ = learned
        self.schema_ = schema

    def _bind_extra(self, learned: LearnedFromReal) -> None:
        pass

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
        data = self.validate(data, strict=True)
        self._bind_learned(self._learn(data))
        self.feature_pool_ = data[self.features_].reset_index(drop=True)
        self._fit_rows(data)
        return self

    def fit_generated(self, data: pd.DataFrame, *, rng=None, learned: LearnedFromReal | None = None):
        """Refit on a generated table. A fitted model keeps its schema and its feature pool;
        an unfitted one binds to ``learned`` (or to ``data``) and takes ``data``'s feature rows
        as its pool (generation 0's rows)."""
        if getattr(self, "feature_pool_", None) is None:
            if learned is not None:
                self._bind_learned(self._check_learned(learned))
            else:
                data = self.validate(data, strict=False)
                self._bind_learned(self._learn(data))
            self.feature_pool_ = data[self.features_].reset_index(drop=True)
        self._fit_rows(data)
        return self

    def sample(self, n: int, *, rng=None) -> pd.DataFrame:
        """Resample feature rows from the pool and draw the target; ``rng`` is required."""
        self._check_fitted("sampling")
        n = self._sample_count(n)
        rng = as_rng(rng)
        idx = rng.integers(0, len(self.feature_pool_), size=n)
        feats = self.feature_pool_.iloc[idx].reset_index(drop=True)
        X = self._design(feats)
        out = feats.copy()
        out[self.target] = self._draw_target(X, rng)
        return self.schema_.conform(out[self.features_ + [self.target]], source=self.name)

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

    def _target_problem(self, y: pd.Series) -> str | None:
        if not is_numeric(y):
            return (
                f"the linear adapter needs a numeric target; {self.target!r} is not numeric "
                "(use adapter 'logistic' for a binary target)."
            )
        return None

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

    The target's second level (in category order, or in the package's level order: the larger
    number, the later text) is the positive class.

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

    def _target_problem(self, y: pd.Series) -> str | None:
        levels = list(levels_of(y))
        if len(levels) != 2:
            return (
                f"the logistic adapter needs a binary target; {self.target!r} has "
                f"{len(levels)} level(s): {levels[:6]}."
            )
        return None

    def _learn_extra(self, y: pd.Series, schema: TableSchema) -> dict:
        return {"classes": levels_of(y)}

    def _bind_extra(self, learned: LearnedFromReal) -> None:
        self.classes_ = list(learned.extra["classes"])

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
