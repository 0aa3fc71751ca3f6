"""Files of a scenario run: kpis.json, groups.csv, events.csv, plan.geojson, hazard.geojson.

Everything is written into a scratch folder beside the target and moved into it at the end, so
an error never leaves a half-written output folder. The HTML report and figures
(``scenarios.report``) are written into the same scratch folder before the move.
"""
from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .staging import staged_dir

#: the data files of one run (the report adds report.html and the figures)
RUN_FILES = ("kpis.json", "groups.csv", "events.csv", "plan.geojson", "hazard.geojson")
HAZARD_NAMES = {"flood": ("洪水", "flood"), "fire": ("森林火灾", "forest fire"), "chemical": ("危化品泄漏", "chemical release"),
                "road_damage": ("道路损毁", "road damage")}


def json_safe(x: Any) -> Any:
    """numpy scalars to Python, inf/NaN to None (JSON has neither)."""
    if isinstance(x, dict):
        return {str(k): json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def slug(text: str) -> str:
    """A file-name-safe form of untrusted text (scenario names)."""
    s = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")
    return s[:60] or "run"


# ---------------------------------------------------------------------------------- one run
def run_summary(run: Any) -> dict[str, Any]:
    """What kpis.json holds: the scenario, the plan, each indicator (value, target, pass), all KPIs."""
    sc = run.scenario
    return json_safe({
        "scenario": run.name, "title_zh": run.title_zh, "title_en": run.title_en, "source": sc.source,
        "plan": run.plan_label, "seed": sc.simulation.seed, "duration_h": sc.simulation.duration_h,
        "seconds": round(run.seconds, 3), "targets": sc.targets.model_dump(),
        "indicators": run.kpis, "passed": all(r["pass"] is not False for r in run.kpis),
        "kpis": run.result.to_dict()["kpis"], "notes": list(run.notes),
    })


def write_groups_csv(run: Any, path: Path) -> Path:
    """One row per affected or threatened group, with its place and township."""
    net = run.network
    names = getattr(net, "zone_names", ()) or ()
    rows = []
    for g in run.result.groups:
        node = int(g["node"])
        zone = int(net.zone[node]) if net.zone is not None else -1
        zh, en = names[zone] if 0 <= zone < len(names) else ("", "")
        rows.append({**g, "lon": round(float(net.lon[node]), 6), "lat": round(float(net.lat[node]), 6),
                     "township_zh": zh, "township_en": en})
    keys = list(rows[0]) if rows else ["group", "node", "people", "lon", "lat", "township_zh", "township_en"]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def write_plan_geojson(run: Any, path: Path) -> Path:
    """The plan's facilities (points) and shelter → warehouse supply assignments (lines)."""
    plan = run.plan
    plan.to_geojson(path)
    fc = json.loads(path.read_text(encoding="utf-8"))
    where = {s.id: (s.lon, s.lat) for s in (*plan.shelters, *plan.warehouses)}
    for sid, wid in plan.shelter_warehouse.items():
        if sid in where and wid in where:
            fc["features"].append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [
                list(where[wid]), list(where[sid])]}, "properties": {"facility": "supply_assignment",
                                                                    "warehouse": wid, "shelter": sid}})
    fc["name"] = f"{run.name} [{run.plan_label}]"
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    return path


def hazard_kind(hazard: Any) -> str:
    """flood, fire or chemical for a sim.hazards object."""
    name = type(hazard).__name__
    return {"RiverFlood": "flood", "ForestFire": "fire", "ChemicalRelease": "chemical",
            "RoadDamage": "road_damage"}.get(name, name.lower())


def _footprint(kind: str, hazard: Any, run: Any, path: Path) -> dict:
    from sim.hazards.flood import footprint_geojson

    from .hazard_outputs import evaluate, footprint

    end_s = run.scenario.simulation.duration_h * 3600.0
    if kind == "flood":
        # deepest water over the run, sampled hourly (and at the end)
        times = np.unique(np.append(np.arange(0.0, end_s, 3600.0), end_s))
        depth = None
        for t in times:
            v = hazard.depth(float(t)).values
            depth = v if depth is None else np.fmax(depth, v)
        return footprint_geojson(hazard.depth(0.0).like(depth), None, name="maximum flood depth")
    if kind == "fire":
        footprint("fire", hazard, run.district, evaluate("fire", hazard, np.array([end_s])), path)
    elif kind == "chemical":
        hazard.write_geojson(path)
    elif kind == "road_damage":
        net = hazard.net
        tails = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
        return {"features": [
            {"type": "Feature", "properties": {"edge": int(e), "closed_from_h": hazard.start_s / 3600.0},
             "geometry": {"type": "LineString", "coordinates": [
                 [round(float(net.lon[u]), 6), round(float(net.lat[u]), 6)] for u in (tails[e], net.indices[e])]}}
            for e in hazard.closed_edges]}
    else:
        return {"features": []}
    return json.loads(path.read_text(encoding="utf-8"))


