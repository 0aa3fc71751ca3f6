"""Flood and fire on a district from real data: the Aguascalientes OSM extract with a DEM (a
valley with a river that falls eastwards), ESA WorldCover land cover, a river centreline, a gauge
with a stage-frequency table and a dike — files the tests write over the extract's real
coordinates — run through the same district model and scenario path as the built-in district."""
from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import numpy as np
import pytest

from network.errors import InputError

# the README's worked example writes the layers: the tests run on exactly what it shows
_spec = importlib.util.spec_from_file_location(
    "real_district_example", Path(__file__).resolve().parent.parent / "examples" / "real-district" / "build.py")
ex = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ex)

pytestmark = pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning")

RIVER_LAT, WEST, GAUGE, FOREST = ex.RIVER_LAT, ex.WEST, ex.GAUGE, ex.FOREST
KM_PER_DEG_LON, KM_PER_DEG_LAT, ACROSS = ex.KM_PER_DEG_LON, ex.KM_PER_DEG_LAT, ex.ACROSS
STAGES = ex.STAGES
MANIFEST = ex.MANIFEST


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("manifest-hazards")
    ex.build(d)
    return d


def load(root: Path, body: str = MANIFEST):
    from network.district import load_district

    path = root / "district.toml"
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return load_district(path)


def scenario(root: Path, name: str, hazard: str, hours: float = 10):
    from scenarios.core.spec import parse_scenario

    text = textwrap.dedent(f"""
        name = "{name}"
        title_zh = "测试"
        title_en = "test"
        [network]
        source = "district.toml"
        [simulation]
        duration_h = {hours}
        step_s = 300
    """) + textwrap.dedent(hazard)
    (root / f"{name}.toml").write_text(text, encoding="utf-8")
    return parse_scenario(text, str(root / f"{name}.toml"), base_dir=root)


def test_the_river_gauge_and_dike_are_read_into_the_district_model(root):
    from network.manifest import summary
    from network.terrain import LandCover

    d = load(root)
    river = d.spec.river
    lon = np.asarray(river.course)[:, 0]
    assert lon[0] == pytest.approx(WEST) and lon[-1] == pytest.approx(ex.EAST)        # joined, turned downstream
    assert river.surface_slope_m_per_km == ex.DOWN_M_PER_KM                          # as the manifest gives it
    assert river.gauge.stage_frequency == STAGES
    # the dike's crest is kept gauge-equivalent: its midpoint (-102.270) is at the gauge
    (dike,) = d.spec.dikes
    assert dike.crest_m == pytest.approx(ex.DIKE_CREST_M, abs=0.05) and dike.standard_years == 20
    lc = d.terrain.landcover
    xc, yc = lc.cell_centres()
    from network.projection import to_lonlat

    glon, glat = to_lonlat(*np.meshgrid(xc, yc), d.network.crs)
    wc = ex.worldcover(glon, glat)
    # WorldCover classes mapped: tree cover -> conifer forest, built-up -> urban, the channel water
    assert np.mean(lc.values[wc == 10] == int(LandCover.FOREST_CONIFER)) > 0.9
    assert np.mean(lc.values[wc == 50] == int(LandCover.URBAN)) > 0.9
    assert np.mean(lc.values[np.abs(glat - RIVER_LAT) * KM_PER_DEG_LAT * 1000 < 20] == int(LandCover.WATER)) > 0.9
    s = summary(d)
    assert s["hazards"] == ["flood", "fire", "chemical"] and s["river"] == "Río San Pedro (example)" and s["dikes"] == ["north-dike"]
    assert any("WorldCover" in f for f in s["fallbacks"]) and not any("surface slope" in f for f in s["fallbacks"])
    # without a slope it is fitted from the DEM across the channel, and said to be an estimate: the
    # DEM here is resampled from 20 m cells to 50 m, which lifts the channel's cells unevenly
    fitted = load(root, MANIFEST.replace("    surface_slope_m_per_km = 0.5", "    #"))
    assert 0.35 < fitted.spec.river.surface_slope_m_per_km < 0.7
    assert any(f.startswith("water: surface slope") and " km of river (estimate" in f for f in fitted.notes), fitted.notes
    load(root)


