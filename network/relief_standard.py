"""The basic-relief standard as data: what one person needs for one day, where, and the source.

The standard decides when a person counts as relieved: when their share of every item needed
where they are (a public shelter, or in place) has been handed out. The default is
``network/data/relief_standard.toml`` (Sphere minimums; no Chinese quantity norm was found);
a scenario may name its own file (``[simulation] relief_standard = "FILE.toml"``, e.g. with
clothing or a provincial norm) or replace the quantities with ``[simulation.params]
needs_per_person`` and ``needs_in_place``.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from network.checks import parse_toml, read_text_file
from network.errors import InputError

PLACES = ("shelter", "in_place")


@dataclass(frozen=True)
class ReliefItem:
    """One item of the standard: quantity per person-day, where it is needed, names, source."""

    key: str
    per_person_day: float
    where: tuple[str, ...]
    name_zh: str
    name_en: str
    source: str
    kg_per_unit: float | None = None  # shipping mass; None: the simulation's default for the item


@dataclass(frozen=True)
class ReliefStandard:
    """The items of basic relief and the total-water standard beside them."""

    name_zh: str
    name_en: str
    items: tuple[ReliefItem, ...]
    total_water_l: float
    total_water_source: str
    source: str

    def kit(self, place: str) -> dict[str, float]:
        """Item -> quantity one person needs for a day at ``place`` ("shelter" or "in_place")."""
        return {i.key: i.per_person_day for i in self.items if place in i.where}

    def item_kg(self) -> dict[str, float]:
        """Shipping mass per unit of the items that give one."""
        return {i.key: i.kg_per_unit for i in self.items if i.kg_per_unit is not None}

    def item(self, key: str) -> ReliefItem | None:
        """The item ``key``, or None when the standard has none."""
        return next((i for i in self.items if i.key == key), None)


def load_relief_standard(path: str | Path | None = None) -> ReliefStandard:
    """Read a relief standard TOML (default: the packaged Sphere-based one).

    Raises
    ------
    InputError
        Naming the file and field: unreadable TOML, an item without a positive quantity, an
        unknown place, or a standard without drinking water (``water_l``).
    """
    if path is None:
        ref = resources.files("network").joinpath("data/relief_standard.toml")
        text, src = ref.read_text(encoding="utf-8"), "network/data/relief_standard.toml"
    else:
        p = Path(path)
        text, src = read_text_file(p, "a relief standard (TOML)"), str(p)
    d = parse_toml(text, src)
    head = d.get("standard", {})
    items = []
    for key, it in d.get("items", {}).items():
        where = f"{src}: items.{key}"
        try:
            q = float(it["per_person_day"])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{where}.per_person_day: expected a number") from None
        if not q > 0:
            raise InputError(f"{where}.per_person_day: must be above 0, found {q:g}")
        places = tuple(it.get("where", PLACES))
        bad = [w for w in places if w not in PLACES]
        if bad or not places:
            raise InputError(f"{where}.where: use one or both of {list(PLACES)}, found {list(places)}")
        kg = it.get("kg_per_unit")
        if kg is not None and not (isinstance(kg, (int, float)) and kg > 0):
            raise InputError(f"{where}.kg_per_unit: expected a number above 0, found {kg!r}")
        items.append(ReliefItem(key, q, places, str(it.get("name_zh", key)), str(it.get("name_en", key)),
                                str(it.get("source", "not given")), None if kg is None else float(kg)))
    if not any(i.key == "water_l" for i in items):
        raise InputError(f"{src}: items.water_l: a relief standard needs drinking water (water_l > 0)")
    try:
        total = float(head.get("total_water_l", 15.0))
    except (TypeError, ValueError):
        raise InputError(f"{src}: standard.total_water_l: expected a number") from None
    return ReliefStandard(str(head.get("name_zh", "")), str(head.get("name_en", "")), tuple(items), total,
                          str(head.get("total_water_source", "")), src)


#: the packaged standard (Sphere minimums)
DEFAULT_STANDARD = load_relief_standard()
