"""Scenario specs: the built-in library, validation messages (file, line, field), overrides, hazards."""
from __future__ import annotations

import textwrap

import pytest

from network.errors import InputError
from scenarios.core.inputs import build_hazards
from scenarios.core.spec import list_scenarios, load_scenario, parse_scenario
from scenarios.core.toml_paths import toml_line

REQUIRED = {"flood-50y", "flood-100y-breach", "forest-fire-north", "chlorine-night", "fireworks-explosion",
            "compound-flood-chemical"}
HAZARD_CLASS = {"flood": "RiverFlood", "fire": "SurfaceFire", "chemical": "ChemicalRelease", "road_damage": "RoadDamage"}


def write(tmp_path, text: str, name: str = "s.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return p


MINIMAL = """
    title_zh = "测试"
    title_en = "test"

    [hazards.flood]
    return_period_years = 50.0
"""


def test_library_has_the_required_scenarios_with_bilingual_titles():
    items = list_scenarios()
    names = {n for n, _, _ in items}
    assert REQUIRED <= names
    for name, zh, en in items:
        sc = load_scenario(name)
        assert sc.source == f"builtin:{name}" and sc.name == name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh + sc.description_zh), name
        assert en.isascii() and sc.description_en.strip(), name


@pytest.mark.filterwarnings("ignore::network.hazard.HazardModelWarning")
@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_builtin_builds_its_hazards_on_the_district(name, district):
    sc = load_scenario(name)
    spec = district.spec
    facility_ids = {f.id for f in spec.facilities}
    # the places a scenario names are the district's own
    if sc.hazards.chemical is not None and sc.hazards.chemical.site:
        assert sc.hazards.chemical.site in facility_ids
    for b in (sc.hazards.flood.breaches if sc.hazards.flood else []):
        assert b.dike in {d.id for d in spec.dikes}
    if sc.hazards.flood is not None:
        # the built-in floods run on the 2-D solver; the fill stands in here to keep the suite quick
        # (tests/test_flood_district.py runs the 2-D default event)
        assert sc.hazards.flood.engine == "2d"
        sc = sc.with_overrides({"hazards.flood.engine": "fill"})
    hazards = build_hazards(sc, district)
    want = {HAZARD_CLASS[k] for k in HAZARD_CLASS if getattr(sc.hazards, k) is not None}
    assert {type(h).__name__ for h in hazards} == want
    for h in hazards:  # every hazard answers the simulation's question at t > 0
        state = h.state(3600.0)
        assert len(state.edge_speed_factor) == district.network.n_edges


def test_builtin_flood_is_built_on_the_2d_solver(district):
    hazards = build_hazards(load_scenario("flood-50y"), district)
    assert {type(h).__name__ for h in hazards} == {"RiverFlood2D", "RoadDamage"}


def test_compound_release_starts_when_the_flood_reaches_the_plant(district):
    from scenarios.core.inputs import build_hazards_with_notes

    sc = load_scenario("compound-flood-chemical").with_overrides({"hazards.flood.engine": "fill"})
    hazards, notes = build_hazards_with_notes(sc, district)
    flood = next(h for h in hazards if h.kind == "flood")
    chem = next(h for h in hazards if type(h).__name__ == "ChemicalRelease")
    node = int(district.facility_nodes([f for f in district.spec.facilities if f.id == "chlor-alkali-plant"])[0])
    assert chem.start_s == pytest.approx(flood.first_flood_time_s(0.3)[node])
    assert 0 < chem.start_s < sc.simulation.duration_h * 3600
    assert any("release starts" in n for n in notes)


def test_fireworks_fire_starts_next_to_the_depot(district):
    from network.terrain import xy_of

    sc = load_scenario("fireworks-explosion")
    fire = next(h for h in build_hazards(sc, district) if type(h).__name__ == "SurfaceFire")
    depot = next(f for f in district.spec.facilities if f.id == "fireworks-depot")
    dx, dy = xy_of([depot.location], district.spec.district.crs)[0]
    fx, fy = fire.front_xy(0.0)
    assert len(fx) >= 1 and min(((fx - dx) ** 2 + (fy - dy) ** 2) ** 0.5) < 2000.0


def test_unknown_key_is_an_error_with_file_line_and_field(tmp_path):
    p = write(tmp_path, MINIMAL + "    retrun_period = 3\n\n    [simulation]\n    duraton_h = 5\n")
    with pytest.raises(InputError) as e:
        load_scenario(p)
    msg = str(e.value)
    assert f"{p}:6: hazards.flood.retrun_period: unknown key" in msg
    assert f"{p}:9: simulation.duraton_h: unknown key" in msg


