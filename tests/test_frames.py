"""A run's tables for notebooks: ScenarioRun.to_frame / to_geodataframe / plot hold the same
records as the files the CLI writes (groups.csv, events.csv, plan.geojson, hazard.geojson)."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from network.errors import InputError


@pytest.fixture(scope="module")
def run():
    """The built-in night-time chlorine leak, cut to 4 h: people affected, warned, sheltered."""
    from scenarios.core.runner import run_scenario
    from scenarios.core.spec import load_scenario

    return run_scenario(load_scenario("chlorine-night").with_overrides({"simulation.duration_h": 4.0}))


@pytest.fixture(scope="module")
def files(run, tmp_path_factory):
    from scenarios.reports.outputs import write_run_files

    folder = tmp_path_factory.mktemp("frames")
    write_run_files(folder, run)
    return folder


def test_groups_frame_matches_groups_csv(run, files):
    frame = run.to_frame("groups")
    csv = pd.read_csv(files / "groups.csv", encoding="utf-8-sig")
    assert len(frame) == len(csv) == len(run.result.groups) > 0
    assert frame["group"].tolist() == csv["group"].tolist()
    assert np.allclose(frame["lon"], csv["lon"]) and np.allclose(frame["lat"], csv["lat"])
    # native types where the CSV has text: records as objects, never-came times as inf
    assert isinstance(frame["state_times"].iloc[0], dict)
    assert json.loads(csv["state_times"].iloc[0]) == json.loads(json.dumps(frame["state_times"].iloc[0]))
    never = [not math.isfinite(v) for v in frame["relief_done_s"]]
    assert csv["relief_done_s"][never].isna().all()


def test_events_frame_matches_events_csv(run, files):
    frame = run.to_frame("events")
    csv = pd.read_csv(files / "events.csv", encoding="utf-8-sig")
    assert list(frame.columns[:6]) == ["time_h", "t_s", "event", "node", "lon", "lat"]
    assert frame["event"].tolist() == csv["event"].tolist()
    assert np.allclose(frame["time_h"], csv["time_h"])
    placed = frame["lon"].notna()
    assert np.allclose(frame.loc[placed, "lon"].astype(float), csv.loc[placed, "lon"])


def test_geodataframes_are_lon_lat_in_the_district(run):
    net = run.network
    for layer in ("groups", "events", "facilities", "hazard"):
        gdf = run.to_geodataframe(layer)
        assert gdf.crs.to_epsg() == 4326, layer
        placed = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
        assert len(placed), layer
        minx, miny, maxx, maxy = placed.total_bounds
        assert net.lon.min() - 0.05 <= minx <= maxx <= net.lon.max() + 0.05, layer
        assert net.lat.min() - 0.05 <= miny <= maxy <= net.lat.max() + 0.05, layer
    groups = run.to_geodataframe("groups")
    g0 = run.result.groups[0]
    assert groups.geometry.iloc[0].x == pytest.approx(net.lon[int(g0["node"])], abs=1e-6)
    events = run.to_geodataframe("events")
    assert (events.geometry.isna() == events["lon"].isna()).all()     # no node, no place
    fac = run.to_geodataframe("facilities")
    assert {"team_base", "shelter", "warehouse"} <= set(fac["facility"])
    hazard = run.to_geodataframe("hazard")
    assert set(hazard.geom_type) <= {"Polygon", "MultiPolygon"} and "AEGL" in " ".join(map(str, hazard.columns)) + \
        " ".join(map(str, hazard.iloc[0].values))


def test_teams_frame_and_bad_layers(run):
    teams = run.to_frame("teams")
    assert len(teams) == len(run.result.teams) and "utilisation" in teams and "activity" not in teams
    with pytest.raises(InputError, match="layer: expected one of groups, events, facilities, teams, hazard"):
        run.to_frame("roads")
    with pytest.raises(InputError, match="found 'teams'"):
        run.to_geodataframe("teams")


def test_plot_draws_the_report_figures(run):
    for what in ("map", "relief_time", "timeline", "gantt"):
        fig = run.plot(what, lang="en")
        assert fig.axes, what
    with pytest.raises(InputError, match="plot: expected one of map"):
        run.plot("pie")
