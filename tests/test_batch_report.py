"""Batch statistics (Wilson against Newcombe 1998, Spearman sign, exceedance, paired differences),
the store's guarantees, and the report files."""
from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from network.errors import InputError
from scenarios.batch.report import load_batch, summarise, write_batch_report
from scenarios.batch.store import BatchStore
from scenarios.batch.summary import exceedance, paired_difference, spearman_drivers, wilson_interval

SOURCE = 'name = "x"\n[targets]\nrelief_within_h = 10.0\n'


def test_wilson_matches_newcombe_1998():
    # Newcombe, Statistics in Medicine 17 (1998) 857-872, Table I: Wilson score intervals
    lo, hi = wilson_interval(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)
    lo, hi = wilson_interval(15, 148)
    assert (round(lo, 4), round(hi, 4)) == (0.0624, 0.1605)
    lo, hi = wilson_interval(0, 20)
    assert (round(lo, 4), round(hi, 4)) == (0.0, 0.1611)
    with pytest.raises(ValueError):
        wilson_interval(3, 0)


def test_spearman_signs_and_skips():
    rng = np.random.default_rng(0)
    n = 60
    inputs = [{"up": float(rng.uniform()), "down": float(rng.uniform()), "flat": 1.0, "kind": "a",
               "closed": ["s1"] * int(rng.integers(0, 4))} for _ in range(n)]
    y = [3 * d["up"] - 2 * d["down"] + 0.2 * rng.normal() + 0.5 * len(d["closed"]) for d in inputs]
    rows = {r["input"]: r for r in spearman_drivers(inputs, y)}
    assert rows["up"]["rho"] > 0.5 and rows["down"]["rho"] < -0.3
    assert rows["closed (count)"]["rho"] > 0
    assert "flat" not in rows and "kind" not in rows
    rhos = [abs(r["rho"]) for r in spearman_drivers(inputs, y)]
    assert rhos == sorted(rhos, reverse=True)
    assert spearman_drivers(inputs, [1.0] * n) == []  # an outcome that never varies has no drivers


def test_exceedance_is_monotone_and_counts_inf():
    vals = [3.0, 12.0, math.inf, 7.5, 12.0, math.inf, 0.5, math.nan]
    x, p = exceedance(vals)
    assert list(x) == sorted(v for v in vals if math.isfinite(v))
    assert np.all(np.diff(p) <= 0) and p[0] == pytest.approx(6 / 7) and p[-1] == pytest.approx(2 / 7)
    x, p = exceedance([math.inf, math.inf])
    assert len(x) == 0


def test_paired_difference():
    rng = np.random.default_rng(3)
    a = rng.normal(10, 2, 80)
    b = a - 1.5 + rng.normal(0, 0.3, 80)
    d = paired_difference(a, b, seed=1)
    assert d["n"] == 80 and d["mean"] == pytest.approx(np.mean(b - a))
    for key in ("t_ci", "bootstrap_ci"):
        lo, hi = d[key]
        assert lo < -1.5 < hi and hi - lo < 0.3
    assert paired_difference([1, 2, 3], [2, 3, 4])["t_ci"] == [1.0, 1.0]


def _indicators(share: float, p95: float, cover: float) -> list[dict]:
    return [
        {"indicator": "relief_within_target", "zh": "10 h 内比例", "en": "within 10 h", "unit": "share",
         "value": share, "target": ">= 1", "pass": share >= 1.0, "note": ""},
        {"indicator": "relief_p95_h", "zh": "P95", "en": "P95", "unit": "h", "value": None if math.isinf(p95) else p95,
         "target": "<= 10", "pass": p95 <= 10, "note": "not reached" if math.isinf(p95) else ""},
        {"indicator": "warning_coverage", "zh": "预警覆盖率", "en": "warning coverage", "unit": "share", "value": cover,
         "target": ">= 0.9", "pass": cover >= 0.9, "note": ""},
        {"indicator": "forest_fire_damage_permille", "zh": "森林火灾受害率", "en": "forest fire damage", "unit": "‰",
         "value": None, "target": "<= 0.9", "pass": None, "note": "n/a"},
    ]


