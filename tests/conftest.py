from pathlib import Path

import pytest

from salesops_models.synthetic import generate_org

FIXTURES = Path(__file__).parent / "fixtures"
# fixture notebooks (one fails on purpose) are run by the engine tests, not by nbval
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture(scope="session")
def small_org():
    """A small org shared by read-only tests (seconds to build)."""
    return generate_org(n_reps=24, years=2, seed=11)


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES
