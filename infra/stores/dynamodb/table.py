"""The DynamoDB table every repository of ``infra.stores.dynamodb`` shares: item helpers, the few calls they
make (errors translated once, here), conditional writes that go out alone or, in a unit of work, wait in a
``UnitTable`` and go out together as one transaction, and ``create_table`` (tests and local runs only).

The keys and access patterns are listed in ``infra.stores.dynamodb``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic

from botocore.exceptions import BotoCoreError, ClientError

from core.errors import AlreadyExists, ConcurrentUpdate, NotFound, StoreError
from infra import aws
from infra.stores.codec import M, load, versioned

Item = dict[str, dict[str, Any]]
Key = tuple[str, str]  # (PK, SK)

MAX_TRANSACTION_ITEMS = 100  # TransactWriteItems takes at most 100 actions
MAX_BATCH_KEYS = 100  # BatchGetItem takes at most 100 keys
BATCH_ATTEMPTS = 10

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ABSENT = "attribute_not_exists(PK)"


class ConditionFailed(Exception):
    """A ConditionExpression did not hold. ``old`` is the stored item when DynamoDB returned it; ``index`` is
    the position of the refused action in a transaction (0 for a single write)."""

    def __init__(self, old: Item | None, index: int = 0) -> None:
        super().__init__("conditional check failed")
        self.old = old
        self.index = index


def epoch(moment: datetime) -> Decimal:
    """Exact epoch seconds (microsecond fraction) as a DynamoDB Number, for TTL and comparisons."""
    delta = moment - _EPOCH
    return Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)


def attrs(**values: str | int | Decimal) -> Item:
    """DynamoDB attribute values: str as S, numbers as N."""
    return {name: {"S": v} if isinstance(v, str) else {"N": str(v)} for name, v in values.items()}


def key(pk: str, sk: str) -> Item:
    return attrs(PK=pk, SK=sk)


def from_item(model: type[M], item: Item) -> M:
    return load(model, item["data"]["S"])


def from_items(model: type[M], items: Iterator[Item], limit: int | None = None) -> list[M]:
    return [from_item(model, item) for item in itertools.islice(items, limit)]


Conflict = Callable[[Item | None], Exception]
"""Builds the domain error for a refused write, from the stored item when it is known (None: absent)."""


@dataclass(frozen=True)
class Write:
    """One conditional write: put ``item``, or with ``item`` None delete ``key``, only if ``condition`` holds.

    ``holds`` is the same condition evaluated on an item in hand (a write the unit buffered earlier), and
    ``conflict`` builds the error to raise when the condition fails.
    """

    key: Key
    item: Item | None
    condition: str
    holds: Callable[[Item | None], bool]
    conflict: Conflict
    values: Item = field(default_factory=dict)

    def action(self, table: str) -> tuple[str, dict[str, Any]]:
        """("Put" | "Delete", the request body), as PutItem/DeleteItem or a TransactWriteItems entry take it."""
        body: dict[str, Any] = {
            "TableName": table,
            "ConditionExpression": self.condition,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if self.values:
            body["ExpressionAttributeValues"] = self.values
        if self.item is None:
            return "Delete", body | {"Key": key(*self.key)}
        return "Put", body | {"Item": self.item}

    def then(self, later: Write) -> Write:
        """The one write standing for this write followed by ``later`` on the same key: ``later``'s item under
        this write's condition and error (an add then an update is one conditional create of the result)."""
        return replace(self, item=later.item)


def _item_key(item: Item) -> Key:
    return item["PK"]["S"], item["SK"]["S"]


def create(item: Item, conflict: Conflict) -> Write:
    """Put ``item`` only if its key is free."""
    return Write(_item_key(item), item, _ABSENT, lambda old: old is None, conflict)


def already_exists(message: str, **details: Any) -> Conflict:
    return lambda old: AlreadyExists(message, **details)


def put_versioned(item: Item, expected: int, what: str, *, create: bool = False) -> Write:
    """Put ``item`` only if the stored version is ``expected``; with ``create``, only if nothing is stored."""

    def conflict(old: Item | None) -> Exception:
        change = "was changed by someone else" if old or create else "does not exist"
        return ConcurrentUpdate(f"{what} {change}; reload and retry.", expected=expected, missing=not old)

    if create:
        return Write(_item_key(item), item, _ABSENT, lambda old: old is None, conflict)
    version = {"N": str(expected)}
    return Write(
        _item_key(item),
        item,
        "version = :expected",
        lambda old: old is not None and old.get("version") == version,
        conflict,
        {":expected": version},
    )


def delete_existing(pk: str, sk: str, missing: NotFound) -> Write:
    """Delete the item at (pk, sk), raising ``missing`` if there is none."""
    return Write((pk, sk), None, "attribute_exists(PK)", lambda old: old is not None, lambda old: missing)


