"""The summary of a batch store: how often each target is met, what drives failures, worst runs,
paired plan differences — as numbers (``summary.json``, ``runs.csv``), figures (PNG and SVG) and
one self-contained HTML report (jinja2, autoescaped; figures embedded as base64 PNG).

Statistics come from scipy: Wilson score intervals (``binomtest(...).proportion_ci``), Spearman
rank correlation, t intervals and BCa bootstrap intervals of paired differences (seeded).
"""
from __future__ import annotations

import base64
import csv
import json
import math
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matplotlib.figure import Figure
from scipy import stats
from scipy.stats import binomtest, spearmanr

from network.errors import InputError
from network.fonts import use_cjk_font
from network.jsonsafe import json_safe

from .store import BatchInfo, BatchStore
from scenarios.core.version import yingji_version
from scenarios.reports.html import environment
from scenarios.reports.webfont import embed_cjk_font

_LANGS = ("zh", "en")
#: the relief-time indicator whose distribution the report draws, and the headline target
P95 = "relief_p95_h"
HEADLINE = "relief_within_target"
#: outcomes whose drivers are ranked (column in the runs table; higher is better?)
DRIVER_OUTCOMES = (
    ("relief_within_target", "10 小时内获救助比例", "share relieved within the target time", True),
    ("unrelieved_people", "未获救助人数", "people not relieved", False),
    ("exposure_people", "致死区域暴露人数", "people exposed in lethal zones", False),
)
_T = {
    "zh": {"prob_title": "各目标的达成概率（Wilson 95% 区间）", "prob_x": "达成概率", "exc_title": "基本生活救助时间 P95 的超越概率",
           "exc_x": "救助时间 P95 (h)", "exc_y": "超过该时间的运行比例", "target": "目标", "never": "有人始终未获救助",
           "tornado_title": "失败驱动因素：Spearman 秩相关", "tornado_x": "Spearman ρ（与 {o}）", "hist_y": "运行次数",
           "no_finite": "所有运行中均有人未获救助（P95 未达到）", "runs": "次运行"},
    "en": {"prob_title": "Probability of meeting each target (Wilson 95 % interval)", "prob_x": "probability",
           "exc_title": "Exceedance of the relief-time P95", "exc_x": "relief time P95 (h)",
           "exc_y": "share of runs above", "target": "target", "never": "someone never relieved",
           "tornado_title": "Drivers of failure: Spearman rank correlation", "tornado_x": "Spearman ρ (with {o})",
           "hist_y": "runs", "no_finite": "every run left someone unrelieved (P95 not reached)", "runs": "runs"},
}


# ------------------------------------------------------------------------------- statistics
def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion k/n (scipy.stats.binomtest)."""

    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, found k={k}, n={n}")
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def exceedance(values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Empirical exceedance curve: sorted finite values x and P(X > x) just after each (inf counts
    as exceeding everything). Non-increasing by construction."""
    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    if not len(v):
        return np.zeros(0), np.zeros(0)
    x = np.sort(v[np.isfinite(v)])
    p = 1.0 - np.searchsorted(np.sort(v), x, side="right") / len(v)
    return x, p


def spearman_drivers(inputs: Sequence[dict[str, Any]], outcome: Sequence[float]) -> list[dict[str, Any]]:
    """Spearman rank correlation of every numeric input with ``outcome`` (scipy.stats.spearmanr).

    Booleans count as 0/1 and lists (a subset of facilities) by their length; text inputs and
    inputs or outcomes that do not vary are left out. Sorted by |rho|, strongest first.
    """

    y = np.asarray(outcome, float)
    keep = np.isfinite(y)
    out = []
    if keep.sum() < 3 or np.ptp(y[keep]) == 0:
        return out
    paths = sorted({p for d in inputs for p in d})
    for path in paths:
        raw = [d.get(path) for d in inputs]
        name = path
        if all(isinstance(v, (list, tuple)) for v in raw):
            x = np.array([len(v) for v in raw], float)
            name = f"{path} (count)"
        elif all(isinstance(v, (bool, int, float)) and v is not None for v in raw):
            x = np.array([float(v) for v in raw], float)
        else:
            continue
        m = keep & np.isfinite(x)
        if m.sum() < 3 or np.ptp(x[m]) == 0:
            continue
        res = spearmanr(x[m], y[m])
        out.append({"input": name, "rho": float(res.statistic), "p_value": float(res.pvalue), "n": int(m.sum())})
    out.sort(key=lambda r: -abs(r["rho"]))
    return out


