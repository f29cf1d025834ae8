"""DynamoDB adapter for the storage ports: one table, single-table design, boto3 client injected.

Alerts and conversation turns live in ``dynamodb_chat`` on the same table and helpers.
"""

# Access patterns. Times in keys are fixed-width UTC text, so lexical order is chronological order.
#
#   entity       PK                 SK                 GSI1PK / GSI1SK                      GSI2PK / GSI2SK
#   Account      ACCOUNT#<id>       PROFILE            ACCOUNTS / <id>
#   Order        ORDER#<id>         ORDER              ACCOUNT#<acct>#ORDERS / <created>#<id>
#                                                      open only: GSI2PK OPEN#<symbol>, GSI2SK <created>#<id>
#   Fill         FILL#<id>          FILL               ACCOUNT#<acct>#FILLS / <time>#<id>
#   Position     ACCOUNT#<acct>     POSITION#<symbol>
#   Quote        QUOTE#<symbol>     LATEST             (quote_time: the stored quote's time)
#   Audit        AUDIT#<id>         AUDIT              ACCOUNT#<acct>#AUDIT / <time>#<id>
#   Idempotency  IDEMPOTENCY#<key>  RECORD             (expires_at: epoch seconds, the table's TTL attribute)
#   Settings     SYSTEM             SETTINGS
#   Alert        ALERT#<id>         ALERT              ACCOUNT#<acct>#ALERTS / <created>#<id>
#                                                      active only: GSI2PK ACTIVE_ALERTS#<symbol>, GSI2SK as GSI1SK
#   ChatTurn     CONVERSATION#<acct>#<thread> / SK <time>#<id>   (expires_at: epoch seconds, the TTL attribute)
#   TurnId       TURN#<id>          TURN               (expires_at: its turn's, so the id stays taken as long)
#
#   In CONVERSATION keys the account and thread are written with '%' as %25 and '#' as %23, so a '#' inside
#   a thread ("telegram:1#2") can never make two (account, thread) pairs share a partition.
#
#   accounts.get/add/update      get/put by key; list: query GSI1 ACCOUNTS ascending
#   orders.get/add/update        get/put by key; list_for_account: query GSI1 descending, ``since`` as
#                                GSI1SK >= <since>, ``open_only`` as the filter attribute_exists(GSI2PK)
#   orders.list_open_for_symbol  query GSI2 OPEN#<symbol> ascending: a sparse index, because the GSI2 keys
#                                are written only while the order is accepted or partially_filled
#   fills.add/list_for_account   put keyed by fill id, so one id is written once; query GSI1 ascending
#   positions.get/save/list      get/put by key; query PK = ACCOUNT#<acct> AND begins_with(SK, POSITION#)
#   quotes.put/get/get_many      put only if absent or older (quote_time < new); get; batch_get_item
#   audit.append/list            put keyed by record id; query GSI1 ascending
#   idempotency.claim/complete   put if absent or expired (expires_at <= now); release deletes
#   settings.get/save            get/put SYSTEM/SETTINGS
#   alerts.get/add/update        get/put by key; delete is conditional on attribute_exists(PK) (NotFound);
#                                list_for_account: query GSI1 descending
#   alerts.list_active_for_symbol
#                                query GSI2 ACTIVE_ALERTS#<symbol> ascending: sparse like open orders, the
#                                GSI2 keys are written only while the alert is active
#   conversations.append         one transaction puts the turn and its TurnId marker, each only if absent,
#                                so a turn id is stored once even if a retry gives it another time
#   conversations.recent         query the thread's partition descending with Limit and the filter
#                                expires_at > now; Limit counts items before the filter, so pages are read
#                                until ``limit`` live turns are found or the partition ends; then reversed
#
# Every create is conditional on attribute_not_exists(PK) and every versioned write on the stored version,
# so a retried request never writes twice or over a newer record. Base-table reads are strongly consistent;
# GSI reads are eventually consistent in AWS.

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from core.accounts import Account, SystemSettings
from core.audit import AuditRecord
from core.errors import AlreadyExists, ConcurrentUpdate, NotFound, StoreError
from core.market import Quote
from core.orders import Fill, Order
from core.portfolio import Position
from core.store import ports
from core.store.codec import M, dump, key_time, load, versioned