def test_the_slope_fit_reads_a_channel_off_the_grid():
    """On a DEM in the model's own grid, the fit finds the bed's fall exactly, whichever way the
    river was drawn, even with the centreline off the channel's lowest cells."""
    from network.manifest_water import _slope
    from network.raster import Raster

    cs = 25.0
    xc, yc = np.arange(400) * cs + cs / 2, np.arange(120) * cs + cs / 2
    x, y = np.meshgrid(xc, yc)
    z = 100.0 - 0.0008 * x + 0.01 * np.abs(y - 1500.0)                     # 0.8 m/km fall, 1 % side slopes
    z = np.where(np.abs(y - 1500.0) < 40.0, z - 3.0, z)
    dem = Raster(z, 0.0, 0.0, cs, "EPSG:32650")
    line = np.array([[200.0, 1530.0], [9800.0, 1480.0]])                    # drawn 30 m off, wandering
    slope, uphill, reach = _slope(line, dem, 100.0)
    assert slope == pytest.approx(0.8, rel=0.02) and not uphill and reach == pytest.approx(9600, rel=0.01)
    slope, uphill, _ = _slope(line[::-1], dem, 100.0)
    assert slope == pytest.approx(0.8, rel=0.02) and uphill


def test_design_floods_follow_the_gauges_table():
    from network.district_spec import Gauge
    from sim.hazards.flood.frequency import StageFrequency, gumbel_variate

    g = Gauge(name_zh="g", name_en="g", location=(0, 0), warning_stage_m=10.0,
              stage_frequency={2: 10.5, 10: 12.0, 100: 14.0}, rise_h=5, recession_h=7)
    table = StageFrequency.of_gauge(g)
    for t, h in ((2, 10.5), (10, 12.0), (100, 14.0)):
        assert table.peak_stage(t) == pytest.approx(h)
    y2, y10, y50 = (float(gumbel_variate(t)) for t in (2, 10, 50))
    y100 = float(gumbel_variate(100))
    assert table.peak_stage(5) == pytest.approx(10.5 + 1.5 * (float(gumbel_variate(5)) - y2) / (y10 - y2))
    assert table.peak_stage(50) == pytest.approx(12.0 + 2.0 * (y50 - y10) / (y100 - y10))
    assert table.peak_stage(200) > 14.0                                          # the last segment extended
    h = table.design(50, start_s=3600.0)
    assert h.base_stage_m == 9.0 and h.peak_stage_m == pytest.approx(table.peak_stage(50))
    assert h.peak_time_s == pytest.approx(3600.0 + 5 * 3600.0) and h.end_s == pytest.approx(3600.0 + 12 * 3600.0)
    with pytest.raises(InputError, match="natural"):
        table.design(50, "natural")
    with pytest.raises(Exception, match="rise with the return period"):
        Gauge(name_zh="g", name_en="g", location=(0, 0), warning_stage_m=1, stage_frequency={2: 3.0, 10: 2.0})
    with pytest.raises(Exception, match="needs a rating"):
        Gauge(name_zh="g", name_en="g", location=(0, 0), warning_stage_m=1, discharge_frequency={2: 300, 10: 900})
    with pytest.raises(Exception, match="not both"):
        Gauge(name_zh="g", name_en="g", location=(0, 0), warning_stage_m=1, stage_frequency={2: 3.0, 10: 4.0},
              discharge_frequency={2: 300, 10: 900}, rating={"datum_m": 0, "coefficient": 0.1, "exponent": 0.5})