def _causes(unrelieved: int, i: int) -> dict[str, int]:
    """Made-up causes summing to ``unrelieved``: boats hold most back in every third run."""
    if not unrelieved:
        return {}
    boats = unrelieved * 2 // 3 if i % 3 == 0 else unrelieved // 4
    return {"waiting_for_boat": boats, "no_water_l": unrelieved - boats}


@pytest.fixture()
def synthetic_store(tmp_path):
    """A store of made-up runs with known pass counts: two plans on common inputs."""
    store = tmp_path / "s.sqlite"
    rng = np.random.default_rng(5)
    with BatchStore(store) as st:
        st.begin_batch(scenario_name="<script>alert(1)</script>", scenario_source=SOURCE, seed=4, runs=40,
                       plans=["existing", "better.json"], resume=False)
        for i in range(40):
            peak = float(rng.uniform(20, 200))
            inputs = {"hazards.flood.return_period_years": peak, "resources.unavailable": ["a"] * (i % 3)}
            for plan, bonus in (("existing", 0.0), ("better.json", 0.15)):
                if plan == "existing" and i == 7:
                    st.record({"run_index": i, "plan": plan, "seed": 1000 + i, "status": "failed", "inputs": inputs,
                               "error": "InputError: boom"})
                    continue
                share = min(1.0, 1.2 - peak / 200 + bonus)
                p95 = math.inf if share < 0.8 else 20 * (1 - share) + 4
                st.record({"run_index": i, "plan": plan, "seed": 1000 + i, "status": "ok", "inputs": inputs,
                           "indicators": _indicators(share, p95, 0.95 if i % 4 else 0.85),
                           "metrics": {"relief_within_target": share, "relief_p95_h": p95, "affected_people": 100,
                                       "unrelieved_people": round(100 * (1 - share)), "exposure_people": 0,
                                       "unrelieved_by_cause": _causes(round(100 * (1 - share)), i)}})
    return store


def test_store_never_holds_a_run_twice(synthetic_store):
    with BatchStore(synthetic_store, create=False) as st:
        n = st.counts()["stored"]
        assert not st.record({"run_index": 0, "plan": "existing", "seed": 1, "status": "ok", "inputs": {}})
        assert st.counts()["stored"] == n == 80
        assert st.missing(41, ["existing", "better.json"]) == [(40, "existing"), (40, "better.json")]
        inf_rows = [r for r in st.rows() if r["status"] == "ok" and math.isinf(r["relief_p95_h"])]
        assert inf_rows  # 'never relieved' survives as inf in the column
        assert st.run(7, "existing")["error"] == "InputError: boom"
        with pytest.raises(InputError, match="name one"):
            st.run(3)


