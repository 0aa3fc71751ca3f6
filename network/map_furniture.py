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
                ha="center", va="center", fontsize=11, zorder=20,
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.6},
                bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.text(1.0, -0.01, t["grid"].format(crs=crs), transform=ax.transAxes, ha="right", va="top", fontsize=7,
            color="#555555")


#: offsets (points) a label may take from its point, tried in order: right-above first, as on
#: most topographic maps, then the other corners, then further out
_LABEL_OFFSETS = ((6, 6, "left", "bottom"), (6, -6, "left", "top"), (-6, 6, "right", "bottom"),
                  (-6, -6, "right", "top"), (0, 12, "center", "bottom"), (0, -12, "center", "top"),
                  (14, 18, "left", "bottom"), (-14, -18, "right", "top"), (14, -18, "left", "top"),
                  (-14, 18, "right", "bottom"))


def _renderer(fig):
    """A renderer that can measure text: the figure's own, or an Agg canvas attached for it."""
    canvas = fig.canvas
    if not hasattr(canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(fig)
    return canvas.get_renderer()


def declutter(ax, labels) -> int:
    """Move point labels (annotations with ``textcoords="offset points"``) so none overlaps an
    earlier one or any other text already on the axes (township names): each tries the offsets of
    :data:`_LABEL_OFFSETS` in turn and keeps the first free one. A label with no free place keeps
    the first offset and is faded, so what lies under it stays readable. Returns how many could
    not be placed."""
    renderer = _renderer(ax.figure)
    labels = list(labels)
    placed = [t.get_window_extent(renderer) for t in ax.texts if t not in labels and t.get_visible()]
    crowded = 0
    for tx in labels:
        for dx, dy, ha, va in _LABEL_OFFSETS:
            tx.xyann = (dx, dy)
            tx.set_ha(ha)
            tx.set_va(va)
            box = tx.get_window_extent(renderer).expanded(1.04, 1.08)
            if not any(box.overlaps(b) for b in placed):
                break
        else:
            dx, dy, ha, va = _LABEL_OFFSETS[0]
            tx.xyann = (dx, dy)
            tx.set_ha(ha)
            tx.set_va(va)
            tx.set_alpha(0.55)
            box = tx.get_window_extent(renderer)
            crowded += 1
        placed.append(box)
    return crowded
