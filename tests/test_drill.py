"""The drill designer: MSEL from a simulated scenario, twists, files, checks and the CLI."""
from __future__ import annotations

import base64
import csv
import dataclasses
import hashlib
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from network.errors import InputError
from scenarios.drill.catalogue import (
    KIND_OBJECTIVE,
    OBJECTIVES,
    SOURCES,
    entity_catalogue,
    fmt_t,
    parse_t,
    recipient_catalogue,
    road_edges,
)
from scenarios.drill.design import design_drill, load_run
from scenarios.drill.hazard_injects import HAZARD_INJECTS
from scenarios.drill.msel import (
    COLUMNS,
    EVAL_COLUMNS,
    check_msel,
    write_evaluation_csv,
    write_msel_csv,
)
from scenarios.drill.twists import TWIST_COUNT
from sim.hazards.road_damage import RoadDamage

#: which simulation event grounds each event-based inject kind
EVENT_OF_KIND = {"warning_needed": "threatened", "first_impact": "affected", "lethal_zone": "lethal",
                 "fire_village": "threatened", "call_trapped": "request", "call_casualty": "request",
                 "shelter_open": "arrive_shelter", "shelter_full": "arrive_shelter", "no_shelter": "no_shelter",
                 "stock_low": "truck_load"}


@pytest.fixture(scope="module")
def chlorine():
    return load_run("chlorine-night", seed=0)


@pytest.fixture(scope="module")
def fire():
    return load_run("forest-fire-north", seed=0)


@pytest.fixture(scope="module")
def chlorine_drill(chlorine):
    return design_drill(chlorine, difficulty="normal", seed=5)  # seed 5 draws no wind shift: the puff train is slow


@pytest.fixture(scope="module")
def fire_drill(fire):
    return design_drill(fire, difficulty="hard", seed=2)


def _names(d):
    return {**entity_catalogue(d.district, d.plan), **recipient_catalogue(d.district)}


# ------------------------------------------------------------------------------------ basics
def test_time_format_round_trips():
    for s in (0.0, 59.0 * 60, 3600.0 * 30 + 7 * 60, 3600.0 * 123):
        assert parse_t(fmt_t(s)) == pytest.approx(round(s / 60) * 60)
    for bad in ("12:00", "T+1:5", "T+01:75", "", "T01:00"):
        with pytest.raises(ValueError):
            parse_t(bad)


def test_same_seed_same_script(chlorine):
    a = design_drill(chlorine, difficulty="hard", seed=11).msel.to_dict()
    b = design_drill(chlorine, difficulty="hard", seed=11).msel.to_dict()
    assert a == b
    others = [design_drill(chlorine, difficulty="hard", seed=s).msel.to_dict() for s in (0, 13)]
    assert any(o["twists"] != a["twists"] or o["injects"] != a["injects"] for o in others)


def test_every_reference_exists(chlorine_drill, fire_drill):
    for d in (chlorine_drill, fire_drill):
        ents, recs = entity_catalogue(d.district, d.plan), recipient_catalogue(d.district)
        m = d.msel
        assert len(m.injects) > 5
        for i in m.injects:
            assert all(e in ents for e in i.entities), (i.id, i.entities)
            assert i.recipient in recs and i.source in SOURCES and i.objective in OBJECTIVES
            assert i.objective in m.objectives
            assert i.inject_zh and i.inject_en and i.action_zh and i.action_en
        for o in m.objectives:
            assert any(i.objective == o and i.kind != "endex" for i in m.injects), o


def test_times_ordered_and_inside_the_exercise(chlorine_drill, fire_drill):
    for d in (chlorine_drill, fire_drill):
        m = d.msel
        t = [i.t_s for i in m.injects]
        assert t == sorted(t)
        assert t[0] == 0.0 and m.injects[0].kind == "startex"
        assert m.injects[-1].kind == "endex" and t[-1] == pytest.approx(m.duration_s)
        assert all(0.0 <= x <= m.duration_s for x in t)
        assert all(i.target_s >= i.t_s for i in m.injects)
        phases = [p.key for p in m.phases]
        assert [phases.index(i.phase) for i in m.injects] == sorted(phases.index(i.phase) for i in m.injects)


