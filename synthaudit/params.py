"""Parameter identity: the only place parameter names are built and read (docs/design.md §4).

A parameter is a :class:`Param` — a *kind* and the column(s) (and levels) it is about — and a
model's parameters, in θ order, are a :class:`ParamLayout`. Names are *rendered* from the
structure, never parsed back by the rest of the package: every room that needs to know what a
parameter is reads the layout (saved with every result and run directory).

Grammar of a rendered name::

    name   := kind "[" arg ("," arg)* "]"  |  bare
    arg    := text | text "=" text          (column, or column=level for probabilities)
    text   := any characters, with  \\  [  ]  ,  =  :  written as  \\\\ \\[ \\] \\, \\= \\:

=================  =============================  ==================================
kind               name                           what
=================  =============================  ==================================
``mean``           ``mean[x]``                    Gaussian mean of column x
``var``            ``var[x]``                     Gaussian variance of column x
``cov``            ``cov[a,b]``                   Gaussian covariance of a and b
``p``              ``p[c=l]`` / ``p[a=x,b=y]``    probability of a level (joint cell)
``rate``           ``rate[k]``                    Poisson rate of column k
``beta``           ``beta[x]`` / ``beta[c=l]``    regression coefficient (one-hot level l)
``intercept``      ``intercept``                  regression intercept
``noise_var``      ``noise_var``                  regression noise variance σ²
``other``          the adapter's own name         anything else (no closed forms)
=================  =============================  ==================================

Ordinary names read as before (``mean[age]``, ``p[sex=F]``); names with the special characters
stay distinct: columns ``"a,b"``/``"c"`` give ``cov[a\\,b,c]`` and ``"a"``/``"b,c"`` give
``cov[a,b\\,c]``. Levels are written with ``str``; when two levels of one column would read the
same (``1`` and ``"1"``) that column's levels are written with ``repr`` instead.

Examples
--------
>>> Param("cov", ("a,b", "c")).name
'cov[a\\\\,b,c]'
>>> parse_name("p[a\\\\=b=c]")
Param(kind='p', columns=('a=b',), levels=('c',))
>>> lay = gaussian_layout(["x", "y"])
>>> lay.names
('mean[x]', 'mean[y]', 'var[x]', 'cov[x,y]', 'var[y]')
>>> lay.cov_index.tolist()
[[2, 3], [3, 4]]
>>> ParamLayout.from_dict(lay.to_dict()) == lay
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .exceptions import ValidationError

__all__ = [
    "CategoricalBlock",
    "KINDS",
    "Param",
    "ParamLayout",
    "categorical_layout",
    "concat_layouts",
    "gaussian_layout",
    "level_labels",
    "other_layout",
    "parse_name",
    "poisson_layout",
    "quote",
    "regression_layout",
    "unquote",
]

#: every parameter kind, with whether its name carries bracketed arguments
KINDS = {
    "mean": True,
    "var": True,
    "cov": True,
    "p": True,
    "rate": True,
    "beta": True,
    "intercept": False,
    "noise_var": False,
    "other": False,
}
_SPECIAL = "\\[],=:"
#: kinds whose families have closed-form KL divergence and Fisher information in metrics
_CLOSED_FORM_KINDS = frozenset({"mean", "var", "cov", "p", "rate"})


def quote(text) -> str:
    """Escape the grammar's special characters in a column or level string.

    Examples
    --------
    >>> quote("a,b=c")
    'a\\\\,b\\\\=c'
    >>> quote("age")
    'age'
    """
    s = str(text)
    if not any(ch in s for ch in _SPECIAL):
        return s
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in s)


def unquote(text: str) -> str:
    """Inverse of :func:`quote`."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, cur, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            cur.append(text[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def level_labels(levels: Sequence) -> tuple[str, ...]:
    """How a column's levels are written in names: ``str``, or ``repr`` where two would clash.

    Examples
    --------
    >>> level_labels(["a", "b"])
    ('a', 'b')
    >>> level_labels([1, "1"])
    ('1', "'1'")
    """
    labels = tuple(str(v) for v in levels)
    if len(set(labels)) == len(labels):
        return labels
    reprs = tuple(repr(v.item() if isinstance(v, np.generic) else v) for v in levels)
    if len(set(reprs)) == len(reprs):
        return reprs
    raise ValidationError(
        f"levels {list(levels)[:6]} cannot be told apart even by repr(); give the column "
        "distinct level values."
    )


