"""What the inject builders share: the run a drill is made from, the exercise window, the names
an inject may use, and the injects gathered so far (in simulation time, before numbering)."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from network.district import District
from network.hazard import Hazard
from network.model import RoadNetwork
from network.plan import Plan
from sim.params import SimParams
from sim.result import RunResult

from .catalogue import scenario_objectives


@dataclass
class DrillContext:
    """The run the injects report on and the injects gathered from it.

    ``plan`` is the scenario's plan: entities are named against it even when a twist took a
    squad out of the re-run (a missing squad is still a team). ``hazards`` and ``result`` are
    those of the re-run when physical twists changed the run. ``names`` maps every entity and
    recipient key to ``(zh, en)``; ``road_edges`` holds the edges of each named road
    (:func:`~scenarios.drill.catalogue.road_edges`).
    """

    district: District
    plan: Plan
    hazards: list[Hazard]
    result: RunResult
    params: SimParams
    kinds: list[str]
    names: dict[str, tuple[str, str]]
    road_edges: dict[str, np.ndarray]
    start_s: float = 0.0
    end_s: float = 0.0
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def net(self) -> RoadNetwork:
        """The district's road network."""
        return self.district.network

    @property
    def run_end_s(self) -> float:
        """The end of the simulated run (the exercise may end earlier)."""
        return self.params.duration_h * 3600.0

    @property
    def main_objective(self) -> str:
        """The drill type of the first hazard kind (emergency communications when none)."""
        return scenario_objectives(self.kinds)[0]

    def township(self, node: int) -> str | None:
        """The id of the township a network node lies in (None outside every township)."""
        z = int(self.net.zone[int(node)])
        return self.district.spec.townships[z].id if z >= 0 else None

    def name(self, key: str, lang: str) -> str:
        """The name of an entity or recipient key in ``lang`` ("zh" or "en")."""
        return self.names[key][0 if lang == "zh" else 1]

    def events(self, name: str) -> list[tuple[int, dict]]:
        """``(index, event)`` of the run's events called ``name``, in log order."""
        return [(i, e) for i, e in enumerate(self.result.events) if e["event"] == name]

    def first_by_township(self, name: str, keep: Callable[[dict], bool] | None = None) -> Iterator[tuple[int, dict, str]]:
        """``(index, event, township)`` of the first event called ``name`` in each township (only
        events that ``keep`` accepts count), in log order."""
        seen: set[str] = set()
        for i, e in self.events(name):
            z = self.township(e["node"])
            if z is None or z in seen or (keep is not None and not keep(e)):
                continue
            seen.add(z)
            yield i, e, z

    def add(self, t: float, kind: str, zh: str, en: str, source: str, delivery: str, recipient: str,
            act_zh: str, act_en: str, target: float, basis_zh: str, basis_en: str, objective: str,
            entities: Sequence[str] = (), basis: str = "", bench_zh: str = "", bench_en: str = "",
            twist: str = "") -> None:
        """Gather one inject (see :func:`inject_row`)."""
        self.items.append(inject_row(t, kind, zh, en, source, delivery, recipient, act_zh, act_en, target, basis_zh,
                                     basis_en, objective, entities, basis, bench_zh, bench_en, twist))


def inject_row(t: float, kind: str, zh: str, en: str, source: str, delivery: str, recipient: str,
               act_zh: str, act_en: str, target: float, basis_zh: str, basis_en: str, objective: str,
               entities: Sequence[str] = (), basis: str = "", bench_zh: str = "", bench_en: str = "",
               twist: str = "") -> dict[str, Any]:
    """One inject before numbering: :class:`~scenarios.drill.design.Inject`'s fields, with ``t``
    and ``target`` in simulation time."""
    return {"t": float(t), "kind": kind, "inject_zh": zh, "inject_en": en, "source": source,
            "delivery": delivery, "recipient": recipient, "action_zh": act_zh, "action_en": act_en,
            "target": float(target), "target_basis_zh": basis_zh, "target_basis_en": basis_en,
            "objective": objective, "entities": tuple(entities), "basis": basis,
            "benchmark_zh": bench_zh, "benchmark_en": bench_en, "twist": twist}