def test_objectives_follow_the_hazards(chlorine_drill, fire_drill):
    assert chlorine_drill.msel.objectives == ["accident_response", "emergency_comms"]
    assert fire_drill.msel.objectives == ["forest_fire", "emergency_comms"]


# ------------------------------------------------------------------------------------ twists
def test_harder_levels_carry_more_twists(chlorine, fire):
    for run in (chlorine, fire):
        n = [len(design_drill(run, difficulty=lvl, seed=6).msel.twists) for lvl in ("easy", "normal", "hard")]
        assert n[0] < n[1] < n[2], n
        assert n == [TWIST_COUNT["easy"], TWIST_COUNT["normal"], TWIST_COUNT["hard"]]


def test_every_twist_has_its_inject(fire_drill):
    m = fire_drill.msel
    for tw in m.twists:
        rows = [i for i in m.injects if i.twist == tw.kind]
        assert len(rows) == 1 and rows[0].t_s == pytest.approx(tw.t_s - m.start_s)


def test_physical_twists_re_run_the_simulation(fire):
    """The hard fire drill (seed 2) loses a forest-fire squad and gets a second ignition: the
    re-run differs from the scenario's run, and the later injects come from the re-run."""
    d = design_drill(fire, difficulty="hard", seed=2)
    kinds = {t.kind for t in d.msel.twists}
    assert {"team_unavailable", "second_ignition"} <= kinds
    assert d.result is not d.base_result
    squads = lambda r: sum(1 for t in r.teams if t["type"] == "forest_fire")
    assert squads(d.result) == squads(d.base_result) - 1
    assert len([h for h in d.hazards if h.kind == "fire"]) == 2
    # the second fire burns: the damage rate grows over the run without it
    assert d.result.kpis["forest_fire_damage_permille"] > d.base_result.kpis["forest_fire_damage_permille"]
    # injects grounded in events cite the re-run's event log
    for i in d.msel.injects:
        if i.basis.startswith("event:"):
            e = d.result.events[int(i.basis.split(":")[1])]
            assert e["t_s"] == pytest.approx(d.msel.start_s + i.t_s)


def test_road_closure_twist_closes_only_after_its_time(chlorine):
    net = chlorine.district.network
    edges = road_edges(chlorine.district)["chang-river-bridge-no-1"]
    assert len(edges) > 0
    h = RoadDamage.of_edges(net, edges, 3600.0)
    assert (h.state(3599.0).edge_speed_factor == 1).all()
    f = h.state(3600.0).edge_speed_factor
    assert (f[edges] == 0).all() and (np.delete(f, edges) == 1).all()


def test_wind_shift_changes_the_plume_only_after_the_shift(chlorine):
    h = next(x for x in chlorine.hazards if x.kind == "chemical")
    shifted = h.with_wind_turn(1200.0, 90.0)
    net = chlorine.district.network
    sx, sy = h.source_xy
    near = np.flatnonzero(np.hypot(net.x - sx, net.y - sy) < 3000.0)
    px, py = net.x[near], net.y[near]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the model notes puffs beyond ALOHA's range; not what is tested
        before_a, before_b = h.concentration_ppm(px, py, 900.0), shifted.concentration_ppm(px, py, 900.0)
        after_a, after_b = h.concentration_ppm(px, py, 2400.0), shifted.concentration_ppm(px, py, 2400.0)
    # before the shift the puff train rebuilds the steady plume; after it the plume has turned
    hot = before_a > 0.1 * before_a.max()
    assert np.allclose(before_b[hot], before_a[hot], rtol=0.35)
    assert not np.allclose(after_a, after_b, rtol=0.35, atol=1e-3)