@dataclass(frozen=True)
class Param:
    """One parameter: its kind, the column(s) it is about, and (for ``p``) the level of each.

    ``kind="other"`` keeps an adapter's own name in ``columns[0]`` (no closed forms apply).
    """

    kind: str
    columns: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValidationError(f"unknown parameter kind {self.kind!r}; known: {sorted(KINDS)}.")
        object.__setattr__(self, "columns", tuple(str(c) for c in self.columns))
        object.__setattr__(self, "levels", tuple(str(v) for v in self.levels))
        if self.kind == "p" and len(self.levels) != len(self.columns):
            raise ValidationError("a `p` parameter needs one level per column.")
        if self.kind == "beta" and len(self.levels) > 1:
            raise ValidationError("a `beta` parameter has at most one level (a one-hot feature).")

    @property
    def name(self) -> str:
        """The rendered, unambiguous name (see the module's grammar)."""
        if self.kind == "other":
            return self.columns[0]
        if not KINDS[self.kind]:
            return self.kind
        if self.kind in ("p", "beta") and self.levels:
            args = [f"{quote(c)}={quote(v)}" for c, v in zip(self.columns, self.levels)]
        else:
            args = [quote(c) for c in self.columns]
        return f"{self.kind}[{','.join(args)}]"

    @property
    def label(self) -> str:
        """A plain-language label for people (not unique; for tables and figures)."""
        cols = " × ".join(self.columns)
        if self.kind == "mean":
            return f"mean of {cols}"
        if self.kind == "var":
            return f"variance of {cols}"
        if self.kind == "cov":
            return f"covariance of {self.columns[0]} and {self.columns[1]}"
        if self.kind == "p":
            cell = ", ".join(f"{c} = {v}" for c, v in zip(self.columns, self.levels))
            return f"share of rows with {cell}"
        if self.kind == "rate":
            return f"mean count of {cols}"
        if self.kind == "beta":
            return f"coefficient of {cols}" + (f" = {self.levels[0]}" if self.levels else "")
        if self.kind == "intercept":
            return "intercept"
        if self.kind == "noise_var":
            return "noise variance"
        return self.columns[0]

    def to_list(self) -> list:
        return [self.kind, list(self.columns), list(self.levels)]

    @classmethod
    def from_list(cls, item) -> Param:
        kind, cols, levels = item
        return cls(kind, tuple(cols), tuple(levels))


def parse_name(name: str) -> Param:
    """Read a rendered name back (for names typed by people, e.g. a ``truth`` Series).

    Names that do not follow the grammar come back as ``Param("other", (name,))``.

    Examples
    --------
    >>> parse_name("cov[a,b\\\\,c]").columns
    ('a', 'b,c')
    >>> parse_name("intercept").kind
    'intercept'
    """
    name = str(name)
    if name in KINDS and not KINDS[name]:
        return Param(name)
    kind, sep, rest = name.partition("[")
    if not sep or kind not in KINDS or not KINDS[kind] or not rest.endswith("]") or (
        rest.endswith("\\]") and not rest.endswith("\\\\]")
    ):
        return Param("other", (name,))
    args = _split_unescaped(rest[:-1], ",")
    if kind == "beta" and len(args) == 1 and len(_split_unescaped(args[0], "=")) == 2:
        col, level = _split_unescaped(args[0], "=")
        return Param("beta", (unquote(col),), (unquote(level),))
    if kind == "p":
        cols, levels = [], []
        for a in args:
            parts = _split_unescaped(a, "=")
            if len(parts) != 2:
                return Param("other", (name,))
            cols.append(unquote(parts[0]))
            levels.append(unquote(parts[1]))
        return Param("p", tuple(cols), tuple(levels))
    want = 2 if kind == "cov" else 1
    if len(args) != want:
        return Param("other", (name,))
    return Param(kind, tuple(unquote(a) for a in args))


@dataclass(frozen=True)
class CategoricalBlock:
    """One multinomial: a column (independent marginals) or the joint cells of several."""

    columns: tuple[str, ...]
    index: np.ndarray  # positions of the block's p parameters in θ
    levels: tuple[str, ...]  # level label of each cell (joint: "x,y")

    @property
    def label(self) -> str:
        return ",".join(self.columns)

    def __eq__(self, other):
        return (
            isinstance(other, CategoricalBlock)
            and self.columns == other.columns
            and self.levels == other.levels
            and np.array_equal(self.index, other.index)
        )

    def __hash__(self):
        return hash((self.columns, self.levels, tuple(self.index.tolist())))


def _ints(values=()) -> np.ndarray:
    return np.asarray(list(values), dtype=np.int64)


