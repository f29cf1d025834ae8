"""DynamoDB adapter for the storage ports: one table, single-table design, boto3 client injected.

The table helpers (item layout, calls, conditional writes, the unit's write buffer) are in ``dynamodb_table``;
alerts and conversation turns live in ``dynamodb_chat`` on the same table and helpers. This module builds the
store from both.
"""

# Access patterns. Times in keys are fixed-width UTC text, so lexical order is chronological order.
#
#   entity       PK                 SK                 GSI1PK / GSI1SK                      GSI2PK / GSI2SK
#   Account      ACCOUNT#<id>       PROFILE            ACCOUNTS / <id>
#   Order        ORDER#<id>         ORDER              ACCOUNT#<acct>#ORDERS / <created>#<id>
#                                                      open only: GSI2PK OPEN#<symbol>, GSI2SK <created>#<id>
#   Fill         FILL#<id>          FILL               ACCOUNT#<acct>#FILLS / <time>#<id>
#   Position     ACCOUNT#<acct>     POSITION#<symbol>
#   RiskBook     ACCOUNT#<acct>     BOOK
#   Quote        QUOTE#<symbol>     LATEST             (quote_time: the stored quote's time)
#   SessionClose QUOTE#<symbol>     CLOSE              (close_at: the latest recorded close)
#   Audit        AUDIT#<id>         AUDIT              ACCOUNT#<acct>#AUDIT / <time>#<id>
#   Idempotency  IDEMPOTENCY#<key>  RECORD             (expires_at: epoch seconds, the table's TTL attribute)
#   Settings     SYSTEM             SETTINGS
#   Alert        ALERT#<id>         ALERT              ACCOUNT#<acct>#ALERTS / <created>#<id>
#                                                      active only: GSI2PK ACTIVE_ALERTS#<symbol>, GSI2SK as GSI1SK
#   ChatTurn     CONVERSATION#<acct>#<thread> / SK <time>#<id>   (expires_at: epoch seconds, the TTL attribute)
#   AlertChange  ALERT_CHANGES      <seq, 12 digits>   (expires_at: a day on); the head ALERT_CHANGES / #HEAD
#                                                      holds the last seq as its version
#   OrderChange  ORDER_CHANGES#<symbol> <seq, 12 digits> as AlertChange, one log per symbol, each with its own
#                                                      head ORDER_CHANGES#<symbol> / #HEAD
#   Notification NOTIFICATION#<id>  NOTIFICATION       ACCOUNT#<acct>#NOTIFICATIONS / <created>#<id>
#                                                      unsent only: GSI2PK OUTBOX, GSI2SK <created>#<id>
#   SignalSource SIGNAL_SOURCE#<id> SOURCE             ACCOUNT#<acct>#SIGNAL_SOURCES / <created>#<id>
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
#   orders.log_change/changes_since
#                                as alerts.log_change and alerts.changes_since, in the order's symbol's
#                                partition ORDER_CHANGES#<symbol>: order writes on different symbols touch
#                                disjoint heads, so they never conflict (one log head for all would make
#                                every two concurrent order writes on the platform contend)
#   fills.add/list_for_account   put keyed by fill id if absent (AlreadyExists), so one id is written once;
#                                query GSI1 ascending
#   positions.get/save/list      get/put by key; list: query the partition PK = ACCOUNT#<acct> (profile, book
#                                and positions; the positions kept), which a unit remembers whole
#   books.get/save               ACCOUNT#<acct> / BOOK, versioned like the profile
#   quotes.put/get/get_many      put only if absent or older (quote_time < new); get; batch_get_item in
#                                chunks of 100 keys, asking again for UnprocessedKeys
#   quotes.put_close/get_closes  QUOTE#<symbol> / CLOSE, put only if absent or an earlier close (close_at <
#                                new); batch_get_item like get_many
#   prices_and_settings          one batch_get_item: the quote and close keys and SYSTEM/SETTINGS together (in
#                                a unit that saved settings, its own settings and one batch_get_item of prices)
#   audit.append/list            put keyed by record id if absent (AlreadyExists); query GSI1 ascending
#   idempotency.claim/complete   put if absent or expired (expires_at <= now); release deletes
#   settings.get/save            get/put SYSTEM/SETTINGS
#   alerts.get/add/update        get/put by key; delete is conditional on attribute_exists(PK) (NotFound);
#                                list_for_account: query GSI1 descending
#   alerts.list_active_for_symbol
#                                query GSI2 ACTIVE_ALERTS#<symbol> ascending: sparse like open orders, the
#                                GSI2 keys are written only while the alert is active
#   alerts.log_change            read the head (in the unit), then put head version+1 (conditional on the
#                                version read) and create the entry, in the unit's transaction: numbers
#                                are taken in commit order with no gaps; a racing writer's commit fails
#   alerts.changes_since         query PK = ALERT_CHANGES AND SK > <cursor> (strongly consistent)
#   notifications.add/get/list   create if absent (AlreadyExists); list_for_account: query GSI1 descending;
#                                list_unsent: query GSI2 OUTBOX ascending (sparse: the keys go when sent)
#   notifications.mark_sent      put the item again without its GSI2 keys, only if it exists
#   quotes.put in a unit         a conditional put (quote_time < new) that waits for the unit's commit, so a
#                                quote and what it caused commit together; a stale quote fails the commit
#   conversations.append         one transaction puts the turn and its TurnId marker, each only if absent,
#                                so a turn id is stored once even if a retry gives it another time
#   conversations.append_many    one transaction for up to 50 turns and their markers; if a turn id is taken
#                                the transaction is refused whole, and the turns are appended one by one
#   conversations.recent         query the thread's partition descending with Limit and the filter
#                                expires_at > now; Limit counts items before the filter, so pages are read
#                                until ``limit`` live turns are found or the partition ends; then reversed
#
#   unit of work                 get by key sees the unit's own writes; queries read the table. Writes wait
#                                in the unit, one per key, each with its condition; a second write to a key
#                                replaces the first under the first one's condition (add then update: one
#                                conditional create of the result). commit() sends them as one
#                                transact_write_items (a single write as one conditional put/delete). A
#                                refused condition cancels them all; its CancellationReasons entry names the
#                                write, whose domain error is raised. More than 100 writes (the transaction
#                                limit) raise StoreError at commit before anything is sent. A quote put
#                                through a unit joins it (see quotes.put in a unit below).
#
# Every create is conditional on attribute_not_exists(PK) and every versioned write on the stored version,
# so a retried request never writes twice or over a newer record. Base-table reads are strongly consistent;
# GSI reads are eventually consistent in AWS.

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError

