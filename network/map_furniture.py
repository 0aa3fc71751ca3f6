"""What every map carries besides its data: a scale bar, a north arrow, and the grid reference
system named once in a corner instead of eastings and northings on both axes.

Maps are drawn in a projected CRS in kilometres (``km=True`` throughout the drawing code), with
north up: a UTM zone's grid north is within a degree or two of true north over a district, which
the arrow's note says.
"""
from __future__ import annotations

import math

from matplotlib.font_manager import FontProperties
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from .checks import language

_TEXT = {
    "zh": {"north": "北", "grid": "坐标系 {crs}（公里格网，上为北）"},
    "en": {"north": "N", "grid": "grid {crs} (km, north up)"},
}


def nice_length(span: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k) near a fifth of ``span`` (same units)."""
    if not span > 0 or not math.isfinite(span):
        return 1.0
    target = span / 5.0
    k = math.floor(math.log10(target))
    for m in (5.0, 2.0, 1.0):
        if m * 10**k <= target:
            return m * 10**k
    return 10**k


def _km_label(length_km: float) -> str:
    return f"{length_km:g} km" if length_km >= 1 else f"{length_km * 1000:g} m"


def finish_map(ax, crs: str, *, lang: str = "zh", corner: str = "lower left") -> None:
    """Equal aspect, no tick labels, a scale bar in ``corner``, a north arrow top right and the
    CRS named in small type under the map. Call after the data is drawn (the scale follows the
    axes' extent in km)."""
    t = _TEXT[language(lang)]
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    x0, x1 = ax.get_xlim()
    length = nice_length(abs(x1 - x0))
    bar = AnchoredSizeBar(ax.transData, length, _km_label(length), corner, pad=0.5, sep=4, borderpad=0.6,
                          frameon=True, size_vertical=abs(ax.get_ylim()[1] - ax.get_ylim()[0]) / 250,
                          fontproperties=FontProperties(size=8))
    bar.patch.set_alpha(0.8)
    bar.set_zorder(20)
    ax.add_artist(bar)
    ax.annotate(t["north"], xy=(0.965, 0.965), xytext=(0.965, 0.885), xycoords="axes fraction",
                ha="center", va="center", fontsize=11, fontweight="bold", zorder=20,
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.6},
                bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.text(1.0, -0.01, t["grid"].format(crs=crs), transform=ax.transAxes, ha="right", va="top", fontsize=7,
            color="#555555")