Item = dict[str, dict[str, Any]]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _ConditionFailed(Exception):
    """A ConditionExpression did not hold; ``old`` is the stored item when DynamoDB returned it."""

    def __init__(self, old: Item | None) -> None:
        super().__init__("conditional check failed")
        self.old = old


def _epoch(moment: datetime) -> Decimal:
    """Exact epoch seconds (microsecond fraction) as a DynamoDB Number, for TTL and comparisons."""
    delta = moment - _EPOCH
    return Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)


def _attrs(**values: str | int | Decimal) -> Item:
    return {name: {"S": v} if isinstance(v, str) else {"N": str(v)} for name, v in values.items()}


class _Table:
    """The few DynamoDB calls the repositories need, with errors translated once."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if _condition_failed(exc.response):
                raise _ConditionFailed(exc.response.get("Item")) from exc
            raise StoreError(f"DynamoDB {operation} failed: {error.get('Code', 'unknown error')}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"DynamoDB {operation} failed: {exc}") from exc

    def put(self, item: Item, condition: str | None = None, **values: str | int | Decimal) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": item}
        if condition:
            kwargs |= {"ConditionExpression": condition, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
            if values:
                kwargs["ExpressionAttributeValues"] = _attrs(**{f":{k}": v for k, v in values.items()})
        self.call("put_item", **kwargs)

    def create(self, item: Item) -> bool:
        """Put ``item`` unless its key exists; True if written."""
        try:
            self.put(item, "attribute_not_exists(PK)")
        except _ConditionFailed:
            return False
        return True

    def create_all(self, items: list[Item]) -> bool:
        """Put every item in one transaction unless any of their keys exists; True if all were written."""
        condition = "attribute_not_exists(PK)"
        puts = [{"Put": {"TableName": self.name, "Item": item, "ConditionExpression": condition}} for item in items]
        try:
            self.call("transact_write_items", TransactItems=puts)
        except _ConditionFailed:
            return False
        return True

    def put_versioned(self, item: Item, expected: int, what: str, *, create: bool = False) -> None:
        condition = "attribute_not_exists(PK)" if create else "version = :expected"
        try:
            self.put(item, condition, **({} if create else {"expected": expected}))
        except _ConditionFailed as failed:
            change = "was changed by someone else" if failed.old or create else "does not exist"
            raise ConcurrentUpdate(f"{what} {change}; reload and retry.", expected=expected) from None

    def get(self, pk: str, sk: str) -> Item | None:
        response = self.call("get_item", TableName=self.name, Key=_attrs(PK=pk, SK=sk), ConsistentRead=True)
        return response.get("Item")

    def delete(self, pk: str, sk: str, condition: str | None = None) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Key": _attrs(PK=pk, SK=sk)}
        if condition:
            kwargs["ConditionExpression"] = condition
        self.call("delete_item", **kwargs)

    def query(
        self,
        key: str,
        *,
        index: str | None = None,
        forward: bool = True,
        filter: str | None = None,
        page: int | None = None,
        **values: str | Decimal,
    ) -> Iterator[Item]:
        """Every item matching ``key``, page after page, in key order (or reversed)."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key,
            "ExpressionAttributeValues": _attrs(**{f":{k}": v for k, v in values.items()}),
            "ScanIndexForward": forward,
        }
        kwargs |= {"IndexName": index} if index else {"ConsistentRead": True}
        if filter:
            kwargs["FilterExpression"] = filter
        if page:
            kwargs["Limit"] = page
        while True:
            response = self.call("query", **kwargs)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _condition_failed(response: dict[str, Any]) -> bool:
    """True if a write was refused by its condition, alone or as part of a cancelled transaction."""
    code = response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException":
        return True
    reasons = response.get("CancellationReasons") or []
    return code == "TransactionCanceledException" and any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)


