"""Map projection between lon/lat (WGS 84) and a local metric CRS (UTM, via pyproj)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import CRS, Transformer


def utm_crs_for(lon: float, lat: float) -> str:
    """The WGS 84 / UTM zone CRS (``"EPSG:326zz"`` or ``"EPSG:327zz"``) containing a point."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


@lru_cache(maxsize=16)
def _transformer(src: str, dst: str) -> Transformer:
    """A cached lon/lat-order transformer between two CRSs."""
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def to_projected(lon: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS 84 lon/lat (degrees) into ``crs`` (metres)."""
    x, y = _transformer("EPSG:4326", crs).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def to_lonlat(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`to_projected`."""
    lon, lat = _transformer(crs, "EPSG:4326").transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres (the same formula and radius as OSMnx's ``great_circle``)."""
    earth_radius_m = 6_371_009.0
    y1, y2 = np.deg2rad(lat1), np.deg2rad(lat2)
    dy = y2 - y1
    dx = np.deg2rad(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dy / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin(dx / 2) ** 2
    h = np.minimum(1.0, h)
    return 2.0 * earth_radius_m * np.arcsin(np.sqrt(h))
