"""Adapters: model families behind one contract (DESIGN §4), registered by name.

``make_adapter("gaussian", estimator="mle")`` builds one by name; an adapter instance passes
through unchanged. Names with a prefix (``"sdv:ctgan"``) go to a factory registered for the
prefix, imported lazily, so ``import synthaudit`` never imports sdv or torch.
"""

from __future__ import annotations

import importlib

from ..exceptions import ValidationError
from .base import Adapter, BaseAdapter, ParametricAdapter, TableSchema
from .categorical import CategoricalAdapter
from .external import ExternalAdapter, ObjectAdapter
from .gaussian import GaussianAdapter
from .mixed import MixedAdapter
from .poisson import PoissonAdapter
from .regression import LinearRegressionAdapter, LogisticRegressionAdapter

__all__ = [
    "Adapter",
    "BaseAdapter",
    "CategoricalAdapter",
    "GaussianAdapter",
    "LinearRegressionAdapter",
    "LogisticRegressionAdapter",
    "MixedAdapter",
    "ParametricAdapter",
    "PoissonAdapter",
    "TableSchema",
    "available_adapters",
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
            return _wrap_object(spec)
        raise ValidationError(
            f"`adapter` must be a registered name ({', '.join(available_adapters())}) or an "
            f"object with fit(df) and sample(n); got {type(spec).__name__}."
        )
    key = spec.strip().lower()
    if key in _REGISTRY:
        try:
            return _REGISTRY[key](**settings)
        except TypeError as exc:
            raise ValidationError(f"bad settings for adapter {key!r}: {exc}.") from None
    prefix, sep, rest = key.partition(":")
    if sep and prefix in _PREFIXES:
        module, _, func = _PREFIXES[prefix].partition(":")
        factory = getattr(importlib.import_module(module), func)
        return factory(rest, **settings)
    raise ValidationError(
        f"unknown adapter {spec!r}; available: {', '.join(available_adapters())}."
    )


register_adapter("sdv", "synthaudit.adapters.sdv:make_sdv_adapter", prefix=True)
_REGISTRY.update(external=ExternalAdapter, object=ObjectAdapter)


def _wrap_object(obj):
    try:
        mod = importlib.import_module(".external", __name__)
    except ImportError:
        raise ValidationError(
            "wrapping a synthesizer object needs synthaudit.adapters.external, which is missing."
        ) from None
    return mod.ObjectAdapter(obj)