# ------------------------------------------------------------------------------------ grounding
def test_event_injects_happen_at_the_simulated_times(chlorine_drill, fire_drill):
    for d in (chlorine_drill, fire_drill):
        m, ev, net = d.msel, d.result.events, d.district.network
        towns = [t.id for t in d.district.spec.townships]
        n = 0
        for i in m.injects:
            if not i.basis.startswith("event:"):
                continue
            n += 1
            e = ev[int(i.basis.split(":")[1])]
            assert e["event"] == EVENT_OF_KIND[i.kind], (i.id, i.kind, e["event"])
            assert e["t_s"] == pytest.approx(m.start_s + i.t_s)
            assert i.sim_t_s == pytest.approx(e["t_s"])
            if "node" in e and i.kind not in ("call_trapped", "call_casualty"):
                assert f"township:{towns[int(net.zone[e['node']])]}" in i.entities
        assert n >= 3


def test_first_impact_is_the_first_affected_event_of_each_township(chlorine_drill):
    d = chlorine_drill
    net, towns = d.district.network, [t.id for t in d.district.spec.townships]
    first: dict[str, float] = {}
    for e in d.result.events:
        if e["event"] == "affected" and net.zone[e["node"]] >= 0:
            first.setdefault(towns[int(net.zone[e["node"]])], e["t_s"])
    got = {i.entities[0].split(":")[1]: i.sim_t_s for i in d.msel.injects if i.kind == "first_impact"}
    assert got == pytest.approx({k: v for k, v in first.items() if v - d.msel.start_s <= d.msel.duration_s})


def test_hazard_injects_match_the_hazard(chlorine_drill):
    d = chlorine_drill
    h = next(x for x in d.hazards if x.kind == "chemical")
    rel = next(i for i in d.msel.injects if i.kind == "release")
    assert rel.sim_t_s == pytest.approx(h.start_s)
    edges = road_edges(d.district)
    step = d.result.params["hazard_step_s"]
    for i in d.msel.injects:
        if i.kind != "road_closed":
            continue
        e = edges[i.entities[0].split(":")[1]]
        f_at = np.minimum.reduce([x.state(i.sim_t_s).edge_speed_factor for x in d.hazards])
        f_before = np.minimum.reduce([x.state(i.sim_t_s - step).edge_speed_factor for x in d.hazards])
        assert (f_at[e] == 0).any() and not (f_before[e] == 0).any()


def test_fire_reaches_village_edges_when_the_run_says(fire_drill):
    d = fire_drill
    rows = [i for i in d.msel.injects if i.kind == "fire_village"]
    assert rows
    for i in rows:
        e = d.result.events[int(i.basis.split(":")[1])]
        assert e["event"] == "threatened" and i.recipient == i.entities[0]


def test_every_kind_with_injects_has_an_objective():
    assert set(HAZARD_INJECTS) == set(KIND_OBJECTIVE)


def test_a_kind_without_injects_gets_the_generic_ones(chlorine):
    """A hazard kind with no entry in the inject table (road damage alone) still gets the event,
    road and twist injects; no met bulletin, no hazard-specific injects."""
    edges = road_edges(chlorine.district)["chang-river-bridge-no-1"]
    run = dataclasses.replace(chlorine, hazards=[RoadDamage.of_edges(chlorine.district.network, edges, 3600.0)])
    m = design_drill(run, difficulty="easy", seed=0).msel  # seed 0 draws a shelter overflow: no re-run
    kinds = {i.kind for i in m.injects}
    assert m.kind == "other" and m.objectives == ["emergency_comms"]
    assert {"road_closed", "warning_needed", "first_impact", "shelter_open"} <= kinds
    assert {f"twist_{t.kind}" for t in m.twists} <= kinds
    assert not kinds & {"met_bulletin", "release", "plume_site", "fire_report", "gauge_warning"}


# ------------------------------------------------------------------------------------ options
def test_duration_cuts_the_window(chlorine):
    m = design_drill(chlorine, difficulty="easy", seed=1, duration_h=1.5).msel
    assert m.duration_s == pytest.approx(1.5 * 3600)
    assert all(i.t_s <= 1.5 * 3600 for i in m.injects) and m.injects[-1].kind == "endex"
    full = design_drill(chlorine, difficulty="easy", seed=1).msel
    assert len(m.injects) < len(full.injects)


