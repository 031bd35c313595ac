"""The embedded snapshot: provenance complete, no ICE series, rebuild from raw is identical."""

from __future__ import annotations

import pandas as pd

from macroattr.data_pipelines.snapshot_build import SPECS, build
from macroattr.data_pipelines.sources import SNAPSHOT_DIR, get_series, snapshot_provenance


def test_provenance_covers_every_series_and_no_ice():
    prov = snapshot_provenance()
    daily = pd.read_parquet(SNAPSHOT_DIR / "daily.parquet")
    monthly = pd.read_parquet(SNAPSHOT_DIR / "monthly.parquet")
    ids = set(daily["series_id"].astype(str)) | set(monthly["series_id"].astype(str))
    assert ids == set(prov.index)
    assert not any(i.startswith("BAML") for i in ids)
    for col in ("title", "units", "source_repo", "commit", "first", "last", "terms", "snapshot_date"):
        assert (prov[col] != "").all(), col
    for sid, row in prov.iterrows():
        s, meta = get_series(sid)
        assert meta["first"] == row["first"] and meta["last"] == row["last"] and len(s) == int(row["rows"])
        assert s.notna().all()


def test_snapshot_starts_1988_or_earlier_where_data_exist():
    for sid in ("^RUT", "^GSPC", "DGS2", "DGS6MO", "BAA10YM", "USEPUINDXM", "USEPUINDXD", "FEDFUNDS"):
        assert get_series(sid)[0].index[0] <= pd.Timestamp("1988-01-01"), sid


def test_rebuild_from_raw_is_identical(tmp_path, raw_dir):
    build(raw_dir, tmp_path)
    for name in ("daily.parquet", "monthly.parquet", "calendars.parquet", "policy_surprises.parquet",
                 "election_odds.parquet", "cpi_consensus.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / name), pd.read_parquet(SNAPSHOT_DIR / name))
    for name in ("provenance.csv", "tables.csv", "PROVENANCE.md"):
        assert (tmp_path / name).read_text() == (SNAPSHOT_DIR / name).read_text(), name
    assert {s.series_id for s in SPECS} == set(snapshot_provenance().index)


def test_snapshot_tables_have_provenance_and_stay_small():
    from macroattr.data_pipelines.calendars import table_provenance

    prov = table_provenance()
    assert set(prov.index) == {"cpi_release", "fomc", "policy_surprises", "election_odds", "cpi_consensus"}
    assert "predictit_1250" not in " ".join(prov["source_file"])  # research terms: not embedded
    for col in ("title", "source_file", "first", "last", "rows", "terms", "snapshot_date"):
        assert (prov[col] != "").all(), col
    assert prov.loc["policy_surprises", "commit"] == "9b34b451e35e8b6903f4ec31784c92c619832c1c"
    total = sum(p.stat().st_size for p in SNAPSHOT_DIR.iterdir())
    assert total < 1_000_000  # embeddable: the whole snapshot stays under 1 MB