def test_bad_values_name_expected_and_found(tmp_path):
    p = write(tmp_path, MINIMAL + "\n    [simulation]\n    duration_h = -5.0\n")
    with pytest.raises(InputError) as e:
        load_scenario(p)
    msg = str(e.value)
    assert f"{p}:8: simulation.duration_h" in msg and "greater than 0" in msg and "found -5.0" in msg


def test_line_of_an_array_of_tables_item(tmp_path):
    p = write(tmp_path, MINIMAL + """
    [[hazards.flood.breaches]]
    dike = "xijiao-dike"
    time_h = 10

    [[hazards.flood.breaches]]
    dike = "jingcheng-dike"
    time_h = -1
    """)
    with pytest.raises(InputError) as e:
        load_scenario(p)
    assert f"{p}:13: hazards.flood.breaches.1.time_h" in str(e.value)


def test_toml_line_falls_back_to_the_table_that_lacks_a_key():
    text = 'a = 1\n[x]\nb = 2\n[[x.y]]\nc = 1\n[[x.y]]\nd = 2\n'
    assert toml_line(text, ["x", "b"]) == 3
    assert toml_line(text, ["x", "y", 1, "d"]) == 7
    assert toml_line(text, ["x", "y", 1, "missing"]) == 6
    assert toml_line(text, ["nowhere"]) is None


def test_missing_hazards_and_conflicting_sources_are_reported(tmp_path):
    p = write(tmp_path, 'title_zh = "测"\ntitle_en = "t"\n')
    with pytest.raises(InputError, match=r"hazards: required field is missing"):
        load_scenario(p)
    p = write(tmp_path, MINIMAL + '    hydrograph = "stages.csv"\n', "two.toml")
    with pytest.raises(InputError, match=r"two.toml:4: hazards.flood: .*exactly one of return_period_years or hydrograph"):
        load_scenario(p)


def test_a_scenario_named_like_a_script_tag_loads_as_text(tmp_path):
    p = write(tmp_path, 'name = "<script>alert(1)</script>"\n' + textwrap.dedent(MINIMAL))
    sc = load_scenario(p)
    assert sc.name == "<script>alert(1)</script>" and sc.source == str(p)


def test_name_defaults_to_the_file_stem(tmp_path):
    assert load_scenario(write(tmp_path, MINIMAL, "my-flood.toml")).name == "my-flood"


def test_unknown_name_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="no-such-scenario: unknown scenario; built-in: .*flood-50y"):
        load_scenario("no-such-scenario")
    with pytest.raises(InputError, match="scenario file not found"):
        load_scenario(tmp_path / "absent.toml")
    bad = tmp_path / "broken.toml"
    bad.write_text("title_zh = \n", encoding="utf-8")
    with pytest.raises(InputError, match="broken.toml: not valid TOML"):
        load_scenario(bad)


def test_with_overrides_revalidates_and_leaves_the_original():
    sc = load_scenario("flood-100y-breach")
    sc2 = sc.with_overrides({"hazards.flood.return_period_years": 80.0, "hazards.flood.breaches.0.time_h": 12.5,
                             "simulation.params.help_share": 0.1, "targets.relief_within_h": 8})
    assert sc2.hazards.flood.return_period_years == 80.0 and sc2.hazards.flood.breaches[0].time_h == 12.5
    assert sc2.simulation.params == {"help_share": 0.1} and sc2.targets.relief_within_h == 8
    assert sc.hazards.flood.return_period_years == 100.0 and sc.simulation.params == {}
    assert sc2.source == sc.source and sc2.text == sc.text
    with pytest.raises(InputError, match=r"overrides.*hazards.flood.return_period_years"):
        sc.with_overrides({"hazards.flood.return_period_years": 1000.0})
    with pytest.raises(InputError, match=r"overrides.*simulation.params.*no_such_param"):
        sc.with_overrides({"simulation.params.no_such_param": 1})
    with pytest.raises(InputError, match="no such list item"):
        sc.with_overrides({"hazards.flood.breaches.3.time_h": 1.0})


def test_simulation_params_are_checked_at_load(tmp_path):
    p = write(tmp_path, MINIMAL + "\n    [simulation.params]\n    help_share = 2.0\n")
    with pytest.raises(InputError, match=r":7: simulation.params: .*help_share"):
        load_scenario(p)


