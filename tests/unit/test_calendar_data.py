"""The shipped NYSE calendar data is what exchange_calendars says, so the two cannot drift apart, and the
core reads it with the standard library alone."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHIPPED = resources.files("core").joinpath("data/calendars/xnys.json")


@pytest.mark.filterwarnings("ignore:Series.values returning an ndarray")  # inside the library, with pandas 3.1
def test_the_shipped_data_is_what_the_library_generates_today() -> None:
    pytest.importorskip("exchange_calendars", reason="the test extra installs it: pip install -e '.[test]'")
    from local.calendars.generate import render, xnys

    assert SHIPPED.read_text() == render(xnys()), "regenerate: python -m local.calendars.generate"


def test_the_data_says_where_it_came_from_and_covers_the_years_around_now() -> None:
    data = json.loads(SHIPPED.read_text())
    assert data["_source"]["library"] == "exchange_calendars"
    assert data["_source"]["licence"] == "Apache-2.0"
    assert data["_source"]["version"]
    assert data["first"] <= "2024-01-01" and data["last"] >= "2030-12-31"
    assert "2026-11-26" in data["holidays"] and data["early_closes"]["2026-11-27"] == "13:00"


def test_loading_the_sessions_imports_neither_the_calendar_library_nor_pandas() -> None:
    probe = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from core.instruments import InstrumentCatalog\n"
        "from core.sessions import Sessions\n"
        "Sessions.exchange().is_open(InstrumentCatalog.default().get('AAPL'), datetime.now(UTC))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('exchange_calendars', 'pandas', 'numpy')))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_without_a_system_tz_database_the_tzdata_package_serves_new_york_time() -> None:
    """Lambda's runtime image may lack /usr/share/zoneinfo; the base layer ships tzdata for that case."""
    probe = (
        "import zoneinfo\n"
        "zoneinfo.reset_tzpath([])\n"
        "from datetime import UTC, datetime\n"
        "from core.instruments import InstrumentCatalog\n"
        "from core.sessions import Sessions\n"
        "aapl = InstrumentCatalog.default().get('AAPL')\n"
        "print(Sessions.exchange().next_open(aapl, datetime(2026, 7, 4, tzinfo=UTC)).isoformat())\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "2026-07-06T13:30:00+00:00"  # Monday after Independence Day, 09:30 EDT
