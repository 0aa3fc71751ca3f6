"""The drill designer: exercise scripts (MSEL) from simulated scenarios, their checks and the controller's handbook.

Modules, each importing only those above it:

- ``catalogue``: the tables (drill types, roles, sources, channels, timing standards), what an
  inject may name, ``T+HH:MM`` times
- ``context``: what the inject builders share (the run, the window, the injects so far)
- ``hazard_injects``, ``road_injects``, ``event_injects``: injects per hazard kind, per named
  road, from the event log
- ``twists``: the twist catalogue, drawing, applying and re-running
- ``design``: the MSEL types and ``design_drill``
- ``msel``: the MSEL files and ``check_msel``; ``handbook``: drill.html and drill.md
"""
