"""The adapter contract as executable checks (docs/design.md §4.2), in the style of scikit-learn's
``check_estimator`` / ``parametrize_with_checks``.

Each ``check_*`` function takes an *unfitted* adapter (a prototype it never fits itself: it fits
clones) and a real table the adapter can model, and raises :class:`AssertionError` saying what
broke the contract. :func:`check_adapter` runs them all and reports every failure at once;
:func:`adapter_checks` yields ``(name, check)`` pairs to parametrise a test suite::

    @pytest.mark.parametrize("name, check", list(adapter_checks(MyAdapter(), table)))
    def test_my_adapter(name, check):
        check()

Examples
--------
>>> import numpy as np, pandas as pd
>>> from synthaudit.adapters import GaussianAdapter
>>> rng = np.random.default_rng(0)
>>> check_adapter(GaussianAdapter(), pd.DataFrame({"x": rng.normal(size=50)}))
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from ..exceptions import NotFittedError, SynthauditWarning, ValidationError
from ..params import ParamLayout, level_labels
from .base import BaseAdapter, ParametricAdapter, _same
from .schema import is_numeric

__all__ = [
    "CHECKS",
    "adapter_checks",
    "check_adapter",
    "check_encode_matches_fit",
    "check_fit_generated_keeps_schema",
    "check_fitted_params",
    "check_not_fitted",
    "check_sample_keeps_schema",
    "check_sample_reproducible",
    "check_settings_only_init",
    "check_validate_lists_every_problem",
]


def _fit(adapter, table: pd.DataFrame, seed: int = 0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SynthauditWarning)
        return adapter.clone().fit(table, rng=np.random.default_rng(seed))


def _fail(check: str, message: str) -> None:
    raise AssertionError(f"{check}: {message}")


# ---------------------------------------------------------------------------------------------
# settings
# ---------------------------------------------------------------------------------------------
def check_settings_only_init(adapter, table: pd.DataFrame) -> None:
    """``__init__`` stores its arguments unchanged; ``get_params`` round-trips; ``clone`` is
    unfitted and shares no container; ``repr`` names the class; fitting changes no setting."""
    name = "check_settings_only_init"
    params = adapter.get_params()
    if not isinstance(params, dict):
        _fail(name, f"get_params() must return a dict; got {type(params).__name__}.")
    rebuilt = type(adapter)(**params)
    changed = [k for k, v in params.items() if getattr(rebuilt, k) is not v]
    if changed:
        _fail(name, f"__init__ must store its arguments unchanged; it altered {changed}.")
    if not all(_same(rebuilt.get_params()[k], v) for k, v in params.items()):
        _fail(name, "get_params() of an adapter rebuilt from get_params() differs.")
    clone = adapter.clone()
    if type(clone) is not type(adapter) or clone is adapter:
        _fail(name, "clone() must return a new adapter of the same class.")
    if clone.is_fitted:
        _fail(name, "clone() must return an unfitted adapter.")
    if not all(_same(clone.get_params()[k], v) for k, v in params.items()):
        _fail(name, "clone() must keep the settings.")
    shared = [k for k, v in params.items()
              if isinstance(v, (dict, list, set)) and getattr(clone, k) is v]
    if shared:
        _fail(name, f"clone() must not share mutable settings with the original; shares {shared}.")
    if not repr(adapter).startswith(f"{type(adapter).__name__}("):
        _fail(name, f"repr() must start with the class name; got {repr(adapter)[:60]!r}.")
    if adapter.clone().set_params(**adapter.clone().get_params()).get_params().keys() != params.keys():
        _fail(name, "set_params(**get_params()) must accept every setting.")
    fitted = _fit(adapter, table)
    after = fitted.get_params()
    altered = [k for k, v in params.items() if not _same(after[k], v)]
    if altered:
        _fail(name, f"fit() must not change the settings; it changed {altered}.")
    if adapter.is_fitted:
        _fail(name, "fitting a clone must leave the prototype unfitted.")


def check_not_fitted(adapter, table: pd.DataFrame) -> None:
    """``sample``, ``params_`` and ``n_free_params_`` before ``fit`` raise NotFittedError."""
    name = "check_not_fitted"
    fresh = adapter.clone()
    for what, call in (
        ("sample", lambda: fresh.sample(3, rng=np.random.default_rng(0))),
        ("params_", lambda: fresh.params_),
        ("n_free_params_", lambda: fresh.n_free_params_),
    ):
        try:
            call()
        except NotFittedError:
            continue
        except Exception as exc:  # any other error breaks the contract
            _fail(name, f"{what} before fit must raise NotFittedError; got {type(exc).__name__}.")
        _fail(name, f"{what} before fit must raise NotFittedError; it returned.")


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------
def _problems(call) -> list[str] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SynthauditWarning)
            call()
    except ValidationError as exc:
        return exc.problems
    return None


def _variants(table: pd.DataFrame, columns) -> list[tuple[str, pd.DataFrame]]:
    out = []
    two = table.copy()
    two.iloc[0, 0] = np.nan
    two = pd.concat([two, table.iloc[:, [0]]], axis=1)  # a missing cell and a duplicated name
    out.append(("a missing cell and a duplicated column", two))
    for col in list(columns)[:3]:
        const = table.copy()
        s = table[col]
        if is_numeric(s):
            const[col] = np.zeros(len(s), dtype=s.dtype)
        else:
            const[col] = s.iloc[[0] * len(s)].to_numpy()
            if isinstance(s.dtype, pd.CategoricalDtype):
                const[col] = pd.Categorical(const[col], dtype=s.dtype)
        out.append((f"column {col!r} constant", const))
    numeric = [c for c in columns if is_numeric(table[c])]
    if numeric:
        text = table.copy()
        text[numeric[0]] = np.where(np.arange(len(table)) % 2, "u", "v")
        out.append((f"column {numeric[0]!r} as text", text))
    return out


def check_validate_lists_every_problem(adapter, table: pd.DataFrame) -> None:
    """``validate`` checks without fitting, returns the table, and lists every problem at once;
    whatever ``fit`` refuses as invalid, ``validate`` refuses with the same problems."""
    name = "check_validate_lists_every_problem"
    fresh = adapter.clone()
    if fresh.validate(table) is not table:
        _fail(name, "validate(table) must return the table itself.")
    if fresh.is_fitted:
        _fail(name, "validate() must not fit.")
    columns = _fit(adapter, table).schema_.columns
    for label, bad in _variants(table, columns):
        v = _problems(lambda b=bad: adapter.clone().validate(b))
        f = _problems(lambda b=bad: adapter.clone().fit(b, rng=np.random.default_rng(0)))
        if label.startswith("a missing cell") and (v is None or len(v) < 2):
            _fail(name, f"{label}: validate() must list both problems at once; got {v}.")
        if f is not None and v != f:
            _fail(name, f"{label}: fit() refused the table with {f} but validate() gave {v}.")
        if v is not None and f is None:
            _fail(name, f"{label}: validate() refused the table ({v}) but fit() accepted it.")


# ---------------------------------------------------------------------------------------------
# fitted state and sampling
# ---------------------------------------------------------------------------------------------
def check_fitted_params(adapter, table: pd.DataFrame) -> None:
    """``fit`` returns the adapter; ``params_`` is indexed by ``layout_.names`` and finite;
    ``n_free_params_`` is the layout's."""
    name = "check_fitted_params"
    fresh = adapter.clone()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SynthauditWarning)
        if fresh.fit(table, rng=np.random.default_rng(0)) is not fresh:
            _fail(name, "fit() must return the adapter itself.")
    layout = fresh.layout_
    if not isinstance(layout, ParamLayout):
        _fail(name, f"layout_ must be a ParamLayout; got {type(layout).__name__}.")
    params = fresh.params_
    if not isinstance(params, pd.Series) or list(params.index) != list(layout.names):
        _fail(name, "params_ must be a Series indexed by layout_.names, in order.")
    if not np.isfinite(params.to_numpy(dtype=float)).all():
        _fail(name, f"params_ must be finite; got {params[~np.isfinite(params)].to_dict()}.")
    if fresh.n_free_params_ != layout.n_free_params:
        _fail(name, "n_free_params_ must equal layout_.n_free_params.")


