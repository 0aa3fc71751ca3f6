"""The installed yingji version, for ``yingji --version`` and the footer of every report."""
from __future__ import annotations

from importlib import metadata


def yingji_version() -> str:
    """The installed package's version, or ``source`` when yingji runs from a checkout that is not installed."""
    try:
        return metadata.version("yingji")
    except metadata.PackageNotFoundError:
        return "source"
