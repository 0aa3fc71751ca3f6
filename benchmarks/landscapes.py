"""Synthetic fields shared by the hazard benchmarks."""
from __future__ import annotations

import numpy as np


def smooth_noise(rng: np.random.Generator, n: int, coarse: int) -> np.ndarray:
    """Random field with patches about n/coarse cells wide (bilinear upsampling of a coarse grid)."""
    g = rng.random((coarse + 1, coarse + 1))
    t = np.linspace(0, coarse, n, endpoint=False)
    i = t.astype(int)
    f = t - i
    rows = g[i] * (1 - f)[:, None] + g[i + 1] * f[:, None]
    return rows[:, i] * (1 - f)[None, :] + rows[:, i + 1] * f[None, :]
