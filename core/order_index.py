"""The resting-order index: a stream consumer's in-memory copy of the working orders, arranged by the price
that can wake each one, so a quote finds the orders it can trigger or fill in O(log n + k), without reading
or scanning the others.

Per symbol, each order sits on the price line where the market first touches it (``wakes``): a buy limit, a
sell stop, a buy take-profit fall to their price; a sell limit, a buy stop, a sell take-profit rise to it.
A trailing stop sits twice: at its current stop (from its stored reference), and at that reference, which a
market moving its way passes to move the trail. Orders that trade on any quote (a market remainder, a stop
already triggered) come with every quote. A quote reaches every level between its lowest and highest price
(bid, ask, last), which covers every side's trigger and fill price; the broker then decides each order.

The index only holds copies: the use case (core/usecases/market/resting.py) re-reads an order before working it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from core.errors import UnknownSymbol
from core.instruments import InstrumentCatalog
from core.levels import Book, Levels, LoggedIndex
from core.market import Quote
from core.orders import Order, OrderChange, OrderType, Side, trail_stop

_LIMIT_LIKE = frozenset({OrderType.LIMIT, OrderType.BRACKET, OrderType.STOP_LIMIT})
_STOPS = frozenset({OrderType.STOP, OrderType.STOP_LIMIT})


def wakes(order: Order, catalog: InstrumentCatalog) -> tuple[list[Decimal], list[Decimal]] | None:
    """The levels at which the market reaches ``order``: (levels it rises to, levels it falls to); None when any
    quote may trade it."""
    kind, buy = order.order_type, order.side is Side.BUY
    waiting = not (order.triggered or order.filled_quantity > 0)  # a stop that traded works at market after
    if kind in _STOPS and (not order.triggered if kind is OrderType.STOP_LIMIT else waiting):
        # a stop is touched from below by a buy, from above by a sell
        return None if order.stop_price is None else _side(order.stop_price, rises=buy)
    if kind in _LIMIT_LIKE and order.limit_price is not None:  # a limit is marketable from above for a buy
        return _side(order.limit_price, rises=not buy)
    if kind is OrderType.TAKE_PROFIT and waiting and order.take_profit_price is not None:
        return _side(order.take_profit_price, rises=not buy)
    if kind is OrderType.TRAILING_STOP and waiting and order.trail_reference is not None:
        reference = order.trail_reference
        try:
            stop = trail_stop(order, reference, catalog.get(order.symbol))
        except UnknownSymbol:  # a venue-only listing: its venue works it, and any quote may reach it here
            return None
        return ([stop], [reference]) if buy else ([reference], [stop])
    return None


def _side(level: Decimal, *, rises: bool) -> tuple[list[Decimal], list[Decimal]]:
    return ([level], []) if rises else ([], [level])


class _Symbol(Book[Order]):
    """One symbol's working orders, each on the levels it wakes at, or among the ones every quote wakes."""

    def __init__(self, catalog: InstrumentCatalog) -> None:
        self.catalog = catalog
        self.orders: dict[str, tuple[Order, tuple[list[Decimal], list[Decimal]] | None]] = {}
        self.rises = Levels()
        self.falls = Levels()
        self.always: dict[str, None] = {}

    def add(self, order: Order) -> None:
        levels = wakes(order, self.catalog)
        self.orders[order.id] = (order, levels)
        if levels is None:
            self.always[order.id] = None
            return
        for level in levels[0]:
            self.rises.add(level, order.id)
        for level in levels[1]:
            self.falls.add(level, order.id)

    def remove(self, order_id: str) -> None:
        found = self.orders.pop(order_id, None)
        if found is None:
            return
        _, levels = found
        if levels is None:
            del self.always[order_id]
            return
        for level in levels[0]:
            self.rises.remove(level, order_id)
        for level in levels[1]:
            self.falls.remove(level, order_id)

    def get(self, order_id: str) -> Order | None:
        found = self.orders.get(order_id)
        return found[0] if found is not None else None

    def __len__(self) -> int:
        return len(self.orders)


class OrderIndex(LoggedIndex[Order, _Symbol]):
    """Working orders by symbol. The store keeps one order change log per symbol, so the index keeps one cursor
    per symbol (``cursors``: the last entry of that symbol's log applied; absent before its first read)."""

    def __init__(self, catalog: InstrumentCatalog) -> None:
        super().__init__()
        self.catalog = catalog
        self.cursors: dict[str, int] = {}

    def _advance(self, seq: int, record: Order) -> None:
        self.cursors[record.symbol] = max(self.cursors.get(record.symbol, seq), seq)

    def drop(self, symbol: str) -> None:
        """Forget ``symbol``'s orders and cursor: its next batch reads them afresh from the store."""
        self._symbols.pop(symbol, None)
        self.cursors.pop(symbol, None)

    def _book(self) -> _Symbol:
        return _Symbol(self.catalog)

    def _keeps(self, order: Order) -> bool:
        return order.status.is_open

    def apply(self, changes: list[OrderChange], now: datetime) -> None:
        """Apply change-log entries in order and move their symbols' cursors past them."""
        self.apply_log(((change.seq, change.time, change.order) for change in changes), now)

    def candidates(self, quote: Quote) -> list[Order]:
        """The copies of the working orders ``quote`` may trigger, fill or move, oldest first."""
        book = self._symbols.get(quote.symbol)
        if book is None or not book.orders:
            return []
        prices = [quote.bid, quote.ask] if quote.last is None else [quote.bid, quote.ask, quote.last]
        found = dict.fromkeys(book.rises.up_to(max(prices)))
        found.update(dict.fromkeys(book.falls.from_(min(prices))))
        found.update(book.always)
        orders = [book.orders[order_id][0] for order_id in found]
        return sorted(orders, key=lambda order: (order.created_at, order.id))
