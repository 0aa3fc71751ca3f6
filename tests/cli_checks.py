"""What the CLI tests share: the one-line-error check, a short scenario, a file-network scenario."""
from __future__ import annotations

from pathlib import Path

from scenarios.cli.main import main

#: a ten-minute chlorine release over one simulated hour: the cheapest full run on the built-in district
SHORT_CHEMICAL = """name = "hostile"
title_zh = "测试"
title_en = "test"

[hazards.chemical]
site = "chlor-alkali-plant"
rate_kg_s = 1.0
duration_min = 10.0

[simulation]
duration_h = 1.0
"""


def one_line_exit_2(capsys, args: list[str], *needles: str) -> str:
    """Run the CLI on ``args``: exit status 2, one line on stderr holding every needle, no traceback."""
    code = main(args)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "internal error" not in err, err
    for n in needles:
        assert n in err, err
    return err


def write_file_network(folder: Path, osm: Path, *, plan_name: str, duration_h: float, osm_name: str = "") -> Path:
    """A file-network scenario in ``folder``: the OSM extract ``osm`` (copied as ``osm_name``, default its own name),
    a DEM over it (ESRI ASCII, rising 0.5 m a 50 m cell eastward from 10 m), an ammonia release
    at the network's centre and a plan file with a hazmat team and a shelter; returns the scenario."""
    import json
    import shutil

    import numpy as np

    from network.load import load_network
    from network.raster import Raster, write_asc

    folder.mkdir(parents=True, exist_ok=True)
    name = osm_name or osm.name
    shutil.copyfile(osm, folder / name)
    net = load_network(folder / name)
    x0, y0 = float(net.x.min()) - 100, float(net.y.min()) - 100
    cols, rows = int((net.x.max() - x0) // 50) + 4, int((net.y.max() - y0) // 50) + 4
    write_asc(Raster(10.0 + 0.5 * np.arange(cols)[None, :].repeat(rows, 0), x0, y0, 50.0, net.crs), folder / "dem.asc")
    plan = {"name": plan_name, "team_bases": [{"id": "fs", "name_zh": "消防站", "name_en": "fire station", "node": 0,
                                               "lon": float(net.lon[0]), "lat": float(net.lat[0]),
                                               "teams": [{"type": "hazmat", "people": 6}]}],
            "shelters": [{"id": "sh", "name_zh": "学校", "name_en": "school", "node": 5, "lon": float(net.lon[5]),
                          "lat": float(net.lat[5]), "capacity": 500}]}
    (folder / "plan.json").write_text(json.dumps(plan, ensure_ascii=False, indent=2), encoding="utf-8")
    scenario = folder / "s.toml"
    scenario.write_text(f"""title_zh = "氨泄漏"
title_en = "ammonia release"

[network]
source = "{name}"
dem = "dem.asc"

[hazards.chemical]
location = [{float(net.lon.mean())}, {float(net.lat.mean())}]
substance = "ammonia"
mass_kg = 200
wind_speed_m_s = 3

[plan]
kind = "file"
file = "plan.json"

[simulation]
duration_h = {duration_h:g}
""", encoding="utf-8")
    return scenario