def test_hazard_errors_name_the_line(tmp_path, district):
    p = write(tmp_path, MINIMAL + """
    [[hazards.flood.breaches]]
    dike = "no-such-dike"
    time_h = 3
    """)
    with pytest.raises(InputError, match=r"s.toml:8: hazards.flood.breaches.0.dike: .*found 'no-such-dike'"):
        build_hazards(load_scenario(p), district)
    p = write(tmp_path, """
    title_zh = "测"
    title_en = "t"

    [hazards.chemical]
    location = [118.5, 29.3]
    substance = "chlorine"
    rate_kg_s = 1.0
    duration_min = 10
    """, "offmap.toml")
    with pytest.raises(InputError, match=r"offmap.toml:5: hazards.chemical.location: .*off the map"):
        build_hazards(load_scenario(p), district)
    p = write(tmp_path, """
    title_zh = "测"
    title_en = "t"

    [hazards.chemical]
    site = "hospital"
    rate_kg_s = 1.0
    duration_min = 10
    """, "site.toml")
    with pytest.raises(InputError, match=r"site.toml:5: hazards.chemical.site: expected a chemical or fireworks site"):
        build_hazards(load_scenario(p), district)


def test_file_network_offers_chemical_only(tmp_path):
    from network.load import load_network
    from scenarios.core.inputs import load_scenario_network
    from scenarios.core.plans import build_plan

    osm = tmp_path / "wo.osm.bz2"
    osm.write_bytes((__import__("pathlib").Path(__file__).parent / "data/osm/West-Oakland.osm.bz2").read_bytes())
    net = load_network(osm)
    lon, lat = float(net.lon.mean()), float(net.lat.mean())
    p = write(tmp_path, f"""
    title_zh = "测"
    title_en = "t"

    [network]
    source = "wo.osm.bz2"

    [hazards.chemical]
    location = [{lon}, {lat}]
    substance = "ammonia"
    mass_kg = 200
    wind_speed_m_s = 3
    """)
    sc = load_scenario(p)
    loaded = load_scenario_network(sc)   # relative to the scenario file's folder
    assert loaded.n_nodes == net.n_nodes
    assert [type(h).__name__ for h in build_hazards(sc, loaded)] == ["ChemicalRelease"]
    flood = sc.with_overrides({"hazards.flood.return_period_years": 50.0})
    with pytest.raises(InputError, match="hazards.flood: the flood model needs a district's terrain"):
        build_hazards(flood, loaded)
    with pytest.raises(InputError, match="'optimized' places facilities on a district model"):
        build_plan(sc, loaded, "optimized")


def test_dem_only_with_file_networks(tmp_path):
    p = write(tmp_path, MINIMAL + '\n    [network]\n    dem = "x.asc"\n')
    with pytest.raises(InputError, match=r":7: network: .*dem is only for OSM/GraphML"):
        load_scenario(p)


def test_parse_scenario_text_directly():
    sc = parse_scenario(textwrap.dedent(MINIMAL).lstrip(), "inline", default_name="inline-flood")
    assert sc.name == "inline-flood" and sc.targets.relief_within_h == 10.0 and sc.targets.warning_coverage == 0.9
    assert sc.targets.forest_fire_damage_permille == 0.9 and sc.line_of("hazards.flood.return_period_years") == 5


def test_road_damage_cuts_a_seeded_share_of_roads_both_ways(tmp_path, district):
    import numpy as np

    from sim.hazards.road_damage import RoadDamage

    src = tmp_path / "cut.toml"
    src.write_text('name = "cut"\ntitle_zh = "道路"\ntitle_en = "roads"\n'
                   '[hazards.road_damage]\nclosed_share = 0.1\nroad_classes = ["local"]\nstart_h = 2.0\n',
                   encoding="utf-8")
    sc = load_scenario(src)
    (h,) = build_hazards(sc, district)
    (again,) = build_hazards(sc, district)
    assert isinstance(h, RoadDamage) and np.array_equal(h.closed_edges, again.closed_edges)
    net = district.network
    assert (net.road_class[h.closed_edges] == 5).all()
    tails = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    local = net.road_class == 5
    pairs = {(min(a, b), max(a, b)) for a, b in zip(tails[local], net.indices[local])}
    assert h.roads_cut == round(0.1 * len(pairs))
    cut = {(int(tails[e]), int(net.indices[e])) for e in h.closed_edges}
    local_edges = {(int(a), int(b)) for a, b in zip(tails[local], net.indices[local])}
    assert {(b, a) for a, b in cut if (b, a) in local_edges} <= cut   # a cut road is cut both ways
    assert h.state(3600.0).edge_speed_factor.min() == 1.0          # not yet
    f = h.state(7200.0).edge_speed_factor
    assert set(np.flatnonzero(f == 0.0)) == set(h.closed_edges.tolist())
    other = load_scenario(src).with_overrides({"simulation.seed": 5})
    assert not np.array_equal(build_hazards(other, district)[0].closed_edges, h.closed_edges)
    bad = tmp_path / "bad.toml"
    bad.write_text(src.read_text(encoding="utf-8").replace('"local"', '"lane"'), encoding="utf-8")
    with pytest.raises(InputError, match="road_classes"):
        load_scenario(bad)