def _record(model: type[M], item: Item) -> M:
    return load(model, item["data"]["S"])


def _records(model: type[M], items: Iterator[Item], limit: int | None = None) -> list[M]:
    return [_record(model, item) for item in itertools.islice(items, limit)]


def _since(partition: str, since: datetime | None) -> tuple[str, dict[str, str]]:
    """A GSI1 key condition for ``partition``, from ``since`` on when given (sort keys start with the time)."""
    if since is None:
        return "GSI1PK = :pk", {"pk": partition}
    return "GSI1PK = :pk AND GSI1SK >= :since", {"pk": partition, "since": key_time(since)}


class _Repo:
    def __init__(self, table: _Table) -> None:
        self.table = table


class _Versioned(_Repo, Generic[M]):
    """add / get / update of one versioned record under PK=<prefix><id>, SK=<sk>: the shape accounts,
    orders and alerts share. Subclasses name the record and lay out its item (keys and indexes)."""

    model: type[M]
    noun: str
    prefix: str
    sk: str

    def _item(self, record: M, text: str) -> Item:
        raise NotImplementedError

    def _details(self, record_id: str) -> dict[str, str]:
        return {f"{self.noun.lower()}_id": record_id}

    def add(self, record: M) -> M:
        stored, text = versioned(record, 1)
        if not self.table.create(self._item(stored, text)):
            raise AlreadyExists(f"{self.noun} {record.id} already exists.", **self._details(record.id))
        return stored

    def get(self, record_id: str) -> M:
        item = self.table.get(f"{self.prefix}{record_id}", self.sk)
        if item is None:
            raise NotFound(f"{self.noun} {record_id} not found.", **self._details(record_id))
        return _record(self.model, item)

    def update(self, record: M) -> M:
        stored, text = versioned(record, record.version + 1)
        self.table.put_versioned(self._item(stored, text), record.version, f"{self.noun} {record.id}")
        return stored


class DynamoAccounts(_Versioned[Account], ports.AccountRepository):
    model, noun, prefix, sk = Account, "Account", "ACCOUNT#", "PROFILE"

    def _item(self, account: Account, text: str) -> Item:
        return _attrs(
            PK=f"ACCOUNT#{account.id}",
            SK="PROFILE",
            GSI1PK="ACCOUNTS",
            GSI1SK=account.id,
            version=account.version,
            data=text,
        )

    def list(self) -> list[Account]:
        return _records(Account, self.table.query("GSI1PK = :pk", index="GSI1", pk="ACCOUNTS"))


class DynamoOrders(_Versioned[Order], ports.OrderRepository):
    model, noun, prefix, sk = Order, "Order", "ORDER#", "ORDER"

    def _item(self, order: Order, text: str) -> Item:
        when = f"{key_time(order.created_at)}#{order.id}"
        keys = {"GSI2PK": f"OPEN#{order.symbol}", "GSI2SK": when} if order.status.is_open else {}
        return _attrs(
            PK=f"ORDER#{order.id}",
            SK="ORDER",
            GSI1PK=f"ACCOUNT#{order.account_id}#ORDERS",
            GSI1SK=when,
            version=order.version,
            data=text,
            **keys,
        )

    def list_for_account(
        self, account_id: str, *, since: datetime | None = None, open_only: bool = False, limit: int | None = None
    ) -> list[Order]:
        key, bounds = _since(f"ACCOUNT#{account_id}#ORDERS", since)
        items = self.table.query(
            key,
            index="GSI1",
            forward=False,
            filter="attribute_exists(GSI2PK)" if open_only else None,
            page=None if open_only else limit,
            **bounds,
        )
        return _records(Order, items, limit)

    def list_open_for_symbol(self, symbol: str) -> list[Order]:
        return _records(Order, self.table.query("GSI2PK = :pk", index="GSI2", pk=f"OPEN#{symbol}"))


