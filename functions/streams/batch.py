"""A Powertools batch processor that applies a batch at once: each record is decoded by the record handler as
Powertools tracks it, then everything decoded goes to one ``apply`` call, which names the positions (in the
order decoded) that failed for a reason worth retrying. Those become the batch item failures; a record the
handler could not decode (it returns None) is skipped, never failed, so a poison record cannot block a shard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType


class RetryLater(Exception):
    """A record whose effect did not happen (the store was unavailable); reported for a retry."""


class BatchedProcessor(BatchProcessor):
    def __init__(
        self, event_type: EventType, apply: Callable[[list[Any]], set[int]], record_type: type | None = None
    ) -> None:
        super().__init__(event_type, raise_on_entire_batch_failure=False)
        if record_type is not None:
            self._DATA_CLASS_MAPPING[event_type] = record_type
        self._apply = apply
        self._decoded: list[tuple[dict, Any]] = []

    def _prepare(self) -> None:
        super()._prepare()
        self._decoded = []

    def success_handler(self, record: Any, result: Any) -> Any:
        # Powertools' own success_handler, inline: it runs once per record of every batch.
        if result is not None:
            self._decoded.append((record, result))
        self.success_messages.append(record)
        return "success", result, record

    def process(self) -> list[tuple]:
        results = super().process()
        if self._decoded:
            failed = self._apply([result for _, result in self._decoded])
            for position in sorted(failed):
                raw = self._decoded[position][0]
                self.success_messages.remove(raw)
                self.failure_handler(self._to_batch_type(raw, self.event_type), (RetryLater, RetryLater(), None))
        return results