def test_a_discharge_table_with_a_rating_and_a_reservoir_gives_the_chains_floods():
    """Peaks on the Gumbel line of the table, through the rating curve; the reservoir takes the
    flow above its release until its storage is full (only in the regulated regime)."""
    from network.district_spec import Gauge
    from sim.hazards.flood.frequency import gauge_design_floods, gumbel_variate

    rating = {"datum_m": 10.0, "coefficient": 0.2, "exponent": 0.5}
    g = Gauge(name_zh="g", name_en="g", location=(0, 0), warning_stage_m=15.0, discharge_frequency={2: 400, 100: 1600},
              rating=rating, base_discharge_m3s=100, rise_h=10, recession_h=20,
              reservoir={"share": 0.5, "release_m3s": 100, "flood_storage_m3": 1e12})
    design, rise = gauge_design_floods(g)
    y2, y50, y100 = (float(gumbel_variate(t)) for t in (2, 50, 100))
    q50 = 400 + 1200 * (y50 - y2) / (y100 - y2)
    natural = design(50, "natural")
    assert rise == 10 and natural.peak_stage_m == pytest.approx(10.0 + 0.2 * q50 ** 0.5)
    assert natural.peak_time_s == pytest.approx(10 * 3600.0)
    # storage never fills: the gauge sees the natural flow less half of it above 100 m³/s
    held = 0.5 * q50 - 100
    assert design(50, "regulated").peak_stage_m == pytest.approx(10.0 + 0.2 * (q50 - held) ** 0.5, rel=1e-6)


def test_a_flood_runs_on_the_manifest_and_the_dike_holds_the_ten_year_flood(root):
    """The 2-D flood on the manifest's DEM: the 10-year flood (1881.2 m at the gauge) stays
    behind the dike (crest 1882.0 m); with the dike removed, the same flood reaches the nodes
    behind it; the 100-year flood (1882.6 m) overtops it."""
    from scenarios.core.inputs import build_hazards
    from scenarios.core.runner import run_scenario

    d = load(root)
    net = d.network
    north = (net.lat - RIVER_LAT) * KM_PER_DEG_LAT * 1000.0
    bank = 1880.0 - (GAUGE[0] - WEST) * KM_PER_DEG_LON * ex.DOWN_M_PER_KM
    reach = (STAGES[10] - bank) / ACROSS          # where the 10-year level meets the ground (the same all along)
    behind = (north > 130.0) & (north < reach - 60.0) & (net.lon > -102.288) & (net.lon < -102.252)
    assert behind.sum() >= 5
    sc = scenario(root, "flood-10", "[hazards.flood]\nreturn_period_years = 10\n")
    (flood,) = build_hazards(sc, d)
    t = flood.first_flood_time_s()
    assert np.all(np.isinf(t[behind]))                                  # held by the dike
    south = (north < -40.0) & (north > -(reach - 60.0))
    assert south.sum() >= 5 and np.all(np.isfinite(t[south]))          # the open south bank floods
    no_dike = load(root, MANIFEST.replace('    dikes = "dikes.geojson"\n', ""))
    load(root)
    (open_flood,) = build_hazards(sc, no_dike)
    assert np.all(np.isfinite(open_flood.first_flood_time_s()[behind]))
    big = scenario(root, "flood-100", "[hazards.flood]\nreturn_period_years = 100\n")
    (overtopped,) = build_hazards(big, d)
    assert np.isfinite(overtopped.first_flood_time_s()[behind]).mean() > 0.5
    run = run_scenario(sc)
    k = run.result.kpis
    assert run.plan_label == "existing" and k["relief_time"]["affected_people"] > 0
    # the river's base flow stands below the banks: nothing floods before the rise, bridges included
    assert np.nanmin(flood.first_flood_time_s()) > 3600.0
    assert not any("no population" in n for n in run.notes)
    assert any(n.startswith("district: landcover: ESA WorldCover") for n in run.notes)   # the estimates are said