@dataclass(frozen=True, eq=False)
class ParamLayout:
    """The parameters of a model, in θ order, and where each family's parameters sit.

    Built by the adapters from :class:`Param` objects (never from names); saved with results
    and run directories (:meth:`to_dict`). Every room reads parameters through it.

    Attributes
    ----------
    params : tuple of Param
    names : tuple of str
    gaussian_columns : tuple of str
    mean_index : ndarray (p,)
    cov_index : ndarray (p, p)
        Position of ``var``/``cov`` of each pair of Gaussian columns (symmetric).
    categorical : tuple of CategoricalBlock
    poisson_columns : tuple of str
    rate_index : ndarray
    beta_columns : tuple of str
        Names of the ``beta`` parameters (a one-hot feature has one per level).
    beta_index, intercept_index, noise_index : ndarray
    unknown : tuple of str
        Names of ``other`` parameters (closed forms do not apply when non-empty).
    """

    params: tuple[Param, ...]
    gaussian_columns: tuple[str, ...] = ()
    mean_index: np.ndarray = field(default_factory=_ints)
    cov_index: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    categorical: tuple[CategoricalBlock, ...] = ()
    poisson_columns: tuple[str, ...] = ()
    rate_index: np.ndarray = field(default_factory=_ints)
    beta_columns: tuple[str, ...] = ()
    beta_index: np.ndarray = field(default_factory=_ints)
    intercept_index: np.ndarray = field(default_factory=_ints)
    noise_index: np.ndarray = field(default_factory=_ints)

    @classmethod
    def from_params(cls, params: Iterable[Param]) -> ParamLayout:
        """Index a sequence of parameters by family (θ order is the sequence's order)."""
        params = tuple(params)
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            seen, dup = set(), []
            for n in names:
                if n in seen:
                    dup.append(n)
                seen.add(n)
            raise ValidationError(
                f"two parameters share the name(s) {dup[:5]}; rename the column(s) involved."
            )
        pos = {p: i for i, p in enumerate(params)}
        means = [(p.columns[0], i) for i, p in enumerate(params) if p.kind == "mean"]
        gcols = tuple(c for c, _ in means)
        g = len(gcols)
        cov_index = np.zeros((g, g), dtype=np.int64)
        for i, a in enumerate(gcols):
            for j in range(i, g):
                key = Param("var", (a,)) if i == j else Param("cov", (a, gcols[j]))
                if key not in pos:
                    raise ValidationError(
                        f"Gaussian block over {list(gcols)} lacks parameter {key.name}."
                    )
                cov_index[i, j] = cov_index[j, i] = pos[key]
        blocks: dict[tuple, list] = {}
        for i, p in enumerate(params):
            if p.kind == "p":
                blocks.setdefault(p.columns, []).append((i, ",".join(p.levels)))
        cat = tuple(
            CategoricalBlock(cols, _ints(i for i, _ in items), tuple(lv for _, lv in items))
            for cols, items in blocks.items()
        )
        rates = [(p.columns[0], i) for i, p in enumerate(params) if p.kind == "rate"]
        betas = [(p.name, i) for i, p in enumerate(params) if p.kind == "beta"]
        return cls(
            params=params,
            gaussian_columns=gcols,
            mean_index=_ints(i for _, i in means),
            cov_index=cov_index,
            categorical=cat,
            poisson_columns=tuple(c for c, _ in rates),
            rate_index=_ints(i for _, i in rates),
            beta_columns=tuple(c for c, _ in betas),
            beta_index=_ints(i for _, i in betas),
            intercept_index=_ints(i for i, p in enumerate(params) if p.kind == "intercept"),
            noise_index=_ints(i for i, p in enumerate(params) if p.kind == "noise_var"),
        )

    @classmethod
    def from_names(cls, names: Iterable[str]) -> ParamLayout:
        """A layout read from rendered names (legacy traces and names typed by people)."""
        return cls.from_params(parse_name(n) for n in names)

    # -- reading ------------------------------------------------------------------------------
    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @cached_property
    def _pos(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.names)}

    def index(self, name: str) -> int:
        """Position of a parameter (by name or :class:`Param`) in θ."""
        key = name.name if isinstance(name, Param) else str(name)
        try:
            return self._pos[key]
        except KeyError:
            raise ValidationError(
                f"unknown parameter {key!r}; this model's parameters: {list(self.names)[:8]}"
                + (" …" if len(self.names) > 8 else "") + "."
            ) from None

    def __len__(self) -> int:
        return len(self.params)

    def __iter__(self):
        return iter(self.params)

    def __contains__(self, name) -> bool:
        key = name.name if isinstance(name, Param) else str(name)
        return key in self._pos

    @property
    def n_params(self) -> int:
        return len(self.params)

    @property
    def unknown(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params if p.kind == "other")

    @property
    def complete(self) -> bool:
        """Every parameter belongs to a family with closed-form KL and Fisher information
        (Gaussian, categorical, Poisson); regression and ``other`` parameters have none here."""
        return all(p.kind in _CLOSED_FORM_KINDS for p in self.params)

    @property
    def is_regression(self) -> bool:
        return bool(len(self.beta_index) or len(self.intercept_index))

    @property
    def variance_names(self) -> list[str]:
        """The Gaussian ``var`` parameters, in column order."""
        return [self.names[int(self.cov_index[i, i])] for i in range(len(self.gaussian_columns))]

    @property
    def n_free_params(self) -> int:
        """Free parameters d (probabilities of a block sum to one)."""
        g = len(self.gaussian_columns)
        d = g + g * (g + 1) // 2
        d += sum(len(b.index) - 1 for b in self.categorical)
        d += len(self.poisson_columns)
        d += len(self.beta_index) + len(self.intercept_index) + len(self.noise_index)
        return d + len(self.unknown)

    def labels(self) -> list[str]:
        """Plain-language labels, in θ order."""
        return [p.label for p in self.params]

    # -- storing ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-friendly form (saved in results and run manifests)."""
        return {"params": [p.to_list() for p in self.params]}

    @classmethod
    def from_dict(cls, d: dict) -> ParamLayout:
        return cls.from_params(Param.from_list(item) for item in d["params"])

    def __eq__(self, other) -> bool:
        return isinstance(other, ParamLayout) and self.params == other.params

    def __hash__(self) -> int:
        return hash(self.params)

    def __repr__(self) -> str:
        more = " …" if len(self.names) > 6 else ""
        return f"ParamLayout({list(self.names[:6])}{more})"


