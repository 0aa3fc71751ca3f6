"""Files of a scenario run: kpis.json, groups.csv, events.csv, plan.geojson, hazard.geojson, run.gpkg.

Everything is written into a scratch folder beside the target and moved into it at the end, so
an error never leaves a half-written output folder. The HTML report and figures
(``scenarios.reports.html``) are written into the same scratch folder before the move.
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from network.cells import DEFAULT_CSV_ENCODING, csv_dict_writer, csv_writer, open_csv
from network.gpkg import save_feature_layers
from network.jsonsafe import json_safe
from scenarios.core.naming import slug
from scenarios.core.layers import group_places, hazard_features, plan_features
from scenarios.core.runner import ScenarioRun

from .html import write_compare_report, write_run_report
from .shortfall_view import relief_definition
from .staging import staged_dir
from .tables import compare_table, run_labels

#: the data files of one run (the report adds report.html and the figures)
RUN_FILES = ("kpis.json", "groups.csv", "events.csv", "plan.geojson", "hazard.geojson", "run.gpkg")


# ---------------------------------------------------------------------------------- one run
def run_summary(run: ScenarioRun) -> dict[str, Any]:
    """What kpis.json holds: the scenario, the plan, each indicator (value, target, pass), all KPIs."""
    sc = run.scenario
    return json_safe({
        "scenario": run.name, "title_zh": run.title_zh, "title_en": run.title_en, "source": sc.source,
        "plan": run.plan_label, "seed": sc.simulation.seed, "duration_h": sc.simulation.duration_h,
        "seconds": round(run.seconds, 3), "targets": sc.targets.model_dump(),
        "indicators": run.kpis, "passed": all(r["pass"] is not False for r in run.kpis),
        "verdict": run.result.kpis.get("verdict"), "shortfall": run.result.kpis.get("shortfall"),
        "relief_definition": relief_definition(run.result.kpis),
        "plan_cost": run.plan_cost,
        "kpis": run.result.to_dict()["kpis"], "notes": list(run.notes),
    })


def write_groups_csv(run: ScenarioRun, path: Path, *, encoding: str = DEFAULT_CSV_ENCODING) -> Path:
    """One row per affected or threatened group, with its place and township.

    Every time in seconds (``threat_s``, ``relief_done_s`` ...) has its hours beside it
    (``threat_h`` ...); a time that never came (inf) or does not apply (NaN) is an empty cell;
    structured fields (``state_times``, ``party_records``) are JSON text, as pandas'
    ``json.loads`` and Excel's Power Query read them.
    """
    rows = [{**_group_cells(g), **place} for g, place in group_places(run)]
    keys = list(rows[0]) if rows else ["group", "node", "people", "lon", "lat", "township_zh", "township_en"]
    with open_csv(path, encoding) as f:
        w = csv_dict_writer(f, keys, extrasaction="ignore")  # township names come from district files
        w.writeheader()
        w.writerows(rows)
    return path


def _group_cells(group: dict[str, Any]) -> dict[str, Any]:
    """A group record as groups.csv cells: lists and dicts as JSON, each ``*_s`` time followed
    by its ``*_h``, non-finite numbers empty (a spreadsheet reads "inf" as text)."""
    out: dict[str, Any] = {}
    for k, v in group.items():
        if isinstance(v, (dict, list, tuple)):
            out[k] = json.dumps(json_safe(v), ensure_ascii=False)
            continue
        number = isinstance(v, (float, np.floating))
        out[k] = "" if number and not math.isfinite(v) else v
        if k.endswith("_s") and (number or isinstance(v, (int, np.integer))) and not isinstance(v, bool):
            out[k[:-2] + "_h"] = round(float(v) / 3600.0, 4) if math.isfinite(v) else ""
    return out


def write_plan_geojson(run: ScenarioRun, path: Path) -> Path:
    """The plan's facilities (points) and shelter → warehouse supply assignments (lines)."""
    path.write_text(json.dumps(plan_features(run), ensure_ascii=False), encoding="utf-8")
    return path


def write_hazard_geojson(run: ScenarioRun, path: Path) -> Path:
    """Every hazard's footprint in one FeatureCollection (flood depth bands, burned area, AEGL zones)."""
    path.write_text(json.dumps(hazard_features(run), ensure_ascii=False), encoding="utf-8")
    return path


