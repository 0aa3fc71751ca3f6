"""Uncertain scenario inputs for batch runs: validated distributions and reproducible draws.

A scenario's ``[uncertain]`` table maps dotted paths into the scenario spec to distributions::

    [uncertain."hazards.flood.return_period_years"]
    dist = "return_period"
    min_years = 20
    max_years = 200

Continuous distributions are drawn by inverse CDF from one uniform number each (scipy.stats),
which makes bounds (truncation) exact for every family and keeps each input a monotone function
of its own uniform draw. Every run draws with its own generator, derived from the batch seed and
the run index by :class:`numpy.random.SeedSequence` (spawn key = run index), so a run's inputs
never depend on the number of workers or the order in which runs finish.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from scipy import stats

from network.errors import InputError
from scenarios.core.spec import Scenario

__all__ = ["Distribution", "check_paths", "parse_uncertain", "resolve_path", "run_seeds", "sample"]


class _Dist(BaseModel):
    """A distribution of one uncertain input: strict about its parameters, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Continuous(_Dist):
    """Shared by the continuous families: optional bounds (exact truncation) and integer rounding.

    Each family defines ``_frozen()``, its scipy.stats frozen distribution.
    """

    low: float | None = None
    high: float | None = None
    integer: bool = False

    def _cdf_range(self) -> tuple[float, float]:
        """The bounds as cumulative probabilities (0 and 1 where unbounded)."""
        d = self._frozen()
        lo = 0.0 if self.low is None else float(d.cdf(self.low))
        hi = 1.0 if self.high is None else float(d.cdf(self.high))
        return lo, hi

    @model_validator(mode="after")
    def _check(self) -> _Continuous:
        """Refuse bounds in the wrong order or holding no probability (a family may check its own instead)."""
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low must be below high, found low={self.low:g}, high={self.high:g}")
        lo, hi = self._cdf_range()
        if not hi > lo:
            raise ValueError(f"the bounds [{self.low}, {self.high}] hold no probability under this distribution")
        return self

    def draw(self, rng: np.random.Generator) -> float | int:
        """One value, by inverse CDF of a uniform number within the bounds' probabilities."""
        lo, hi = self._cdf_range()
        x = float(self._frozen().ppf(rng.uniform(lo, hi)))
        if self.low is not None:  # ppf round-off must not step outside the declared bounds
            x = max(x, self.low)
        if self.high is not None:
            x = min(x, self.high)
        return round(x) if self.integer else x


class Uniform(_Dist):
    """Uniform on [low, high]; with ``integer`` a whole number from low to high, both included."""

    dist: Literal["uniform"]
    low: float
    high: float
    integer: bool = False

    @model_validator(mode="after")
    def _check(self) -> Uniform:
        """Low below high; whole numbers for an integer uniform."""
        if not self.low < self.high:
            raise ValueError(f"low must be below high, found low={self.low:g}, high={self.high:g}")
        if self.integer and (self.low != int(self.low) or self.high != int(self.high)):
            raise ValueError("integer uniform needs whole-number low and high (both inclusive)")
        return self

    def draw(self, rng: np.random.Generator) -> float | int:
        """One value."""
        if self.integer:
            return int(rng.integers(int(self.low), int(self.high), endpoint=True))
        return float(stats.uniform(self.low, self.high - self.low).ppf(rng.uniform()))


class Normal(_Continuous):
    """Normal by its mean and standard deviation, optionally bounded."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)

    def _frozen(self):
        """The frozen scipy.stats distribution (scipy gives its type no public name)."""
        return stats.norm(self.mean, self.sd)


class LogNormal(_Continuous):
    """Log-normal by its median and the standard deviation of log(x)."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(gt=0)

    def _frozen(self):
        """The frozen scipy.stats distribution (scipy gives its type no public name)."""
        return stats.lognorm(s=self.sigma, scale=self.median)


