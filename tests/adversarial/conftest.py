"""Fixtures of the adversarial suite (helpers in ``hostile_files.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_files import FORMULAS, NAMES, sf_export


@pytest.fixture
def sf_hostile(tmp_path) -> Path:
    """A Salesforce export whose reps are named with formula payloads and non-Latin names."""
    return sf_export(tmp_path / "sf", list(FORMULAS) + list(NAMES))
