"""`yingji hazard flood|fire|chemical` on the built-in district, and the district hazard builders."""
from __future__ import annotations

import json

import numpy as np
import pytest

from network import InputError
from sim.hazards.chemical.scenario import chemical_release
from sim.hazards.fire.scenario import forest_fire
from sim.hazards.flood.frequency import design_flood
from sim.hazards.flood.scenario import river_flood

from .test_cli import yingji


def _geojson_ok(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and data["features"]
    coords = np.array([c for f in data["features"] for c in _flatten(f["geometry"]["coordinates"])])
    assert np.all((coords[:, 0] > 116.5) & (coords[:, 0] < 117.8) & (coords[:, 1] > 28.8) & (coords[:, 1] < 29.9))
    return data


def _flatten(coords):
    if isinstance(coords[0], (int, float)):
        yield coords
    else:
        for c in coords:
            yield from _flatten(c)


def test_flood_command_writes_maps_gif_geojson_summary(tmp_path):
    out = tmp_path / "flood"
    r = yingji("hazard", "flood", "--return-period", "100", "--breach", "xijiao-dike:30:150", "--engine", "fill",
               "--hours", "48", "--step-hours", "6", "--map-hours", "24,36", "--json", "--out", str(out))
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["peak_stage_m"] > summary["warning_stage_m"]
    assert summary["people_affected_peak"] > 0 and summary["roads_closed_km_peak"] > 0
    names = {p.name for p in out.iterdir()}
    assert {"map_T+24h00.png", "map_T+36h00.png", "evolution.gif", "footprint.geojson", "summary.json"} <= names
    assert {f"flood_{k}.{e}" for k in ("max_depth", "arrival_h", "duration_h") for e in ("png", "asc", "tif")} <= names
    # the GeoTIFF holds the same grid as the ASCII grid, with its CRS
    from network.geodata import read_raster
    from network.raster import read_asc

    tif, asc = read_raster(out / "flood_max_depth.tif"), read_asc(out / "flood_max_depth.asc")
    assert tif.crs == "EPSG:32650" and tif.shape == asc.shape
    assert (tif.x0, tif.y0, tif.cellsize) == pytest.approx((asc.x0, asc.y0, asc.cellsize))
    both = np.isfinite(tif.values) & np.isfinite(asc.values)
    assert both.any() and np.allclose(tif.values[both], asc.values[both], atol=1e-3)
    assert (out / "evolution.gif").read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    _geojson_ok(out / "footprint.geojson")
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["hazard"] == "flood"


def test_flood_json_interface(tmp_path):
    """The issue-14 interface: affected people, depth bands, expected deaths, the gauge, by township."""
    r = yingji("hazard", "flood", "--return-period", "100", "--engine", "fill", "--hours", "72", "--step-hours", "12",
               "--no-gif", "--json", "--lang", "en", "--out", str(tmp_path / "f"))
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    bands = s["people_by_depth_m"]
    assert list(bands) == ["0-0.5", "0.5-1.5", "1.5-3", "3+"] and s["affected_people"] > 0
    assert abs(sum(bands.values()) - s["affected_people"]) <= len(bands)   # each count rounded on its own
    assert s["expected_deaths"] > 0 and s["mortality_function"].startswith("Jonkman")
    assert s["peak_stage_m"] == pytest.approx(34.23, abs=0.02)
    g = s["gauge"]
    assert g["warning_stage_m"] == 28.5 and g["peak_2016_m"] == 33.89 and "peak_1998_m" in g
    towns = s["by_township"]
    assert towns and abs(sum(t["affected_people"] for t in towns) - s["affected_people"]) <= len(towns)
    assert all({"name_zh", "name_en", "people_by_depth_m", "expected_deaths"} <= set(t) for t in towns)
    # raising every dike crest by a metre protects people
    r2 = yingji("hazard", "flood", "--return-period", "100", "--engine", "fill", "--dike-crest-offset", "1",
                "--hours", "72", "--step-hours", "12", "--no-gif", "--json", "--out", str(tmp_path / "g"))
    assert r2.returncode == 0, r2.stderr
    assert json.loads(r2.stdout)["affected_people"] < s["affected_people"]


def test_fire_command_reports_damage_rate_and_is_deterministic(tmp_path):
    runs = []
    for k in range(2):
        r = yingji("hazard", "fire", "--hours", "4", "--step-hours", "2", "--wind-speed", "8", "--seed", "3",
                   "--no-gif", "--json", "--lang", "en", "--out", str(tmp_path / f"fire{k}"))
        assert r.returncode == 0, r.stderr
        runs.append(json.loads(r.stdout))
    assert runs[0]["burned_ha"] > 0 and runs[0]["damage_rate_permille"] > 0
    assert runs[0]["series"] == runs[1]["series"] and runs[0]["burned_ha"] == runs[1]["burned_ha"]
    _geojson_ok(tmp_path / "fire0" / "footprint.geojson")
    from network.geodata import read_raster

    burned = read_raster(tmp_path / "fire0" / "footprint_field.tif")   # the fire's peak field, with its CRS
    assert burned.crs == "EPSG:32650" and np.isfinite(burned.values).any()


def test_chemical_command_threat_zones(tmp_path):
    r = yingji("hazard", "chemical", "--minutes", "30", "--no-gif", "--json", "--out", str(tmp_path / "chem"))
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["chemical"] == "Chlorine" and summary["stability"] in "EF"
    zones = _geojson_ok(tmp_path / "chem" / "footprint.geojson")
    assert len(zones["features"]) == 3


@pytest.mark.parametrize(
    "args, message",
    [
        (("hazard", "flood", "--breach", "no-such-dike:10"), "unknown dike"),
        (("hazard", "flood", "--breach", "xijiao-dike"), "expected DIKE:HOURS"),
        (("hazard", "flood", "--breach", "xijiao-dike:80"), "outside the run"),
        (("hazard", "flood", "--breach", "xijiao-dike:10:-5"), "width must be positive"),
        (("hazard", "flood", "--return-period", "500"), "--return-period"),
        (("hazard", "flood", "--engine", "3d"), "--engine"),
        (("hazard", "fire", "--ignite", "100.0,10.0"), "ignition"),
        (("hazard", "chemical", "--site", "nowhere"), "unknown chemical site"),
        (("hazard", "chemical", "--wind-speed", "0"), "wind"),
        (("hazard", "chemical", "--substance", "unobtainium"), "unobtainium"),
    ],
)
def test_bad_hazard_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "never"
    r = yingji(*args, "--out", str(out))
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_builders_use_the_district_geometry(district):
    flood = river_flood(district, return_period_years=20, engine="fill")
    s = flood.state(36 * 3600.0)
    assert flood.stage(36 * 3600.0) == pytest.approx(design_flood(20).peak_stage_m, abs=1e-6)   # peaks 36 h in
    assert np.all((s.edge_speed_factor >= 0) & (s.edge_speed_factor <= 1))
    fire = forest_fire(district, wind_speed_m_s=5.0, seed=1)
    assert fire.forest_area_ha > 1000
    with pytest.raises(InputError, match="unknown dike"):
        river_flood(district, breaches=[{"dike": "x", "time_h": 1}])
    chem = chemical_release(district, site="cold-storage", rate_g_s=2000.0, duration_s=1800.0,
                               wind=(2.0, 90.0), day=False, cloud_oktas=2)
    assert chem.chemical.name_en.lower() == "ammonia" and chem.stability == "F"
    state = chem.state(1500.0)
    # people downwind of the cold store are affected; closed edges are those in the AEGL-3 zone
    assert state.affected.total > 0
    assert set(np.flatnonzero(state.edge_speed_factor == 0).tolist()) == set(chem.hazmat_only_edges(1500.0).tolist())
