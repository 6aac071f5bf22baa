"""Synthetic sales org with ground truth (the demo and the test bed for every model)."""

from .generator import SyntheticOrg, generate_org
from .params import HygieneParams, OrgParams, SegmentParams

__all__ = ["HygieneParams", "OrgParams", "SegmentParams", "SyntheticOrg", "generate_org"]
