"""Table metrics (per-row path): column-wise distances of a generated table to a real one,
and downstream risk (train on a generation's rows, score on real held-out rows)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import ValidationError

__all__ = [
    "correlation_distance",
    "downstream_risk",
    "is_numeric",
    "ks_statistic",
    "table_distances",
    "tv_distance",
]


def is_numeric(s: pd.Series) -> bool:
    """A numeric column that is not boolean (booleans are categorical)."""
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def ks_statistic(a, b, *, backend: str = "scipy") -> float:
    """Two-sample Kolmogorov–Smirnov statistic (sup-distance of the empirical cdfs), in [0, 1].

    ``backend="sdmetrics"`` computes ``1 − KSComplement`` (identical numbers; SDMetrics takes
    seconds to import, so scipy is the default).

    Examples
    --------
    >>> ks_statistic([0.0, 1.0, 2.0], [10.0, 11.0])
    1.0
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if backend == "sdmetrics":
        from sdmetrics.single_column import KSComplement

        return float(1.0 - KSComplement.compute(pd.Series(a), pd.Series(b)))
    from scipy.stats import ks_2samp

    return float(ks_2samp(a, b).statistic)


def tv_distance(a, b, levels=None, *, backend: str = "scipy") -> float:
    """Total variation ``½ Σ_l |f_a(l) − f_b(l)|`` between two categorical samples, in [0, 1].

    Examples
    --------
    >>> tv_distance(["x", "x", "y", "y"], ["x", "x", "x", "x"])
    0.5
    """
    if backend == "sdmetrics":
        from sdmetrics.single_column import TVComplement

        return float(1.0 - TVComplement.compute(pd.Series(a, dtype=object),
                                                pd.Series(b, dtype=object)))
    fa = pd.Series(np.asarray(a, dtype=object)).value_counts(normalize=True)
    fb = pd.Series(np.asarray(b, dtype=object)).value_counts(normalize=True)
    idx = fa.index.union(fb.index) if levels is None else pd.Index(list(levels)).union(
        fa.index.union(fb.index))
    return float(0.5 * np.abs(fa.reindex(idx, fill_value=0) - fb.reindex(idx, fill_value=0)).sum())


