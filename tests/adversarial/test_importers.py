"""Importers under hostile and messy input: nothing merges, nothing is swallowed, nothing is
silently re-decoded or coerced; rows read = accepted + rejected, always."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from hostile_files import NAMES, payload, sf_export, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesops_models.loaders import LoadError, load_hubspot, load_mapping, load_salesforce
from salesops_models.loaders.hubspot import REQUIRED as HUBSPOT_REQUIRED
from salesops_models.loaders.reading import read_raw
from salesops_models.loaders.salesforce import sf_id18

HUBSPOT_HEADER = [*HUBSPOT_REQUIRED, "Associated Company (Primary)"]


def balanced(result) -> bool:
    s = result.summary
    return bool((s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]).all())


def hubspot(path, owners, companies):
    rows = [
        [str(9000 + i), f"Deal {i}", "Closed Won", "1000", "2026-08-01", "2026-07-01", o, c]
        for i, (o, c) in enumerate(zip(owners, companies, strict=True))
    ]
    return write_csv(path, HUBSPOT_HEADER, rows)


def test_hubspot_non_latin_owners_and_companies_stay_distinct(tmp_path):
    """Four owners in Chinese and Cyrillic were one rep ``rep:`` (and companies one account)."""
    owners = ["王伟", "李娜", "Иван Петров", "Мария Иванова"]
    companies = ["阿里巴巴", "腾讯", "Яндекс", "Сбербанк"]
    r = load_hubspot(hubspot(tmp_path / "deals.csv", owners, companies))
    assert balanced(r) and r.rejects.empty
    assert len(r.crm.reps) == 4 and len(r.crm.accounts) == 4
    assert sorted(r.crm.reps["name"]) == sorted(owners)
    by_rep = r.crm.opportunities.groupby("owner_rep_id").size()
    assert (by_rep == 1).all() and len(by_rep) == 4


def test_hubspot_id_collision_is_a_reject_with_a_reason(tmp_path):
    owners = ["A.B", "A B", "a.b", "!!!"]  # 'A B' collides with 'A.B'; 'a.b' is 'A.B' re-cased
    r = load_hubspot(hubspot(tmp_path / "deals.csv", owners, ["X", "Y", "Z", "W"]))
    assert balanced(r)
    rej = r.rejects.set_index("sheet_row")
    assert "collides with 'A.B'" in rej.loc[3, "reason"]
    assert "no letter or digit" in rej.loc[5, "reason"]
    assert list(r.crm.opportunities["owner_rep_id"]) == ["rep:a-b", "rep:a-b"]


def test_salesforce_15_and_18_character_ids_are_one_record(tmp_path):
    folder = sf_export(tmp_path / "sf", ["Ann", "Bo"], deals_per_rep=1)
    opp = pd.read_csv(folder / "Opportunity.csv", dtype=str)
    # the same deal again with its 18-char id, and an account id given in 15-char form
    dup = opp.iloc[[0]].copy()
    dup["Id"] = sf_id18(dup["Id"].iloc[0])
    opp["AccountId"] = opp["AccountId"].map(sf_id18)  # accounts referenced by 18-char ids
    acc = pd.read_csv(folder / "Account.csv", dtype=str)  # account file keeps 15-char ids
    pd.concat([opp, dup]).to_csv(folder / "Opportunity.csv", index=False)
    acc.to_csv(folder / "Account.csv", index=False)
    r = load_salesforce(folder)
    assert balanced(r)
    rej = r.rejects[r.rejects["table"] == "opportunities"]
    assert len(rej) == 1 and "duplicate id (first seen at sheet row 2)" in rej["reason"].iloc[0]
    assert not r.rejects["reason"].str.contains("not found in accounts").any()
    assert r.crm.opportunities["id"].str.len().eq(18).all()
    assert sf_id18("0015000000VALDt") == "0015000000VALDtAAP"
    assert sf_id18("0015000000valdtaap") == "0015000000VALDtAAP"  # case flattened, restored


def test_one_cp1252_row_in_a_utf8_file_is_decoded_alone(tmp_path):
    path = tmp_path / "deals.csv"
    hubspot(path, ["Zoë Müller", "José Núñez", "Ann"], ["Ä AG", "Ñ SA", "Z"])
    data = path.read_bytes().splitlines(keepends=True)
    data[1] = data[1].decode("utf-8").encode("cp1252")  # one legacy row in a UTF-8 file
    path.write_bytes(b"".join(data))
    raw, notes = read_raw(path)
    assert list(raw["Deal owner"]) == ["Zoë Müller", "José Núñez", "Ann"]  # no mojibake
    assert any("decoded on their own as cp1252 (line 2)" in n for n in notes)
    r = load_hubspot(path)
    assert sorted(r.crm.reps["name"]) == ["Ann", "José Núñez", "Zoë Müller"]


def test_a_stray_quote_swallows_nothing(tmp_path):
    """28 physical records used to read as 22; now 28 = 27 accepted + 1 rejected."""
    path = hubspot(tmp_path / "deals.csv", [f"Rep {i % 4}" for i in range(28)], ["Acme"] * 28)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace(",Deal 4,", ',"Deal 4,')  # opens a quote it never closes
    path.write_text("".join(lines), encoding="utf-8")
    r = load_hubspot(path)
    s = r.summary.iloc[0]
    assert (s["rows_read"], s["rows_accepted"], s["rows_rejected"]) == (28, 27, 1)
    assert "unbalanced quote" in r.rejects["reason"].iloc[0] and r.rejects["sheet_row"].iloc[0] == 6


def test_legitimate_multiline_field_is_kept(tmp_path):
    path = tmp_path / "deals.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HUBSPOT_HEADER)
        w.writerow(
            ["1", "Line one\nline two", "Closed Won", "10", "2026-08-01"] + ["2026-07-01", "A", "C"]
        )
        w.writerow(["2", "Plain", "Closed Won", "10", "2026-08-01", "2026-07-01", "A", "C"])
    r = load_hubspot(path)
    assert balanced(r) and r.rejects.empty and len(r.crm.opportunities) == 2


def test_wrong_field_count_is_a_reject(tmp_path):
    path = hubspot(tmp_path / "deals.csv", ["A", "B"], ["X", "Y"])
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("9999,Too,many,fields,here,and,more,and,more,more\n")
    r = load_hubspot(path)
    assert balanced(r) and "10 fields where the header has 8" in r.rejects["reason"].iloc[0]


def test_header_only_export_never_replaces_a_store(tmp_path):
    folder = sf_export(tmp_path / "sf", ["Ann"], deals_per_rep=2)
    db = tmp_path / "s.duckdb"
    load_salesforce(folder).save(db)
    (folder / "Opportunity.csv").write_text(
        (folder / "Opportunity.csv").read_text().splitlines()[0] + "\n"
    )
    empty = load_salesforce(folder)
    assert len(empty.crm.opportunities) == 0
    with pytest.raises(LoadError, match="would replace a store holding 2"):
        empty.save(db)
    from salesops_models.store import load_duckdb

    assert len(load_duckdb(db).opportunities) == 2  # untouched
    empty.save(db, allow_empty=True)
    assert len(load_duckdb(db).opportunities) == 0


def test_misgrouped_thousands_are_a_reject(tmp_path):
    path = hubspot(tmp_path / "deals.csv", ["A", "B"], ["X", "Y"])
    text = path.read_text().replace(
        ",1000,2026-08-01,2026-07-01,A,", ',"1,2,3",2026-08-01,2026-07-01,A,'
    )
    path.write_text(text)
    r = load_hubspot(path)
    assert balanced(r) and "unparseable amount" in r.rejects["reason"].iloc[0]
    assert r.rejects["value"].iloc[0] == "1,2,3"


def test_control_characters_are_rejects_shown_visibly(tmp_path):
    folder = sf_export(tmp_path / "sf", ["Ann\x07Bell", "Bo"], deals_per_rep=1)
    r = load_salesforce(folder)
    assert balanced(r)
    rej = r.rejects[r.rejects["table"] == "reps"].iloc[0]
    assert "control character in Name" in rej["reason"] and rej["value"] == "Ann\\x07Bell"
    # the rep's deals follow with their own reason; nothing is paid to a garbled name
    assert r.rejects["reason"].str.contains("owner_rep_id not found in reps").sum() == 1


def test_mapping_importer_takes_hostile_text_and_keeps_counts(tmp_path):
    write_csv(
        tmp_path / "deals.csv",
        ["Deal", "Owner", "Stage", "Value", "Created", "Closed", "Customer"],
        [
            [f"D{i}", payload(i), "Won", "100", "2026-01-02", "2026-02-03", payload(i + 1)]
            for i in range(12)
        ],
    )
    (tmp_path / "m.yml").write_text(
        "name: hostile\nstage_map: {Won: Closed Won}\ntables:\n  opportunities:\n    file: deals.csv\n"
        "    columns: {id: Deal, owner_rep_id: Owner, stage: Stage, amount: Value,"
        " created_date: Created, close_date: Closed, account_id: Customer}\n"
    )
    r = load_mapping(tmp_path / "m.yml")
    assert balanced(r) and len(r.crm.opportunities) == 12
    assert r.crm.reps["id"].nunique() == len(set(payload(i) for i in range(12)))


ROW = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
        st.sampled_from(['"', '""', ",", "\n", "\r\n", "=1+1", "王伟", "\x07", "1,2,3"]),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(ROW, min_size=0, max_size=12))
def test_rows_read_always_equal_accepted_plus_rejected(tmp_path, rows):
    """Any bytes a user can put in a deals file: never a crash beyond a LoadError naming the
    file, and the load summary always balances with one record per data line."""
    path = tmp_path / "deals.csv"
    body = "\n".join(",".join(r) for r in rows)
    path.write_text(",".join(HUBSPOT_HEADER) + "\n" + body + "\n", encoding="utf-8")
    try:
        r = load_hubspot(path)
    except LoadError as exc:
        assert str(path) in str(exc)
        return
    assert balanced(r)
    assert r.summary["rows_read"].iloc[0] <= max(1, len(body.splitlines()) + body.count("\r"))


@pytest.mark.parametrize("names", [NAMES])
def test_every_script_gets_its_own_rep(tmp_path, names):
    r = load_salesforce(sf_export(tmp_path / "sf", list(names), deals_per_rep=1))
    assert balanced(r) and set(r.crm.reps["name"]) == set(names)


def test_a_reject_after_a_multi_line_record_names_its_sheet_row_and_its_line(tmp_path):
    """A quoted description with line breaks is one record (one spreadsheet row) over three
    lines: the bad deal after it is sheet row 4 (what Excel shows) and line 6 (what an
    editor shows), both integers, named apart."""
    path = hubspot(tmp_path / "deals.csv", ["Ann", "Bo", "Cy"], ["A", "B", "C"])
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(",Deal 0,", ',"Deal 0\nsecond line\nthird line",')
    lines[3] = lines[3].replace("Cy", "!!!")  # no letter or digit: a reject
    path.write_text("".join(lines), encoding="utf-8")
    r = load_hubspot(path)
    assert balanced(r)
    rej = r.rejects.iloc[0]
    assert (rej["sheet_row"], rej["line"]) == (4, 6), r.rejects
    assert "no letter or digit" in rej["reason"]
    assert str(rej["sheet_row"]) == "4" and str(rej["line"]) == "6"  # integers, never 4.0
    deal = r.crm.opportunities.sort_values("name").iloc[0]["name"]
    assert deal.count("\n") == 2