def test_summary_counts(synthetic_store):
    s = summarise(load_batch(synthetic_store))
    ex = s["per_plan"]["existing"]
    assert ex["ok"] == 39 and ex["failed"] == 1
    cover = next(t for t in ex["targets"] if t["indicator"] == "warning_coverage")
    # coverage passes unless i % 4 == 0 (10 runs); run 7 (it would pass) failed: 29 of 39
    assert (cover["met"], cover["n"]) == (29, 39)
    assert cover["wilson"] == pytest.approx(list(wilson_interval(29, 39)))
    fire = next(t for t in ex["targets"] if t["indicator"] == "forest_fire_damage_permille")
    assert fire["n"] == 0 and fire["p"] is None
    # drivers: a bigger flood lowers the share relieved
    rho = {r["input"]: r["rho"] for r in s["drivers"]["existing"]["relief_within_target"]["rows"]}
    assert rho["hazards.flood.return_period_years"] < -0.9
    # paired: the better plan relieves a larger share on the same runs
    pair = next(p for p in s["paired"] if p["metric"] == "relief_within_target")
    assert pair["n"] == 39 and pair["mean"] > 0 and pair["t_ci"][0] > 0
    assert s["failed_runs"][0]["seed"] == 1007
    # what holds relief down across runs: the mean per cause sums to the mean unrelieved; the
    # biggest cause is counted once per run with anyone unrelieved
    causes = {c["cause"]: c for c in ex["causes"]}
    ok_rows = [r for r in load_batch(synthetic_store).rows if r["plan"] == "existing" and r["status"] == "ok"]
    unrelieved = [r["kpis"]["metrics"]["unrelieved_people"] for r in ok_rows]
    assert sum(c["mean_people"] for c in causes.values()) == pytest.approx(np.mean(unrelieved))
    assert causes["waiting_for_boat"]["biggest_in_runs"] + causes["no_water_l"]["biggest_in_runs"] == sum(
        1 for u in unrelieved if u)
    assert causes["waiting_for_boat"]["biggest_in_runs"] == sum(
        1 for r, u in zip(ok_rows, unrelieved) if u and r["run_index"] % 3 == 0 and u * 2 // 3 >= u - u * 2 // 3)
    assert causes["no_water_l"]["zh"] == "缺饮用水" or causes["no_water_l"]["en"].startswith("no ")
    worst = s["worst"]["existing"][0]
    assert worst["relief_within_target"] == min(r["relief_within_target"] for r in s["worst"]["existing"])


def test_report_files(synthetic_store, tmp_path):
    out = tmp_path / "rep"
    res = write_batch_report(synthetic_store, out, lang="en")
    for name in ("report.html", "summary.json", "runs.csv", "target_probability.png", "target_probability.svg",
                 "relief_p95_exceedance.png", "relief_p95_exceedance.svg", "drivers_tornado.png", "drivers_tornado.svg"):
        assert (out / name).stat().st_size > 0, name
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 3
    assert not re.search(r'(src|href)="https?://', html)
    assert "Wilson" in html and "批量验证" in html and "Batch validation" in html
    assert "1007" in html  # the failed run's seed
    assert 'id="causes"' in html and "What holds relief down, across runs" in html
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["per_plan"]["better.json"]["ok"] == 40
    lines = (out / "runs.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 81 and "input:hazards.flood.return_period_years" in lines[0]
    assert res["files"][0] == "report.html"


def test_report_cli(synthetic_store, tmp_path, capsys):
    from scenarios.cli import main

    out = tmp_path / "cli"
    assert main(["batch", "report", str(synthetic_store), "--out", str(out), "--lang", "zh", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["out"] == str(out) and (out / "report.html").exists()
    assert main(["batch", "report", str(synthetic_store), "--out", str(tmp_path / "x"), "--lang", "fr"]) == 2
    assert "--lang" in capsys.readouterr().err
    not_store = tmp_path / "t.sqlite"
    not_store.write_text("hello", encoding="utf-8")
    assert main(["batch", "report", str(not_store)]) == 2
    assert "not a yingji batch store" in capsys.readouterr().err


def test_store_without_runs_is_no_batch_yet(tmp_path):
    store = tmp_path / "empty.sqlite"
    with BatchStore(store) as st:
        st.begin_batch(scenario_name="a", scenario_source=SOURCE, seed=1, runs=3, plans=["existing"], resume=False)
        # the cluster never started: the same or another batch may take the store without --resume
        info = st.begin_batch(scenario_name="b", scenario_source=SOURCE + "#", seed=2, runs=4, plans=["existing"],
                              resume=False)
        assert (info.scenario_name, info.seed) == ("b", 2)
        st.record({"run_index": 0, "plan": "existing", "seed": 9, "status": "failed", "inputs": {}, "error": "x"})
        with pytest.raises(InputError, match="--resume"):
            st.begin_batch(scenario_name="b", scenario_source=SOURCE + "#", seed=2, runs=4, plans=["existing"],
                           resume=False)
        assert st.missing(4, ["existing"]) == [(1, "existing"), (2, "existing"), (3, "existing")]


# ---------------------------------------------------------------------------------- figures people read
def _drawn(fig):
    """The figure drawn on an Agg canvas, and its renderer (to measure text)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _overlapping(boxes) -> list[tuple[int, int]]:
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]


def test_input_names_for_people():
    from scenarios.batch.input_names import input_name

    assert input_name("hazards.flood.return_period_years", "en") == "flood return period (years)"
    assert input_name("hazards.flood.return_period_years", "zh") == "洪水重现期（年）"
    assert input_name("resources.unavailable (count)", "en") == "facilities out of action"
    # a path nobody named: its last parts as words, the unit in brackets
    assert input_name("simulation.params.boat_speed_m_s", "en") == "params boat speed (m/s)"
    assert input_name("hazards.flood.breaches (count)", "zh") == "flood breaches（数量）"


def test_batch_figures_read_as_people_write(synthetic_store):
    from scenarios.batch.report import _target_figure, _target_units, _tornado_figure

    data = load_batch(synthetic_store)
    s = summarise(data)
    # drivers by name, wrapped, no two labels on top of each other
    fig = _tornado_figure(s["drivers"]["existing"], "en", "relief_within_target")
    renderer = _drawn(fig)
    ax = fig.axes[0]
    ticks = [t for t in ax.get_yticklabels() if t.get_text()]
    names = [t.get_text().replace("\n", " ") for t in ticks]
    assert names and "flood return period (years)" in names and not any("." in n for n in names), names
    assert not _overlapping([t.get_window_extent(renderer) for t in ticks])
    assert fig.get_figheight() >= 1.3 + 0.32 * len(ticks)   # as tall as its labels need
    # twelve drivers with long names still leave every label clear of the others
    many = {"o": {"zh": "结果", "en": "outcome", "rows": [
        {"input": f"hazards.some_hazard.a_rather_long_input_name_number_{i}_of_twelve_km", "rho": 0.9 - 0.15 * i,
         "p_value": 0.01, "n": 40} for i in range(12)]}}
    fig = _tornado_figure(many, "en", "o")
    renderer = _drawn(fig)
    ticks = [t for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert len(ticks) == 12 and not _overlapping([t.get_window_extent(renderer) for t in ticks])
    # targets as a person reads them, each bar's figure beside its interval, not over a bar
    fig = _target_figure(s, "en", _target_units(data))
    renderer = _drawn(fig)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(lab.endswith("target ≥ 100 %") for lab in labels) and any(lab.endswith("target ≤ 10 h") for lab in labels)
    assert not any(">=" in lab or "<=" in lab for lab in labels)
    bars = [p.get_window_extent(renderer) for p in ax.patches if p.get_width() > 0 and p.get_height() < 1]
    values = [t for t in ax.texts if "%" in t.get_text() and "(" in t.get_text()]
    assert values and not any(t.get_window_extent(renderer).overlaps(b) for t in values for b in bars)


def test_exceedance_legend_clear_of_the_target_line(synthetic_store):
    from scenarios.batch.report import _exceedance_figure

    data = load_batch(synthetic_store)
    fig = _exceedance_figure(data, summarise(data), "en", 10.0)
    renderer = _drawn(fig)
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.y1 <= ax.get_window_extent(renderer).y0   # under the axes, not across the 10-h line


def test_report_shows_targets_and_drivers_by_name(synthetic_store, tmp_path):
    out = tmp_path / "rep"
    write_batch_report(synthetic_store, out, lang="en")
    html = (out / "report.html").read_text(encoding="utf-8")
    targets = html.split('<section id="targets">')[1].split("</section>")[0]
    assert "≥ 100 %" in targets and "≤ 10 h" in targets and "≥ 90 %" in targets
    assert "&gt;= 1" not in targets and "&lt;= 10" not in targets
    drivers = html.split('<section id="drivers">')[1].split("</section>")[0]
    assert "flood return period (years)" in drivers and "洪水重现期（年）" in drivers
