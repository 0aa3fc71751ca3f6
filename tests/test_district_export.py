"""One way in: the built-in district written out as a manifest over its layers reads back as the
same district, through the path every district from real data takes, and runs the same."""
from __future__ import annotations

import json

import numpy as np
import pytest

from network.errors import InputError

pytestmark = pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning")


@pytest.fixture(scope="module")
def exported(tmp_path_factory, district):
    from network.district import load_district
    from scenarios.core.district_export import export_manifest

    path = export_manifest(district, tmp_path_factory.mktemp("export") / "changjiang")
    return path, load_district(path)


def _order(net):
    return np.lexsort((net.lat, net.lon))


def test_the_exported_manifest_reads_back_as_the_same_district(exported, district):
    path, m = exported
    b = district
    assert m.inputs is not None and m.inputs.source == str(path) and m.notes == ()     # nothing missing
    bn, mn = b.network, m.network
    assert (mn.n_nodes, mn.n_edges) == (bn.n_nodes, bn.n_edges)
    ob, om = _order(bn), _order(mn)
    assert np.array_equal(bn.lon[ob], mn.lon[om]) and np.array_equal(bn.lat[ob], mn.lat[om])
    assert np.array_equal(bn.population[ob], mn.population[om])                 # people on the same nodes
    assert np.array_equal(bn.zone[ob], mn.zone[om]) and mn.zone_names == bn.zone_names
    assert np.abs(bn.elevation[ob] - mn.elevation[om]).max() < 0.01             # DEM resampled onto its own grid
    assert [t.kind for t in m.spec.townships] == [t.kind for t in b.spec.townships]
    key = lambda n, i: (n.lon[i], n.lat[i])  # noqa: E731
    assert [key(mn, i) for i in m.facility_nodes()] == [key(bn, i) for i in b.facility_nodes()]
    assert [key(mn, i) for i in m.shelter_nodes()] == [key(bn, i) for i in b.shelter_nodes()]
    assert [s.model_dump() for s in m.spec.supply_sources] == [s.model_dump() for s in b.spec.supply_sources]
    assert [c.model_dump() for c in m.spec.relief_craft] == [c.model_dump() for c in b.spec.relief_craft]
    assert [(f.id, len(f.polygon)) for f in m.spec.forests] == [(f.id, len(f.polygon)) for f in b.spec.forests]
    # dikes keep their gauge-equivalent crests through the crest-above-datum convention
    assert [(d.id, round(d.crest_m, 6)) for d in m.spec.dikes] == [(d.id, round(d.crest_m, 6)) for d in b.spec.dikes]
    # the gauge's discharge chain goes as data: the same design floods come back, both regimes
    from sim.hazards.flood.frequency import design_flood, gauge_design_floods

    design, rise_h = gauge_design_floods(m.spec.river.gauge)
    assert rise_h == 36.0
    for t in (2, 10, 30, 50, 100, 200):
        for regime in ("regulated", "natural"):
            ours, theirs = design(t, regime, 3600.0), design_flood(t, regime=regime, start_s=3600.0)
            times = np.linspace(0, 80 * 3600.0, 161)
            assert np.allclose(ours.stage(times), theirs.stage(times), rtol=0, atol=1e-9)


def test_a_release_runs_the_same_on_the_built_in_and_on_its_manifest(exported):
    from scenarios.core.runner import run_scenario
    from scenarios.core.spec import load_scenario

    path, _ = exported
    sc = load_scenario("chlorine-night")       # 12 h: the 10-h deadlines of the first hours fall inside
    a = run_scenario(sc).result.kpis
    b = run_scenario(sc.with_overrides({"network.source": str(path)})).result.kpis
    assert a["relief_time"]["affected_people"] > a["relief_time"]["undecided_people"]
    for k in ("relief_time", "warning_coverage"):
        assert _flat(a[k]) == pytest.approx(_flat(b[k]), rel=1e-9, nan_ok=True)   # to the last digits of the floats


def _flat(d) -> list:
    """Numbers of a nested result in key order (strings and None kept as they are)."""
    text = json.dumps(d, sort_keys=True, default=str)
    return [x if isinstance(x, (int, float)) else str(x) for x in _leaves(json.loads(text))]


def _leaves(d):
    if isinstance(d, dict):
        for k in sorted(d):
            yield from _leaves(d[k])
    elif isinstance(d, list):
        for x in d:
            yield from _leaves(x)
    else:
        yield d


def test_the_built_in_fire_starts_in_the_manifests_named_forest(exported):
    from scenarios.core.inputs import build_hazards
    from scenarios.core.spec import load_scenario

    path, m = exported
    sc = load_scenario("forest-fire-north").with_overrides({"network.source": str(path)})
    fires = [h for h in build_hazards(sc, m) if h.kind == "fire"]
    assert fires and fires[0].indicators([0.0, 3600.0])["forest_ha"] > 0


def test_export_refuses_a_folder_in_use(tmp_path, district):
    from scenarios.cli import main
    from scenarios.core.district_export import export_manifest

    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="new or empty folder"):
        export_manifest(district, tmp_path / "busy")
    assert main(["district", "export", "--out", str(tmp_path / "busy")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]           # nothing half-written beside it