def _check_frame(name: str, fitted, out, n: int) -> None:
    schema = fitted.schema_
    if not isinstance(out, pd.DataFrame) or len(out) != n:
        _fail(name, f"sample({n}) must return a DataFrame of {n} rows.")
    if tuple(out.columns) != tuple(schema.columns):
        _fail(name, f"sample() must return the columns {list(schema.columns)}; got {list(out.columns)}.")
    for col in schema.columns:
        kind, dtype = schema.kinds[col], out[col].dtype
        if kind == "categorical":
            want = schema.sample_dtype(col)
            if isinstance(want, pd.CategoricalDtype):
                if not isinstance(dtype, pd.CategoricalDtype) or list(dtype.categories) != list(
                    schema.levels[col]
                ):
                    _fail(name, f"column {col!r} must be a category with levels "
                                f"{list(schema.levels[col])[:6]} (lost levels included).")
            elif dtype != want or not out[col].isin(list(schema.levels[col])).all():
                _fail(name, f"column {col!r} must keep dtype {want} and the fitted levels.")
        elif kind == "count" and not pd.api.types.is_integer_dtype(dtype):
            _fail(name, f"count column {col!r} must be sampled as integers; got {dtype}.")
        elif not is_numeric(out[col]):
            _fail(name, f"numeric column {col!r} must be sampled as numbers; got {dtype}.")