class DynamoFills(_Repo, ports.FillRepository):
    def add(self, fill: Fill) -> bool:
        when = f"{key_time(fill.time)}#{fill.id}"
        return self.table.create(
            _attrs(
                PK=f"FILL#{fill.id}", SK="FILL", GSI1PK=f"ACCOUNT#{fill.account_id}#FILLS", GSI1SK=when, data=dump(fill)
            )
        )

    def list_for_account(self, account_id: str, *, since: datetime | None = None) -> list[Fill]:
        key, bounds = _since(f"ACCOUNT#{account_id}#FILLS", since)
        items = self.table.query(key, index="GSI1", **bounds)
        return _records(Fill, items)


class DynamoPositions(_Repo, ports.PositionRepository):
    def get(self, account_id: str, symbol: str) -> Position | None:
        item = self.table.get(f"ACCOUNT#{account_id}", f"POSITION#{symbol}")
        return _record(Position, item) if item else None

    def save(self, position: Position) -> Position:
        stored, text = versioned(position, position.version + 1)
        item = _attrs(
            PK=f"ACCOUNT#{position.account_id}", SK=f"POSITION#{position.symbol}", version=stored.version, data=text
        )
        what = f"Position {position.account_id}/{position.symbol}"
        self.table.put_versioned(item, position.version, what, create=position.version == 0)
        return stored

    def list_for_account(self, account_id: str) -> list[Position]:
        items = self.table.query(
            "PK = :pk AND begins_with(SK, :prefix)", pk=f"ACCOUNT#{account_id}", prefix="POSITION#"
        )
        return _records(Position, items)


class DynamoQuotes(_Repo, ports.QuoteRepository):
    def put(self, quote: Quote) -> bool:
        time = key_time(quote.time)
        item = _attrs(PK=f"QUOTE#{quote.symbol}", SK="LATEST", quote_time=time, data=dump(quote))
        try:
            self.table.put(item, "attribute_not_exists(PK) OR quote_time < :time", time=time)
        except _ConditionFailed:
            return False
        return True

    def get(self, symbol: str) -> Quote | None:
        item = self.table.get(f"QUOTE#{symbol}", "LATEST")
        return _record(Quote, item) if item else None

    def get_many(self, symbols: list[str]) -> dict[str, Quote]:
        found: dict[str, Quote] = {}
        wanted = sorted(set(symbols))
        for start in range(0, len(wanted), 100):  # BatchGetItem takes at most 100 keys
            keys = [_attrs(PK=f"QUOTE#{symbol}", SK="LATEST") for symbol in wanted[start : start + 100]]
            request = {self.table.name: {"Keys": keys, "ConsistentRead": True}}
            for _ in range(10):  # throttled keys come back unprocessed; ask again for them
                response = self.table.call("batch_get_item", RequestItems=request)
                for item in response.get("Responses", {}).get(self.table.name, []):
                    quote = _record(Quote, item)
                    found[quote.symbol] = quote
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise StoreError("DynamoDB kept quote keys unprocessed; try again later.")
        return found


class DynamoAudit(_Repo, ports.AuditLog):
    def append(self, record: AuditRecord) -> None:
        item = _attrs(
            PK=f"AUDIT#{record.id}",
            SK="AUDIT",
            GSI1PK=f"ACCOUNT#{record.account_id}#AUDIT",
            GSI1SK=f"{key_time(record.time)}#{record.id}",
            data=dump(record),
        )
        if not self.table.create(item):
            raise AlreadyExists(f"Audit record {record.id} already exists.", record_id=record.id)

    def list_for_account(self, account_id: str, *, limit: int | None = None) -> list[AuditRecord]:
        items = self.table.query("GSI1PK = :pk", index="GSI1", page=limit, pk=f"ACCOUNT#{account_id}#AUDIT")
        return _records(AuditRecord, items, limit)