class Triangular(_Continuous):
    """Triangular from low to high, most likely at mode."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    def _frozen(self):
        """The frozen scipy.stats distribution (scipy gives its type no public name)."""
        return stats.triang((self.mode - self.low) / (self.high - self.low), loc=self.low, scale=self.high - self.low)

    @model_validator(mode="after")
    def _check(self) -> Triangular:
        """Low, mode and high in order (instead of the shared bounds check: they are its support)."""
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(f"need low <= mode <= high and low < high, found {self.low:g}, {self.mode:g}, {self.high:g}")
        return self


class Gumbel(_Continuous):
    """Gumbel (EV1) for annual maxima, e.g. a flood peak stage in metres."""

    dist: Literal["gumbel"]
    loc: float
    scale: float = Field(gt=0)

    def _frozen(self):
        """The frozen scipy.stats distribution (scipy gives its type no public name)."""
        return stats.gumbel_r(self.loc, self.scale)


class ReturnPeriod(_Dist):
    """Return period T (years) of the year's largest flood, given that it reaches ``min_years``.

    An annual maximum exceeds its T-year value with probability 1/T, so conditioned on
    T >= T_min, P(T > t) = T_min / t: T = T_min / U with U uniform, capped at ``max_years``
    by drawing U from [T_min / T_max, 1].
    """

    dist: Literal["return_period"]
    min_years: float = Field(gt=1)
    max_years: float | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _check(self) -> ReturnPeriod:
        """max_years, when given, above min_years."""
        if self.max_years is not None and not self.max_years > self.min_years:
            raise ValueError(f"max_years must exceed min_years, found {self.max_years:g} <= {self.min_years:g}")
        return self

    def draw(self, rng: np.random.Generator) -> float | int:
        """One return period in years."""
        u_lo = 0.0 if self.max_years is None else self.min_years / self.max_years
        u = 1.0 - rng.uniform(0.0, 1.0 - u_lo)  # in (u_lo, 1]: never zero
        t = self.min_years / u
        if self.max_years is not None:
            t = min(t, self.max_years)
        return round(t) if self.integer else float(t)


class Choice(_Dist):
    """One of ``values``, equally likely or by ``weights``."""

    dist: Literal["choice"]
    values: list[Any] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _check(self) -> Choice:
        """One non-negative, finite weight per value, not all zero."""
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"weights: {len(self.weights)} given for {len(self.values)} values")
            if any(w < 0 or not math.isfinite(w) for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights: must be non-negative, finite and not all zero")
        return self

    def draw(self, rng: np.random.Generator) -> Any:
        """One of the values."""
        p = None if self.weights is None else np.asarray(self.weights, float) / sum(self.weights)
        return self.values[int(rng.choice(len(self.values), p=p))]


class Bernoulli(_Dist):
    """True with probability p; ``values`` = [if_false, if_true] maps it to anything else."""

    dist: Literal["bernoulli"]
    p: float = Field(ge=0, le=1)
    values: list[Any] | None = None

    @model_validator(mode="after")
    def _check(self) -> Bernoulli:
        """Two values, when given: [if_false, if_true]."""
        if self.values is not None and len(self.values) != 2:
            raise ValueError(f"values: expected [if_false, if_true], found {len(self.values)} values")
        return self

    def draw(self, rng: np.random.Generator) -> Any:
        """True or False, or the matching one of ``values``."""
        hit = bool(rng.uniform() < self.p)
        return hit if self.values is None else self.values[int(hit)]


class Binomial(_Dist):
    """Successes of n trials with probability p: e.g. how many of n teams turn up (availability)."""

    dist: Literal["binomial"]
    n: int = Field(ge=0)
    p: float = Field(ge=0, le=1)

    def draw(self, rng: np.random.Generator) -> int:
        """One count of successes."""
        return int(rng.binomial(self.n, self.p))


class Poisson(_Dist):
    """Count of independent events with mean ``mean``, e.g. road sections damaged."""

    dist: Literal["poisson"]
    mean: float = Field(ge=0)
    high: int | None = None

    def draw(self, rng: np.random.Generator) -> int:
        """One count, capped at ``high`` when given."""
        k = int(rng.poisson(self.mean))
        return k if self.high is None else min(k, self.high)


class Subset(_Dist):
    """Each of ``values`` is kept independently with probability ``p`` (order preserved): e.g.
    which team bases, warehouses or shelters are out of action (``resources.unavailable``)."""

    dist: Literal["subset"]
    values: list[Any] = Field(min_length=1)
    p: float = Field(ge=0, le=1)

    def draw(self, rng: np.random.Generator) -> list[Any]:
        """The values kept this time."""
        keep = rng.uniform(size=len(self.values)) < self.p
        return [v for v, k in zip(self.values, keep) if k]


Distribution = Annotated[
    Uniform | Normal | LogNormal | Triangular | Gumbel | ReturnPeriod | Choice | Bernoulli | Binomial | Poisson | Subset,
    Field(discriminator="dist"),
]
_ADAPTER: TypeAdapter = TypeAdapter(Distribution)
#: the ``dist`` names a table may give
DIST_NAMES = ("uniform", "normal", "lognormal", "triangular", "gumbel", "return_period", "choice", "bernoulli",
              "binomial", "poisson", "subset")


def parse_uncertain(uncertain: Mapping[str, Any] | None, *, source: str = "scenario") -> dict[str, Distribution]:
    """Validate a raw ``uncertain`` table.

    Parameters
    ----------
    uncertain : mapping or None
        {dotted path: table with ``dist`` and its parameters}, as read from TOML.
    source : str, default "scenario"
        Where the table comes from, for messages (a file path or ``builtin:NAME``).

    Returns
    -------
    dict
        {path: distribution} in sorted path order; empty for None.

    Raises
    ------
    InputError
        Naming ``source``, the field (``uncertain."path".param``) and the reason, for a path that
        is not dotted, an unknown ``dist`` or a parameter the distribution cannot take.
    """
    if uncertain is None:
        return {}
    if not isinstance(uncertain, Mapping):
        raise InputError(f"{source}: uncertain: expected a table of dotted paths, found {type(uncertain).__name__}")
    return {path: _parse_one(path, uncertain[path], source) for path in sorted(uncertain)}


def _parse_one(path: str, raw: Any, source: str) -> Distribution:
    """The distribution of one entry of an ``uncertain`` table, or an InputError naming its field."""
    field = f'uncertain."{path}"'
    if not isinstance(path, str) or not path or any(not p for p in path.split(".")):
        raise InputError(f"{source}: {field}: expected a dotted path such as 'hazards.flood.return_period_years'")
    if not isinstance(raw, Mapping):
        raise InputError(f"{source}: {field}: expected a table with 'dist' and its parameters, found {raw!r}")
    if raw.get("dist") not in DIST_NAMES:
        raise InputError(f"{source}: {field}.dist: expected one of {', '.join(DIST_NAMES)}, found {raw.get('dist')!r}")
    try:
        return _ADAPTER.validate_python(dict(raw))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"][1:])  # [0] is the union tag
        where = f"{field}.{loc}" if loc else field
        found = f", found {err['input']!r}" if loc and not isinstance(err.get("input"), dict) else ""
        msg = err["msg"].removeprefix("Value error, ")
        raise InputError(f"{source}: {where}: {msg}{found}") from None


def sample(uncertain: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """One draw of every uncertain input.

    Paths are drawn in sorted order, so reordering the table in the file does not change the draws.

    Parameters
    ----------
    uncertain : mapping
        A raw ``uncertain`` table, or the result of :func:`parse_uncertain`.
    rng : numpy.random.Generator
        The run's generator (see :func:`run_seeds`).

    Returns
    -------
    dict
        {dotted path: value}, plain Python values (JSON-safe).

    Raises
    ------
    InputError
        When a raw table does not validate (see :func:`parse_uncertain`).
    """
    dists = uncertain if all(not isinstance(v, Mapping) for v in uncertain.values()) else parse_uncertain(uncertain)
    return {path: dists[path].draw(rng) for path in sorted(dists)}


def run_seeds(batch_seed: int, run_index: int) -> tuple[np.random.Generator, int]:
    """The generator for run ``run_index``'s inputs and the seed of its simulation.

    Both come from ``SeedSequence(batch_seed, spawn_key=(run_index,))``: its first child draws
    the inputs, its second gives the simulation seed. They depend on nothing else, so a run's
    inputs do not depend on the number of workers or the order runs finish.

    Parameters
    ----------
    batch_seed : int
        The batch seed (non-negative).
    run_index : int
        The run's index in the batch (non-negative).

    Returns
    -------
    tuple of (numpy.random.Generator, int)
        The generator of the run's inputs, and its simulation seed (a non-negative 63-bit integer).

    Raises
    ------
    InputError
        When either number is negative.
    """
    if batch_seed < 0 or run_index < 0:
        raise InputError(f"seed and run index must be non-negative, found {batch_seed}, {run_index}")
    inputs_ss, sim_ss = np.random.SeedSequence(batch_seed, spawn_key=(run_index,)).spawn(2)
    sim_seed = int(sim_ss.generate_state(1, np.uint64)[0] >> np.uint64(1))
    return np.random.default_rng(inputs_ss), sim_seed


_MISSING = object()


def resolve_path(obj: Any, path: str) -> Any:
    """The value at a dotted path in a scenario (attributes, mapping keys, list indices).

    A free-form table (a mapping such as ``simulation.params``) may lack its last key: the
    default applies until the override sets it, and the override itself is validated.
    """
    cur = obj
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(cur, Mapping):
            nxt = cur.get(part, None if i == len(parts) - 1 else _MISSING)
        elif isinstance(cur, (list, tuple)):
            nxt = cur[int(part)] if part.lstrip("-").isdigit() and -len(cur) <= int(part) < len(cur) else _MISSING
        else:
            nxt = getattr(cur, part, _MISSING)
        if nxt is _MISSING:
            raise KeyError(part)
        cur = nxt
    return cur


def check_paths(dists: Mapping[str, Distribution], scenario: Scenario, *, source: str = "scenario") -> None:
    """Every uncertain path must name an existing field of the scenario (typos must not pass)."""
    for path in dists:
        try:
            resolve_path(scenario, path)
        except KeyError as exc:
            raise InputError(f'{source}: uncertain."{path}": no field {exc.args[0]!r} at this place in the scenario') from None