def check_sample_keeps_schema(adapter, table: pd.DataFrame) -> None:
    """``sample`` keeps the columns, dtypes and levels, also after ``fit_generated`` on its own
    output; ``rng=None`` is refused."""
    name = "check_sample_keeps_schema"
    fitted = _fit(adapter, table)
    out = fitted.sample(37, rng=np.random.default_rng(1))
    _check_frame(name, fitted, out, 37)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SynthauditWarning)
        again = fitted.clone().fit_generated(out, rng=np.random.default_rng(2),
                                             learned=fitted.learned_)
    out2 = again.sample(23, rng=np.random.default_rng(3))
    _check_frame(name, again, out2, 23)
    if out2.dtypes.astype(str).tolist() != out.dtypes.astype(str).tolist():
        _fail(name, "a generation's samples must have the dtypes of the previous generation's.")
    try:
        fitted.sample(5, rng=None)
    except ValidationError:
        pass
    else:
        _fail(name, "sample(n, rng=None) must raise ValidationError (an unseeded draw).")


def check_sample_reproducible(adapter, table: pd.DataFrame) -> None:
    """The same generator state gives the same sample; an int seed is ``default_rng(seed)``."""
    name = "check_sample_reproducible"
    fitted = _fit(adapter, table)
    a = fitted.sample(25, rng=np.random.default_rng(5))
    b = fitted.sample(25, rng=np.random.default_rng(5))
    c = fitted.sample(25, rng=5)
    if not a.equals(b):
        _fail(name, "two samples with the same generator state differ.")
    if not a.equals(c):
        _fail(name, "sample(n, rng=5) must equal sample(n, rng=np.random.default_rng(5)).")
    refit = _fit(adapter, table)
    if not refit.sample(25, rng=np.random.default_rng(5)).equals(a):
        _fail(name, "two fits with the same seed sample different tables.")


def check_fit_generated_keeps_schema(adapter, table: pd.DataFrame) -> None:
    """``fit_generated`` keeps what was learned from the real table -- its own ``learned_``, or
    the one given -- so a level lost in a generation stays a level (probability 0); the model
    it was given ``learned`` from is untouched."""
    name = "check_fit_generated_keeps_schema"
    fitted = _fit(adapter, table)
    schema = fitted.schema_
    before = fitted.params_.copy()
    gen = fitted.sample(60, rng=np.random.default_rng(4))
    lost = None
    for col in schema.columns:
        levels = schema.levels.get(col, ())
        if schema.kinds[col] == "categorical" and len(levels) >= 2:
            keep = levels[1]
            gen[col] = gen[col].where(gen[col] != levels[0], keep)
            if isinstance(gen[col].dtype, pd.CategoricalDtype):
                gen[col] = pd.Categorical(gen[col], categories=list(levels))
            lost = (col, level_labels(levels)[0])
            break
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SynthauditWarning)
        models = {
            "a clone given learned=": fitted.clone().fit_generated(
                gen, rng=np.random.default_rng(5), learned=fitted.learned_
            ),
        }
        pd.testing.assert_series_equal(fitted.params_, before)
        models["the fitted adapter itself"] = _fit(adapter, table).fit_generated(
            gen, rng=np.random.default_rng(5)
        )
    for how, model in models.items():
        if model.schema_ != schema:
            _fail(name, f"{how}: fit_generated() must keep the real table's schema.")
        if list(model.params_.index) != list(before.index):
            _fail(name, f"{how}: fit_generated() must keep the parameter names.")
        out = model.sample(40, rng=np.random.default_rng(6))
        _check_frame(name, model, out, 40)
        if lost is not None:
            col, label = lost
            idx = [p.name for p in model.layout_.params if p.kind == "p" and col in p.columns
                   and p.levels[p.columns.index(col)] == label]
            if idx and not np.allclose(model.params_[idx].to_numpy(dtype=float), 0.0):
                _fail(name, f"{how}: the level {label!r} of {col!r} was lost; its probability "
                            "must be 0.")


