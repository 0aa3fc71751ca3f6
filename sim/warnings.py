"""Public warnings: who is reached by which channel, and when.

A group is warned from the moment its node becomes THREATENED (the hazard's forecast lead),
after the issue delay. Each channel works at the group's node unless it fails there (power or
communications lost where the hazard already is, or a random outage); a working channel
reaches each not-yet-reached person with its reach probability after an exponential delay.
"""
from __future__ import annotations

import numpy as np

from .params import WarningChannel


def warn_group(people: int, threat_s: float, issue_delay_s: float, hazard_at_node: bool,
               channels: tuple[WarningChannel, ...], rng: np.random.Generator) -> list[tuple[float, int, str]]:
    """``[(time_s, people_reached, channel), ...]`` in time order; people reached once at most."""
    draws = []
    for ch in channels:
        t = threat_s + issue_delay_s + rng.exponential(ch.delay_min * 60.0) if ch.delay_min > 0 else threat_s + issue_delay_s
        failed = (ch.fails_in_hazard and hazard_at_node) or rng.random() < ch.failure_prob
        draws.append((t, ch, failed))
    draws.sort(key=lambda d: d[0])
    left = int(people)
    out = []
    for t, ch, failed in draws:
        if failed or left == 0:
            continue
        n = int(rng.binomial(left, ch.reach))
        if n:
            out.append((float(t), n, ch.name))
            left -= n
    return out
