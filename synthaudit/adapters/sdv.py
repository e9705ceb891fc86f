"""SDV single-table synthesizers as adapters: ``make_adapter("sdv:gaussian_copula")`` and friends.

SDV (and torch, which it pulls in) is imported only inside the adapter's methods, never by
``import synthaudit``; without it a :class:`~synthaudit.exceptions.MissingDependencyError` says
``pip install "synthaudit[sdv]"``.

What the adapter does around SDV (tested in ``tests/test_sdv_adapter.py``):

* **Metadata once, without ranges.** The metadata is detected once, from the real table (the
  first ``fit``), kept in the frozen ``learned_`` (as JSON text) and reused for every later
  generation (see :class:`~synthaudit.adapters._synth.SynthesizerAdapter`). Its range keys (``range_min``,
  ``range_max``, ``range_values``, ``decimal_places``, any other ``range_*`` but
  ``range_is_nullable``) are stripped, because SDV validates training data against them: a
  later generation whose values leave the real range would fail with "Out of range values".
  The sdtypes follow the real table's schema, like the reference model: numeric columns are
  ``numerical``, every other column ``categorical`` (give integer codes a ``category`` dtype
  to have them modelled as categories). Keys (primary, alternate, sequence) are dropped.
* **Settings as given.** ``__init__`` stores its arguments unchanged; the defaults SDV needs
  (the synthesizer's canonical name, GaussianCopula's ``default_distribution="norm"``, the
  categorical marginals) are resolved at fit time into ``synthesizer_kwargs_``, and
  :meth:`SDVAdapter.effective_params` gives the settings with the defaults resolved (what the
  provenance records).
* **No clipping, no rounding by SDV.** ``enforce_min_max_values=False`` and
  ``enforce_rounding=False`` by default (both recorded in ``get_params``), so samples may leave
  the training range: clipping would hide drift. Integer columns are rounded by synthaudit when
  the sample is conformed to the real schema.
* **Seeding.** See :class:`SDVAdapter`.
* **Drift parameters.** ``params_`` are those of the reference model
  (:class:`~synthaudit.adapters.MixedAdapter`) fitted on the synthesizer's training table;
  :meth:`SDVAdapter.synthesizer_params_` shows what the synthesizer itself learned, where SDV
  exposes it (GaussianCopula: marginals and correlation; CopulaGAN: marginals).
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import json
import sys
import warnings

import numpy as np
import pandas as pd

from ..exceptions import AdapterError, MissingDependencyError, ValidationError
from ._synth import SynthesizerAdapter, int_seed, to_plain
from .schema import TableSchema

__all__ = ["SYNTHESIZERS", "SDVAdapter", "make_sdv_adapter", "sdv_metadata"]

#: short name -> class in ``sdv.single_table``
SYNTHESIZERS = {
    "gaussian_copula": "GaussianCopulaSynthesizer",
    "ctgan": "CTGANSynthesizer",
    "tvae": "TVAESynthesizer",
    "copulagan": "CopulaGANSynthesizer",
}
_ALIASES = {"gaussiancopula": "gaussian_copula", "copula": "gaussian_copula", "copula_gan":
            "copulagan"}
#: the table name used in SDV's ``{name: frame}`` dictionaries
TABLE = "table"
#: metadata keys that pin a column to the real table's range (stripped)
RANGE_KEYS = ("range_min", "range_max", "range_values", "decimal_places")
_KEY_KEYS = ("primary_key", "alternate_keys", "sequence_key", "sequence_index",
             "column_relationships")
_ADAPTER_SETTINGS = (
    "synthesizer_kwargs",
    "enforce_min_max_values",
    "enforce_rounding",
    "categorical_distribution",
)
_INSTALL = 'the SDV adapters need the sdv extra: pip install "synthaudit[sdv]"'


def _check_installed() -> None:
    if importlib.util.find_spec("sdv") is None:
        raise MissingDependencyError(f"sdv is not installed; {_INSTALL}.")


def _import_sdv():
    """``(sdv.single_table, sdv.metadata.Metadata)``, or MissingDependencyError."""
    try:
        from sdv import single_table
        from sdv.metadata import Metadata
    except ImportError as exc:
        raise MissingDependencyError(f"sdv could not be imported ({exc}); {_INSTALL}.") from exc
    return single_table, Metadata


def _normalise(name) -> str:
    key = str(name).strip().lower().replace("-", "_")
    return _ALIASES.get(key, key)


def _synthesizer_key(name) -> str:
    key = _normalise(name)
    if key not in SYNTHESIZERS:
        raise ValidationError(_unknown(name))
    return key


def _unknown(name) -> str:
    return f"unknown SDV synthesizer {name!r}; available: {', '.join('sdv:' + k for k in SYNTHESIZERS)}."


def make_sdv_adapter(name: str, **settings) -> SDVAdapter:
    """Factory behind the ``sdv:`` prefix: ``make_adapter("sdv:ctgan", epochs=2)``.

    ``synthesizer_kwargs``, ``enforce_min_max_values`` and ``enforce_rounding`` are the
    adapter's settings; every other keyword goes to the SDV synthesizer.

    Examples
    --------
    >>> make_sdv_adapter("ctgan", epochs=2)  # doctest: +SKIP
    SDVAdapter(synthesizer='ctgan', synthesizer_kwargs={'epochs': 2})
    """
    key = _synthesizer_key(name)
    _check_installed()
    own = {k: settings.pop(k) for k in list(settings) if k in _ADAPTER_SETTINGS}
    kwargs = dict(own.pop("synthesizer_kwargs", None) or {})
    kwargs.update(settings)
    return SDVAdapter(key, synthesizer_kwargs=kwargs, **own)


def sdv_metadata(data: pd.DataFrame, schema: TableSchema | None = None) -> dict:
    """SDV metadata (as a dict) for ``data``: detected, sdtypes set from the schema, no ranges.

    Detected with ``Metadata.detect_from_dataframes({TABLE: data})``; then every column gets
    sdtype ``numerical`` (numeric in ``schema``) or ``categorical`` (anything else), the range
    keys (:data:`RANGE_KEYS` and any other ``range_*`` but ``range_is_nullable``) are removed,
    and so are keys (primary, alternate, sequence). Load it with ``Metadata.load_from_dict``.
    """
    _, Metadata = _import_sdv()
    schema = schema or TableSchema.from_frame(data)
    plain = to_plain(data[list(schema.columns)])
    with _quiet():
        md = Metadata.detect_from_dataframes({TABLE: plain}).to_dict()
    table = md["tables"][TABLE]
    for key in _KEY_KEYS:
        table.pop(key, None)
    cols = table.setdefault("columns", {})
    for col in schema.columns:
        want = "numerical" if schema.kinds[col] == "numeric" else "categorical"
        detected = cols.get(col, {})
        if detected.get("sdtype") != want:
            detected = {"sdtype": want, "range_is_nullable": False}
        cols[col] = {
            k: v
            for k, v in detected.items()
            if k not in RANGE_KEYS and (not k.startswith("range_") or k == "range_is_nullable")
        }
    return md


@contextlib.contextmanager
def _quiet():
    """SDV, RDT and copulas warn a lot (metadata advice, ranges not covered, …): silence them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _global_seeds(seed: int):
    """Seed numpy's legacy global generator and torch's, then put their states back.

    CTGAN and TVAE (and CopulaGAN) draw from these global generators while training (batch
    order, noise, dropout); SDV gives no other handle on them. The previous states are restored
    afterwards so that code around synthaudit is not affected.
    """
    np_state = np.random.get_state()
    torch = sys.modules.get("torch")
    torch_state = torch.get_rng_state() if torch is not None else None
    np.random.seed(seed)  # CTGAN/TVAE read the legacy global generator
    if torch is not None:
        torch.manual_seed(seed)
    try:
        yield
    finally:
        np.random.set_state(np_state)
        if torch is not None:
            torch.set_rng_state(torch_state)