def test_a_fire_burns_the_manifests_forest_only(root):
    from scenarios.core.inputs import build_hazards
    from scenarios.core.runner import run_scenario

    d = load(root)
    lo0, la0, lo1, la1 = FOREST
    sc = scenario(root, "fire", f"""
        [hazards.fire]
        wind_speed_m_s = 3
        [[hazards.fire.ignitions]]
        at = [{(lo0 + lo1) / 2}, {(la0 + la1) / 2}]
    """, hours=4)
    (fire,) = build_hazards(sc, d)
    ind = fire.indicators([0.0, 4 * 3600.0])
    patch_ha = (lo1 - lo0) * KM_PER_DEG_LON * (la1 - la0) * KM_PER_DEG_LAT * 100.0
    assert ind["forest_ha"] == pytest.approx(patch_ha, rel=0.1)           # the tree cover is the forest
    assert 0 < ind["burned_ha"] == pytest.approx(ind["burned_forest_ha"])   # built-up land does not burn
    assert ind["damage_rate_permille"] == pytest.approx(1000 * ind["burned_forest_ha"] / ind["forest_ha"])
    run = run_scenario(sc)
    assert run.result.kpis["forest_fire_damage_permille"] is not None


def test_hazards_the_district_lacks_are_refused_with_the_part_to_add(root):
    from scenarios.core.inputs import build_hazards

    bare = load(root, MANIFEST.split("[landcover]")[0] + "[facilities]\n    file = \"facilities.geojson\"\n")
    with pytest.raises(InputError, match=r"hazards.flood: the district has no river: give \[water\]"):
        build_hazards(scenario(root, "f", "[hazards.flood]\nreturn_period_years = 10\n"), bare)
    with pytest.raises(InputError, match=r"names no forest areas .* at = \[lon, lat\]"):
        build_hazards(scenario(root, "g", "[hazards.fire]\n"), load(root))


@pytest.mark.parametrize("change, message", [
    (("location = [-102.270, 21.862]", "location = [-102.270, 21.900]"), r"water.gauge.location: 4.2 km from"),
    (('raster = "worldcover.tif"', 'raster = "worldcover.tif"\n    classes = { 10 = "forest_conifer" }'), r"class codes 50, 80 have no"),
    (('raster = "worldcover.tif"', 'raster = "worldcover.tif"\n    classes = { 10 = "jungle" }'), r"landcover.classes.10: expected one"),
    (("[terrain]\n    dem = \"dem.tif\"\n    cell_m = 50\n", ""), r"landcover: needs \[terrain\] dem"),
    (("{ 2 = 1879.0, 10 = 1881.2, 50 = 1882.1, 100 = 1882.6 }", "{ 2 = 1879.0 }"), r"at least two return periods"),
])
def test_bad_water_and_land_cover_get_one_line(root, change, message):
    with pytest.raises(InputError, match=message) as exc:
        load(root, MANIFEST.replace(*change))
    assert "\n" not in str(exc.value)


def test_an_optimized_plan_and_a_drill_on_the_manifest(root, tmp_path):
    """The optimiser opens the manifest's candidate shelters (status = candidate) and places new
    team bases and warehouses on its roads; a drill is written for its flood."""
    from scenarios.core.plans import build_plan
    from scenarios.drill.design import design_drill

    d = load(root)
    assert sorted(s.id for s in d.spec.shelters if not s.existing) == ["gym-0", "gym-1"]
    sc = scenario(root, "flood-opt", """
        [hazards.flood]
        return_period_years = 10
        [plan]
        kind = "optimized"
        shelters = 2
        warehouses = 1
        time_limit_s = 5
    """)
    plan, label = build_plan(sc, d)
    assert label == "optimized"
    new = [s for s in plan.shelters if not s.existing]
    assert sorted(s.id for s in new) == ["gym-0", "gym-1"]
    assert all(0 < s.capacity <= 600 for s in new)                      # fitted out for whom it serves
    assert len(plan.warehouses) == 2
    plan.check_against(d.network)
    from scenarios.core.runner import run_scenario

    drill = design_drill(run_scenario(scenario(root, "flood-drill", "[hazards.flood]\nreturn_period_years = 10\n")))
    kinds = {x["kind"] for x in drill.msel.to_dict()["injects"]}
    assert "gauge_warning" in kinds                                     # the manifest's gauge calls