def paired_difference(a: Sequence[float], b: Sequence[float], *, seed: int = 0) -> dict[str, Any]:
    """Mean of per-run differences b - a with a t interval and a BCa bootstrap interval (95 %)."""

    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    d = d[np.isfinite(d)]
    n = len(d)
    out: dict[str, Any] = {"n": n, "mean": float(d.mean()) if n else None, "t_ci": None, "bootstrap_ci": None}
    if n < 2:
        return out
    if np.ptp(d) == 0:  # every pair differs by the same amount: the interval is that point
        out["t_ci"] = out["bootstrap_ci"] = [float(d[0]), float(d[0])]
        return out
    ci = stats.ttest_1samp(d, 0.0).confidence_interval(0.95)
    out["t_ci"] = [float(ci.low), float(ci.high)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BCa warns on degenerate resamples; the percentile fallback covers it
        bs = stats.bootstrap((d,), np.mean, confidence_level=0.95, n_resamples=2000, method="BCa",
                             rng=np.random.default_rng(seed))
    lo, hi = float(bs.confidence_interval.low), float(bs.confidence_interval.high)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = (float(v) for v in np.percentile(bs.bootstrap_distribution, [2.5, 97.5]))
    out["bootstrap_ci"] = [lo, hi]
    return out


# ------------------------------------------------------------------------------- the summary
@dataclass
class BatchData:
    info: BatchInfo
    rows: list[dict[str, Any]]
    store: Path

    @property
    def plans(self) -> list[str]:
        seen = list(self.info.plans)
        return seen + sorted({r["plan"] for r in self.rows} - set(seen))


def load_batch(store: str | Path) -> BatchData:
    """A batch store's description and runs."""
    with BatchStore(store, create=False) as st:
        info = st.info()
        if info is None:
            raise InputError(f"{store}: the store holds no batch yet")
        return BatchData(info, st.rows(), Path(store))


def _metric(row: dict[str, Any], key: str) -> float:
    """A run's number: its KPI column (inf kept) or its metrics JSON."""
    v = row.get(key)
    if v is None and row.get("kpis"):
        v = row["kpis"].get("metrics", {}).get(key)
        if v is None and key == P95 and row["kpis"]["metrics"].get("affected_people"):
            v = math.inf  # JSON dropped inf: someone stayed unrelieved
    return math.nan if v is None else float(v)


def _fmt_p(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def summarise(data: BatchData) -> dict[str, Any]:
    """Every number the report shows (also written as summary.json)."""
    info = data.info
    plans = data.plans
    out: dict[str, Any] = {
        "scenario": info.scenario_name, "origin": info.scenario_origin, "seed": info.seed, "runs_planned": info.runs,
        "plans": plans, "created": info.created, "store": str(data.store), "per_plan": {}, "paired": [],
        "drivers": {}, "worst": {}, "failed_runs": [],
    }
    for plan in plans:
        rows = [r for r in data.rows if r["plan"] == plan]
        ok = [r for r in rows if r["status"] == "ok"]
        targets = {}
        for r in ok:
            for ind in r["kpis"]["indicators"]:
                t = targets.setdefault(ind["indicator"], {"indicator": ind["indicator"], "zh": ind["zh"], "en": ind["en"],
                                                          "target": ind.get("target", ""), "n": 0, "met": 0})
                if ind.get("pass") is not None:
                    t["n"] += 1
                    t["met"] += int(bool(ind["pass"]))
        for t in targets.values():
            t["p"] = t["met"] / t["n"] if t["n"] else None
            t["wilson"] = list(wilson_interval(t["met"], t["n"])) if t["n"] else None
        all_n = sum(1 for r in ok if r["all_pass"] is not None)
        all_k = sum(1 for r in ok if r["all_pass"])
        p95 = [_metric(r, P95) for r in ok]
        fin = [v for v in p95 if math.isfinite(v)]
        out["per_plan"][plan] = {
            "stored": len(rows), "ok": len(ok), "failed": len(rows) - len(ok), "targets": list(targets.values()),
            "all_targets": {"n": all_n, "met": all_k, "p": all_k / all_n if all_n else None,
                            "wilson": list(wilson_interval(all_k, all_n)) if all_n else None},
            "relief_p95": {"runs": len(p95), "never_reached": sum(1 for v in p95 if math.isinf(v)),
                           "median_h": float(np.median(fin)) if fin else None,
                           "p90_of_runs_h": float(np.percentile(fin, 90)) if fin else None},
        }
        drivers = {}
        for key, zh, en, _ in DRIVER_OUTCOMES:
            drivers[key] = {"zh": zh, "en": en, "rows": spearman_drivers([r["inputs"] for r in ok],
                                                                         [_metric(r, key) for r in ok])}
        # pass/fail of the headline target as a 0/1 outcome
        drivers[f"{HEADLINE}_pass"] = {"zh": "10 小时目标达成（0/1）", "en": "10-hour target met (0/1)",
                                       "rows": spearman_drivers([r["inputs"] for r in ok],
                                                                [np.nan if r.get(f"{HEADLINE}_pass") is None
                                                                 else r[f"{HEADLINE}_pass"] for r in ok])}
        out["drivers"][plan] = drivers
        worst = sorted(ok, key=lambda r: (np.nan_to_num(_metric(r, HEADLINE), nan=2.0), -np.nan_to_num(
            _metric(r, "unrelieved_people"))))[:10]
        out["worst"][plan] = [{"run_index": r["run_index"], "seed": r["seed"], "inputs": r["inputs"],
                               "relief_within_target": _metric(r, HEADLINE), "relief_p95_h": _metric(r, P95),
                               "unrelieved_people": _metric(r, "unrelieved_people"),
                               "exposure_people": _metric(r, "exposure_people")} for r in worst]
        out["failed_runs"] += [{"run_index": r["run_index"], "plan": plan, "seed": r["seed"], "error": r["error"],
                                "inputs": r["inputs"]} for r in rows if r["status"] == "failed"]
    if len(plans) > 1:
        ref = plans[0]
        by = {(r["run_index"], r["plan"]): r for r in data.rows if r["status"] == "ok"}
        for other in plans[1:]:
            idx = sorted(i for i, p in by if p == ref and (i, other) in by)
            for key, zh, en, higher_better in (*DRIVER_OUTCOMES, ("warning_coverage", "预警覆盖率", "warning coverage", True)):
                a = [_metric(by[(i, ref)], key) for i in idx]
                b = [_metric(by[(i, other)], key) for i in idx]
                d = paired_difference(a, b, seed=info.seed)
                out["paired"].append({"reference": ref, "plan": other, "metric": key, "zh": zh, "en": en,
                                      "higher_is_better": higher_better, **d})
            ka = [by[(i, ref)].get(f"{HEADLINE}_pass") for i in idx]
            kb = [by[(i, other)].get(f"{HEADLINE}_pass") for i in idx]
            pairs = [(x, y) for x, y in zip(ka, kb) if x is not None and y is not None]
            d = paired_difference([x for x, _ in pairs], [y for _, y in pairs], seed=info.seed)
            out["paired"].append({"reference": ref, "plan": other, "metric": f"{HEADLINE}_pass",
                                  "zh": "10 小时目标达成率", "en": "10-hour target met (rate)", "higher_is_better": True, **d})
    return out


# ------------------------------------------------------------------------------- figures
def _save(fig, out: Path, stem: str) -> tuple[Path, Path]:
    png, svg = out / f"{stem}.png", out / f"{stem}.svg"
    fig.savefig(png, dpi=130, bbox_inches="tight")
    fig.savefig(svg, bbox_inches="tight")
    return png, svg


def _target_figure(summary: dict, lang: str):

    t = _T[lang]
    plans = summary["plans"]
    names = []
    for plan in plans:
        for row in summary["per_plan"][plan]["targets"]:
            if row["n"] and row["indicator"] not in names:
                names.append(row["indicator"])
    fig = Figure(figsize=(8.5, 1.0 + 0.55 * max(1, len(names)) * max(1, len(plans))))
    ax = fig.subplots()
    h = 0.8 / max(1, len(plans))
    labels = {}
    legend_done = set()
    for j, plan in enumerate(plans):
        rows = {r["indicator"]: r for r in summary["per_plan"][plan]["targets"]}
        for i, key in enumerate(names):
            r = rows.get(key)
            if not r or not r["n"]:
                continue
            labels[i] = f"{r[lang]}\n{r['target']}"
            y = i + (j - (len(plans) - 1) / 2) * h
            lo, hi = r["wilson"]
            ax.barh(y, r["p"], height=h * 0.9, color=f"C{j}", label=None if plan in legend_done else plan)
            legend_done.add(plan)
            ax.errorbar(r["p"], y, xerr=[[r["p"] - lo], [hi - r["p"]]], fmt="none", ecolor="k", capsize=3)
            ax.text(min(hi + 0.02, 0.9), y, f"{100 * r['p']:.0f} % ({r['met']}/{r['n']})", va="center", fontsize=8)
    ax.set_yticks(range(len(names)), [labels.get(i, names[i]) for i in range(len(names))], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.05)
    ax.set_xlabel(t["prob_x"])
    ax.set_title(t["prob_title"])
    if len(plans) > 1:
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.25 / max(1, len(names))),
                  ncol=len(plans), frameon=False)
    return fig


