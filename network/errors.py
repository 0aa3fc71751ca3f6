"""Errors that carry a message a planner can act on.

Every error the engine raises on bad input derives from :class:`YingjiError`; the CLI prints
its message on one line and exits non-zero, never a traceback.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class YingjiError(Exception):
    """Base of all errors the CLI reports as a one-line message."""


class InputError(YingjiError):
    """A file or parameter is malformed; the message names the file or field and the reason."""


class NetworkError(YingjiError):
    """A road network is empty, inconsistent or cannot answer the question asked."""


class UnreachableError(NetworkError):
    """Some origin-destination pairs have no path; the message says which."""


@contextmanager
def at_field(where: str) -> Iterator[None]:
    """Place an :class:`InputError` raised while reading a file that a field names at that field:
    ``where`` (``scenario.toml:7: network.dem``) goes before the reader's own message (which names
    the file, line and reason), so the user sees both the file at fault and where it was given."""
    try:
        yield
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
