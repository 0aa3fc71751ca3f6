"""The built-in Changjiang District: spec validation, determinism, shape of the generated model."""
from __future__ import annotations

import numpy as np
import pytest

from network import InputError
from network.district import generate_district, load_district
from network.district_spec import read_district_spec
from network.roadclass import RoadClass
from network.terrain import FOREST_CLASSES, LandCover


def test_builtin_spec_has_the_plan_townships():
    spec, digest = read_district_spec()
    names = {t.name_zh for t in spec.townships}
    assert {"西郊街道", "新枫街道", "吕蒙乡", "竟成镇", "鲇鱼山镇", "丽阳镇", "荷塘乡"} <= names
    assert all(t.name_en for t in spec.townships)
    assert 150_000 <= sum(t.population for t in spec.townships) <= 250_000
    assert spec.river.gauge.warning_stage_m == pytest.approx(28.5)
    assert len(digest) == 16


def test_network_size_and_classes(district):
    net = district.network
    assert 5_000 <= net.n_nodes <= 10_000
    classes = set(np.unique(net.road_class).tolist())
    assert {RoadClass.MOTORWAY, RoadClass.TRUNK, RoadClass.PRIMARY, RoadClass.SECONDARY, RoadClass.LOCAL} <= classes
    assert net.population.sum() == pytest.approx(sum(t.population for t in district.spec.townships))
    assert net.meta["illustrative"] is True


def test_population_lives_in_its_township(district):
    net = district.network
    for z, t in enumerate(district.spec.townships):
        assert net.population[net.zone == z].sum() == pytest.approx(t.population)
    assert net.population[net.zone < 0].sum() == 0


def test_roads_do_not_cross_the_river_except_on_bridges(district):
    import shapely

    from network.terrain import xy_of

    net = district.network
    river = shapely.LineString(xy_of(district.spec.river.course, district.spec.district.crs))
    lines = shapely.linestrings(
        np.stack([np.column_stack([net.x[net.edge_source], net.y[net.edge_source]]),
                  np.column_stack([net.x[net.indices], net.y[net.indices]])], axis=1)
    )
    crossing = shapely.intersects(lines, river)
    # only main roads from the spec (bridges) may cross
    assert crossing.any()
    assert np.all(net.road_class[crossing] <= RoadClass.SECONDARY)


def test_terrain_is_a_valley_with_forests(district):
    dem, lc = district.terrain.dem, district.terrain.landcover
    assert np.isfinite(dem.values).all()
    water = lc.values == LandCover.WATER
    assert water.any() and np.isin(lc.values, [int(c) for c in FOREST_CLASSES]).mean() > 0.1
    # river cells sit lower than the land around them
    assert np.median(dem.values[water]) < np.median(dem.values[~water]) - 10
    gauge_stage = district.spec.river.gauge.warning_stage_m
    assert dem.values[water].min() < gauge_stage < dem.values.max()


def test_generation_is_deterministic():
    spec, _ = read_district_spec()
    a, b = generate_district(spec), generate_district(spec)
    for field in ("x", "y", "indptr", "indices", "length", "population", "elevation", "road_class"):
        np.testing.assert_array_equal(getattr(a.network, field), getattr(b.network, field))
    np.testing.assert_array_equal(a.terrain.dem.values, b.terrain.dem.values)


def test_warm_load_comes_from_the_cache_and_is_equal(district):
    from network import district as district_module

    district_module._load_cached.cache_clear()
    again = load_district()
    np.testing.assert_array_equal(again.network.indices, district.network.indices)
    np.testing.assert_array_equal(again.terrain.landcover.values, district.terrain.landcover.values)
    assert again.network.dropped_nodes == district.network.dropped_nodes
    # not a timing test: the cache file exists, so nothing was regenerated
    from network.district import _cache_path

    assert _cache_path(read_district_spec()[1]).exists()


def test_facilities_snap_near_their_sites(district):
    from network.terrain import xy_of

    nodes = district.facility_nodes()
    xy = xy_of([f.location for f in district.spec.facilities], district.spec.district.crs)
    d = np.hypot(district.network.x[nodes] - xy[:, 0], district.network.y[nodes] - xy[:, 1])
    assert d.max() < 800.0
    assert len(district.shelter_nodes()) == len(district.spec.shelters)


def test_bad_district_file_names_file_and_field(tmp_path):
    spec_text = (tmp_path / "x.toml")
    from importlib import resources

    text = resources.files("network").joinpath("data/changjiang.toml").read_text(encoding="utf-8")
    spec_text.write_text(text.replace("population = 72000", "population = -5"), encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.toml: townships\.0\.population"):
        read_district_spec(spec_text)
    spec_text.write_text(text.replace("channel_width_m", "channel_widht_m"), encoding="utf-8")
    with pytest.raises(InputError, match="unknown key"):
        read_district_spec(spec_text)
    spec_text.write_text("[district\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        read_district_spec(spec_text)
    with pytest.raises(InputError, match="not found"):
        read_district_spec(tmp_path / "missing.toml")
