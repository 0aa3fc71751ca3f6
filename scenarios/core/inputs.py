"""The inputs of a run: the scenario's road network (or district model) and its hazards, built by
the registered hazard types (:data:`sim.hazards.HAZARD_TYPES`)."""
from __future__ import annotations

from network.district import District, load_district
from network.elevation import add_elevation
from network.errors import InputError, at_field
from network.hazard import Hazard
from network.load import load_network
from network.model import RoadNetwork
from network.raster import read_asc
from sim.hazards import HAZARD_TYPES, BuildContext

from .spec import Scenario


# ---------------------------------------------------------------------------------- network
def load_scenario_network(scenario: Scenario) -> District | RoadNetwork:
    """The scenario's District (built-in, a district spec .toml, or a manifest of real data), or a
    RoadNetwork for a bare OSM/GraphML file (+ DEM)."""
    src = scenario.network.source
    if src == "builtin":
        return load_district()
    path = scenario.resolve(src)
    if not path.exists():
        raise InputError(f"{scenario.where('network.source')}: file not found: {path}")
    with at_field(scenario.where("network.source")):
        if src.lower().endswith(".toml"):
            return load_district(path)   # generated from a spec, or read from a manifest: one kind of district
        net = load_network(path)
    if scenario.network.dem is not None:
        dem_path = scenario.resolve(scenario.network.dem)
        if not dem_path.exists():
            raise InputError(f"{scenario.where('network.dem')}: file not found: {dem_path}")
        with at_field(scenario.where("network.dem")):
            dem = read_asc(dem_path, crs=scenario.network.dem_crs or net.crs)
            net = add_elevation(net, dem, source=str(dem_path))
    return net


# ---------------------------------------------------------------------------------- hazards
def build_hazards_with_notes(scenario: Scenario, district: District | RoadNetwork, *,
                             seed: int | None = None) -> tuple[list[Hazard], list[str]]:
    """Hazard objects and notes (model warnings, releases that did not happen) for ``district``.

    Every ``[hazards.<kind>]`` section of the scenario is built by its registered type
    (:data:`sim.hazards.HAZARD_TYPES`), in the registry's order.
    """
    ctx = BuildContext(district, scenario.simulation.seed if seed is None else seed,
                       scenario.simulation.duration_h * 3600.0, scenario.where, scenario.resolve)
    for t in HAZARD_TYPES:
        if t.needs_terrain and getattr(scenario.hazards, t.kind) is not None and not ctx.has_terrain:
            raise ctx.fail(t.field, f"the {t.kind} model needs a district's terrain (a DEM; land cover for a "
                           "fire, a river for a flood): use network.source = 'builtin', a district .toml, or a "
                           "manifest with [terrain] (docs/manifest.md); on a bare OSM/GraphML network only "
                           "[hazards.chemical] with location = [lon, lat] is available")
    hazards = []
    for t in HAZARD_TYPES:
        section = getattr(scenario.hazards, t.kind)
        if section is None:
            continue
        h = t.build(section, ctx)
        if h is not None:
            ctx.built[t.kind] = h
            hazards.append(h)
    return hazards, ctx.notes


def build_hazards(scenario: Scenario, district: District | RoadNetwork, *, seed: int | None = None) -> list[Hazard]:
    """Hazard objects of ``scenario`` on ``district`` (see :func:`build_hazards_with_notes`)."""
    return build_hazards_with_notes(scenario, district, seed=seed)[0]


