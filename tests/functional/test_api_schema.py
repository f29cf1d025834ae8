"""Schemathesis judges the OpenAPI document against the app, in process: every operation, its examples, the
coverage of each keyword and a bounded fuzzing run, positive and negative data, with a valid token.

Any failed check fails the test: a 5xx, a status the document does not list for the operation, a response
that does not match its schema, an accepted request that the schema rejects, a schema-valid request refused
as malformed (400), a missing required header not refused, an ``Allow`` header that disagrees. Each
operation runs against a platform of its own (fresh store, quotes for the symbols orders use), so that what
one operation does (a kill switch, a tightened limit) cannot hide another's answers.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from core import usecases as uc
from core.accounts import Role
from core.market import Quote
from functions.api.app import create_app
from infra.bootstrap import build_platform
from infra.settings import Settings
from infra.stores import open_store
from infra.tokens import issue_token

SECRET = "schemathesis-secret-for-tests-only-0123456789"
MAX_EXAMPLES = 100  # fuzzing cases per operation, on top of its examples and coverage cases
QUOTES = {"AAPL": ("229.90", "230.10"), "CL": ("70.00", "70.02"), "BTC-USD": ("65000.00", "65010.00")}
# A schema says what is well formed, not what the risk gate or an instrument's tick allows, nor which
# order ids exist: those refusals are 404, 409 and 422. A 400 for a schema-valid request still fails.
ACCEPTED = ["2xx", "401", "403", "404", "409", "422"]
CONFIG = f"""
[generation]
max-examples = {MAX_EXAMPLES}
[checks.positive_data_acceptance]
expected-statuses = {ACCEPTED!r}
"""
RUN: Counter[str] = Counter()
MIN_CASES = 30


def platform_for(role: Role):
    """A fresh in-memory platform where alice (the token's account) has ``role``, with quotes to trade on."""
    platform = build_platform(Settings(store_url="memory://", feed="off"), store=open_store("memory://"),
                              secret=SECRET)
    uc.create_account(platform.deps, "alice", role=role)
    uc.create_account(platform.deps, "bob")
    now = datetime.now(UTC)
    for symbol, (bid, ask) in QUOTES.items():
        quote = Quote(symbol=symbol, bid=Decimal(bid), ask=Decimal(ask), last=Decimal(ask), time=now)
        uc.on_quote(platform.deps, quote)
    return platform


APP = create_app(platform_for(Role.TRADER))
TOKEN = issue_token(uc.get_account(APP.state.platform.deps, "alice"), SECRET, timedelta(hours=1))
AUTH = f'[auth.openapi.HTTPBearer]\nbearer = "{TOKEN}"\n'  # the token's scheme, as the document names it
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=schemathesis.Config.from_str(CONFIG + AUTH))


@pytest.fixture(autouse=True)
def fresh_platform(request):
    """Each operation runs on a platform of its own; the risk administration ones as an admin (as a trader
    every one of them is a 403, and its body would never be read)."""
    admin = any(f"{m} /v1/risk/" in request.node.name for m in ("PUT", "POST"))
    APP.state.platform = platform_for(Role.ADMIN if admin else Role.TRADER)
    yield
    APP.state.platform.store.close()


@schema.parametrize()
@settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_the_promises_of_the_openapi_document(case):
    operation = case.operation
    takes_input = any(list(inputs) for inputs in (operation.path_parameters, operation.query, operation.body))
    RUN[operation.label if takes_input else f"{operation.label} (no input)"] += 1
    case.call_and_validate()


@pytest.fixture(scope="module", autouse=True)
def tally():
    """Counts the cases; every operation that ran must have had a real run, not a handful of cases."""
    started = time.monotonic()
    yield RUN
    print(f"\nschemathesis: {sum(RUN.values())} cases over {len(RUN)} operations in {time.monotonic() - started:.1f} s")
    thin = {label: count for label, count in RUN.items() if count < MIN_CASES and "(no input)" not in label}
    assert not thin, f"operations with fewer than {MIN_CASES} cases: {thin}"
