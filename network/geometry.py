"""Small planar geometry helpers used by the district generator and the maps."""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def densify(xy: np.ndarray, step: float) -> np.ndarray:
    """Points along a polyline at most ``step`` apart, keeping every vertex."""
    xy = np.asarray(xy, float)
    out = [xy[:1]]
    for a, b in zip(xy[:-1], xy[1:]):
        n = max(1, int(np.ceil(np.hypot(*(b - a)) / step)))
        t = np.arange(1, n + 1)[:, None] / n
        out.append(a + t * (b - a))
    return np.vstack(out)


def chainage(xy: np.ndarray) -> np.ndarray:
    """Cumulative distance along a polyline at each of its points."""
    seg = np.hypot(*np.diff(np.asarray(xy, float), axis=0).T)
    return np.concatenate([[0.0], np.cumsum(seg)])


class PolylineIndex:
    """Distance and chainage of arbitrary points to a polyline, via a dense KD-tree."""

    def __init__(self, xy: np.ndarray, step: float = 20.0):
        self.points = densify(xy, step)
        self.chainage = chainage(self.points)
        self._tree = cKDTree(self.points)

    def query(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """(distance, chainage of the nearest polyline point) for each query point."""
        pts = np.column_stack([np.ravel(x), np.ravel(y)])
        d, i = self._tree.query(pts)
        shape = np.shape(x)
        return d.reshape(shape), self.chainage[i].reshape(shape)


def points_in_polygon(x, y, polygon: np.ndarray) -> np.ndarray:
    """Boolean mask of points inside a polygon (even-odd rule), any array shape."""
    from matplotlib.path import Path  # deferred: matplotlib costs ~0.1 s; only district generation needs it

    pts = np.column_stack([np.ravel(x), np.ravel(y)])
    return Path(np.asarray(polygon, float)).contains_points(pts).reshape(np.shape(x))


def poisson_disc(candidates: np.ndarray, radius: float) -> np.ndarray:
    """Greedy dart throwing: keep candidates (in order) at least ``radius`` from those kept."""
    cell = radius / np.sqrt(2.0)
    grid: dict[tuple[int, int], int] = {}
    kept: list[int] = []
    r2 = radius * radius
    for i, (px, py) in enumerate(candidates):
        gx, gy = int(px // cell), int(py // cell)
        ok = True
        for dx in (-2, -1, 0, 1, 2):
            for dy in (-2, -1, 0, 1, 2):
                j = grid.get((gx + dx, gy + dy))
                if j is not None:
                    qx, qy = candidates[j]
                    if (qx - px) ** 2 + (qy - py) ** 2 < r2:
                        ok = False
                        break
            if not ok:
                break
        if ok:
            grid[(gx, gy)] = i
            kept.append(i)
    return np.array(kept, dtype=np.int64)