class DynamoIdempotency(_Repo, ports.IdempotencyStore):
    def _item(self, record: ports.IdempotencyRecord) -> Item:
        return _attrs(
            PK=f"IDEMPOTENCY#{record.key}", SK="RECORD", expires_at=_epoch(record.expires_at), data=dump(record)
        )

    def claim(self, key: str, fingerprint: str, *, now: datetime, ttl_seconds: int) -> ports.IdempotencyRecord | None:
        expires_at = now + timedelta(seconds=ttl_seconds)
        record = ports.IdempotencyRecord(key=key, fingerprint=fingerprint, expires_at=expires_at)
        for _ in range(5):  # the live record may be released between our failed put and our read
            try:
                self.table.put(self._item(record), "attribute_not_exists(PK) OR expires_at <= :now", now=_epoch(now))
                return None
            except _ConditionFailed as failed:
                live = failed.old or self.table.get(f"IDEMPOTENCY#{key}", "RECORD")
                if live is not None:
                    return _record(ports.IdempotencyRecord, live)
        raise StoreError(f"Could not claim idempotency key {key!r}: it keeps changing.")

    def complete(self, key: str, result: dict[str, Any]) -> None:
        item = self.table.get(f"IDEMPOTENCY#{key}", "RECORD")
        if item is None:
            raise NotFound(f"No idempotency record for key {key!r}.", key=key)
        record = _record(ports.IdempotencyRecord, item)
        done = record.model_copy(update={"status": ports.IdempotencyStatus.COMPLETED, "result": result})
        try:  # only the claim we read: a release and re-claim in between is somebody else's record
            self.table.put(self._item(done), "expires_at = :expires", expires=_epoch(record.expires_at))
        except _ConditionFailed:
            raise NotFound(f"The claim on idempotency key {key!r} is gone.", key=key) from None

    def release(self, key: str) -> None:
        self.table.delete(f"IDEMPOTENCY#{key}", "RECORD")


class DynamoSettings(_Repo, ports.SettingsRepository):
    def get(self) -> SystemSettings:
        item = self.table.get("SYSTEM", "SETTINGS")
        return _record(SystemSettings, item) if item else SystemSettings()

    def save(self, settings: SystemSettings) -> SystemSettings:
        stored, text = versioned(settings, settings.version + 1)
        item = _attrs(PK="SYSTEM", SK="SETTINGS", version=stored.version, data=text)
        self.table.put_versioned(item, settings.version, "Settings", create=settings.version == 0)
        return stored


def open_dynamodb_store(table_name: str, client: Any = None) -> ports.Store:
    """The repositories over ``table_name``; ``client`` is a boto3 DynamoDB client (built if omitted)."""
    from core.store.dynamodb_chat import DynamoAlerts, DynamoConversations  # it builds on this module

    table = _Table(client if client is not None else boto3.client("dynamodb"), table_name)
    return ports.Store(
        accounts=DynamoAccounts(table),
        orders=DynamoOrders(table),
        fills=DynamoFills(table),
        positions=DynamoPositions(table),
        quotes=DynamoQuotes(table),
        audit=DynamoAudit(table),
        idempotency=DynamoIdempotency(table),
        settings=DynamoSettings(table),
        alerts=DynamoAlerts(table),
        conversations=DynamoConversations(table),
    )


def create_table(client: Any, table_name: str) -> None:
    """Create the table (the schema the SAM template declares), wait for it, and switch on TTL."""
    string_keys = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")

    def index(name: str) -> dict[str, Any]:
        keys = [{"AttributeName": f"{name}PK", "KeyType": "HASH"}, {"AttributeName": f"{name}SK", "KeyType": "RANGE"}]
        return {"IndexName": name, "KeySchema": keys, "Projection": {"ProjectionType": "ALL"}}

    table = _Table(client, table_name)
    table.call(
        "create_table",
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in string_keys],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[index("GSI1"), index("GSI2")],
    )
    try:
        client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    except BotoCoreError as exc:
        raise StoreError(f"DynamoDB table {table_name} did not become active: {exc}") from exc
    table.call(
        "update_time_to_live",
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
