"""Scenario specs: a TOML file (or a built-in under ``scenarios/library/``) validated with pydantic.

A scenario names its network, its hazards (flood, forest fire, chemical release; several at
once), resources and plan, simulation settings and targets. Every problem is reported as one
message naming the file, the TOML line of the offending key where it can be found, the field,
what was expected and what was found; unknown keys are errors so typos never pass silently.

``uncertain`` is kept as raw tables: the batch runner validates and samples them and applies
the draws with :meth:`Scenario.with_overrides`.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, create_model, field_validator, model_validator

from network.checks import StrictModel, parse_toml, read_text_file
from network.errors import InputError
from sim.hazards import HAZARD_TYPES
from sim.params import SimParams

from .toml_paths import format_scenario_error, set_path, split_path, toml_line

LIBRARY = "library"
BUILTIN_PREFIX = "builtin:"


# ---------------------------------------------------------------------------------- sections
class NetworkSpec(StrictModel):
    """``builtin`` (the Changjiang District model), a district ``.toml``, or an OSM/GraphML file."""

    source: str = "builtin"
    dem: str | None = None          # ESRI ASCII grid for an OSM/GraphML network (node elevations)
    dem_crs: str | None = None      # the DEM's CRS when the .asc carries none (default: the network's)

    @model_validator(mode="after")
    def _dem_only_for_files(self):
        if self.dem is not None and (self.source == "builtin" or self.source.lower().endswith(".toml")):
            raise ValueError("dem is only for OSM/GraphML networks; a district model has its own terrain")
        return self

    @property
    def is_district(self) -> bool:
        """The source is a district model (built-in or a district TOML), not a bare road network."""
        return self.source == "builtin" or self.source.lower().endswith(".toml")


class _HazardsBase(StrictModel):
    @model_validator(mode="after")
    def _at_least_one(self):
        if all(getattr(self, t.kind) is None for t in HAZARD_TYPES):
            raise ValueError("name at least one hazard: " + ", ".join(f"[{t.field}]" for t in HAZARD_TYPES))
        return self


#: ``[hazards]``: one optional section per registered hazard kind (sim.hazards.HAZARD_TYPES)
HazardsSpec = create_model("HazardsSpec", __base__=_HazardsBase,
                           **{t.kind: (t.section | None, None) for t in HAZARD_TYPES})


class ResourcesSpec(StrictModel):
    """Changes to today's resources for this scenario (facility ids from the district file)."""

    unavailable: list[str] = []          # team bases, warehouses, shelters, supply sources or relief craft out of action
    open_shelters: list[str] = []        # candidate shelter sites opened in addition
    team_share: float = Field(1.0, gt=0, le=1)   # share of each team's people who report
    # outside supplies ([[supply_sources]]): every source's lead time and daily capacity scaled
    supply_lead_time_factor: float = Field(1.0, gt=0, le=20)
    supply_capacity_factor: float = Field(1.0, gt=0, le=20)


