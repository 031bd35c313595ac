"""The one date/period parser (macroattr.core.dates) and that no other module parses dates."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from macroattr.core.dates import parse_date, parse_period, period_bounds
from macroattr.core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "first", "last", "label"), [
    ("2022Q2", "2022-04-01", "2022-06-30", "2022Q2"),
    ("2022q2", "2022-04-01", "2022-06-30", "2022Q2"),
    ("2022-06", "2022-06-01", "2022-06-30", "2022-06"),
    ("2022", "2022-01-01", "2022-12-31", "2022"),
    ("2024-07-11", "2024-07-11", "2024-07-11", "2024-07-11"),
    ("2024-07-10:2024-07-16", "2024-07-10", "2024-07-16", "2024-07-10 to 2024-07-16"),
    ("2022Q1:2022Q2", "2022-01-01", "2022-06-30", "2022-01-01 to 2022-06-30"),
])
def test_periods_read_exactly(text, first, last, label):
    s, e, lab = parse_period(text, "--replay")
    assert (s, e, lab) == (pd.Timestamp(first), pd.Timestamp(last), label)
    assert period_bounds(text) == (s, e)


@pytest.mark.parametrize(("text", "needle"), [
    ("05/06/2024:07/06/2024", "'05/06/2024' is not a date in ISO form: its day/month order is ambiguous"),
    ("05/06/2024", "day/month order is ambiguous"),
    ("Q2 2022", "'Q2 2022' is not a period like 2022Q2"),
    ("2022Q5", "'2022Q5' is not a period"),
    ("2024-02-30", "no such day"),
    ("2024-07-16:2024-07-10", "ends before it starts"),
    ("2024-07-10:", "is not a range A:B"),
    ("", "is empty"),
])
def test_bad_periods_are_one_line(text, needle):
    with pytest.raises(InputError) as exc:
        parse_period(text, "--replay")
    msg = str(exc.value)
    assert needle in msg and "\n" not in msg and msg.startswith("--replay")


def test_required_date():
    assert parse_date("", "--start") is None
    with pytest.raises(InputError, match="--start is missing"):
        parse_date("", "--start", required=True)


def test_no_other_module_parses_user_dates():
    """The replay, event and backtest parsers are gone: they read core.dates."""
    pattern = re.compile(r"def (parse_date|parse_window|period_bounds)\(")
    hits = [str(p.relative_to(ROOT)) for folder in ("models", "reports", "macroattr", "data_pipelines")
            for p in (ROOT / folder).rglob("*.py") if pattern.search(p.read_text())]
    # backtest.parse_window reads a window length ("rolling:120"), not a date
    assert sorted(hits) == ["macroattr/core/dates.py", "models/evaluation/backtest.py"], hits
    assert "def parse_date(" not in (ROOT / "models/evaluation/backtest.py").read_text()