def _refused(response: dict[str, Any]) -> ConditionFailed | None:
    """The refused condition of a failed call, alone or inside a cancelled transaction; None if it was not one."""
    code = response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException":
        return ConditionFailed(response.get("Item"))
    if code == "TransactionCanceledException":
        # CancellationReasons has one entry per action, in request order: the index names the refused write.
        for index, reason in enumerate(response.get("CancellationReasons") or []):
            if reason.get("Code") == "ConditionalCheckFailed":
                return ConditionFailed(reason.get("Item"), index)
    return None


def _contended(response: dict[str, Any]) -> bool:
    """True if the call lost a race with a transaction on the same items (worth a reload and retry)."""
    code = response.get("Error", {}).get("Code")
    reasons = response.get("CancellationReasons") or []
    return code == "TransactionConflictException" or (
        code == "TransactionCanceledException" and any(r.get("Code") == "TransactionConflict" for r in reasons)
    )


class Table:
    """The few DynamoDB calls the repositories need, with errors translated once."""

    def __init__(self, client: Any, name: str) -> None:
        self._client = client
        self.name = name

    @property
    def client(self) -> Any:
        """The injected client, or else the process's DynamoDB client, built on the first call, not at import."""
        if self._client is None:
            self._client = aws.client("dynamodb")
        return self._client

    def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            refused = _refused(exc.response)
            if refused is not None:
                raise refused from exc
            if _contended(exc.response):
                raise ConcurrentUpdate("Another request was writing the same records; reload and retry.") from exc
            code = exc.response.get("Error", {}).get("Code", "unknown error")
            raise StoreError(f"DynamoDB {operation} failed: {code}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"DynamoDB {operation} failed: {exc}") from exc

    def put(self, item: Item, condition: str | None = None, **values: str | int | Decimal) -> None:
        """A put on its own; ConditionFailed if ``condition`` does not hold (for writes outside units)."""
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": item}
        if condition:
            kwargs |= {"ConditionExpression": condition, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
            if values:
                kwargs["ExpressionAttributeValues"] = attrs(**{f":{k}": v for k, v in values.items()})
        self.call("put_item", **kwargs)

    def delete(self, pk: str, sk: str) -> None:
        """An unconditional delete on its own (for writes outside units)."""
        self.call("delete_item", TableName=self.name, Key=key(pk, sk))

    def write(self, write: Write) -> None:
        """Send ``write`` now, as one conditional PutItem or DeleteItem; its conflict error if refused."""
        kind, body = write.action(self.name)
        try:
            self.call("put_item" if kind == "Put" else "delete_item", **body)
        except ConditionFailed as refused:
            raise write.conflict(refused.old) from None

    def write_all(self, writes: list[Write]) -> None:
        """Send ``writes`` (one per key) so that all are kept or none: one TransactWriteItems, or a single
        conditional write when there is only one. If a condition fails, the refused write's conflict error.

        More than MAX_TRANSACTION_ITEMS writes raise StoreError before anything is sent: splitting them over
        several transactions would give up the all-or-nothing promise, so callers keep their units small."""
        if not writes:
            return
        if len(writes) == 1:
            self.write(writes[0])
            return
        if len(writes) > MAX_TRANSACTION_ITEMS:
            raise StoreError(
                f"{len(writes)} writes cannot commit together: DynamoDB takes at most {MAX_TRANSACTION_ITEMS}"
                " in one transaction. Nothing was written."
            )
        actions = [dict([write.action(self.name)]) for write in writes]
        try:
            self.call("transact_write_items", TransactItems=actions)
        except ConditionFailed as refused:
            raise writes[refused.index].conflict(refused.old) from None

    def get(self, pk: str, sk: str) -> Item | None:
        response = self.call("get_item", TableName=self.name, Key=key(pk, sk), ConsistentRead=True)
        return response.get("Item")

    def get_many(self, keys: list[Item]) -> list[Item]:
        """The stored items among ``keys`` (distinct), in any order: BatchGetItem in chunks of 100 keys."""
        found: list[Item] = []
        for start in range(0, len(keys), MAX_BATCH_KEYS):
            request = {self.name: {"Keys": keys[start : start + MAX_BATCH_KEYS], "ConsistentRead": True}}
            for attempt in range(BATCH_ATTEMPTS):
                if attempt:  # throttled keys come back unprocessed; ask again for them, backing off a little
                    time.sleep(min(0.01 * 2**attempt, 0.5))
                response = self.call("batch_get_item", RequestItems=request)
                found.extend(response.get("Responses", {}).get(self.name, []))
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise StoreError("DynamoDB kept keys unprocessed; try again later.")
        return found

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
            "ExpressionAttributeValues": attrs(**{f":{k}": v for k, v in values.items()}),
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


class UnitTable(Table):
    """The table as one unit of work sees it: writes wait, one per key, until commit() sends them together
    (``Table.write_all``); ``get`` sees them first (read your writes), queries and batch reads pass through.

    A second write to a key replaces the first but keeps the first one's condition, so what commit checks is
    the stored item the unit started from. The second write's own condition is checked at once against the
    buffered item: a refused write raises here and dooms the unit (commit raises it again, sending nothing).

    Reads are remembered too (an identity map): an item the unit has read by key, or met in a strongly
    consistent base-table query, is not read again, and a key inside a ``begins_with`` range the unit has
    queried whole is known to be absent. A use case that lists the account's positions for the risk gate
    therefore books a fill without another round trip. This is safe because every write of the unit is
    conditional on what it read: if the item changed meanwhile, commit() fails and nothing is kept.
    """

    def __init__(self, table: Table) -> None:
        super().__init__(table.client, table.name)
        self._table = table
        self._writes: dict[Key, Write] = {}
        self._failure: Exception | None = None
        self._closed = False
        self._seen: dict[Key, Item | None] = {}
        self._covered: set[tuple[str, str]] = set()  # (PK, SK prefix) ranges read whole

    def write(self, write: Write) -> None:
        if self._closed:
            raise RuntimeError("write through a unit of work after its commit or rollback")
        earlier = self._writes.get(write.key)
        if earlier is not None:
            if not write.holds(earlier.item):
                error = write.conflict(earlier.item)
                self._failure = self._failure or error
                raise error
            write = earlier.then(write)
        self._writes[write.key] = write

    def get(self, pk: str, sk: str) -> Item | None:
        if (pk, sk) in self._writes:
            return self._writes[(pk, sk)].item
        if (pk, sk) in self._seen:
            return self._seen[(pk, sk)]
        if any(pk == covered and sk.startswith(prefix) for covered, prefix in self._covered):
            return None
        found = self._table.get(pk, sk)
        self._seen[(pk, sk)] = found
        return found

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
        """Pass through; a base-table query's items (strongly consistent) are remembered for ``get``."""
        items = self._table.query(key, index=index, forward=forward, filter=filter, page=page, **values)
        if index is not None or filter is not None:
            yield from items
            return
        for item in items:
            self._seen.setdefault((item["PK"]["S"], item["SK"]["S"]), item)
            yield item
        if key == "PK = :pk AND begins_with(SK, :prefix)" and not page:
            self._covered.add((str(values["pk"]), str(values["prefix"])))
        elif key == "PK = :pk" and not page:
            self._covered.add((str(values["pk"]), ""))

    def buffered(self, pk: str, sk: str) -> bool:
        return (pk, sk) in self._writes

    def put(self, item: Item, condition: str | None = None, **values: str | int | Decimal) -> None:
        raise TypeError("only conditional writes (Write) go through a unit of work")

    def delete(self, pk: str, sk: str) -> None:
        raise TypeError("only conditional writes (Write) go through a unit of work")

    def commit(self) -> None:
        """Send every buffered write in one call; after a refused write, raise it and send nothing."""
        if self._closed:
            return
        writes, failure = list(self._writes.values()), self._failure
        self.discard()
        if failure is not None:
            raise failure
        self._table.write_all(writes)

    def discard(self) -> None:
        self._writes = {}
        self._closed = True


class Repo:
    def __init__(self, table: Table) -> None:
        self.table = table


class Versioned(Repo, Generic[M]):
    """add / get / update of one versioned record under PK=<prefix><id>, SK=<sk>: the shape accounts,
    orders and alerts share. Subclasses name the record and lay out its item (keys and indexes)."""

    model: type[M]
    noun: str
    prefix: str
    sk: str

    def item(self, record: M, text: str) -> Item:
        raise NotImplementedError

    def details(self, record_id: str) -> dict[str, str]:
        return {f"{self.noun.lower()}_id": record_id}

    def add(self, record: M) -> M:
        stored, text = versioned(record, 1)
        taken = already_exists(f"{self.noun} {record.id} already exists.", **self.details(record.id))
        self.table.write(create(self.item(stored, text), taken))
        return stored

    def get(self, record_id: str) -> M:
        item = self.table.get(f"{self.prefix}{record_id}", self.sk)
        if item is None:
            raise NotFound(f"{self.noun} {record_id} not found.", **self.details(record_id))
        return from_item(self.model, item)

    def update(self, record: M) -> M:
        stored, text = versioned(record, record.version + 1)
        self.table.write(put_versioned(self.item(stored, text), record.version, f"{self.noun} {record.id}"))
        return stored


def create_table(client: Any, table_name: str) -> None:
    """Create the table (the schema the SAM template declares), wait for it, and switch on TTL."""
    string_keys = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")

    def index(name: str) -> dict[str, Any]:
        keys = [{"AttributeName": f"{name}PK", "KeyType": "HASH"}, {"AttributeName": f"{name}SK", "KeyType": "RANGE"}]
        return {"IndexName": name, "KeySchema": keys, "Projection": {"ProjectionType": "ALL"}}

    table = Table(client, table_name)
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
