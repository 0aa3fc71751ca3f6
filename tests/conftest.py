"""Shared fixtures: the built-in district (generated once per session into a private cache)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("YINGJI_CACHE", tempfile.mkdtemp(prefix="yingji-test-cache-"))

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data {path} not present (../shared/data is only beside the checkout in CI)")
    return path


@pytest.fixture(scope="session")
def district():
    from network.district import load_district

    return load_district()