def test_participants_filter_recipients(chlorine):
    m = design_drill(chlorine, difficulty="easy", seed=1, participants=["hazmat_team", "交通管制组"]).msel
    assert {i.recipient for i in m.injects} <= {"hazmat_team", "traffic", "all"}
    assert any(i.recipient == "hazmat_team" for i in m.injects)
    with pytest.raises(InputError, match="participants"):
        design_drill(chlorine, participants=["nobody"])


def test_bad_options_are_input_errors(chlorine):
    for kw in ({"difficulty": "extreme"}, {"seed": -1}, {"duration_h": 0}, {"duration_h": float("nan")}):
        with pytest.raises(InputError):
            design_drill(chlorine, **kw)


# ------------------------------------------------------------------------------------ files and checks
def _write(d, tmp_path, lang="zh") -> Path:
    p = tmp_path / "msel.csv"
    write_msel_csv(d.msel, _names(d), p, lang)
    return p


def _rows(p: Path) -> list[dict]:
    return list(csv.DictReader(p.read_text(encoding="utf-8-sig").splitlines()))


def _save(p: Path, rows: list[dict]) -> None:
    with p.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def test_csv_layout_and_clean_check(chlorine_drill, chlorine, tmp_path):
    for lang in ("zh", "en"):
        p = _write(chlorine_drill, tmp_path, lang)
        header = p.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        assert header == list(COLUMNS) and header[0] == "time"
        rows = _rows(p)
        assert len(rows) == len(chlorine_drill.msel.injects)
        assert all(r["time"].startswith("T+") for r in rows)
        assert check_msel(p, chlorine) == []
        assert check_msel(p, "chlorine-night") == []


def test_edited_msel_errors_are_reported_line_by_line(chlorine_drill, chlorine, tmp_path):
    p = _write(chlorine_drill, tmp_path)
    rows = _rows(p)
    n = len(rows)
    rows[3]["time"] = "T+00:00" if parse_t(rows[2]["time"]) > 0 else rows[3]["time"]
    rows[2]["time"] = "T+00:59"                           # line 4: later than line 5
    rows[4]["entities"] = "shelter:nowhere; township:xijiao"  # line 6
    rows[5]["recipient"] = "the mayor"                    # line 7
    rows[6]["time"] = "12:00"                             # line 8
    rows[7]["objective"] = "earthquake drill"             # line 9
    rows[n - 2]["time"] = "T+99:00"                       # line n: after ENDEX
    rows[1]["target_time"] = "T+00:00"                    # line 3 (only wrong if its time is later)
    rows[1]["time"] = "T+00:01" if rows[1]["time"] == "T+00:00" else rows[1]["time"]
    _save(p, rows)
    problems = check_msel(p, chlorine)
    text = "\n".join(problems)
    assert "msel.csv:5: time" in text and "earlier than line 4" in text
    assert "msel.csv:6: entity 'shelter:nowhere'" in text
    assert "msel.csv:7: recipient 'the mayor'" in text
    assert "msel.csv:8: time: expected T+HH:MM" in text
    assert "msel.csv:9: objective 'earthquake drill'" in text
    assert f"msel.csv:{n}: time T+99:00 is after the end of the exercise" in text
    assert "msel.csv:3: target_time T+00:00 is before" in text
    # one problem per line, each naming its line
    assert all(x.startswith("msel.csv") for x in problems)


def test_check_finds_an_objective_without_injects(chlorine_drill, chlorine, tmp_path):
    p = _write(chlorine_drill, tmp_path, "en")
    rows = [r for r in _rows(p) if r["objective"] != "accident response"]
    _save(p, rows)
    problems = check_msel(p, chlorine)
    assert any("accident response has no inject" in x for x in problems)


def test_check_missing_columns_and_file(tmp_path):
    p = tmp_path / "msel.csv"
    p.write_text("time,inject\nT+00:00,hello\n", encoding="utf-8")
    problems = check_msel(p)
    assert len(problems) == 1 and problems[0].startswith("msel.csv:1: missing column(s)") and "recipient" in problems[0]
    with pytest.raises(InputError, match="not found"):
        check_msel(tmp_path / "absent.csv")