from core.accounts import Account, SystemSettings
from core.audit import AuditRecord
from core.errors import NotFound, StaleQuote, StoreError
from core.market import Quote, SessionClose
from core.orders import Fill, Order, OrderChange
from core.portfolio import Position
from core.ports import store as ports
from core.risk_book import RiskBook
from infra.stores.codec import dump, key_time, load, versioned
from infra.stores.dynamodb_channels import DynamoContacts, DynamoLinkCodes, DynamoMessages
from infra.stores.dynamodb_chat import DynamoAlerts, DynamoConversations
from infra.stores.dynamodb_outbox import (
    DynamoNotifications,
    DynamoSignalSources,
    entries_since,
    last_entry,
    log_entry,
    order_log,
)
from infra.stores.dynamodb_table import (
    ConditionFailed,
    Item,
    Repo,
    Table,
    UnitTable,
    Versioned,
    Write,
    already_exists,
    attrs,
    create,
    epoch,
    from_item,
    from_items,
    key,
    put_versioned,
)


def _since(partition: str, since: datetime | None) -> tuple[str, dict[str, str]]:
    """A GSI1 key condition for ``partition``, from ``since`` on when given (sort keys start with the time)."""
    if since is None:
        return "GSI1PK = :pk", {"pk": partition}
    return "GSI1PK = :pk AND GSI1SK >= :since", {"pk": partition, "since": key_time(since)}


