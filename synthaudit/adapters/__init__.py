"""Adapters: model families behind one contract (docs/design.md §4.2), registered by name.

``make_adapter("gaussian", estimator="mle")`` builds one by name (its settings are checked at
once); an adapter instance passes through unchanged, and any object with ``fit`` and ``sample``
is wrapped in an :class:`ObjectAdapter`. Names with a prefix (``"sdv:ctgan"``) go to a factory
registered for the prefix, imported lazily, so ``import synthaudit`` never imports sdv or torch.

The contract itself is checked by :func:`check_adapter` (:mod:`synthaudit.adapters.checks`).
"""

from __future__ import annotations

import importlib

from ..exceptions import ValidationError
from .base import Adapter, BaseAdapter, LearnedFromReal, ParametricAdapter
from .categorical import CategoricalAdapter
from .checks import check_adapter
from .external import ExternalAdapter, ObjectAdapter
from .gaussian import GaussianAdapter
from .mixed import MixedAdapter
from .poisson import PoissonAdapter
from .regression import LinearRegressionAdapter, LogisticRegressionAdapter
from .schema import TableSchema

__all__ = [
    "Adapter",
    "BaseAdapter",
    "CategoricalAdapter",
    "ExternalAdapter",
    "GaussianAdapter",
    "LearnedFromReal",
    "LinearRegressionAdapter",
    "LogisticRegressionAdapter",
    "MixedAdapter",
    "ObjectAdapter",
    "ParametricAdapter",
    "PoissonAdapter",
    "TableSchema",
    "available_adapters",
    "check_adapter",
    "make_adapter",
    "register_adapter",
]

_REGISTRY: dict[str, object] = {
    "gaussian": GaussianAdapter,
    "categorical": CategoricalAdapter,
    "poisson": PoissonAdapter,
    "mixed": MixedAdapter,
    "linear": LinearRegressionAdapter,
    "logistic": LogisticRegressionAdapter,
    "external": ExternalAdapter,
    "object": ObjectAdapter,
}

#: prefix -> "module:factory"; the module is imported only when such a name is used
_PREFIXES: dict[str, str] = {}


def register_adapter(name: str, factory, *, prefix: bool = False) -> None:
    """Register an adapter class (or factory) under ``name``.

    With ``prefix=True``, ``factory`` is a ``"module:function"`` string called with the part of
    the name after ``"name:"`` and the keyword settings, e.g. ``"sdv:ctgan"``.
    """
    if prefix:
        _PREFIXES[name] = factory
    else:
        _REGISTRY[name] = factory


def available_adapters() -> list[str]:
    """Names accepted by :func:`make_adapter` (prefixed families shown as ``prefix:*``).

    Examples
    --------
    >>> "gaussian" in available_adapters()
    True
    """
    return sorted(_REGISTRY) + sorted(f"{p}:*" for p in _PREFIXES)


def make_adapter(spec, **settings):
    """Build an adapter from a registered name (or pass an adapter instance through).

    The settings are checked at once (:meth:`~BaseAdapter.check_settings`): a bad setting is a
    :class:`~synthaudit.exceptions.ValidationError` listing every problem.

    Examples
    --------
    >>> make_adapter("gaussian", estimator="mle")
    GaussianAdapter(estimator='mle')
    """
    if not isinstance(spec, str):
        if settings:
            raise ValidationError("settings can only be given with an adapter name, not an instance.")
        if isinstance(spec, BaseAdapter):
            return spec
        if hasattr(spec, "fit") and hasattr(spec, "sample"):
            return ObjectAdapter(spec).check_settings()
        raise ValidationError(
            f"`adapter` must be a registered name ({', '.join(available_adapters())}) or an "
            f"object with fit(df) and sample(n); got {type(spec).__name__}."
        )
    key = spec.strip().lower()
    if key in _REGISTRY:
        try:
            adapter = _REGISTRY[key](**settings)
        except TypeError as exc:
            raise ValidationError(f"bad settings for adapter {key!r}: {exc}.") from None
        return _checked(adapter)
    prefix, sep, rest = key.partition(":")
    if sep and prefix in _PREFIXES:
        module, _, func = _PREFIXES[prefix].partition(":")
        factory = getattr(importlib.import_module(module), func)
        return _checked(factory(rest, **settings))
    raise ValidationError(
        f"unknown adapter {spec!r}; available: {', '.join(available_adapters())}."
    )


def _checked(adapter):
    check = getattr(adapter, "check_settings", None)
    return check() if callable(check) else adapter


register_adapter("sdv", "synthaudit.adapters.sdv:make_sdv_adapter", prefix=True)