def test_check_against_a_bare_road_network_is_a_clear_error(chlorine_drill, tmp_path):
    """A scenario on an OSM extract (with a plan file) has no townships or facilities to check names against."""
    from network.load import load_network
    from network.plan import Plan

    osm = tmp_path / "wo.osm.bz2"
    osm.write_bytes((Path(__file__).parent / "data/osm/West-Oakland.osm.bz2").read_bytes())
    net = load_network(osm)
    Plan("empty").to_json(tmp_path / "plan.json")
    (tmp_path / "s.toml").write_text(
        f'title_zh = "测"\ntitle_en = "t"\n[network]\nsource = "wo.osm.bz2"\n[plan]\nkind = "file"\nfile = "plan.json"\n'
        f'[hazards.chemical]\nlocation = [{float(net.lon.mean())}, {float(net.lat.mean())}]\nsubstance = "ammonia"\n'
        f'mass_kg = 200\n', encoding="utf-8")
    p = _write(chlorine_drill, tmp_path, "en")
    with pytest.raises(InputError, match="bare road network"):
        check_msel(p, tmp_path / "s.toml")


def test_evaluation_checklist(chlorine_drill, tmp_path):
    p = write_evaluation_csv(chlorine_drill.msel, tmp_path / "evaluation.csv", "en")
    rows = _rows(p)
    assert list(rows[0]) == list(EVAL_COLUMNS)
    assert {r["objective"] for r in rows} == {OBJECTIVES[o][1] for o in chlorine_drill.msel.objectives}
    assert all(r["observed_time"] == r["met"] == r["observations"] == "" for r in rows)
    ids = {x for r in rows for x in r["injects"].split()}
    assert ids == {i.id for i in chlorine_drill.msel.injects if i.kind != "endex"}


