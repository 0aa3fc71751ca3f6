"""Affected groups, the parties they split into, shelters, and the state ledger.

A *group* is the residents of one network node the hazards reach. It splits into parties: the
warned who leave early, the unwarned who leave once the hazard hits, and those who cannot leave
alone and wait for a team. Every person is in exactly one ledger state at any time.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

STATES = ("home", "waiting_help", "evacuating", "sheltered", "relieved", "stranded")


@dataclass(eq=False)
class Group:
    """The residents of one node the hazards reach: when it was threatened, affected and in a
    lethal zone, the warnings that reached them, and the parties they split into."""

    id: int
    node: int
    people: int
    threat_s: float = math.inf
    affected_s: float = math.inf
    lethal_s: float = math.inf
    warnings: list[tuple[float, int, str]] = field(default_factory=list)
    parties: list["Party"] = field(default_factory=list)
    exposed: int = 0
    present_when_affected: int = 0   # people still at home when the hazard reached them

    def warned_by(self, t: float) -> int:
        """People warned before time ``t``."""
        return sum(n for tw, n, _ in self.warnings if tw < t)


@dataclass(eq=False)
class Party:
    """People of a group who move together: their ledger state, where they are and the relief they got."""

    id: int
    group: Group
    people: int
    needs_help: bool
    state: str = "home"
    left_s: float = math.nan
    arrived_s: float = math.nan
    shelter: int = -1
    relieved: int = 0
    lower_bound_s: float = math.nan   # free-flow travel time to its shelter: relief cannot come sooner
    relief: list[tuple[float, int]] = field(default_factory=list)
    node: int = -1                    # where the party is now (its group's node until it moves)
    cut_off: bool = False             # no shelter it can reach has room: relief must come to it
    in_place: bool = False            # relieved where it stands (kits brought by a truck)
    relatives: bool = False           # goes to relatives or friends (分散安置), not a public shelter
    hosted: bool = False              # arrived at relatives or friends: relieved by its hosts
    kits_coming: int = 0              # relief kits on a truck heading to it
    cut_off_s: float = math.nan       # when it was first cut off
    moving: bool = False              # a journey process is taking it to a shelter
    by_car: bool = True               # leaves by car (False: on foot)
    upstairs: bool = False            # cut off at home by flood water: stays upstairs, waits for supplies
    sheltering: bool = False          # told to shelter in place (a toxic cloud): stays indoors
    boat_called: bool = False         # cut off: a boat evacuation is requested and not yet served
    state_s: dict[str, float] = field(default_factory=dict)   # first time it entered each state

    def __post_init__(self) -> None:
        if self.node < 0:
            self.node = self.group.node


@dataclass(eq=False)
class ShelterState:
    """A shelter during the run: room reserved and taken, its supplies, and whether the hazard closed it."""

    idx: int
    id: str
    node: int
    capacity: int
    reserved: int = 0
    occupancy: int = 0
    peak: int = 0
    first_need_s: float = math.inf
    stock: dict[str, float] = field(default_factory=dict)
    in_transit: dict[str, float] = field(default_factory=dict)
    consumed: dict[str, float] = field(default_factory=dict)
    delivered: dict[str, float] = field(default_factory=dict)
    queue: deque = field(default_factory=deque)
    closed_s: float = math.inf        # when the hazard threatened it: no new arrivals from then
    closed_event: object = None       # a SimPy event that fires when it closes (evacuees re-route)

    @property
    def closed(self) -> bool:
        """The hazard has threatened it: no new arrivals."""
        return math.isfinite(self.closed_s)

    @property
    def free(self) -> int:
        """Places still to reserve (0 once closed)."""
        return 0 if self.closed else self.capacity - self.reserved


class Ledger:
    """People per state; ``shift`` moves n people between states (never below zero)."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(STATES, 0)
        self.total = 0
        self.watch = None  # called with each party that ``move`` moved

    def add(self, state: str, n: int) -> None:
        """Count ``n`` newly threatened people in ``state``."""
        self.counts[state] += n
        self.total += n

    def shift(self, a: str, b: str, n: int) -> None:
        """Move ``n`` people from state ``a`` to ``b``; an :class:`AssertionError` when ``a`` holds fewer."""
        if n <= 0 or a == b:
            return
        if self.counts[a] < n:
            raise AssertionError(f"ledger: moving {n} from {a!r} which holds {self.counts[a]}")
        self.counts[a] -= n
        self.counts[b] += n

    def move(self, party: Party, state: str) -> None:
        """Move a whole party's unrelieved people to ``state``."""
        self.shift(party.state, state, party.people - party.relieved)
        party.state = state
        if self.watch is not None:
            self.watch(party)


def choose_shelter(shelters: list[ShelterState], node: int, times_to: list[np.ndarray],
                   preferred: int = -1) -> tuple[int, str]:
    """The assigned shelter if it has room and is reachable, else the nearest one that has.

    Returns (index, "") or (-1, why) with why "full" (no room anywhere, closed shelters
    included) or "unreachable".
    """
    if preferred >= 0 and shelters[preferred].free > 0 and math.isfinite(times_to[preferred][node]):
        return preferred, ""
    best, best_t, room = -1, math.inf, False
    for s in shelters:
        if s.free <= 0:
            continue
        room = True
        t = times_to[s.idx][node]
        if t < best_t:  # +inf never wins: unreachable shelters are skipped
            best, best_t = s.idx, t
    if best >= 0:
        return best, ""
    return -1, ("unreachable" if room else "full")
