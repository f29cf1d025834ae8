"""Resting orders at stream speed (`make bench`): what one quote costs as the number of accounts with orders
resting on its symbol grows.

- SQLite: N accounts, each with one GTC buy limit 20% under the market and two alerts (20% above and below),
  all on one symbol; the CPU time of one quote (apply_quote with the consumer's indexes warm), the median of
  many, at 10 and at 10,000 accounts side by side. Goal: 10,000 within 1.2x of 10.
- DynamoDB under moto: the items one quote reads (summed from the calls' answers: a query's Count, a get's
  item), warm, at 10 and at 200 accounts. Goal: the same. moto deep-copies items on every call, so time there
  says nothing about DynamoDB, and large setups exhaust memory: items are counted, setups kept small.

Accounts, orders and alerts are written straight to the store in units of work (the orders as the broker
accepted them), so the setup measures nothing of order entry.
"""

from __future__ import annotations

import statistics
import time
from decimal import Decimal

import boto3
from moto import mock_aws

from core.accounts import Account
from core.alerts import Alert, AlertCondition
from core.market import Quote
from core.orders import Order, OrderStatus, OrderType, Side, TimeInForce
from core.sessions import Sessions
from core.usecases import Deps
from core.usecases.market.alert_engine import AlertEngine
from core.usecases.market.quotes import apply_quote
from infra.brokers.paper import PaperBroker
from infra.stores import open_store
from infra.stores.dynamodb import create_table, open_dynamodb_store
from tests.functional.aws_calls import counting_aws_calls, counting_items_read
from tests.support import Clock

SYMBOL, MARKET = "AAPL", Decimal("100.00")
FEW, MANY, DYNAMO_MANY = 10, 10_000, 200
QUOTES, ROUNDS = 200, 5
GOAL_RATIO = 1.2
CHUNK = 20  # accounts per unit: their writes stay under DynamoDB's 100-write transaction limit


def populate(store, accounts: int, now) -> None:
    """``accounts`` accounts, each with a GTC buy limit 20% under the market and two alerts 20% away."""
    for start in range(0, accounts, CHUNK):
        with store.unit() as uow:
            for n in range(start, min(start + CHUNK, accounts)):
                account = f"acct{n:05d}"
                uow.accounts.add(Account(id=account, created_at=now))
                uow.orders.add(Order(
                    id=f"O{n:05d}", account_id=account, symbol=SYMBOL, side=Side.BUY, quantity=Decimal(1),
                    order_type=OrderType.LIMIT, limit_price=MARKET * Decimal("0.8"), time_in_force=TimeInForce.GTC,
                    status=OrderStatus.ACCEPTED, created_at=now, updated_at=now,
                ))
                for condition, level in ((AlertCondition.ABOVE, "1.2"), (AlertCondition.BELOW, "0.8")):
                    uow.alerts.add(Alert(id=f"A{n:05d}{condition.value}", account_id=account, symbol=SYMBOL,
                                         condition=condition, threshold=MARKET * Decimal(level), created_at=now))
            uow.commit()


def deps_on(store) -> Deps:
    return Deps(store=store, broker=PaperBroker(), clock=Clock(), sessions=Sessions.exchange())


def one_quote(deps: Deps, engine: AlertEngine, n: int) -> None:
    """One quote within 0.5% of the market (it reaches no order and no alert), a second after the last."""
    deps.clock.advance(seconds=1)
    bid = MARKET + Decimal(n % 50) / 100
    quote = Quote(symbol=SYMBOL, bid=bid, ask=bid + Decimal("0.02"), time=deps.now())
    engine.refresh(deps, [SYMBOL])
    outcome = apply_quote(deps, engine, quote, quote.mark, quote.mark)
    assert not outcome.stale and not outcome.changed and not outcome.fired


def per_quote_ms(tmp_path, accounts: int) -> float:
    """The median CPU milliseconds of one quote on SQLite with ``accounts`` resting orders, indexes warm."""
    store = open_store(f"sqlite:///{tmp_path / f'resting-{accounts}.db'}")
    deps = deps_on(store)
    populate(store, accounts, deps.now())
    engine = AlertEngine()
    one_quote(deps, engine, 0)  # loads the symbol's orders and alerts once
    rounds = []
    for r in range(ROUNDS):
        start = time.process_time()
        for n in range(QUOTES):
            one_quote(deps, engine, r * QUOTES + n + 1)
        rounds.append((time.process_time() - start) / QUOTES * 1000)
    store.close()
    return statistics.median(rounds)


def test_a_quote_on_sqlite_costs_the_same_with_10_and_10000_resting_orders(tmp_path, say) -> None:
    few, many = per_quote_ms(tmp_path, FEW), per_quote_ms(tmp_path, MANY)
    say(f"resting orders, SQLite: a quote costs {few:.3f} ms (CPU) with {FEW:,} accounts, {many:.3f} ms with "
        f"{MANY:,} ({many / few:.2f}x; goal <= {GOAL_RATIO}x); each account one GTC buy limit 20% under the "
        "market and two alerts")
    assert many <= few * GOAL_RATIO


def items_per_quote(accounts: int) -> tuple[int, int, int]:
    """(items the first quote reads, loading the symbol; items one warm quote reads; its read calls) on DynamoDB
    (moto) with ``accounts`` resting orders."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client, "parley-bench")
        store = open_dynamodb_store("parley-bench", client)
        deps = deps_on(store)
        populate(store, accounts, deps.now())
        engine = AlertEngine()
        with counting_items_read() as cold:
            one_quote(deps, engine, 0)
        one_quote(deps, engine, 1)
        with counting_items_read() as items, counting_aws_calls() as calls:
            one_quote(deps, engine, 2)
        reads = sum(calls[name] for name in ("GetItem", "Query", "BatchGetItem", "TransactGetItems"))
        return sum(cold.values()), sum(items.values()), reads


def test_a_quote_on_dynamodb_reads_the_same_items_with_10_and_200_resting_orders(monkeypatch, say) -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    (cold_few, few, calls_few), (cold_many, many, calls_many) = items_per_quote(FEW), items_per_quote(DYNAMO_MANY)
    say(f"resting orders, DynamoDB (moto): a warm quote reads {few} items in {calls_few} read calls with {FEW} "
        f"accounts, {many} items in {calls_many} calls with {DYNAMO_MANY} (goal: the same); the first quote, "
        f"loading the symbol's orders and alerts once, reads {cold_few} and {cold_many}")
    assert (many, calls_many) == (few, calls_few)
