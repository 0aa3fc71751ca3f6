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


def river_bed(spec: DistrictSpec, river: PolylineIndex, s: np.ndarray) -> np.ndarray:
    """River-bed elevation at chainage ``s`` (rising upstream at the bed slope)."""
    g = xy_of([spec.river.gauge.location], spec.district.crs)[0]
    _, s_gauge = river.query(np.array([g[0]]), np.array([g[1]]))
    return spec.river.bed_elevation_at_gauge_m + spec.river.bed_slope_m_per_km * (s_gauge[0] - s) / 1000.0


def make_terrain(spec: DistrictSpec, rng: np.random.Generator) -> Terrain:
    """Generate the DEM, land cover and canopy density for a district spec."""
    crs = spec.district.crs
    x0, y0, nrows, ncols, cs = grid_for(spec)
    xc = x0 + (np.arange(ncols) + 0.5) * cs
    yc = y0 + (np.arange(nrows) + 0.5) * cs
    X, Y = np.meshgrid(xc, yc)

    river = PolylineIndex(xy_of(spec.river.course, crs))
    d, s = river.query(X, Y)
    bed = river_bed(spec, river, s)
    floodplain = bed + spec.river.floodplain_above_bed_m

    # Hills: stronger inside the forest areas, a regional rise to the north-east.
    hill_mask = np.zeros_like(X)
    for area in spec.forests:
        hill_mask = np.maximum(hill_mask, points_in_polygon(X, Y, xy_of(area.polygon, crs)).astype(float))
    hill_mask = ndimage.gaussian_filter(hill_mask, 1500.0 / cs)
    ne = ((X - X.min()) / np.ptp(X) + (Y - Y.min()) / np.ptp(Y)) / 2.0
    relief = _noise(rng, X.shape, (2500.0 / cs, 1000.0 / cs, 400.0 / cs, 150.0 / cs))
    hills = (40.0 + 60.0 * ne) * relief + 380.0 * hill_mask * relief**1.3 + 60.0 * ne

    # The valley: gentle rise away from the river, hills fading in beyond ~1 km.
    rise = 3.2 * d / 1000.0
    fade = np.clip((d - 700.0) / 3500.0, 0.0, 1.0) ** 1.5
    z = floodplain + rise + hills * fade

    # Built-up areas sit on terraces: damp the relief under each town.
    for t in spec.townships:
        c = xy_of([t.centre], crs)[0]
        r = np.hypot(X - c[0], Y - c[1])
        w = np.clip(1.0 - r / (t.urban_radius_m * 1.4), 0.0, 1.0)
        z = z * (1 - 0.7 * w) + (floodplain + rise + 0.15 * hills * fade) * 0.7 * w

    # Channel and banks.
    half = spec.river.channel_width_m / 2.0
    bank = np.clip((d - half) / 80.0, 0.0, 1.0)
    z = np.where(d <= half, bed, bed + (z - bed) * bank)

    # Land cover.
    lc = np.full(X.shape, int(LandCover.FARMLAND), np.int8)
    lc_noise = _noise(rng, X.shape, (300.0 / cs, 80.0 / cs))
    above_valley = z - floodplain - rise
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
    lc[d <= half] = LandCover.WATER

    canopy = np.where(np.isin(lc, [int(c) for c in FOREST_CLASSES]), 0.45 + 0.55 * lc_noise, 0.0)
    canopy = np.where(lc == LandCover.SHRUB, 0.3 + 0.4 * lc_noise, canopy)
    return Terrain(
        dem=Raster(z.astype(np.float64), x0, y0, cs, crs),
        landcover=Raster(lc, x0, y0, cs, crs),
        canopy=Raster(canopy.astype(np.float64), x0, y0, cs, crs),
    )