# ---------------------------------------------------------------------------------------------
# builders used by the adapters and the simulators
# ---------------------------------------------------------------------------------------------
def gaussian_params(columns: Sequence[str]) -> list[Param]:
    """``mean`` of every column, then the covariance's upper triangle row by row."""
    cols = [str(c) for c in columns]
    out = [Param("mean", (c,)) for c in cols]
    for i, a in enumerate(cols):
        for j in range(i, len(cols)):
            out.append(Param("var", (a,)) if i == j else Param("cov", (a, cols[j])))
    return out


def categorical_params(columns: Sequence[str], levels: dict, *, joint: bool = False) -> list[Param]:
    """``p`` per level of each column (independent), or per joint cell in C order (joint)."""
    cols = [str(c) for c in columns]
    labels = {c: level_labels(levels[c]) for c in columns}
    if not joint:
        return [Param("p", (str(c),), (lv,)) for c in columns for lv in labels[c]]
    sizes = [len(labels[c]) for c in columns]
    grid = np.array(np.unravel_index(np.arange(int(np.prod(sizes))), sizes)).T
    return [
        Param("p", tuple(cols), tuple(labels[c][k] for c, k in zip(columns, row))) for row in grid
    ]


def gaussian_layout(columns: Sequence[str]) -> ParamLayout:
    return ParamLayout.from_params(gaussian_params(columns))


def categorical_layout(columns: Sequence[str], levels: dict, *, joint: bool = False) -> ParamLayout:
    return ParamLayout.from_params(categorical_params(columns, levels, joint=joint))


def poisson_layout(columns: Sequence[str]) -> ParamLayout:
    return ParamLayout.from_params(Param("rate", (str(c),)) for c in columns)


def regression_layout(features: Sequence, *, noise: bool) -> ParamLayout:
    """``intercept``, ``beta`` per feature, then ``noise_var`` for a linear model.

    ``features`` holds column names, or ``(column, level)`` pairs for one-hot levels.
    """
    ps = [Param("intercept")] + [
        Param("beta", (str(f[0]),), (str(f[1]),)) if isinstance(f, tuple) else Param("beta", (str(f),))
        for f in features
    ]
    if noise:
        ps.append(Param("noise_var"))
    return ParamLayout.from_params(ps)


def other_layout(names: Sequence[str]) -> ParamLayout:
    """A layout of names the package knows nothing about (an object adapter's ``params_``)."""
    return ParamLayout.from_params(Param("other", (str(n),)) for n in names)


def concat_layouts(*layouts: ParamLayout) -> ParamLayout:
    """Blocks side by side (θ of the first, then the second, …)."""
    return ParamLayout.from_params(p for lay in layouts for p in lay.params)
