"""Write core/data/calendars/xnys.json: the New York Stock Exchange's holidays and early closes, taken from
exchange_calendars (Apache-2.0) at development time, so the Lambda functions read a small JSON file with
the standard library instead of loading the library and pandas on a cold start.

    python -m local.calendars.generate      # after bumping exchange-calendars in pyproject.toml

tests/unit/test_calendar_data.py regenerates the data with the installed library and compares it with the
shipped file, so the two cannot drift apart.
"""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from importlib.metadata import metadata, version
from pathlib import Path
from zoneinfo import ZoneInfo

LIBRARY = "exchange_calendars"
FIRST, LAST = date(2020, 1, 1), date(2035, 12, 31)
OPEN, CLOSE = time(9, 30), time(16, 0)
TARGET = Path(__file__).resolve().parents[2] / "core" / "data" / "calendars" / "xnys.json"


def xnys(first: date = FIRST, last: date = LAST) -> dict:
    """Every weekday from ``first`` to ``last`` that is not a regular 09:30-16:00 session, as the library
    sees it: holidays (no session), early closes and late opens (New York local times)."""
    import exchange_calendars
    import pandas as pd

    calendar = exchange_calendars.get_calendar("XNYS", start=first.isoformat(), end=last.isoformat())
    zone = ZoneInfo(str(calendar.tz))
    sessions = {ts.date(): ts for ts in calendar.sessions}
    holidays, early_closes, late_opens = [], {}, {}
    day = first
    while day <= last:
        if day.weekday() < 5:
            label = sessions.get(day)
            if label is None:
                holidays.append(day.isoformat())
            else:
                opens = _local(calendar.session_open(pd.Timestamp(label)), zone)
                closes = _local(calendar.session_close(pd.Timestamp(label)), zone)
                if opens != OPEN:
                    late_opens[day.isoformat()] = opens.strftime("%H:%M")
                if closes != CLOSE:
                    early_closes[day.isoformat()] = closes.strftime("%H:%M")
        day += timedelta(days=1)
    return {
        "_source": {
            "library": LIBRARY,
            "version": version(LIBRARY),
            "licence": metadata(LIBRARY).get("License-Expression") or metadata(LIBRARY).get("License"),
            "calendar": "XNYS",
            "generated_by": "python -m local.calendars.generate",
        },
        "zone": str(zone),
        "open": OPEN.strftime("%H:%M"),
        "close": CLOSE.strftime("%H:%M"),
        "first": first.isoformat(),
        "last": last.isoformat(),
        "holidays": holidays,
        "early_closes": early_closes,
        "late_opens": late_opens,
    }


def render(data: dict) -> str:
    """The file's text: one list item or mapping entry per line, so a new holiday is a one-line diff."""
    return json.dumps(data, indent=1) + "\n"


def _local(stamp, zone: ZoneInfo) -> time:
    return stamp.to_pydatetime().astimezone(zone).time()


def main() -> None:
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(render(xnys()))
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
