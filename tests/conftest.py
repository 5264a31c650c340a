"""Shared fixtures: the twin's small week, written once per test session."""

import os
from pathlib import Path

import pytest

from nidslib import simulation

# Genuine dataset files: CI points NIDSLIB_DATA at ../shared/datasets; a developer's
# checkout finds the same folder beside the repository.
SHARED_DATASETS = Path(os.environ.get("NIDSLIB_DATA", Path(__file__).parents[2] / "shared" / "datasets"))


@pytest.fixture(scope="session")
def twin_week(tmp_path_factory) -> list[Path]:
    """The small twin week as the eight CSV files a reader would get."""
    return simulation.write_week(tmp_path_factory.mktemp("twin"), profile="small", seed=0)


@pytest.fixture(scope="session")
def twin_frames() -> dict:
    """The small twin week as in-memory frames (canonical features + ``Label``), by file."""
    return {name: frame for name, _day, frame in simulation.simulate_week("small", seed=0)}