def _exceedance_figure(data: BatchData, summary: dict, lang: str, target_h: float):

    t = _T[lang]
    fig = Figure(figsize=(8.5, 4.2))
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    top = target_h * 2
    any_finite = False
    for j, plan in enumerate(summary["plans"]):
        vals = [_metric(r, P95) for r in data.rows if r["plan"] == plan and r["status"] == "ok"]
        if not vals:
            continue
        x, p = exceedance(vals)
        never = sum(1 for v in vals if math.isinf(v)) / len(vals)
        if len(x):
            any_finite = True
            top = max(top, float(x.max()) * 1.1)
            # a right-continuous step: P(X > x) drops at each run's value, then stays at the
            # never-relieved share to the edge of the plot
            xs = np.concatenate([[0.0], np.repeat(x, 2), [top * 10]])
            ps = np.concatenate([[1.0], [1.0], np.repeat(p, 2)[:-1], [p[-1]], [p[-1]]])[: len(xs)]
            ax1.plot(xs, ps, color=f"C{j}", label=f"{plan} ({t['never']}: {100 * never:.0f} %)")
        else:
            ax1.plot([0, top], [1.0, 1.0], color=f"C{j}", label=f"{plan} ({t['never']}: 100 %)")
        finite = [v for v in vals if math.isfinite(v)]
        bins = np.linspace(0, top, 21)
        ax2.hist(finite, bins=bins, color=f"C{j}", alpha=0.6, label=plan)
        ax2.bar(top * 1.08, len(vals) - len(finite), width=top * 0.07, color=f"C{j}", hatch="//", alpha=0.6)
    for ax in (ax1, ax2):
        ax.axvline(target_h, color="crimson", ls="--", lw=1.2, label=f"{t['target']} {target_h:g} h" if ax is ax1 else None)
    ax1.set_xlim(0, top)
    ax1.set_ylim(0, 1.02)
    ax1.set_xlabel(t["exc_x"])
    ax1.set_ylabel(t["exc_y"])
    ax1.set_title(t["exc_title"], fontsize=10)
    ax1.legend(fontsize=7, loc="lower left")
    if not any_finite:
        ax1.text(top / 2, 0.5, t["no_finite"], ha="center", fontsize=9, color="0.3")
    ax2.set_xlabel(t["exc_x"])
    ax2.set_ylabel(t["hist_y"])
    ax2.set_xticks(list(ax2.get_xticks()[:-1]) + [top * 1.08], [f"{v:g}" for v in ax2.get_xticks()[:-1]] + ["∞"])
    ax2.set_xlim(0, top * 1.15)
    fig.tight_layout()
    return fig


