"""Synthetic terrain for the built-in district: a DEM with a river valley and hills, and land cover.

Deterministic from the district spec and its seed. The shapes follow the district's
description (a basin, higher to the north-east, hills and forests to the north and west, the
Chang River valley with its floodplain); the numbers are illustrative.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from scipy import ndimage

from .district_spec import DistrictSpec
from .geometry import PolylineIndex, points_in_polygon
from .projection import to_projected
from .raster import Raster


class LandCover(IntEnum):
    """Land-cover classes of the generated district (hazard models map them to fuels)."""

    BARE = 0
    WATER = 1
    URBAN = 2
    FARMLAND = 3
    SHRUB = 4
    FOREST_BROADLEAF = 5
    FOREST_CONIFER = 6
    INDUSTRIAL = 7

    @property
    def name_zh(self) -> str:
        """The Chinese name of the land-cover class."""
        return {0: "裸地", 1: "水域", 2: "建成区", 3: "农田", 4: "灌丛", 5: "阔叶林", 6: "针叶林（马尾松）", 7: "工业园区"}[int(self)]


FOREST_CLASSES = (LandCover.FOREST_BROADLEAF, LandCover.FOREST_CONIFER)


@dataclass(frozen=True)
class Terrain:
    """The rasters of a generated district, all on one grid."""

    dem: Raster
    landcover: Raster
    canopy: Raster  # canopy density 0..1 (vegetation density for the fire model)


def xy_of(points, crs: str) -> np.ndarray:
    """[lon, lat] pairs -> (n, 2) projected array."""
    arr = np.asarray(points, float).reshape(-1, 2)
    x, y = to_projected(arr[:, 0], arr[:, 1], crs)
    return np.column_stack([x, y])


def grid_for(spec: DistrictSpec) -> tuple[float, float, int, int, float]:
    """Lower-left corner, rows, cols and cell size of the district raster."""
    crs = spec.district.crs
    lo0, la0, lo1, la1 = spec.district.bbox
    corners = xy_of([[lo0, la0], [lo1, la0], [lo0, la1], [lo1, la1]], crs)
    cs = spec.generator.dem_cell_m
    margin = 1000.0  # roads drawn to the bbox edge still lie on the DEM
    x0 = np.floor((corners[:, 0].min() - margin) / cs) * cs
    y0 = np.floor((corners[:, 1].min() - margin) / cs) * cs
    ncols = int(np.ceil((corners[:, 0].max() + margin - x0) / cs))
    nrows = int(np.ceil((corners[:, 1].max() + margin - y0) / cs))
    return x0, y0, nrows, ncols, cs


#: metres from the channel's edge to the bank top
_BANK_M = 40.0
#: how fast the ground rises beyond the valley terrace (m per km), before the hills
_RISE_BEYOND_TERRACE = 2.5
#: over how many metres a built-up terrace rises from the floodplain
_URBAN_RAMP_M = 250.0


def _noise(rng: np.random.Generator, shape: tuple[int, int], scales_cells: tuple[float, ...]) -> np.ndarray:
    """Smooth fractal noise in [0, 1]: octaves of Gaussian-filtered white noise."""
    total = np.zeros(shape)
    weight = 1.0
    for s in scales_cells:
        layer = ndimage.gaussian_filter(rng.standard_normal(shape), s, mode="reflect")
        layer /= layer.std() or 1.0
        total += weight * layer
        weight *= 0.5
    total -= total.min()
    return total / (total.max() or 1.0)


def surface_offset(spec: DistrictSpec, river: PolylineIndex, s: np.ndarray) -> np.ndarray:
    """Metres to add to a gauge-equivalent level at river chainage ``s`` (the surface falls downstream)."""
    g = xy_of([spec.river.gauge.location], spec.district.crs)[0]
    _, s_gauge = river.query(np.array([g[0]]), np.array([g[1]]))
    return spec.river.surface_slope_m_per_km * (s_gauge[0] - s) / 1000.0


def _valley_ground(spec: DistrictSpec, d: np.ndarray) -> np.ndarray:
    """Gauge-equivalent ground by distance from the river's centreline: channel bed, banks,
    active floodplain, valley floor rising to the terrace, then a gentle rise beyond."""
    v, half = spec.valley, spec.river.channel_width_m / 2.0
    bank_end = half + _BANK_M
    fp_end = bank_end + v.floodplain_width_m
    e = np.interp(d, [half, bank_end, fp_end, v.terrace_distance_m],
                  [spec.river.bed_elevation_at_gauge_m, v.bank_top_m, v.floodplain_edge_m, v.terrace_m])
    beyond = d > v.terrace_distance_m
    e[beyond] = v.terrace_m + _RISE_BEYOND_TERRACE * (d[beyond] - v.terrace_distance_m) / 1000.0
    e[d <= half] = spec.river.bed_elevation_at_gauge_m
    return e


def _urban_weight(spec: DistrictSpec, X: np.ndarray, Y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """0..1 per cell: how far it lies on a built-up terrace (none on the banks and the active floodplain)."""
    crs = spec.district.crs
    w = np.zeros_like(X)
    for t in spec.townships:
        c = xy_of([t.centre], crs)[0]
        r = np.hypot(X - c[0], Y - c[1])
        w = np.maximum(w, np.clip((t.urban_radius_m * 1.15 - r) / (0.3 * t.urban_radius_m), 0.0, 1.0))
    beyond_floodplain = spec.river.channel_width_m / 2.0 + _BANK_M + spec.valley.floodplain_width_m
    return w * np.clip((d - beyond_floodplain) / _URBAN_RAMP_M, 0.0, 1.0)


def _low_areas(spec: DistrictSpec, X: np.ndarray, Y: np.ndarray, e: np.ndarray, noise: np.ndarray,
               cs: float) -> np.ndarray:
    """Each low area's ground (between its lowest and highest level) inside its polygon, eased
    into the surrounding ground over about 100 m."""
    for area in spec.low_areas:
        inside = points_in_polygon(X, Y, xy_of(area.polygon, spec.district.crs)).astype(float)
        w = np.clip(ndimage.gaussian_filter(inside, 60.0 / cs) * 2.0, 0.0, 1.0) * inside
        lo, hi = area.ground_m
        e = e * (1.0 - w) + (lo + (hi - lo) * noise) * w
    return e


def make_terrain(spec: DistrictSpec, rng: np.random.Generator) -> Terrain:
    """Generate the ground (no dikes: the flood models raise them on it), land cover and canopy.

    Ground is built gauge-equivalent (docs/references/changjiang.md §8): the valley profile
    across the river, built-up terraces and the listed low areas; then the river's surface slope
    is added along the reach, and hills rise beyond the valley floor.
    """
    crs = spec.district.crs
    x0, y0, nrows, ncols, cs = grid_for(spec)
    xc = x0 + (np.arange(ncols) + 0.5) * cs
    yc = y0 + (np.arange(nrows) + 0.5) * cs
    X, Y = np.meshgrid(xc, yc)

    river = PolylineIndex(xy_of(spec.river.course, crs))
    d, s = river.query(X, Y)
    offset = surface_offset(spec, river, s)
    half = spec.river.channel_width_m / 2.0

    # Hills: stronger inside the forest areas, a regional rise to the north-east; they fade in
    # beyond the valley terrace so the valley floor keeps its levels.
    hill_mask = np.zeros_like(X)
    for area in spec.forests:
        hill_mask = np.maximum(hill_mask, points_in_polygon(X, Y, xy_of(area.polygon, crs)).astype(float))
    hill_mask = ndimage.gaussian_filter(hill_mask, 1500.0 / cs)
    ne = ((X - X.min()) / np.ptp(X) + (Y - Y.min()) / np.ptp(Y)) / 2.0
    relief = _noise(rng, X.shape, (2500.0 / cs, 1000.0 / cs, 400.0 / cs, 150.0 / cs))
    hills = (40.0 + 60.0 * ne) * relief + 380.0 * hill_mask * relief**1.3 + 60.0 * ne
    fade = np.clip((d - spec.valley.terrace_distance_m) / 3500.0, 0.0, 1.0) ** 1.5

    # Ground, gauge-equivalent: the valley, built-up terraces, low areas, dike tie-backs.
    e = _valley_ground(spec, d) + hills * fade
    town_noise = _noise(rng, X.shape, (200.0 / cs, 60.0 / cs))
    urban = _urban_weight(spec, X, Y, d)
    e = np.where(urban > 0, np.maximum(e, e * (1 - urban) + (spec.valley.urban_ground_m + 2.5 * town_noise) * urban), e)
    e = _low_areas(spec, X, Y, e, _noise(rng, X.shape, (150.0 / cs, 50.0 / cs)), cs)
    z = e + offset
    z[d <= half] = spec.river.bed_elevation_at_gauge_m + offset[d <= half]

    # Land cover.
    lc = np.full(X.shape, int(LandCover.FARMLAND), np.int8)
    lc_noise = _noise(rng, X.shape, (300.0 / cs, 80.0 / cs))
    above_valley = e - np.interp(d, [half, spec.valley.terrace_distance_m], [spec.valley.bank_top_m, spec.valley.terrace_m])
    in_forest_area = hill_mask > 0.35
    forest = in_forest_area & ((above_valley > 18.0) | (lc_noise > 0.55))
    shrub = (~forest) & (hill_mask > 0.15) & (above_valley > 8.0)
    conifer = forest & (lc_noise < 0.62)
    lc[shrub] = LandCover.SHRUB
    lc[forest] = LandCover.FOREST_BROADLEAF
    lc[conifer] = LandCover.FOREST_CONIFER
    for t in spec.townships:
        c = xy_of([t.centre], crs)[0]
        r = np.hypot(X - c[0], Y - c[1])
        lc[r < t.urban_radius_m * (0.85 + 0.3 * lc_noise)] = LandCover.URBAN
    if spec.industrial_park is not None:
        lc[points_in_polygon(X, Y, xy_of(spec.industrial_park.polygon, crs))] = LandCover.INDUSTRIAL
    lc[d <= half + _BANK_M] = LandCover.WATER   # the channel up to the bank tops (bankfull)

    canopy = np.where(np.isin(lc, [int(c) for c in FOREST_CLASSES]), 0.45 + 0.55 * lc_noise, 0.0)
    canopy = np.where(lc == LandCover.SHRUB, 0.3 + 0.4 * lc_noise, canopy)
    return Terrain(
        dem=Raster(z.astype(np.float64), x0, y0, cs, crs),
        landcover=Raster(lc, x0, y0, cs, crs),
        canopy=Raster(canopy.astype(np.float64), x0, y0, cs, crs),
    )
