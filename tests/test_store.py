import pandas as pd
import pytest

from salesops_models import load_duckdb, load_folder, read_table, save_folder
from salesops_models.schema import TABLE_NAMES


def test_duckdb_roundtrip_with_truth(small_org, tmp_path):
    path = small_org.save(tmp_path / "org.duckdb")
    back = load_duckdb(path)
    for t in TABLE_NAMES:
        pd.testing.assert_frame_equal(getattr(back, t), getattr(small_org.crm, t), check_dtype=True)
    assert back.fingerprint() == small_org.crm.fingerprint()
    assert len(read_table("truth_opportunities", path)) == len(small_org.crm.opportunities)
    assert path.with_suffix(".truth.json").exists()
    with pytest.raises(KeyError, match="no table"):
        read_table("nope", path)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_folder_roundtrip(small_org, tmp_path, fmt):
    save_folder(small_org.crm, tmp_path / fmt, fmt)
    back = load_folder(tmp_path / fmt)
    assert back.fingerprint() == small_org.crm.fingerprint()


def test_missing_store_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="salesops data generate"):
        load_duckdb(tmp_path / "absent.duckdb")


def test_data_dictionary_is_in_sync_with_the_schema():
    from salesops_models import config
    from salesops_models.schema import data_dictionary_markdown

    text = (config.DATA_DIR / "README.md").read_text()
    begin = text.index("<!-- BEGIN GENERATED DICTIONARY -->\n") + len(
        "<!-- BEGIN GENERATED DICTIONARY -->\n"
    )
    end = text.index("<!-- END GENERATED DICTIONARY -->")
    assert text[begin:end] == data_dictionary_markdown()