def _tornado_figure(drivers: dict, lang: str, outcome_key: str):

    t = _T[lang]
    d = drivers[outcome_key]
    rows = d["rows"][:12]
    fig = Figure(figsize=(8.5, 1.2 + 0.4 * max(1, len(rows))))
    ax = fig.subplots()
    if rows:
        ys = np.arange(len(rows))
        rho = [r["rho"] for r in rows]
        ax.barh(ys, rho, color=["#b03a2e" if v < 0 else "#1e8449" for v in rho])
        ax.set_yticks(ys, [r["input"] for r in rows], fontsize=8)
        ax.invert_yaxis()
        for y, r in zip(ys, rows):
            ax.text(r["rho"], y, f" {r['rho']:+.2f} (p={r['p_value']:.2g})", va="center", fontsize=7,
                    ha="left" if r["rho"] >= 0 else "right")
    else:
        ax.text(0, 0, "—", ha="center")
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlim(-1.15, 1.15)
    ax.set_xlabel(t["tornado_x"].format(o=d[lang]))
    ax.set_title(t["tornado_title"], fontsize=10)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------- writing
def _target_h(data: BatchData) -> float:
    try:
        import tomllib

        return float(tomllib.loads(data.info.scenario_source).get("targets", {}).get("relief_within_h", 10.0))
    except (ValueError, TypeError):
        return 10.0