# ------------------------------------------------------------------------------------ CLI
def test_cli_writes_every_file(tmp_path, capsys):
    from openpyxl import load_workbook

    from scenarios.cli import main

    out = tmp_path / "drill"
    assert main(["drill", "chlorine-night", "--difficulty", "hard", "--seed", "3", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["injects"] > 5 and len(summary["twists"]) == TWIST_COUNT["hard"]
    for f in ("msel.csv", "msel.xlsx", "msel.json", "evaluation.csv", "drill.html", "drill.md", "drill_phase1.png"):
        assert (out / f).stat().st_size > 0, f
    wb = load_workbook(out / "msel.xlsx")
    assert wb.sheetnames == ["MSEL 中文", "MSEL English", "评估 Evaluation", "列表 Lists"]
    ws = wb["MSEL English"]
    assert ws.freeze_panes == "B2" and ws.cell(1, 1).value == "time\n时间" and ws.cell(1, 1).font.bold
    assert ws.column_dimensions["D"].width >= 40
    # times are Excel durations shown as T+[h]:mm (tests/test_tables_excel.py checks them in full)
    assert ws.cell(2, 1).number_format == '"T+"[h]:mm' and ws.max_row == summary["injects"] + 1
    data = json.loads((out / "msel.json").read_text(encoding="utf-8"))
    assert data["scenario"] == "chlorine-night" and len(data["injects"]) == summary["injects"]
    html = (out / "drill.html").read_text(encoding="utf-8")
    # self-contained: the only scripts are the interactive map's, each named by hash in the CSP;
    # no links out in the page itself (base64 image data may spell "http" by chance)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert [attrs for attrs, _ in scripts] == [' type="application/json" id="yingji-map-data"', "", ""]
    csp = re.search(r'Content-Security-Policy" content="([^"]*)"', html).group(1)
    for _, text in scripts[1:]:
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
        assert f"'sha256-{digest}'" in csp
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
    body = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page.split("<body>")[1])
    assert page.count('<img src="data:image/png;base64,') == 3 and "http" not in body
    assert "工业园区氯碱厂" in html and "emergency exercise" in html
    assert "drill_phase1.png" in (out / "drill.md").read_text(encoding="utf-8")
    assert main(["drill", "check", str(out / "msel.csv")]) == 0
    rows = _rows(out / "msel.csv")
    rows[2]["entities"] = "team:nobody/general"
    _save(out / "msel.csv", rows)
    assert main(["drill", "check", str(out / "msel.csv")]) == 2
    assert "msel.csv:4: entity 'team:nobody/general'" in capsys.readouterr().err


def test_cli_bad_input_leaves_nothing(tmp_path, capsys):
    from scenarios.cli import main

    out = tmp_path / "d"
    assert main(["drill", "no-such-scenario", "--out", str(out)]) == 2
    assert main(["drill", "chlorine-night", "--participants", "nobody", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("yingji: error:") == 2 and "participants" in err
    assert not out.exists() and not any(tmp_path.iterdir())


# ------------------------------------------------------------------------------------ flood (slow)
@pytest.mark.slow
def test_flood_gauge_and_breach_injects_at_the_hydrograph_times():
    run = load_run("flood-100y-breach", seed=0)
    d = design_drill(run, difficulty="easy", seed=0)
    h = next(x for x in d.hazards if x.kind == "flood")
    warn = d.district.spec.river.gauge.warning_stage_m
    g = next(i for i in d.msel.injects if i.kind == "gauge_warning")
    assert h.stage(g.sim_t_s) >= warn > h.stage(g.sim_t_s - 60.0)
    b = next(i for i in d.msel.injects if i.kind == "dike_breach")
    assert b.sim_t_s == pytest.approx(h.breaches[0].time_s) and "dike:xijiao-dike" in b.entities
    assert "flood_rescue" in d.msel.objectives
    assert not any(i.kind == "first_impact" and i.sim_t_s <= 0 for i in d.msel.injects)
    assert all(math.isfinite(i.t_s) for i in d.msel.injects)


@pytest.mark.slow
def test_wind_shift_drill_follows_the_turned_plume(chlorine):
    d = design_drill(chlorine, difficulty="normal", seed=4)
    tw = next(t for t in d.msel.twists if t.kind == "wind_shift")
    assert tw.physics and d.result is not d.base_result
    row = next(i for i in d.msel.injects if i.twist == "wind_shift")
    assert row.sim_t_s == pytest.approx(tw.t_s) and row.recipient == "hazmat_team"
    after = lambda r: sorted(e["node"] for e in r.events if e["event"] == "affected" and e["t_s"] > tw.t_s)
    assert after(d.result) != after(d.base_result)
    for i in d.msel.injects:
        if i.basis.startswith("event:"):
            assert d.result.events[int(i.basis.split(":")[1])]["t_s"] == pytest.approx(d.msel.start_s + i.t_s)


def test_scenario_text_is_escaped_in_the_handbook(tmp_path, capsys):
    from scenarios.cli import main
    from scenarios.core.spec import builtin_text

    text = builtin_text("chlorine-night").replace('name = "chlorine-night"', 'name = "<script>alert(1)</script>"', 1)
    src = tmp_path / "evil.toml"
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["drill", str(src), "--difficulty", "easy", "--seed", "1", "--out", str(out), "-q"]) == 0
    html = (out / "drill.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<script") == 3      # the map's own three, the name inside them as \u003cscript\u003e
    assert "Content-Security-Policy\" content=\"default-src 'none'" in html
    md = (out / "drill.md").read_text(encoding="utf-8")       # a Markdown viewer would run raw HTML
    assert "<script" not in md and "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    # the check finds the scenario again through msel.json (the file, not the untrusted name)
    assert json.loads((out / "msel.json").read_text(encoding="utf-8"))["source"] == str(src)
    assert main(["drill", "check", str(out / "msel.csv")]) == 0


def test_participant_filter_drops_objectives_without_players(chlorine):
    m = design_drill(chlorine, difficulty="easy", seed=1, participants=["shelter_managers"]).msel
    assert {i.recipient for i in m.injects} <= {"shelter_managers", "all"}
    assert all(any(i.objective == o for i in m.injects) for o in m.objectives)