def write_hazard_geojson(run: Any, path: Path) -> Path:
    """Every hazard's footprint in one FeatureCollection (flood depth bands, burned area, AEGL zones)."""
    import warnings

    from sim.hazards.chemical import ChemicalModelWarning

    features = []
    for i, h in enumerate(run.hazards):
        kind = hazard_kind(h)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ChemicalModelWarning)  # already in the run's notes
            fc = _footprint(kind, h, run, path.with_name(f".hazard{i}.geojson"))
        path.with_name(f".hazard{i}.geojson").unlink(missing_ok=True)
        zh, en = HAZARD_NAMES.get(kind, (kind, kind))
        for feat in fc.get("features", []):
            feat.setdefault("properties", {}).update({"hazard": kind, "hazard_zh": zh, "hazard_en": en,
                                                      "hazard_name": getattr(h, "name", en)})
            features.append(feat)
    path.write_text(json.dumps({"type": "FeatureCollection", "name": run.name, "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def write_run_files(folder: Path, run: Any) -> dict[str, Path]:
    """The data files of one run into ``folder`` (no staging: callers stage)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {"kpis.json": folder / "kpis.json"}
    out["kpis.json"].write_text(json.dumps(run_summary(run), ensure_ascii=False, indent=2), encoding="utf-8")
    out["groups.csv"] = write_groups_csv(run, folder / "groups.csv")
    out["events.csv"] = run.result.events_to_csv(folder / "events.csv")
    out["plan.geojson"] = write_plan_geojson(run, folder / "plan.geojson")
    out["hazard.geojson"] = write_hazard_geojson(run, folder / "hazard.geojson")
    return out


def _report_writer(name: str) -> Callable | None:
    """scenarios.report's writer when that module is installed (figures and HTML)."""
    try:
        from . import report
    except ImportError:
        return None
    return getattr(report, name, None)


def write_run_outputs(out_dir: Path, run: Any, *, lang: str = "zh", report: bool = True) -> list[str]:
    """Data files, and with ``report`` the figures and report.html, into ``out_dir``; returns file names."""
    with staged_dir(out_dir) as scratch:
        write_run_files(scratch, run)
        writer = _report_writer("write_run_report") if report else None
        if writer is not None:
            writer(scratch, run, lang=lang)
        names = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file())
    return names


def compare_rows(runs: Sequence[Any]) -> list[dict[str, Any]]:
    """Indicators side by side (scenarios.report.compare_table), JSON-safe."""
    from .report import compare_table

    return json_safe(compare_table(list(runs)))


def write_compare_outputs(out_dir: Path, runs: Sequence[Any], *, lang: str = "zh", report: bool = True) -> list[str]:
    """compare.json and compare.csv, each run's data files under ``runs/``, and the compare report."""
    from .report import run_labels

    runs = list(runs)
    labels = run_labels(runs)
    rows = compare_rows(runs)
    with staged_dir(out_dir) as scratch:
        (scratch / "compare.json").write_text(json.dumps({
            "runs": [{"label": lab, **{k: v for k, v in run_summary(r).items() if k != "kpis"}}
                     for lab, r in zip(labels, runs)],
            "indicators": rows}, ensure_ascii=False, indent=2), encoding="utf-8")
        with (scratch / "compare.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["indicator", "zh", "en", "unit", "target", *[f"value: {lab}" for lab in labels],
                        *[f"diff: {lab}" for lab in labels[1:]], *[f"pass: {lab}" for lab in labels]])
            for row in rows:
                w.writerow([row["indicator"], row["zh"], row["en"], row["unit"], row["target"],
                            *[row["values"][lab] for lab in labels], *[row["diff"][lab] for lab in labels[1:]],
                            *[row["pass"][lab] for lab in labels]])
        for i, r in enumerate(runs, start=1):
            write_run_files(scratch / "runs" / f"{i:02d}-{slug(r.name)}-{slug(r.plan_label)}", r)
        writer = _report_writer("write_compare_report") if report else None
        if writer is not None:
            writer(scratch, runs, lang=lang)
        names = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file())
    return names
