"""What the Kinesis and MSK handlers share: each record decoded with Powertools (its event source data class, or
its Kafka consumer record), the batch applied once (core.usecases.market.ingest), and partial failures reported.

Malformed records (not base64, not JSON, not an envelope, unknown type or symbol, bad data) are counted by
reason and logged without their payload, then skipped. Records whose effect could not be stored are batch item
failures: Lambda retries from the first of them on its shard or partition; what was already applied is keyed
and changes nothing the second time.
"""

from __future__ import annotations

import binascii
import gc
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from core.envelope import Envelope
from core.events import Malformed, Skip, read_envelope
from core.usecases.market import BatchReport, ingest
from functions.streams.batch import BatchedProcessor
from infra.bootstrap import Platform


class StreamConsumer:
    """One per process: the platform, its warm alert engine and the processor. ``report`` is the last batch's."""

    def __init__(
        self, platform: Platform, event_type: EventType, read: Callable[[Any], bytes | str],
        logger: logging.Logger | Any, metrics: Any = None,
    ) -> None:
        self.platform = platform
        self.logger = logger
        self.metrics = metrics
        self._read = read
        record_type = None
        if event_type is EventType.Kafka:  # the Kafka consumer utility, imported by the MSK consumer only
            from aws_lambda_powertools.utilities.kafka.consumer_records import ConsumerRecordRecords

            record_type = ConsumerRecordRecords
        self.processor = BatchedProcessor(event_type, self._apply, record_type)
        self.report = BatchReport()
        self._skipped: Counter[str] = Counter()

    @classmethod
    def kinesis(cls, platform: Platform, logger: logging.Logger | Any, metrics: Any = None) -> StreamConsumer:
        return cls(platform, EventType.KinesisDataStreams, _kinesis_bytes, logger, metrics)

    @classmethod
    def msk(cls, platform: Platform, logger: logging.Logger | Any, metrics: Any = None) -> StreamConsumer:
        return cls(platform, EventType.Kafka, _kafka_text, logger, metrics)

    def handle(self, event: dict, context: Any = None) -> dict:
        self._skipped = Counter()
        self.report = BatchReport()
        # A batch allocates tens of thousands of short-lived, acyclic objects (freed by reference counting);
        # with the cyclic collector running, each of its passes would also walk the warm alert index.
        collecting = gc.isenabled()
        gc.disable()
        try:
            response = process_partial_response(event, self.decode, self.processor, context)
        finally:
            if collecting:
                gc.enable()
        self.report.skipped.update(self._skipped)
        self._publish(self.report)
        return dict(response)

    def decode(self, record: Any) -> Envelope | None:
        """The record's envelope, or None (counted, logged without the payload) if it is malformed."""
        try:
            return read_envelope(self._read(record))
        except Malformed as bad:
            reason = bad.reason
        except (binascii.Error, ValueError):
            reason = Skip.NOT_BASE64
        self._skipped[reason.value] += 1
        self.logger.warning("record skipped", extra={"reason": reason.value, "record": _where(record)})
        return None

    def _apply(self, envelopes: list[Envelope]) -> set[int]:
        platform = self.platform
        self.report = ingest(platform.deps, platform.alert_engine, envelopes)
        return self.report.failed

    def _publish(self, report: BatchReport) -> None:
        counts = {
            "processed": report.processed, "skipped": sum(report.skipped.values()), "failed": len(report.failed),
            "alerts_fired": report.alerts_fired, "orders_triggered": report.orders_triggered,
        }
        self.logger.info("batch", extra={**counts, "skipped_by_reason": dict(report.skipped)})
        if self.metrics is None:
            return
        from aws_lambda_powertools.metrics import MetricUnit

        for name, value in counts.items():
            self.metrics.add_metric(name="".join(w.title() for w in name.split("_")), unit=MetricUnit.Count,
                                    value=value)


def _kinesis_bytes(record: KinesisStreamRecord) -> bytes:
    # What ``record.kinesis.data_as_bytes()`` returns (base64.b64decode is this call, with the same errors for
    # bad input), without building the payload wrapper and going through base64's checks for each record.
    return binascii.a2b_base64(record["kinesis"]["data"])


def _kafka_text(record: Any) -> str:
    # A tombstone (or a null value) has no envelope to read; retrying it would block its partition.
    if not record.raw_event.get("value"):
        raise Malformed(Skip.NO_VALUE)
    return record.value  # the Kafka consumer utility's default deserializer: base64, then UTF-8


def _where(record: Any) -> str:
    if isinstance(record, KinesisStreamRecord):
        return record.kinesis.sequence_number
    return f"{record.topic}-{record.partition}@{record.offset}"