class DynamoAccounts(Versioned[Account], ports.AccountRepository):
    model, noun, prefix, sk = Account, "Account", "ACCOUNT#", "PROFILE"

    def item(self, account: Account, text: str) -> Item:
        return attrs(
            PK=f"ACCOUNT#{account.id}",
            SK="PROFILE",
            GSI1PK="ACCOUNTS",
            GSI1SK=account.id,
            version=account.version,
            data=text,
        )

    def list(self) -> list[Account]:
        return from_items(Account, self.table.query("GSI1PK = :pk", index="GSI1", pk="ACCOUNTS"))


class DynamoOrders(Versioned[Order], ports.OrderRepository):
    model, noun, prefix, sk = Order, "Order", "ORDER#", "ORDER"

    def item(self, order: Order, text: str) -> Item:
        when = f"{key_time(order.created_at)}#{order.id}"
        keys = {"GSI2PK": f"OPEN#{order.symbol}", "GSI2SK": when} if order.status.is_open else {}
        return attrs(
            PK=f"ORDER#{order.id}",
            SK="ORDER",
            GSI1PK=f"ACCOUNT#{order.account_id}#ORDERS",
            GSI1SK=when,
            version=order.version,
            data=text,
            **keys,
        )

    def list_for_account(
        self, account_id: str, *, since: datetime | None = None, open_only: bool = False, limit: int | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[Order]:
        condition, bounds = _since(f"ACCOUNT#{account_id}#ORDERS", since)
        ceiling = f"{key_time(before[0])}#{before[1]}" if before is not None else None
        if ceiling is not None and since is not None and ceiling < bounds["since"]:
            return []  # nothing is both after the cursor and at or after ``since``
        if ceiling is not None:  # GSI1SK is "<created_at>#<id>": the key condition starts the read after that order
            upper = "GSI1SK < :before" if since is None else "GSI1SK BETWEEN :since AND :before"
            condition, bounds = f"GSI1PK = :pk AND {upper}", bounds | {"before": ceiling}
        items = self.table.query(
            condition,
            index="GSI1",
            forward=False,
            filter="attribute_exists(GSI2PK)" if open_only else None,
            page=None if open_only else limit,
            **bounds,
        )
        if ceiling is not None and since is not None:  # BETWEEN takes the cursor's own order too
            items = (item for item in items if item["GSI1SK"]["S"] != ceiling)
        return from_items(Order, items, limit)

    def list_open_for_symbol(self, symbol: str) -> list[Order]:
        return from_items(Order, self.table.query("GSI2PK = :pk", index="GSI2", pk=f"OPEN#{symbol}"))

    def log_change(self, order: Order, time: datetime) -> None:
        log_entry(self.table, order_log(order.symbol), dump(order), time)

    def changes_since(self, symbol: str, cursor: int) -> list[OrderChange]:
        entries = entries_since(self.table, order_log(symbol), cursor)
        return [OrderChange(seq=seq, time=time, order=load(Order, data)) for seq, time, data in entries]

    def last_change(self, symbol: str) -> int:
        return last_entry(self.table, order_log(symbol))


class DynamoFills(Repo, ports.FillRepository):
    def add(self, fill: Fill) -> None:
        when = f"{key_time(fill.time)}#{fill.sequence:012d}#{fill.id}"  # booking order within one instant
        item = attrs(
            PK=f"FILL#{fill.id}", SK="FILL", GSI1PK=f"ACCOUNT#{fill.account_id}#FILLS", GSI1SK=when, data=dump(fill)
        )
        self.table.write(create(item, already_exists(f"Fill {fill.id} is already recorded.", fill_id=fill.id)))

    def list_for_account(self, account_id: str, *, since: datetime | None = None) -> list[Fill]:
        condition, bounds = _since(f"ACCOUNT#{account_id}#FILLS", since)
        items = self.table.query(condition, index="GSI1", **bounds)
        return from_items(Fill, items)


class DynamoPositions(Repo, ports.PositionRepository):
    def get(self, account_id: str, symbol: str) -> Position | None:
        item = self.table.get(f"ACCOUNT#{account_id}", f"POSITION#{symbol}")
        return from_item(Position, item) if item else None

    def save(self, position: Position) -> Position:
        stored, text = versioned(position, position.version + 1)
        item = attrs(
            PK=f"ACCOUNT#{position.account_id}", SK=f"POSITION#{position.symbol}", version=stored.version, data=text
        )
        what = f"Position {position.account_id}/{position.symbol}"
        self.table.write(put_versioned(item, position.version, what, create=position.version == 0))
        return stored

    def list_for_account(self, account_id: str) -> list[Position]:
        # The whole account partition (profile, risk book, positions) in one query: a unit of work remembers
        # every item it read, so the risk gate's account and book cost no second round trip.
        items = self.table.query("PK = :pk", pk=f"ACCOUNT#{account_id}")
        return from_items(Position, (item for item in items if item["SK"]["S"].startswith("POSITION#")))


class DynamoQuotes(Repo, ports.QuoteRepository):
    def put(self, quote: Quote) -> bool:
        time = key_time(quote.time)
        item = attrs(PK=f"QUOTE#{quote.symbol}", SK="LATEST", quote_time=time, data=dump(quote))
        if isinstance(self.table, UnitTable):  # decided at commit: True here, StaleQuote from commit()
            self.table.write(_newer_quote(item, time, quote.symbol))
            return True
        try:
            self.table.put(item, "attribute_not_exists(PK) OR quote_time < :time", time=time)
        except ConditionFailed:
            return False
        return True

    def get(self, symbol: str) -> Quote | None:
        item = self.table.get(f"QUOTE#{symbol}", "LATEST")
        return from_item(Quote, item) if item else None

    def get_many(self, symbols: list[str]) -> dict[str, Quote]:
        return _quotes(self.table.get_many(_quote_keys(symbols)))

    def put_close(self, close: SessionClose) -> None:
        at = key_time(close.at)
        item = attrs(PK=f"QUOTE#{close.symbol}", SK="CLOSE", close_at=at, data=dump(close))
        try:
            self.table.put(item, "attribute_not_exists(PK) OR close_at < :at", at=at)
        except ConditionFailed:
            return  # a later close is recorded already

    def get_closes(self, symbols: list[str]) -> dict[str, SessionClose]:
        return _closes(self.table.get_many(_close_keys(symbols)))


def _newer_quote(item: Item, time: str, symbol: str) -> Write:
    def stale(old: Item | None) -> Exception:
        return StaleQuote(f"A quote for {symbol} as new or newer is stored.", symbol=symbol)

    return Write(
        (item["PK"]["S"], "LATEST"), item, "attribute_not_exists(PK) OR quote_time < :time",
        lambda old: old is None or old["quote_time"]["S"] < time, stale, {":time": {"S": time}},
    )


def _quote_keys(symbols: list[str]) -> list[Item]:
    return [key(f"QUOTE#{symbol}", "LATEST") for symbol in sorted(set(symbols))]


def _close_keys(symbols: list[str]) -> list[Item]:
    return [key(f"QUOTE#{symbol}", "CLOSE") for symbol in sorted(set(symbols))]


def _quotes(items: list[Item]) -> dict[str, Quote]:
    quotes = (from_item(Quote, item) for item in items)
    return {quote.symbol: quote for quote in quotes}


def _closes(items: list[Item]) -> dict[str, SessionClose]:
    closes = (from_item(SessionClose, item) for item in items)
    return {close.symbol: close for close in closes}


def _prices_and_settings(table: Table, symbols: list[str]) -> ports.Prices:
    """The quotes and closes of ``symbols`` and the settings in one BatchGetItem (more only past 49 symbols)."""
    items = table.get_many([*_quote_keys(symbols), *_close_keys(symbols), key("SYSTEM", "SETTINGS")])
    settings = [item for item in items if item["PK"]["S"] == "SYSTEM"]
    quotes = _quotes([item for item in items if item["SK"]["S"] == "LATEST"])
    closes = _closes([item for item in items if item["SK"]["S"] == "CLOSE"])
    return quotes, closes, from_item(SystemSettings, settings[0]) if settings else SystemSettings()


class DynamoAudit(Repo, ports.AuditLog):
    def append(self, record: AuditRecord) -> None:
        item = attrs(
            PK=f"AUDIT#{record.id}",
            SK="AUDIT",
            GSI1PK=f"ACCOUNT#{record.account_id}#AUDIT",
            GSI1SK=f"{key_time(record.time)}#{record.id}",
            data=dump(record),
        )
        taken = already_exists(f"Audit record {record.id} already exists.", record_id=record.id)
        self.table.write(create(item, taken))

    def list_for_account(self, account_id: str, *, limit: int | None = None) -> list[AuditRecord]:
        items = self.table.query("GSI1PK = :pk", index="GSI1", page=limit, pk=f"ACCOUNT#{account_id}#AUDIT")
        return from_items(AuditRecord, items, limit)


class DynamoIdempotency(Repo, ports.IdempotencyStore):
    def _item(self, record: ports.IdempotencyRecord) -> Item:
        return attrs(
            PK=f"IDEMPOTENCY#{record.key}", SK="RECORD", expires_at=epoch(record.expires_at), data=dump(record)
        )

    def claim(self, key: str, fingerprint: str, *, now: datetime, ttl_seconds: int) -> ports.IdempotencyRecord | None:
        expires_at = now + timedelta(seconds=ttl_seconds)
        record = ports.IdempotencyRecord(key=key, fingerprint=fingerprint, expires_at=expires_at)
        for _ in range(5):  # the live record may be released between our failed put and our read
            try:
                self.table.put(self._item(record), "attribute_not_exists(PK) OR expires_at <= :now", now=epoch(now))
                return None
            except ConditionFailed as failed:
                live = failed.old or self.table.get(f"IDEMPOTENCY#{key}", "RECORD")
                if live is not None:
                    return from_item(ports.IdempotencyRecord, live)
        raise StoreError(f"Could not claim idempotency key {key!r}: it keeps changing.")

    def complete(self, key: str, result: dict[str, Any]) -> None:
        item = self.table.get(f"IDEMPOTENCY#{key}", "RECORD")
        if item is None:
            raise NotFound(f"No idempotency record for key {key!r}.", key=key)
        record = from_item(ports.IdempotencyRecord, item)
        done = record.model_copy(update={"status": ports.IdempotencyStatus.COMPLETED, "result": result})
        try:  # only the claim we read: a release and re-claim in between is somebody else's record
            self.table.put(self._item(done), "expires_at = :expires", expires=epoch(record.expires_at))
        except ConditionFailed:
            raise NotFound(f"The claim on idempotency key {key!r} is gone.", key=key) from None

    def release(self, key: str) -> None:
        self.table.delete(f"IDEMPOTENCY#{key}", "RECORD")


class DynamoBooks(Repo, ports.RiskBookRepository):
    def get(self, account_id: str) -> RiskBook:
        item = self.table.get(f"ACCOUNT#{account_id}", "BOOK")
        return from_item(RiskBook, item) if item else RiskBook(account_id=account_id)

    def save(self, book: RiskBook) -> RiskBook:
        stored, text = versioned(book, book.version + 1)
        item = attrs(PK=f"ACCOUNT#{book.account_id}", SK="BOOK", version=stored.version, data=text)
        what = f"Risk book {book.account_id}"
        self.table.write(put_versioned(item, book.version, what, create=book.version == 0))
        return stored


class DynamoSettings(Repo, ports.SettingsRepository):
    def get(self) -> SystemSettings:
        item = self.table.get("SYSTEM", "SETTINGS")
        return from_item(SystemSettings, item) if item else SystemSettings()

    def save(self, settings: SystemSettings) -> SystemSettings:
        stored, text = versioned(settings, settings.version + 1)
        item = attrs(PK="SYSTEM", SK="SETTINGS", version=stored.version, data=text)
        self.table.write(put_versioned(item, settings.version, "Settings", create=settings.version == 0))
        return stored


class DynamoUnitOfWork(ports.UnitOfWork):
    """Writes wait in a ``UnitTable`` and go to DynamoDB at commit() as one TransactWriteItems (one call).

    Nothing is written before commit(), so leaving without it costs nothing to undo. The unit holds at most
    100 writes (one per key: DynamoDB's transaction limit); past that commit() raises StoreError and writes
    nothing, since splitting them over several transactions would break the all-or-nothing promise. Use cases
    keep units small for that reason (a kill switch cancels its orders one unit per order).
    """

    def __init__(self, store: DynamoStore) -> None:
        self._pending = UnitTable(store.table)
        self.accounts = DynamoAccounts(self._pending)
        self.orders = DynamoOrders(self._pending)
        self.fills = DynamoFills(self._pending)
        self.positions = DynamoPositions(self._pending)
        self.quotes = DynamoQuotes(self._pending)  # a put joins the unit: conditional, sent at commit
        self.notifications = DynamoNotifications(self._pending)
        self.audit = DynamoAudit(self._pending)
        self.settings = DynamoSettings(self._pending)
        self.alerts = DynamoAlerts(self._pending)
        self.books = DynamoBooks(self._pending)
        self.contacts = DynamoContacts(self._pending)
        self.link_codes = DynamoLinkCodes(self._pending)
        self.messages = DynamoMessages(self._pending)

    def prices_and_settings(self, symbols: list[str]) -> ports.Prices:
        if self._pending.buffered("SYSTEM", "SETTINGS"):  # the unit's own settings, and the prices in one call
            quotes, closes, _ = _prices_and_settings(self._pending, symbols)
            return quotes, closes, self.settings.get()
        return _prices_and_settings(self._pending, symbols)

    def commit(self) -> None:
        self._pending.commit()

    def rollback(self) -> None:
        self._pending.discard()


@dataclass
class DynamoStore(ports.Store):
    """The DynamoDB repositories over one table, and units of work over it."""

    table: Table = field(repr=False, kw_only=True)

    def unit(self) -> DynamoUnitOfWork:
        return DynamoUnitOfWork(self)

    def prices_and_settings(self, symbols: list[str]) -> ports.Prices:
        return _prices_and_settings(self.table, symbols)


def open_dynamodb_store(table_name: str, client: Any = None) -> DynamoStore:
    """The repositories over ``table_name``; ``client`` is a boto3 DynamoDB client (if omitted, the process's,
    built on the first call)."""
    table = Table(client, table_name)
    return DynamoStore(
        accounts=DynamoAccounts(table),
        orders=DynamoOrders(table),
        fills=DynamoFills(table),
        positions=DynamoPositions(table),
        quotes=DynamoQuotes(table),
        audit=DynamoAudit(table),
        idempotency=DynamoIdempotency(table),
        settings=DynamoSettings(table),
        alerts=DynamoAlerts(table),
        notifications=DynamoNotifications(table),
        signal_sources=DynamoSignalSources(table),
        books=DynamoBooks(table),
        conversations=DynamoConversations(table),
        contacts=DynamoContacts(table),
        link_codes=DynamoLinkCodes(table),
        messages=DynamoMessages(table),
        table=table,
    )


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