def _json_default(x: Any) -> Any:
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return str(x)


def _runs_csv(data: BatchData, path: Path) -> None:
    paths = sorted({p for r in data.rows for p in r["inputs"]})
    keys = ["run_index", "plan", "seed", "status", *[c for c in data.rows[0] if c.endswith("_pass") or c in (
        "relief_within_target", "relief_p95_h", "warning_coverage", "forest_fire_damage_permille", "exposure_people",
        "all_pass")], "seconds", "error"] if data.rows else []
    keys = list(dict.fromkeys(keys))
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(keys + [f"input:{p}" for p in paths])
        for r in data.rows:
            w.writerow([r.get(k) for k in keys] + [json.dumps(r["inputs"].get(p), ensure_ascii=False)
                                                    if isinstance(r["inputs"].get(p), (list, dict)) else r["inputs"].get(p)
                                                    for p in paths])


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float) and math.isinf(v):
        return "∞"
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def write_batch_report(store: str | Path, out: str | Path, *, lang: str = "zh") -> dict[str, Any]:
    """Write report.html, summary.json, runs.csv and the figures (PNG + SVG) for a batch store.

    Everything is computed before the first file is written, and the HTML goes in through a
    temporary file, so a failure leaves no half-written report.
    """


    if lang not in _LANGS:
        raise InputError(f"--lang must be 'zh' or 'en', found {lang!r}")
    data = load_batch(store)
    if not data.rows:
        raise InputError(f"{store}: the store holds no finished runs yet")
    summary = summarise(data)
    target_h = _target_h(data)
    use_cjk_font()
    figs = {"target_probability": _target_figure(summary, lang),
            "relief_p95_exceedance": _exceedance_figure(data, summary, lang, target_h)}
    first = summary["plans"][0]
    drivers = summary["drivers"][first]
    outcome = next((k for k in (f"{HEADLINE}_pass", HEADLINE, "unrelieved_people", "exposure_people")
                    if drivers.get(k, {}).get("rows")), HEADLINE)
    figs["drivers_tornado"] = _tornado_figure(drivers, lang, outcome)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    figures = []
    captions = {
        "target_probability": ("各目标达成概率及 Wilson 95% 置信区间", "Probability of meeting each target, with Wilson 95 % intervals"),
        "relief_p95_exceedance": (f"各次运行的救助时间 P95：超越概率曲线（红色虚线：{target_h:g} 小时）与分布（斜线柱：未达到）",
                                  f"Relief-time P95 across runs: exceedance curve (red dashed: {target_h:g} h) and distribution (hatched: not reached)"),
        "drivers_tornado": (f"失败驱动因素（方案 {first}）：各不确定输入与“{drivers[outcome]['zh']}”的 Spearman 秩相关",
                            f"Drivers (plan {first}): Spearman rank correlation of each uncertain input with '{drivers[outcome]['en']}'"),
    }
    for stem, fig in figs.items():
        png, svg = _save(fig, out, stem)
        written += [png.name, svg.name]
        figures.append({"stem": stem, "src": "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii"),
                        "svg": svg.name, "zh": captions[stem][0], "en": captions[stem][1]})
    (out / "summary.json").write_text(json.dumps(json_safe(summary, infinity_as_text=True), ensure_ascii=False, indent=1, default=_json_default),
                                      encoding="utf-8")
    _runs_csv(data, out / "runs.csv")
    written += ["summary.json", "runs.csv"]
    env = environment()
    env.filters["fmt"] = _fmt
    env.filters["pct"] = _fmt_p
    html = env.get_template("batch_report.html.j2").render(
        lang=lang, version=yingji_version(), s=summary, figures=figures, drivers_first=drivers, first_plan=first,
        store_name=Path(store).name, target_h=target_h,
        inputs_json=lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True, default=_json_default),
    )
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=out)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(embed_cjk_font(html))
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for sharing
        os.replace(tmp, out / "report.html")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    written.insert(0, "report.html")
    return {"out": str(out), "files": written, "summary": json_safe(summary, infinity_as_text=True)}
