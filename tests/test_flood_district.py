"""The flood of the built-in district on the 2-D engine: the default event (100-year flood, Xijiao
breach 30 h in) run once per session, checked for mass, a polder that fills from its breach, the
fill engine as its quick look, people that grow with the return period, and the gauge."""
from __future__ import annotations

import json

import numpy as np
import pytest

from network.geometry import points_in_polygon
from network.terrain import xy_of
from sim.api import default_district_flood
from sim.hazards.flood.frequency import design_flood
from sim.hazards.flood.impact import annual_risk, flood_impact
from sim.hazards.flood.scenario import river_flood, weakest_point

from .test_cli import yingji

H = 3600.0


@pytest.fixture(scope="session")
def event(district):
    """The default flood on the 2-D engine (about a minute and a half; cached on disk for the session)."""
    f = default_district_flood(district)
    _ = f.record
    return f


def test_the_run_keeps_its_mass_and_the_breach_grows(event):
    s = event.record.stats
    assert abs(s["mass_error_rel"]) < 1e-9
    assert s["steps"] > 10_000 and s["cells"] == int(np.isfinite(event._terrain.z).sum())
    b = s["breaches"][0]
    assert b["dike"] == "xijiao-dike" and 10.0 < b["width_m"] <= 150.0
    assert b["peak_discharge_m3s"] > 100.0 and b["volume_m3"] > 1e6


def test_the_xijiao_estates_fill_from_the_breach_outwards(event, district):
    spec = district.spec
    area = next(a for a in spec.low_areas if a.id == "xijiao-riverside")
    dem = district.terrain.dem
    xc, yc = dem.cell_centres()
    X, Y = np.meshgrid(xc, yc)
    inside = points_in_polygon(X, Y, xy_of(area.polygon, spec.district.crs))
    arrival = event.flood_maps([0, 72 * H])["arrival_h"].values
    wet = inside & np.isfinite(arrival)
    assert wet.sum() > 0.9 * inside.sum()                 # the estates behind the dike flood
    assert np.nanmin(arrival[wet]) >= 30.0                # not before the breach opens at 30 h
    bx, by = weakest_point(district, "xijiao-dike")
    dist = np.hypot(X[wet] - bx, Y[wet] - by)
    rank = lambda a: np.argsort(np.argsort(a))
    rho = np.corrcoef(rank(dist), rank(arrival[wet]))[0, 1]
    assert rho > 0.8                                       # later farther from the breach
    before = event.depth(30 * H - 60).values
    assert np.nanmax(np.where(inside, before, 0.0)) == 0.0  # dry behind the dike until it breaks


def test_fill_is_the_quick_look_of_the_same_event(event, district):
    fill = default_district_flood(district, engine="fill")
    span = [0, 72 * H]
    a, b = flood_impact(event, district, span), flood_impact(fill, district, span)
    assert a.affected_people == pytest.approx(b.affected_people, rel=0.05)
    assert a.expected_deaths <= b.expected_deaths         # the fill fills polders at once


def test_peak_at_the_gauge(event):
    assert max(event.stage(t) for t in np.arange(0, 72) * H) == pytest.approx(design_flood(100).peak_stage_m, abs=1e-3)


def test_cli_json_on_the_2d_engine(event, district, tmp_path):
    """Same event as the session's: the record comes from the disk cache."""
    r = yingji("hazard", "flood", "--return-period", "100", "--breach", "xijiao-dike:30:150", "--hours", "72",
               "--step-hours", "12", "--no-gif", "--json", "--out", str(tmp_path / "f"))
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["flood_engine"] == "2d" and s["flood_2d_run"]["steps"] == event.record.stats["steps"]
    assert s["affected_people"] == flood_impact(event, district, [12 * H, 72 * H]).affected_people


def test_people_affected_grow_with_the_return_period_fill(district):
    f = river_flood(district, return_period_years=10, engine="fill")
    counts = []
    for t in (10, 20, 50, 100, 200):
        g = f.with_hydrograph(design_flood(t), breaches=[])
        counts.append(flood_impact(g, district, [g.hydrograph.start_s, g.hydrograph.end_s]).affected_people)
    assert counts == sorted(counts) and counts[0] < counts[-1]


@pytest.mark.slow
def test_people_affected_and_deaths_grow_with_the_return_period_2d(district):
    f = river_flood(district, return_period_years=10)
    risk = annual_risk(f)
    assert list(risk.deaths) == sorted(risk.deaths) and risk.deaths[-1] > 0
    counts = []
    for t in risk.return_periods_years:
        g = f.with_hydrograph(design_flood(t), breaches=[])
        counts.append(flood_impact(g, district, [g.hydrograph.start_s, g.hydrograph.end_s]).affected_people)
    assert counts == sorted(counts)
    assert risk.per_million > 0 and risk.engine == "2d"
