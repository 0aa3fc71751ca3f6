"""The drill designer: exercise scripts (MSEL) from simulated scenarios, their checks and the controller's handbook."""