def correlation_distance(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Frobenius norm of the difference of the Pearson correlation matrices of two tables.

    A constant column (zero variance) has correlation 0 with every other column.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 2.0]})
    >>> b = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [2.0, 1.0, 0.0]})
    >>> round(correlation_distance(a, b), 6)    # off-diagonals +1 vs -1: sqrt(2·2²)
    2.828427
    """
    def corr(t):
        X = t.to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            C = np.corrcoef(X, rowvar=False)
        C = np.nan_to_num(np.atleast_2d(C), nan=0.0)
        np.fill_diagonal(C, 1.0)
        return C

    return float(np.linalg.norm(corr(a) - corr(b)))


def table_distances(table: pd.DataFrame, real: pd.DataFrame, columns=None, *,
                    backend: str = "scipy") -> dict[str, float]:
    """Per-column distances of ``table`` to ``real``: ``ks:c`` (numeric), ``tv:c`` (categorical)
    and ``corr`` (numeric correlation matrices, with ≥ 2 numeric columns).

    Examples
    --------
    >>> real = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "c": ["a", "b", "a", "b"]})
    >>> table_distances(real.iloc[:2], real)
    {'ks:x': 0.5, 'tv:c': 0.0}
    """
    cols = list(real.columns) if columns is None else list(columns)
    out: dict[str, float] = {}
    num = [c for c in cols if is_numeric(real[c])]
    for c in cols:
        if c in num:
            out[f"ks:{c}"] = ks_statistic(table[c], real[c], backend=backend)
        else:
            levels = real[c].cat.categories if isinstance(real[c].dtype, pd.CategoricalDtype) \
                else None
            out[f"tv:{c}"] = tv_distance(table[c], real[c], levels, backend=backend)
    if len(num) >= 2:
        out["corr"] = correlation_distance(table[num], real[num])
    return out


def _labels_of(s: pd.Series) -> list:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return list(s.cat.categories)
    return sorted(pd.unique(s), key=lambda v: (str(type(v)), v))


def downstream_risk(train: pd.DataFrame, test: pd.DataFrame, target: str, *, labels=None,
                    task: str | None = None, clip: float = 1e-15) -> float:
    """Train-on-synthetic, test-on-real risk of a scikit-learn model.

    A categorical target gets a :class:`~sklearn.linear_model.LogisticRegression` (one-hot
    categorical features, standardised numeric ones) scored by log-loss over ``labels`` (every
    level of the real target: a class missing from ``train`` gets probability ``clip``, so the
    loss stays finite); a numeric target a :class:`~sklearn.linear_model.Ridge` (α = 1) scored by
    mean squared error.

    Parameters
    ----------
    train, test : DataFrame
    target : str
    labels : sequence, optional
        All classes of a categorical target (default: levels of ``test`` and ``train``).
    task : {"classification", "regression"}, optional
        Default: classification unless the target is numeric (not bool).
    clip : float
        Probabilities are clipped to ``[clip, 1]`` and renormalised.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> df = pd.DataFrame({"x": x, "y": 2 * x + rng.normal(scale=0.1, size=400)})
    >>> round(downstream_risk(df[:200], df[200:], "y"), 2)
    0.01
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if target not in train.columns or target not in test.columns:
        raise ValidationError(f"`target` {target!r} is not a column of the table.")
    feats = [c for c in train.columns if c != target]
    task = task or ("regression" if is_numeric(test[target]) else "classification")
    num = [c for c in feats if is_numeric(test[c])]
    cat = [c for c in feats if c not in num]

    def prep(df):
        out = df[feats].copy()
        for c in cat:
            out[c] = out[c].astype(str)
        for c in num:
            out[c] = out[c].astype(float)
        return out

    transformers = []
    if num:
        transformers.append(("num", StandardScaler(), num))
    if cat:
        transformers.append(("cat", OneHotEncoder(handle_unknown="ignore"), cat))
    Xtr, Xte = prep(train), prep(test)
    if task == "regression":
        ytr = train[target].to_numpy(dtype=float)
        yte = test[target].to_numpy(dtype=float)
        if not feats:
            pred = np.full(len(yte), ytr.mean())
        else:
            model = make_pipeline(ColumnTransformer(transformers), Ridge(alpha=1.0))
            pred = model.fit(Xtr, ytr).predict(Xte)
        return float(np.mean((yte - pred) ** 2))
    if task != "classification":
        raise ValidationError(f"`task` must be 'classification' or 'regression'; got {task!r}.")
    ytr = np.asarray(train[target].astype(str))
    yte = np.asarray(test[target].astype(str))
    if labels is None:
        labels = sorted(set(ytr) | set(yte))
    labels = [str(v) for v in labels]
    col = {v: i for i, v in enumerate(labels)}
    unknown = sorted(set(yte) - set(col))
    if unknown:
        raise ValidationError(f"the test target holds level(s) {unknown} not in `labels`.")
    probs = np.zeros((len(yte), len(labels)))
    present = np.unique(ytr)
    if len(present) == 1 or not feats:
        freq = pd.Series(ytr).value_counts(normalize=True)
        for v, f in freq.items():
            probs[:, col[v]] = f
    else:
        model = make_pipeline(ColumnTransformer(transformers), LogisticRegression(max_iter=2000))
        model.fit(Xtr, ytr)
        pr = model.predict_proba(Xte)
        for j, v in enumerate(model.classes_):
            probs[:, col[str(v)]] = pr[:, j]
    probs = np.clip(probs, clip, 1.0)
    probs /= probs.sum(axis=1, keepdims=True)
    idx = np.array([col[v] for v in yte])
    return float(-np.mean(np.log(probs[np.arange(len(yte)), idx])))
