"""What the hardening tests share: the one-line-error check of the CLI, and a short scenario."""
from __future__ import annotations

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