class SDVAdapter(SynthesizerAdapter):
    """An SDV single-table synthesizer behind the adapter contract.

    Parameters
    ----------
    synthesizer : {"gaussian_copula", "ctgan", "tvae", "copulagan"}
        Which ``sdv.single_table`` synthesizer.
    synthesizer_kwargs : dict, optional
        Passed to the synthesizer's constructor (e.g. ``{"epochs": 10}``). For GaussianCopula,
        ``default_distribution="norm"`` is used unless given (SDV's default, ``"beta"``, is
        several times slower to fit); the keywords a fit used are in ``synthesizer_kwargs_``
        and :meth:`effective_params` (recorded in the provenance).
    categorical_distribution : str or None, default "uniform"
        GaussianCopula only: the marginal used for categorical columns unless
        ``numerical_distributions`` names them. SDV encodes a category as a value spread
        uniformly over its interval of [0, 1], so ``"uniform"`` is exact; a ``"norm"`` marginal
        there spills mass onto the edge categories and pushes the largest level up by several
        points *per generation* (penguins' island: 0.489 → 0.562 in one generation) — a bias
        of the configuration, not of the synthesizer. ``None`` leaves them on
        ``default_distribution``.
    enforce_min_max_values, enforce_rounding : bool, default False
        SDV's clipping to the training range and rounding; off, so drift is not hidden.

    Notes
    -----
    **Seeding.** Every ``fit`` and ``sample`` draws a 31-bit integer seed from the ``rng`` the
    engine passes. Before ``fit``: numpy's legacy global seed (``np.random.seed``) and
    ``torch.manual_seed`` are set to it (CTGAN, TVAE and CopulaGAN train with those global
    generators; both are restored afterwards). Before ``sample``: the same, plus
    ``synthesizer.reset_sampling()`` and ``synthesizer._set_random_state(seed)``, because SDV
    otherwise samples every freshly fitted synthesizer with the fixed seed 73251
    (``FIXED_RNG_SEED`` in ``sdv.single_table.base``). RDT's transformers seed themselves from
    a hash of the data. So the same generator state gives the same tables, on CPU. Because the
    global generators are process-wide, run parallel audits in processes (joblib's default),
    not threads; CTGAN/TVAE use the GPU when one is visible (``enable_gpu=True`` is SDV's
    default), where results may not be bit-identical: pass ``enable_gpu=False`` to audit on CPU.

    Examples
    --------
    >>> from synthaudit.adapters import make_adapter
    >>> ad = make_adapter("sdv:gaussian_copula")  # doctest: +SKIP
    >>> ad.fit(df, rng=np.random.default_rng(0)).sample(5, rng=np.random.default_rng(1))
    ... # doctest: +SKIP
    """

    def __init__(
        self,
        synthesizer: str = "gaussian_copula",
        synthesizer_kwargs: dict | None = None,
        enforce_min_max_values: bool = False,
        enforce_rounding: bool = False,
        categorical_distribution: str | None = "uniform",
    ):
        self.synthesizer = synthesizer
        self.synthesizer_kwargs = synthesizer_kwargs
        self.enforce_min_max_values = enforce_min_max_values
        self.enforce_rounding = enforce_rounding
        self.categorical_distribution = categorical_distribution

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"sdv:{_normalise(self.synthesizer)}"

    def settings_problems(self) -> list[str]:
        problems = []
        if _normalise(self.synthesizer) not in SYNTHESIZERS:
            problems.append(_unknown(self.synthesizer))
        kwargs = self.synthesizer_kwargs
        if kwargs is not None and not isinstance(kwargs, dict):
            problems.append(
                f"`synthesizer_kwargs` must be a dict of SDV settings; got {type(kwargs).__name__}."
            )
        else:
            clash = sorted(set(kwargs or {}) & {"metadata", "enforce_min_max_values",
                                                  "enforce_rounding"})
            if clash:
                problems.append(
                    f"`synthesizer_kwargs` must not set {clash}: the metadata is detected from "
                    "the real table, and enforce_* are the adapter's own settings."
                )
        for what in ("enforce_min_max_values", "enforce_rounding"):
            if not isinstance(getattr(self, what), (bool, np.bool_)):
                problems.append(f"`{what}` must be True or False; got {getattr(self, what)!r}.")
        return problems

    def _resolved_kwargs(self) -> dict:
        """``synthesizer_kwargs`` with the adapter's defaults (GaussianCopula's
        ``default_distribution="norm"``: SDV's ``"beta"`` is several times slower to fit)."""
        kwargs = copy.deepcopy(dict(self.synthesizer_kwargs or {}))
        if _normalise(self.synthesizer) == "gaussian_copula":
            kwargs.setdefault("default_distribution", "norm")
        return kwargs

    def effective_params(self) -> dict:
        """The settings with the defaults resolved: the canonical synthesizer name and the
        synthesizer keywords a fit uses (before the per-column categorical marginals, which
        depend on the table and are in ``synthesizer_kwargs_`` after fit)."""
        params = copy.deepcopy(self.get_params())
        params["synthesizer"] = _normalise(self.synthesizer)
        params["synthesizer_kwargs"] = self._resolved_kwargs()
        return params

    def _describe(self) -> str:
        return f"SDV {SYNTHESIZERS.get(_normalise(self.synthesizer), self.synthesizer)}"

    # -- SynthesizerAdapter hooks -------------------------------------------------------------
    def _learn_real(self, data: pd.DataFrame, schema: TableSchema) -> dict:
        _check_installed()
        return {"metadata": json.dumps(sdv_metadata(data, schema))}

    def _new_synthesizer(self, meta_dict: dict):
        single_table, Metadata = _import_sdv()
        key = _synthesizer_key(self.synthesizer)
        cls = getattr(single_table, SYNTHESIZERS[key])
        with _quiet():
            metadata = Metadata.load_from_dict(copy.deepcopy(meta_dict))
            kwargs = self._resolved_kwargs()
            if key == "gaussian_copula" and self.categorical_distribution:
                columns = meta_dict["tables"][TABLE]["columns"]
                marginals = dict(kwargs.get("numerical_distributions") or {})
                for col, spec in columns.items():
                    if spec.get("sdtype") == "categorical":
                        marginals.setdefault(col, self.categorical_distribution)
                kwargs["numerical_distributions"] = marginals
            try:
                synth = cls(
                    metadata,
                    enforce_min_max_values=self.enforce_min_max_values,
                    enforce_rounding=self.enforce_rounding,
                    **kwargs,
                )
            except TypeError as exc:
                raise ValidationError(
                    f"bad `synthesizer_kwargs` for SDV {cls.__name__}: {exc}."
                ) from None
        return synth, kwargs

    def _fit_synthesizer(self, table: pd.DataFrame, rng: np.random.Generator) -> None:
        self.synthesizer_ = None
        meta = json.loads(self.learned_.extra["metadata"])
        synth, kwargs = self._new_synthesizer(meta)
        plain = to_plain(table)
        seed = int_seed(rng)
        with _quiet(), _global_seeds(seed):
            try:
                synth.fit({TABLE: plain})
            except Exception as exc:
                raise AdapterError(
                    f"{self._describe()}.fit failed: {type(exc).__name__}: {exc}"
                ) from exc
        self.synthesizer_ = synth
        self.synthesizer_kwargs_ = kwargs
        self.metadata_ = meta

    def _sample_synthesizer(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        synth = self.synthesizer_
        seed = int_seed(rng)
        with _quiet(), _global_seeds(seed):
            try:
                synth.reset_sampling()
                synth._set_random_state(seed)
                out = synth.sample(n)
            except Exception as exc:
                raise AdapterError(
                    f"{self._describe()}.sample failed: {type(exc).__name__}: {exc}"
                ) from exc
        if isinstance(out, dict):
            out = out[TABLE]
        return out

    # -- what the synthesizer learned -----------------------------------------------------------
    def synthesizer_params_(self) -> pd.Series:
        """What the SDV synthesizer itself learned, where SDV exposes it, as a Series.

        * ``marginal[<column>].<parameter>`` -- the learned marginal distributions
          (``get_learned_distributions()``: GaussianCopula and CopulaGAN), e.g.
          ``marginal[x].loc`` and ``marginal[x].scale`` for ``norm``. The marginal of a
          categorical column is that of its encoded values (SDV encodes categories as numbers
          in [0, 1]);
        * ``copula_corr[<a>,<b>]`` -- the Gaussian copula's correlation (GaussianCopula), one
          entry per pair ``a`` before ``b``, in the order of SDV's processed columns.

        Empty for CTGAN and TVAE (neural weights, nothing readable). The distribution family of
        each marginal is in ``synthesizer_.get_learned_distributions()``.
        """
        self._check_fitted("reading synthesizer_params_")
        synth = self.synthesizer_
        entries: dict[str, float] = {}
        get = getattr(synth, "get_learned_distributions", None)
        if callable(get):
            with _quiet():
                dists = get()
            for col, d in dists.items():
                for k, v in d.get("learned_parameters", {}).items():
                    if np.isscalar(v):
                        entries[f"marginal[{col}].{k}"] = float(v)
        corr = getattr(getattr(synth, "_model", None), "correlation", None)
        if isinstance(corr, pd.DataFrame):
            names = [str(c) for c in corr.columns]
            values = corr.to_numpy(dtype=float)
            for i in range(len(names)):
                for j in range(i + 1, len(names)):
                    entries[f"copula_corr[{names[i]},{names[j]}]"] = float(values[i, j])
        return pd.Series(entries, dtype=float, name="value")