# ---------------------------------------------------------------------------------------------
# parametric adapters: encode and statistics
# ---------------------------------------------------------------------------------------------
def check_encode_matches_fit(adapter, table: pd.DataFrame) -> None:
    """For a parametric adapter: ``encode`` follows the layout's blocks (Gaussian floats, one
    code column per categorical block, Poisson counts); ``fit`` equals
    ``params_from_stats(stats_from_encoded(encode(df)))``; statistics combine exactly; θ
    round-trips through its vector; simulated statistics give finite parameters."""
    name = "check_encode_matches_fit"
    if not isinstance(adapter, ParametricAdapter):
        return
    fitted = _fit(adapter, table)
    lay = fitted.layout_
    X = fitted.encode(table)
    g, k, q = len(lay.gaussian_columns), len(lay.categorical), len(lay.poisson_columns)
    if X.shape != (len(table), g + k + q):
        _fail(name, f"encode() must give one column per Gaussian column, categorical block and "
                    f"count column: shape {(len(table), g + k + q)}; got {X.shape}.")
    if g and not np.array_equal(X[:, :g], table[list(lay.gaussian_columns)].to_numpy(dtype=float)):
        _fail(name, "encode() must start with the Gaussian columns, as floats, in layout order.")
    for j, block in enumerate(lay.categorical):
        codes = X[:, g + j]
        if not (np.array_equal(codes, np.round(codes)) and codes.min() >= 0
                and codes.max() < len(block.index)):
            _fail(name, f"encode() column {g + j} must hold the codes of block {block.label!r}.")
    if q and not np.array_equal(X[:, g + k:], table[list(lay.poisson_columns)].to_numpy(dtype=float)):
        _fail(name, "encode() must end with the count columns.")
    theta = fitted.params_from_stats(fitted.stats_from_encoded(X[None]))
    vec = fitted.theta_vector(theta)
    if not np.array_equal(vec[0], fitted.params_.to_numpy(dtype=float)):
        _fail(name, "fit() must equal params_from_stats(stats_from_encoded(encode(df))).")
    if not np.allclose(fitted.theta_vector(fitted.theta_from_vector(vec)), vec, rtol=1e-12):
        _fail(name, "theta_from_vector(theta_vector(θ)) must give θ back.")
    half = len(table) // 2
    both = fitted.combine(fitted.stats_from_encoded(X[None, :half]),
                          fitted.stats_from_encoded(X[None, half:]))
    if not np.allclose(fitted.theta_vector(fitted.params_from_stats(both)), vec, rtol=1e-9, atol=1e-12):
        _fail(name, "combine() of two halves' statistics must give the statistics of the whole.")
    lanes = fitted.theta_from_vector(np.repeat(vec, 3, axis=0))
    sim = fitted.simulate_sufficient(lanes, 50, rng=np.random.default_rng(7))
    drawn = fitted.theta_vector(fitted.params_from_stats(sim))
    if drawn.shape != (3, len(lay)) or not np.isfinite(drawn).all():
        _fail(name, "simulate_sufficient() must give finite statistics for every lane.")


#: every contract check, in the order :func:`check_adapter` runs them
CHECKS: tuple[Callable[[BaseAdapter, pd.DataFrame], None], ...] = (
    check_settings_only_init,
    check_not_fitted,
    check_validate_lists_every_problem,
    check_fitted_params,
    check_sample_keeps_schema,
    check_sample_reproducible,
    check_fit_generated_keeps_schema,
    check_encode_matches_fit,
)


def adapter_checks(adapter, table: pd.DataFrame) -> Iterator[tuple[str, Callable[[], None]]]:
    """``(check name, zero-argument callable)`` pairs, to parametrise a test suite."""
    for check in CHECKS:
        yield check.__name__, (lambda c=check: c(adapter, table))


def check_adapter(adapter, table: pd.DataFrame) -> None:
    """Run every contract check on an unfitted ``adapter`` with a real ``table`` it can model.

    Raises one :class:`AssertionError` listing every check that failed (the adapter itself is
    never fitted: the checks fit clones).
    """
    failures = []
    for name, run in adapter_checks(adapter, table):
        try:
            run()
        except AssertionError as exc:
            failures.append(str(exc))
        except Exception as exc:  # an unexpected error is a failure too
            failures.append(f"{name}: raised {type(exc).__name__}: {exc}")
    if failures:
        raise AssertionError(
            f"{type(adapter).__name__} breaks the adapter contract:\n  - " + "\n  - ".join(failures)
        )
