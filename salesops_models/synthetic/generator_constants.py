"""The generator's fixed numbers and name parts (shared by its parts)."""

from __future__ import annotations

import numpy as np

DAY_NS = 86_400 * 10**9
PUSH_STEP_DAYS = {"SMB": 30.0, "Mid-Market": 45.0, "Enterprise": 60.0}
MAX_PUSHES = 4
#: E[amount at signature / amount at creation]: 30% revised by lognormal(-0.05, 0.2)
#: (mean exp(-0.03)), half discounted by U(0.85, 1.0) (mean 0.925).
AMOUNT_DRIFT = (0.7 + 0.3 * np.exp(-0.05 + 0.02)) * (0.5 + 0.5 * 0.925)

_FIRST = (
    "Avery Blake Casey Dana Eli Fiona Grace Hana Ian Jada Kai Luis Maya Noah Omar Priya Quinn "
    "Rosa Sam Tara Uma Victor Wen Xavier Yara Zane Alex Bella Carlos Divya Ethan Farah Gabe "
    "Helen Isaac Julia Kevin Lena Marco Nina Oscar Paula Raj Sofia Theo Vera Will Zoe"
).split()
_LAST = (
    "Adams Baker Chen Diaz Evans Fischer Garcia Hughes Ito Johnson Kim Lopez Meyer Nguyen "
    "Olsen Patel Quinn Rossi Singh Torres Ueda Vargas Walsh Young Zhang Brooks Cruz Dubois "
    "Ellis Ford Gupta Hale Ivanova Jensen Khan Lewis Moreau Novak Ortiz Park Reyes Shaw"
).split()
_CO_A = (
    "Acme Apex Blue Bright Cedar Clear Delta Echo Ever Falcon Golden Granite Harbor Iron "
    "Juniper Keystone Lumen Maple Nova Oak Orbit Pine Prime Quantum Red Silver Summit Terra "
    "True Union Vertex Vista West Willow Zenith North Pioneer Atlas Beacon Crest"
).split()
_CO_B = (
    "tech works labs soft logic systems dynamics health foods metrics data cloud motors "
    "partners media retail capital energy supply design bio"
).split()
_CO_C = ("Inc", "LLC", "Corp", "Group", "Co", "Holdings", "Ltd")
