"""Conservation of relief supplies, checked by the relief and engine tests."""
from __future__ import annotations

import pytest

from sim.engine import Simulation


def conserved(sim: Simulation) -> None:
    """Every item: what the warehouses and the outside sources held at the start is on a shelf,
    on a truck, at a shelter, handed out, or still with its source; and what was handed out is
    exactly the relieved people's kits (the shelter kit in shelters, the in-place kit in place)."""
    sup = sim.supplies
    for item in {**sup.needs, **sup.needs_in_place}:
        sources = sim.resupply.sources
        start = (sum(w.initial.get(item, 0.0) for w in sim.warehouses)
                 + sum(st.source.items.get(item, 0.0) for st in sources))
        now = (sum(w.stock.get(item, 0.0) for w in sim.warehouses) + sup.in_transit_total.get(item, 0.0)
               + sum(s.stock.get(item, 0.0) + s.consumed.get(item, 0.0) for s in sim.shelters)
               + sup.consumed_in_place.get(item, 0.0)
               + sum(st.left.get(item, 0.0) + st.on_road.get(item, 0.0) for st in sources))
        assert now == pytest.approx(start)
        in_shelter = sum(q.relieved for q in sim.parties if not q.in_place and not q.hosted)
        in_place = sum(q.relieved for q in sim.parties if q.in_place)
        assert sum(s.consumed.get(item, 0.0) for s in sim.shelters) == pytest.approx(in_shelter * sup.needs.get(item, 0.0))
        assert sup.consumed_in_place.get(item, 0.0) == pytest.approx(in_place * sup.needs_in_place.get(item, 0.0))