def write_run_files(folder: Path, run: ScenarioRun, *, encoding: str = DEFAULT_CSV_ENCODING) -> dict[str, Path]:
    """The data files of one run into ``folder`` (no staging: callers stage); the CSVs in
    ``encoding`` (:data:`network.cells.CSV_ENCODINGS`)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {"kpis.json": folder / "kpis.json"}
    out["kpis.json"].write_text(json.dumps(run_summary(run), ensure_ascii=False, indent=2), encoding="utf-8")
    out["groups.csv"] = write_groups_csv(run, folder / "groups.csv", encoding=encoding)
    out["events.csv"] = run.result.events_to_csv(folder / "events.csv", run.network, encoding=encoding)
    out["plan.geojson"] = write_plan_geojson(run, folder / "plan.geojson")
    out["hazard.geojson"] = write_hazard_geojson(run, folder / "hazard.geojson")
    gpkg = write_run_gpkg(run, folder / "run.gpkg", out["plan.geojson"], out["hazard.geojson"])
    if gpkg is not None:
        out["run.gpkg"] = gpkg
    return out


def write_run_outputs(out_dir: Path, run: Any, *, lang: str = "zh", report: bool = True,
                      csv_encoding: str = DEFAULT_CSV_ENCODING) -> list[str]:
    """Data files, and with ``report`` the figures and report.html, into ``out_dir``; returns file names."""
    with staged_dir(out_dir) as scratch:
        write_run_files(scratch, run, encoding=csv_encoding)
        if report:
            write_run_report(scratch, run, lang=lang)
        names = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file())
    return names


def compare_rows(runs: Sequence[Any]) -> list[dict[str, Any]]:
    """Indicators side by side (:func:`scenarios.reports.tables.compare_table`), JSON-safe."""
    return json_safe(compare_table(list(runs)))


def write_compare_outputs(out_dir: Path, runs: Sequence[Any], *, lang: str = "zh", report: bool = True,
                          csv_encoding: str = DEFAULT_CSV_ENCODING) -> list[str]:
    """compare.json and compare.csv, each run's data files under ``runs/``, and the compare report
    (every CSV in ``csv_encoding``)."""
    runs = list(runs)
    labels = run_labels(runs)
    rows = compare_rows(runs)
    with staged_dir(out_dir) as scratch:
        (scratch / "compare.json").write_text(json.dumps({
            "runs": [{"label": lab, **{k: v for k, v in run_summary(r).items() if k != "kpis"}}
                     for lab, r in zip(labels, runs)],
            "indicators": rows}, ensure_ascii=False, indent=2), encoding="utf-8")
        with open_csv(scratch / "compare.csv", csv_encoding) as f:
            w = csv_writer(f)  # run labels carry plan and scenario names
            w.writerow(["indicator", "zh", "en", "unit", "target", *[f"value: {lab}" for lab in labels],
                        *[f"diff: {lab}" for lab in labels[1:]], *[f"pass: {lab}" for lab in labels]])
            for row in rows:
                w.writerow([row["indicator"], row["zh"], row["en"], row["unit"], row["target"],
                            *[row["values"][lab] for lab in labels], *[row["diff"][lab] for lab in labels[1:]],
                            *[row["pass"][lab] for lab in labels]])
        for i, r in enumerate(runs, start=1):
            write_run_files(scratch / "runs" / f"{i:02d}-{slug(r.name)}-{slug(r.plan_label)}", r, encoding=csv_encoding)
        if report:
            write_compare_report(scratch, runs, lang=lang)
        names = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file())
    return names


def write_run_gpkg(run: ScenarioRun, path: Path, plan_geojson: Path, hazard_geojson: Path) -> Path | None:
    """The run's map layers in one GeoPackage (WGS 84): the plan's facilities, one layer per kind
    (team bases, warehouses, shelters, supply assignments), each hazard's footprint, and the
    groups of people with their relief (None, and no file, when the run has none of these)."""
    layers: dict[str, list[dict]] = {}
    for f in json.loads(plan_geojson.read_text(encoding="utf-8"))["features"]:
        layers.setdefault(_plural(str(f["properties"].get("facility", "facility"))), []).append(f)
    for f in json.loads(hazard_geojson.read_text(encoding="utf-8"))["features"]:
        layers.setdefault(f"hazard_{f['properties'].get('hazard', 'other')}", []).append(f)
    groups = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [place["lon"], place["lat"]]},
               "properties": {**g, "township_zh": place["township_zh"], "township_en": place["township_en"]}}
              for g, place in group_places(run)]
    if groups:
        layers["groups"] = groups
    return save_feature_layers(layers, path) if layers else None


def _plural(kind: str) -> str:
    return kind if kind.endswith("s") else f"{kind}s"