class PlanSpec(StrictModel):
    """Which plan to simulate; the budget and objective apply when it is optimised
    (``optimize.district_plan``: new facilities next to the existing ones, robust to this
    scenario's hazards)."""

    kind: Literal["existing", "optimized", "file"] = "existing"
    file: str | None = None              # a plan JSON (kind = "file"), relative to the scenario
    objective: str = "median"            # median | center | cover:MINUTES
    teams: int | dict[str, int] = 1      # new team bases per team layer (or per layer by name)
    shelters: int = Field(3, ge=0)       # new shelters from the district's candidate sites
    warehouses: int = Field(1, ge=0)     # new warehouses
    time_limit_s: float = Field(60.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _file_iff_file(self):
        if (self.kind == "file") != (self.file is not None):
            raise ValueError("kind = 'file' needs file = 'PLAN.json' (and file needs kind = 'file')")
        return self


class SimulationSpec(StrictModel):
    """How long, in what steps and from which seed to simulate; ``params`` are SimParams fields."""

    duration_h: float = Field(72.0, gt=0, le=24 * 30)
    step_s: float = Field(900.0, ge=1.0, le=86400)   # a hazard step under a second is no model's
    seed: int = Field(0, ge=0, le=2**63 - 1)
    params: dict[str, Any] = {}          # sim.params.SimParams fields
    relief_standard: str | None = None   # a relief standard TOML (network/data/relief_standard.toml's form)

    @field_validator("params")
    @classmethod
    def _params_ok(cls, v: dict[str, Any]) -> dict[str, Any]:
        clash = sorted(set(v) & {"duration_h", "hazard_step_s", "seed", "relief_target_h"})
        if clash:
            raise ValueError(f"{clash[0]} is set elsewhere (simulation.duration_h / step_s / seed, "
                             "targets.relief_within_h)")
        try:
            SimParams.from_dict(v)
        except InputError as exc:
            raise ValueError(str(exc)) from None
        return v


class Targets(StrictModel):
    """The plan's targets (docs/references/targets.md); each may be overridden per scenario."""

    relief_within_h: float = Field(10.0, gt=0)
    relief_share: float = Field(1.0, ge=0, le=1)
    warning_coverage: float = Field(0.9, ge=0, le=1)
    forest_fire_damage_permille: float = Field(0.9, ge=0)
    flood_deaths_per_million: float = Field(1.0, ge=0)   # expected annual flood deaths per million residents (<)


class Scenario(StrictModel):
    """A validated scenario. ``source`` is the file path or ``builtin:NAME``."""

    name: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    description_zh: str = ""
    description_en: str = ""
    network: NetworkSpec = NetworkSpec()
    hazards: HazardsSpec  # type: ignore[valid-type]
    resources: ResourcesSpec = ResourcesSpec()
    plan: PlanSpec = PlanSpec()
    simulation: SimulationSpec = SimulationSpec()
    targets: Targets = Targets()
    uncertain: dict[str, dict[str, Any]] = {}

    _source: str = PrivateAttr("")
    _base_dir: Path | None = PrivateAttr(None)
    _text: str = PrivateAttr("")

    @property
    def source(self) -> str:
        """Where the scenario came from: a file path or ``builtin:NAME``."""
        return self._source

    @property
    def text(self) -> str:
        """The TOML the scenario was read from (empty when built in code)."""
        return self._text

    def resolve(self, path: str) -> Path:
        """A path from the scenario file, relative to the file's folder (built-ins: the cwd)."""
        p = Path(path).expanduser()
        return p if p.is_absolute() or self._base_dir is None else self._base_dir / p

    def line_of(self, field: str) -> int | None:
        """The TOML line (1-based) of a dotted field, or of its nearest enclosing table."""
        return toml_line(self._text, split_path(field)) if self._text else None

    def where(self, field: str) -> str:
        """``file:line: field`` for messages about one field of this scenario."""
        line = self.line_of(field)
        return f"{self._source}{f':{line}' if line else ''}: {field}"

    def with_overrides(self, overrides: dict[str, Any]) -> "Scenario":
        """A copy with dotted paths replaced (``{"hazards.flood.return_period_years": 80.0}``), re-validated."""
        data = self.model_dump(mode="python", by_alias=True)
        for path, value in overrides.items():
            set_path(data, split_path(path), value, self._source)
        return _validate(data, self._source, self._text, self._base_dir, what="overrides")


def _validate(data: dict, source: str, text: str, base_dir: Path | None, *, what: str = "") -> Scenario:
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        msg = format_scenario_error(exc, f"{source} ({what})" if what else source, "" if what else text)
        raise InputError(msg) from None
    sc._source, sc._text, sc._base_dir = source, text, base_dir
    return sc


def library_names() -> list[str]:
    """Names of the built-in scenarios."""
    lib = resources.files("scenarios.core").joinpath(LIBRARY)
    return sorted(p.name[: -len(".toml")] for p in lib.iterdir() if p.name.endswith(".toml"))


def builtin_text(name: str) -> str:
    """The TOML of a built-in scenario (what ``yingji scenarios show`` prints)."""
    if name not in library_names():
        raise InputError(f"{name}: unknown scenario; built-in: {', '.join(library_names())} (or give a .toml file)")
    return resources.files("scenarios.core").joinpath(LIBRARY, f"{name}.toml").read_text(encoding="utf-8")


def parse_scenario(text: str, source: str, *, base_dir: Path | None = None, default_name: str = "") -> Scenario:
    """Validate scenario TOML text.

    Parameters
    ----------
    text
        The TOML.
    source
        What messages call it (a file path, or ``builtin:NAME``).
    base_dir
        Folder that relative paths in the scenario are resolved against.
    default_name
        The name when the TOML gives none.

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        Invalid TOML, or one line per problem: ``source:line: field: expected ...; found ...``.
    """
    raw = parse_toml(text, source)
    if default_name and "name" not in raw:
        raw["name"] = default_name
    return _validate(raw, source, text, base_dir)


def load_scenario(name_or_path: str | Path | Scenario) -> Scenario:
    """A built-in scenario by name (``scenarios/core/library/NAME.toml``) or a scenario TOML file.

    Parameters
    ----------
    name_or_path
        A built-in name (``yingji scenarios list``), a ``.toml`` path, or a Scenario (returned
        as it is).

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        An unknown name, a missing or unreadable file, or an invalid scenario.
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path
    text_arg = str(name_or_path)
    path = Path(text_arg).expanduser()
    looks_like_file = isinstance(name_or_path, Path) or text_arg.endswith(".toml") or "/" in text_arg or "\\" in text_arg
    if not looks_like_file and text_arg in library_names():
        return parse_scenario(builtin_text(text_arg), f"{BUILTIN_PREFIX}{text_arg}", default_name=text_arg)
    if path.exists():
        text = read_text_file(path, "a scenario file (TOML)")
        return parse_scenario(text, str(path), base_dir=path.resolve().parent, default_name=path.stem)
    if looks_like_file:
        raise InputError(f"{path}: scenario file not found")
    raise InputError(f"{text_arg}: unknown scenario; built-in: {', '.join(library_names())} (or give a .toml file)")


def list_scenarios() -> list[tuple[str, str, str]]:
    """(name, title_zh, title_en) of every built-in scenario."""
    out = []
    for name in library_names():
        sc = load_scenario(name)
        out.append((sc.name, sc.title_zh, sc.title_en))
    return out
